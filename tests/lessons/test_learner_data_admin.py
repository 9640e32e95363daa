"""The admin's "Learner data" page: staff find a learner who asked by email, download their data
as JSON and erase it after confirming; only with the permissions to."""

import json

import pytest
from django.contrib.auth.models import Permission

from progress.models import LessonCompletion
from tests.factories import StaffFactory
from tests.learner_data_fixtures import english_url, learners_with_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_admin(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def people():
    return learners_with_data()


_url = english_url


LOOKUP = "admin:stream_lessons_learnerdata_changelist"


def _staff(*codenames):
    user = StaffFactory(is_superuser=False)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="stream_lessons", codename__in=codenames)
    )
    return user


def test_staff_find_a_learner_by_email_login_or_id(client, people):
    client.force_login(StaffFactory())
    for text in ("ADALOVELACE@example.com", people.ada.get_username(), str(people.ada.pk)):
        html = client.get(_url(LOOKUP), {"q": text}).content.decode()
        assert _url("admin:stream_learner_export", people.ada.pk) in html, text
        assert _url("admin:stream_learner_export", people.bob.pk) not in html
    nobody = client.get(_url(LOOKUP), {"q": "nobody@example.com"}).content.decode()
    assert "No learner has that login" in nobody


def test_staff_download_a_learners_data(client, people):
    client.force_login(_staff("view_learnerdata"))

    response = client.get(_url("admin:stream_learner_export", people.ada.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content)["learner"]["id"] == people.ada.pk


def test_staff_erase_after_confirming(client, people):
    client.force_login(_staff("view_learnerdata", "delete_learnerdata"))
    url = _url("admin:stream_learner_erase", people.ada.pk)

    page = client.get(url)
    refused = client.post(url, {})
    done = client.post(url, {"confirm": "on"})

    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    assert refused.status_code == 400
    assert done.status_code == 302 and done["Location"] == _url(LOOKUP)
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 0
    assert LessonCompletion.objects.filter(learner=people.bob).count() == 2


def test_staff_without_the_permissions_may_neither_look_export_nor_erase(client, people):
    client.force_login(_staff())
    assert client.get(_url(LOOKUP), {"q": "ada"}).status_code == 403
    assert client.get(_url("admin:stream_learner_export", people.ada.pk)).status_code == 403
    client.force_login(_staff("view_learnerdata"))
    url = _url("admin:stream_learner_erase", people.ada.pk)
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": "on"}).status_code == 403
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 2


@pytest.mark.parametrize("who", ["visitor", "learner"])
def test_visitors_and_learners_are_sent_to_the_admin_sign_in(client, people, who):
    if who == "learner":
        client.force_login(people.bob)
    for url in (
        _url(LOOKUP),
        _url("admin:stream_learner_export", people.ada.pk),
        _url("admin:stream_learner_erase", people.ada.pk),
    ):
        response = client.post(url, {"confirm": "on"}) if "erase" in url else client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 2


def test_an_unknown_learner_is_a_404(client, people):
    client.force_login(StaffFactory())
    assert client.get(_url("admin:stream_learner_export", "999999999")).status_code == 404
    assert client.get(_url("admin:stream_learner_erase", "not-an-id")).status_code == 404


def test_a_lookup_or_address_of_any_length_is_answered_not_a_500(client, people):
    client.force_login(StaffFactory())
    huge = "9" * 30
    assert client.get(_url(LOOKUP), {"q": huge}).status_code == 200
    assert client.get(_url(LOOKUP), {"q": "x" * 300}).status_code == 200
    assert client.get(_url("admin:stream_learner_export", huge)).status_code == 404
