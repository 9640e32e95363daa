"""Reads shared by the lesson page, the notifications page and the API.

Each selector costs a fixed number of queries, whatever the number of comments: the lesson
page's comment section is three (its state, the page of top-level comments, their replies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from html.parser import HTMLParser

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from lessons import selectors as lessons_selectors
from lessons.adapter import adapter_overrides, get_adapter
from lessons.models import Lesson, Status
from lessons.selectors import user_is_staff
from lessons.translations import (
    related_translations_annotate,
    related_translations_attach,
    translations_annotate,
)

from . import rules
from .conf import comments_settings
from .models import (
    Comment,
    CommentFlag,
    CommentSettings,
    CommentStatus,
    FlagReason,
    Notification,
    NotificationKind,
    NotificationSettings,
    ReplySubscription,
)

# What the pages of a lesson's forms and notifications show of its text: its title.
TITLE = ("title",)


def lesson_is_visible(lesson: Lesson, user) -> bool:
    """Whether ``user`` may open ``lesson`` (published in a published course, or staff, and
    allowed by the adapter's ``lessons_for_user``)."""
    return lessons_selectors.lesson_is_visible(lesson=lesson, user=user)


def lesson_is_public(lesson: Lesson) -> bool:
    """Whether ``lesson`` and its course are published (whoever the adapter lets in)."""
    return lesson.status == Status.PUBLISHED and lesson.course.status == Status.PUBLISHED


def user_may_comment(*, user, lesson: Lesson) -> bool:
    """Whether ``user`` may post or reply on ``lesson``: signed in, active, and allowed by the
    adapter's ``can_comment`` (the host's rule; anonymous visitors get False without asking)."""
    return rules.user_is_learner(user) and get_adapter().can_comment(user=user, lesson=lesson)


def author_display_name(user) -> str:
    """How a comment's author is named on pages and in emails: the adapter's
    ``user_display_name`` (by default the short name, else the ``USERNAME_FIELD`` value)."""
    if user is None:
        return ""
    return get_adapter().user_display_name(user)


def author_avatar_url(user) -> str:
    """The picture beside a comment author's name: the adapter's ``user_avatar_url`` ("" for
    none, the default)."""
    if user is None:
        return ""
    return get_adapter().user_avatar_url(user)


# --- What a user may see ------------------------------------------------------------------------


def _visible_q(user) -> Q:
    """Comments whose text ``user`` may read: published ones, and their own pending ones."""
    if user_is_staff(user):
        return Q()
    visible = Q(status=CommentStatus.PUBLISHED)
    if rules.user_is_learner(user):
        visible |= Q(status=CommentStatus.PENDING, author_id=user.pk)
    return visible


def _shown_top_q(user) -> Q:
    """Top-level comments shown to ``user``: readable ones, and the others as a placeholder
    ("deleted", "hidden") when a readable reply hangs under them."""
    if user_is_staff(user):
        return Q()
    readable_reply = Comment.objects.filter(root=OuterRef("pk")).filter(_visible_q(user))
    return _visible_q(user) | Q(Exists(readable_reply))


def comments_open_pick(*, lesson: bool | None, course: bool | None) -> bool:
    """Whether comments are open, from the lesson's own ``CommentSettings`` row and its
    course's (``None``: no row): the lesson's wins; with neither, they are open. (The same rule
    as :func:`_comments_open_subquery`, for rows read apart.)"""
    for value in (lesson, course):
        if value is not None:
            return bool(value)
    return True


def _comments_open_subquery(lesson_ref="pk", course_ref="course_id"):
    # The lesson's own row wins over its course's row; with neither, comments are open (the
    # same rule as comments_open_pick).
    rows = CommentSettings.objects.filter(
        Q(lesson=OuterRef(lesson_ref)) | Q(course=OuterRef(course_ref))
    ).order_by(F("lesson_id").asc(nulls_last=True))
    return Coalesce(Subquery(rows.values("comments_open")[:1]), Value(True))


def _count_subquery(queryset, by="lesson"):
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), Value(0))


