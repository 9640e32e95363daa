"""The comments REST API: trees, writes with per-object permissions, JSON errors."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from comments.models import (
    Comment,
    CommentFlag,
    CommentStatus,
    Notification,
    ProblemReport,
    ReplySubscription,
)
from lessons.models import Status
from tests.comments.helpers import comments_bulk_create
from tests.factories import CommentFactory, LessonFactory, ProblemReportFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient(enforce_csrf_checks=True)


def comments_url(lesson):
    return reverse("stream_comments_api:lesson-comments", args=[lesson.pk])


def comment_url(comment):
    return reverse("stream_comments_api:comment", args=[comment.pk])


def sign_in(api, user):
    if user is not None:
        api.force_authenticate(user)
    return api


# --- Reading ---------------------------------------------------------------------------------


def test_list_is_a_tree_paginated_by_top_level_comment(api, lesson, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 2}
    first, second, third = (CommentFactory(lesson=lesson) for _ in range(3))
    reply = CommentFactory(parent=second, body="**reply**")
    nested = CommentFactory(parent=reply)

    page_one = api.get(comments_url(lesson)).json()
    page_two = api.get(comments_url(lesson), {"page": 2}).json()

    assert page_one["count"] == 5 and page_one["threads"] == 3 and page_one["pages"] == 2
    assert [t["id"] for t in page_one["results"]] == [first.pk, second.pk]
    assert page_one["next"].endswith(f"/api/v1/lessons/{lesson.pk}/comments/?page=2")
    (reply_data,) = page_one["results"][1]["replies"]
    assert (
        reply_data["id"] == reply.pk and reply_data["body_html"] == "<p><strong>reply</strong></p>"
    )
    assert reply_data["replies"][0]["id"] == nested.pk and reply_data["replies"][0]["depth"] == 2
    assert [t["id"] for t in page_two["results"]] == [third.pk] and page_two["next"] is None


@pytest.mark.parametrize("page", ["true", "0", "-1", "3", "99999999999999999999999"])
def test_a_page_that_does_not_exist_is_a_json_404(api, lesson, page):
    # found by schemathesis: ?page=true used to answer page 1 although the schema says integer
    CommentFactory(lesson=lesson)

    response = api.get(comments_url(lesson), {"page": page})

    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_list_shows_placeholders_not_text_for_deleted_comments(api, lesson):
    removed = CommentFactory(lesson=lesson, status=CommentStatus.REMOVED, body="gone")
    CommentFactory(parent=removed)
    CommentFactory(lesson=lesson, status=CommentStatus.HIDDEN)

    (thread,) = api.get(comments_url(lesson)).json()["results"]

    assert thread["placeholder"] == "removed"
    assert thread["body"] is None and thread["author"] is None and len(thread["replies"]) == 1


def test_draft_lessons_comments_are_404_to_learners_and_visible_to_staff(api, learner, staff):
    draft = LessonFactory(status=Status.DRAFT)
    CommentFactory(lesson=draft)

    assert api.get(comments_url(draft)).status_code == 404
    assert sign_in(api, learner).get(comments_url(draft)).json() == {
        "detail": "그런 레슨이 없어요.",
        "code": "not_found",
    }
    assert len(sign_in(APIClient(), staff).get(comments_url(draft)).json()["results"]) == 1


def test_lessons_of_a_draft_course_are_404_too(api):
    lesson = LessonFactory()
    lesson.course.status = Status.DRAFT
    lesson.course.save()

    assert api.get(comments_url(lesson)).status_code == 404


def test_list_query_count_does_not_grow(api, lesson, django_assert_num_queries):
    # given many comments in deep threads, then the list costs:
    # 1 the lesson (with its course), 2 state (count, threads, open), 3 page of threads,
    # 4 their replies
    for total in (0, 200):
        comments_bulk_create(lesson=lesson, total=total, threads=20, seed=total)
        with django_assert_num_queries(4):
            assert api.get(comments_url(lesson)).status_code == 200


def test_signed_in_list_says_what_the_learner_may_do(api, lesson, learner):
    mine = CommentFactory(lesson=lesson, author=learner)
    theirs = CommentFactory(lesson=lesson)
    CommentFlag.objects.create(comment=theirs, user=learner)

    data = sign_in(api, learner).get(comments_url(lesson)).json()

    by_id = {t["id"]: t for t in data["results"]}
    assert by_id[mine.pk]["is_mine"] and by_id[mine.pk]["can"]["edit"]
    assert not by_id[mine.pk]["can"]["flag"]
    assert by_id[theirs.pk]["flagged_by_me"] and not by_id[theirs.pk]["can"]["edit"]
    assert data["subscribed"] is False and data["comments_open"] is True


def test_a_list_of_200_comments_costs_four_queries(api, lesson, django_assert_num_queries):
    # given a list read once
    comments_bulk_create(lesson=lesson, total=200, threads=20, seed=1)
    first = api.get(comments_url(lesson)).json()

    # when another visitor reads it: 1 the lesson (its visibility), 2 the section's figures,
    # 3 the page of threads, 4 their replies
    with django_assert_num_queries(4):
        again = APIClient().get(comments_url(lesson)).json()

    # then it is the same list
    assert again == first


def test_learners_share_the_cached_list_with_their_own_rights(api, lesson, learner):
    # given two learners' comments, one flagged by the other, and the list cached by a third
    other = UserFactory()
    mine = CommentFactory(lesson=lesson, author=learner)
    theirs = CommentFactory(lesson=lesson, author=other)
    reply = CommentFactory(parent=theirs, author=learner)
    CommentFlag.objects.create(comment=theirs, user=learner)
    sign_in(APIClient(), UserFactory()).get(comments_url(lesson))

    # when each reads the list
    for_me = sign_in(APIClient(), learner).get(comments_url(lesson)).json()
    for_other = sign_in(APIClient(), other).get(comments_url(lesson)).json()
    anonymous = APIClient().get(comments_url(lesson)).json()

    # then each sees their own controls, in the threads' places, replies included
    def by_id(data):
        found = {}
        for thread in data["results"]:
            found[thread["id"]] = thread
            for child in thread["replies"]:
                found[child["id"]] = child
        return found

    me, them, nobody = by_id(for_me), by_id(for_other), by_id(anonymous)
    assert me[mine.pk]["is_mine"] and me[mine.pk]["can"]["edit"] and not me[mine.pk]["can"]["flag"]
    assert me[reply.pk]["is_mine"] and me[theirs.pk]["flagged_by_me"]
    assert [r["id"] for r in me[theirs.pk]["replies"]] == [reply.pk]
    assert not them[mine.pk]["is_mine"] and them[mine.pk]["can"]["flag"]
    assert them[theirs.pk]["is_mine"] and not them[theirs.pk]["flagged_by_me"]
    assert not nobody[mine.pk]["can"]["reply"] and not nobody[mine.pk]["is_mine"]
    assert me[theirs.pk]["can"]["reply"] and for_me["subscribed"] is False
    assert anonymous["subscribed"] is None


def test_the_cached_list_follows_writes(api, lesson, learner, staff):
    first = CommentFactory(lesson=lesson)
    assert [t["id"] for t in api.get(comments_url(lesson)).json()["results"]] == [first.pk]

    # a new comment shows at once
    created = sign_in(api, learner).post(comments_url(lesson), {"body": "New"}, format="json")
    listed = APIClient().get(comments_url(lesson)).json()
    assert [t["id"] for t in listed["results"]] == [first.pk, created.json()["id"]]
    assert listed["count"] == 2

    # a comment awaiting moderation shows to its author only; hidden ones to staff only
    pending = CommentFactory(lesson=lesson, author=learner, status=CommentStatus.PENDING)
    first.status = CommentStatus.HIDDEN
    first.save()
    ids = [
        t["id"] for t in sign_in(APIClient(), learner).get(comments_url(lesson)).json()["results"]
    ]
    assert pending.pk in ids and first.pk not in ids
    ids = [t["id"] for t in APIClient().get(comments_url(lesson)).json()["results"]]
    assert pending.pk not in ids and first.pk not in ids
    ids = [t["id"] for t in sign_in(APIClient(), staff).get(comments_url(lesson)).json()["results"]]
    assert first.pk in ids


# --- Writing ---------------------------------------------------------------------------------


def test_post_a_comment_and_a_reply(api, lesson, learner):
    sign_in(api, learner)

    created = api.post(comments_url(lesson), {"body": "Hi *there*"}, format="json")
    reply = api.post(
        comments_url(lesson), {"body": "Me too", "parent": created.json()["id"]}, format="json"
    )

    assert created.status_code == 201 and created.json()["body_html"] == "<p>Hi <em>there</em></p>"
    assert reply.status_code == 201 and reply.json()["parent"] == created.json()["id"]
    assert reply.json()["author"] == {"name": learner.username, "is_instructor": False}


def test_post_errors_are_json(api, lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MAX_LENGTH": 5}
    sign_in(api, learner)

    too_long = api.post(comments_url(lesson), {"body": "123456"}, format="json")
    bad_parent = api.post(comments_url(lesson), {"body": "ok", "parent": 999}, format="json")
    missing = api.post(comments_url(lesson), {}, format="json")

    assert too_long.status_code == 400
    assert too_long.json()["errors"] == {"body": ["댓글은 최대 5자까지 쓸 수 있어요 (지금 6자)."]}
    assert bad_parent.status_code == 400 and "parent" in bad_parent.json()["errors"]
    assert missing.status_code == 400 and missing.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "data",
    [
        {"body": 12},
        {"body": ["x"]},
        {"body": True},
        {"body": "x", "parent": "1"},
        {"body": "x", "parent": True},
        {"body": "x", "parent": 1.5},
        {"body": "x", "parent": 2**63},
    ],
)
def test_values_of_the_wrong_json_type_are_400_not_coerced(api, lesson, learner, data):
    # found by schemathesis: DRF turned 12 into "12" and "1" into 1, unlike the schema says;
    # and a parent id past the database's range was a 500
    sign_in(api, learner)

    response = api.post(comments_url(lesson), data, format="json")

    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Comment.objects.exists()


def test_notification_ids_past_the_database_range_are_400(api, learner):
    response = sign_in(api, learner).post(
        reverse("stream_comments_api:notifications-read"), {"ids": [2**63]}, format="json"
    )

    assert response.status_code == 400 and "ids" in response.json()["errors"]


def test_rate_limited_post_is_429_with_a_message_and_saves_nothing(api, lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_POST_LIMIT": 1}
    sign_in(api, learner)
    api.post(comments_url(lesson), {"body": "one"}, format="json")

    response = api.post(comments_url(lesson), {"body": "two"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "너무 빨리 쓰고 있어요" in response.json()["detail"]
    assert "Retry-After" in response
    assert list(Comment.objects.values_list("body", flat=True)) == ["one"]


def test_closed_lesson_is_403_comments_closed(api, lesson, learner):
    from comments.models import CommentSettings

    CommentSettings.objects.create(lesson=lesson, comments_open=False)

    response = sign_in(api, learner).post(comments_url(lesson), {"body": "x"}, format="json")

    assert response.status_code == 403 and response.json()["code"] == "comments_closed"


def test_csrf_is_enforced_for_session_users(lesson, learner):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(learner)

    response = client.post(comments_url(lesson), {"body": "x"}, format="json")

    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not Comment.objects.exists()


def test_flag_is_201_then_200_and_idempotent(api, lesson, learner):
    comment = CommentFactory(lesson=lesson)
    url = reverse("stream_comments_api:comment-flag", args=[comment.pk])
    sign_in(api, learner)

    first = api.post(url, {"reason": "spam"}, format="json")
    again = api.post(url, {"reason": "abuse"}, format="json")

    assert first.status_code == 201 and first.json() == {
        "comment": comment.pk,
        "reason": "spam",
        "created": True,
    }
    assert again.status_code == 200 and again.json()["created"] is False
    assert CommentFlag.objects.get().reason == "spam"


def test_subscription_put_delete_get(api, lesson, learner):
    url = reverse("stream_comments_api:lesson-subscription", args=[lesson.pk])
    sign_in(api, learner)

    assert api.put(url).json() == {"lesson": lesson.pk, "subscribed": True}
    assert api.get(url).json()["subscribed"] is True
    assert api.delete(url).json() == {"lesson": lesson.pk, "subscribed": False}
    assert ReplySubscription.objects.get().active is False


def test_notifications_list_and_read(api, lesson, learner):
    parent = CommentFactory(lesson=lesson, author=learner)
    replies = [CommentFactory(parent=parent) for _ in range(2)]
    for reply in replies:
        Notification.objects.create(recipient=learner, kind="reply", lesson=lesson, comment=reply)
    sign_in(api, learner)

    listed = api.get(reverse("stream_comments_api:notifications")).json()
    one = api.post(
        reverse("stream_comments_api:notifications-read"),
        {"ids": [listed["results"][0]["id"]]},
        format="json",
    ).json()
    rest = api.post(reverse("stream_comments_api:notifications-read"), {}, format="json").json()

    assert listed["unread"] == 2 and listed["results"][0]["reply"]["id"] == replies[1].pk
    assert one == {"marked": 1, "unread": 1} and rest == {"marked": 1, "unread": 0}


def test_notifications_are_paginated_like_the_other_lists(api, lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "API_PAGE_SIZE": 2}
    parent = CommentFactory(lesson=lesson, author=learner)
    for _ in range(3):
        Notification.objects.create(
            recipient=learner, kind="reply", lesson=lesson, comment=CommentFactory(parent=parent)
        )
    url = reverse("stream_comments_api:notifications")
    sign_in(api, learner)

    first = api.get(url).json()
    second = api.get(url, {"page": 2}).json()

    assert first["count"] == 3 and first["unread"] == 3 and len(first["results"]) == 2
    assert first["next"].endswith("?page=2") and first["previous"] is None
    assert len(second["results"]) == 1 and second["next"] is None
    assert api.get(url, {"page": 3}).status_code == 404


def test_notifications_query_count_does_not_grow(api, lesson, learner, django_assert_num_queries):
    # 1 count, 2 the page with lessons, replies, their authors and reports, 3 unread count
    parent = CommentFactory(lesson=lesson, author=learner)
    sign_in(api, learner)
    for size in (1, 15):
        for _ in range(size):
            Notification.objects.create(
                recipient=learner,
                kind="reply",
                lesson=lesson,
                comment=CommentFactory(parent=parent),
            )
        with django_assert_num_queries(3):
            response = api.get(reverse("stream_comments_api:notifications"))
        assert response.json()["count"] >= size


def test_anonymous_report_is_201_and_rate_limited_per_ip(lesson, settings):
    settings.STREAM = {**settings.STREAM, "REPORTS_LIMIT_PER_IP": 1}
    api = APIClient(enforce_csrf_checks=True)
    url = reverse("stream_comments_api:lesson-reports", args=[lesson.pk])
    data = {"kind": "content", "message": "Wrong date", "section": "details"}

    first = api.post(url, data, format="json", REMOTE_ADDR="203.0.113.5")
    second = api.post(url, data, format="json", REMOTE_ADDR="203.0.113.5")
    other_ip = api.post(url, data, format="json", REMOTE_ADDR="203.0.113.6")

    assert first.status_code == 201 and first.json()["status"] == "open"
    assert second.status_code == 429 and second.json()["code"] == "throttled"
    assert other_ip.status_code == 201
    assert ProblemReport.objects.count() == 2


def test_client_ip_header_setting_is_honoured(lesson, settings):
    settings.STREAM = {
        **settings.STREAM,
        "REPORTS_LIMIT_PER_IP": 1,
        "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    }
    api = APIClient()
    url = reverse("stream_comments_api:lesson-reports", args=[lesson.pk])
    data = {"kind": "bug", "message": "x"}

    a = api.post(url, data, format="json", HTTP_X_FORWARDED_FOR="1.1.1.1, 10.0.0.1")
    b = api.post(url, data, format="json", HTTP_X_FORWARDED_FOR="2.2.2.2, 10.0.0.2")
    c = api.post(url, data, format="json", HTTP_X_FORWARDED_FOR="3.3.3.3, 10.0.0.2")

    assert (a.status_code, b.status_code, c.status_code) == (201, 201, 429)


def test_report_errors_and_honeypot(api, lesson):
    url = reverse("stream_comments_api:lesson-reports", args=[lesson.pk])

    bad = api.post(url, {"kind": "rant", "message": ""}, format="json")
    wrong_section = api.post(url, {"kind": "bug", "message": "x", "section": "nope"}, format="json")
    bot = api.post(url, {"kind": "bug", "message": "x", "website": "spam"}, format="json")

    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"kind", "message"}
    assert wrong_section.status_code == 400 and "section" in wrong_section.json()["errors"]
    assert bot.status_code == 201 and not ProblemReport.objects.exists()


def test_reports_on_draft_lessons_are_404_to_visitors(api):
    draft = LessonFactory(status=Status.DRAFT)
    url = reverse("stream_comments_api:lesson-reports", args=[draft.pk])

    assert api.post(url, {"kind": "bug", "message": "x"}, format="json").status_code == 404


# --- Authorization matrix (API) ----------------------------------------------------------------


@pytest.fixture
def world(lesson, learner, other_learner, staff):
    comment = CommentFactory(lesson=lesson, author=learner, body="Original")
    reply = CommentFactory(parent=comment, author=other_learner)
    notification = Notification.objects.create(
        recipient=learner, kind="reply", lesson=lesson, comment=reply
    )
    report = ProblemReportFactory(lesson=lesson, reporter=learner)
    return {
        "lesson": lesson,
        "comment": comment,
        "notification": notification,
        "report": report,
        "users": {"anonymous": None, "other": other_learner, "author": learner, "staff": staff},
    }


def _post(api, world):
    response = api.post(comments_url(world["lesson"]), {"body": "New"}, format="json")
    return response, Comment.objects.filter(body="New").exists()


def _reply(api, world):
    data = {"body": "New reply", "parent": world["comment"].pk}
    response = api.post(comments_url(world["lesson"]), data, format="json")
    return response, Comment.objects.filter(body="New reply").exists()


def _edit(api, world):
    response = api.patch(comment_url(world["comment"]), {"body": "Changed"}, format="json")
    return response, Comment.objects.get(pk=world["comment"].pk).body == "Changed"


def _delete(api, world):
    response = api.delete(comment_url(world["comment"]))
    return response, Comment.objects.get(pk=world["comment"].pk).status == CommentStatus.REMOVED


def _flag(api, world):
    url = reverse("stream_comments_api:comment-flag", args=[world["comment"].pk])
    response = api.post(url, {"reason": "spam"}, format="json")
    return response, CommentFlag.objects.exists()


def _subscribe(api, world):
    url = reverse("stream_comments_api:lesson-subscription", args=[world["lesson"].pk])
    response = api.put(url)
    return response, ReplySubscription.objects.filter(active=True).exists()


def _mark_read(api, world):
    url = reverse("stream_comments_api:notifications-read")
    response = api.post(url, {"ids": [world["notification"].pk]}, format="json")
    return response, Notification.objects.get(pk=world["notification"].pk).read_at is not None


def test_resolving_a_report_that_does_not_exist_is_a_not_found_error(api, staff):
    url = reverse("stream_comments_api:report-resolve", args=[10**6])

    response = sign_in(api, staff).post(url, {"status": "resolved"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _resolve(api, world):
    url = reverse("stream_comments_api:report-resolve", args=[world["report"].pk])
    response = api.post(url, {"status": "resolved"}, format="json")
    return response, ProblemReport.objects.get(pk=world["report"].pk).status == "resolved"


# (write, who) -> the status code; the write happened exactly when it is 2xx. "mark read" by
# someone else answers 200 but marks nothing: ids that are not the requester's are ignored.
API_MATRIX = {
    "post": (_post, {"anonymous": 403, "other": 201, "author": 201, "staff": 201}),
    "reply": (_reply, {"anonymous": 403, "other": 201, "author": 201, "staff": 201}),
    "edit": (_edit, {"anonymous": 403, "other": 403, "author": 200, "staff": 403}),
    "delete": (_delete, {"anonymous": 403, "other": 403, "author": 204, "staff": 204}),
    "flag": (_flag, {"anonymous": 403, "other": 201, "author": 403, "staff": 201}),
    "subscribe": (_subscribe, {"anonymous": 403, "other": 200, "author": 200, "staff": 200}),
    "mark read": (_mark_read, {"anonymous": 403, "other": 200, "author": 200, "staff": 200}),
    "resolve report": (_resolve, {"anonymous": 403, "other": 403, "author": 403, "staff": 200}),
}
MARK_READ_ALLOWED = {"anonymous": False, "other": False, "author": True, "staff": False}


@pytest.mark.parametrize("who", ["anonymous", "other", "author", "staff"])
@pytest.mark.parametrize("write", list(API_MATRIX))
def test_authorization_matrix_on_the_api(world, write, who):
    ReplySubscription.objects.all().delete()
    action, statuses = API_MATRIX[write]
    api = sign_in(APIClient(), world["users"][who])

    response, happened = action(api, world)

    assert response.status_code == statuses[who], response.content
    if write == "mark read":
        assert happened is MARK_READ_ALLOWED[who]
    else:
        assert happened is (200 <= statuses[who] < 300)
    if response.status_code >= 400:
        assert set(response.json()) >= {"detail", "code"}


def test_hidden_comments_are_404_to_learners_for_every_write(api, lesson, learner):
    hidden = CommentFactory(lesson=lesson, author=learner, status=CommentStatus.HIDDEN)
    sign_in(api, learner)

    assert api.patch(comment_url(hidden), {"body": "x"}, format="json").status_code == 404
    assert api.delete(comment_url(hidden)).status_code == 404
    flag_url = reverse("stream_comments_api:comment-flag", args=[hidden.pk])
    assert api.post(flag_url, {}, format="json").status_code == 404


def test_comments_of_a_draft_lesson_are_404_for_writes(api, learner):
    comment = CommentFactory(lesson=LessonFactory(status=Status.DRAFT), author=learner)

    response = sign_in(api, learner).patch(comment_url(comment), {"body": "x"}, format="json")

    assert response.status_code == 404


def test_refused_requests_cost_no_write_queries(api, lesson, django_assert_num_queries):
    comment = CommentFactory(lesson=lesson)

    with django_assert_num_queries(0):
        assert api.delete(comment_url(comment)).status_code == 403
    with django_assert_num_queries(0):
        assert api.post(comments_url(lesson), {"body": "x"}, format="json").status_code == 403
    other = UserFactory()
    sign_in(api, other)
    # 1 the comment with its lesson and author; nothing written
    with django_assert_num_queries(1):
        assert api.patch(comment_url(comment), {"body": "x"}, format="json").status_code == 403
