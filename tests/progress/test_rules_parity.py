"""The browser's award logic (rules.js, for anonymous visitors) and the server's (rules.py, for
signed-in learners) give the same awards at the same times for the same completions.

Node runs the ES module the lesson page loads; the test skips where Node is not installed.
"""

import json
import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import progress
from progress.rules import History, Rule, award_times

RULES_JS = Path(progress.__file__).parent / "static" / "stream" / "progress" / "rules.js"
NODE = shutil.which("node")
TIME_ZONE = "Asia/Seoul"  # UTC+9: local days differ from UTC days, as they do for learners

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (node not on PATH)")

# Reads cases from stdin, answers {slug: ms} for each, with the module the page loads.
RUNNER = """
import { pathToFileURL } from "node:url";
const { awardTimes } = await import(pathToFileURL(process.argv[1]).href);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const answers = JSON.parse(input).map((c) =>
  Object.fromEntries(awardTimes(c.achievements, new Map(c.completed), new Map(c.lessonXp))),
);
process.stdout.write(JSON.stringify(answers));
"""

LESSONS = list(range(1, 9))
COURSE = frozenset({1, 2, 3})
TAG = frozenset({3, 4, 5, 6})


def rules_of(draw: random.Random) -> list[Rule]:
    rules = [
        Rule("first-steps", "lessons_completed", {"count": 1}, 5),
        Rule("five", "lessons_completed", {"count": draw.randint(2, 6)}, 10),
        Rule("course", "course_completed", {"course": "c"}, 20, COURSE),
        Rule("tag", "tag_completed", {"tag": "t"}, 15, TAG),
        Rule("binge", "lessons_in_one_day", {"count": draw.randint(2, 4)}, 10),
        Rule("streak", "streak_days", {"days": draw.randint(2, 4)}, 25),
        Rule("xp-low", "xp_at_least", {"xp": draw.randint(10, 60)}, 30),
        # met only with the awards' XP, including xp-low's own reward
        Rule("xp-high", "xp_at_least", {"xp": draw.randint(60, 160)}, 0),
        Rule("talker", "first_comment", {}, 5),
    ]
    draw.shuffle(rules)
    return rules


def completions_of(draw: random.Random) -> dict[int, datetime]:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    lessons = draw.sample(LESSONS, draw.randint(0, len(LESSONS)))
    # hours around local midnight in Seoul (15:00 UTC), over a few days
    return {
        lesson: start
        + timedelta(days=draw.randint(0, 5), hours=draw.choice([13, 14, 15, 16, 2]))
        + timedelta(minutes=draw.randint(0, 59), seconds=index)
        for index, lesson in enumerate(lessons)
    }


def cases(count=60):
    for seed in range(count):
        draw = random.Random(seed)
        yield rules_of(draw), completions_of(draw), {lesson: 10 for lesson in LESSONS}


def milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def browser_awards(all_cases) -> list[dict[str, int]]:
    payload = [
        {
            "achievements": [
                {"slug": rule.slug, "xp": rule.xp, "rule": rule.client_spec()} for rule in rules
            ],
            "completed": [[lesson, milliseconds(at)] for lesson, at in completions.items()],
            "lessonXp": list(lesson_xp.items()),
        }
        for rules, completions, lesson_xp in all_cases
    ]
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", RUNNER, str(RULES_JS)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        env={"TZ": TIME_ZONE, "PATH": str(Path(NODE).parent)},
        check=True,
    )
    return json.loads(result.stdout)


def test_the_browser_and_the_server_award_the_same_achievements_at_the_same_times():
    # given sixty learners' completions (none has commented: anonymous visitors cannot)
    all_cases = list(cases())

    # when both sides work out the awards
    in_browser = browser_awards(all_cases)
    on_server = [
        {
            slug: milliseconds(at)
            for slug, at in award_times(
                rules=rules,
                history=History(
                    completions=completions,
                    completion_xp=lesson_xp,
                    time_zone=ZoneInfo(TIME_ZONE),
                ),
            ).items()
        }
        for rules, completions, lesson_xp in all_cases
    ]

    # then they agree on every award and its time, and the cases cover every kind of rule
    assert in_browser == on_server
    awarded = {slug for awards in on_server for slug in awards}
    assert awarded >= {"first-steps", "five", "course", "tag", "binge", "streak", "xp-high"}
