"""The lessons REST API (courses, lessons), and what every Stream endpoint shares: its own
authentication (session with CSRF, tokens), throttling in the cache, pagination, JSON errors,
whatever the host's REST_FRAMEWORK settings say."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lessons.adapter import StreamAdapter
from lessons.models import Status
from tests.factories import CourseFactory, LessonFactory, LessonLinkFactory, TagFactory

pytestmark = pytest.mark.django_db

COURSES = reverse("stream_lessons_api:courses")
TOKEN = reverse("stream_lessons_api:auth-token")
PASSWORD = "correct horse battery staple"


def course_url(course):
    return reverse("stream_lessons_api:course", args=[course.slug])


def lesson_url(lesson_id):
    return reverse("stream_lessons_api:lesson", args=[lesson_id])


@pytest.fixture
def api():
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def course():
    """A published course: two published lessons around a draft."""
    course = CourseFactory(slug="basics", title="Basics")
    LessonFactory(course=course, position=1, slug="one", title="One")
    LessonFactory(course=course, position=2, slug="draft", status=Status.DRAFT)
    LessonFactory(course=course, position=3, slug="three", title="Three")
    return course


def courses_with_lessons(count, lessons_each=3):
    for _ in range(count):
        course = CourseFactory()
        for _ in range(lessons_each):
            LessonFactory(course=course)


# --- Courses ---------------------------------------------------------------------------------


def test_course_list_holds_published_courses_with_their_published_lessons_in_order(api, course):
    # given a draft course beside the published one
    CourseFactory(status=Status.DRAFT, slug="secret")

    # when an anonymous visitor lists courses
    data = api.get(COURSES).json()

    # then only the published course shows, its draft lesson left out and the rest numbered
    assert data["count"] == 1 and data["next"] is None and data["previous"] is None
    (listed,) = data["results"]
    assert listed["slug"] == "basics" and listed["url"] == "/courses/basics/"
    assert [(lesson["slug"], lesson["number"]) for lesson in listed["lessons"]] == [
        ("one", 1),
        ("three", 2),
    ]
    assert listed["lessons"][0]["url"] == "/courses/basics/one/"


def test_staff_list_drafts_too(api, course, staff):
    CourseFactory(status=Status.DRAFT, slug="secret")
    api.force_authenticate(staff)

    data = api.get(COURSES).json()

    assert [c["slug"] for c in data["results"]] == ["basics", "secret"]
    assert [lesson["status"] for lesson in data["results"][0]["lessons"]] == [
        "published",
        "draft",
        "published",
    ]


def test_course_list_is_paginated(api, settings):
    settings.STREAM = {**settings.STREAM, "API_PAGE_SIZE": 2, "API_MAX_PAGE_SIZE": 3}
    courses_with_lessons(4, lessons_each=1)

    first = api.get(COURSES).json()
    last = api.get(COURSES, {"page": 2}).json()
    wider = api.get(COURSES, {"page_size": 50}).json()
    beyond = api.get(COURSES, {"page": 9})

    assert first["count"] == 4 and len(first["results"]) == 2
    assert first["next"].endswith("/api/v1/courses/?page=2")
    assert len(last["results"]) == 2 and last["next"] is None and last["previous"]
    assert len(wider["results"]) == 3  # capped at API_MAX_PAGE_SIZE
    assert beyond.status_code == 404 and beyond.json()["code"] == "not_found"


@pytest.mark.parametrize("page_size", ["false", "0", "-2", "ten"])
def test_a_page_size_that_is_not_a_positive_number_is_a_400(api, page_size):
    # found by schemathesis: DRF silently used the default size instead
    response = api.get(COURSES, {"page_size": page_size})

    assert response.status_code == 400 and "page_size" in response.json()["errors"]


def test_course_list_query_count_is_constant(api, django_assert_num_queries):
    # 1 the page's courses, 2 their visible lessons
    for size in (1, 8):
        courses_with_lessons(size)
        with django_assert_num_queries(2):
            assert len(api.get(COURSES).json()["results"]) >= size


def test_course_detail_has_its_ordered_lessons(api, course):
    data = api.get(course_url(course)).json()

    assert data["title"] == "Basics" and data["status"] == "published"
    assert [lesson["title"] for lesson in data["lessons"]] == ["One", "Three"]


def test_draft_course_is_404_json_to_learners_and_visible_to_staff(api, learner, staff):
    draft = CourseFactory(status=Status.DRAFT)
    LessonFactory(course=draft, status=Status.DRAFT)

    anonymous = api.get(course_url(draft))
    api.force_authenticate(learner)
    signed_in = api.get(course_url(draft))
    api.force_authenticate(staff)
    as_staff = api.get(course_url(draft))

    assert anonymous.status_code == signed_in.status_code == 404
    with translation.override("ko"):
        assert anonymous.json() == {"detail": gettext("No such course."), "code": "not_found"}
    assert as_staff.status_code == 200 and len(as_staff.json()["lessons"]) == 1


def test_course_detail_query_count_is_constant(api, django_assert_num_queries):
    # 1 the course, 2 its lessons
    for size in (1, 20):
        course = CourseFactory()
        for _ in range(size):
            LessonFactory(course=course)
        with django_assert_num_queries(2):
            assert len(api.get(course_url(course)).json()["lessons"]) == size


# --- Lessons ---------------------------------------------------------------------------------


def test_lesson_has_its_rendered_html_tags_and_links(api, course):
    lesson = course.lessons.get(slug="one")
    lesson.body = "## Setup\n\nRun `pip install`.\n\n<script>alert(1)</script>"
    lesson.exercise = "Try **it**."
    lesson.save()
    llama, dense = TagFactory(name="llama"), TagFactory(name="dense")
    from lessons.services import lesson_set_tags

    lesson_set_tags(lesson=lesson, tags=[llama, dense])
    LessonLinkFactory(lesson=lesson, title="Paper", url="https://example.com/paper", position=1)

    data = api.get(lesson_url(lesson.pk)).json()

    assert data["id"] == lesson.pk and data["course"]["slug"] == "basics"
    assert "<h2" in data["body_html"] and "<code>pip install</code>" in data["body_html"]
    assert "<script" not in data["body_html"]
    assert data["exercise_html"] == "<p>Try <strong>it</strong>.</p>"
    assert [tag["name"] for tag in data["tags"]] == ["llama", "dense"]
    assert data["links"] == [{"title": "Paper", "url": "https://example.com/paper"}]
    assert data["url"] == "/courses/basics/one/" and data["revision"] >= 1


def test_draft_lessons_and_lessons_of_draft_courses_are_404_except_to_staff(api, course, staff):
    draft = course.lessons.get(slug="draft")
    hidden_course = CourseFactory(status=Status.DRAFT)
    in_draft_course = LessonFactory(course=hidden_course)

    assert api.get(lesson_url(draft.pk)).json() == {
        "detail": "그런 레슨이 없어요.",
        "code": "not_found",
    }
    assert api.get(lesson_url(in_draft_course.pk)).status_code == 404
    api.force_authenticate(staff)
    assert api.get(lesson_url(draft.pk)).json()["status"] == "draft"


def test_lesson_query_count_is_constant(api, django_assert_num_queries):
    # 1 the lesson with its course, 2 its links, 3 its tags
    for size in (0, 12):
        lesson = LessonFactory(tags=[TagFactory() for _ in range(size)])
        for _ in range(size):
            LessonLinkFactory(lesson=lesson)
        with django_assert_num_queries(3):
            assert len(api.get(lesson_url(lesson.pk)).json()["tags"]) == size


@pytest.mark.parametrize("lesson_id", [2**63, 10**30])
def test_ids_beyond_the_database_range_are_404_not_500(api, lesson_id, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api.get(f"/api/v1/lessons/{lesson_id}/")

    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/lessons/abc/",
        "/api/v1/lessons/-1/",
        "/api/v1/lessons/%C2%B2/",  # a superscript two: a digit to str.isdigit, not to int()
        "/api/v1/courses/%C2%AC/",
        "/api/v1/lessons/1e3/comments/",
    ],
)
def test_paths_that_name_nothing_are_json_404s_not_html(api, url):
    # found by schemathesis: Django's converters refused these before Stream's views saw them
    response = api.get(url)

    assert response.status_code in (404, 405)
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] in ("not_found", "method_not_allowed")


class EnrolledOnlyAdapter(StreamAdapter):
    """A host's enrolment rule: only courses whose slug starts with "open-"."""

    def courses_for_user(self, courses, *, user):
        return courses.filter(slug__startswith="open-")

    def lessons_for_user(self, lessons, *, user):
        return lessons.filter(course__slug__startswith="open-")


