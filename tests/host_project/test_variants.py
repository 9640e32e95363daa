"""Lesson variants in a host that kept Django's default LANGUAGES (one language, no
LocaleMiddleware): lessons are in its LANGUAGE_CODE, and nothing about languages shows."""

from django.test import Client

from tests.factories import StaffFactory


def test_a_host_with_one_language_shows_no_language_note_nor_alternates(lessons):
    html = Client().get(lessons[1].get_absolute_url()).content.decode()

    assert lessons[1].language == "en-us"
    assert "lesson-languages" not in html
    assert 'rel="alternate"' not in html


def test_the_hosts_admin_offers_no_variant_to_write(client, lessons):
    client.force_login(StaffFactory(is_superuser=True))

    html = client.get(f"/admin/stream_lessons/lesson/{lessons[1].pk}/change/").content.decode()

    assert 'name="translations-TOTAL_FORMS" value="0"' in html
    assert 'name="translations-0-title"' not in html
