"""The Markdown pipeline as lesson pages, the admin preview and comments see it."""

import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest

import lessons
from lessons.markdown import parse_fence_info, render_comment_markdown, render_lesson_markdown

PYGMENTS_CSS = Path(lessons.__file__).parent / "static" / "stream" / "lessons" / "pygments.css"


class _Elements(HTMLParser):
    """Start tags of a fragment as (tag, attributes dict, text up to the next tag)."""

    def __init__(self, fragment):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def of(self, tag):
        return [attrs for name, attrs in self.elements if name == tag]


def _text(fragment):
    return re.sub(r"<[^>]+>", "", fragment)


# --- Headings ----------------------------------------------------------------------------------


def test_korean_heading_gets_a_readable_id_and_an_anchor_to_it():
    rendered = render_lesson_markdown("## 왜 Llama 가 비례 이상으로 중요해\n\nText.")

    heading = _Elements(rendered).of("h2")[0]
    anchor = _Elements(rendered).of("a")[0]
    assert heading["id"] == "왜-llama-가-비례-이상으로-중요해"
    assert anchor == {
        "class": "heading-anchor",
        "href": "#왜-llama-가-비례-이상으로-중요해",
        "aria-hidden": "true",
        "tabindex": "-1",
    }
    assert _text(rendered).startswith("왜 Llama 가 비례 이상으로 중요해#")


def test_duplicate_and_empty_headings_get_unique_non_empty_ids():
    rendered = render_lesson_markdown("## Llama 3\n\n## Llama 3\n\n### Llama 3\n\n## !!!\n\n## ???")

    ids = [attrs["id"] for tag, attrs in _Elements(rendered).elements if tag in {"h2", "h3"}]
    assert len(ids) == 5
    assert all(ids)
    assert len(set(ids)) == 5
    hrefs = [attrs["href"] for attrs in _Elements(rendered).of("a")]
    assert hrefs == [f"#{heading_id}" for heading_id in ids]


def test_h2_to_h4_get_anchors_h5_only_an_id_and_h1_becomes_h2():
    rendered = render_lesson_markdown("# Top\n\n#### Four\n\n##### Five")

    assert "<h1" not in rendered
    assert _Elements(rendered).of("h2")[0]["id"] == "top"
    assert [attrs["href"] for attrs in _Elements(rendered).of("a")] == ["#top", "#four"]
    assert _Elements(rendered).of("h5") == [{"id": "five"}]


# --- Code blocks -------------------------------------------------------------------------------


LLAMA_BLOCK = """```python title="Llama 3 dense 라인업 한눈에"
LLAMA3 = [
    ("Llama 3 8B", 8.0, 32, 4096, 8192, "GQA"),
]
```"""


def test_titled_fence_renders_a_figure_with_title_and_language_caption():
    rendered = render_lesson_markdown(LLAMA_BLOCK)

    assert rendered.startswith(
        '<figure class="code-block"><figcaption class="code-caption">'
        '<span class="code-title">Llama 3 dense 라인업 한눈에</span> · '
        '<span class="code-lang">python</span></figcaption>'
        '<div class="highlight"><pre tabindex="0"><code>'
    )
    assert rendered.endswith("</code></pre></div></figure>")
    caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", rendered)[1]
    assert _text(caption) == "Llama 3 dense 라인업 한눈에 · python"


def test_code_is_highlighted_with_classes_only():
    rendered = render_lesson_markdown(LLAMA_BLOCK)

    spans = _Elements(rendered).of("span")
    token_classes = {attrs["class"] for attrs in spans} - {"code-title", "code-lang"}
    assert {"n", "o", "s2", "mf", "mi"} <= token_classes
    assert "style=" not in rendered
    assert '<span class="s2">"Llama 3 8B"</span>' in rendered


@pytest.mark.parametrize(
    ("fence", "caption"),
    [
        ("```python title='작은 따옴표'", "작은 따옴표 · python"),
        ("```python", "python"),
        ('``` title="Title only"', "Title only"),
        ("~~~~ js title=bare-word", "bare-word · js"),
        ("```cobol-but-not-really", "cobol-but-not-really"),
    ],
)
def test_caption_shows_what_the_fence_names(fence, caption):
    rendered = render_lesson_markdown(f"{fence}\nx = 1\n{fence[:3]}")

    assert _text(re.search(r"<figcaption[^>]*>(.*?)</figcaption>", rendered)[1]) == caption


