"""Accounts on the demo site (django-allauth, email sign-in): sign-in back to the lesson, sign-up
under each email-verification setting, password reset and change, email management, sign-out —
in the site's own layout and in Korean."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from .conftest import PASSWORD, link_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a different and longer passphrase"


def signed_in_user(client):
    from django.contrib.auth import get_user

    user = get_user(client)
    return user if user.is_authenticated else None


def sign_up(client, email, *, next_url=None):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("account_signup"), data)


# Sign-in


def test_sign_in_page_is_in_the_site_layout_and_in_korean(client):
    # when an anonymous visitor opens the sign-in page
    response = client.get(reverse("account_login"))

    # then it is the site's page (header, skip link, account styles), in Korean, with a form
    # whose every control has a visible label
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in page and "본문으로 건너뛰기" in page
    assert "demo/accounts.css" in page
    assert re.search(r"<title>\s*로그인\s*· C.W.K.</title>", page)
    assert '<h1 class="account-title">' in page
    for control in ("id_login", "id_password", "id_remember"):
        assert f'<label for="{control}">' in page
    assert "비밀번호를 잊으셨나요?" in page
    assert f'href="{reverse("account_signup")}"' in page


def test_sign_in_returns_the_learner_to_the_lesson_they_came_from(client, verified_learner, lesson):
    # given the sign-in link of a lesson page
    lesson_page = client.get(lesson.get_absolute_url()).content.decode()
    login_path = reverse("account_login")
    assert f"{login_path}?next={lesson.get_absolute_url()}" in lesson_page.replace("%2F", "/")

    # when the learner signs in from it
    response = client.post(
        login_path,
        {"login": "ada@example.com", "password": PASSWORD, "next": lesson.get_absolute_url()},
    )

    # then they are back on the lesson, signed in
    assert response.status_code == 302
    assert response.url == lesson.get_absolute_url()
    assert signed_in_user(client) == verified_learner


def test_sign_in_ignores_a_next_that_leaves_the_site(client, verified_learner):
    response = client.post(
        reverse("account_login"),
        {"login": "ada@example.com", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response.url == "/"


def test_a_wrong_password_is_a_form_error_that_keeps_the_learner_out(client, verified_learner):
    response = client.post(
        reverse("account_login"), {"login": "ada@example.com", "password": "not it"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "이메일 또는 비밀번호가 올바르지 않습니다." in page
    assert 'class="form-errors" role="alert"' in page
    assert signed_in_user(client) is None


def test_failed_sign_ins_are_limited(client, verified_learner):
    # given five wrong passwords for one account from one address (Stream's sign-in policy,
    # tests/accounts/test_signin.py has the rest)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "ada@example.com", "password": "nope"})

    # when the right one follows
    response = client.post(
        reverse("account_login"), {"login": "ada@example.com", "password": PASSWORD}
    )

    # then it is refused with a clear message
    assert "로그인 시도가 너무 많이 실패했어요. 15분 뒤에 다시 시도하세요." in (
        response.content.decode()
    )
    assert signed_in_user(client) is None


# Sign-up and email verification


@pytest.mark.parametrize("mode", ["none", "optional"])
def test_sign_up_signs_in_at_once_and_returns_to_the_lesson(
    client, settings, mailoutbox, lesson, mode
):
    settings.ACCOUNT_EMAIL_VERIFICATION = mode

    # when a visitor signs up from a lesson
    response = sign_up(client, "new@example.com", next_url=lesson.get_absolute_url())

    # then they are signed in and back on the lesson
    assert response.status_code == 302
    assert response.url == lesson.get_absolute_url()
    user = signed_in_user(client)
    assert user is not None and user.email == "new@example.com"
    address = EmailAddress.objects.get(user=user)
    assert address.primary and not address.verified
    # and only "optional" sends a verification mail
    if mode == "none":
        assert mailoutbox == []
    else:
        assert [message.to for message in mailoutbox] == [["new@example.com"]]
        assert "/accounts/confirm-email/" in mailoutbox[0].body


def test_mandatory_verification_keeps_the_learner_out_until_the_link_is_followed(
    client, settings, mailoutbox, lesson
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"

    # when a visitor signs up
    response = sign_up(client, "careful@example.com", next_url=lesson.get_absolute_url())

    # then they are told to check their mail, a mail went out, and nobody is signed in
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    sent_page = client.get(response.url).content.decode()
    assert "이메일을 인증하세요" in sent_page
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["careful@example.com"]
    assert signed_in_user(client) is None

    # when they try to sign in before confirming
    response = client.post(
        reverse("account_login"), {"login": "careful@example.com", "password": PASSWORD}
    )

    # then they are sent back to the "verify your email" page, still signed out
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user(client) is None

    # when they follow the link in the mail and confirm
    confirm_path = link_in(mailoutbox[0], "/accounts/confirm-email/")
    confirm_page = client.get(confirm_path)
    assert confirm_page.status_code == 200
    assert "이메일 확인" in confirm_page.content.decode()
    client.post(confirm_path)

    # then the address is verified and signing in works
    assert EmailAddress.objects.get(email="careful@example.com").verified
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "careful@example.com", "password": PASSWORD, "next": lesson.get_absolute_url()},
    )
    assert response.url == lesson.get_absolute_url()
    assert signed_in_user(client).email == "careful@example.com"


def test_confirming_in_the_browser_that_signed_up_signs_in_and_returns_to_the_lesson(
    client, settings, mailoutbox, lesson
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    sign_up(client, "careful@example.com", next_url=lesson.get_absolute_url())
    assert signed_in_user(client) is None

    # when the learner confirms from the mail in the same browser
    response = client.post(link_in(mailoutbox[0], "/accounts/confirm-email/"))

    # then they are signed in and back on the lesson (where the page syncs their progress)
    assert response.status_code == 302
    assert response.url == lesson.get_absolute_url()
    assert signed_in_user(client).email == "careful@example.com"


def test_confirming_in_another_browser_verifies_but_signs_nobody_in(
    client, settings, mailoutbox, lesson
):
    from django.test import Client

    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    sign_up(client, "careful@example.com", next_url=lesson.get_absolute_url())
    elsewhere = Client()

    response = elsewhere.post(link_in(mailoutbox[0], "/accounts/confirm-email/"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert signed_in_user(elsewhere) is None
    assert EmailAddress.objects.get(email="careful@example.com").verified


def test_an_unknown_confirmation_link_explains_itself(client):
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "이 이메일 확인 링크는 만료되었거나 유효하지 않습니다." in page
    assert 'href="/accounts/email/"' in page
    assert 'type="submit"' not in page.split("account-title", 1)[1].split("</main>")[0]


def test_sign_up_refuses_a_taken_address_and_a_mismatched_password(client, verified_learner):
    response = client.post(
        reverse("account_signup"),
        {"email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in page
    assert page.count('class="errorlist') >= 1
    assert get_user_model().objects.filter(email="ada@example.com").count() == 1


# Password reset and change


def test_password_reset_by_mail_then_sign_in_with_the_new_password(
    client, verified_learner, mailoutbox
):
    # when the learner asks for a reset
    response = client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ada@example.com"]

    # and follows the link in the mail (allauth moves the key out of the address first)
    key_path = link_in(mailoutbox[0], "/accounts/password/reset/key/")
    form_page = client.get(key_path, follow=True)
    assert form_page.status_code == 200
    assert 'name="password1"' in form_page.content.decode()
    set_path = form_page.redirect_chain[-1][0] if form_page.redirect_chain else key_path

    # and chooses a new password
    response = client.post(set_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_from_key_done")

    # then the new password signs in and the old one does not
    client.logout()
    old = client.post(reverse("account_login"), {"login": "ada@example.com", "password": PASSWORD})
    assert old.status_code == 200 and signed_in_user(client) is None
    client.post(reverse("account_login"), {"login": "ada@example.com", "password": NEW_PASSWORD})
    assert signed_in_user(client) == verified_learner


def test_a_used_reset_link_is_refused(client, verified_learner, mailoutbox):
    client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    key_path = link_in(mailoutbox[0], "/accounts/password/reset/key/")
    form_page = client.get(key_path, follow=True)
    set_path = form_page.redirect_chain[-1][0]
    client.post(set_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()

    again = client.get(key_path, follow=True)

    assert "비밀번호 초기화" in again.content.decode()
    assert 'name="password1"' not in again.content.decode()


def test_reset_for_an_unknown_address_reveals_nothing(client, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")


def test_password_change_needs_the_current_password(client, verified_learner):
    client.force_login(verified_learner)
    url = reverse("account_change_password")

    # when the current password is wrong, nothing changes
    wrong = client.post(
        url, {"oldpassword": "nope", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert wrong.status_code == 200
    assert 'aria-invalid="true"' in wrong.content.decode()
    verified_learner.refresh_from_db()
    assert verified_learner.check_password(PASSWORD)

    # when it is right, the password changes and the learner stays signed in
    right = client.post(
        url, {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert right.status_code == 302
    verified_learner.refresh_from_db()
    assert verified_learner.check_password(NEW_PASSWORD)
    assert signed_in_user(client) == verified_learner


@pytest.mark.parametrize(
    "name", ["account_change_password", "account_email", "account_set_password"]
)
def test_account_management_pages_send_anonymous_visitors_to_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login") + "?next=")


# Email addresses


def test_email_page_lists_addresses_with_tabs_and_adds_one(client, verified_learner, mailoutbox):
    client.force_login(verified_learner)

    # when the learner opens their account page from the header
    page = client.get(reverse("account_email")).content.decode()

    # then their address shows as verified and primary, and the tabs mark this page
    assert "ada@example.com" in page
    assert "인증완료" in page and "account-badge--verified" in page
    assert re.search(r'href="/accounts/email/"\s+aria-current="page"', page)
    assert 'href="/accounts/password/change/"' in page

    # when they add a second address
    response = client.post(
        reverse("account_email"), {"email": "ada.work@example.com", "action_add": ""}
    )

    # then it is listed as unverified and a verification mail goes to it
    assert response.status_code == 302
    assert EmailAddress.objects.filter(
        user=verified_learner, email="ada.work@example.com", verified=False
    ).exists()
    assert mailoutbox[-1].to == ["ada.work@example.com"]


def test_an_unverified_address_cannot_become_primary(client, verified_learner):
    EmailAddress.objects.create(user=verified_learner, email="second@example.com")
    client.force_login(verified_learner)

    client.post(reverse("account_email"), {"email": "second@example.com", "action_primary": ""})

    assert EmailAddress.objects.get_primary(verified_learner).email == "ada@example.com"


def test_a_learner_cannot_touch_another_learners_address(
    client, verified_learner, unverified_learner
):
    client.force_login(verified_learner)

    client.post(reverse("account_email"), {"email": "grace@example.com", "action_remove": ""})

    assert EmailAddress.objects.filter(email="grace@example.com", user=unverified_learner).exists()


# Sign-out


def test_sign_out_asks_on_get_and_signs_out_on_post(client, verified_learner):
    client.force_login(verified_learner)

    confirm = client.get(reverse("account_logout"))
    assert confirm.status_code == 200
    assert "정말로 로그아웃 하시겠습니까?" in confirm.content.decode()
    assert signed_in_user(client) == verified_learner

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert signed_in_user(client) is None


# Every page: the site's layout, no inline script or style (the CSP forbids them)

ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
]
SIGNED_IN_PAGES = ["account_email", "account_change_password", "account_logout"]


def assert_no_inline_code(page):
    for script in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in script or 'type="application/json"' in script, script
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)
    assert "<style" not in page


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_anonymous_account_pages_use_the_site_layout(client, name):
    response = client.get(reverse(name))

    page = response.content.decode()
    assert response.status_code == 200
    assert "demo/accounts.css" in page and 'class="site-header"' in page
    assert '<h1 class="account-title">' in page
    assert_no_inline_code(page)


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_account_pages_use_the_site_layout(client, verified_learner, name):
    client.force_login(verified_learner)

    response = client.get(reverse(name))

    page = response.content.decode()
    assert response.status_code == 200
    assert "demo/accounts.css" in page and 'class="account-tabs"' in page
    assert_no_inline_code(page)


def test_the_header_links_a_signed_in_learner_to_their_account(client, verified_learner, lesson):
    client.force_login(verified_learner)

    # the page's script asks the viewer endpoint for the signed-in header's links
    nav = client.get("/api/v1/me/page/", {"lesson": lesson.pk}).json()["nav"]

    assert reverse("account_email") in [item["url"] for item in nav]


def test_the_header_sign_in_link_keeps_the_way_back_to_the_lesson(client, lesson):
    # given the sign-up page reached from a lesson
    page = client.get(
        reverse("account_signup"), {"next": lesson.get_absolute_url()}
    ).content.decode()

    # then the header's "Sign in" leads back to that lesson, not to the sign-up page
    assert (
        'class="site-nav__login" href="/accounts/login/?next=%2Fcourses%2Fbasics%2Ffirst-steps%2F"'
        in page
    )

    # and on the sign-in page itself it does not point back at itself
    page = client.get(reverse("account_login")).content.decode()
    assert 'class="site-nav__login" href="/accounts/login/?next=%2F"' in page
