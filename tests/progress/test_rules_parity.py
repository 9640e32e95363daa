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
from hypothesis import given, settings
from hypothesis import strategies as st

import progress
from progress.rules import History, Rule, award_times, lesson_locked, requirements_unmet

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


# --- Prerequisites: the same lock state on both sides ------------------------------------------

LOCKS_RUNNER = """
import { pathToFileURL } from "node:url";
const { isLocked, unmetRequirements } = await import(pathToFileURL(process.argv[1]).href);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const answers = JSON.parse(input).map((c) => {
  const completed = new Set(c.completed);
  return Object.fromEntries(
    Object.entries(c.requirements).map(([id, needs]) => [
      id,
      {
        locked: isLocked(Number(id), needs, completed),
        unmet: unmetRequirements(needs, completed),
      },
    ]),
  );
});
process.stdout.write(JSON.stringify(answers));
"""


@st.composite
def requirement_graphs(draw):
    """A catalogue of up to 4 courses and 10 lessons, requirements between lessons and
    courses (a lesson's own, then its course's, as the facts give them), and a learner's
    completions."""
    lessons = list(range(1, draw(st.integers(1, 10)) + 1))
    courses = list(range(1, draw(st.integers(1, 4)) + 1))
    course_of = {lesson: draw(st.sampled_from(courses)) for lesson in lessons}
    course_lessons = {
        course: [lesson for lesson in lessons if course_of[lesson] == course] for course in courses
    }
    targets = st.one_of(
        st.sampled_from(lessons).map(lambda lesson: ("lesson", lesson)),
        st.sampled_from(courses).map(lambda course: ("course", course)),
    )

    def fact(target):
        kind, pk = target
        if kind == "lesson":
            return {"lesson": pk}
        return {"course": pk, "lessons": course_lessons[pk]}

    own = {lesson: draw(st.lists(targets, max_size=3, unique=True)) for lesson in lessons}
    of_course = {course: draw(st.lists(targets, max_size=2, unique=True)) for course in courses}
    requirements = {}
    for lesson in lessons:
        needs = list(dict.fromkeys([*own[lesson], *of_course[course_of[lesson]]]))
        # a course without lessons is never in the facts (nobody could meet it)
        needs = [n for n in needs if n[0] == "lesson" or course_lessons[n[1]]]
        if needs:
            requirements[lesson] = [fact(target) for target in needs]
    completed = draw(st.lists(st.sampled_from(lessons), unique=True))
    return {"requirements": requirements, "completed": completed}


def browser_locks(graphs) -> list[dict]:
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", LOCKS_RUNNER, str(RULES_JS)],
        input=json.dumps(graphs),
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(Path(NODE).parent)},
        check=True,
    )
    return json.loads(result.stdout)


def server_locks(graph) -> dict:
    completed = set(graph["completed"])
    return {
        str(lesson): {
            "locked": lesson_locked(lesson_id=lesson, requirements=needs, completed=completed),
            "unmet": requirements_unmet(needs, completed),
        }
        for lesson, needs in graph["requirements"].items()
    }


@settings(max_examples=25, deadline=None)
@given(graphs=st.lists(requirement_graphs(), min_size=1, max_size=20))
def test_the_browser_and_the_server_agree_on_locks_for_generated_graphs(graphs):
    # given generated catalogues with requirements and a learner's completions
    # when both sides decide each lesson's lock and what is left to do
    in_browser = browser_locks(graphs)
    on_server = [server_locks(graph) for graph in graphs]

    # then they agree on every lesson
    assert in_browser == on_server


def test_a_completed_lesson_is_never_locked_and_a_course_needs_all_its_lessons():
    needs = [{"lesson": 1}, {"course": 7, "lessons": [2, 3]}]
    cases = [
        {"requirements": {"9": needs}, "completed": []},
        {"requirements": {"9": needs}, "completed": [1, 2]},
        {"requirements": {"9": needs}, "completed": [1, 2, 3]},
        {"requirements": {"9": needs}, "completed": [9]},
    ]

    answers = [answer["9"] for answer in browser_locks(cases)]

    assert [answer["locked"] for answer in answers] == [True, True, False, False]
    assert answers[1]["unmet"] == [{"course": 7, "lessons": [2, 3]}]
    assert answers == [server_locks({**case, "requirements": {9: needs}})["9"] for case in cases]
