"""Stream's one Markdown pipeline: lesson bodies and exercises, the admin preview, comments.

Markdown is turned into HTML by Python-Markdown (with our own code fences, highlighted by
Pygments through CSS classes), then every fragment goes through nh3 with an explicit allow-list.
Python-Markdown sanitises nothing, so the allow-lists below are the security boundary and the
steps before them are presentation only. Two profiles share the pipeline:

* lessons (:func:`render_lesson_markdown`): instructors may write raw HTML, which keeps only the
  allowed subset; headings get ids and anchor links; external links get ``rel="noopener
  noreferrer"``.
* comments (:func:`render_comment_markdown`): raw HTML is shown as text, headings stay plain
  paragraphs, images are not rendered, and every link gets ``rel="nofollow ugc noopener"``.

Both renderers are safe to call from several threads (each thread keeps its own Markdown
instances) and never raise: input that trips Python-Markdown is shown escaped.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from xml.etree import ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, slugify_unicode
from markdown.inlinepatterns import (
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
)
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import find_lexer_class_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

logger = logging.getLogger(__name__)

__all__ = [
    "CodeFence",
    "parse_fence_info",
    "render_comment_markdown",
    "render_lesson_markdown",
    "split_code_fences",
]


# --- Code fences -------------------------------------------------------------------------------

_FENCE_OPEN_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# A language name as an author writes it: python, c++, c#, objective-c, f#, vb.net, shell-session.
_LANGUAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+#.-]{0,39}")
_FENCE_ATTRIBUTE_RE = re.compile(
    r"""(?P<name>[A-Za-z][\w-]*)[ \t]*=[ \t]*"""
    r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"']+))"""
)


@dataclass(frozen=True)
class CodeFence:
    """A fenced code block: the info string after its opening fence, and its code."""

    info: str
    code: str


def _is_closing_fence(line: str, char: str, length: int) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    stripped = stripped.rstrip(" \t")
    return len(stripped) >= length and stripped == char * len(stripped)


