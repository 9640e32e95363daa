"""GET api/v1/me/page/: each viewer's part of a shared page, and the signed-in hint cookie."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments.models import Comment, CommentFlag, CommentStatus, Notification, ReplySubscription
from comments.viewer import HELD, MODERATOR_HELD_SHOWN, held_comments
from lessons.models import Status
from progress import services as progress_services
from tests.factories import CommentFactory, LessonFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/page/"


@pytest.fixture
def lesson():
    return LessonFactory(status=Status.PUBLISHED, course__status=Status.PUBLISHED)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_anonymous_visitor_gets_a_token_and_nothing_else(lesson, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(0):
        response = client.get(URL, {"lesson": lesson.pk})
    assert response.status_code == 200
    assert response.json() == {
        "user": None,
        "csrf_token": response.json()["csrf_token"],
        "logout_url": None,
        "nav": [],
        "messages": [],
        "progress": None,
        "comments": None,
    }
    assert response.json()["csrf_token"]
    assert "csrftoken" in response.cookies
    assert response["Cache-Control"] == "private, no-store"


def test_a_learner_gets_their_own_part(lesson, learner):
    # given a learner with a completion, a comment, a pending one, a flag and the 🔔 on,
    # and a reply notification
    progress_services.completion_record(user=learner, lesson=lesson)
    mine = CommentFactory(lesson=lesson, author=learner)
    pending = CommentFactory(lesson=lesson, author=learner, status=CommentStatus.PENDING)
    theirs = CommentFactory(lesson=lesson)
    CommentFlag.objects.create(comment=theirs, user=learner)
    ReplySubscription.objects.create(user=learner, lesson=lesson, active=True)
    reply = CommentFactory(lesson=lesson, parent=mine)
    Notification.objects.create(recipient=learner, kind="reply", lesson=lesson, comment=reply)

    # when they ask for their part of the lesson page
    body = signed_in(learner).get(URL, {"lesson": lesson.pk, "comments_page": 1}).json()

    # then it is theirs
    assert body["user"]["id"] == learner.pk
    assert [item["url"] for item in body["nav"]][:2] == ["/me/progress/", "/me/notifications/"]
    assert body["nav"][1]["badge"]
    assert [item["lesson"] for item in body["progress"]["completed"]] == [lesson.pk]
    comments = body["comments"]
    assert comments["subscribed"] is True and comments["may_comment"] is True
    assert comments["moderator"] is False
    assert {item["id"] for item in comments["own"]} == {mine.pk, pending.pk}
    assert comments["flagged"] == [theirs.pk]
    assert [item["id"] for item in comments["pending"]] == [pending.pk]
    assert pending.body_html in comments["pending"][0]["html"]


def test_another_learner_gets_none_of_it(lesson, learner):
    CommentFactory(lesson=lesson, author=learner)
    progress_services.completion_record(user=learner, lesson=lesson)
    other = UserFactory()

    body = signed_in(other).get(URL, {"lesson": lesson.pk}).json()

    assert body["user"]["id"] == other.pk
    assert body["progress"]["completed"] == []
    assert body["comments"]["own"] == [] and body["comments"]["pending"] == []


def test_staff_are_moderators_and_see_the_admin_link(lesson):
    body = signed_in(StaffFactory()).get(URL, {"lesson": lesson.pk}).json()
    assert body["comments"]["moderator"] is True
    assert "/admin/" in [item["url"] for item in body["nav"]]


def test_moderators_get_the_comments_held_back_in_full_and_learners_do_not(lesson, learner):
    # given a lesson with a published comment, a hidden reply under it, a hidden comment with
    # a published reply (a placeholder on the shared page) and someone else's pending one
    top = CommentFactory(lesson=lesson, body="Published words")
    hidden = CommentFactory(lesson=lesson, parent=top, status=CommentStatus.HIDDEN, body="Spam")
    hidden_top = CommentFactory(lesson=lesson, status=CommentStatus.HIDDEN, body="Rude words")
    CommentFactory(lesson=lesson, parent=hidden_top, body="An answer to it")
    pending = CommentFactory(lesson=lesson, status=CommentStatus.PENDING, body="Waiting words")
    query = {"lesson": lesson.pk, "comments_page": 1}

    # when staff ask for their part of the page
    held = signed_in(StaffFactory()).get(URL, query).json()["comments"]["pending"]

    # then they get each held comment rendered in full, marked, with where it goes
    by_id = {item["id"]: item for item in held}
    assert set(by_id) == {hidden.pk, hidden_top.pk, pending.pk}
    assert "Spam" in by_id[hidden.pk]["html"] and by_id[hidden.pk]["parent"] == top.pk
    assert "Rude words" in by_id[hidden_top.pk]["html"]
    assert "badge--hidden" in by_id[hidden_top.pk]["html"]
    assert "Waiting words" in by_id[pending.pk]["html"]
    # and a learner gets none of them
    assert signed_in(learner).get(URL, query).json()["comments"]["pending"] == []


def test_a_moderators_part_costs_one_query_more_held_comments_or_not(
    lesson, django_assert_num_queries
):
    client = signed_in(StaffFactory())
    client.get(URL, {"lesson": lesson.pk})
    with django_assert_num_queries(VIEWER_QUERIES + 1):
        assert client.get(URL, {"lesson": lesson.pk}).status_code == 200
    CommentFactory.create_batch(3, lesson=lesson, status=CommentStatus.HIDDEN)
    with django_assert_num_queries(VIEWER_QUERIES + 1):
        body = client.get(URL, {"lesson": lesson.pk}).json()
    assert len(body["comments"]["pending"]) == 3


def test_a_moderator_reads_only_the_newest_held_comments_of_a_lesson_full_of_spam(lesson):
    # given more hidden and pending comments than a moderator is shown, two posted per minute
    # (so that equal times are ordered by id)
    held_count = MODERATOR_HELD_SHOWN + 50
    held = [
        CommentFactory(lesson=lesson, status=HELD[n % 2], body=f"Spam {n}")
        for n in range(held_count)
    ]
    start = timezone.now() - timedelta(days=1)
    for n, comment in enumerate(held):
        Comment.objects.filter(pk=comment.pk).update(created_at=start + timedelta(minutes=n // 2))
    newest = sorted(Comment.objects.filter(lesson=lesson), key=lambda c: (c.created_at, c.pk))
    newest = {comment.pk for comment in newest[-MODERATOR_HELD_SHOWN:]}
    client = signed_in(StaffFactory())
    client.get(URL, {"lesson": lesson.pk})

    # when staff ask for their part of the lesson page
    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL, {"lesson": lesson.pk}).json()

    # then they get the newest 100 of them
    assert {item["id"] for item in body["comments"]["pending"]} == newest
    # and the answer read fewer rows than the lesson has held comments (it read every one)
    with connection.cursor() as cursor:
        read = 0
        for query in queries.captured_queries:
            cursor.execute(query["sql"])
            read += len(cursor.fetchall())
    assert read < held_count


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite uses a partial index only when a query spells out its condition's values,"
    " which Django sends as parameters",
)
def test_the_newest_held_comments_are_read_in_order_from_an_index_of_held_comments(lesson):
    # given a lesson with held comments among published ones, and a planner that reads a
    # table through an index when it can (a test's few rows are cheaper to scan)
    CommentFactory.create_batch(3, lesson=lesson)
    CommentFactory.create_batch(3, lesson=lesson, status=CommentStatus.HIDDEN)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")

    # when the database plans a moderator's read of them
    plan = held_comments(lesson).explain()

    # then it walks the index of held comments, newest first, and stops at the last one
    # shown: no sort of every comment of the lesson first (thousands for a lesson full of spam)
    assert "stream_comment_held" in plan
    assert "Sort" not in plan


def test_a_lesson_the_viewer_may_not_open_gets_no_comment_part(learner):
    draft = LessonFactory(status=Status.DRAFT)
    body = signed_in(learner).get(URL, {"lesson": draft.pk}).json()
    assert body["comments"]["lesson"] is None
    assert "own" not in body["comments"]


@pytest.mark.parametrize(
    "query", [{"lesson": "²"}, {"lesson": "x"}, {"comments_page": "0"}, {"lesson": "9" * 40}]
)
def test_bad_parameters_are_a_400_in_the_apis_shape(learner, query):
    response = signed_in(learner).get(URL, query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("comments", [0, 30])
def test_a_learners_part_costs_the_same_queries_whatever_they_did(
    lesson, learner, django_assert_num_queries, comments
):
    for _ in range(comments):
        CommentFactory(lesson=lesson, author=learner)
    client = signed_in(learner)
    client.get(URL, {"lesson": lesson.pk})  # the site's figures kept, as after any page view
    with django_assert_num_queries(VIEWER_QUERIES):
        assert client.get(URL, {"lesson": lesson.pk}).status_code == 200


# session, user; then see lessons.viewer.viewer_payload
VIEWER_QUERIES = 4


def test_labels_follow_the_pages_language(lesson, learner):
    body = signed_in(learner).get(URL, {"lesson": lesson.pk, "lang": "en"}).json()
    assert body["nav"][0]["label"] == "My progress"
    body = signed_in(learner).get(URL, {"lesson": lesson.pk, "lang": "ko"}).json()
    assert body["nav"][0]["label"] != "My progress"


# --- The signed-in hint ----------------------------------------------------------------------


def test_the_hint_cookie_follows_signing_in_and_out(lesson, learner):
    client = Client()
    client.get("/")
    assert "stream_viewer" not in client.cookies or not client.cookies["stream_viewer"].value
    client.force_login(learner)
    client.get("/")
    assert client.cookies["stream_viewer"].value == "1"
    assert client.cookies["stream_viewer"]["httponly"] == ""
    # signing out through allauth drops the session and the hint with it
    client.post("/accounts/logout/")
    assert client.cookies["stream_viewer"].value == ""
    # and a hint left behind by a session that ended on the server goes at the endpoint
    client.cookies["stream_viewer"] = "1"
    client.get(URL)
    assert client.cookies["stream_viewer"].value == ""


def test_messages_waiting_for_the_viewer_are_answered_once(lesson, learner):
    # given a message left for the learner by a form that redirected (as allauth's "signed in
    # as ..." is left when signing in sends them back to a shared lesson page)
    client = signed_in(learner)
    client.post("/me/notifications/email/", {"email_replies": "0"})

    # when the page's script asks for the viewer's part, twice
    first = client.get(URL, {"lesson": lesson.pk}).json()
    second = client.get(URL, {"lesson": lesson.pk}).json()

    # then the first answer carries it and nothing shows it again
    assert first["messages"] == [
        {"level": "success", "text": "답글 이메일을 껐어요. 앱 안의 알림은 계속 와요."}
    ]
    assert second["messages"] == []


def test_a_visitor_just_signed_out_gets_the_messages_hint_until_the_endpoint_answers(
    lesson, learner
):
    # given a learner who signs out through allauth, back to the lesson page
    client = signed_in(learner)
    page = lesson.get_absolute_url()
    response = client.post("/accounts/logout/", {"next": page})
    assert response.status_code == 302 and response["Location"] == page

    # then the browser, a visitor's now, is told that messages wait (readable by scripts)
    hint = client.cookies["stream_viewer_messages"]
    assert hint.value == "1" and hint["httponly"] == ""
    # and the shared page, which renders no messages, leaves it alone and reads no session
    for name in [name for name, cookie in client.cookies.items() if not cookie.value]:
        del client.cookies[name]  # as a browser drops the cookies the sign-out expired
    shared = client.get(page)
    assert "stream_viewer_messages" not in shared.cookies
    assert "Cookie" not in shared.get("Vary", "")
    # until the page's script asks the endpoint, which answers the message once and drops it
    answer = client.get(URL)
    assert [m["text"] for m in answer.json()["messages"]] == ["로그아웃 되었습니다."]
    assert client.cookies["stream_viewer_messages"].value == ""
    assert client.get(URL).json()["messages"] == []


def test_a_visitors_redirect_without_messages_sets_no_hint(lesson):
    response = Client().post("/accounts/logout/")
    assert response.status_code == 302
    assert "stream_viewer_messages" not in response.cookies
