"""Nothing executable survives either Markdown renderer, whatever the author or commenter writes."""

import base64
import html
import logging
import re
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.markdown import render_comment_markdown, render_lesson_markdown
from tests.xss_corpus import XSS_PAYLOADS

RENDERERS = [render_lesson_markdown, render_comment_markdown]

EXECUTABLE_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "style", "form", "base", "meta", "link", "template",
}  # fmt: skip
EXECUTABLE_ATTRIBUTES = {"style", "srcdoc", "formaction"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"}
SAFE_SCHEMES = {"http", "https", "mailto"}
URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")


class _ElementCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_nothing_executable(rendered: str) -> None:
    """Fail if ``rendered`` holds a tag, attribute or URL a browser could run script from."""
    collector = _ElementCollector()
    collector.feed(rendered)
    collector.close()
    for tag, attrs in collector.elements:
        assert tag not in EXECUTABLE_TAGS, f"<{tag}> in {rendered!r}"
        for name, value in attrs:
            assert not name.startswith("on"), f"{name}= on <{tag}> in {rendered!r}"
            assert name not in EXECUTABLE_ATTRIBUTES, f"{name}= on <{tag}> in {rendered!r}"
            if name in URL_ATTRIBUTES and value is not None:
                # The parser decoded entities once; decode again and drop every space and
                # control character, so even a doubly disguised scheme shows.
                url = URL_NOISE_RE.sub("", html.unescape(value)).lower()
                scheme = SCHEME_RE.match(url)
                assert scheme is None or scheme[1] in SAFE_SCHEMES, (
                    f"{name}={value!r} on <{tag}> in {rendered!r}"
                )


def _mentions_alert(source: str) -> bool:
    if "alert(" in source:
        return True
    encoded = re.findall(r"base64,([A-Za-z0-9+/=]+)", source)
    return any("alert(" in base64.b64decode(chunk).decode() for chunk in encoded)


def test_corpus_is_large_and_every_payload_tries_to_alert():
    ids = [payload_id for payload_id, _ in XSS_PAYLOADS]

    assert len(XSS_PAYLOADS) >= 60
    assert len(ids) == len(set(ids))
    assert [payload_id for payload_id, source in XSS_PAYLOADS if not _mentions_alert(source)] == []


def test_checker_catches_what_it_should():
    for unsafe in [
        "<script>alert(1)</script>",
        "<p onclick=alert(1)>x</p>",
        '<a href="java&#9;script:alert(1)">x</a>',
        '<a href="&amp;#106;avascript:alert(1)">x</a>',
        '<img src=" JAVASCRIPT:alert(1)">',
        '<p style="color:red">x</p>',
        "<svg></svg>",
    ]:
        with pytest.raises(AssertionError):
            assert_nothing_executable(unsafe)
    assert_nothing_executable('<a href="/x">x</a><a href="#y">y</a><img src="https://e.org/i.png">')


@pytest.mark.parametrize("render", RENDERERS, ids=lambda render: render.__name__)
@pytest.mark.parametrize(
    "source", [source for _, source in XSS_PAYLOADS], ids=[i for i, _ in XSS_PAYLOADS]
)
def test_payload_renders_without_anything_executable(render, source):
    assert_nothing_executable(render(source))


@contextmanager
def _no_fallback_logged():
    """Both renderers log before falling back to escaped text; the fuzzing should never see it."""
    records = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("lessons.markdown")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert [record.getMessage() for record in records] == []


MARKDOWN_FRAGMENTS = [
    "```", "~~~", "python", " title=", '"', "'", "<", ">", "</", "script", "<script>", "img",
    " src=x", " onerror=alert(1)", "javascript:", "JaVa\tScRiPt:", "&#106;", "&#x3A;", "&colon;",
    "[", "]", "(", ")", "![", "][", "[r]: ", "<http://e.org>", "<javascript:alert(1)>", "\n",
    "\n\n", "    ", "\t", "# ", "## ", "===", "---", "|", "|---|", "> ", "- ", "1. ", "*", "_",
    "`", "\\", "&", ";", "&lt;", "<!--", "-->", "<![CDATA[", "]]>", "<svg onload=alert(1)>",
    "<a href=", "=", "\x00", "\x02", "\x03", "\r", "\u2028", "왜 Llama", "{", "}",
]  # fmt: skip
markdown_like = st.lists(
    st.one_of(st.sampled_from(MARKDOWN_FRAGMENTS), st.text(max_size=6)), max_size=40
).map("".join)


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.text())
def test_arbitrary_text_renders_safely(text):
    with _no_fallback_logged():
        for render in RENDERERS:
            assert_nothing_executable(render(text))


@settings(max_examples=500, deadline=None, database=None)
@given(text=markdown_like)
def test_text_built_from_markdown_and_html_fragments_renders_safely(text):
    with _no_fallback_logged():
        for render in RENDERERS:
            assert_nothing_executable(render(text))
