"""The comment section's forms, the notifications page and the unsubscribe page.

Every form works without JavaScript: it posts here and is redirected back to the comment's
anchor, or shown again with its errors. The lesson page is the same HTML for every viewer and
carries no token, so each button that posts leads, without JavaScript, to a page of its own
here (GET: write a comment, reply, flag, the 🔔, a problem report), rendered for its viewer
with its own token and kept by no shared cache. ``comments.js`` posts the same forms with the
header ``X-Stream-Fragment: 1`` and gets JSON holding the rendered HTML to put in place instead.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lessons.ids import ids_parse
from lessons.variants import lesson_text
from lessons.views import done_page, page_context

from . import rules, selectors, services
from .conf import comments_settings
from .emails import request_site_url, unsubscribe_token_user_id
from .exceptions import CommentsError, RateLimited
from .forms import CommentForm, FlagForm, ReportForm
from .limits import client_ip
from .models import Comment, CommentStatus, ReplySubscription
from .threads import articles_html, shared_node, thread_item

FRAGMENT_HEADER = "X-Stream-Fragment"
# A comment a visitor posted without JavaScript (their session had expired while they wrote),
# kept in their session over signing in: {"lesson": id, "parent": id or None, "body": text,
# "writer": the form page's _writer_mark}.
DRAFT_SESSION_KEY = "stream_comments:draft"
# How long a post's idempotency key is remembered: longer than any browser waits before it
# gives up on an answer and posts the form again.
IDEMPOTENCY_SECONDS = 3600


# --- Helpers -------------------------------------------------------------------------------------


def _wants_fragment(request) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"


def _comment_or_404(pk, user) -> Comment:
    comment = selectors.comment_for_user(pk=pk, user=user)
    if comment is None:
        raise Http404("No such comment.")
    return comment


def _section_url(lesson, *, page=1, anchor="comments") -> str:
    query = f"?{urlencode({'comments_page': page})}" if page and page > 1 else ""
    return f"{lesson.get_absolute_url()}{query}#{anchor}"


def _comment_url(comment, user) -> str:
    page = selectors.comment_page_number(comment=comment, user=user)
    return _section_url(comment.lesson, page=page, anchor=f"comment-{comment.pk}")


def _count_label(lesson, count=None) -> str:
    if count is None:
        count = selectors.comment_count_for_lesson(lesson=lesson)
    return _("Comments %(count)s") % {"count": count}


def _refusal(request, lesson, error: CommentsError | str, *, status=403):
    """A refused write: JSON for the script, otherwise a page of its own saying why, with a
    link back (the shared lesson page shows no messages)."""
    message = error.message if isinstance(error, CommentsError) else str(error)
    if _wants_fragment(request):
        return JsonResponse({"ok": False, "errors": [message]}, status=status)
    return done_page(request, title=message, back_url=_section_url(lesson), status=status)


def _sign_in_required(request, lesson):
    message = _("Please sign in to leave a comment.")
    if _wants_fragment(request):
        return JsonResponse({"ok": False, "errors": [message]}, status=403)
    return redirect_to_login(_section_url(lesson))


def _draft_keep(request, lesson):
    """Send a visitor who posted a comment without JavaScript to sign in, keeping their text.

    Their session expired while they wrote (the form page had been theirs), and the text was
    lost with the redirect. It is kept in the session, which Django's ``login()`` carries over
    (it cycles an anonymous session's key and keeps its data; signing out flushes it), and
    signing in leads to the form page showing it: the write page, or the reply page of its
    parent. It is never posted for them: they press the button. Only what could be a comment
    is kept, one per session, at most ``COMMENTS_MAX_LENGTH`` characters, and only a reply to a
    comment the visitor can read (its page must open), and only from a form page rendered for
    a learner, whose mark (``writer``) it keeps: signing in offers it to that learner alone,
    not to another who signs in on the same browser. Anything else goes to sign in and back to
    the lesson's comments as before."""
    form = CommentForm(request.POST)
    writer = request.POST.get("writer", "")
    if not form.is_valid() or not writer:
        return redirect_to_login(_section_url(lesson))
    body, parent = form.cleaned_data["body"], form.cleaned_data["parent"]
    try:  # measured as a comment is stored: a browser sends each line break as two characters
        services.comment_body_clean(body)
    except ValidationError:
        return redirect_to_login(_section_url(lesson))
    if parent is None:
        back = reverse("stream_comments:write", kwargs={"lesson_id": lesson.pk})
    else:
        replied = selectors.comment_for_user(pk=parent, user=request.user)
        if replied is None or replied.lesson_id != lesson.pk:
            return redirect_to_login(_section_url(lesson))
        back = reverse("stream_comments:reply", kwargs={"pk": parent})
    request.session[DRAFT_SESSION_KEY] = {
        "lesson": lesson.pk,
        "parent": parent,
        "body": body,
        "writer": writer,
    }
    messages.info(request, _("Your comment is kept: sign in and it will be waiting for you."))
    return redirect_to_login(back)


def _writer_mark(user) -> str:
    """What a comment form page rendered for ``user`` carries, so that a comment kept over
    signing in (:func:`_draft_keep`) is offered to them alone; it names no one to others."""
    return salted_hmac("stream_comments.draft-writer", str(user.pk), algorithm="sha256").hexdigest()


def _draft(request) -> dict | None:
    """The comment :func:`_draft_keep` kept, when the signed-in learner wrote it."""
    draft = request.session.get(DRAFT_SESSION_KEY)
    if not isinstance(draft, dict):
        return None
    if not constant_time_compare(str(draft.get("writer", "")), _writer_mark(request.user)):
        return None
    return draft


def _draft_reply_gone(request, draft) -> bool:
    """Whether ``draft`` replies to a comment the learner can no longer read (hidden or
    deleted while they signed in): its words then wait on the write page instead."""
    parent = draft.get("parent")
    return parent is not None and selectors.comment_for_user(pk=parent, user=request.user) is None


def _draft_for(request, lesson, parent=None) -> dict | None:
    """The comment :func:`_draft_keep` kept for this form (a comment on ``lesson``, or a reply
    to ``parent``) when the signed-in learner wrote it, else ``None``. The write page
    (``parent`` ``None``) also takes a reply whose comment is gone: a kept comment it is given
    with a ``parent`` is one."""
    draft = _draft(request)
    if draft is None or draft.get("lesson") != lesson.pk:
        return None
    if draft.get("parent") == parent or (parent is None and _draft_reply_gone(request, draft)):
        return draft
    return None


def _draft_drop(request, lesson, parent) -> None:
    """Posted: the kept text of that form is no longer waiting."""
    if _draft_for(request, lesson, parent) is not None:
        del request.session[DRAFT_SESSION_KEY]


def _form_page(view):
    """A form on a page of its own, where a button of the shared lesson page leads without
    JavaScript: for signed-in learners (a visitor goes to sign in and comes back here, unless
    ``anyone`` may use it), with the viewer's own token, so kept by no shared cache."""
    return _page_of_its_own(view, anyone=False)


def _open_form_page(view):
    """As :func:`_form_page`, open to visitors too (the problem report)."""
    return _page_of_its_own(view, anyone=True)


def _page_of_its_own(view, *, anyone):
    @wraps(view)
    @cache_control(private=True)
    def wrapper(request, *args, **kwargs):
        if (
            not anyone
            and request.method in ("GET", "HEAD")
            and not rules.user_is_learner(request.user)
        ):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _status_for(error) -> int:
    if isinstance(error, RateLimited):
        return 429
    if isinstance(error, CommentsError):
        return 403
    return 400


def _form_again(request, *, lesson, form, action, title, template, status, extra=None):
    """The form with its errors and the text kept: JSON for the script, else a page of its own."""
    if _wants_fragment(request):
        errors = [str(message) for messages_ in form.errors.values() for message in messages_]
        return JsonResponse({"ok": False, "errors": errors}, status=status)
    context = page_context(
        lesson=lesson, course=lesson.course, form=form, action=action, title=title, **(extra or {})
    )
    return render(request, template, context, status=status)


def _add_error(form, error) -> int:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error("body" if "body" in form.fields else None, error)
        return 400
    form.add_error(None, error.message)
    return _status_for(error)


def _comment_html(request, comment, lesson, *, thread=False, comments_open=None) -> str:
    """``comment`` as the shared page shows it (its author sees their own text while it awaits
    moderation); with ``thread``, as a thread's ``<li>``. comments.js adds the viewer's
    controls."""
    if comments_open is None:
        comments_open = selectors.comments_open_for_lesson(lesson=lesson)
    node = selectors.comment_node(
        comment, user=request.user, lesson=lesson, comments_open=comments_open
    )
    if not node.placeholder and comment.status == CommentStatus.PUBLISHED:
        node = shared_node(comment, lesson=lesson, comments_open=comments_open)
    article = articles_html([node], lesson=lesson, request=request)[comment.pk]
    return thread_item(comment.pk, article) if thread else article


# --- Comments ------------------------------------------------------------------------------------


def _idempotency_key(request) -> str | None:
    """The cache key remembering what a post with this ``idempotency_key`` saved, or ``None``.

    comments.js sends the same key when it posts a form again after a dropped connection; the
    comment saved the first time is answered instead of a second one. Kept in the default
    cache: with several processes that cache must be shared (as for the rate limits)."""
    key = request.POST.get("idempotency_key", "")
    if not key or len(key) > 64 or not all(c.isascii() and (c.isalnum() or c == "-") for c in key):
        return None
    return f"{comments_settings.COMMENTS_CACHE_PREFIX}:posted:{request.user.pk}:{key}"


@require_POST
def comment_post(request, lesson_id):
    lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
    if not rules.user_is_learner(request.user):
        if _wants_fragment(request):  # the script keeps the text in the page
            return _sign_in_required(request, lesson)
        return _draft_keep(request, lesson)
    idempotency_key = _idempotency_key(request)
    if idempotency_key is not None:
        earlier = cache.get(idempotency_key)
        comment = earlier and selectors.comment_for_user(pk=earlier, user=request.user)
        if comment and comment.lesson_id == lesson.pk:
            return _comment_posted(request, comment, lesson)
    form = CommentForm(request.POST)
    status = 400
    if form.is_valid():
        parent = None
        if form.cleaned_data["parent"]:
            parent = selectors.comment_for_user(pk=form.cleaned_data["parent"], user=request.user)
            if parent is None or parent.lesson_id != lesson.pk:
                return _refusal(request, lesson, _("You cannot reply to this comment."))
        try:
            comment = services.comment_post(
                lesson=lesson,
                author=request.user,
                body=form.cleaned_data["body"],
                parent=parent,
                site_url=request_site_url(request),
                language=request.POST.get("language", "")[:15],
            )
        except (ValidationError, CommentsError) as error:
            status = _add_error(form, error)
        else:
            if idempotency_key is not None:
                cache.set(idempotency_key, comment.pk, timeout=IDEMPOTENCY_SECONDS)
            _draft_drop(request, lesson, form.cleaned_data["parent"])
            return _comment_posted(request, comment, lesson)
    return _form_again(
        request,
        lesson=lesson,
        form=form,
        action=reverse("stream_comments:post", kwargs={"lesson_id": lesson.pk}),
        title=_("Your comment was not posted"),
        template="stream/comments/comment_form_page.html",
        status=status,
        extra={"writer": _writer_mark(request.user)},
    )


def _own(comment, user) -> dict:
    """What the author may do to their comment, as the viewer endpoint's ``own`` says it."""
    return {
        "id": comment.pk,
        "can_edit": rules.comment_can_edit(comment, user),
        "can_delete": rules.comment_can_delete(comment, user),
    }


@_form_page
@require_safe
def comment_write(request, lesson_id):
    """The comment form on a page of its own: where "Write a comment" leads without JavaScript,
    and signing in after a comment was posted signed out (holding its text, see
    :func:`_draft_keep`)."""
    lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
    if not selectors.comments_open_for_lesson(lesson=lesson):
        return _refusal(request, lesson, _("Comments are closed for this lesson."))
    if not selectors.user_may_comment(user=request.user, lesson=lesson):
        return _refusal(request, lesson, _("You cannot comment on this lesson."))
    draft = _draft_for(request, lesson)
    context = page_context(
        lesson=lesson,
        course=lesson.course,
        form=CommentForm(initial={"body": draft and draft.get("body")}),
        draft_kept=draft is not None,
        draft_reply_gone=draft is not None and draft.get("parent") is not None,
        writer=_writer_mark(request.user),
        action=reverse("stream_comments:post", kwargs={"lesson_id": lesson.pk}),
        title=_("Write a comment"),
        submit_label=_("Post comment"),
    )
    return render(request, "stream/comments/comment_form_page.html", context)


def _comment_posted(request, comment, lesson):
    if comment.status == CommentStatus.PENDING:
        message = _("Thanks! Your comment will appear once a moderator approves it.")
    else:
        message = _("Your comment is posted.")
    if _wants_fragment(request):
        # Just posted, the comment knows the section's state (comments open, since it was
        # taken); answered again for a repeated key, it is read.
        just_posted = hasattr(comment, "lesson_comment_count")
        html = _comment_html(
            request, comment, lesson, thread=True, comments_open=True if just_posted else None
        )
        subscribed = (
            comment.author_subscribed
            if just_posted
            else ReplySubscription.objects.filter(
                user_id=request.user.pk, lesson=lesson, active=True
            ).exists()
        )
        return JsonResponse(
            {
                "ok": True,
                "id": comment.pk,
                "parent": comment.parent_id,
                "html": html,
                "count_label": _count_label(lesson, getattr(comment, "lesson_comment_count", None)),
                "subscribed": subscribed,
                "own": _own(comment, request.user),
                "message": message,
            },
            status=201,
        )
    back = _comment_url(comment, request.user)
    if comment.status == CommentStatus.PUBLISHED:
        return redirect(back)  # the shared page shows it, at its anchor
    # Awaiting moderation, it shows to its author only, which a shared page cannot do.
    return done_page(request, title=message, back_url=back)


@_form_page
@require_http_methods(["GET", "HEAD", "POST"])
def comment_edit(request, pk):
    comment = _comment_or_404(pk, request.user)
    lesson = comment.lesson
    if not rules.user_is_learner(request.user):
        return _sign_in_required(request, lesson)
    if request.method != "POST":
        return _edit_page(request, comment, lesson)
    form = CommentForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.comment_edit(
                comment=comment, user=request.user, body=form.cleaned_data["body"]
            )
        except (ValidationError, CommentsError) as error:
            status = _add_error(form, error)
        else:
            if _wants_fragment(request):
                return JsonResponse(
                    {"ok": True, "id": comment.pk, "html": _comment_html(request, comment, lesson)}
                )
            # The edited comment shows at its anchor (a message would wait for a later page).
            return redirect(_comment_url(comment, request.user))
    return _form_again(
        request,
        lesson=lesson,
        form=form,
        action=reverse("stream_comments:edit", kwargs={"pk": comment.pk}),
        title=_("Your comment was not changed"),
        template="stream/comments/comment_form_page.html",
        status=status,
    )


def _edit_page(request, comment, lesson):
    """The author's text to edit: JSON for comments.js (the page carries only the rendered
    comment), else the edit form on a page of its own."""
    if not rules.comment_can_edit(comment, request.user):
        return _refusal(request, lesson, _("You cannot edit this comment."))
    if _wants_fragment(request):
        return JsonResponse({"ok": True, "id": comment.pk, "body": comment.body})
    context = page_context(
        lesson=lesson,
        course=lesson.course,
        form=CommentForm(initial={"body": comment.body}),
        action=reverse("stream_comments:edit", kwargs={"pk": comment.pk}),
        title=pgettext("comment action", "Edit"),
        submit_label=_("Save changes"),
    )
    return render(request, "stream/comments/comment_form_page.html", context)


def _moderation_view(operation, done_message):
    @require_POST
    def view(request, pk):
        comment = _comment_or_404(pk, request.user)
        lesson = comment.lesson
        if not rules.user_is_learner(request.user):
            return _sign_in_required(request, lesson)
        try:
            operation(request, comment)
        except CommentsError as error:
            return _refusal(request, lesson, error, status=_status_for(error))
        if _wants_fragment(request):
            return JsonResponse(
                {
                    "ok": True,
                    "id": comment.pk,
                    "html": _comment_html(request, comment, lesson),
                    "count_label": _count_label(lesson),
                    "message": str(done_message),
                }
            )
        # The comment shows its new state at its anchor, or is gone from the section.
        if comment.status == CommentStatus.REMOVED:
            return redirect(_section_url(lesson))
        return redirect(_comment_url(comment, request.user))

    return view


comment_delete = _moderation_view(
    lambda request, comment: services.comment_delete(comment=comment, user=request.user),
    gettext_lazy("The comment is deleted."),
)
comment_hide = _moderation_view(
    lambda request, comment: services.comment_hide(comment=comment, user=request.user),
    gettext_lazy("The comment is hidden from learners."),
)
comment_unhide = _moderation_view(
    lambda request, comment: services.comment_unhide(
        comment=comment, user=request.user, site_url=request_site_url(request)
    ),
    gettext_lazy("The comment is visible again."),
)


@_form_page
@require_safe
def comment_own_list(request, lesson_id):
    """The viewer's own comments on a lesson, each with Edit and Delete: where a learner edits
    or deletes them without JavaScript (the shared lesson page cannot tell whose comment is
    whose, and comments.js adds those controls)."""
    lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
    own = [
        {
            "comment": comment,
            "can_edit": rules.comment_can_edit(comment, request.user),
            "can_delete": rules.comment_can_delete(comment, request.user),
        }
        for comment in selectors.comments_of_author(lesson=lesson, user=request.user)
    ]
    context = page_context(lesson=lesson, course=lesson.course, own=own)
    return render(request, "stream/comments/own_comments_page.html", context)


@_form_page
@require_safe
def comment_reply_page(request, pk):
    """The reply form on a page of its own: where "Reply" leads without JavaScript (the lesson
    page carries one shared reply form that its script moves under the comment instead), and
    signing in after a reply was posted signed out (holding its text, see :func:`_draft_keep`);
    when that comment was hidden or deleted meanwhile, to the write page, which holds it."""
    comment = selectors.comment_for_user(pk=pk, user=request.user)
    if comment is None:
        draft = _draft(request)
        if draft is not None and draft.get("parent") == pk:
            return redirect("stream_comments:write", lesson_id=draft["lesson"])
        raise Http404("No such comment.")
    lesson = comment.lesson
    if not rules.user_is_learner(request.user):
        return _sign_in_required(request, lesson)
    if not (
        selectors.comments_open_for_lesson(lesson=lesson)
        and selectors.user_may_comment(user=request.user, lesson=lesson)
        and rules.comment_can_reply(comment, request.user)
    ):
        return _refusal(request, lesson, _("You cannot reply to this comment."))
    draft = _draft_for(request, lesson, comment.pk)
    context = page_context(
        lesson=lesson,
        course=lesson.course,
        form=CommentForm(initial={"parent": comment.pk, "body": draft and draft.get("body")}),
        draft_kept=draft is not None,
        writer=_writer_mark(request.user),
        parent=comment,
        action=reverse("stream_comments:post", kwargs={"lesson_id": lesson.pk}),
        title=pgettext("comment action", "Reply"),
        body_label=_("Your reply"),
        submit_label=_("Post reply"),
    )
    return render(request, "stream/comments/comment_form_page.html", context)


@_form_page
@require_http_methods(["GET", "HEAD", "POST"])
def comment_flag(request, pk):
    comment = _comment_or_404(pk, request.user)
    lesson = comment.lesson
    if not rules.user_is_learner(request.user):
        return _sign_in_required(request, lesson)
    if not rules.comment_can_flag(comment, request.user):
        return _refusal(request, lesson, _("You cannot flag this comment."))
    if request.method != "POST":
        # Where "Flag" leads without JavaScript: the reason and the button on a page of its own.
        context = page_context(
            lesson=lesson, course=lesson.course, comment=comment, form=FlagForm(auto_id="flag-%s")
        )
        return render(request, "stream/comments/flag_form_page.html", context)
    form = FlagForm(request.POST, auto_id="flag-%s")
    if not form.is_valid():
        return _form_again(
            request,
            lesson=lesson,
            form=form,
            action=reverse("stream_comments:flag", kwargs={"pk": comment.pk}),
            title=pgettext("comment action", "Flag"),
            template="stream/comments/flag_form_page.html",
            status=400,
            extra={"comment": comment},
        )
    try:
        _flag, created = services.comment_flag(
            comment=comment, user=request.user, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, CommentsError) as error:
        message = error.message if isinstance(error, CommentsError) else error.messages[0]
        return _refusal(request, lesson, message, status=_status_for(error))
    message = (
        _("Thanks. A moderator will take a look.")
        if created
        else _("You have already flagged this comment.")
    )
    if _wants_fragment(request):
        return JsonResponse({"ok": True, "id": comment.pk, "message": message})
    # The shared page does not show who flagged what: the outcome is a page of its own.
    return done_page(request, title=message, back_url=_comment_url(comment, request.user))


@require_safe
def comment_permalink(request, pk):
    """``/comments/<id>/``: to the lesson page, the page of threads and the anchor that show it."""
    comment = _comment_or_404(pk, request.user)
    return redirect(_comment_url(comment, request.user))


@_form_page
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_set(request, lesson_id):
    lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
    if not rules.user_is_learner(request.user):
        return _sign_in_required(request, lesson)
    if request.method != "POST":
        # Where the 🔔 leads without JavaScript: the learner's setting and a button to change it.
        subscribed = ReplySubscription.objects.filter(
            user_id=request.user.pk, lesson=lesson, active=True
        ).exists()
        context = page_context(lesson=lesson, course=lesson.course, subscribed=subscribed)
        return render(request, "stream/comments/subscription_page.html", context)
    active = request.POST.get("active") == "1"
    try:
        services.subscription_set(user=request.user, lesson=lesson, active=active)
    except CommentsError as error:
        return _refusal(request, lesson, error)
    message = (
        _("Reply notifications are on for this lesson.")
        if active
        else _("Reply notifications are off for this lesson.")
    )
    if _wants_fragment(request):
        return JsonResponse({"ok": True, "subscribed": active, "message": message})
    # The shared page does not show the viewer's 🔔: the outcome is a page of its own.
    return done_page(request, title=message, back_url=_section_url(lesson))


# --- Problem reports -----------------------------------------------------------------------------


@_open_form_page
@require_http_methods(["GET", "HEAD", "POST"])
def report_file(request, lesson_id):
    lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
    # The sections offered are the headings of the text read in the page's language.
    text = lesson_text(lesson=lesson, language=request.POST.get("language", "")[:15] or None)
    if request.method != "POST":
        # Where "Report a problem" leads without JavaScript; visitors may report too.
        context = page_context(
            lesson=lesson,
            course=lesson.course,
            form=ReportForm(lesson=text),
            title=_("Report a problem"),
        )
        return render(request, "stream/comments/report_form_page.html", context)
    form = ReportForm(request.POST, lesson=text)
    thanks = _("Thank you! Your report reached the instructors.")
    if form.is_spam:  # a bot filled in the honeypot: thank it and keep nothing
        return _report_thanks(request, lesson, thanks)
    status = 400
    if form.is_valid():
        try:
            services.report_file(
                lesson=lesson,
                reporter=request.user,
                kind=form.cleaned_data["kind"],
                message=form.cleaned_data["message"],
                section=form.cleaned_data["section"],
                contact_email=form.cleaned_data["contact_email"],
                page_url=request.headers.get("Referer", lesson.get_absolute_url()),
                user_agent=request.headers.get("User-Agent", ""),
                ip=client_ip(request),
                language=request.POST.get("language", "")[:15],
            )
        except (ValidationError, CommentsError) as error:
            status = _add_error(form, error)
        else:
            return _report_thanks(request, lesson, thanks)
    return _form_again(
        request,
        lesson=lesson,
        form=form,
        action=reverse("stream_comments:report", kwargs={"lesson_id": lesson.pk}),
        title=_("Your report was not sent"),
        template="stream/comments/report_form_page.html",
        status=status,
    )


def _report_thanks(request, lesson, message):
    if _wants_fragment(request):
        return JsonResponse({"ok": True, "message": message}, status=201)
    return done_page(request, title=message, back_url=lesson.get_absolute_url())


# --- Notifications -------------------------------------------------------------------------------


@login_required
@require_safe
def notifications(request):
    paginator = Paginator(selectors.notifications_for_user(user=request.user), 30)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "stream/comments/notifications.html",
        page_context(
            page_obj=page,
            notifications=selectors.notifications_attach(page.object_list),
            email_replies=selectors.email_replies_enabled(user=request.user),
        ),
    )


