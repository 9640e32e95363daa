"""What a visitor of the demo sees when something goes wrong in production (``DEBUG`` off): a
page in the site's language and layout with a way back, not Django's bare English one."""

import re
from html import unescape

import pytest
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.csrf import csrf_failure
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def text_of(content: bytes) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", content.decode())).split())


@pytest.mark.parametrize(
    ("path", "language", "said", "back"),
    [
        ("/courses/no-such-course/", "ko", "페이지를 찾을 수 없어요", 'href="/"'),
        ("/en/courses/no-such-course/", "en", "Page not found", 'href="/en/"'),
        ("/courses/no-such-course/no-such-lesson/", "ko", "페이지를 찾을 수 없어요", 'href="/"'),
    ],
)
def test_a_missing_page_says_so_in_the_sites_language_with_a_way_back(path, language, said, back):
    response = Client().get(path)

    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert said in text_of(response.content)
    assert back in html  # the catalogue, from the site's own header and the page
    assert 'class="site-header"' in html


def test_a_refused_form_says_why_in_korean_and_how_to_go_on():
    # a form posted with the CSRF cookie gone (cookies cleared, a browser refusing them)
    response = Client(enforce_csrf_checks=True).post(
        "/comments/lessons/1/", {"body": "x"}, HTTP_REFERER="http://testserver/"
    )

    assert response.status_code == 403
    text = text_of(response.content)
    assert "요청을 처리할 수 없어요" in text
    assert "쿠키" in text
    assert "Forbidden" not in text and "Help" not in text


@pytest.mark.parametrize(
    ("language", "said"),
    [("ko", "문제가 생겼어요"), ("en", "Something went wrong")],
)
def test_a_server_error_is_said_in_the_pages_language(language, said):
    request = RequestFactory().get("/")
    with translation.override(language):
        response = server_error(request)
        refused = csrf_failure(request, reason=REASON_NO_CSRF_COOKIE)

    assert response.status_code == 500
    assert said in text_of(response.content)
    assert f'<html lang="{language}">' in response.content.decode()
    assert refused.status_code == 403
