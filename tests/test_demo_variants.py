"""The demo's English variants: the llama lesson and the whole dense-families course."""

from pathlib import Path

import pytest
from django.test import Client

from lessons.lesson_files import lessons_import
from lessons.models import Lesson, LessonVariant

DEMO_CONTENT = Path(__file__).resolve().parents[1] / "config" / "demo_content"

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return lessons_import(directory=DEMO_CONTENT)


def test_every_lesson_of_dense_families_has_an_english_variant(demo):
    lessons = Lesson.objects.filter(course__slug="dense-families")
    assert lessons.count() == 5
    assert set(
        LessonVariant.objects.filter(lesson__in=lessons).values_list("lesson__slug", "language")
    ) == {(lesson.slug, "en") for lesson in lessons}
    assert {change.action for change in demo.variants} == {"created"}


def test_the_language_switch_shows_the_english_llama_lesson(demo):
    korean = Client().get("/courses/dense-families/llama/").content.decode()
    english = Client().get("/en/courses/dense-families/llama/").content.decode()

    assert "LLaMA 패밀리 — 시대의 open-weight backbone" in korean
    assert 'hreflang="en" href="/en/courses/dense-families/llama/"' in korean
    assert "The LLaMA family — the open-weight backbone of its era" in english
    assert "Why Llama matters out of all proportion" in english
    assert "The Llama 3 dense line-up at a glance" in english  # the code block's caption
    assert ">meta-llama/llama-models — model cards from Llama 3.1 to Llama 4<" in english
    assert "Translated from 한국어." in english


def test_a_lesson_of_another_course_shows_its_korean_text_with_a_notice_in_english(demo):
    english = Client().get("/en/courses/tokenization/bpe/").content.decode()

    assert "This lesson has no English version yet" in english
    assert '<div class="lesson-body prose" lang="ko">' in english


def test_the_english_course_page_reads_in_english(demo):
    english = Client().get("/en/courses/dense-families/").content.decode()
    korean = Client().get("/courses/dense-families/").content.decode()
    lesson = Client().get("/en/courses/dense-families/llama/").content.decode()

    assert '<h1 id="course-title">Dense model families' in english
    assert "the backbone of today&#x27;s open-weight ecosystem" in english
    assert '<h1 id="course-title">Dense 모델 패밀리' in korean
    assert '<a href="/en/courses/dense-families/">Dense model families</a>' in lesson
