"""Reading-time estimate for a lesson's Markdown.

Prose and code are read at different speeds, and Korean (or Chinese, Japanese) text is read per
character rather than per word, so the estimate counts three things separately:

* L: non-empty lines inside fenced code blocks (found as the renderer finds them);
* C: CJK characters in the prose (Hangul syllables and jamo, CJK ideographs, Hiragana, Katakana);
* W: words in the prose, a word being a maximal run of letters or digits with no CJK character
  in it, after link targets, reference definitions and inline HTML tags are removed.

minutes = max(1, round(W / words per minute + C / CJK characters per minute + L / code lines per
minute)), with the three rates read from ``STREAM`` at call time. Demo content is sized by this
exact formula, so change it only together with that content.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .conf import lessons_settings
from .markdown import CodeFence, split_code_fences

_CJK_RANGES = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3040-\u309f"  # Hiragana
    "\u30a0-\u30ff"  # Katakana
    "\u3130-\u318f"  # Hangul Compatibility Jamo
    "\u31f0-\u31ff"  # Katakana Phonetic Extensions
    "\u3400-\u4dbf"  # CJK Unified Ideographs Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\ua960-\ua97f"  # Hangul Jamo Extended-A
    "\uac00-\ud7a3"  # Hangul Syllables
    "\ud7b0-\ud7ff"  # Hangul Jamo Extended-B
    "\uf900-\ufaff"  # CJK Compatibility Ideographs
    "\uff66-\uff9f"  # Halfwidth Katakana
    "\uffa0-\uffdc"  # Halfwidth Hangul
    "\U00020000-\U0003134f"  # CJK Unified Ideographs Extensions B to G
)
_CJK_RE = re.compile(f"[{_CJK_RANGES}]")
_WORD_RE = re.compile(r"[^\W_]+")
_LINK_TARGET_RE = re.compile(r"\]\([^)]*\)")
_REFERENCE_DEFINITION_RE = re.compile(r"^ {0,3}\[[^\]]+\]:.*$", re.MULTILINE)
_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")


class ReadingCounts(NamedTuple):
    words: int
    cjk_characters: int
    code_lines: int


def count_reading_units(markdown_text: str) -> ReadingCounts:
    """Count the words, CJK characters and code lines the estimate is made of."""
    prose_lines = []
    code_lines = 0
    for part in split_code_fences(markdown_text or ""):
        if isinstance(part, CodeFence):
            code_lines += sum(1 for line in part.code.split("\n") if line.strip())
        else:
            prose_lines.append(part)
    prose = "\n".join(prose_lines)
    prose = _HTML_COMMENT_RE.sub(" ", prose)
    prose = _REFERENCE_DEFINITION_RE.sub(" ", prose)
    prose = _LINK_TARGET_RE.sub("] ", prose)
    prose = _HTML_TAG_RE.sub(" ", prose)
    cjk_characters = len(_CJK_RE.findall(prose))
    words = len(_WORD_RE.findall(_CJK_RE.sub(" ", prose)))
    return ReadingCounts(words=words, cjk_characters=cjk_characters, code_lines=code_lines)


def estimate_reading_minutes(markdown_text: str) -> int:
    """Estimated minutes to read a lesson's Markdown, at least 1 (see the module docstring)."""
    counts = count_reading_units(markdown_text)
    minutes = (
        counts.words / lessons_settings.READING_WORDS_PER_MINUTE
        + counts.cjk_characters / lessons_settings.READING_CJK_CHARS_PER_MINUTE
        + counts.code_lines / lessons_settings.READING_CODE_LINES_PER_MINUTE
    )
    return max(1, round(minutes))
