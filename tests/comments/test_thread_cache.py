"""The comment threads come from one cached rendering shared by every learner; each viewer
still sees their own controls. Each test opens the page as one viewer (filling the cache) and
then as others, who must see exactly what a fresh rendering would show them."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from comments import services
from comments.models import Comment, CommentStatus
from tests.factories import CommentFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def section(client, lesson):
    html = client.get(lesson.get_absolute_url()).content.decode()
    start = html.index('<section class="stream-comments"')
    return html[start : html.index("</section>", start)]


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def article(html, comment):
    start = html.rindex("<article", 0, html.index(f'id="comment-{comment.pk}"'))
    return html[start : html.index("</article>", start)]


def test_each_learner_sees_their_own_controls_on_the_shared_threads(lesson):
    # given comments by two learners, and the threads cached by a third learner's visit
    ana, ben = UserFactory(), UserFactory()
    by_ana = CommentFactory(lesson=lesson, author=ana, body="Ana writes")
    by_ben = CommentFactory(lesson=lesson, author=ben, body="Ben writes")
    section(signed_in(UserFactory()), lesson)

    # when each author opens the page, then only their own comment offers edit and delete,
    # and only the others' comments offer a flag
    for me, mine, theirs in ((ana, by_ana, by_ben), (ben, by_ben, by_ana)):
        html = section(signed_in(me), lesson)
        assert f'action="/comments/{mine.pk}/edit/"' in html
        assert f'action="/comments/{mine.pk}/delete/"' in html
        assert f'href="/comments/{mine.pk}/flag/"' not in html
        assert "stream-comment--mine" in article(html, mine)
        assert f'action="/comments/{theirs.pk}/edit/"' not in html
        assert f'href="/comments/{theirs.pk}/flag/"' in html
        assert "stream-comment--mine" not in article(html, theirs)
    # and every form carries this viewer's token, none a placeholder from the cache
    tokens = set(TOKEN.findall(html))
    assert len(tokens) == 1
    assert len(tokens.pop()) == 64


def test_a_flag_shows_to_the_flagger_only(lesson, learner, other_learner):
    comment = CommentFactory(lesson=lesson, body="Questionable")
    section(signed_in(other_learner), lesson)
    services.comment_flag(comment=comment, user=learner)

    mine = article(section(signed_in(learner), lesson), comment)
    theirs = article(section(signed_in(other_learner), lesson), comment)

    assert "stream-comment__flagged" in mine
    assert f'href="/comments/{comment.pk}/flag/"' not in mine
    assert f'href="/comments/{comment.pk}/flag/"' in theirs


def test_a_pending_comment_still_shows_to_its_author_alone(lesson, learner, other_learner):
    section(signed_in(other_learner), lesson)  # cache the threads
    pending = CommentFactory(lesson=lesson, author=learner, status=CommentStatus.PENDING)
    assert f'id="comment-{pending.pk}"' in section(signed_in(learner), lesson)
    assert f'id="comment-{pending.pk}"' not in section(signed_in(other_learner), lesson)
    assert f'id="comment-{pending.pk}"' not in section(Client(), lesson)


def test_staff_get_moderation_controls_never_the_learners_copy(lesson, learner):
    comment = CommentFactory(lesson=lesson)
    section(signed_in(learner), lesson)
    html = section(signed_in(StaffFactory()), lesson)
    assert f'action="/comments/{comment.pk}/hide/"' in html
    assert f'action="/comments/{comment.pk}/hide/"' not in section(signed_in(learner), lesson)


def test_a_new_reply_shows_to_everyone_at_once(lesson, learner, other_learner):
    parent = CommentFactory(lesson=lesson, author=learner)
    section(signed_in(other_learner), lesson)
    reply = services.comment_post(lesson=lesson, author=learner, body="Fresh reply", parent=parent)
    assert f'id="comment-{reply.pk}"' in section(signed_in(other_learner), lesson)
    assert f'id="comment-{reply.pk}"' in section(Client(), lesson)


def test_closed_comments_drop_the_reply_forms_from_the_cached_threads(lesson, learner):
    from comments.models import CommentSettings

    comment = CommentFactory(lesson=lesson)
    assert 'data-action="reply"' in article(section(signed_in(learner), lesson), comment)
    CommentSettings.objects.create(lesson=lesson, comments_open=False)
    assert 'data-action="reply"' not in article(section(signed_in(learner), lesson), comment)


def test_forms_in_the_cached_threads_carry_each_viewers_own_token(lesson, learner, other_learner):
    # given threads cached by one learner
    comment = CommentFactory(lesson=lesson, author=learner)
    section(signed_in(learner), lesson)
    # when another learner (CSRF enforced) replies with the token of the shared reply form
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_learner)
    html = section(client, lesson)
    shared = html[html.index("<template data-reply-template>") :]
    token = TOKEN.search(shared).group(1)
    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]),
        {"csrfmiddlewaretoken": token, "body": "Reply with my token", "parent": comment.pk},
    )
    # then it is accepted
    assert response.status_code == 302
    assert Comment.objects.filter(lesson=lesson, body="Reply with my token").exists()


def test_the_thousand_comment_threads_cost_one_query_once_cached(
    lesson, learner, other_learner, django_assert_max_num_queries
):
    from tests.comments.helpers import comments_bulk_create

    comments_bulk_create(lesson=lesson, total=300, threads=20, viewer=learner)
    first = section(signed_in(other_learner), lesson)
    client = signed_in(learner)
    section(client, lesson)  # the learner's own comments, cached for them
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        again = section(client, lesson)
    # no query reads comment rows: the threads and the learner's own comments are cached
    rows = [q["sql"] for q in queries if q["sql"].startswith('SELECT "stream_comments_comment"')]
    assert rows == []
    assert again.count("<article") == first.count("<article")


# --- One shared reply form and flag form; pages of their own without JavaScript ------------


def test_threads_carry_no_form_per_comment_but_one_shared_reply_and_flag_form(lesson, learner):
    from tests.comments.helpers import comments_bulk_create

    comments_bulk_create(lesson=lesson, total=60, threads=10)
    html = section(signed_in(learner), lesson)
    threads = html[html.index('<ol class="stream-thread-list"') : html.index("<template")]
    assert "<form" not in threads  # the learner wrote nothing here: no controls of their own
    assert threads.count('data-action="reply"') > 40
    assert html.count("<template data-reply-template>") == 1
    assert html.count("<template data-flag-template>") == 1


def test_reply_page_without_javascript(client, lesson, learner):
    comment = CommentFactory(lesson=lesson, body="Original **question**")
    url = reverse("stream_comments:reply", args=[comment.pk])

    # anonymous visitors are sent to sign in
    assert client.get(url).status_code == 302
    client.force_login(learner)
    page = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert f'action="{reverse("stream_comments:post", args=[lesson.pk])}"' in page
    assert f'name="parent" value="{comment.pk}"' in page
    assert "<strong>question</strong>" in page  # what is being answered
    assert "Post reply" in page

    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]),
        {"body": "An answer", "parent": comment.pk},
    )
    assert response.status_code == 302
    assert Comment.objects.get(body="An answer").parent == comment


def test_reply_page_refuses_when_comments_are_closed(client, lesson, learner):
    from comments.models import CommentSettings

    comment = CommentFactory(lesson=lesson)
    CommentSettings.objects.create(lesson=lesson, comments_open=False)
    client.force_login(learner)
    response = client.get(reverse("stream_comments:reply", args=[comment.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith("#comments")


def test_flag_page_without_javascript(client, lesson, learner, other_learner):
    theirs = CommentFactory(lesson=lesson, author=other_learner)
    mine = CommentFactory(lesson=lesson, author=learner)
    url = reverse("stream_comments:flag", args=[theirs.pk])

    assert client.get(url).status_code == 302  # anonymous: sign in first
    client.force_login(learner)
    page = client.get(url).content.decode()
    assert f'action="{url}"' in page
    assert '<select name="reason"' in page
    # one's own comment cannot be flagged
    own = client.get(reverse("stream_comments:flag", args=[mine.pk]))
    assert own.status_code == 302
    # and the page's form flags it
    client.post(url, {"reason": "spam"})
    assert theirs.flags.filter(user=learner, reason="spam").exists()


def test_the_cached_figures_follow_the_bell_and_new_comments(lesson, learner):
    client = signed_in(learner)
    assert 'aria-pressed="false"' in section(client, lesson)
    services.subscription_set(user=learner, lesson=lesson, active=True)
    assert 'aria-pressed="true"' in section(client, lesson)

    english = Client(headers={"Accept-Language": "en"})
    assert "Comments 0" in section(english, lesson)
    CommentFactory(lesson=lesson)
    assert "Comments 1" in section(english, lesson)


def test_deleting_a_flagged_learner_deletes_their_flags_and_refreshes_the_page(lesson, learner):
    # a cascade deletes the flag while its comment stays: the page follows, nothing fails
    comment = CommentFactory(lesson=lesson)
    services.comment_flag(comment=comment, user=learner)
    section(Client(), lesson)
    learner.delete()
    assert not comment.flags.exists()
    assert f'id="comment-{comment.pk}"' in section(Client(), lesson)
