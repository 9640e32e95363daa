"""Acme's own sign-in page under Stream's sign-in policy (lessons.signin.signin_check, one call
in its form): locked after repeated failures from one address, the same lock as the admin's."""

import uuid

import pytest
from django.contrib import admin
from django.contrib.auth import get_user
from django.urls import reverse

from lessons.admin_login import AdminLoginForm
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
SIGN_IN = "/members/sign-in/"
ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"
LOCKED = "Too many failed sign-in attempts"


@pytest.fixture
def member(db):
    return StaffFactory(email=f"teacher-{uuid.uuid4().hex[:8]}@acme.example")


def sign_in(client, email, password, ip, **extra):
    return client.post(SIGN_IN, {"email": email, "password": password}, REMOTE_ADDR=ip, **extra)


def test_guessing_on_the_hosts_own_page_is_stopped_whatever_the_forwarded_for(client, member):
    # given five wrong passwords, each with another X-Forwarded-For
    for n in range(5):
        response = sign_in(
            client, member.email, "guess", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.{n}.1"
        )
        assert "do not match" in response.content.decode()

    # when the right one follows from the same address
    response = sign_in(client, member.email, PASSWORD, ATTACKER)

    # then it is refused, while the member at their own address signs in
    assert LOCKED in response.content.decode()
    assert not get_user(client).is_authenticated
    assert sign_in(client, member.email, PASSWORD, OWNER).status_code == 302
    assert get_user(client).is_authenticated


def test_failures_on_the_hosts_page_lock_the_admin_too(client, member, monkeypatch):
    monkeypatch.setattr(admin.site, "login_form", AdminLoginForm)
    for _ in range(5):
        sign_in(client, member.email, "guess", ATTACKER)

    response = client.post(
        reverse("admin:login"),
        {"username": member.email, "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR=ATTACKER,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert LOCKED in response.content.decode()
