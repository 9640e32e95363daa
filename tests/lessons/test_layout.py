"""The demo's side of the layout seams: the brand link and the base template setting."""

import pytest
from django.urls import reverse

from lessons.layout import base_template
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def brand_link(html):
    start = html.index('class="site-brand"')
    return html[html.rindex("<a", 0, start) : html.index(">", start) + 1]


def test_the_brand_links_to_the_site_root_by_default(client):
    assert 'href="/"' in brand_link(client.get(reverse("stream_lessons:catalogue")).text)


@pytest.mark.parametrize(
    ("home", "href"),
    [("https://www.example.com/", "https://www.example.com/"), ("admin:index", "/admin/")],
)
def test_the_brand_follows_home_url(client, settings, home, href):
    # given a host whose home page is elsewhere (a URL, or a URL name)
    settings.STREAM = {**settings.STREAM, "HOME_URL": home}
    # then the brand in Stream's own header links there
    html = client.get(reverse("stream_lessons:catalogue")).text
    assert f'href="{href}"' in brand_link(html)


def test_without_a_block_mapping_pages_extend_the_base_template_by_name(settings):
    assert base_template() == settings.STREAM["BASE_TEMPLATE"] == "base.html"


def test_a_block_mapping_over_streams_own_base(client, settings):
    # given Stream's base mapped explicitly (its blocks have our names for title and content)
    CourseFactory(title="Mapped course")
    settings.STREAM = {
        **settings.STREAM,
        "BASE_TEMPLATE": "stream/base.html",
        "BASE_TEMPLATE_BLOCKS": {
            "title": "title",
            "head": "extra_head",
            "content": "content",
            "scripts": "scripts",
        },
    }
    html = client.get(reverse("stream_lessons:catalogue")).text
    # then the page renders whole: our blocks are filled where the mapping says
    assert " · C.W.K.</title>" in html
    assert "Mapped course" in html
    assert html.index("Mapped course") > html.index('<main id="main"')


def test_a_mapped_title_block_gets_the_page_title_and_the_site_name(client, settings):
    # given a host layout whose title block holds its whole <title>
    CourseFactory(title="Mapped course")
    settings.STREAM = {
        **settings.STREAM,
        "SITE_NAME": "Acme Academy",
        "BASE_TEMPLATE": "site/plain.html",
        "BASE_TEMPLATE_BLOCKS": {
            "title": "title_text",
            "head": "head",
            "content": "body",
            "scripts": "scripts_end",
        },
    }
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "site/plain.html": (
                                "<!doctype html><html><head><title>"
                                "{% block title_text %}Acme Academy{% endblock %}</title>"
                                "{% block head %}{% endblock %}</head><body>"
                                "{% block body %}{% endblock %}"
                                "{% block scripts_end %}{% endblock %}</body></html>"
                            )
                        },
                    ),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]

    # when a Stream page renders in it
    html = client.get(reverse("stream_lessons:catalogue")).text

    # then the title names the page and the site, as Stream's own base template does
    assert "<title>강좌 · Acme Academy</title>" in html  # "Courses" in Korean
    assert "Mapped course" in html
