"""The admin's sign-in under the sign-in policy (lessons.admin_login.AdminLoginForm, enabled in
the demo): repeated failures lock an account from an address, or an address, for a window, the
right password included. tests/accounts/test_signin.py has the other ways in."""

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

import lessons.admin_login as admin_login
from tests.factories import StaffFactory

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


@pytest.fixture
def boss(db):
    return StaffFactory(username="boss")


def attempt(client, username, password, ip=ATTACKER):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def signed_in(client):
    return get_user(client).is_authenticated


def test_the_demo_admin_uses_the_locking_form(client):
    response = client.get(LOGIN)

    assert isinstance(response.context["form"], admin_login.AdminLoginForm)


def test_five_wrong_passwords_lock_the_username_from_that_address_only(client, boss, clock):
    # given five wrong passwords for "boss" from one address
    for _ in range(5):
        response = attempt(client, "boss", "guess")
        assert response.status_code == 200 and not signed_in(client)

    # when the right password follows from that address
    locked = attempt(client, "BOSS ", PASSWORD)

    # then it is refused with a clear message
    assert locked.status_code == 200
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in locked.content.decode()
    assert not signed_in(client)

    # while the owner at another address signs in: the guesser cannot lock them out
    elsewhere = attempt(client, "boss", PASSWORD, ip=ELSEWHERE)
    assert elsewhere.status_code == 302 and signed_in(client)
    client.logout()

    # and when the window that opened at the first failure has passed, the first address may
    # sign in again
    clock.now += 15 * 60
    response = attempt(client, "boss", PASSWORD)
    assert response.status_code == 302 and response.url == "/admin/"
    assert signed_in(client)


def test_the_wait_shown_counts_down_from_the_first_failure(client, boss, clock):
    for _ in range(5):
        attempt(client, "boss", "guess")
    clock.now += 14 * 60 + 30

    response = attempt(client, "boss", PASSWORD)

    assert "Try again in 1 minute." in response.content.decode()


def test_a_locked_attempt_checks_no_password(client, boss, clock, monkeypatch):
    for _ in range(5):
        attempt(client, "boss", "guess")
    hashed = []
    monkeypatch.setattr(
        "django.contrib.auth.hashers.MD5PasswordHasher.verify",
        lambda self, password, encoded: hashed.append(password),
    )

    response = attempt(client, "boss", PASSWORD)

    assert "Too many failed sign-in attempts" in response.content.decode()
    assert hashed == []


def test_one_address_guessing_many_usernames_is_locked_and_others_are_not(client, boss, clock):
    # given twenty failures from one address, spread over usernames so none is locked by name
    for number in range(20):
        attempt(client, f"user{number}", "guess")

    # when that address tries a real staff account
    response = attempt(client, "boss", PASSWORD)

    # then it is refused, while the same account from another address signs in
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not signed_in(client)
    response = attempt(client, "boss", PASSWORD, ip=ELSEWHERE)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_clears_the_usernames_failures(client, boss, clock):
    for _ in range(4):
        attempt(client, "boss", "guess")
    assert attempt(client, "boss", PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        attempt(client, "boss", "guess")

    assert attempt(client, "boss", PASSWORD).status_code == 302


def test_a_learner_with_the_right_password_is_refused_but_not_locked(
    client, clock, verified_learner
):
    # given a learner who is not staff signing in to the admin with the right password
    for _ in range(6):
        response = attempt(client, verified_learner.username, PASSWORD)
        assert response.status_code == 200
        assert "Too many failed sign-in attempts" not in response.content.decode()

    # then no password was wrong: the learner's own sign-in is not locked
    response = client.post(
        reverse("account_login"),
        {"login": verified_learner.email, "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
    )
    assert response.status_code == 302 and signed_in(client)


def test_limits_can_be_switched_off_per_kind(client, boss, clock, settings):
    settings.STREAM = {
        **settings.STREAM,
        "SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS": None,
        "SIGNIN_FAILURES_PER_ACCOUNT": None,
    }
    for _ in range(10):
        attempt(client, "boss", "guess")

    assert attempt(client, "boss", PASSWORD).status_code == 302


def test_the_deprecated_proxy_header_setting_still_names_the_address(rf, settings):
    settings.STREAM = {**settings.STREAM, "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR"}
    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.0.0.1, 192.0.2.44", REMOTE_ADDR="127.0.0.1")

    assert admin_login.client_ip(request) == "192.0.2.44"


def test_the_message_is_translated(client, boss, clock):
    for _ in range(5):
        attempt(client, "boss", "guess")

    response = client.post(LOGIN, {"username": "boss", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)

    assert "로그인 시도가 너무 많이 실패했어요. 15분 뒤에 다시 시도하세요." in (
        response.content.decode()
    )
