"""Reply emails: plain text, a signed one-click unsubscribe link, RFC 8058 headers.

A learner writes the comment, so nothing they wrote goes into an email as a link or as HTML:
the excerpt is the comment's text with tags dropped and anything that looks like an address
(``https://…``, ``www.…``, ``name@host``, ``host.tld/…``) replaced, so that no mail client turns
it into a link either. The only links are ours: the comment's permalink and the unsubscribe page.
"""

from __future__ import annotations

import html
import logging
import re

from django.conf import settings
from django.core import mail, signing
from django.db import transaction
from django.db.models import BooleanField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from lessons.translations import content_languages

from .conf import comments_settings

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "stream.comments.unsubscribe"
UNSUBSCRIBE_PURPOSE = "reply-emails"
EXCERPT_CHARS = 600

_ADDRESS_RE = re.compile(
    r"""(?ix)
    \b[a-z][a-z0-9+.-]*://\S*         # scheme://anything
    | \bwww\.\S*                       # www.anything
    | \bmailto:\S*
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+     # name@host.tld
    | \b(?:[\w-]+\.)+[a-z]{2,}\b(?:[/:?#]\S*)?   # host.tld and host.tld/path
    """
)


_BLOCK_END_RE = re.compile(r"</(?:p|pre|li|blockquote|div|tr|figure|figcaption)>|<br\s*/?>", re.I)


