"""Open Badges 2.0 for achievements: every award is a *hosted* assertion.

Four public documents, served by ``progress.views`` without a session (JSON-LD,
``@context`` ``https://w3id.org/openbadges/v2``):

- the **Issuer** profile (``badges/issuer.json``): who gives the badges, from
  ``STREAM["BADGE_ISSUER"]``;
- a **BadgeClass** per achievement (``badges/achievements/<id>.json``) and its image
  (``badges/achievements/<id>.png``, drawn here with Pillow);
- an **Assertion** per award (``badges/<badge_id>.json``): the recipient is the learner's email
  hashed with the award's own salt, never the address itself; the address ends with the award's
  random ``badge_id``, so nobody finds another learner's badge without being given its address;
- the award's **baked image** (``badges/<badge_id>.png``): the achievement's image with the
  assertion's JSON in its ``openbadges`` chunk (``openbadges-bakery``), the file a learner
  uploads to a backpack.

A withdrawn award (its row deleted: the learner's account deleted or their learning data
erased) leaves a :class:`~progress.models.BadgeRevocation`; its assertion then answers
410 Gone with ``"revoked": true`` and the reason, as the specification asks.

Addresses are built on ``STREAM["BADGE_BASE_URL"]`` (else the request's own scheme and host)
and reversed in the site's default language, so a badge's ids never depend on which language
or host name a request used. Documents are written in the site's default language too.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import json
import math
from dataclasses import dataclass, replace
from email.utils import parseaddr

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import translation

from lessons.conf import lessons_settings
from lessons.translations import translations_annotate

from .conf import progress_settings
from .models import Achievement, AchievementAward, BadgeRevocation, RuleKind
from .rules import course_reference_q, rule_describe, tag_reference_q

OPEN_BADGES_CONTEXT = "https://w3id.org/openbadges/v2"
# What hosted documents are served as: JSON-LD, which backpacks ask for first.
DOCUMENT_CONTENT_TYPE = "application/ld+json"
# Baked images and achievement images are kept in Django's default cache this long; their keys
# name everything they are made of, so a changed assertion or design is a new key, never stale.
IMAGE_CACHE_SECONDS = 24 * 60 * 60
# Bumped when the drawing below changes, so kept images are drawn again.
IMAGE_DESIGN = 1
IMAGE_SIZE = 400


# --- Addresses ----------------------------------------------------------------------------------


def badge_url(request, name: str, **kwargs) -> str:
    """The absolute address of one of progress's badge views (``name`` without the namespace):
    reversed in the site's default language, on ``BADGE_BASE_URL`` or the request's host."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse(f"stream_progress:{name}", kwargs=kwargs)
    base = (progress_settings.BADGE_BASE_URL or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


@dataclass(frozen=True)
class BadgeLinks:
    """What ``/me/progress/`` offers for one award: the baked image and the hosted address."""

    assertion_url: str
    image_url: str
    file_name: str


def badge_links(request, *, achievement: Achievement, badge_id) -> BadgeLinks:
    return BadgeLinks(
        assertion_url=badge_url(request, "badge_assertion", badge_id=badge_id),
        image_url=badge_url(request, "badge_image", badge_id=badge_id),
        file_name=f"{achievement.slug}-badge.png",
    )


def cards_with_badges(request, *, cards: list) -> list:
    """``/me/progress/``'s achievement cards, each earned one with its :class:`BadgeLinks`
    (none while the learner has no email address: a badge is issued to one). No query."""
    if not learner_email(request.user):
        return cards
    return [
        replace(
            card,
            badge=badge_links(
                request, achievement=card.achievement, badge_id=card.achievement.award_badge_id
            ),
        )
        if card.achievement.award_badge_id
        else card
        for card in cards
    ]


# --- The recipient ------------------------------------------------------------------------------


def learner_email(user) -> str:
    """The address the learner's badges are issued to: the user model's email field."""
    return (getattr(user, user.get_email_field_name(), "") or "").strip()


def recipient_identity(*, email: str, salt: str) -> str:
    """Open Badges' hashed identity: ``sha256$`` and the hex SHA-256 of the email followed by the
    salt. The email is lowercased first, as backpacks compare addresses without case."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return f"sha256${digest}"


# --- Documents ----------------------------------------------------------------------------------


def issuer_document(request) -> dict:
    """The Issuer profile. ``BADGE_ISSUER``'s ``name``, ``url`` and ``email``, each defaulting
    to the site: ``SITE_NAME``, ``HOME_URL`` on the site's address, ``DEFAULT_FROM_EMAIL``."""
    configured = progress_settings.BADGE_ISSUER or {}
    url = configured.get("url") or _absolute(request, resolve_url(lessons_settings.HOME_URL))
    email = configured.get("email") or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    document = {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Issuer",
        "id": badge_url(request, "badge_issuer"),
        "name": configured.get("name") or lessons_settings.SITE_NAME,
        "url": url,
        "email": email,
    }
    if configured.get("description"):
        document["description"] = configured["description"]
    return document


def _absolute(request, url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    base = (progress_settings.BADGE_BASE_URL or "").rstrip("/")
    return f"{base}{url}" if base else request.build_absolute_uri(url)


def how_to_earn(achievement: Achievement) -> str:
    """The rule in words in the active language, naming its course or tag in that language too
    (its translation, else its own title or name): 1 query for those rules, else none. The
    BadgeClass and the admin's achievement page say it."""
    from lessons.models import Course, Tag

    params = achievement.rule_params or {}
    subject = ""
    if achievement.rule_kind == RuleKind.COURSE_COMPLETED and params.get("course"):
        courses = Course.objects.filter(course_reference_q(str(params["course"])))
        course = translations_annotate(courses, fields=("title",)).first()
        subject = course.title_in() if course else ""
    elif achievement.rule_kind == RuleKind.TAG_COMPLETED and params.get("tag"):
        tag = translations_annotate(Tag.objects.filter(tag_reference_q(str(params["tag"])))).first()
        subject = tag.name_in() if tag else ""
    return rule_describe(kind=achievement.rule_kind, params=params, subject=subject)


def badge_class_document(request, achievement: Achievement) -> dict:
    """The achievement as a BadgeClass: its name and description (or how to earn it) in the
    active language, its image, the rule as the criteria, and the issuer."""
    # One language throughout, the one the view makes active: the site's default. A BadgeClass
    # is one public document at one address for every backpack, verifier and reader (Open
    # Badges 2.0 gives its name and criteria one text each), and a baked badge points to it for
    # good; so the criteria name the rule's course or tag in the language the sentence around
    # them and the badge's name are in, not in the course's original, which may be another.
    criteria = how_to_earn(achievement)
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "BadgeClass",
        "id": badge_url(request, "badge_class", achievement_id=achievement.pk),
        "name": achievement.name_in(),
        "description": achievement.description_in() or criteria,
        "image": badge_url(request, "badge_class_image", achievement_id=achievement.pk),
        "criteria": {"narrative": criteria},
        "issuer": badge_url(request, "badge_issuer"),
    }


def assertion_document(request, award: AchievementAward) -> dict:
    """The award as a hosted Assertion. ``award.learner`` must have an email (see
    :func:`learner_email`)."""
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Assertion",
        "id": badge_url(request, "badge_assertion", badge_id=award.badge_id),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": award.badge_salt,
            "identity": recipient_identity(
                email=learner_email(award.learner), salt=award.badge_salt
            ),
        },
        "badge": badge_url(request, "badge_class", achievement_id=award.achievement_id),
        "issuedOn": award.awarded_at.isoformat(),
        "image": badge_url(request, "badge_image", badge_id=award.badge_id),
        "verification": {"type": "HostedBadge"},
    }


