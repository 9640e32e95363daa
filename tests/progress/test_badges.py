"""Open Badges 2.0 for achievements (progress.badges): hosted assertions, badge classes, the
issuer, baked images, revocation and what /me/progress/ offers.

The documents are checked by :func:`open_badges_problems` below: the Open Badges 2.0
specification's rules for hosted Assertions, BadgeClasses and Issuer profiles, written out
check by check. (The ``openbadges`` verifier from PyPI cannot run here: version 1.1.2 pins
libraries from 2017 that do not import on Python 3.11 or later, and it fetches the JSON-LD
context from w3id.org, which these machines cannot reach.) Linked documents are followed
through the test client, as a backpack follows them over HTTP.
"""

import hashlib
import io
import json
import re
import uuid
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.validators import EmailValidator
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openbadges_bakery import unbake
from PIL import Image

from lessons.conf import lessons_settings
from lessons.models import CourseTranslation, TagTranslation
from progress import services
from progress.badges import recipient_identity
from progress.models import AchievementAward, AchievementTranslation, BadgeRevocation
from tests.factories import AchievementFactory, CourseFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTEXT = "https://w3id.org/openbadges/v2"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- The specification's rules, written out ------------------------------------------------------


def _is_iri(value) -> bool:
    """An absolute HTTP(S) address (the host may be a single label, as the test server's is)."""
    if not isinstance(value, str) or re.search(r"\s", value):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _is_datetime(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None


def _types(document) -> list:
    value = document.get("type")
    return value if isinstance(value, list) else [value]


def open_badges_problems(document: dict, kind: str) -> list[str]:
    """What ``document`` breaks of Open Badges 2.0 for ``kind`` ("Assertion", "BadgeClass" or
    "Issuer"); empty when it is valid."""
    problems = []

    def need(condition, message):
        if not condition:
            problems.append(message)

    need(document.get("@context") == CONTEXT, "@context must be the Open Badges v2 context")
    need(_is_iri(document.get("id")), "id must be an HTTP(S) IRI")
    if kind == "Assertion":
        need("Assertion" in _types(document), "type must include Assertion")
        recipient = document.get("recipient")
        need(isinstance(recipient, dict), "recipient must be an IdentityObject")
        recipient = recipient if isinstance(recipient, dict) else {}
        need(
            recipient.get("type") in {"email", "url", "telephone", "id"},
            "recipient.type must be email, url, telephone or id",
        )
        need(isinstance(recipient.get("hashed"), bool), "recipient.hashed must be a boolean")
        identity = recipient.get("identity")
        if recipient.get("hashed"):
            need(
                isinstance(identity, str)
                and re.fullmatch(r"sha256\$[0-9a-f]{64}|md5\$[0-9a-f]{32}", identity),
                "a hashed identity must be sha256$<64 hex> or md5$<32 hex>",
            )
        need(
            "salt" not in recipient or isinstance(recipient["salt"], str),
            "recipient.salt must be text",
        )
        need(_is_iri(document.get("badge")), "badge must be the BadgeClass's IRI")
        verification = document.get("verification")
        need(
            isinstance(verification, dict)
            and verification.get("type") in {"HostedBadge", "hosted"},
            "verification.type must be HostedBadge for a hosted assertion",
        )
        need(_is_datetime(document.get("issuedOn")), "issuedOn must be an ISO 8601 DateTime")
        if "expires" in document:
            need(_is_datetime(document["expires"]), "expires must be an ISO 8601 DateTime")
        if "image" in document:
            need(_is_iri(document["image"]), "image must be an IRI")
        need(document.get("revoked", False) is False, "a live assertion is not revoked")
    elif kind == "BadgeClass":
        need("BadgeClass" in _types(document), "type must include BadgeClass")
        for name in ("name", "description"):
            need(isinstance(document.get(name), str) and document[name].strip(), f"{name} needed")
        image = document.get("image")
        need(
            _is_iri(image) or (isinstance(image, dict) and _is_iri(image.get("id"))),
            "image must be an IRI or an Image with an id",
        )
        criteria = document.get("criteria")
        need(
            _is_iri(criteria)
            or (
                isinstance(criteria, dict)
                and (_is_iri(criteria.get("id")) or str(criteria.get("narrative", "")).strip())
            ),
            "criteria must be an IRI, or Criteria with an id or a narrative",
        )
        need(_is_iri(document.get("issuer")), "issuer must be the Issuer profile's IRI")
    elif kind == "Issuer":
        need(set(_types(document)) & {"Issuer", "Profile"}, "type must be Issuer or Profile")
        need(isinstance(document.get("name"), str) and document["name"].strip(), "name needed")
        need(_is_iri(document.get("url")), "url must be a URL")
        try:
            EmailValidator()(document.get("email") or "")
        except Exception:
            problems.append("email must be an email address")
    return problems


def fetch_badge(client, url):
    """GET ``url`` as a backpack would (no session), checking what every document shares."""
    path = urlsplit(url).path
    response = client.get(path, HTTP_ACCEPT="application/ld+json, application/json")
    return response


def hosted_badge_problems(client, assertion_url) -> list[str]:
    """Follow a hosted assertion to its BadgeClass, the issuer and the image, and check each
    one and the links between them (hosted verification: the assertion is at its own id, on
    the issuer's origin)."""
    response = fetch_badge(client, assertion_url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/ld+json"
    assertion = json.loads(response.content)
    problems = open_badges_problems(assertion, "Assertion")
    if assertion.get("id") != assertion_url:
        problems.append("a hosted assertion's id must be the address it is served from")
    badge_class = json.loads(fetch_badge(client, assertion["badge"]).content)
    problems += open_badges_problems(badge_class, "BadgeClass")
    if badge_class.get("id") != assertion["badge"]:
        problems.append("the BadgeClass's id must be the address the assertion names")
    issuer = json.loads(fetch_badge(client, badge_class["issuer"]).content)
    problems += open_badges_problems(issuer, "Issuer")
    if urlsplit(issuer["id"]).netloc != urlsplit(assertion["id"]).netloc:
        problems.append("a hosted assertion must be on its issuer's origin")
    image = fetch_badge(client, badge_class["image"])
    if image["Content-Type"] != "image/png" or not image.content.startswith(PNG_SIGNATURE):
        problems.append("the BadgeClass image must be a PNG")
    else:
        width, height = Image.open(io.BytesIO(image.content)).size
        if width != height or width < 90:
            problems.append("a badge image should be square and at least 90 px")
    return problems


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def award(learner, lessons, levels):
    """``learner``'s award of "First steps" (earned by completing a lesson)."""
    AchievementFactory(
        slug="first-steps", name="First steps", rule_params={"count": 1}, xp=5, icon="🚀"
    )
    services.completion_record(user=learner, lesson=lessons[0])
    return AchievementAward.objects.select_related("learner", "achievement").get(learner=learner)


SERVER = "http://testserver"


def in_site_language(texts: dict) -> str:
    """The text for the site's default language (Korean in the demo, English in the host)."""
    return texts[settings.LANGUAGE_CODE[:2]]


def at(rest: str) -> str:
    """A badge path in this project: ``/badges/…`` in the demo, under the host's prefix in
    tests/host_project."""
    with translation.override(settings.LANGUAGE_CODE):
        issuer = reverse("stream_progress:badge_issuer")
    return issuer.removesuffix("issuer.json") + rest


def assertion_url(award):
    return SERVER + at(f"{award.badge_id}.json")


# --- Documents -----------------------------------------------------------------------------------


def test_an_award_is_a_valid_hosted_assertion_with_its_badge_class_and_issuer(client, award):
    assert hosted_badge_problems(client, assertion_url(award)) == []


def test_the_checks_can_fail(client, award):
    # given the real assertion with what the specification requires taken out or spoiled
    document = json.loads(client.get(at(f"{award.badge_id}.json")).content)
    broken = {**document, "recipient": {**document["recipient"], "identity": "sha256$xyz"}}
    del broken["verification"]
    broken["issuedOn"] = "yesterday"

    # then each is found
    assert open_badges_problems(broken, "Assertion") == [
        "a hashed identity must be sha256$<64 hex> or md5$<32 hex>",
        "verification.type must be HostedBadge for a hosted assertion",
        "issuedOn must be an ISO 8601 DateTime",
    ]
    assert open_badges_problems({"@context": CONTEXT, "type": "Issuer"}, "Issuer") == [
        "id must be an HTTP(S) IRI",
        "name needed",
        "url must be a URL",
        "email must be an email address",
    ]


def test_the_assertion_says_who_what_and_when(client, award):
    document = json.loads(client.get(at(f"{award.badge_id}.json")).content)

    assert document == {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(award),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": award.badge_salt,
            "identity": document["recipient"]["identity"],
        },
        "badge": SERVER + at(f"achievements/{award.achievement_id}.json"),
        "issuedOn": award.awarded_at.isoformat(),
        "image": SERVER + at(f"{award.badge_id}.png"),
        "verification": {"type": "HostedBadge"},
    }


def test_the_recipient_is_the_email_hashed_with_the_awards_own_salt(client, award, lessons):
    # given a second learner with the same achievement
    other = UserFactory()
    services.completion_record(user=other, lesson=lessons[0])
    other_award = AchievementAward.objects.get(learner=other)

    document = client.get(at(f"{award.badge_id}.json"))
    recipient = json.loads(document.content)["recipient"]

    # then the identity is sha256 of the email and the award's salt, and no address shows
    expected = hashlib.sha256((award.learner.email + award.badge_salt).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${expected}"
    assert recipient["salt"] == award.badge_salt and len(award.badge_salt) == 32
    assert award.learner.email.encode() not in document.content
    assert award.badge_salt != other_award.badge_salt
    assert award.badge_id != other_award.badge_id


def test_the_email_is_hashed_without_its_case():
    assert recipient_identity(email="Kim@Example.COM ", salt="s1") == recipient_identity(
        email="kim@example.com", salt="s1"
    )
    assert recipient_identity(email="kim@example.com", salt="s1") != recipient_identity(
        email="kim@example.com", salt="s2"
    )


def test_the_badge_class_is_the_achievement_and_its_rule(client, award):
    achievement = award.achievement
    achievement.description = ""
    achievement.save()

    document = json.loads(client.get(at(f"achievements/{achievement.pk}.json")).content)

    how = in_site_language({"ko": "레슨 1개를 완료하세요.", "en": "Complete 1 lesson."})
    assert document == {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": SERVER + at(f"achievements/{achievement.pk}.json"),
        "name": "First steps",
        "description": how,
        "image": SERVER + at(f"achievements/{achievement.pk}.png"),
        "criteria": {"narrative": how},
        "issuer": SERVER + at("issuer.json"),
    }


def test_the_badge_class_speaks_the_sites_default_language(client, award):
    # given the achievement named in the site's language, and in another
    AchievementTranslation.objects.create(
        achievement=award.achievement,
        language=settings.LANGUAGE_CODE,
        name="Erste Schritte",
        description="Jeder Kurs beginnt mit einer Lektion.",
    )
    AchievementTranslation.objects.create(
        achievement=award.achievement, language="xx", name="Other", description="Other."
    )

    # when it is asked for, whatever language the request names
    with translation.override("en"):
        path = reverse("stream_progress:badge_class", args=[award.achievement_id])
    document = json.loads(client.get(path, HTTP_ACCEPT_LANGUAGE="en").content)

    # then it is in the site's default language
    assert (document["name"], document["description"]) == (
        "Erste Schritte",
        "Jeder Kurs beginnt mit einer Lektion.",
    )


def test_the_criteria_name_the_rules_course_and_tag_in_the_sites_default_language(
    client, django_assert_num_queries
):
    # given rules on a course and a tag whose own titles are in another language, each with a
    # title in the site's default language and one in English
    course = CourseFactory(title="Ursprünglicher Kurs")
    tag = TagFactory(name="ursprung")
    for language, title in ((settings.LANGUAGE_CODE, "Site course"), ("en", "English course")):
        CourseTranslation.objects.create(course=course, language=language, title=title)
    for language, name in ((settings.LANGUAGE_CODE, "site-tag"), ("en", "english-tag")):
        TagTranslation.objects.create(tag=tag, language=language, name=name)
    by_course = AchievementFactory(
        rule_kind="course_completed", rule_params={"course": course.slug}
    )
    by_tag = AchievementFactory(rule_kind="tag_completed", rule_params={"tag": tag.slug})

    # when their badge classes are asked for in English: the achievement with its rule's subject
    with django_assert_num_queries(2):
        response = client.get(at(f"achievements/{by_course.pk}.json"), HTTP_ACCEPT_LANGUAGE="en")
    tagged = client.get(at(f"achievements/{by_tag.pk}.json"), HTTP_ACCEPT_LANGUAGE="en")

    # then the criteria name them as the sentence around them is written: in the site's language
    assert json.loads(response.content)["criteria"]["narrative"] == in_site_language(
        {
            "ko": "“Site course” 강좌의 레슨을 모두 완료하세요.",
            "en": "Complete every lesson of the course “Site course”.",
        }
    )
    assert json.loads(tagged.content)["criteria"]["narrative"] == in_site_language(
        {
            "ko": "“site-tag” 태그가 붙은 레슨을 모두 완료하세요.",
            "en": "Complete every lesson tagged “site-tag”.",
        }
    )


def test_the_issuer_comes_from_the_settings_with_the_site_as_default(client, settings):
    # given no BADGE_ISSUER: the site's name, home and sender address
    settings.STREAM = {**settings.STREAM, "SITE_NAME": "Acme Academy"}
    settings.DEFAULT_FROM_EMAIL = "Acme Academy <learn@acme.example>"
    assert json.loads(client.get(at("issuer.json")).content) == {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": SERVER + at("issuer.json"),
        "name": "Acme Academy",
        "url": SERVER + resolve_url(lessons_settings.HOME_URL),
        "email": "learn@acme.example",
    }

    # when the issuer is named in the settings
    settings.STREAM = {
        **settings.STREAM,
        "BADGE_ISSUER": {
            "name": "Acme Badges",
            "url": "https://acme.example/about/",
            "email": "badges@acme.example",
            "description": "Badges for Acme's courses.",
        },
    }
    document = json.loads(client.get(at("issuer.json")).content)

    # then those are what it says
    assert (document["name"], document["url"], document["email"], document["description"]) == (
        "Acme Badges",
        "https://acme.example/about/",
        "badges@acme.example",
        "Badges for Acme's courses.",
    )
    assert open_badges_problems(document, "Issuer") == []


def test_ids_are_the_same_whatever_language_or_host_asked(client, award, settings):
    # given the English address of the same assertion
    with translation.override("en"):
        english_path = reverse("stream_progress:badge_assertion", args=[award.badge_id])
    if english_path == urlsplit(assertion_url(award)).path:
        pytest.skip("this project has no language in its addresses")

    english = json.loads(client.get(english_path).content)

    # then its id is still the one address, in the default language
    assert english["id"] == assertion_url(award)

    # and with BADGE_BASE_URL set, every id is built on it, whatever host the request named
    settings.STREAM = {**settings.STREAM, "BADGE_BASE_URL": "https://learn.acme.example/"}
    settings.ALLOWED_HOSTS = ["*"]
    document = json.loads(
        client.get(at(f"{award.badge_id}.json"), HTTP_HOST="10.0.0.7:8000").content
    )
    assert document["id"] == "https://learn.acme.example" + at(f"{award.badge_id}.json")
    assert document["badge"].startswith("https://learn.acme.example" + at("achievements/"))
    assert hosted_badge_problems(client, document["id"]) == []


def test_documents_are_public_cacheable_and_need_no_session(
    client, award, django_assert_num_queries
):
    # given a signed-in browser (its session must not matter)
    client.force_login(award.learner)
    client.cookies["stream_viewer"] = "1"
    url = at(f"{award.badge_id}.json")

    # when the assertion is asked for: one query, the award with its learner and achievement
    with django_assert_num_queries(1):
        response = client.get(url)
    assert response.content == Client().get(url).content

    # then anyone and any proxy may keep it for a while, and nothing ties it to the session
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies
    # and a client that has it gets a 304
    again = Client().get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304

    with django_assert_num_queries(0):
        assert Client().get(at("issuer.json")).status_code == 200
    with django_assert_num_queries(1):
        assert Client().get(at(f"achievements/{award.achievement_id}.json")).status_code == 200


def test_badge_max_age_is_a_setting(client, award, settings):
    settings.STREAM = {**settings.STREAM, "BADGE_MAX_AGE": 60}

    for url in (at(f"{award.badge_id}.json"), at(f"{award.badge_id}.png")):
        assert client.get(url)["Cache-Control"] == "public, max-age=60"


# --- Baked images --------------------------------------------------------------------------------


def test_the_baked_png_carries_the_hosted_assertion(client, award):
    hosted = client.get(at(f"{award.badge_id}.json"))
    image = client.get(at(f"{award.badge_id}.png"))

    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"] == 'inline; filename="first-steps-badge.png"'
    baked = unbake(io.BytesIO(image.content))
    assert baked is not None
    assert json.loads(baked) == json.loads(hosted.content)
    assert baked.encode() == hosted.content  # the very same bytes
    # a square PNG, as the badge class's image is
    assert Image.open(io.BytesIO(image.content)).size == (400, 400)


def test_a_baked_image_follows_a_changed_email(client, award):
    before = unbake(io.BytesIO(client.get(at(f"{award.badge_id}.png")).content))
    award.learner.email = "new-address@example.com"
    award.learner.save()

    after = client.get(at(f"{award.badge_id}.png"))

    identity = json.loads(unbake(io.BytesIO(after.content)))["recipient"]["identity"]
    assert identity == recipient_identity(email="new-address@example.com", salt=award.badge_salt)
    assert json.loads(before)["recipient"]["identity"] != identity
    assert unbake(io.BytesIO(after.content)).encode() == (
        client.get(at(f"{award.badge_id}.json")).content
    )


def test_achievements_have_an_image_of_their_own(client, award, django_assert_num_queries):
    other = AchievementFactory()

    with django_assert_num_queries(1):
        first = client.get(at(f"achievements/{award.achievement_id}.png"))
    second = client.get(at(f"achievements/{other.pk}.png"))

    assert first.content.startswith(PNG_SIGNATURE) and second.content.startswith(PNG_SIGNATURE)
    assert first.content != second.content  # a colour each
    assert unbake(io.BytesIO(first.content)) is None  # the class image carries no assertion


# --- Who can reach what --------------------------------------------------------------------------


def test_another_learners_badge_is_public_only_through_its_unguessable_id(client, award):
    # given a stranger's browser, signed in as someone else
    client.force_login(UserFactory())

    # then the badge's address is a random UUID, not a number to count through
    assert uuid.UUID(str(award.badge_id)).version == 4
    assert assertion_url(award).rsplit("/", 1)[1] == f"{award.badge_id}.json"
    # ids that are not the award's find nothing: a number, another UUID, a mangled one
    text = str(award.badge_id)
    mangled = text[:-1] + ("1" if text.endswith("0") else "0")
    for path in (
        at(f"{award.pk}.json"),
        at(f"{uuid.uuid4()}.json"),
        at(f"{uuid.uuid4()}.png"),
        at(f"{mangled}.json"),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
    assert client.get(at(f"{uuid.uuid4()}.json")).json() == {
        "detail": in_site_language({"ko": "배지가 없어요.", "en": "There is no badge here."}),
        "code": "not_found",
    }
    # and nothing lists badges
    assert client.get(at("")).status_code == 404
    # while the one address works for anyone given it
    assert Client().get(at(f"{award.badge_id}.json")).status_code == 200


def test_writes_are_refused(client, award, staff):
    for user in (None, UserFactory(), award.learner, staff):
        browser = Client()
        if user is not None:
            browser.force_login(user)
        for path in (at(f"{award.badge_id}.json"), at("issuer.json")):
            assert browser.post(path).status_code == 405
            assert browser.delete(path).status_code == 405
    assert AchievementAward.objects.filter(pk=award.pk).exists()


def test_a_learner_without_an_email_gets_no_badge(client, award):
    # given the learner's address removed
    learner = award.learner
    learner.email = ""
    learner.save()

    # then the assertion is not issued to nobody
    assert client.get(at(f"{award.badge_id}.json")).status_code == 404
    assert client.get(at(f"{award.badge_id}.png")).status_code == 404
    # and the page says what to do instead of offering a badge
    client.force_login(learner)
    with translation.override("en"):
        html = client.get(reverse("stream_progress:overview")).content.decode()
    assert "Download badge" not in html
    assert "Add an email address to your account to get your achievements as Open Badges." in html


# --- Revocation ----------------------------------------------------------------------------------


def revoked_answer(client, award):
    response = client.get(at(f"{award.badge_id}.json"))
    return response.status_code, json.loads(response.content)


def test_a_withdrawn_award_answers_revoked(client, award):
    # given the learner's account deleted (the award goes with it)
    badge_id = award.badge_id
    award.learner.delete()
    assert not AchievementAward.objects.filter(badge_id=badge_id).exists()

    # then its assertion says it is revoked, with the reason, and Gone
    status, document = revoked_answer(client, award)
    assert status == 410
    assert document == {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(award),
        "revoked": True,
        "revocationReason": in_site_language(
            {
                "ko": "학습자의 데이터가 삭제되어 배지가 철회되었어요.",
                "en": "The award was withdrawn: the learner's data was deleted.",
            }
        ),
    }
    assert client.get(at(f"{badge_id}.png")).status_code == 410
    # and the record keeps nothing about the learner
    revocation = BadgeRevocation.objects.get(badge_id=badge_id)
    assert revocation.achievement_id == award.achievement_id
    assert award.learner.email not in revocation.reason


def test_awards_deleted_in_bulk_are_revoked_once_each(client, award, lessons):
    other = UserFactory()
    services.completion_record(user=other, lesson=lessons[0])
    ids = list(AchievementAward.objects.values_list("badge_id", flat=True))

    AchievementAward.objects.all().delete()
    services.badge_revocations_record(
        awards=[AchievementAward(badge_id=ids[0], achievement_id=award.achievement_id)]
    )  # again: changes nothing

    assert sorted(BadgeRevocation.objects.values_list("badge_id", flat=True)) == sorted(ids)
    for badge_id in ids:
        assert client.get(at(f"{badge_id}.json")).status_code == 410


def test_a_rolled_back_deletion_revokes_nothing(client, award):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        award.learner.delete()
        raise RuntimeError("the host's deletion failed")

    assert not BadgeRevocation.objects.exists()
    assert client.get(at(f"{award.badge_id}.json")).status_code == 200


# --- /me/progress/ -------------------------------------------------------------------------------


def test_the_progress_page_offers_each_award_as_a_download_and_for_a_backpack(client, award):
    AchievementFactory(slug="locked", name="Not yet", rule_params={"count": 3})
    client.force_login(award.learner)

    with translation.override("en"):
        html = client.get(reverse("stream_progress:overview")).content.decode()

    # the earned card: a download of the baked image and the address for a backpack
    assert html.count('class="achievement-badge"') == 1
    download = re.search(
        r'<a class="achievement-badge__download" href="([^"]+)" download="([^"]+)"', html
    )
    assert download.groups() == (
        SERVER + at(f"{award.badge_id}.png"),
        "first-steps-badge.png",
    )
    assert 'Download badge<span class="visually-hidden"> · First steps</span>' in html
    assert "<summary>Add to backpack" in html
    field = re.search(r'<label [^>]*for="([^"]+)">Badge address</label>\s*<input [^>]*>', html)
    assert field and f'id="{field.group(1)}"' in field.group(0)
    assert f'value="{assertion_url(award)}" readonly' in field.group(0)


@pytest.mark.skipif(
    settings.LANGUAGE_CODE != "ko", reason="the page is in Korean where Korean is the default"
)
def test_the_progress_page_in_korean(client, award):
    client.force_login(award.learner)

    html = client.get(reverse("stream_progress:overview")).content.decode()

    assert "배지 내려받기" in html and "백팩에 추가" in html and "배지 주소" in html


def test_the_progress_page_costs_the_same_with_more_awards(
    client, learner, lessons, levels, django_assert_num_queries
):
    # given one award
    AchievementFactory(rule_params={"count": 1})
    services.completion_record(user=learner, lesson=lessons[0])
    client.force_login(learner)
    url = reverse("stream_progress:overview")
    client.get(url)  # the site's figures are kept from here on
    queries = PAGE_QUERIES[settings.ROOT_URLCONF]
    with django_assert_num_queries(queries):
        client.get(url)

    # when there are three
    AchievementFactory(rule_params={"count": 2})
    AchievementFactory(rule_params={"count": 3})
    for lesson in lessons[1:]:
        services.completion_record(user=learner, lesson=lesson)
    client.get(url)

    # then the page costs the same: the badges' ids come with the awards
    with django_assert_num_queries(queries):
        html = client.get(url).content.decode()
    assert html.count('class="achievement-badge"') == 3


# Session, user, the page's reads (lessons, achievements with the learner's awards, the
# completion log, the profile, the learner's figures), the header's notification count and the
# site's content version; the host project's adapter and header read their own.
PAGE_QUERIES = {"config.urls": 12, "tests.host_project.urls": 12}


def test_staff_see_revoked_badges_in_the_admin_and_cannot_change_them(client, award, staff):
    # given a withdrawn award
    badge_id = award.badge_id
    award.learner.delete()
    client.force_login(staff)

    # then the admin lists it, read only
    listing = client.get(reverse("admin:stream_progress_badgerevocation_changelist"))
    assert listing.status_code == 200
    assert str(badge_id) in listing.content.decode()
    assert client.get(reverse("admin:stream_progress_badgerevocation_add")).status_code == 403
    revocation = BadgeRevocation.objects.get(badge_id=badge_id)
    delete = reverse("admin:stream_progress_badgerevocation_delete", args=[revocation.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert BadgeRevocation.objects.filter(pk=revocation.pk).exists()


def test_a_learners_data_holds_their_badges_and_erasing_revokes_them(client, award, lessons):
    from lessons.learner_data import learner_data_erase, learner_data_export

    # given another learner's award of the same achievement
    other = UserFactory()
    services.completion_record(user=other, lesson=lessons[0])
    others = AchievementAward.objects.get(learner=other)

    # then the learner's export names their badge's id and salt, and not the other's
    awards = learner_data_export(user=award.learner)["parts"]["progress"]["awards"]
    assert [row["badge"] for row in awards] == [{"id": award.badge_id, "salt": award.badge_salt}]

    # and erasing their data revokes their badge alone
    learner_data_erase(user=award.learner)
    assert client.get(at(f"{award.badge_id}.json")).status_code == 410
    assert client.get(at(f"{others.badge_id}.json")).status_code == 200
