"""The admin sign-in lock in a host without allauth, whose members sign in with their email:
lessons.admin_login.AdminLoginForm is opted into with one line and locks by email address."""

import uuid

import pytest
from django.contrib import admin
from django.contrib.auth import get_user
from django.urls import reverse

from lessons.admin_login import AdminLoginForm
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def locking_admin(monkeypatch):
    """The host's one line: ``admin.site.login_form = AdminLoginForm``."""
    monkeypatch.setattr(admin.site, "login_form", AdminLoginForm)


@pytest.fixture
def instructor(db):
    # A fresh address per test: the counters live in the cache, which may be a shared Redis.
    return StaffFactory(email=f"teacher-{uuid.uuid4().hex[:8]}@acme.example")


def attempt(client, email, password, ip):
    return client.post(
        reverse("admin:login"),
        {"username": email, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_five_wrong_passwords_lock_a_members_email(client, locking_admin, instructor):
    ip = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    for _ in range(5):
        assert attempt(client, instructor.email, "guess", ip).status_code == 200

    response = attempt(client, instructor.email.upper(), PASSWORD, ip)

    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not get_user(client).is_authenticated


def test_without_the_opt_in_the_admin_keeps_djangos_own_form(client, instructor):
    response = client.get(reverse("admin:login"))

    assert not isinstance(response.context["form"], AdminLoginForm)


def test_the_right_password_signs_in_when_nothing_failed(client, locking_admin, instructor):
    response = attempt(client, instructor.email, PASSWORD, "198.51.100.9")

    assert response.status_code == 302
    assert get_user(client) == instructor
