"""Reading-time estimate: minutes = max(1, round(W/220 + C/500 + L/12)) by default."""

import pytest

from lessons.reading import ReadingCounts, count_reading_units, estimate_reading_minutes


def _stream_settings(settings, **values):
    settings.STREAM = {**(getattr(settings, "STREAM", None) or {}), **values}


def test_pure_english_is_read_at_220_words_a_minute():
    text = "# Dense models\n\n" + "Llama uses grouped query attention everywhere. " * 88

    assert count_reading_units(text) == ReadingCounts(
        words=2 + 88 * 6, cjk_characters=0, code_lines=0
    )
    assert estimate_reading_minutes(text) == 2  # 530 / 220 = 2.41


def test_pure_korean_is_read_at_500_characters_a_minute():
    text = "## 왜 중요한가\n\n" + "라마는 비례 이상으로 중요하다. " * 100  # 13 syllables each

    assert count_reading_units(text) == ReadingCounts(
        words=0, cjk_characters=5 + 1300, code_lines=0
    )
    assert estimate_reading_minutes(text) == 3  # 1305 / 500 = 2.61


def test_mixed_korean_and_english_counts_each_script_its_own_way():
    # "GQA는" is one word and one character; digits are words too.
    counts = count_reading_units("Llama 3 는 GQA는 RoPE 를 쓴다.")

    assert counts == ReadingCounts(words=4, cjk_characters=5, code_lines=0)


def test_mixed_text_adds_the_two_rates_and_rounds_half_to_even():
    english = "word " * 330  # 1.5 minutes
    korean = "가" * 500  # 1 minute

    assert estimate_reading_minutes(english + korean) == 2  # round(2.5) == 2
    assert estimate_reading_minutes(english + korean + "가" * 250) == 3  # round(3.0)


def test_other_cjk_scripts_count_as_characters():
    counts = count_reading_units("日本語のテキストとカタカナ 中文")

    assert counts == ReadingCounts(words=0, cjk_characters=15, code_lines=0)


def test_code_is_read_in_lines_and_its_words_do_not_count():
    code = "\n".join(f"layer_{i} = Block(d_model=4096)" for i in range(48))
    text = f'Intro words here.\n\n```python title="Layers"\n{code}\n\n\n```\n\n~~~\nx = 1\n~~~'

    assert count_reading_units(text) == ReadingCounts(words=3, cjk_characters=0, code_lines=49)
    assert estimate_reading_minutes(text) == 4  # 3/220 + 49/12 = 4.10


def test_unclosed_fence_counts_as_code_to_the_end():
    assert count_reading_units("Text\n```\na\nb\n").code_lines == 2


def test_markdown_syntax_link_targets_and_html_are_not_words():
    text = (
        "# Title\n\n* one | two |\n|---|---|\n"
        '[the card](https://huggingface.co/meta-llama/Llama-3-8B "Model card") '
        '<span class="note">note</span> <https://example.com/a/b> ![alt](/media/x.png)\n\n'
        "<!-- hidden words here -->\n"
        "[ref]: https://example.com/reference/path"
    )

    assert count_reading_units(text) == ReadingCounts(words=7, cjk_characters=0, code_lines=0)


@pytest.mark.parametrize("text", ["", "   \n\n", "# ", "```\n```", None])
def test_empty_text_takes_one_minute(text):
    assert estimate_reading_minutes(text) == 1


def test_the_three_rates_come_from_settings_at_call_time(settings):
    text = "word " * 440 + "가" * 500 + "\n\n```\n" + "x\n" * 24 + "```"
    assert estimate_reading_minutes(text) == 5  # 2 + 1 + 2

    _stream_settings(settings, READING_WORDS_PER_MINUTE=110)
    assert estimate_reading_minutes(text) == 7  # 4 + 1 + 2

    _stream_settings(settings, READING_CJK_CHARS_PER_MINUTE=250)
    assert estimate_reading_minutes(text) == 8  # 4 + 2 + 2

    _stream_settings(settings, READING_CODE_LINES_PER_MINUTE=24)
    assert estimate_reading_minutes(text) == 7  # 4 + 2 + 1
