"""Without JavaScript, the outcome of a comment form (done, or refused and why) shows in the
answer to it, never later on some unrelated page.

The lesson page is the same for every viewer and shows no messages, so an outcome left as a
message for it was lost there and surfaced on the next page of one's own (the write page, the
notifications page) out of context."""

import re
from html import unescape

import pytest
from django.urls import reverse

from comments.models import CommentFlag, CommentSettings, CommentStatus, ReplySubscription
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def later_page(client, lesson) -> str:
    """A page of the learner's own, opened after the form (where a lost message surfaced)."""
    return text_of(client.get(reverse("stream_comments:write", args=[lesson.pk])))


def test_a_refusal_says_why_in_its_answer(client, lesson, learner, other_learner):
    theirs = CommentFactory(lesson=lesson, author=other_learner, body="Not yours")
    client.force_login(learner)

    # when a learner opens the edit form of someone else's comment (an old link, a typed URL)
    response = client.get(reverse("stream_comments:edit", args=[theirs.pk]))

    # then the answer says they cannot, with a way back, and no later page says it again
    assert response.status_code == 403
    assert "이 댓글은 수정할 수 없어요." in text_of(response)
    assert f'href="{lesson.get_absolute_url()}#comments"' in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert "이 댓글은 수정할 수 없어요." not in later_page(client, lesson)


def test_closed_comments_refuse_a_reply_page_in_its_answer(client, lesson, learner):
    comment = CommentFactory(lesson=lesson, body="Before closing")
    CommentSettings.objects.create(lesson=lesson, comments_open=False)
    client.force_login(learner)

    response = client.get(reverse("stream_comments:reply", args=[comment.pk]))

    assert response.status_code == 403
    assert "이 댓글에는 답글을 달 수 없어요." in text_of(response)


def test_flagging_thanks_in_its_answer(client, lesson, learner, other_learner):
    theirs = CommentFactory(lesson=lesson, author=other_learner)
    client.force_login(learner)

    response = client.post(reverse("stream_comments:flag", args=[theirs.pk]), {"reason": "spam"})

    # the shared lesson page cannot show that the comment was flagged: the answer does
    assert response.status_code == 200
    assert "고마워요. 관리자가 살펴볼게요." in text_of(response)
    assert f'href="{lesson.get_absolute_url()}#comment-{theirs.pk}"' in response.content.decode()
    assert CommentFlag.objects.get().reason == "spam"
    assert "고마워요. 관리자가 살펴볼게요." not in later_page(client, lesson)


def test_the_bell_says_what_it_did_in_its_answer(client, lesson, learner):
    client.force_login(learner)
    url = reverse("stream_comments:subscription", args=[lesson.pk])

    response = client.post(url, {"active": "1"})

    assert response.status_code == 200
    assert "이 레슨의 답글 알림을 켰어요." in text_of(response)
    assert ReplySubscription.objects.get(user=learner, lesson=lesson).active
    assert "이 레슨의 답글 알림을 켰어요." not in later_page(client, lesson)


def test_edit_and_delete_leave_no_message_for_a_later_page(client, lesson, learner):
    mine = CommentFactory(lesson=lesson, author=learner, body="Mine")
    client.force_login(learner)

    edited = client.post(reverse("stream_comments:edit", args=[mine.pk]), {"body": "Better"})
    deleted = client.post(reverse("stream_comments:delete", args=[mine.pk]))

    # back at the comment, which shows the change; nothing waits to surface elsewhere
    assert edited["Location"].endswith(f"#comment-{mine.pk}")
    assert deleted["Location"] == f"{lesson.get_absolute_url()}#comments"
    mine.refresh_from_db()
    assert mine.body == "Better" and mine.status == CommentStatus.REMOVED
    later = later_page(client, lesson)
    assert "댓글을 수정했어요." not in later and "댓글을 삭제했어요." not in later


def test_a_report_is_thanked_once(client, lesson):
    response = client.post(
        reverse("stream_comments:report", args=[lesson.pk]),
        {"kind": "bug", "message": "A typo in the second heading", "website": ""},
    )

    # the thanks is the page's heading, not repeated by a message above it
    assert response.status_code == 200
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    assert main.count("고마워요! 신고가 강사에게 전달됐어요.") == 1


def test_without_a_script_a_learner_finds_edit_and_delete_for_their_own_comments(
    client, lesson, learner, other_learner
):
    mine = CommentFactory(lesson=lesson, author=learner, body="Mine")
    CommentFactory(lesson=lesson, author=other_learner, body="Theirs")
    client.force_login(learner)
    url = reverse("stream_comments:own_comments", args=[lesson.pk])

    # the lesson page (everyone's: it cannot tell whose comment is whose) links, for browsers
    # without a script, a page of the learner's own comments on the lesson
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert f'<noscript><p class="stream-comments__own-comments"><a href="{url}">' in page
    mine_page = client.get(url)

    # which lists theirs only, each with its edit page and a delete button with their token
    html = mine_page.content.decode()
    assert mine_page.status_code == 200 and "private" in mine_page["Cache-Control"]
    assert "Mine" in html and "Theirs" not in html
    assert f'href="{reverse("stream_comments:edit", args=[mine.pk])}"' in html
    assert f'action="{reverse("stream_comments:delete", args=[mine.pk])}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    client.post(reverse("stream_comments:delete", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.status == CommentStatus.REMOVED
    assert "Mine" not in client.get(url).content.decode()


def test_the_own_comments_page_sends_a_visitor_to_sign_in(client, lesson):
    url = reverse("stream_comments:own_comments", args=[lesson.pk])

    response = client.get(url)

    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"
