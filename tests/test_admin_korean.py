"""Every admin page of the demo, in Korean: no English left where the staff read."""

import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from lessons.lesson_files import lessons_import
from lessons.models import ContentVersion, Lesson
from progress.services import definitions_load
from tests.factories import (
    CommentFactory,
    CommentFlagFactory,
    ProblemReportFactory,
    ReplySubscriptionFactory,
)

DEMO_CONTENT = Path(__file__).resolve().parents[1] / "config" / "demo_content"

# English an untranslated or Django-branded admin shows; more are added as they are fixed.
ENGLISH_LEFTOVERS = (
    "Django",
    "Reading minutes estimate",
    "Dry run seen",
    # Django's Korean for a view-only list's "Select %s to view"
    "보기위한",
)
# Words that are fine inside a sentence or a lesson's text, not as a label of their own.
ENGLISH_LABELS = ("published", "draft")

pytestmark = pytest.mark.django_db


def admin_pages(staff):
    """Each registered model's list and, where it has a row, that row's page."""
    request = RequestFactory().get(reverse("admin:index"))
    request.user = staff
    for app in admin.site.get_app_list(request):
        for model in app["models"]:
            yield model["admin_url"]
            row = model["model"]._default_manager.first()
            if row is not None:
                meta = row._meta
                try:  # a page of its own (the learner-data lookup) has no row pages
                    yield reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])
                except NoReverseMatch:
                    continue


def labels(html: str) -> set[str]:
    """The page's visible texts that stand on their own: a cell, an option, a filter link."""
    html = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", html, flags=re.S)
    return {unescape(text).strip() for text in re.split(r"<[^>]+>", html)} - {""}


def test_every_admin_page_reads_in_korean(client, staff):
    # given the demo's content and a little of everything staff moderate
    lessons_import(directory=DEMO_CONTENT)
    definitions_load(**yaml.safe_load((DEMO_CONTENT / "progress.yml").read_text()))
    lesson = Lesson.objects.first()
    CommentFlagFactory(comment=CommentFactory(lesson=lesson))
    ProblemReportFactory(lesson=lesson)
    ReplySubscriptionFactory(lesson=lesson)
    client.force_login(staff)

    # when staff open each list and page in Korean
    found = {}
    for url in [reverse("admin:index"), *admin_pages(staff)]:
        response = client.get(url, headers={"accept-language": "ko"})
        assert response.status_code == 200, url
        html = response.content.decode()
        found.update({(url, word): True for word in ENGLISH_LEFTOVERS if word in html})
        found.update({(url, word): True for word in ENGLISH_LABELS if word in labels(html)})

    # then none shows the English leftovers, and the admin carries the site's name
    assert list(found) == []
    assert (
        "<title>사이트 관리 | C.W.K. 관리</title>"
        in client.get(reverse("admin:index"), headers={"accept-language": "ko"}).content.decode()
    )


def test_lesson_status_reads_in_korean_in_lists_filters_and_forms(client, staff):
    # given a published course and a draft lesson in it
    lessons_import(directory=DEMO_CONTENT)
    lesson = Lesson.objects.first()
    lesson.status = "draft"
    lesson.save()
    client.force_login(staff)
    ko = {"accept-language": "ko"}

    # when staff open the lists, a filtered list and the forms
    course_list = client.get(reverse("admin:stream_lessons_course_changelist"), headers=ko)
    drafts = client.get(
        reverse("admin:stream_lessons_lesson_changelist"), {"status__exact": "draft"}, headers=ko
    )
    lesson_form = client.get(
        reverse("admin:stream_lessons_lesson_change", args=[lesson.pk]), headers=ko
    )
    figures = client.get(
        reverse("admin:stream_progress_lessoncompletionfigures_change", args=[lesson.pk]),
        headers=ko,
    )

    # then the status reads 게시됨/초안, and the filter keeps Django's address
    assert {"게시됨", "초안"} <= labels(course_list.content.decode())
    shown = list(drafts.context["cl"].queryset)
    assert lesson in shown and {row.status for row in shown} == {"draft"}
    assert '<a href="?status__exact=draft">초안</a>' in drafts.content.decode()
    html = lesson_form.content.decode()
    assert '<option value="draft" selected>초안</option>' in html
    assert '<option value="published">게시됨</option>' in html
    assert "초안" in labels(figures.content.decode())


def test_view_only_lists_are_titled_with_what_they_hold(client, staff):
    client.force_login(staff)

    html = client.get(
        reverse("admin:stream_progress_lessoncompletion_changelist"),
        headers={"accept-language": "ko"},
    ).content.decode()

    assert "<h1>레슨 완료</h1>" in html and "<title>레슨 완료 |" in html


def test_content_versions_stay_out_of_the_admin_and_are_named_in_korean(client, staff):
    client.force_login(staff)

    index = client.get(reverse("admin:index"), headers={"accept-language": "ko"})

    assert not admin.site.is_registered(ContentVersion)
    assert "content version" not in index.content.decode().lower()
    assert (
        "콘텐츠 버전"
        in client.get(
            reverse("admin:auth_user_change", args=[staff.pk]), headers={"accept-language": "ko"}
        ).content.decode()
    )