def test_bare_fence_is_a_figure_without_caption_and_with_escaped_code():
    rendered = render_lesson_markdown("```\n<b>not bold</b> & co\n```")

    assert rendered == (
        '<figure class="code-block"><div class="highlight"><pre tabindex="0"><code>'
        "&lt;b&gt;not bold&lt;/b&gt; &amp; co\n</code></pre></div></figure>"
    )


def test_unknown_language_shows_plain_escaped_code():
    rendered = render_lesson_markdown("```no-such-language\nif a < b: pass\n```")

    assert '<pre tabindex="0"><code>if a &lt; b: pass\n</code></pre>' in rendered
    assert '<span class="code-lang">no-such-language</span>' in rendered


def test_every_fenced_block_is_its_own_figure_and_prose_around_them_stays():
    rendered = render_lesson_markdown(
        "Before\n```python\na = 1\n```\nBetween\n\n~~~\nplain\n~~~\n\n    indented code\n\nAfter"
    )

    assert rendered.count('<figure class="code-block">') == 2
    assert "<p>Before</p>" in rendered
    assert "<p>Between</p>" in rendered
    assert "<p>After</p>" in rendered


def test_code_blocks_take_keyboard_focus_so_they_can_be_scrolled():
    rendered = render_comment_markdown("```python\nx = 1\n```\n\n    indented = True")

    assert [attrs for attrs in _Elements(rendered).of("pre")] == [{"tabindex": "0"}] * 2


def test_tabs_in_code_survive_for_copying():
    rendered = render_lesson_markdown("```make\nall:\n\tpython -m pytest\n```")

    assert "\t" in rendered


def test_unclosed_fence_runs_to_the_end_of_the_text():
    rendered = render_lesson_markdown("```python\nprint('hi')\n\n## not a heading")

    assert "<h2" not in rendered
    assert rendered.count("<figure") == 1


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ('python title="Llama 3 dense 라인업 한눈에"', ("python", "Llama 3 dense 라인업 한눈에")),
        ("python title='single'", ("python", "single")),
        ('python   title = "spaced"  ', ("python", "spaced")),
        ('python TITLE="Upper key"', ("python", "Upper key")),
        ('python title="x" onmouseover="alert(1)"', ("python", "x")),
        ('python data-x="title=no" title="yes"', ("python", "yes")),
        ('python title="a  \t b"', ("python", "a b")),
        ('python title="unterminated', ("python", "")),
        ('python title=""', ("python", "")),
        ('title="No language"', ("", "No language")),
        ('"><script>alert(1)</script>', ("", "")),
        ("c++", ("c++", "")),
        ("{.python}", ("", "")),
        ("", ("", "")),
    ],
)
def test_fence_info_parsing(info, expected):
    assert parse_fence_info(info) == expected


def test_fence_title_and_language_are_escaped():
    rendered = render_lesson_markdown("```py title='<b>bold</b> & \"q\"'\nx\n```")

    assert '<span class="code-title">&lt;b&gt;bold&lt;/b&gt; &amp; "q"</span>' in rendered


# --- Tables, links, raw HTML -------------------------------------------------------------------


def test_tables_render_with_alignment_as_attributes():
    rendered = render_lesson_markdown(
        "| model | params |\n|:---|---:|\n| Llama 3 8B | 8.0 |\n| Llama 3 70B | 70.6 |"
    )

    assert "<table>" in rendered
    assert '<th align="left">model</th>' in rendered
    assert '<td align="right">70.6</td>' in rendered
    assert "style" not in rendered


def test_a_table_sits_in_a_focusable_box_named_by_its_section_heading():
    # given a table under a heading, in a lesson and in a comment
    text = "## 비교\n\n| model | params |\n|---|---|\n| Llama 3 8B | 8.0 |\n\nAfter."

    # when rendered
    lesson = render_lesson_markdown(text)
    comment = render_comment_markdown(text)

    # then the table scrolls in its own box, which a keyboard user can reach; in a lesson the
    # box is named by the section's heading (comments have no heading ids)
    assert (
        '<div aria-labelledby="비교" class="table-scroll" role="group" tabindex="0"><table>'
        in lesson
    )
    assert "</table></div>\n<p>After.</p>" in lesson
    assert '<div class="table-scroll" role="group" tabindex="0"><table>' in comment


