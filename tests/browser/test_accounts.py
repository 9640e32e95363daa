"""Accounts in Chromium: every allauth page in the site's layout at 1280 and 360 px (axe, no
sideways scrolling), sign-in by keyboard alone from a lesson back to that lesson with the
browser's progress synced, and a password reset followed through the mail."""

from pathlib import Path

import pytest
import yaml
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from playwright.sync_api import expect

from lessons.lesson_files import lessons_import
from progress import services
from progress.models import LessonCompletion
from tests.accounts.conftest import link_in
from tests.browser.conftest import wait_until
from tests.factories import UserFactory

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "config" / "demo_content"
DEMO_LESSON = "/courses/dense-families/llama/"
STORAGE_KEY = "stream.progress.v1"
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a different and longer passphrase"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)
    services.definitions_load(**yaml.safe_load((DEMO_CONTENT / "progress.yml").read_text()))


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


def learner_with_address(email="ada@example.com", *, verified=True):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def tab_to(page, selector, *, limit=40):
    """Press Tab until ``selector`` has the focus; fail if it never gets it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} never received the keyboard focus")


def focus_is_visible(page):
    return page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle !== 'none'"
        " && parseFloat(getComputedStyle(document.activeElement).outlineWidth) >= 2"
    )


def check_page(page, name, width, *, screenshot, assert_accessible, heading):
    assert page.locator("h1").first.inner_text().strip() == heading
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.errors == []
    screenshot(page, f"accounts-{name}-{width}")
    assert_accessible(page)


@pytest.mark.parametrize("width", [1280, 360])
def test_every_account_page_is_styled_and_accessible(
    width, page, phone_page, live_server, sign_in, screenshot, assert_accessible
):
    current = page if width == 1280 else phone_page
    learner = learner_with_address()
    unconfirmed = EmailAddress.objects.create(user=learner, email="ada.work@example.com")
    check = {"screenshot": screenshot, "assert_accessible": assert_accessible}

    anonymous = [
        ("login", "/accounts/login/", "로그인"),
        ("signup", "/accounts/signup/", "회원가입"),
        ("password-reset", "/accounts/password/reset/", "비밀번호 초기화"),
        ("password-reset-done", "/accounts/password/reset/done/", "비밀번호 초기화"),
        ("verification-sent", "/accounts/confirm-email/", "이메일을 인증하세요"),
        (
            "confirm-email",
            f"/accounts/confirm-email/{EmailConfirmationHMAC(unconfirmed).key}/",
            "이메일 확인",
        ),
    ]
    for name, url, heading in anonymous:
        current.goto(url)
        check_page(current, name, width, heading=heading, **check)

    # a sign-in that fails shows its error inside the form
    current.goto("/accounts/login/")
    current.locator("#id_login").fill("ada@example.com")
    current.locator("#id_password").fill("not the password")
    current.locator("#id_password").press("Enter")
    current.locator(".form-errors").wait_for()
    check_page(current, "login-error", width, heading="로그인", **check)

    # the reset link's page, where the new password is chosen
    key = default_token_generator.make_token(learner)
    current.goto(f"/accounts/password/reset/key/{user_pk_to_url_str(learner)}-{key}/")
    check_page(current, "password-reset-key", width, heading="비밀번호 변경", **check)

    sign_in(current, learner)
    for name, url, heading in [
        ("email", "/accounts/email/", "이메일 계정"),
        ("password-change", "/accounts/password/change/", "비밀번호 변경"),
        ("logout", "/accounts/logout/", "로그아웃"),
    ]:
        current.goto(url)
        check_page(current, name, width, heading=heading, **check)
        assert current.locator(".account-tabs [aria-current=page]").count() == 1


def test_sign_in_by_keyboard_returns_to_the_lesson_and_syncs_local_progress(page, demo, screenshot):
    learner = learner_with_address()

    # given an anonymous completion kept in this browser
    page.goto(DEMO_LESSON)
    page.get_by_role("button", name="완료로 표시").click()
    page.get_by_role("button", name="✓ 완료").wait_for()
    assert not LessonCompletion.objects.exists()

    # when the learner reaches "Sign in" in the header with Tab and opens it with Enter
    page.locator("body").focus()
    tab_to(page, "a.site-nav__login")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/login/?next=*")

    # and fills in the form with the keyboard alone
    tab_to(page, "#id_login")
    assert focus_is_visible(page)
    page.keyboard.type("ada@example.com")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # then they are back on the lesson, signed in, and the browser's completion reached the account
    page.wait_for_url(f"**{DEMO_LESSON}")
    wait_until(page, f"JSON.parse(localStorage.getItem('{STORAGE_KEY}')).events.length === 0")
    assert [c.lesson.slug for c in LessonCompletion.objects.filter(learner=learner)] == ["llama"]
    expect(page.locator(".site-nav__user")).to_have_text(learner.get_username())
    expect(page.get_by_role("button", name="✓ 완료")).to_be_disabled()
    screenshot(page, "accounts-back-on-the-lesson", full_page=False)


def test_password_reset_through_the_mail(page, live_server, mailoutbox):
    learner = learner_with_address()

    # when the learner asks for a reset from the sign-in page
    page.goto("/accounts/login/")
    page.get_by_role("link", name="비밀번호를 잊으셨나요?").click()
    page.locator("#id_email").fill("ada@example.com")
    page.get_by_role("button", name="비밀번호 초기화").click()
    page.wait_for_url("**/accounts/password/reset/done/")

    # and follows the link in the mail and sets a new password
    assert len(mailoutbox) == 1
    page.goto(link_in(mailoutbox[0], "/accounts/password/reset/key/"))
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="비밀번호 변경").click()
    page.wait_for_url("**/accounts/password/reset/key/done/")

    # then the new password signs in
    page.goto("/accounts/login/")
    page.locator("#id_login").fill("ada@example.com")
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".site-nav__user")).to_have_text(learner.get_username())


def test_a_refused_sign_up_puts_the_focus_on_the_field_to_fix(page, screenshot, assert_accessible):
    # when a visitor signs up by keyboard with passwords that differ
    page.goto("/accounts/signup/")
    tab_to(page, "#id_email")
    page.keyboard.type("typo@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD + "!")
    page.keyboard.press("Enter")
    page.locator(".errorlist").first.wait_for()

    # then the page comes back with the focus on that field, its error tied to it
    focused = page.evaluate("document.activeElement.id")
    assert focused == "id_password2"
    described_by = page.get_attribute("#id_password2", "aria-describedby")
    error_text = page.locator(f"#{described_by.split()[-1]}").inner_text()
    assert error_text.strip()
    assert page.get_attribute("#id_password2", "aria-invalid") == "true"
    assert page.locator("#id_email").input_value() == "typo@example.com"
    screenshot(page, "accounts-signup-error-1280")
    assert_accessible(page)


def test_account_pages_in_dark_mode(chromium, live_server, sign_in, screenshot, assert_accessible):
    context = chromium.new_context(
        base_url=live_server.url,
        locale="ko-KR",
        color_scheme="dark",
        viewport={"width": 1280, "height": 900},
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.locator("#id_login").fill("ada@example.com")
        page.locator("#id_password").fill("wrong")
        page.locator("#id_password").press("Enter")
        page.locator(".form-errors").wait_for()
        screenshot(page, "accounts-login-error-dark")
        assert_accessible(page)

        learner = learner_with_address()
        EmailAddress.objects.create(user=learner, email="ada.work@example.com")
        sign_in(page, learner)
        page.goto("/accounts/email/")
        screenshot(page, "accounts-email-dark")
        assert_accessible(page)
    finally:
        context.close()


def test_email_addresses_are_managed_by_keyboard(page, sign_in, mailoutbox):
    learner = sign_in(page, learner_with_address())
    page.goto("/accounts/email/")

    # when the learner tabs to "add an address", types one and presses Enter
    tab_to(page, "#id_email")
    assert focus_is_visible(page)
    page.keyboard.type("ada.work@example.com")
    page.keyboard.press("Enter")

    # then it is listed, unverified, and a confirmation mail goes to it
    page.locator("label", has_text="ada.work@example.com").wait_for()
    assert "ada.work@example.com" in page.locator(".messages").inner_text()
    assert EmailAddress.objects.filter(
        user=learner, email="ada.work@example.com", verified=False
    ).exists()
    assert mailoutbox[-1].to == ["ada.work@example.com"]

    # and the keyboard picks the new address (Tab into the group, an arrow key to move) and
    # reaches the buttons, each with a visible focus
    page.locator("body").focus()
    tab_to(page, "input[type=radio]")
    assert focus_is_visible(page)
    page.keyboard.press("ArrowUp")
    assert page.is_checked("input[type=radio][value='ada.work@example.com']")
    tab_to(page, "button[name=action_send]")
    assert focus_is_visible(page)


def sign_in_from_the_lesson(page):
    """Sign in as ada@example.com through the sign-in page the lesson links to, and land back
    on the lesson."""
    page.goto(f"/accounts/login/?next={DEMO_LESSON}")
    page.locator("#id_login").fill("ada@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"**{DEMO_LESSON}")


def test_signing_in_says_so_on_the_lesson_it_returns_to_and_not_on_a_later_page(
    page, demo, assert_accessible
):
    # The lesson page is everyone's and renders no messages: allauth's "signed in" waited in
    # the session and surfaced on the next page of the learner's own (/me/progress/).
    learner = learner_with_address()
    sign_in_from_the_lesson(page)
    said = f"{learner.get_username()} 으로 로그인 되었습니다."
    expect(page.locator("main [role=status] .messages")).to_have_text(said)
    assert_accessible(page)  # a list of messages inside the status region, not a list as one

    page.goto("/me/progress/")
    expect(page.locator("h1")).to_have_text("내 진행 상황")
    assert said not in page.locator("main").inner_text()
    assert page.errors == []


def test_signing_out_says_so_on_the_lesson_it_returns_to_and_not_on_a_later_page(page, demo):
    # Signed out, the browser is a visitor's, whose lesson page asked the viewer endpoint for
    # nothing: allauth's "signed out" waited in storage and surfaced on a later page that
    # renders messages (the sign-in page).
    learner = learner_with_address()
    sign_in_from_the_lesson(page)
    expect(page.locator(".site-nav__user")).to_have_text(learner.get_username())

    # when the learner signs out from the lesson's header
    page.get_by_role("button", name="로그아웃").click()

    # then they are back on the lesson, signed out, and it says so once
    page.wait_for_url(f"**{DEMO_LESSON}")
    expect(page.locator("a.site-nav__login")).to_be_visible()
    said = page.locator("main [role=status] .messages")
    expect(said).to_have_text("로그아웃 되었습니다.")
    expect(said).to_have_count(1)
    # and not again on the next page, one that shows what waits (the sign-in page)
    page.goto("/accounts/login/")
    expect(page.locator("#id_login")).to_be_visible()
    assert "로그아웃 되었습니다." not in page.locator("body").inner_text()
    page.goto(DEMO_LESSON)
    expect(page.locator("a.site-nav__login")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert "로그아웃 되었습니다." not in page.locator("main").inner_text()
    assert page.errors == []
