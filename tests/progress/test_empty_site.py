"""A new site without levels or achievements: the status bar says nothing misleading (server and
browser alike), a system check warns, and ``manage.py stream_defaults`` installs the defaults."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils import translation

import progress
from progress import defaults
from progress.checks import check_levels
from progress.models import Achievement, Level
from progress.texts import text, text_templates
from tests.factories import AchievementFactory, LevelFactory

pytestmark = pytest.mark.django_db

STATIC = Path(progress.__file__).parent / "static" / "stream" / "progress"
DEMO_PROGRESS = Path(__file__).resolve().parents[2] / "config" / "demo_content" / "progress.yml"
NODE = shutil.which("node")


class StatusBarParser(HTMLParser):
    """The status bar's elements: attributes, own text, hidden or not."""

    def __init__(self):
        super().__init__()
        self.elements, self.inside, self.open = [], False, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-progress-status" in attrs:
            self.inside = True
        if self.inside:
            hidden = "hidden" in attrs
            attrs.pop("hidden", None)
            element = {"tag": tag, "attrs": attrs, "textContent": "", "hidden": hidden}
            if tag == "progress":
                element.update(max=int(attrs["max"]), value=int(attrs["value"]))
            self.elements.append(element)
            self.open.append(element)

    def handle_endtag(self, tag):
        if self.open and self.open[-1]["tag"] == tag:
            self.open.pop()
        if tag == "section":
            self.inside = False

    def handle_data(self, data):
        if self.open:
            self.open[-1]["textContent"] += data


def status_bar(html):
    parser = StatusBarParser()
    parser.feed(html)
    return parser.elements


def shown(elements, name):
    """The field's text if it shows, else None."""
    element = next(e for e in elements if e["attrs"].get("data-progress-field") == name)
    return None if element["hidden"] else element["textContent"]


def page(client, lesson):
    return client.get(lesson.get_absolute_url()).content.decode()


def test_a_site_without_levels_or_achievements_shows_no_level_and_no_counts(client, lessons):
    # given published lessons, and no level or achievement at all
    # when a visitor opens a lesson
    elements = status_bar(page(client, lessons[0]))

    # then the bar shows XP, lessons and percent, and nothing about levels or achievements
    assert shown(elements, "xp") == "0 XP" and shown(elements, "lessons") == "0/3 lessons"
    assert shown(elements, "percent") == "0% complete"
    for name in ("level", "level_name", "to_next", "to_go", "achievements"):
        assert not shown(elements, name), name
    bar = next(e for e in elements if "data-progress-bar" in e["attrs"])
    assert bar["hidden"]
    visible = " ".join(e["textContent"] for e in elements if not e["hidden"])
    with translation.override("ko"):
        assert text("top_level") not in visible and "0/0" not in visible


def test_the_top_level_still_says_so(client, lessons):
    # given one level, at 0 XP: every visitor is at the top
    LevelFactory(number=0, name="Scout", min_xp=0)
    AchievementFactory(slug="first")

    elements = status_bar(page(client, lessons[0]))

    with translation.override("ko"):
        assert shown(elements, "to_next") == text("top_level")
    assert shown(elements, "level") == "Level 0" and shown(elements, "to_go") is None
    assert shown(elements, "achievements") == "0/1 achievements"


# --- The browser's render.js agrees --------------------------------------------------------------

# Runs renderStatus, as the page does, on status bars (a minimal DOM of their elements) with a
# visitor's state from the facts the page fetches.
RUNNER = """
import { pathToFileURL } from "node:url";
const dir = process.argv[1];
const { renderStatus } = await import(pathToFileURL(`${dir}/render.js`).href);
const { localState } = await import(pathToFileURL(`${dir}/state.js`).href);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { bars, text, facts } = JSON.parse(input);
const matches = (element, selector) => {
  const [, name, value] = selector.trim().match(/^\\[([\\w-]+)(?:="([^"]*)")?\\]$/);
  return name in element.attrs && (value === undefined || element.attrs[name] === value);
};
for (const elements of bars) {
  const all = (list) => elements.filter((e) => list.split(",").some((s) => matches(e, s)));
  const bar = { querySelectorAll: all, querySelector: (list) => all(list)[0] || null };
  globalThis.document = { querySelectorAll: (s) => (s === "[data-progress-status]" ? [bar] : []) };
  renderStatus(text, localState([], facts));
}
process.stdout.write(JSON.stringify(bars));
"""