def test_a_table_before_any_heading_has_an_unnamed_box():
    rendered = render_lesson_markdown("| a |\n|---|\n| 1 |")

    assert rendered.startswith('<div class="table-scroll" role="group" tabindex="0"><table>')


def test_external_links_get_noopener_noreferrer_and_no_target():
    rendered = render_lesson_markdown(
        "[card](https://huggingface.co/meta-llama) [plain](HTTP://example.com) "
        "<https://example.org> [proto](//example.net/x)"
    )

    links = _Elements(rendered).of("a")
    assert len(links) == 4
    assert all(link["rel"] == "noopener noreferrer" for link in links)
    assert all("target" not in link for link in links)


def test_internal_links_get_no_rel():
    rendered = render_lesson_markdown(
        "[next](/courses/dense/llama/) [rel](../qwen/) [section](#code) [mail](mailto:a@b.org)"
    )

    links = _Elements(rendered).of("a")
    assert [link["href"] for link in links] == [
        "/courses/dense/llama/",
        "../qwen/",
        "#code",
        "mailto:a@b.org",
    ]
    assert all("rel" not in link for link in links)


def test_raw_html_links_have_their_rel_replaced():
    rendered = render_lesson_markdown(
        '<a href="https://e.org" rel="opener" target="_blank">x</a> <a href="/y" rel="me">y</a>'
    )

    assert '<a href="https://e.org" rel="noopener noreferrer">x</a>' in rendered
    assert '<a href="/y">y</a>' in rendered


def test_allowed_raw_html_survives_in_lessons():
    source = (
        "<details><summary>Hint</summary>\n\nPress <kbd>Ctrl</kbd>.\n</details>\n\n"
        "<p>E = mc<sup>2</sup>, H<sub>2</sub>O, <del>old</del> <ins>new</ins></p>\n\n"
        '<img src="/media/llama.png" alt="Llama" title="Llama">'
    )

    rendered = render_lesson_markdown(source)

    for fragment in [
        "<details><summary>Hint</summary>",
        "<kbd>Ctrl</kbd>",
        "<sup>2</sup>",
        "<sub>2</sub>",
        "<del>old</del>",
        "<ins>new</ins>",
        '<img src="/media/llama.png" alt="Llama" title="Llama">',
    ]:
        assert fragment in rendered


def test_disallowed_raw_html_is_stripped_in_lessons():
    source = (
        '<div style="color:red" class="warning" onclick="alert(1)">Warn</div>\n\n'
        "<iframe src='https://e.org'></iframe><script>alert(1)</script>\n\n"
        '<span class="k evil">kw</span> <h1>Big</h1> <input value="x">'
    )

    rendered = render_lesson_markdown(source)

    assert "<div>Warn</div>" in rendered
    assert '<span class="k">kw</span>' in rendered
    for gone in [
        "style",
        "warning",
        "onclick",
        "iframe",
        "script",
        "alert",
        "evil",
        "<h1",
        "input",
    ]:
        assert gone not in rendered


# --- Comments ----------------------------------------------------------------------------------


def test_comment_links_are_nofollow_ugc_noopener():
    rendered = render_comment_markdown("[mine](https://spam.example) and [local](/x)")

    rels = {link["rel"] for link in _Elements(rendered).of("a")}
    assert rels == {"nofollow ugc noopener"}


def test_comment_raw_html_is_shown_as_text():
    rendered = render_comment_markdown("I wrote <b>bold</b> and <script>alert(1)</script>")

    assert rendered == (
        "<p>I wrote &lt;b&gt;bold&lt;/b&gt; and &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


def test_comment_headings_stay_paragraphs():
    rendered = render_comment_markdown("# Big\n\nTitle\n=====\n\n## Also big")

    assert not re.search(r"<h\d", rendered)
    assert "<p># Big</p>" in rendered
    assert "<p>## Also big</p>" in rendered


def test_comment_images_become_links():
    rendered = render_comment_markdown("![a cat](https://e.org/cat.png) ![ref][c]\n\n[c]: /c.png")

    assert "<img" not in rendered
    assert '<a href="https://e.org/cat.png" rel="nofollow ugc noopener">a cat</a>' in rendered
    assert '<a href="/c.png" rel="nofollow ugc noopener">ref</a>' in rendered


def test_comment_code_is_highlighted_like_lessons():
    assert render_comment_markdown(LLAMA_BLOCK) == render_lesson_markdown(LLAMA_BLOCK)


# --- Robustness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source", ["", "   \n", "\ud800 lone surrogate", "nul\x00byte", "a\r\nb\rc", "\x02\x03"]
)
def test_odd_input_renders_without_error(source):
    for render in (render_lesson_markdown, render_comment_markdown):
        assert isinstance(render(source), str)


