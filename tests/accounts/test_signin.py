"""One sign-in policy for every way in (lessons.signin, docs/accounts.md): allauth's page, the
admin's, the API's token endpoint; failures counted per account and per client address, where
the client address is REMOTE_ADDR unless STREAM["TRUSTED_PROXY_COUNT"] says otherwise."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

import lessons.signin as signin
from tests.factories import StaffFactory, UserFactory

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:login")
ACCOUNTS = reverse("account_login")
TOKEN = reverse("stream_lessons_api:auth-token")
ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"


@pytest.fixture
def demo(db):
    """A staff member who signs in as "demo" in the admin and as demo@example.com elsewhere."""
    user = StaffFactory(username="demo", email="demo@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def no_api_throttle(settings):
    """The API's own auth_token rate off, so what answers is the sign-in policy."""
    settings.STREAM = {**settings.STREAM, "API_THROTTLE_RATES": {}}


def admin_attempt(client, username, password, ip, **extra):
    return client.post(
        ADMIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


def accounts_attempt(client, login, password, ip, **extra):
    return client.post(
        ACCOUNTS,
        {"login": login, "password": password},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


def token_attempt(login, password, ip, **extra):
    return APIClient().post(
        TOKEN, {"login": login, "password": password}, format="json", REMOTE_ADDR=ip, **extra
    )


def signed_in(client):
    return get_user(client).is_authenticated


LOCKED = "Too many failed sign-in attempts"


# --- The token endpoint -------------------------------------------------------------------------


def test_guessing_on_the_token_endpoint_with_a_new_forwarded_for_each_time_is_stopped(demo):
    # given a guesser sending a new X-Forwarded-For with each of twelve wrong passwords
    statuses = [
        token_attempt(
            demo.email, f"guess-{n}", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.9.{n}.1"
        ).status_code
        for n in range(12)
    ]

    # then the header changes nothing: the address is REMOTE_ADDR, and the guesser is refused
    assert statuses[:5] == [400] * 5
    assert set(statuses[5:]) == {429}
    # and the right password, guessed now, gets no token either
    right = token_attempt(demo.email, PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="10.9.99.1")
    assert right.status_code == 429
    assert right.json()["code"] == "throttled" and int(right["Retry-After"]) > 0
    assert "token" not in right.json()


def test_the_token_throttle_counts_by_address_whatever_the_forwarded_for(demo, settings):
    # given the API's own rate for the token endpoint, and no sign-in limits
    settings.STREAM = {
        **settings.STREAM,
        "API_THROTTLE_RATES": {"auth_token": "3/hour"},
        "SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS": None,
        "SIGNIN_FAILURES_PER_ADDRESS": None,
        "SIGNIN_FAILURES_PER_ACCOUNT": None,
    }

    # when one address sends four requests, each with another X-Forwarded-For
    statuses = [
        token_attempt(demo.email, "guess", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]

    # then the fourth is throttled
    assert statuses == [400, 400, 400, 429]


# --- One lock for every way in ------------------------------------------------------------------


def test_locked_in_the_admin_means_locked_on_allauths_page_and_the_api(demo, no_api_throttle):
    # given five wrong passwords for "demo" in the admin
    attacker = Client()
    for _ in range(5):
        assert LOCKED not in admin_attempt(attacker, "demo", "guess", ATTACKER).content.decode()

    # when the same address tries the right password on allauth's page, by email
    page = accounts_attempt(attacker, "demo@example.com", PASSWORD, ATTACKER)
    token = token_attempt("DEMO@example.com", PASSWORD, ATTACKER)

    # then both refuse, and nothing signed in
    assert page.status_code == 200 and LOCKED in page.content.decode()
    assert not signed_in(attacker)
    assert attacker.get("/admin/").status_code == 302
    assert token.status_code == 429


def test_failures_on_allauths_page_lock_the_admin_and_the_api(demo, no_api_throttle):
    attacker = Client()
    for _ in range(5):
        response = accounts_attempt(attacker, "demo@example.com", "guess", ATTACKER)
        assert response.status_code == 200 and LOCKED not in response.content.decode()

    locked_page = accounts_attempt(attacker, "demo@example.com", PASSWORD, ATTACKER)
    admin = admin_attempt(attacker, "demo", PASSWORD, ATTACKER)
    token = token_attempt("demo", PASSWORD, ATTACKER)

    assert LOCKED in locked_page.content.decode()
    assert LOCKED in admin.content.decode() and not signed_in(attacker)
    assert token.status_code == 429


def test_failures_on_the_api_lock_allauths_page(demo, no_api_throttle):
    for _ in range(5):
        assert token_attempt("demo@example.com", "guess", ATTACKER).status_code == 400

    response = accounts_attempt(Client(), "demo@example.com", PASSWORD, ATTACKER)

    assert LOCKED in response.content.decode()


def test_the_owner_at_another_address_is_not_locked_out_by_a_guesser(demo, no_api_throttle):
    # given a guesser who locked "demo" from their own address, on every way in
    attacker = Client()
    for _ in range(5):
        admin_attempt(attacker, "demo", "guess", ATTACKER)
        accounts_attempt(attacker, "demo@example.com", "guess", ATTACKER)
        token_attempt("demo@example.com", "guess", ATTACKER)

    # when the owner signs in from their own address, every way
    owner = Client()
    page = accounts_attempt(owner, "demo@example.com", PASSWORD, OWNER)
    owner.logout()
    admin = admin_attempt(owner, "demo", PASSWORD, OWNER)
    token = token_attempt("demo@example.com", PASSWORD, OWNER)

    # then each lets them in
    assert page.status_code == 302
    assert admin.status_code == 302 and signed_in(owner)
    assert token.status_code == 200 and token.json()["token"]


def test_many_addresses_together_reach_the_slower_per_account_limit(
    demo, clock, no_api_throttle, settings
):
    # given a guesser spreading failures over many addresses, 4 each, under the per-address
    # limits, until the account has 50 in the hour
    for n in range(50):
        token_attempt("demo@example.com", "guess", f"192.0.2.{n // 4 + 1}")

    # then the account is refused from every address, the owner's too, as the policy says
    response = accounts_attempt(Client(), "demo@example.com", PASSWORD, OWNER)
    assert LOCKED in response.content.decode()
    assert "Try again in 60 minutes" in response.content.decode()

    # until the hour that opened at the first failure has passed
    clock.now += 60 * 60
    assert accounts_attempt(Client(), "demo@example.com", PASSWORD, OWNER).status_code == 302


def test_one_address_trying_many_accounts_is_refused_on_every_account(demo, no_api_throttle):
    for number in range(20):
        token_attempt(f"nobody{number}@example.com", "guess", ATTACKER)

    refused = accounts_attempt(Client(), "demo@example.com", PASSWORD, ATTACKER)
    elsewhere = accounts_attempt(Client(), "demo@example.com", PASSWORD, OWNER)

    assert LOCKED in refused.content.decode()
    assert elsewhere.status_code == 302


def test_signing_in_clears_the_accounts_failures_but_not_the_addresss(
    demo, no_api_throttle, settings
):
    settings.STREAM = {**settings.STREAM, "SIGNIN_FAILURES_PER_ADDRESS": 6}
    client = Client()

    def page(password):
        response = accounts_attempt(client, "demo@example.com", password, ATTACKER)
        return "locked" if LOCKED in response.content.decode() else response.status_code

    # given four typos, then the right password
    assert [page("typo") for _ in range(4)] + [page(PASSWORD)] == [200, 200, 200, 200, 302]
    client.logout()

    # then the account's count starts again from zero, but the address's goes on: two more
    # typos make its 4 + 2 = 6, its limit here
    assert [page("typo") for _ in range(2)] + [page(PASSWORD)] == [200, 200, "locked"]


def test_a_learner_is_locked_on_allauths_page_in_korean(no_api_throttle):
    learner = UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=learner, email=learner.email, verified=True, primary=True)
    client = Client()
    for _ in range(5):
        client.post(ACCOUNTS, {"login": learner.email, "password": "x"}, REMOTE_ADDR=ATTACKER)

    response = client.post(
        ACCOUNTS, {"login": learner.email, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )

    assert "로그인 시도가 너무 많이 실패했어요. 15분 뒤에 다시 시도하세요." in (
        response.content.decode()
    )


# --- The client address ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "meta", "expected"),
    [
        # no proxy believed: REMOTE_ADDR, whatever X-Forwarded-For says
        ({}, {"HTTP_X_FORWARDED_FOR": "10.0.0.1"}, "127.0.0.9"),
        # one proxy: the entry it appended, the right-most
        (
            {"TRUSTED_PROXY_COUNT": 1},
            {"HTTP_X_FORWARDED_FOR": "10.0.0.1, 192.0.2.44"},
            "192.0.2.44",
        ),
        # two (a CDN, then nginx): the address the CDN saw, second from the right
        (
            {"TRUSTED_PROXY_COUNT": 2},
            {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.44, 198.51.100.1"},
            "192.0.2.44",
        ),
        # fewer entries than proxies: the left-most, which the first proxy met appended
        ({"TRUSTED_PROXY_COUNT": 2}, {"HTTP_X_FORWARDED_FOR": "192.0.2.44"}, "192.0.2.44"),
        # no header at all: REMOTE_ADDR
        ({"TRUSTED_PROXY_COUNT": 1}, {}, "127.0.0.9"),
        # the deprecated setting, while TRUSTED_PROXY_COUNT is 0
        (
            {"CLIENT_IP_HEADER": "HTTP_X_REAL_IP"},
            {"HTTP_X_REAL_IP": "192.0.2.44", "HTTP_X_FORWARDED_FOR": "10.0.0.1"},
            "192.0.2.44",
        ),
        # IPv6: the /64 network
        ({}, {"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}, "2001:db8:1:2::/64"),
        ({}, {"REMOTE_ADDR": "::ffff:192.0.2.8"}, "192.0.2.8"),
    ],
)
def test_the_client_address(rf, settings, stream, meta, expected):
    settings.STREAM = {**settings.STREAM, **stream}
    request = rf.get("/", **{"REMOTE_ADDR": "127.0.0.9", **meta})

    assert signin.client_ip(request) == expected


def test_behind_one_trusted_proxy_the_guessers_address_is_the_one_it_appended(
    demo, no_api_throttle, settings
):
    # given a site behind one proxy that appends the client's address
    settings.STREAM = {**settings.STREAM, "TRUSTED_PROXY_COUNT": 1}
    proxy = "10.0.0.2"

    # when a guesser forges a new left-hand entry with each guess
    for n in range(5):
        forwarded = f"10.1.{n}.1, {ATTACKER}"
        token_attempt("demo@example.com", "guess", proxy, HTTP_X_FORWARDED_FOR=forwarded)

    # then the guesser's address is locked, and the owner's, behind the same proxy, is not
    guesser = token_attempt(
        "demo@example.com", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=f"10.1.9.1, {ATTACKER}"
    )
    owner = token_attempt("demo@example.com", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=OWNER)
    assert guesser.status_code == 429
    assert owner.status_code == 200


def test_comment_limits_count_by_the_same_address(rf, settings):
    from comments.limits import client_ip as comments_client_ip

    settings.STREAM = {**settings.STREAM, "TRUSTED_PROXY_COUNT": 1}
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 192.0.2.44")

    assert comments_client_ip(request) == "192.0.2.44"


# --- Configuration ------------------------------------------------------------------------


def test_the_demo_puts_allauth_under_the_policy():
    assert not [m for m in run_checks() if m.id in {"stream_lessons.W004", "stream_lessons.W005"}]


def test_allauth_without_the_policys_adapter_is_warned_about(settings):
    settings.ACCOUNT_ADAPTER = "allauth.account.adapter.DefaultAccountAdapter"

    assert "stream_lessons.W005" in {message.id for message in run_checks()}


def test_the_old_setting_names_still_work_and_are_warned_about(settings, rf, demo, clock):
    settings.STREAM = {
        **settings.STREAM,
        "ADMIN_LOGIN_FAILURES_PER_USERNAME": 2,
        "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    }
    for _ in range(2):
        token_attempt("demo", "guess", "10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER)

    assert (
        token_attempt("demo", PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER).status_code
        == 429
    )
    warnings = [message for message in run_checks() if message.id == "stream_lessons.W004"]
    assert len(warnings) == 2
    assert any("SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS" in w.hint for w in warnings)
    assert any("TRUSTED_PROXY_COUNT" in w.hint for w in warnings)