def split_code_fences(text: str) -> list[str | CodeFence]:
    """Split Markdown into prose lines and fenced code blocks, the way CommonMark finds them.

    A fence is three or more backticks or tildes indented by at most three spaces (a backtick
    fence's info string may not contain a backtick); it closes at a line of the same character
    at least as long, or at the end of the text. The reading-time estimate uses this too, so
    that both agree on what is code.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    parts: list[str | CodeFence] = []
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN_RE.match(lines[index])
        if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
            parts.append(lines[index])
            index += 1
            continue
        char, length, indent = match["fence"][0], len(match["fence"]), len(match["indent"])
        code_lines = []
        index += 1
        while index < len(lines) and not _is_closing_fence(lines[index], char, length):
            line = lines[index]
            # Content lines lose as much leading space as the opening fence had.
            code_lines.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            index += 1
        index += 1  # the closing fence, or past the end of an unclosed block
        parts.append(CodeFence(info=match["info"].strip(), code="\n".join(code_lines)))
    return parts


def parse_fence_info(info: str) -> tuple[str, str]:
    """Return ``(language, title)`` from a fence's info string; either may be empty.

    The first word is the language when it contains no ``=`` and only the characters of
    ``_LANGUAGE_RE`` (anything else is dropped). After it, ``title="…"``, ``title='…'`` or
    ``title=word`` gives the title; other attributes and stray text are ignored, and an
    unterminated quote gives no title. The title is plain text, escaped when rendered.
    """
    language = ""
    rest = info.strip()
    words = rest.split(None, 1)
    if words and "=" not in words[0]:
        if _LANGUAGE_RE.fullmatch(words[0]):
            language = words[0]
        rest = words[1] if len(words) > 1 else ""
    title = ""
    for attribute in _FENCE_ATTRIBUTE_RE.finditer(rest):
        if attribute["name"].lower() == "title":
            value = attribute["dq"] if attribute["dq"] is not None else attribute["sq"]
            if value is None:
                value = attribute["bare"]
            title = " ".join(value.split())
            break
    return language, title


@lru_cache(maxsize=128)
def _lexer_class(language: str):
    try:
        return find_lexer_class_by_name(language.lower())
    except ClassNotFound:
        return None


# Formatting only reads the formatter's options (its span cache fills idempotently), so one
# instance serves every thread.
_FORMATTER = HtmlFormatter(nowrap=True)
# Lexing dominates rendering time (about 60 µs a line of Python); the admin preview re-renders the
# whole lesson on every keystroke, so blocks are cached, the large ones excepted.
_CACHED_CODE_CHARS = 16_000


def _highlight(code: str, language: str) -> str:
    lexer_class = _lexer_class(language) if language else None
    if lexer_class is not None:
        try:
            return highlight(code, lexer_class(stripnl=False), _FORMATTER)
        except Exception:
            logger.warning(
                "Pygments failed on a %s block; showing it plain.", language, exc_info=True
            )
    return html.escape(code, quote=False) + "\n"


def _render_code_fence(fence: CodeFence) -> str:
    if len(fence.code) > _CACHED_CODE_CHARS:
        return _render_code_fence_uncached(fence)
    return _render_code_fence_cached(fence)


def _render_code_fence_uncached(fence: CodeFence) -> str:
    language, title = parse_fence_info(fence.info)
    caption = []
    if title:
        caption.append(f'<span class="code-title">{html.escape(title)}</span>')
    if language:
        caption.append(f'<span class="code-lang">{html.escape(language)}</span>')
    figcaption = (
        f'<figcaption class="code-caption">{" · ".join(caption)}</figcaption>' if caption else ""
    )
    return (
        f'<figure class="code-block">{figcaption}<div class="highlight"><pre tabindex="0"><code>'
        f"{_highlight(fence.code, language)}</code></pre></div></figure>"
    )


_render_code_fence_cached = lru_cache(maxsize=256)(_render_code_fence_uncached)


class _CodeFencePreprocessor(Preprocessor):
    """Replace each fenced block by a marker line holding its rendered HTML.

    It runs before Python-Markdown's whitespace normalisation so tabs in code survive (a Makefile
    copied from a lesson must still work); that normalisation strips the STX/ETX characters of
    stash placeholders, so the markers become placeholders only afterwards.
    """

    def __init__(self, md, extension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines):
        self.extension.pending = {}
        nonce = secrets.token_hex(8)
        output = []
        for part in split_code_fences("\n".join(lines)):
            if isinstance(part, str):
                output.append(part)
                continue
            marker = f"stream-code-fence-{nonce}-{len(self.extension.pending)}"
            self.extension.pending[marker] = _render_code_fence(part)
            output.extend(["", marker, ""])
        return output


class _CodeFenceStashPreprocessor(Preprocessor):
    def __init__(self, md, extension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines):
        pending = self.extension.pending
        if not pending:
            return lines
        return [
            self.md.htmlStash.store(pending[line]) if line in pending else line for line in lines
        ]


class _FocusablePreTreeprocessor(Treeprocessor):
    """Make indented code blocks focusable like fenced ones: a block wider than the page scrolls,
    and a keyboard user can only scroll what takes focus (axe: scrollable-region-focusable)."""

    def run(self, root):
        for pre in root.iter("pre"):
            pre.set("tabindex", "0")


class _ScrollingTableTreeprocessor(Treeprocessor):
    """Put every table in a focusable ``div.table-scroll``, so that a table wider than a phone
    scrolls sideways (its words stay whole) and a keyboard user can scroll it too.

    The wrapper is named by the heading of the section it is in, when there is one: the stored
    HTML is shared by every language, so it carries no text of its own. Runs after the toc
    extension has given headings their ids.
    """

    def run(self, root):
        self.heading_id = None
        self._wrap_tables(root)

    def _wrap_tables(self, parent):
        for index, child in enumerate(list(parent)):
            if child.tag in {"h2", "h3", "h4", "h5", "h6"} and child.get("id"):
                self.heading_id = child.get("id")
            if child.tag != "table":
                self._wrap_tables(child)
                continue
            wrapper = etree.Element(
                "div", {"class": "table-scroll", "tabindex": "0", "role": "group"}
            )
            if self.heading_id:
                wrapper.set("aria-labelledby", self.heading_id)
            wrapper.tail, child.tail = child.tail, None
            parent.remove(child)
            wrapper.append(child)
            parent.insert(index, wrapper)


class _BlocksExtension(Extension):
    """What both profiles add to Python-Markdown: titled, highlighted code fences, focusable
    ``pre`` blocks, tables that scroll sideways, and the guard against bracket floods."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API)
        self.pending = {}
        md.registerExtension(self)
        md.preprocessors.register(_CodeFencePreprocessor(md, self), "stream_code_fence", 35)
        md.preprocessors.register(_CodeFenceStashPreprocessor(md, self), "stream_code_stash", 29)
        md.treeprocessors.register(_BracketFloodTreeprocessor(md), "stream_bracket_flood", 21)
        md.treeprocessors.register(_FocusablePreTreeprocessor(md), "stream_focusable_pre", 3)
        md.treeprocessors.register(_ScrollingTableTreeprocessor(md), "stream_table_scroll", 2)

    def reset(self):
        self.pending = {}


