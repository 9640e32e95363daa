"""Level and achievement names per language: pages, the browser's facts, the API, the viewer
endpoint, the no-JavaScript notice, the admin's rows, the definitions and the cost of it all."""

import io
import json
import re

import pytest
from django.test import Client
from django.utils import translation

from lessons.caching import page_cache
from progress import selectors, services
from progress.models import Achievement, AchievementTranslation, Level, LevelTranslation
from tests.factories import AchievementFactory

pytestmark = pytest.mark.django_db

LEVEL_NAME = re.compile(r'data-progress-field="level_name"[^>]*>([^<]*)<')


@pytest.fixture
def named(levels):
    """Level 0 and one achievement named in Korean (the site's default language) and in
    English; a second achievement with no text of its own in any language."""
    LevelTranslation.objects.create(level=levels[0], language="ko", name="탐색자")
    LevelTranslation.objects.create(level=levels[0], language="en", name="Pathfinder")
    first = AchievementFactory(slug="first", name="First steps", description="One lesson.")
    AchievementTranslation.objects.create(
        achievement=first, language="ko", name="첫걸음", description="레슨 하나."
    )
    AchievementTranslation.objects.create(
        achievement=first, language="en", name="Off we go", description=""
    )
    AchievementFactory(slug="plain", name="Untranslated", description="Only in English.")
    return first


def english():
    return Client(headers={"Accept-Language": "en"})


# --- Pages -------------------------------------------------------------------------------------


def test_the_korean_page_names_the_level_in_korean_and_the_english_page_in_english(
    client, named, lessons
):
    korean = client.get(lessons[0].get_absolute_url()).content.decode()
    with translation.override("en"):
        english_url = lessons[0].get_absolute_url()
    english_page = client.get(english_url).content.decode()

    assert english_url.startswith("/en/")
    assert LEVEL_NAME.search(korean)[1] == "탐색자"
    assert LEVEL_NAME.search(english_page)[1] == "Pathfinder"


def test_a_level_without_a_name_in_the_language_shows_its_own_name(client, levels, lessons):
    LevelTranslation.objects.create(level=levels[0], language="en", name="Pathfinder")

    korean = client.get(lessons[0].get_absolute_url()).content.decode()

    assert LEVEL_NAME.search(korean)[1] == "Scout"


def test_my_progress_names_achievements_in_the_pages_language_with_fallback(
    client, learner, named, lessons
):
    services.completion_record(user=learner, lesson=lessons[0])
    client.force_login(learner)

    korean = client.get("/me/progress/").content.decode()
    english_page = client.get("/en/me/progress/").content.decode()

    assert "첫걸음" in korean and "레슨 하나." in korean
    assert "First steps" not in korean
    # no Korean text: the achievement's own
    assert "Untranslated" in korean and "Only in English." in korean
    assert "Off we go" in english_page and "첫걸음" not in english_page
    # an empty description in a language falls back to the achievement's own
    assert "One lesson." in english_page


def test_my_progress_costs_the_same_with_texts_in_every_language(client, learner, levels, lessons):
    # given three achievements without translations
    AchievementFactory.create_batch(3)
    client.force_login(learner)
    client.get("/me/progress/")
    page_cache().clear()
    plain_count = _page_queries(client, "/me/progress/")

    # when twenty more come with Korean and English texts
    for achievement in AchievementFactory.create_batch(20):
        for language in ("ko", "en"):
            AchievementTranslation.objects.create(
                achievement=achievement, language=language, name=f"{language} {achievement.pk}"
            )
    for level in levels:
        LevelTranslation.objects.create(level=level, language="ko", name=f"레벨 {level.number}")
    page_cache().clear()

    # then the page costs the same queries
    assert _page_queries(client, "/me/progress/") == plain_count