def revoked_document(request, revocation: BadgeRevocation) -> dict:
    """What a withdrawn award's address answers (with 410 Gone)."""
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Assertion",
        "id": badge_url(request, "badge_assertion", badge_id=revocation.badge_id),
        "revoked": True,
        "revocationReason": revocation.reason,
    }


def document_bytes(document: dict) -> bytes:
    """The one serialisation of a document: the hosted answer and the baked chunk alike."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# --- Images -------------------------------------------------------------------------------------


def achievement_image(achievement: Achievement) -> bytes:
    """The achievement's badge image: a PNG medallion in the achievement's own colour, drawn
    once and kept in the cache."""
    key = f"stream:badge:image:{IMAGE_DESIGN}:{achievement.pk}"
    image = cache.get(key)
    if image is None:
        image = _medallion_draw(achievement.pk)
        cache.set(key, image, IMAGE_CACHE_SECONDS)
    return image


def baked_image(request, award: AchievementAward) -> bytes:
    """The achievement's image with the award's assertion baked in, kept in the cache under a
    digest of the assertion (a changed email or address makes a new one)."""
    from openbadges_bakery import bake

    assertion = document_bytes(assertion_document(request, award))
    key = f"stream:badge:baked:{IMAGE_DESIGN}:{hashlib.sha256(assertion).hexdigest()}"
    baked = cache.get(key)
    if baked is None:
        output = io.BytesIO()
        bake(io.BytesIO(achievement_image(award.achievement)), assertion.decode(), output)
        baked = output.getvalue()
        cache.set(key, baked, IMAGE_CACHE_SECONDS)
    return baked


def _medallion_draw(seed: int) -> bytes:
    """A ribbon and a medallion with a star, in a hue chosen by ``seed``; drawn at twice the
    size and scaled down for smooth edges. No text, so it needs no font on the host."""
    from PIL import Image, ImageDraw

    scale = 2
    size = IMAGE_SIZE * scale
    hue = (seed * 0.618033988749895) % 1.0  # golden-ratio steps: neighbours differ
    deep = _rgb(hue, 0.34, 0.62)
    light = _rgb(hue, 0.50, 0.55)
    ribbon = _rgb((hue + 0.08) % 1.0, 0.38, 0.55)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = size / 2
    # the ribbon's two tails behind the medallion
    for side in (-1, 1):
        x = centre + side * size * 0.13
        draw.polygon(
            [
                (x - size * 0.09, size * 0.55),
                (x + size * 0.09, size * 0.55),
                (x + size * 0.09 + side * size * 0.04, size * 0.97),
                (x + side * size * 0.02, size * 0.88),
                (x - size * 0.09 + side * size * 0.04, size * 0.97),
            ],
            fill=ribbon,
        )
    radius = size * 0.36
    top = size * 0.40
    draw.ellipse([centre - radius, top - radius, centre + radius, top + radius], fill=deep)
    inner = radius * 0.84
    draw.ellipse([centre - inner, top - inner, centre + inner, top + inner], fill=light)
    draw.ellipse(
        [centre - inner, top - inner, centre + inner, top + inner],
        outline=(255, 255, 255, 235),
        width=max(2, int(size * 0.012)),
    )
    points = []
    for index in range(10):
        reach = inner * (0.68 if index % 2 == 0 else 0.30)
        angle = -math.pi / 2 + index * math.pi / 5
        points.append((centre + reach * math.cos(angle), top + reach * math.sin(angle)))
    draw.polygon(points, fill=(255, 255, 255, 255))
    image = image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def _rgb(hue: float, lightness: float, saturation: float) -> tuple[int, int, int, int]:
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return round(red * 255), round(green * 255), round(blue * 255), 255