def comments_open_for_lesson(*, lesson: Lesson) -> bool:
    """Whether learners may post on ``lesson`` now (see ``CommentSettings``). 1 query."""
    rows = CommentSettings.objects.filter(Q(lesson=lesson) | Q(course_id=lesson.course_id))
    row = rows.order_by(F("lesson_id").asc(nulls_last=True)).values("comments_open").first()
    return True if row is None else row["comments_open"]


def comment_count_for_lesson(*, lesson: Lesson) -> int:
    """The number shown as "Comments N": published comments, replies included. 1 query."""
    return Comment.objects.filter(lesson=lesson, status=CommentStatus.PUBLISHED).count()


@dataclass
class SectionState:
    count: int
    threads: int
    comments_open: bool
    subscribed: bool | None  # None: not signed in


def comment_section_state(*, lesson: Lesson, user) -> SectionState:
    """The comment count, the number of threads ``user`` sees, whether comments are open and
    whether ``user`` has the 🔔 on. 1 query."""
    published = Comment.objects.filter(lesson=OuterRef("pk"), status=CommentStatus.PUBLISHED)
    threads = Comment.objects.filter(lesson=OuterRef("pk"), root__isnull=True).filter(
        _shown_top_q(user)
    )
    annotations = {
        "c_count": _count_subquery(published),
        "c_threads": _count_subquery(threads),
        "c_open": _comments_open_subquery(),
    }
    if rules.user_is_learner(user):
        subscription = ReplySubscription.objects.filter(
            lesson=OuterRef("pk"), user_id=user.pk, active=True
        )
        annotations["c_subscribed"] = Exists(subscription)
    row = Lesson.objects.filter(pk=lesson.pk).annotate(**annotations).values(*annotations).get()
    return SectionState(
        count=row["c_count"],
        threads=row["c_threads"],
        comments_open=bool(row["c_open"]),
        subscribed=row.get("c_subscribed"),
    )


@dataclass
class PostState:
    comments_open: bool
    recent: int  # the user's comments on the lesson in the last hour
    subscription: bool | None  # their 🔔 on the lesson: None when they never set it
    published_before: bool  # whether a comment of theirs (anywhere) was ever published
    count: int  # the lesson's published comments, as "Comments N" shows them


def comment_post_state(*, lesson: Lesson, user, since) -> PostState:
    """What posting on ``lesson`` needs to know about it and ``user`` (a learner): whether
    comments are open, how many comments ``user`` wrote on it since ``since``, their 🔔, and
    whether they have had a comment published (progress's "first comment"), and the lesson's
    comment count. 1 query."""
    recent = Comment.objects.filter(lesson=OuterRef("pk"), author_id=user.pk, created_at__gte=since)
    shown = Comment.objects.filter(lesson=OuterRef("pk"), status=CommentStatus.PUBLISHED)
    subscription = ReplySubscription.objects.filter(lesson=OuterRef("pk"), user_id=user.pk)
    published = Comment.objects.filter(author_id=user.pk).exclude(status=CommentStatus.PENDING)
    annotations = {
        "c_open": _comments_open_subquery(),
        "c_recent": _count_subquery(recent),
        "c_subscription": Subquery(subscription.values("active")[:1]),
        "c_published": Exists(published),
        "c_count": _count_subquery(shown),
    }
    row = Lesson.objects.filter(pk=lesson.pk).annotate(**annotations).values(*annotations).get()
    return PostState(
        comments_open=bool(row["c_open"]),
        recent=row["c_recent"],
        subscription=row["c_subscription"],
        published_before=bool(row["c_published"]),
        count=row["c_count"],
    )


# --- The tree ------------------------------------------------------------------------------------


@dataclass
class CommentNode:
    """A comment as ``user`` sees it, with its shown replies and what ``user`` may do to it.

    ``placeholder`` is empty for a readable comment, otherwise the comment's status
    ("removed", "hidden", "pending") and only its place in the thread is shown.
    """

    comment: Comment
    children: list[CommentNode] = field(default_factory=list)
    placeholder: str = ""
    author_name: str = ""
    author_avatar: str = ""
    is_instructor: bool = False
    is_mine: bool = False
    flagged_by_me: bool = False
    earlier_version: bool = False
    can_edit: bool = False
    can_delete: bool = False
    can_flag: bool = False
    can_reply: bool = False
    can_moderate: bool = False

    @property
    def id(self):
        return self.comment.pk

    @property
    def flag_reasons(self):
        return FlagReason.choices


