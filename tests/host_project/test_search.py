"""Search in Acme's project: under /learn/, in Acme's own layout (its header has Stream's search
box through ``{% stream_search %}``), following Acme's adapter (members-only courses)."""

import html
import re

import pytest
from django.urls import reverse

from tests.factories import CourseFactory, LessonFactory, UserFactory
from tests.host_project.members.models import Enrolment, MembersOnlyCourse

pytestmark = pytest.mark.django_db

SEARCH = reverse("stream_lessons:search")
SEARCH_API = reverse("stream_lessons_api:search")


@pytest.fixture
def lessons(db):
    """An open lesson and a members-only one, both about the forge."""
    LessonFactory(course=CourseFactory(slug="open"), slug="o1", title="Open forge")
    closed = CourseFactory(slug="forging", title="Forging for members")
    LessonFactory(course=closed, slug="f1", title="Members' forge")
    MembersOnlyCourse.objects.create(course=closed)
    return closed


def titles(response):
    page = response.content.decode()
    found = re.findall(r'<h2 class="search-result__title"><a href="[^"]*">(.*?)</a></h2>', page)
    return [html.unescape(re.sub(r"</?mark>", "", title)) for title in found]


def test_the_search_page_is_under_the_hosts_prefix_in_its_layout():
    assert SEARCH == "/learn/search/" and SEARCH_API == "/learn/api/v1/search/"


def test_visitors_and_members_not_enrolled_find_open_lessons_only(client, lessons):
    assert titles(client.get(SEARCH, {"q": "forge"})) == ["Open forge"]
    assert [
        hit["lesson"]["title"] for hit in client.get(SEARCH_API, {"q": "forge"}).json()["results"]
    ] == ["Open forge"]

    client.force_login(UserFactory())
    assert titles(client.get(SEARCH, {"q": "forge"})) == ["Open forge"]


def test_an_enrolled_member_finds_the_members_only_lesson(client, lessons):
    member = UserFactory()
    Enrolment.objects.create(member=member, course=lessons)
    client.force_login(member)

    page = client.get(SEARCH, {"q": "forge"})
    api = client.get(SEARCH_API, {"q": "forge"}).json()

    assert sorted(titles(page)) == ["Members' forge", "Open forge"]
    assert api["count"] == 2
    assert page["Cache-Control"] == "private, no-cache"


def test_acmes_header_has_the_search_box_on_its_own_pages_too(client, lessons):
    for url in ("/", "/learn/", SEARCH):
        html = client.get(url).content.decode()
        assert (
            '<form class="site-search" action="/learn/search/" method="get" role="search"' in html
        )
