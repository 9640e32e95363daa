"""docs/settings.md cannot drift from the code: every key of every app's defaults is documented
there, with the same default, and nothing documented is missing from the code."""

import ast
import re
from pathlib import Path

import pytest

from comments.conf import COMMENTS_DEFAULTS
from lessons.conf import LESSONS_DEFAULTS
from progress.conf import PROGRESS_DEFAULTS

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
ROW = re.compile(r"^\| `(?P<key>[A-Z][A-Z0-9_]*)` \| `(?P<default>[^`]*)` \| (?P<effect>.+) \|$")
DEFAULTS = {
    **{key: ("lessons/conf.py", value) for key, value in LESSONS_DEFAULTS.items()},
    **{key: ("progress/conf.py", value) for key, value in PROGRESS_DEFAULTS.items()},
    **{key: ("comments/conf.py", value) for key, value in COMMENTS_DEFAULTS.items()},
}


def documented():
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            assert match["key"] not in rows, f"{match['key']} is documented twice"
            rows[match["key"]] = (match["default"], match["effect"].strip())
    return rows


def test_the_apps_do_not_share_a_key():
    keys = [*LESSONS_DEFAULTS, *PROGRESS_DEFAULTS, *COMMENTS_DEFAULTS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_setting_is_documented_with_its_default(key):
    rows = documented()
    source, value = DEFAULTS[key]
    assert key in rows, f"STREAM[{key!r}] ({source}) is missing from docs/settings.md"
    default, effect = rows[key]
    assert ast.literal_eval(default) == value, (
        f"docs/settings.md gives {key} the default {default}; {source} has {value!r}"
    )
    assert len(effect) > 20, f"docs/settings.md does not say what {key} does"


def test_nothing_documented_is_gone_from_the_code():
    assert sorted(set(documented()) - set(DEFAULTS)) == []
