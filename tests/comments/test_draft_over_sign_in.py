"""Without JavaScript, a comment posted by a browser that is no longer signed in (the session
expired while the learner wrote) waits for them: signing in leads to the form holding their
text, which they post themselves. Before, the sign-in redirect dropped it."""

import re
from html import unescape

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from comments.models import Comment, CommentStatus
from tests.factories import CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
WORDS = "Half an hour of careful words about `rope` scaling."


@pytest.fixture(autouse=True)
def fresh_sign_in_limits():
    cache.clear()  # allauth's sign-in counters
    yield
    cache.clear()


@pytest.fixture
def ada(db):
    user = UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def textarea(response) -> str | None:
    found = re.search(
        r'<textarea id="comment-body"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
    )
    return unescape(found.group(1)) if found else None


def form_written_as_the_session_expires(client, user, url) -> dict:
    """Sign ``user`` in, open the form page at ``url`` and end the session on the server while
    they write, as it expires; the form's hidden fields, as the browser would post them."""
    client.force_login(user)
    page = client.get(url).content.decode()
    client.session.delete()
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))


def sign_in(client, location):
    """Follow a redirect to the sign-in page and sign in there as Ada, as a browser would."""
    login = client.get(location)
    assert login.status_code == 200
    response = client.post(location, {"login": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 302, text_of(response)
    return response["Location"]


def test_a_comment_posted_signed_out_waits_for_its_author_after_sign_in(lesson, ada):
    # given a learner whose session expired while they wrote, without JavaScript
    client = Client()
    write = reverse("stream_comments:write", args=[lesson.pk])
    fields = form_written_as_the_session_expires(client, ada, write)

    # when they post their comment
    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]), {**fields, "body": WORDS}
    )

    # then they are sent to sign in, and back to the write page, with nothing posted
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={write}"
    assert not Comment.objects.exists()
    # and the sign-in page says their comment is kept
    assert "댓글은 보관해 두었어요" in text_of(client.get(response["Location"]))

    # when they sign in
    back = sign_in(client, response["Location"])

    # then the write page holds their text, still not posted until they press the button
    assert back == write
    page = client.get(back)
    assert textarea(page) == WORDS
    assert "아직 올리지 않았어요" in text_of(page)
    assert not Comment.objects.exists()

    # when they post it, it is theirs, and the write page is empty again
    client.post(reverse("stream_comments:post", args=[lesson.pk]), {"body": WORDS})
    comment = Comment.objects.get()
    assert comment.author == ada and comment.body == WORDS and comment.lesson == lesson
    assert textarea(client.get(write)) == ""


def test_a_reply_posted_signed_out_waits_on_its_reply_page(lesson, ada):
    parent = CommentFactory(lesson=lesson, body="The question")
    client = Client()
    reply = reverse("stream_comments:reply", args=[parent.pk])
    fields = form_written_as_the_session_expires(client, ada, reply)
    assert fields["parent"] == str(parent.pk)

    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]), {**fields, "body": WORDS}
    )

    assert response["Location"] == f"/accounts/login/?next={reply}"
    assert sign_in(client, response["Location"]) == reply
    page = client.get(reply)
    assert textarea(page) == WORDS
    assert f'name="parent" value="{parent.pk}"' in page.content.decode()
    # the lesson's other form pages do not take it for theirs
    assert textarea(client.get(reverse("stream_comments:write", args=[lesson.pk]))) == ""
    assert not Comment.objects.filter(author=ada).exists()


def test_a_reply_kept_for_a_comment_hidden_meanwhile_waits_as_a_comment_of_its_own(lesson, ada):
    # given a reply kept over signing in, to a comment staff hide before the learner signs in
    parent = CommentFactory(lesson=lesson, body="The question")
    client = Client()
    reply = reverse("stream_comments:reply", args=[parent.pk])
    fields = form_written_as_the_session_expires(client, ada, reply)
    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]), {**fields, "body": WORDS}
    )
    parent.status = CommentStatus.HIDDEN
    parent.save()

    # when they sign in and land where the reply page was
    landed = client.get(sign_in(client, response["Location"]), follow=True)

    # then their words wait on the write page, which says why they are no longer a reply
    assert landed.redirect_chain[-1][0] == reverse("stream_comments:write", args=[lesson.pk])
    assert textarea(landed) == WORDS
    assert "더 이상 보이지 않아" in text_of(landed)
    assert 'name="parent"' not in landed.content.decode()
    # and posting them makes a comment of its own, and the kept words are gone
    page_fields = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', landed.content.decode())
    )
    client.post(reverse("stream_comments:post", args=[lesson.pk]), {**page_fields, "body": WORDS})
    mine = Comment.objects.get(author=ada)
    assert mine.body == WORDS and mine.parent is None
    assert textarea(client.get(reverse("stream_comments:write", args=[lesson.pk]))) == ""


