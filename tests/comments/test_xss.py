"""The XSS corpus through comments and problem reports, asserted on the HTML that shows them:
the lesson page, the script's fragments, the notifications page, the admin and emails."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from comments import services
from comments.models import Comment, ProblemReport
from tests.comments.test_views import section_html
from tests.factories import CommentFactory
from tests.lessons.test_xss import assert_nothing_executable
from tests.xss_corpus import XSS_PAYLOADS

pytestmark = pytest.mark.django_db

# Our own forms carry data-stream-form (or post to the notifications page), and the section's
# shared forms and controls sit in <template data-…-template> (comment-form, reply, flag, edit…);
# nh3 lets no <form>, <template> or data-* attribute through, so any other left after this came
# from a payload.
_OWN_FORM_RE = re.compile(
    r'<form\b[^>]*(?:\bdata-stream-form="[\w-]+"|action="/me/notifications/read/")[^>]*>|</form>'
    r"|<template data-[a-z-]+-template>|</template>"
)


def without_own_forms(html: str) -> str:
    return _OWN_FORM_RE.sub("", html)


PAYLOADS = [
    pytest.param(source.replace("\x00", "\ufffd"), id=name) for name, source in XSS_PAYLOADS
]


@pytest.fixture
def no_limits(settings):
    settings.STREAM = {
        **settings.STREAM,
        "COMMENTS_POST_LIMIT": None,
        "COMMENTS_PER_LESSON_PER_HOUR": None,
        "REPORTS_LIMIT_PER_IP": None,
        "REPORTS_LIMIT_PER_USER": None,
    }


def test_every_payload_posted_as_a_comment_renders_inert(
    client, lesson, learner, no_limits, settings
):
    # given every payload posted through the page's form, each as a comment and a reply
    client.force_login(learner)
    url = reverse("stream_comments:post", args=[lesson.pk])
    top = CommentFactory(lesson=lesson)
    for _name, source in XSS_PAYLOADS:
        body = source.replace("\x00", "\ufffd")
        client.post(url, {"body": body})
        client.post(url, {"body": body, "parent": top.pk})
    assert Comment.objects.count() == 2 * len(XSS_PAYLOADS) + 1

    # when the page shows them all (one page), then nothing in the section can run script
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 500}
    html = section_html(client.get(lesson.get_absolute_url()).content.decode())
    assert len(re.findall(r'<article class="stream-comment', html)) == Comment.objects.count()
    assert_nothing_executable(without_own_forms(html))


@pytest.mark.parametrize("body", PAYLOADS)
def test_payload_in_fragments_and_the_notifications_page(
    client, lesson, learner, body, django_capture_on_commit_callbacks
):
    # given a learner's comment and a hostile reply to it, sent through the script's path (the
    # notification is made once the request's transaction commits)
    parent = CommentFactory(lesson=lesson, author=learner)
    services.subscription_set(user=learner, lesson=lesson, active=True)
    client.force_login(CommentFactory(lesson=lesson).author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stream_comments:post", args=[lesson.pk]),
            {"body": body, "parent": parent.pk},
            HTTP_X_STREAM_FRAGMENT="1",
        )

    # then the fragment, the recipient's notifications page and the email are inert
    assert response.status_code == 201
    assert_nothing_executable(without_own_forms(response.json()["html"]))
    client.force_login(learner)
    page = client.get(reverse("stream_comments:notifications")).content.decode()
    listed = page[page.index('<ol class="stream-notification-list">') :]
    assert_nothing_executable(without_own_forms(listed[: listed.index("</ol>")]))


def test_reply_emails_carry_no_markup_from_payloads(
    lesson, learner, other_learner, no_limits, django_capture_on_commit_callbacks
):
    parent = services.comment_post(lesson=lesson, author=learner, body="Question")

    with django_capture_on_commit_callbacks(execute=True):
        for _name, source in XSS_PAYLOADS:
            services.comment_post(
                lesson=lesson,
                author=other_learner,
                body=source.replace("\x00", "\ufffd"),
                parent=parent,
            )

    # then every email is plain text only (a mail client shows tags in it as text) and holds
    # no address a learner wrote: our own links are the only ones (relative here, no site URL)
    assert len(mail.outbox) == len(XSS_PAYLOADS)
    for message in mail.outbox:
        assert message.content_subtype == "plain" and not getattr(message, "alternatives", [])
        assert re.findall(r"(?i)[a-z][a-z0-9+.-]*://", message.body) == []


def test_every_payload_as_a_report_is_inert_in_the_admin_queue(client, lesson, staff, no_limits):
    # given every payload filed as an anonymous problem report through the page's form
    url = reverse("stream_comments:report", args=[lesson.pk])
    for _name, source in XSS_PAYLOADS:
        client.post(url, {"kind": "bug", "message": source.replace("\x00", "\ufffd")})
    assert ProblemReport.objects.count() == len(XSS_PAYLOADS)

    # when staff work through the queue, then the list and each report are inert
    client.force_login(staff)
    changelist = client.get(
        reverse("admin:stream_comments_problemreport_changelist"), {"all": ""}
    ).content.decode()
    table = changelist[changelist.index('<table id="result_list"') :]
    assert_nothing_executable(table[: table.index("</table>")])
    for report in ProblemReport.objects.all()[:40]:
        page = client.get(
            reverse("admin:stream_comments_problemreport_change", args=[report.pk])
        ).content.decode()
        fieldsets = re.findall(r"<fieldset.*?</fieldset>", page, re.S)
        assert fieldsets
        for fieldset in fieldsets:
            assert_nothing_executable(fieldset)


def test_comment_payloads_are_inert_in_the_moderation_admin(client, lesson, staff):
    for _name, source in XSS_PAYLOADS[:60]:
        CommentFactory(lesson=lesson, body=source.replace("\x00", "\ufffd"))
    client.force_login(staff)

    changelist = client.get(reverse("admin:stream_comments_comment_changelist")).content.decode()
    table = changelist[changelist.index('<table id="result_list"') :]
    assert_nothing_executable(table[: table.index("</table>")])
    comment = Comment.objects.first()
    page = client.get(
        reverse("admin:stream_comments_comment_change", args=[comment.pk])
    ).content.decode()
    for fieldset in re.findall(r"<fieldset.*?</fieldset>", page, re.S):
        assert_nothing_executable(fieldset)