# --- Bracket floods ----------------------------------------------------------------------------

_MAX_BRACKETS_PER_TEXT = 100
_BRACKET_OR_ESCAPE_RE = re.compile(r"\\.|\[", re.DOTALL)


def _escape_bracket(match: re.Match) -> str:
    return "\\[" if match[0] == "[" else match[0]


class _BracketFloodTreeprocessor(Treeprocessor):
    """Escape every ``[`` of a text that holds more of them than any real paragraph does.

    For each ``[`` it cannot close, Python-Markdown scans to the end of the text, so 4,000 of them
    take seconds (https://github.com/Python-Markdown/markdown/issues/798, open). Escaped, they
    render as literal brackets in linear time. Runs just before inline parsing.
    """

    def run(self, root):
        for element in root.iter():
            for field in ("text", "tail"):
                value = getattr(element, field)
                if (
                    value
                    and not isinstance(value, AtomicString)
                    and value.count("[") > _MAX_BRACKETS_PER_TEXT
                ):
                    setattr(element, field, _BRACKET_OR_ESCAPE_RE.sub(_escape_bracket, value))


# --- Headings ----------------------------------------------------------------------------------


class _HeadingTreeprocessor(Treeprocessor):
    """Keep ``h1`` for the page (an ``h1`` in a lesson becomes ``h2``) and link h2–h4 to
    themselves. Runs after the toc extension has given every heading a unique id. The anchor
    carries no text to translate: the stored HTML is shared by every language."""

    def run(self, root):
        headings = [element for element in root.iter() if element.tag in {"h1", "h2", "h3", "h4"}]
        for heading in headings:
            if heading.tag == "h1":
                heading.tag = "h2"
            heading_id = heading.get("id")
            if heading_id:
                anchor = etree.SubElement(
                    heading,
                    "a",
                    {
                        "class": "heading-anchor",
                        "href": f"#{heading_id}",
                        "aria-hidden": "true",
                        "tabindex": "-1",
                    },
                )
                anchor.text = "#"


class _HeadingAnchorExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API)
        md.treeprocessors.register(_HeadingTreeprocessor(md), "stream_heading_anchor", 4)


# --- Images in comments ----------------------------------------------------------------------


def _image_as_link(processor_class):
    """A Python-Markdown image processor that outputs a link to the image instead."""

    class ImageAsLinkProcessor(processor_class):
        def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's API)
            element, start, end = super().handleMatch(m, data)
            if element is None:
                return element, start, end
            link = etree.Element("a", {"href": element.get("src", "")})
            link.text = element.get("alt") or element.get("src", "")
            return link, start, end

    return ImageAsLinkProcessor


# --- Sanitising --------------------------------------------------------------------------------

URL_SCHEMES = frozenset({"http", "https", "mailto"})

_COMMON_TAGS = frozenset(
    {
        "p", "br", "hr", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
        "em", "strong", "b", "i", "del", "s", "ins", "mark", "kbd", "abbr", "sup", "sub",
        "code", "pre", "span", "div", "figure", "figcaption",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td",
        "a", "details", "summary",
    }
)  # fmt: skip
LESSON_TAGS = _COMMON_TAGS | {"img", "h2", "h3", "h4", "h5", "h6"}
COMMENT_TAGS = _COMMON_TAGS