def test_markdown_failure_falls_back_to_escaped_source(monkeypatch, caplog):
    def explode(self, source):
        raise RecursionError("too deep")

    monkeypatch.setattr(markdown.Markdown, "convert", explode)

    with caplog.at_level(logging.ERROR, logger="lessons.markdown"):
        rendered = render_lesson_markdown("## <b>Hi</b>")

    assert rendered == '<pre tabindex="0">## &lt;b&gt;Hi&lt;/b&gt;</pre>'
    assert "Markdown rendering failed" in caplog.text


def test_a_bracket_flood_as_long_as_a_comment_may_be_renders_at_once():
    # Python-Markdown's link pattern grows faster than linearly on unclosed brackets (10,000
    # take ~0.1 s here, 40,000 ~5 s); a comment is at most COMMENTS_MAX_LENGTH (5,000). The
    # bound is twenty times what it takes, so a busy machine does not decide it.
    from comments.conf import comments_settings

    count = comments_settings.COMMENTS_MAX_LENGTH
    started = time.perf_counter()
    rendered = render_comment_markdown("[" * count)
    elapsed = time.perf_counter() - started

    assert rendered == "<p>" + "[" * count + "</p>"
    assert elapsed < 1.0


def test_renderers_give_the_same_output_from_many_threads():
    sources = [
        f"## Part {i}\n\n[x](https://e.org/{i})\n\n```python\nx = {i}\n```" for i in range(40)
    ]
    expected = [(render_lesson_markdown(s), render_comment_markdown(s)) for s in sources]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda s: (render_lesson_markdown(s), render_comment_markdown(s)), sources * 5)
        )

    assert results == expected * 5


# --- Pygments colours --------------------------------------------------------------------------


def _relative_luminance(hex_colour):
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(foreground, background):
    lighter, darker = sorted(
        [_relative_luminance(foreground), _relative_luminance(background)], reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def _css_rules(block):
    rules = {}
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", block):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip()] = value.strip()
        rules[" ".join(selector.split())] = declarations
    return rules


def _pygments_schemes():
    """(light rules, dark rules) of the shipped stylesheet, each {selector: {property: value}}."""
    css = re.sub(r"/\*.*?\*/", "", PYGMENTS_CSS.read_text(), flags=re.DOTALL)
    media = re.search(r"@media\s*\(prefers-color-scheme:\s*dark\)\s*\{(.*)\}\s*$", css, re.DOTALL)
    assert media, "the dark scheme must sit in one @media (prefers-color-scheme: dark) block"
    return _css_rules(css[: media.start()]), _css_rules(media[1])


def _colour_pairs():
    """Every (scheme, selector, text colour, background) a reader can meet, cascade applied."""
    light, dark = _pygments_schemes()
    block = ".code-block .highlight"
    pairs = []
    for selector in sorted(set(light) | set(dark)):
        light_rule, dark_rule = light.get(selector, {}), dark.get(selector, {})
        light_colour = light_rule.get("color")
        dark_colour = dark_rule.get("color", light_colour)  # a light-only colour applies in dark
        if light_colour:
            background = light_rule.get("background-color", light[block]["background-color"])
            pairs.append(("light", selector, light_colour, background))
        if dark_colour:
            background = dark_rule.get(
                "background-color",
                light_rule.get("background-color", dark[block]["background-color"]),
            )
            pairs.append(("dark", selector, dark_colour, background))
    return pairs


def test_pygments_css_is_scoped_and_gives_both_schemes_a_background_and_text_colour():
    light, dark = _pygments_schemes()

    for rules in (light, dark):
        assert all(selector.startswith(".code-block .highlight") for selector in rules)
        assert {"background-color", "color"} <= set(rules[".code-block .highlight"])
    assert all(
        re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", colour)
        for _, _, colour, background in _colour_pairs()
        for colour in (colour, background)
    )


def test_every_token_colour_meets_wcag_aa_against_its_background():
    pairs = _colour_pairs()

    too_faint = [
        (scheme, selector, colour, background, round(_contrast(colour, background), 2))
        for scheme, selector, colour, background in pairs
        if _contrast(colour, background) < 4.5
    ]
    assert len(pairs) > 100
    assert too_faint == []
