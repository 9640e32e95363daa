"""The reads behind the comment section: the tree, placeholders, pages, counts, sections."""

import pytest

from comments.models import CommentStatus, Notification
from comments.selectors import (
    comment_count_for_lesson,
    comment_page_number,
    comment_section_state,
    comment_tree_for_lesson,
    lesson_sections,
    unread_count,
)
from tests.comments.helpers import comments_bulk_create
from tests.factories import CommentFactory, LessonFactory

pytestmark = pytest.mark.django_db


def shape(nodes):
    """The tree as nested ``(id, placeholder)`` tuples."""
    return [(node.id, node.placeholder, shape(node.children)) for node in nodes]


def test_tree_nests_replies_in_order(lesson, learner):
    top = CommentFactory(lesson=lesson)
    first = CommentFactory(parent=top)
    nested = CommentFactory(parent=first)
    second = CommentFactory(parent=top)

    page = comment_tree_for_lesson(lesson=lesson, user=learner)

    assert shape(page.threads) == [
        (top.pk, "", [(first.pk, "", [(nested.pk, "", [])]), (second.pk, "", [])])
    ]


def test_unreadable_comments_show_as_placeholders_only_above_readable_replies(lesson, learner):
    # given a hidden comment with a reply, a deleted one with a deleted reply, and someone
    # else's pending comment
    hidden = CommentFactory(lesson=lesson, status=CommentStatus.HIDDEN)
    under_hidden = CommentFactory(parent=hidden)
    deleted = CommentFactory(lesson=lesson, status=CommentStatus.REMOVED)
    CommentFactory(parent=deleted, status=CommentStatus.REMOVED)
    CommentFactory(lesson=lesson, status=CommentStatus.PENDING)

    page = comment_tree_for_lesson(lesson=lesson, user=learner)

    assert shape(page.threads) == [(hidden.pk, "hidden", [(under_hidden.pk, "", [])])]
    assert page.thread_total == 1 and page.count == 1
    assert page.threads[0].author_name == "" and not page.threads[0].can_reply


def test_unreadable_replies_without_readable_ones_under_them_vanish(lesson, learner):
    top = CommentFactory(lesson=lesson)
    CommentFactory(parent=top, status=CommentStatus.HIDDEN)
    removed = CommentFactory(parent=top, status=CommentStatus.REMOVED)
    CommentFactory(parent=removed, status=CommentStatus.PENDING)

    page = comment_tree_for_lesson(lesson=lesson, user=learner)

    assert shape(page.threads) == [(top.pk, "", [])]


def test_a_readable_reply_deep_under_unreadable_ones_keeps_its_chain(lesson, learner):
    top = CommentFactory(lesson=lesson, status=CommentStatus.REMOVED)
    middle = CommentFactory(parent=top, status=CommentStatus.HIDDEN)
    leaf = CommentFactory(parent=middle)

    page = comment_tree_for_lesson(lesson=lesson, user=learner)

    assert shape(page.threads) == [
        (top.pk, "removed", [(middle.pk, "hidden", [(leaf.pk, "", [])])])
    ]


def test_staff_see_everything_in_full(lesson, staff):
    hidden = CommentFactory(lesson=lesson, status=CommentStatus.HIDDEN)
    pending = CommentFactory(lesson=lesson, status=CommentStatus.PENDING)
    removed = CommentFactory(lesson=lesson, status=CommentStatus.REMOVED)

    page = comment_tree_for_lesson(lesson=lesson, user=staff)

    assert shape(page.threads) == [(hidden.pk, "", []), (pending.pk, "", []), (removed.pk, "", [])]
    assert all(node.can_moderate for node in page.threads)


def test_own_pending_comment_is_readable_and_editable(lesson, learner):
    pending = CommentFactory(lesson=lesson, author=learner, status=CommentStatus.PENDING)

    (node,) = comment_tree_for_lesson(lesson=lesson, user=learner).threads

    assert node.id == pending.pk and not node.placeholder and node.can_edit and node.is_mine


def test_tree_costs_three_queries_whatever_its_size(lesson, learner, django_assert_num_queries):
    for total in (0, 300):
        comments_bulk_create(lesson=lesson, total=total, threads=30, viewer=learner, seed=total)
        # 1 section state, 2 page of threads, 3 their replies
        with django_assert_num_queries(3):
            page = comment_tree_for_lesson(lesson=lesson, user=learner)
        with django_assert_num_queries(0):
            for thread in page.threads:
                stack = [thread]
                while stack:
                    node = stack.pop()
                    node.comment.author and node.comment.author.get_username()
                    stack.extend(node.children)


def test_section_state_is_one_query(lesson, learner, django_assert_num_queries):
    CommentFactory.create_batch(3, lesson=lesson)

    with django_assert_num_queries(1):
        state = comment_section_state(lesson=lesson, user=learner)

    assert (state.count, state.threads, state.comments_open, state.subscribed) == (
        3,
        3,
        True,
        False,
    )


def test_page_numbers_follow_the_order_setting(lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 2}
    threads = [CommentFactory(lesson=lesson) for _ in range(5)]
    reply = CommentFactory(parent=threads[4])

    assert [comment_page_number(comment=c, user=learner) for c in threads] == [1, 1, 2, 2, 3]
    assert comment_page_number(comment=reply, user=learner) == 3
    settings.STREAM = {**settings.STREAM, "COMMENTS_ORDER": "newest"}
    assert comment_page_number(comment=reply, user=learner) == 1


def test_counts(lesson, learner):
    CommentFactory.create_batch(2, lesson=lesson)
    CommentFactory(lesson=lesson, status=CommentStatus.HIDDEN)
    reply = CommentFactory(parent=CommentFactory(lesson=lesson, author=learner))
    Notification.objects.create(recipient=learner, kind="reply", lesson=lesson, comment=reply)

    assert comment_count_for_lesson(lesson=lesson) == 4
    assert unread_count(user=learner) == 1


def test_lesson_sections_come_from_the_headings_without_their_anchors():
    lesson = LessonFactory(
        body="# Top\n\n## 왜 Llama 가 <em>중요</em>해\n\ntext\n\n### Code\n\n#### Deep"
    )

    assert lesson_sections(lesson=lesson) == [
        ("top", "Top"),
        ("왜-llama-가-중요해", "왜 Llama 가 중요해"),
        ("code", "Code"),
        ("deep", "Deep"),
    ]
