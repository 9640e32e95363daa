# ruff: noqa: F811 (pytest fixtures imported from test_page_cache, used as arguments)
"""Visitors' lesson pages answered before the rest of the stack (lessons.middleware).

A request that never reached SessionMiddleware has no ``session`` attribute: that is how these
tests tell an early answer from one that went down the whole stack. The early answer must be
the one the whole stack gives, header for header, and never for a request the stack would
answer differently.
"""

import re

import pytest
from django.conf import settings as django_settings
from django.middleware.csrf import CSRF_SECRET_LENGTH, _unmask_cipher_token
from django.test import Client
from django.urls import reverse

from comments.models import ProblemReport
from lessons import services
from tests.factories import CommentFactory, UserFactory
from tests.lessons.test_page_cache import course, lesson  # noqa: F401 (fixtures)
from tests.lessons.test_page_cache import lesson_url as url

pytestmark = pytest.mark.django_db

MIDDLEWARE = "lessons.middleware.CachedPageMiddleware"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Set per response: the visitor's part of the ETag, the cookie's value, the clock.
PER_RESPONSE = {"ETag", "Date", "Set-Cookie", "X-Request-ID"}


def early(response) -> bool:
    return not hasattr(response.wsgi_request, "session")


def served_twice(lesson, visitor=None, **extra):
    """The page through the whole stack (filling the cache and this worker's copy of the
    request's shape), then again."""
    visitor = visitor or Client()
    first = visitor.get(url(lesson), **extra)
    assert first.status_code == 200 and not early(first)
    return visitor, visitor.get(url(lesson), **extra)


def test_the_demo_runs_it_right_after_the_header_middleware():
    order = django_settings.MIDDLEWARE
    assert order.index("django.middleware.security.SecurityMiddleware") < order.index(MIDDLEWARE)
    assert order.index(MIDDLEWARE) < order.index(
        "django.contrib.sessions.middleware.SessionMiddleware"
    )


def test_a_returning_visitors_repeat_view_is_answered_early_with_the_same_page(lesson):
    _, second = served_twice(lesson)
    assert early(second)
    assert second.status_code == 200
    assert "Title 2" in second.content.decode()


def test_the_early_answer_is_the_whole_stacks_header_for_header(lesson, settings):
    visitor, answered_early = served_twice(lesson)
    assert early(answered_early)
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]
    same_visitor = Client()  # a client loads the middleware once
    same_visitor.cookies = visitor.cookies
    from_the_stack = same_visitor.get(url(lesson))
    assert not early(from_the_stack) and not from_the_stack.templates  # a cache hit, too

    def headers(response):
        return {k: v for k, v in response.headers.items() if k not in PER_RESPONSE}

    assert headers(answered_early) == headers(from_the_stack)
    for name in ("Content-Language", "X-Frame-Options", "Content-Length", "Vary"):
        assert name in answered_early.headers
    cookie, stack_cookie = (
        r.cookies[settings.CSRF_COOKIE_NAME] for r in (answered_early, from_the_stack)
    )
    assert dict(cookie) == dict(stack_cookie)
    assert TOKEN.sub("", answered_early.content.decode()) == TOKEN.sub(
        "", from_the_stack.content.decode()
    )


def test_the_visitor_keeps_their_csrf_secret_and_their_form_works(lesson, settings):
    visitor, page = served_twice(lesson, Client(enforce_csrf_checks=True))
    assert early(page)
    secret = visitor.cookies[settings.CSRF_COOKIE_NAME].value
    assert page.cookies[settings.CSRF_COOKIE_NAME].value == secret
    token = TOKEN.search(page.content.decode()).group(1)
    assert _unmask_cipher_token(token) == secret

    response = visitor.post(
        reverse("stream_comments:report", kwargs={"lesson_id": lesson.pk}),
        {"csrfmiddlewaretoken": token, "kind": "content", "message": "A typo in line 3"},
    )

    assert response.status_code == 302
    assert ProblemReport.objects.get().message == "A typo in line 3"


