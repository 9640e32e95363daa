"""Problem reports on a lesson read in a variant: the report records the text read."""

import pytest
from django.test import Client

from comments.models import ProblemReport
from comments.selectors import lesson_sections
from tests.factories import CourseFactory, LessonFactory, LessonVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant():
    lesson = LessonFactory(
        course=CourseFactory(slug="c"), slug="l", body="## 개요\n\n본문.\n", position=1
    )
    variant = LessonVariantFactory(lesson=lesson, body="## Overview\n\nText.\n")
    variant.body = "## Overview\n\nBetter text.\n"
    variant.save()  # revision 2, while the lesson is at 1
    return variant


def post_report(lesson_id, **data):
    body = {"kind": "content", "message": "A typo.", **data}
    return Client().post(
        f"/api/v1/lessons/{lesson_id}/reports/", body, content_type="application/json"
    )


def test_a_report_from_the_english_page_records_the_english_text_and_its_revision(variant):
    [(anchor, _text)] = lesson_sections(lesson=variant)

    response = post_report(variant.lesson_id, language="en", section=anchor)

    assert response.status_code == 201
    saved = ProblemReport.objects.get()
    assert (saved.language, saved.lesson_revision, saved.section) == ("en", 2, anchor)
    assert saved.lesson_updated_at == variant.content_updated_at


def test_a_report_from_the_korean_page_records_the_original(variant):
    [(english_anchor, _text)] = lesson_sections(lesson=variant)
    [(korean_anchor, _text)] = lesson_sections(lesson=variant.lesson)

    # an English heading is not a section of the Korean text
    assert post_report(variant.lesson_id, language="ko", section=english_anchor).status_code == 400
    assert post_report(variant.lesson_id, language="ko", section=korean_anchor).status_code == 201

    saved = ProblemReport.objects.get()
    assert (saved.language, saved.lesson_revision) == ("ko", 1)


def test_a_language_without_a_variant_records_the_original(variant):
    assert post_report(variant.lesson_id, language="fr").status_code == 201
    assert ProblemReport.objects.get().language == "ko"


def test_the_english_pages_report_form_offers_the_english_sections(variant):
    html = Client().get("/en/courses/c/l/").content.decode()

    assert '<input type="hidden" name="language" value="en">' in html
    assert ">Overview</option>" in html
    assert ">개요</option>" not in html


def test_without_javascript_the_report_records_the_page_language(variant):
    [(anchor, _text)] = lesson_sections(lesson=variant)
    url = f"/en/comments/lessons/{variant.lesson_id}/report/"
    assert ">Overview</option>" in Client().get(url).content.decode()

    response = Client().post(
        url, {"kind": "content", "message": "A typo.", "section": anchor, "language": "en"}
    )

    assert response.status_code == 200
    assert ProblemReport.objects.get().language == "en"