SITES = {
    "no levels, no achievements": ([], 0),
    "levels and achievements": ([(0, 0), (1, 100)], 2),
    "top level at 0 XP": ([(0, 0)], 1),
    "no level at 0 XP": ([(1, 50), (2, 120)], 0),
}


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed (node not on PATH)")
@pytest.mark.parametrize("site", SITES)
def test_render_js_shows_what_the_server_shows(client, lessons, site):
    levels, achievements = SITES[site]
    for number, min_xp in levels:
        LevelFactory(number=number, name=f"L{number}", min_xp=min_xp)
    for index in range(achievements):
        AchievementFactory(slug=f"a{index}", rule_params={"count": index + 1})
    html = page(client, lessons[0])
    data = json.loads(
        re.search(r'<script id="stream-progress-data"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    facts = json.loads(client.get(data["factsUrl"]).content)
    server = status_bar(html)
    with translation.override("ko"):
        assert data["text"] == text_templates()

    # the script starts from the server's bar, and from one with nothing hidden
    bars = [server, [{**e, "hidden": False} for e in server]]
    answer = subprocess.run(
        [NODE, "--input-type=module", "-e", RUNNER, str(STATIC)],
        input=json.dumps({"bars": bars, "text": data["text"], "facts": facts}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    from_server, from_nothing_hidden = json.loads(answer.stdout)

    def seen(elements):
        return [
            (e["attrs"], e["hidden"], e["textContent"], e.get("max"), e.get("value"))
            for e in elements
            if any(name.startswith("data-progress-") for name in e["attrs"])
        ]

    assert seen(from_server) == seen(server)
    assert seen(from_nothing_hidden) == seen(server)


# --- The system check ----------------------------------------------------------------------------


def test_the_check_warns_when_no_level_starts_at_zero_xp():
    assert [w.id for w in check_levels(databases=["default"])] == ["stream_progress.W002"]
    LevelFactory(number=1, name="Later", min_xp=50)
    assert [w.id for w in check_levels(databases=["default"])] == ["stream_progress.W002"]

    LevelFactory(number=0, name="Start", min_xp=0)

    assert check_levels(databases=["default"]) == []


def test_the_check_reads_the_database_only_when_asked(django_assert_num_queries):
    # `manage.py check` without --database, runserver: no query, no warning
    with django_assert_num_queries(0):
        assert check_levels(databases=None) == []
    out = StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=out)
    assert "stream_progress.W002" in out.getvalue()


# --- manage.py stream_defaults -------------------------------------------------------------------


def run(*args):
    """The command's output, in the site's language (Korean)."""
    out = StringIO()
    call_command("stream_defaults", *args, stdout=out)
    return out.getvalue()


def test_stream_defaults_installs_levels_and_achievements_once():
    first = run()
    second = run()

    assert list(Level.objects.values_list("number", "min_xp"))[:2] == [(0, 0), (1, 100)]
    assert Level.objects.count() == len(defaults.LEVELS)
    assert list(Achievement.objects.order_by("position").values_list("slug", flat=True)) == [
        a["slug"] for a in defaults.ACHIEVEMENTS
    ]
    assert "생성 14개" in first and "레벨 0 · Scout (0 XP부터)" in first
    assert "설치할 것이 없어요" in second
    assert check_levels(databases=["default"]) == []


def test_stream_defaults_dry_run_writes_nothing():
    out = run("--dry-run")

    assert (
        "업적 first-lesson · First steps" in out and "Dry run이라서 아무것도 쓰지 않았어요." in out
    )
    assert not Level.objects.exists() and not Achievement.objects.exists()


def test_stream_defaults_leaves_the_sites_own_levels_and_achievements_alone():
    # given a site with its own ladder and an achievement of its own, one slug shared
    LevelFactory(number=0, name="Novice", min_xp=0)
    mine = AchievementFactory(slug="first-lesson", name="Mine", xp=99, position=4)

    run()

    # then no level is added or changed, the shared slug keeps the site's achievement, and the
    # other defaults come after the site's own
    assert list(Level.objects.values_list("name", flat=True)) == ["Novice"]
    mine.refresh_from_db()
    assert (mine.name, mine.xp) == ("Mine", 99)
    added = Achievement.objects.exclude(pk=mine.pk).order_by("position")
    assert added.count() == len(defaults.ACHIEVEMENTS) - 1
    assert added.first().position == 5


def test_the_defaults_are_the_demos_own_definitions():
    demo = yaml.safe_load(DEMO_PROGRESS.read_text(encoding="utf-8"))
    by_slug = {a["slug"]: a for a in demo["achievements"]}

    assert demo["levels"] == defaults.LEVELS
    assert all(by_slug[a["slug"]] == a for a in defaults.ACHIEVEMENTS)