def test_the_hosts_adapter_decides_what_the_api_shows(api, settings):
    settings.STREAM = {**settings.STREAM, "ADAPTER": f"{__name__}.EnrolledOnlyAdapter"}
    open_lesson = LessonFactory(course=CourseFactory(slug="open-basics"))
    closed_lesson = LessonFactory(course=CourseFactory(slug="closed"))

    listed = api.get(COURSES).json()["results"]

    assert [c["slug"] for c in listed] == ["open-basics"]
    assert api.get(course_url(closed_lesson.course)).status_code == 404
    assert api.get(lesson_url(closed_lesson.pk)).status_code == 404
    assert api.get(lesson_url(open_lesson.pk)).status_code == 200


# --- Errors ----------------------------------------------------------------------------------


def test_malformed_json_and_other_media_types_are_json_errors(api, course, learner):
    api.force_authenticate(learner)
    url = reverse("stream_comments_api:lesson-comments", args=[course.lessons.first().pk])

    broken = api.generic("POST", url, '{"body": ', content_type="application/json")
    form = api.post(url, {"body": "x"})  # multipart: the API speaks JSON only

    assert broken.status_code == 400 and broken.json()["code"] == "parse_error"
    assert form.status_code == 415 and form.json()["code"] == "unsupported_media_type"