_COMMON_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
LESSON_ATTRIBUTES = {
    **_COMMON_ATTRIBUTES,
    "img": {"src", "alt", "title"},
    "div": {"aria-labelledby"},  # a scrolling table's name: the id of its section's heading
    **{f"h{level}": {"id"} for level in range(2, 7)},
}
COMMENT_ATTRIBUTES = _COMMON_ATTRIBUTES

_TABLE_ALIGN = {"align": {"left", "center", "right"}}
_COMMON_ATTRIBUTE_VALUES = {
    "pre": {"tabindex": {"0"}},
    "div": {"tabindex": {"0"}, "role": {"group"}},
    "th": _TABLE_ALIGN,
    "td": _TABLE_ALIGN,
}
LESSON_ATTRIBUTE_VALUES = {
    **_COMMON_ATTRIBUTE_VALUES,
    "a": {"aria-hidden": {"true"}, "tabindex": {"-1"}},
}
COMMENT_ATTRIBUTE_VALUES = _COMMON_ATTRIBUTE_VALUES

_PYGMENTS_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name)
_COMMON_CLASSES = {
    "figure": {"code-block"},
    "figcaption": {"code-caption"},
    "div": {"highlight", "table-scroll"},
    "span": {"code-title", "code-lang", *_PYGMENTS_CLASSES},
}
LESSON_CLASSES = {**_COMMON_CLASSES, "a": {"heading-anchor"}}
COMMENT_CLASSES = _COMMON_CLASSES

# Dropped together with their content, not just unwrapped to text.
_CLEAN_CONTENT_TAGS = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "textarea", "title",
     "xmp", "noembed", "noframes", "svg", "math"}
)  # fmt: skip

_URL_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f]+")


def _attribute_filter(allowed_classes: dict[str, set[str]]):
    """nh3's per-attribute hook, for what its allow-lists leave.

    * A URL whose scheme is only hidden by spaces or control characters is dropped: nh3
      already refuses ``java\tscript:``, and this refuses ``java    script:`` too (Markdown turns
      tabs into spaces), which browsers would read as a harmless relative URL, so nothing in the
      output even looks like a script URL.
    * A class attribute with no allowed class is dropped instead of being left as ``class=""``
      (``allowed_classes`` trims the others afterwards).
    """

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute in {"href", "src"}:
            scheme = _URL_SCHEME_RE.match(_URL_NOISE_RE.sub("", value))
            if scheme is not None and scheme[1].lower() not in URL_SCHEMES:
                return None
        elif attribute == "class" and allowed_classes.get(tag, set()).isdisjoint(value.split()):
            return None
        return value

    return attribute_filter


def _cleaner(*, tags, attributes, attribute_values, classes, link_rel) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(tags),
        clean_content_tags=set(_CLEAN_CONTENT_TAGS),
        attributes=attributes,
        tag_attribute_values=attribute_values,
        allowed_classes=classes,
        url_schemes=set(URL_SCHEMES),
        link_rel=link_rel,
        attribute_filter=_attribute_filter(classes),
        strip_comments=True,
    )


_lesson_cleaner = _cleaner(
    tags=LESSON_TAGS,
    attributes=LESSON_ATTRIBUTES,
    attribute_values=LESSON_ATTRIBUTE_VALUES,
    classes=LESSON_CLASSES,
    link_rel=None,  # added below, to external links only
)
_comment_cleaner = _cleaner(
    tags=COMMENT_TAGS,
    attributes=COMMENT_ATTRIBUTES,
    attribute_values=COMMENT_ATTRIBUTE_VALUES,
    classes=COMMENT_CLASSES,
    link_rel="nofollow ugc noopener",
)

# nh3 serialises every attribute double-quoted with '"' escaped, so a start tag is matched
# exactly by this, even when a value holds '>'.
_A_START_TAG_RE = re.compile(r"""<a((?:\s+[^\s"'>/=]+(?:="[^"]*")?)*)\s*>""")
_HREF_RE = re.compile(r'\shref="([^"]*)"')
_EXTERNAL_URL_RE = re.compile(r"(?:https?:|[/\\]{2})", re.IGNORECASE)
_URL_IGNORED_RE = re.compile(r"[\t\n\r]")
_URL_STRIPPED = "".join(chr(code) for code in range(0x21))