def plain_excerpt(body_html: str, *, limit: int = EXCERPT_CHARS) -> str:
    """A comment's rendered HTML as plain text for an email, with every address removed."""
    text = html.unescape(strip_tags(_BLOCK_END_RE.sub("\n", body_html)))
    text = _ADDRESS_RE.sub(_("[link removed]"), text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    return Truncator(text).chars(limit)


def plain_name(name: str) -> str:
    """A learner's display name for an email, with anything address-like removed."""
    return _ADDRESS_RE.sub("…", " ".join(name.split()))[:80]


def unsubscribe_token_make(*, user) -> str:
    """A signed, expiring token that turns off reply emails for ``user`` (and nothing else)."""
    return signing.dumps({"user": user.pk, "purpose": UNSUBSCRIBE_PURPOSE}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_user_id(token: str) -> int | None:
    """The user id in a valid unsubscribe token; ``None`` if tampered with, foreign or expired."""
    try:
        payload = signing.loads(
            token, salt=UNSUBSCRIBE_SALT, max_age=comments_settings.COMMENTS_UNSUBSCRIBE_MAX_AGE
        )
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(payload, dict) or payload.get("purpose") != UNSUBSCRIBE_PURPOSE:
        return None
    user_id = payload.get("user")
    return user_id if isinstance(user_id, int) else None


def request_site_url(request) -> str:
    """The site's address as ``request`` reached it: the base of the links in the emails a
    request's write sends, unless ``COMMENTS_SITE_URL`` is set."""
    return request.build_absolute_uri("/").rstrip("/")


def _absolute(site_url: str, path: str) -> str:
    base = (comments_settings.COMMENTS_SITE_URL or site_url or "").rstrip("/")
    return f"{base}{path}"


def reply_email_message(*, reply, recipient, site_url: str = "") -> mail.EmailMessage:
    """The email telling ``recipient`` about ``reply`` (``reply.author`` and ``.lesson`` loaded),
    in the active language: the lesson is named as a reader in it sees it (its variant's
    title; the lesson's variants are read once, then kept on ``reply.lesson``)."""
    from .selectors import author_display_name

    unsubscribe_url = _absolute(
        site_url,
        reverse(
            "stream_comments:unsubscribe",
            kwargs={"token": unsubscribe_token_make(user=recipient)},
        ),
    )
    context = {
        "replier": plain_name(author_display_name(reply.author)) or _("Someone"),
        "lesson_title": reply.lesson.title_in(),
        "excerpt": plain_excerpt(reply.body_html),
        "reply_url": _absolute(site_url, reply.get_absolute_url()),
        "unsubscribe_url": unsubscribe_url,
        "notifications_url": _absolute(site_url, reverse("stream_comments:notifications")),
    }
    subject = render_to_string("stream/comments/emails/reply_subject.txt", context)
    body = render_to_string("stream/comments/emails/reply_body.txt", context)
    return mail.EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def reply_emails_send(*, reply_id: int, site_url: str = "") -> int:
    """Email each learner notified of reply ``reply_id`` who wants reply emails and has not had
    this one; returns how many went.

    Safe to run again, even beside itself: each notification is claimed (``emailed_at``, in a
    transaction that skips rows another run holds) before its email goes, so it is emailed
    once; an email that could not be sent is released for the next run, and once the others
    went, the first such error is raised.
    Re-reads the reply, so one hidden or deleted in the meantime is not sent.
    """
    from .models import Comment, CommentStatus, Notification, NotificationKind

    reply = Comment.objects.select_related("author", "lesson").filter(pk=reply_id).first()
    if reply is None or reply.status != CommentStatus.PUBLISHED:
        return 0
    with transaction.atomic():
        claimed = list(
            _email_pending(
                Notification.objects.filter(kind=NotificationKind.REPLY, comment_id=reply_id)
            )
            .annotate(recipient_language=_language_in_thread(reply))
            .select_related("recipient")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(
            emailed_at=timezone.now()
        )
    if not claimed:
        return 0
    messages = {}
    for n in claimed:
        with translation.override(email_language(n.recipient_language)):
            messages[n.pk] = reply_email_message(
                reply=reply, recipient=n.recipient, site_url=site_url
            )
    sent, errors = set(), []
    try:
        with _mail_connection() as connection:
            for pk, message in messages.items():
                try:
                    if connection.send_messages([message]):
                        sent.add(pk)
                except Exception as error:  # one refused address must not stop the others
                    logger.warning("Reply email for notification %s not sent: %r", pk, error)
                    errors.append(error)
    finally:
        unsent = [pk for pk in messages if pk not in sent]
        if unsent:
            Notification.objects.filter(pk__in=unsent).update(emailed_at=None)
    if errors:
        raise errors[0]
    return len(sent)


def _language_in_thread(reply):
    """The language of the page the recipient last wrote on in ``reply``'s thread (every
    recipient took part in it; see ``services.reply_notifications_create``), as a subquery of
    the notifications' own query: what Stream knows of the language a learner reads in. Null
    when their comments there predate ``Comment.language``."""
    from .models import Comment

    thread = reply.root_id or reply.pk
    written = Comment.objects.filter(Q(pk=thread) | Q(root_id=thread)).filter(
        author_id=OuterRef("recipient_id")
    )
    return Subquery(
        written.exclude(language="").order_by("-created_at", "-pk").values("language")[:1]
    )


def email_language(language: str | None) -> str:
    """What a reply email is written in: ``language`` when the site offers it, else the site's
    ``LANGUAGE_CODE``."""
    codes = {code for code, _name in content_languages()}
    return language if language in codes else settings.LANGUAGE_CODE


def _email_pending(notifications):
    """Those of ``notifications`` whose recipient wants reply emails, can get them and has not
    been emailed yet: one query, whatever their number."""
    from .models import NotificationSettings

    choice = NotificationSettings.objects.filter(user_id=OuterRef("recipient_id")).values(
        "email_replies"
    )[:1]
    return (
        notifications.filter(emailed_at__isnull=True, recipient__is_active=True)
        .exclude(recipient__email="")
        .annotate(
            wants_email=Coalesce(
                Subquery(choice),
                Value(comments_settings.COMMENTS_EMAIL_REPLIES),
                output_field=BooleanField(),
            )
        )
        .filter(wants_email=True)
    )


def _mail_connection():
    # Django 6.1 replaced get_connection() with the MAILERS setting and ``mail.mailers``; the
    # default mailer falls back to EMAIL_BACKEND for sites that have not moved yet.
    mailers = getattr(mail, "mailers", None)
    return mailers.default if mailers is not None else mail.get_connection()
