"""Every admin page of the demo, in Korean: no English left where the staff read."""

from pathlib import Path

import pytest
import yaml
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from lessons.lesson_files import lessons_import
from lessons.models import Lesson
from progress.services import definitions_load
from tests.factories import (
    CommentFactory,
    CommentFlagFactory,
    ProblemReportFactory,
    ReplySubscriptionFactory,
)

DEMO_CONTENT = Path(__file__).resolve().parents[1] / "config" / "demo_content"

# English an untranslated or Django-branded admin shows; more are added as they are fixed.
ENGLISH_LEFTOVERS = ("Django",)

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
                yield reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])


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

    # then none shows the English leftovers, and the admin carries the site's name
    assert list(found) == []
    assert (
        "<title>사이트 관리 | C.W.K. 관리</title>"
        in client.get(reverse("admin:index"), headers={"accept-language": "ko"}).content.decode()
    )