def test_wrong_method_is_405_json(api, course):
    response = api.delete(COURSES)

    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


# --- Authentication --------------------------------------------------------------------------


def test_a_token_is_issued_for_a_login_and_password_and_reused(api, learner):
    first = api.post(TOKEN, {"login": learner.email, "password": PASSWORD}, format="json")
    again = api.post(TOKEN, {"login": learner.email, "password": PASSWORD}, format="json")

    assert first.status_code == 200
    assert first.json() == again.json() == {"token": Token.objects.get(user=learner).key}


def test_wrong_password_unknown_login_and_inactive_users_get_no_token(api, learner, other_learner):
    other_learner.is_active = False
    other_learner.save()

    answers = [
        api.post(TOKEN, {"login": learner.email, "password": "wrong"}, format="json"),
        api.post(TOKEN, {"login": "nobody@example.com", "password": PASSWORD}, format="json"),
        api.post(TOKEN, {"login": other_learner.email, "password": PASSWORD}, format="json"),
        api.post(TOKEN, {"login": learner.email}, format="json"),
    ]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert [a.json()["code"] for a in answers[:3]] == ["invalid_credentials"] * 3
    assert "password" in answers[3].json()["errors"]
    assert not Token.objects.exists()


def test_mandatory_email_verification_holds_for_tokens(api, learner, settings):
    from allauth.account.models import EmailAddress

    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    address = EmailAddress.objects.create(user=learner, email=learner.email, verified=False)
    data = {"login": learner.email, "password": PASSWORD}

    refused = api.post(TOKEN, data, format="json")
    address.verified = True
    address.save()
    issued = api.post(TOKEN, data, format="json")

    assert refused.status_code == 403 and refused.json()["code"] == "email_unverified"
    assert issued.status_code == 200


def test_token_clients_read_and_write_without_csrf(course, learner):
    token = Token.objects.create(user=learner)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    lesson = course.lessons.first()

    state = client.get(reverse("stream_progress_api:state"))
    posted = client.post(
        reverse("stream_comments_api:lesson-comments", args=[lesson.pk]),
        {"body": "From a script"},
        format="json",
    )

    assert state.status_code == 200 and state.json()["xp"] == 0
    assert posted.status_code == 201


