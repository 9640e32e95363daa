"""The shipped demo lessons read as their authors meant: no list item glued to a sentence."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from lessons.markdown import render_lesson_markdown

DEMO_CONTENT = Path(__file__).resolve().parents[1] / "config" / "demo_content"
LESSON_FILES = sorted(DEMO_CONTENT.glob("*/*.md"))

# A list marker ("3. **", "- ") right after the end of a sentence on the same line: a lost
# line break, which Markdown shows as one run-on paragraph.
GLUED_SOURCE_MARKER = re.compile(r"[.!?:)][ \t]*(?:\d{1,3}[.)]|[-*+])[ \t]+\*\*")
# A list marker inside rendered text, after a sentence end or a line break: the line break was
# there, but without the blank line (or indent) Markdown needs, so it stayed paragraph text.
GLUED_RENDERED_MARKER = re.compile(r"(?:[.!?:)]|\n)[ \t]*(?:\d{1,3}[.)]|[-*+])[ \t]+\S")


class _BlockTexts(HTMLParser):
    """The text of every paragraph and list item, code blocks left out."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._open.append(tag)
        if tag in {"p", "li"}:
            self.texts.append("")

    def handle_endtag(self, tag):
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data):
        if self.texts and not {"pre", "code"} & set(self._open):
            self.texts[-1] += data


def markdown_parts(path: Path) -> dict[str, str]:
    _, front_matter, body = path.read_text(encoding="utf-8").split("---\n", 2)
    exercise = yaml.safe_load(front_matter).get("exercise") or ""
    return {"body": body, "exercise": exercise}


def test_the_demo_content_has_lessons():
    assert len(LESSON_FILES) > 20


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_list_item_is_glued_to_a_sentence(path):
    # given a demo lesson's Markdown
    for part, text in markdown_parts(path).items():
        # when it is read and rendered
        glued_lines = [
            f"{part} line {number}: …{match[0]}…"
            for number, line in enumerate(text.splitlines(), start=1)
            for match in GLUED_SOURCE_MARKER.finditer(line)
        ]
        blocks = _BlockTexts()
        blocks.feed(render_lesson_markdown(text))

        # then every list item starts on its own line and renders as a list item
        assert glued_lines == []
        assert [
            f"{part}: …{block[max(match.start() - 30, 0) : match.end() + 30]}…"
            for block in blocks.texts
            for match in [GLUED_RENDERED_MARKER.search(block)]
            if match
        ] == []