def test_a_kept_comment_shows_to_no_one_else(lesson, ada, other_learner):
    write = reverse("stream_comments:write", args=[lesson.pk])
    client = Client()
    fields = form_written_as_the_session_expires(client, ada, write)
    client.post(reverse("stream_comments:post", args=[lesson.pk]), {**fields, "body": WORDS})

    # a visitor is sent to sign in
    visitor = Client().get(write)
    assert visitor.status_code == 302 and WORDS not in visitor.content.decode()
    # and another learner gets an empty form
    other = Client()
    other.force_login(other_learner)
    assert textarea(other.get(write)) == ""


@pytest.mark.parametrize(
    "data",
    [
        {"body": "x" * 5001},  # over COMMENTS_MAX_LENGTH
        {"body": "   "},
        {"body": WORDS, "parent": "not a number"},
        {"body": WORDS, "parent": "0"},
        {"body": WORDS, "writer": ""},  # not from a form page rendered for a learner
    ],
    ids=["too-long", "blank", "bad-parent", "zero-parent", "no-form-page"],
)
def test_what_could_not_be_a_comment_is_not_kept(lesson, ada, data):
    client = Client()
    write = reverse("stream_comments:write", args=[lesson.pk])
    fields = form_written_as_the_session_expires(client, ada, write)

    response = client.post(reverse("stream_comments:post", args=[lesson.pk]), {**fields, **data})

    # the visitor is sent to sign in and back to the lesson's comments, as before
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    sign_in(client, response["Location"])
    assert textarea(client.get(reverse("stream_comments:write", args=[lesson.pk]))) == ""


def test_signing_out_drops_a_kept_comment(lesson, ada):
    client = Client()
    write = reverse("stream_comments:write", args=[lesson.pk])
    fields = form_written_as_the_session_expires(client, ada, write)
    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]), {**fields, "body": WORDS}
    )
    sign_in(client, response["Location"])

    client.post("/accounts/logout/")
    client.force_login(ada)

    assert textarea(client.get(reverse("stream_comments:write", args=[lesson.pk]))) == ""


def test_a_long_comment_with_line_breaks_is_kept_as_a_browser_sends_it(lesson, ada):
    # given a comment within COMMENTS_MAX_LENGTH as stored (4,799 characters), whose line
    # breaks a browser sends as CR LF (5,999 characters on the wire), posted signed out
    words = "한 줄\r\n" * 1200
    client = Client()
    write = reverse("stream_comments:write", args=[lesson.pk])
    fields = form_written_as_the_session_expires(client, ada, write)
    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]), {**fields, "body": words}
    )

    # when the learner signs in
    back = sign_in(client, response["Location"])

    # then the write page holds their text, as it holds any comment that could be posted
    assert back == write
    assert textarea(client.get(write)).split() == words.split()
    client.post(reverse("stream_comments:post", args=[lesson.pk]), {"body": words})
    assert Comment.objects.get().author == ada


def test_a_kept_comment_is_not_offered_to_another_learner_signing_in_on_that_browser(lesson, ada):
    # given Ada's session expired on a shared computer while she wrote on the write page
    grace = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=grace, email=grace.email, verified=True, primary=True)
    client = Client()
    write = reverse("stream_comments:write", args=[lesson.pk])
    fields = form_written_as_the_session_expires(client, ada, write)

    # when she posts it, then walks away, and Grace signs in on the same browser
    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]), {**fields, "body": WORDS}
    )
    login = client.get(response["Location"])
    client.post(response["Location"], {"login": grace.email, "password": PASSWORD})

    # then Grace's write page is empty: Ada's words are not shown to her, nor hers to post
    assert login.status_code == 200
    page = client.get(write)
    assert textarea(page) == ""
    assert WORDS not in page.content.decode()