def test_a_bad_token_is_refused_as_json(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = api.get(reverse("stream_progress_api:state"))

    assert response.status_code == 403  # session comes first, so DRF answers 403, not 401
    assert response.json()["code"] == "authentication_failed"


def test_session_clients_need_the_csrf_token_for_writes(course, learner):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(learner)
    lesson = course.lessons.first()
    url = reverse("stream_comments_api:lesson-comments", args=[lesson.pk])

    refused = client.post(url, {"body": "x"}, format="json")
    # the page's script gets the token from the viewer endpoint (shared pages carry none)
    csrf = client.get("/api/v1/me/page/").json()["csrf_token"]
    accepted = client.post(url, {"body": "x"}, format="json", HTTP_X_CSRFTOKEN=csrf)

    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201


def test_deleting_the_token_revokes_it(learner):
    token = Token.objects.create(user=learner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    deleted = client.delete(TOKEN)
    after = client.get(reverse("stream_progress_api:state"))

    assert deleted.status_code == 204 and not Token.objects.exists()
    assert after.status_code == 403
    assert APIClient().delete(TOKEN).status_code == 403


# --- Throttling ------------------------------------------------------------------------------


def test_the_request_past_the_anonymous_rate_is_429_with_retry_after(api, settings):
    # given a rate of three requests a minute for anonymous visitors
    settings.STREAM = {**settings.STREAM, "API_THROTTLE_RATES": {"anon": "3/minute"}}

    # when a fourth request comes in the same minute
    statuses = [api.get(COURSES).status_code for _ in range(3)]
    refused = api.get(COURSES)

    # then it is refused with the error shape and says when to come back
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60


def test_signed_in_learners_are_counted_apart_from_each_other(settings, learner, other_learner):
    settings.STREAM = {**settings.STREAM, "API_THROTTLE_RATES": {"user": "2/minute"}}
    mine, theirs = APIClient(), APIClient()
    mine.force_authenticate(learner)
    theirs.force_authenticate(other_learner)

    mine_statuses = [mine.get(COURSES).status_code for _ in range(3)]
    theirs_status = theirs.get(COURSES).status_code

    assert mine_statuses == [200, 200, 429] and theirs_status == 200


def test_token_requests_have_their_own_low_limit(api, learner, settings):
    settings.STREAM = {**settings.STREAM, "API_THROTTLE_RATES": {"auth_token": "2/hour"}}
    wrong = {"login": learner.email, "password": "guess"}

    statuses = [api.post(TOKEN, wrong, format="json").status_code for _ in range(3)]
    right = api.post(TOKEN, {"login": learner.email, "password": PASSWORD}, format="json")

    assert statuses == [400, 400, 429] and right.status_code == 429
    assert api.get(COURSES).status_code == 200  # other endpoints are not affected


def test_throttle_classes_named_by_their_old_dotted_paths_still_apply(api, settings):
    # given a host whose settings still name the throttles where they used to live
    with pytest.warns(DeprecationWarning, match=r"lessons\.api_base\.StreamAnonRateThrottle"):
        settings.STREAM = {
            **settings.STREAM,
            "API_THROTTLE_CLASSES": ["lessons.api.StreamAnonRateThrottle"],
            "API_THROTTLE_RATES": {"anon": "1/minute"},
        }
        # when a visitor asks twice in a minute
        statuses = [api.get(COURSES).status_code for _ in range(2)]

    # then the limit holds, and the warning named the new path
    assert statuses == [200, 429]


def test_the_dotted_paths_are_imported_once_not_on_every_request(api, settings, monkeypatch):
    from lessons import conf
    from lessons.api_base import StreamAnonRateThrottle

    imported = []
    monkeypatch.setattr(
        conf, "import_string", lambda path: imported.append(path) or StreamAnonRateThrottle
    )
    settings.STREAM = {**settings.STREAM, "API_THROTTLE_CLASSES": ["a.Throttle", "b.Throttle"]}

    for _ in range(3):
        api.get(COURSES)

    assert sorted(imported) == ["a.Throttle", "b.Throttle"]


def test_a_dotted_path_that_does_not_import_names_its_setting(api, settings):
    settings.STREAM = {**settings.STREAM, "API_THROTTLE_CLASSES": ["nowhere.Throttle"]}

    with pytest.raises(ImportError, match="'nowhere.Throttle' for Stream setting 'API_THROTTLE"):
        api.get(COURSES)


# --- Independence from the host's REST_FRAMEWORK settings -------------------------------------


def test_the_api_ignores_the_hosts_rest_framework_defaults(course, learner, settings):
    # given a host whose DRF defaults are JWT-like, admin-only, browsable, limit/offset and
    # without Stream's error handler
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.BrowsableAPIRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.FormParser"],
        "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
        "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
        "DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema",
        "UNAUTHENTICATED_USER": None,
    }
    client = APIClient()
    client.force_login(learner)
    lesson = course.lessons.first()

    # when a signed-in learner uses Stream's API
    listed = client.get(COURSES)
    again = client.get(COURSES)
    posted = client.post(
        reverse("stream_comments_api:lesson-comments", args=[lesson.pk]),
        {"body": "Hello"},
        format="json",
    )
    missing = client.get(lesson_url(10**9))
    schema = client.get(reverse("stream_lessons_api:schema"), {"format": "json"})
    anonymous = APIClient()
    visitor_reads = anonymous.get(reverse("stream_comments_api:lesson-comments", args=[lesson.pk]))
    visitor_writes = anonymous.post(COURSES, {}, format="json")

    # then it answers as Stream's own settings say: JSON, page-number pages, session auth
    assert listed.status_code == again.status_code == 200
    assert listed["Content-Type"] == "application/json" and "count" in listed.json()
    assert posted.status_code == 201
    assert missing.json() == {"detail": "그런 레슨이 없어요.", "code": "not_found"}
    assert schema.status_code == 200 and "/api/v1/courses/" in schema.json()["paths"]
    assert visitor_reads.status_code == 200 and visitor_reads.json()["count"] == 1
    assert visitor_writes.status_code == 405


def test_authentication_classes_come_from_stream_settings(course, learner, settings):
    settings.STREAM = {
        **settings.STREAM,
        "API_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    }
    client = APIClient()
    client.force_login(learner)  # a session, which Stream is told not to accept

    assert client.get(reverse("stream_progress_api:state")).status_code == 401
    token = Token.objects.create(user=learner)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(reverse("stream_progress_api:state")).status_code == 200