def _page_queries(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_no_javascript_notice_names_the_award_in_the_pages_language(
    client, learner, named, lessons
):
    client.force_login(learner)

    html = client.post(f"/me/progress/lessons/{lessons[0].pk}/complete/").content.decode()

    assert "첫걸음" in html and "Untranslated" in html
    assert "First steps" not in html


def test_the_no_javascript_notice_in_english(client, learner, named, lessons):
    client.force_login(learner)

    html = client.post(f"/en/me/progress/lessons/{lessons[0].pk}/complete/").content.decode()

    assert "Off we go" in html and "첫걸음" not in html


# --- The browser's facts -----------------------------------------------------------------------


def facts(client, prefix=""):
    html = client.get(f"{prefix}/").content.decode()
    block = re.search(r'id="stream-progress-data" type="application/json">(.*?)</script>', html)
    url = json.loads(block[1])["factsUrl"]
    return url, json.loads(client.get(url).content)


def test_the_facts_name_levels_and_awards_in_the_pages_language(client, named, lessons):
    korean_url, korean = facts(client)
    english_url, english_facts = facts(client, "/en")

    assert korean_url != english_url
    assert korean["levels"][0]["name"] == "탐색자"
    assert english_facts["levels"][0]["name"] == "Pathfinder"
    by_slug = {a["slug"]: a["name"] for a in korean["achievements"]}
    assert by_slug == {"first": "첫걸음", "plain": "Untranslated"}
    assert {a["name"] for a in english_facts["achievements"]} == {"Off we go", "Untranslated"}


def test_the_facts_version_names_the_language():
    # a host choosing the language by cookie serves every language at one address, which
    # browsers keep for good once versioned: the version must differ per language
    with translation.override("ko"):
        korean = selectors.facts_version()
    with translation.override("en"):
        english_version = selectors.facts_version()

    assert korean != english_version


# --- The API and the viewer endpoint ----------------------------------------------------------


def test_the_state_names_levels_in_the_clients_language_or_the_pages(learner, named):
    client = Client(headers={"Accept-Language": "ko"})
    client.force_login(learner)

    assert client.get("/api/v1/progress/").json()["level"]["name"] == "탐색자"
    # the page's language, named by its script, wins over the browser's
    assert client.get("/api/v1/progress/?lang=en").json()["level"]["name"] == "Pathfinder"
    # a language the site does not offer is ignored
    assert client.get("/api/v1/progress/?lang=xx").json()["level"]["name"] == "탐색자"


def test_a_sync_names_new_awards_in_the_pages_language(learner, named, lessons):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(learner)
    body = {
        "events": [
            {
                "id": "5f0c8a9e-1c1e-4a43-9a57-3f1d2b7c9e10",
                "type": "lesson_completed",
                "lesson": lessons[0].pk,
                "at": "2026-11-28T09:30:00+09:00",
            }
        ]
    }

    response = client.post(
        "/api/v1/progress/sync/?lang=ko", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 200
    assert {a["name"] for a in response.json()["awarded"]} == {"첫걸음", "Untranslated"}


def test_the_viewer_endpoint_names_the_level_in_the_pages_language(learner, named, lessons):
    client = english()
    client.force_login(learner)
    url = f"/api/v1/me/page/?lesson={lessons[0].pk}"

    assert client.get(f"{url}&lang=ko").json()["progress"]["level"]["name"] == "탐색자"
    assert client.get(f"{url}&lang=en").json()["progress"]["level"]["name"] == "Pathfinder"


# --- The accessor other code uses -------------------------------------------------------------


def test_name_in_reads_a_language_once_and_falls_back(named, django_assert_num_queries):
    achievement = Achievement.objects.get(slug="first")

    with django_assert_num_queries(1):
        assert achievement.name_in("ko") == "첫걸음"
        assert achievement.name_in("en") == "Off we go"
        assert achievement.name_in("fr") == "First steps"
        assert achievement.description_in("en") == "One lesson."
    with translation.override("ko"), django_assert_num_queries(0):
        assert achievement.name_in() == "첫걸음"


def test_read_through_the_selectors_names_cost_nothing(named, django_assert_num_queries):
    with translation.override("en"):
        levels = selectors.levels_all()
        achievements = selectors.achievements_with_award()
        with django_assert_num_queries(0):
            assert levels[0].name_in() == "Pathfinder"
            assert [a.name_in() for a in achievements] == ["Off we go", "Untranslated"]


# --- Content versions --------------------------------------------------------------------------


def test_a_translation_saved_or_deleted_shows_at_the_next_request(client, levels, lessons):
    url = lessons[0].get_absolute_url()
    assert LEVEL_NAME.search(client.get(url).content.decode())[1] == "Scout"

    row = LevelTranslation.objects.create(level=levels[0], language="ko", name="탐색자")
    assert LEVEL_NAME.search(client.get(url).content.decode())[1] == "탐색자"

    row.delete()
    assert LEVEL_NAME.search(client.get(url).content.decode())[1] == "Scout"


# --- Definitions -------------------------------------------------------------------------------


def test_definitions_load_writes_texts_per_language_once():
    levels = [
        {"number": 0, "name": "Scout", "min_xp": 0, "translations": {"ko": {"name": "탐색자"}}}
    ]
    achievements = [
        {
            "slug": "first",
            "name": "First steps",
            "rule_kind": "lessons_completed",
            "rule_params": {"count": 1},
            "translations": {
                "ko": {"name": "첫걸음", "description": "레슨 하나."},
                "fr": {"name": "Premiers pas"},  # not one of the site's languages
            },
        }
    ]

    first = services.definitions_load(levels=levels, achievements=achievements)
    again = services.definitions_load(levels=levels, achievements=achievements)
    achievements[0]["translations"]["ko"]["name"] = "첫 걸음"
    renamed = services.definitions_load(levels=levels, achievements=achievements)

    assert (first.created, again.unchanged, renamed.updated) == (2, 2, 1)
    assert Level.objects.get().name_in("ko") == "탐색자"
    achievement = Achievement.objects.get()
    assert achievement.name_in("ko") == "첫 걸음"
    assert set(achievement.translations.values_list("language", flat=True)) == {"ko"}


def test_the_defaults_name_and_describe_every_achievement_in_korean():
    from progress import defaults

    for item in defaults.ACHIEVEMENTS:
        texts = item["translations"]["ko"]
        assert item["description"] and texts["name"] and texts["description"], item


def test_stream_defaults_installs_korean_achievement_names_and_keeps_the_reference_level(
    client, learner, lessons
):
    from django.core.management import call_command

    call_command("stream_defaults", stdout=io.StringIO())
    client.force_login(learner)

    korean = client.get("/me/progress/").content.decode()
    english_page = client.get("/en/me/progress/").content.decode()

    assert "첫걸음" in korean and "First steps" not in korean
    assert "First steps" in english_page and "첫걸음" not in english_page
    # the reference page's status bar reads "Level 0 · Scout" in Korean too
    assert LEVEL_NAME.search(client.get(lessons[0].get_absolute_url()).content.decode())[1] == (
        "Scout"
    )
