"""What a developer sees first: Django's debug pages styled, and a favicon everywhere."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_debug_404_page_is_sent_without_the_policy_that_would_unstyle_it(client, settings):
    # given the demo in development
    settings.DEBUG = True

    # when a developer opens an address that does not exist
    response = client.get("/no-such-page/")

    # then Django's technical 404 page comes without the CSP that refuses its inline styles
    assert response.status_code == 404
    assert b"<style" in response.content
    assert "Content-Security-Policy" not in response


def test_without_debug_a_404_keeps_the_policy(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "default-src" in response["Content-Security-Policy"]


def test_pages_with_debug_on_keep_the_policy(client, settings):
    settings.DEBUG = True

    response = client.get(reverse("stream_lessons:catalogue"))

    assert response.status_code == 200
    assert "default-src" in response["Content-Security-Policy"]


def test_the_favicon_is_served_at_the_root_and_linked_from_the_admin(client, staff):
    client.force_login(staff)

    icon = client.get("/favicon.ico")
    admin_page = client.get(reverse("admin:index")).content.decode()

    assert icon.status_code == 200
    assert icon["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/static/stream/lessons/favicon.svg" type="image/svg+xml">' in (
        admin_page
    )
