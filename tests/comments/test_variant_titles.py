"""A lesson read in a language variant is named in that language wherever the comments app
names it: the pages its buttons lead to without JavaScript, the notifications (page and API)
and the reply emails."""

import pytest
from django.core import mail
from django.test import Client

from comments import services
from comments.models import CommentStatus, Notification, NotificationKind, ReportStatus
from tests.factories import (
    CommentFactory,
    CourseFactory,
    LessonFactory,
    LessonVariantFactory,
    ProblemReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

KOREAN, ENGLISH = "라마 계열", "The LLaMA family"


@pytest.fixture
def lesson():
    lesson = LessonFactory(course=CourseFactory(slug="c"), slug="l", title=KOREAN)
    LessonVariantFactory(lesson=lesson, title=ENGLISH)
    return lesson


@pytest.fixture
def reader():
    return UserFactory()


@pytest.fixture
def reader_client(reader):
    client = Client()
    client.force_login(reader)
    return client


def form_pages(lesson):
    """Where each button of the lesson page leads without JavaScript (a comment by someone
    else, to reply to and flag)."""
    comment = CommentFactory(lesson=lesson)
    return [
        f"comments/lessons/{lesson.pk}/write/",
        f"comments/lessons/{lesson.pk}/subscription/",
        f"comments/lessons/{lesson.pk}/report/",
        f"comments/{comment.pk}/reply/",
        f"comments/{comment.pk}/flag/",
    ]


def test_the_english_form_pages_name_the_lesson_by_its_english_title(lesson, reader_client):
    for page in form_pages(lesson):
        response = reader_client.get(f"/en/{page}")

        assert response.status_code == 200, page
        html = response.content.decode()
        # the breadcrumb back to the lesson, and the page's title
        assert f'">{ENGLISH}</a></p>' in html, page
        assert KOREAN not in html, page


def test_the_korean_form_pages_keep_the_original_title(lesson, reader_client):
    for page in form_pages(lesson):
        html = reader_client.get(f"/{page}").content.decode()

        assert KOREAN in html and ENGLISH not in html, page


def test_a_language_without_a_variant_shows_the_original_title(reader_client):
    lesson = LessonFactory(course=CourseFactory(slug="k"), slug="only-korean", title="한국어만")

    html = reader_client.get(f"/en/comments/lessons/{lesson.pk}/write/").content.decode()

    assert "한국어만" in html


def notified(lesson, reader):
    """A reply to the reader's comment and the resolution of their report, as notifications."""
    mine = CommentFactory(lesson=lesson, author=reader)
    reply = CommentFactory(parent=mine)
    Notification.objects.create(
        recipient=reader, kind=NotificationKind.REPLY, lesson=lesson, comment=reply
    )
    report = ProblemReportFactory(lesson=lesson, reporter=reader, status=ReportStatus.RESOLVED)
    Notification.objects.create(
        recipient=reader, kind=NotificationKind.REPORT_RESOLVED, lesson=lesson, report=report
    )


def test_the_notifications_page_names_the_lesson_in_the_pages_language(
    lesson, reader, reader_client
):
    notified(lesson, reader)

    english = reader_client.get("/en/me/notifications/").content.decode()
    korean = reader_client.get("/me/notifications/").content.decode()

    assert f"replied in “{ENGLISH}”" in english
    assert f"Your report on “{ENGLISH}” was fixed." in english
    assert KOREAN not in english
    assert english.count(ENGLISH) == 2
    assert korean.count(KOREAN) == 2 and ENGLISH not in korean


def test_the_notifications_api_names_the_lesson_in_the_requests_language(
    lesson, reader, reader_client, django_assert_num_queries
):
    notified(lesson, reader)

    # the session, the user, the count, the page (with the titles), the unread count
    with django_assert_num_queries(5):
        english = reader_client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en")
    korean = reader_client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="ko")

    assert [n["lesson"]["title"] for n in english.json()["results"]] == [ENGLISH, ENGLISH]
    assert [n["lesson"]["title"] for n in korean.json()["results"]] == [KOREAN, KOREAN]


def reply_to_each(lesson, *, languages, django_capture_on_commit_callbacks):
    """A learner per language in ``languages`` (the language of the page they commented on),
    each subscribed by their comment, then a reply to every one of them; their emails."""
    learners = []
    for language in languages:
        learner = UserFactory()
        comment = services.comment_post(
            lesson=lesson, author=learner, body="Question", language=language
        )
        if not language:  # written before comments kept their language
            type(comment).objects.filter(pk=comment.pk).update(language="")
        learners.append((learner, comment))
    replier = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for _learner, comment in learners:
            reply = services.comment_post(
                lesson=lesson, author=replier, body="Answer", parent=comment, language="ko"
            )
            assert reply.status == CommentStatus.PUBLISHED
    return {message.to[0]: message for message in mail.outbox}, [
        learner for learner, _comment in learners
    ]


def test_a_reply_email_is_in_the_language_the_learner_wrote_in_and_names_the_lesson_so(
    lesson, django_capture_on_commit_callbacks
):
    emails, (english, korean, unknown) = reply_to_each(
        lesson,
        languages=["en", "ko", ""],
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    to_english = emails[english.email]
    assert to_english.subject == f"New reply on “{ENGLISH}”"
    assert f"replied in a thread you follow on “{ENGLISH}”" in to_english.body
    assert "/en/comments/" in to_english.body  # the reply's address, in English too
    # the Korean learner and one whose comment predates its language: the site's language
    for learner in (korean, unknown):
        message = emails[learner.email]
        assert KOREAN in message.subject and ENGLISH not in message.body
        assert "/en/" not in message.body