def comment_node(comment: Comment, *, user, lesson: Lesson, comments_open: bool) -> CommentNode:
    """One comment as ``user`` sees it (no children); ``comment.author`` should be loaded."""
    readable = rules.comment_is_visible(comment, user)
    author = comment.author
    node = CommentNode(
        comment=comment,
        placeholder="" if readable else comment.status,
        flagged_by_me=bool(getattr(comment, "flagged_by_me", False)),
        can_moderate=rules.comment_can_moderate(user),
    )
    if not readable:
        return node
    node.author_name = author_display_name(author)
    node.author_avatar = author_avatar_url(author)
    node.is_instructor = bool(author is not None and author.is_staff)
    node.is_mine = rules.user_is_learner(user) and comment.author_id == user.pk
    node.earlier_version = comment.created_at < lesson.content_updated_at
    node.can_edit = rules.comment_can_edit(comment, user)
    node.can_delete = rules.comment_can_delete(comment, user)
    node.can_flag = rules.comment_can_flag(comment, user)
    node.can_reply = comments_open and rules.comment_can_reply(comment, user)
    return node


def _with_author_and_flag(queryset, user):
    queryset = queryset.select_related("author")
    if rules.user_is_learner(user):
        mine = CommentFlag.objects.filter(comment=OuterRef("pk"), user_id=user.pk)
        queryset = queryset.annotate(flagged_by_me=Exists(mine))
    return queryset


def _top_level_order():
    if comments_settings.COMMENTS_ORDER == "newest":
        return ("-created_at", "-id")
    return ("created_at", "id")


@dataclass
class CommentPage:
    """One page of a lesson's comment section as ``user`` sees it."""

    lesson: Lesson
    threads: list[CommentNode]
    number: int
    pages: int
    count: int
    thread_total: int
    comments_open: bool
    subscribed: bool | None
    may_comment: bool = True

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages

    @property
    def previous_number(self):
        return self.number - 1

    @property
    def next_number(self):
        return self.number + 1