@login_required
@require_POST
def notifications_read(request):
    # No "notification" field: mark all read; one that names nothing: mark nothing.
    values = request.POST.getlist("notification")
    changed = services.notifications_mark_read(
        user=request.user, ids=ids_parse(values) if values else None
    )
    if _wants_fragment(request):
        return JsonResponse(
            {"ok": True, "marked": changed, "unread": selectors.unread_count(user=request.user)}
        )
    if changed:
        messages.success(request, _("Marked as read."))
    return redirect("stream_comments:notifications")


@login_required
@require_POST
def notifications_email(request):
    enabled = request.POST.get("email_replies") == "1"
    services.email_replies_set(user=request.user, enabled=enabled)
    messages.success(
        request,
        _("Reply emails are on.") if enabled else _("Reply emails are off. In-app ones stay."),
    )
    return redirect("stream_comments:notifications")


# The POST is the RFC 8058 one-click unsubscribe: mail clients send it without a session or a
# CSRF token, and the signed token in the URL is what authenticates it.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """Turn off reply emails from a link in one: GET asks, POST (one click, too) does it."""
    user_id = unsubscribe_token_user_id(token)
    user = None
    if user_id is not None:
        user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None:
        return render(
            request,
            "stream/comments/unsubscribe.html",
            page_context(invalid=True),
            status=400,
        )
    done = request.method == "POST"
    if done:
        services.email_replies_set(user=user, enabled=False)
    return render(request, "stream/comments/unsubscribe.html", page_context(done=done, token=token))