def test_a_new_visitor_without_cookies_gets_a_new_secret_early(lesson, settings):
    served_twice(lesson)
    newcomer = Client(enforce_csrf_checks=True).get(url(lesson))
    assert early(newcomer)
    secret = newcomer.cookies[settings.CSRF_COOKIE_NAME].value
    assert len(secret) == CSRF_SECRET_LENGTH
    assert _unmask_cipher_token(TOKEN.search(newcomer.content.decode()).group(1)) == secret


def test_a_conditional_get_is_answered_304_early(lesson):
    visitor, page = served_twice(lesson)
    again = visitor.get(url(lesson), headers={"If-None-Match": page["ETag"]})
    assert early(again)
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "cookie",
    [
        {"sessionid": "x" * 32},  # a session: maybe a learner
        {"messages": "pending"},  # a message waiting to be shown
        {"sso": "host-sign-in"},  # a cookie the host's own middleware may read
        {"csrftoken": "not-a-secret"},  # Django replaces it
        {"csrftoken": "a" * 64},  # an old masked cookie: Django unmasks it
    ],
    ids=["session", "messages", "other", "junk csrf", "masked csrf"],
)
def test_requests_carrying_anything_else_go_down_the_stack(lesson, cookie):
    visitor, _ = served_twice(lesson)
    for name, value in cookie.items():
        visitor.cookies[name] = value
    assert not early(visitor.get(url(lesson)))


def test_credentials_and_other_methods_go_down_the_stack(lesson):
    visitor, _ = served_twice(lesson)
    assert not early(visitor.get(url(lesson), headers={"Authorization": "Token abc"}))
    assert not early(visitor.head(url(lesson)))
    assert not early(visitor.get(url(lesson) + "?utm_source=x"))


def test_a_signed_in_learner_never_gets_the_visitors_page(lesson):
    served_twice(lesson)
    learner = Client()
    learner.force_login(UserFactory())
    response = learner.get(url(lesson))
    assert not early(response)
    assert response.wsgi_request.user.is_authenticated


def test_each_language_is_its_own_shape(lesson, settings):
    served_twice(lesson)  # Korean, the site's language
    english = Client(headers={"Accept-Language": "en"})
    first = english.get(url(lesson))
    assert not early(first) and first["Content-Language"] == "en"
    again = english.get(url(lesson))
    assert early(again) and again["Content-Language"] == "en"
    assert again.content.decode().count('lang="en"') >= 1

    by_cookie = Client()
    by_cookie.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert not early(by_cookie.get(url(lesson)))  # a new shape: the stack answers it first
    assert by_cookie.get(url(lesson))["Content-Language"] == "en"


def test_an_edit_a_comment_or_unpublishing_is_seen_at_once(lesson):
    visitor, _ = served_twice(lesson)

    lesson.title = "A new title"
    lesson.save()
    edited = visitor.get(url(lesson))
    assert not early(edited) and "A new title" in edited.content.decode()
    assert early(visitor.get(url(lesson)))

    CommentFactory(lesson=lesson, body="Seen at once?")
    commented = visitor.get(url(lesson))
    assert not early(commented) and "Seen at once?" in commented.content.decode()

    services.lesson_unpublish(lesson=lesson)
    gone = visitor.get(url(lesson))
    assert not early(gone) and gone.status_code == 404


def test_an_adapter_with_its_own_visibility_rule_is_always_asked(lesson, settings):
    from lessons.adapter import StreamAdapter

    class Everyone(StreamAdapter):
        def lessons_for_user(self, lessons, *, user):
            return lessons

    import tests.lessons.test_page_cache_early as this_module

    this_module.Everyone = Everyone
    settings.STREAM = {**settings.STREAM, "ADAPTER": f"{__name__}.Everyone"}
    visitor, second = served_twice(lesson)
    assert not early(second)


def test_a_host_name_not_allowed_is_refused_by_the_stack(lesson):
    served_twice(lesson)
    response = Client().get(url(lesson), headers={"Host": "evil.example"})
    assert response.status_code == 400