def _page_number(value, pages: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 1
    return min(max(number, 1), pages)


def comment_tree_for_lesson(
    *, lesson: Lesson, user, page=1, state: SectionState | None = None
) -> CommentPage:
    """Page ``page`` of ``lesson``'s threads as ``user`` sees them, replies nested.

    Three queries whatever the number of comments: the section state (unless given), the page
    of top-level comments, and every comment of those threads (``root`` in the page); the tree
    is built in Python. Readable comments show in full; a comment ``user`` may not read shows
    as a placeholder only while a readable reply hangs under it, and vanishes otherwise.
    """
    if state is None:
        state = comment_section_state(lesson=lesson, user=user)
    per_page = max(1, int(comments_settings.COMMENTS_PER_PAGE))
    pages = max(1, math.ceil(state.threads / per_page))
    number = _page_number(page, pages)
    start = (number - 1) * per_page

    page_top, page_ids = thread_tops(lesson=lesson, user=user, start=start, size=per_page)
    may_comment = user_may_comment(user=user, lesson=lesson)
    comments_open = state.comments_open and may_comment
    return CommentPage(
        lesson=lesson,
        threads=threads_of(
            page_top,
            roots=page_ids,
            lesson=lesson,
            user=user,
            make=lambda comment: comment_node(
                comment, user=user, lesson=lesson, comments_open=comments_open
            ),
        ),
        number=number,
        pages=pages,
        count=state.count,
        thread_total=state.threads,
        comments_open=state.comments_open,
        subscribed=state.subscribed,
        may_comment=may_comment,
    )


def thread_tops(*, lesson: Lesson, user, start: int, size: int, marked: bool = False):
    """The page's top-level comments as ``user`` sees them (read, with ``lesson`` set: 1 query)
    and their ids as a subquery (for :func:`threads_of`).

    With ``marked``, each also carries what changes whenever its thread does: the number of
    its replies (``thread_size``), the newest reply's id (``thread_last``) and the sum of their
    revisions (``thread_revisions``). A reply added or deleted changes the first two, and any
    save of a reply the third (``Comment.revision``), so ``comments.threads`` keeps a thread's
    HTML under them and reads no reply of a thread it holds.
    """
    top_level = (
        Comment.objects.filter(lesson=lesson, root__isnull=True)
        .filter(_shown_top_q(user))
        .order_by(*_top_level_order())
    )
    queryset = _with_author_and_flag(top_level, user)
    if marked:
        thread = Comment.objects.filter(root=OuterRef("pk")).order_by().values("root")
        queryset = queryset.annotate(
            thread_size=Subquery(thread.annotate(n=Count("pk")).values("n")[:1]),
            thread_last=Subquery(thread.annotate(n=Max("pk")).values("n")[:1]),
            thread_revisions=Subquery(thread.annotate(n=Sum("revision")).values("n")[:1]),
        )
    page_top = list(queryset[start : start + size])
    for comment in page_top:
        comment.lesson = lesson
    return page_top, top_level.values("pk")[start : start + size]


def threads_of(page_top, *, roots, lesson: Lesson, user, make) -> list[CommentNode]:
    """The threads of ``page_top`` (top-level comments) as ``make`` turns comments into nodes,
    replies nested under their parents, placeholders with nothing readable under them dropped.
    1 query: every reply whose ``root`` is in ``roots`` (ids, or a subquery of them — a subquery
    runs, and costs the same, even for an empty page, which keeps a page's query count fixed).
    """
    replies = _with_author_and_flag(Comment.objects.filter(root__in=roots), user).order_by(
        "created_at", "id"
    )
    nodes = {comment.pk: make(comment) for comment in page_top}
    threads = [nodes[comment.pk] for comment in page_top]
    for reply in replies:
        reply.lesson = lesson
        node = nodes[reply.pk] = make(reply)
        parent = nodes.get(reply.parent_id)
        if parent is not None:
            parent.children.append(node)
    return [thread for thread in threads if _placeholders_prune(thread)]


def _placeholders_prune(node: CommentNode) -> bool:
    """Drop, under ``node``, the placeholders with nothing readable below them; whether
    ``node`` itself stays."""
    node.children = [child for child in node.children if _placeholders_prune(child)]
    return not node.placeholder or bool(node.children)


@dataclass
class CommentSection:
    """The lesson page's comment section before its threads are read: the figures, whether
    ``user`` may post, and which page of threads to show. ``threads`` builds the tree for
    ``user`` on first use (2 queries); the shared page shows its threads from
    ``comments.threads`` instead."""

    lesson: Lesson
    user: object
    state: SectionState
    number: int
    pages: int
    may_comment: bool

    count = property(lambda self: self.state.count)
    thread_total = property(lambda self: self.state.threads)
    comments_open = property(lambda self: self.state.comments_open)
    subscribed = property(lambda self: self.state.subscribed)
    has_threads = property(lambda self: self.state.threads > 0)
    has_previous = property(lambda self: self.number > 1)
    has_next = property(lambda self: self.number < self.pages)
    previous_number = property(lambda self: self.number - 1)
    next_number = property(lambda self: self.number + 1)
    flag_reasons = FlagReason.choices

    @cached_property
    def threads(self) -> list[CommentNode]:
        return comment_tree_for_lesson(
            lesson=self.lesson, user=self.user, page=self.number, state=self.state
        ).threads


def comment_section_figures(*, lesson: Lesson, viewer=None, public: bool = True) -> dict:
    """What the section's heading needs, split by who it depends on, in 1 query: with
    ``public``, ``count``, ``threads`` (as a visitor sees them) and ``comments_open``; with a
    ``viewer``, whether they have the 🔔 on (``subscribed``), a comment awaiting moderation
    here (``pending``) and the threads they see (``viewer_threads``: more than a visitor's
    when they have a pending comment)."""
    annotations = {}
    if public:
        published = Comment.objects.filter(lesson=OuterRef("pk"), status=CommentStatus.PUBLISHED)
        threads = Comment.objects.filter(lesson=OuterRef("pk"), root__isnull=True).filter(
            _shown_top_q(None)
        )
        annotations |= {
            "count": _count_subquery(published),
            "threads": _count_subquery(threads),
            "comments_open": _comments_open_subquery(),
        }
    if viewer is not None:
        annotations |= {
            "subscribed": Exists(
                ReplySubscription.objects.filter(
                    lesson=OuterRef("pk"), user_id=viewer.pk, active=True
                )
            ),
            "pending": Exists(
                Comment.objects.filter(
                    lesson=OuterRef("pk"), author_id=viewer.pk, status=CommentStatus.PENDING
                )
            ),
            "viewer_threads": _count_subquery(
                Comment.objects.filter(lesson=OuterRef("pk"), root__isnull=True).filter(
                    _shown_top_q(viewer)
                )
            ),
        }
    row = Lesson.objects.filter(pk=lesson.pk).annotate(**annotations).values(*annotations).get()
    if "comments_open" in row:
        row["comments_open"] = bool(row["comments_open"])
    return row


def comment_section(*, lesson: Lesson, user, page=1, state=None) -> CommentSection:
    """The comment section of ``lesson`` as ``user`` sees it, threads not read yet. 1 query
    unless ``state`` is given (plus the adapter's ``can_comment``)."""
    if state is None:
        state = comment_section_state(lesson=lesson, user=user)
    per_page = max(1, int(comments_settings.COMMENTS_PER_PAGE))
    pages = max(1, math.ceil(state.threads / per_page))
    return CommentSection(
        lesson=lesson,
        user=user,
        state=state,
        number=_page_number(page, pages),
        pages=pages,
        may_comment=user_may_comment(user=user, lesson=lesson),
    )


def comments_of_viewer(*, lesson: Lesson, user) -> list[Comment]:
    """``user``'s own comments on ``lesson`` and the ones they flagged, with authors and
    ``flagged_by_me``: what makes their view of the threads differ from any other learner's.
    1 query."""
    mine = Q(author_id=user.pk) | Q(
        Exists(CommentFlag.objects.filter(comment=OuterRef("pk"), user_id=user.pk))
    )
    return list(_with_author_and_flag(Comment.objects.filter(lesson=lesson).filter(mine), user))


def comment_page_number(*, comment: Comment, user) -> int:
    """The page of its lesson's comment section where ``comment``'s thread shows. 1–2 queries."""
    root = comment if comment.root_id is None else comment.root
    if comments_settings.COMMENTS_ORDER == "newest":
        before = Q(created_at__gt=root.created_at) | Q(created_at=root.created_at, id__gt=root.pk)
    else:
        before = Q(created_at__lt=root.created_at) | Q(created_at=root.created_at, id__lt=root.pk)
    earlier = (
        Comment.objects.filter(lesson_id=comment.lesson_id, root__isnull=True)
        .filter(_shown_top_q(user))
        .filter(before)
        .count()
    )
    return earlier // max(1, int(comments_settings.COMMENTS_PER_PAGE)) + 1


def lesson_or_404(*, pk, user) -> Lesson:
    """The lesson ``pk`` if ``user`` may open it; ``Http404`` otherwise, which the pages show as
    their 404 and the API as its JSON one. 1 query, with the lesson's title in the active
    language (``lesson.title_in()``, for the pages of its forms)."""
    visible = translations_annotate(lessons_selectors.lessons_visible(user=user), fields=TITLE)
    lesson = visible.filter(pk=pk).first()
    if lesson is None:
        raise Http404(_("No such lesson."))
    return lesson


def comments_of_author(*, lesson, user) -> list[Comment]:
    """``user``'s own comments on ``lesson`` they may still change (published or awaiting
    moderation), oldest first: the page where they edit or delete them without JavaScript.
    1 query."""
    return list(
        Comment.objects.filter(
            lesson=lesson,
            author_id=user.pk,
            status__in=[CommentStatus.PUBLISHED, CommentStatus.PENDING],
        ).order_by("created_at", "pk")
    )


def comment_for_user(*, pk, user) -> Comment | None:
    """The comment ``pk`` if ``user`` may read it in a lesson they may open, else ``None``.

    1 query (the comment with its lesson, course and author, and the lesson's title in the
    active language: ``comment.lesson.title_in()``).
    """
    comments = Comment.objects.select_related("lesson__course", "author", "root")
    comment = related_translations_annotate(comments, "lesson", fields=TITLE).filter(pk=pk).first()
    if comment is not None:
        related_translations_attach(comment, "lesson")
    if comment is None or not lesson_is_visible(comment.lesson, user):
        return None
    if not rules.comment_is_visible(comment, user):
        return None
    return comment


# --- Notifications -------------------------------------------------------------------------------


def _notifications_visible_q(user) -> Q:
    """Notifications about something ``user`` can still see, in a lesson they may open now
    (``lessons.selectors.lessons_visible``, the adapter's ``lessons_for_user`` included): a
    reply still published, or the resolution of one of their reports. A notification names
    its lesson, so one about a lesson unpublished or closed to them since is left out (it
    comes back if the lesson does)."""
    kind_visible = Q(kind=NotificationKind.REPLY, comment__status=CommentStatus.PUBLISHED) | Q(
        kind=NotificationKind.REPORT_RESOLVED
    )
    if adapter_overrides("lessons_for_user"):
        visible = lessons_selectors.lessons_visible(user=user).values("pk")
        return kind_visible & Q(lesson__in=visible)
    if user_is_staff(user):
        return kind_visible
    return kind_visible & Q(
        lesson__status=Status.PUBLISHED, lesson__course__status=Status.PUBLISHED
    )


def notifications_for_user(*, user):
    """``user``'s notifications, newest first, with what each links to. 1 query when evaluated
    (plus the paginator's count), with each lesson's title in the active language: hand the
    rows to :func:`notifications_attach`."""
    notifications = (
        Notification.objects.filter(recipient_id=user.pk)
        .filter(_notifications_visible_q(user))
        .select_related("lesson__course", "comment__author", "report")
        .order_by("-created_at", "-id")
    )
    return related_translations_annotate(notifications, "lesson", fields=TITLE)


def notifications_attach(notifications) -> list:
    """``notifications`` (read through :func:`notifications_for_user`) as a list whose
    ``notification.lesson.title_in()`` reads the title joined in."""
    rows = list(notifications)
    for row in rows:
        related_translations_attach(row, "lesson")
    return rows


def unread_count(*, user) -> int:
    """The number in the header's notification link. 1 query."""
    if not rules.user_is_learner(user):
        return 0
    return (
        Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
        .filter(_notifications_visible_q(user))
        .count()
    )


def email_replies_enabled(*, user) -> bool:
    """Whether reply emails go to ``user`` (their own choice, else the site's default)."""
    row = NotificationSettings.objects.filter(user_id=user.pk).values("email_replies").first()
    return comments_settings.COMMENTS_EMAIL_REPLIES if row is None else row["email_replies"]


# --- Report form ---------------------------------------------------------------------------------


class _HeadingParser(HTMLParser):
    """Collect ``(id, text)`` of h2–h4 with an id, without the "#" anchor inside them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = []
        self._heading = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"h2", "h3", "h4"} and attributes.get("id"):
            self._heading = [attributes["id"], []]
        elif self._heading is not None and "heading-anchor" in (attributes.get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag):
        if self._heading is None:
            return
        if tag == "a" and self._skip:
            self._skip -= 1
        elif tag in {"h2", "h3", "h4"}:
            text = " ".join("".join(self._heading[1]).split())
            if text:
                self.sections.append((self._heading[0], text))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None and not self._skip:
            self._heading[1].append(data)


def lesson_sections(*, lesson: Lesson) -> list[tuple[str, str]]:
    """The lesson's headings as ``(anchor, text)``, for the report form's section list."""
    return list(_sections_of(lesson.body_html or ""))


@lru_cache(maxsize=256)
def _sections_of(html: str) -> tuple[tuple[str, str], ...]:
    # Parsing a 30 KB lesson costs ~2 ms, on every page view; the HTML changes only on edits.
    parser = _HeadingParser()
    parser.feed(html)
    parser.close()
    return tuple(parser.sections)


def comment_page_count(lesson_id: int) -> int:
    """How many pages of threads the shared lesson page has (as any visitor sees them). 1 query."""
    threads = (
        Comment.objects.filter(lesson_id=lesson_id, root__isnull=True)
        .filter(_shown_top_q(None))
        .count()
    )
    return max(1, math.ceil(threads / max(1, int(comments_settings.COMMENTS_PER_PAGE))))
