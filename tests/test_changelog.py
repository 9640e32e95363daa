"""The version has one source (lessons.__version__) and the changelog describes it."""

import re
import tomllib
from pathlib import Path

import lessons

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_version_is_read_from_lessons():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lessons.__version__"}


def test_the_changelog_has_a_dated_section_for_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()

    assert re.search(
        rf"^## \[{re.escape(lessons.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M
    ), f"CHANGELOG.md has no '## [{lessons.__version__}] - YYYY-MM-DD' section"
    assert "## [Unreleased]" in changelog