def _is_external(url: str) -> bool:
    url = _URL_IGNORED_RE.sub("", html.unescape(url)).strip(_URL_STRIPPED)
    return _EXTERNAL_URL_RE.match(url) is not None


def _add_external_rel(fragment: str) -> str:
    def add_rel(match):
        href = _HREF_RE.search(match[1])
        if href is None or not _is_external(href[1]):
            return match[0]
        return f'<a{match[1]} rel="noopener noreferrer">'

    return _A_START_TAG_RE.sub(add_rel, fragment)


# --- Profiles ----------------------------------------------------------------------------------


def _lesson_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        output_format="html",
        extensions=[
            _BlocksExtension(),
            TableExtension(use_align_attribute=True),
            TocExtension(slugify=slugify_unicode, marker=""),
            _HeadingAnchorExtension(),
        ],
    )


def _comment_markdown() -> markdown.Markdown:
    md = markdown.Markdown(
        output_format="html",
        extensions=[_BlocksExtension(), TableExtension(use_align_attribute=True)],
    )
    # Raw HTML stays text (escaped when serialised), "# x" stays a paragraph, and "![alt](src)"
    # becomes a link to the image (no <img> would survive the allow-list anyway).
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    images = [
        (ImageInlineProcessor, IMAGE_LINK_RE, "image_link", 150),
        (ImageReferenceInlineProcessor, IMAGE_REFERENCE_RE, "image_reference", 140),
        (ShortImageReferenceInlineProcessor, IMAGE_REFERENCE_RE, "short_image_ref", 125),
    ]
    for processor_class, pattern, name, priority in images:
        md.inlinePatterns.register(_image_as_link(processor_class)(pattern, md), name, priority)
    for name in ("hashheader", "setextheader"):
        md.parser.blockprocessors.deregister(name)
    return md


@dataclass(frozen=True)
class _Profile:
    name: str
    build: Callable[[], markdown.Markdown]
    cleaner: nh3.Cleaner
    marks_external_links: bool


_LESSON = _Profile("lesson", _lesson_markdown, _lesson_cleaner, marks_external_links=True)
_COMMENT = _Profile("comment", _comment_markdown, _comment_cleaner, marks_external_links=False)

# Python-Markdown instances are not thread-safe; each thread keeps one per profile.
_local = threading.local()
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _markdown_to_html(profile: _Profile, text: str) -> str:
    md = getattr(_local, profile.name, None)
    if md is None:
        md = profile.build()
        setattr(_local, profile.name, md)
    md.reset()
    try:
        return md.convert(text)
    except BaseException:
        # An instance interrupted mid-conversion is not trusted again.
        setattr(_local, profile.name, None)
        raise


def _render(profile: _Profile, text: str) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _SURROGATE_RE.sub("\ufffd", text)  # nh3 only takes valid UTF-8
    try:
        rendered = _markdown_to_html(profile, text)
    except Exception:
        logger.exception("Markdown rendering failed; showing the %s source as text.", profile.name)
        rendered = f'<pre tabindex="0">{html.escape(text, quote=False)}</pre>'
    cleaned = profile.cleaner.clean(rendered)
    return _add_external_rel(cleaned) if profile.marks_external_links else cleaned


def render_lesson_markdown(text: str) -> str:
    """Render a lesson's body or exercise (and the admin's live preview) to safe HTML.

    Instructors' raw HTML keeps only the allowed subset; headings get unique ids (Korean text
    included) and h2–h4 an anchor link; every fenced block becomes a ``figure.code-block``.
    The result is what pages store and show, unescaped.
    """
    return _render(_LESSON, text)


def render_comment_markdown(text: str) -> str:
    """Render a learner's comment to safe HTML: like a lesson, but raw HTML is shown as text,
    headings stay paragraphs, images are not rendered and every link gets
    ``rel="nofollow ugc noopener"``."""
    return _render(_COMMENT, text)
