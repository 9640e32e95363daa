"""System checks: each misconfiguration an integrator can make fails ``manage.py check`` with
its own id and a message that says what to change."""

import pytest
from django.core import checks

from comments.apps import CommentsConfig
from lessons import checks as lesson_checks

REQUEST = "django.template.context_processors.request"


def ids(messages):
    return [message.id for message in messages]


def run(tags=None):
    return checks.run_checks(tags=tags)


def stream_ids(messages):
    return sorted(i for i in ids(messages) if i.startswith("stream"))


@pytest.mark.django_db  # model checks ask the database what it supports (JSONField on Django 6)
def test_the_demo_passes_every_check():
    errors = [message for message in run() if message.level >= checks.ERROR]
    assert stream_ids(errors) == []


def test_a_missing_base_template(settings):
    settings.STREAM = {**settings.STREAM, "BASE_TEMPLATE": "site/nowhere.html"}
    found = lesson_checks.check_base_template()
    assert ids(found) == ["stream_lessons.E001"]
    assert "'site/nowhere.html'" in found[0].msg


def test_a_malformed_block_mapping(settings):
    settings.STREAM = {**settings.STREAM, "BASE_TEMPLATE_BLOCKS": {"content": "main"}}
    found = lesson_checks.check_base_template()
    assert ids(found) == ["stream_lessons.E002"]
    assert "the key 'head' is missing" in found[0].msg
    assert "the key 'scripts' is missing" in found[0].msg


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("myschool.nowhere.Adapter", "cannot be imported"),
        ("lessons.selectors.Lesson", "is not a subclass of lessons.adapter.StreamAdapter"),
    ],
)
def test_a_bad_adapter_path(settings, path, words):
    settings.STREAM = {**settings.STREAM, "ADAPTER": path}
    found = lesson_checks.check_adapter()
    assert ids(found) == ["stream_lessons.E003"]
    assert words in found[0].msg


def test_the_request_context_processor_is_required(settings):
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {"context_processors": [p for p in processors if p != REQUEST]},
        }
    ]
    found = lesson_checks.check_request_context_processor()
    assert ids(found) == ["stream_lessons.E004"]
    assert REQUEST in found[0].hint


def test_the_auth_context_processor_is_required(settings):
    auth = "django.contrib.auth.context_processors.auth"
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {"context_processors": [p for p in processors if p != auth]},
        }
    ]
    found = lesson_checks.check_request_context_processor()
    assert ids(found) == ["stream_lessons.E007"]


def test_sessions_and_authentication_middleware_are_required(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "AuthenticationMiddleware" not in m]
    found = lesson_checks.check_middleware()
    assert ids(found) == ["stream_lessons.E006"]
    assert "AuthenticationMiddleware" in found[0].msg


def test_the_viewer_cookie_middleware_must_follow_the_authentication_middleware(settings):
    viewer = "lessons.middleware.ViewerCookieMiddleware"
    assert lesson_checks.check_viewer_middleware() == []  # the demo's order
    settings.MIDDLEWARE = [viewer, *(m for m in settings.MIDDLEWARE if m != viewer)]
    found = lesson_checks.check_viewer_middleware()
    assert ids(found) == ["stream_lessons.W003"]
    assert "AuthenticationMiddleware" in found[0].msg
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != viewer]
    assert ids(lesson_checks.check_viewer_middleware()) == ["stream_lessons.W003"]


def test_required_contrib_apps(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django.contrib.sessions"]
    found = lesson_checks.check_required_apps()
    assert ids(found) == ["stream_lessons.E005"]


def test_the_page_cache_must_name_a_cache(settings):
    settings.STREAM = {**settings.STREAM, "PAGE_CACHE_ALIAS": "nowhere"}
    errors = [m for m in run(tags=[checks.Tags.caches]) if m.id == "stream_lessons.E009"]
    assert len(errors) == 1 and "'nowhere'" in errors[0].msg

    # keeping no page needs no cache
    settings.STREAM = {**settings.STREAM, "PAGE_CACHE_SECONDS": 0}
    assert "stream_lessons.E009" not in ids(run(tags=[checks.Tags.caches]))


def test_pages_not_in_the_urlconf(settings):
    settings.ROOT_URLCONF = "tests.lessons.urls_without_stream"
    found = lesson_checks.check_pages_mounted()
    assert ids(found) == ["stream_lessons.W001"]
    assert 'include("lessons.site_urls")' in found[0].hint


def test_progress_and_comments_need_lessons(settings):
    settings.INSTALLED_APPS = [
        a for a in settings.INSTALLED_APPS if a != "lessons.apps.LessonsConfig"
    ]
    found = lesson_checks.lessons_installed_check(CommentsConfig.label)()
    assert ids(found) == ["stream_comments.E010"]
    assert "'lessons.apps.LessonsConfig'" in found[0].hint


def test_comments_need_messages(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "MessageMiddleware" not in m]
    found = lesson_checks.check_messages()
    assert ids(found) == ["stream_comments.E011"]


@pytest.mark.django_db
def test_the_checks_run_with_manage_py_check(settings):
    # given two mistakes at once
    settings.STREAM = {**settings.STREAM, "BASE_TEMPLATE": "nowhere.html", "ADAPTER": "x.Y"}
    # then Django's own check run reports both
    assert {"stream_lessons.E001", "stream_lessons.E003"} <= set(stream_ids(run()))
