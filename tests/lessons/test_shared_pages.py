"""Shared pages (lessons.caching): the same bytes for every viewer, standard HTTP caching, and
a page cache whose key space is bounded by pages × languages × comment pages."""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from comments.models import Comment, CommentStatus
from lessons.models import Status
from tests.comments.helpers import comments_bulk_create
from tests.factories import (
    CommentFactory,
    CourseFactory,
    LessonFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class RecordingCache(LocMemCache):
    """A local-memory cache that remembers every key a page was stored under."""

    stored: list = []

    def set(self, key, value, timeout=None, version=None):
        if key.startswith("stream:page:"):
            RecordingCache.stored.append(key)
        return super().set(key, value, timeout, version)


@pytest.fixture
def page_entries(settings):
    """The page cache as a cache of its own that records what is stored in it."""
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "tests.lessons.test_shared_pages.RecordingCache", "LOCATION": "t"},
    }
    settings.STREAM = {**settings.STREAM, "PAGE_CACHE_ALIAS": "pages"}
    RecordingCache.stored = []
    from django.core.cache import caches

    caches["pages"].clear()
    return RecordingCache.stored


@pytest.fixture
def two_pages_of_comments(settings):
    """A published lesson whose comment section has two pages, with a tag and an own comment
    and a pending one by a learner."""
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 2}
    course = CourseFactory(status=Status.PUBLISHED, slug="c")
    lesson = LessonFactory(course=course, slug="l", status=Status.PUBLISHED)
    lesson.tags.add(TagFactory(slug="t"))
    for _ in range(3):
        CommentFactory(lesson=lesson)
    return lesson


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.get("/")  # the first answer gives the browser its signed-in hint
    return client


# --- The same bytes for everyone ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/courses/c/", "/tags/t/", "/courses/c/l/", "/courses/c/l/?comments_page=2"]
)
def test_every_viewer_gets_byte_identical_html(two_pages_of_comments, path):
    # given two learners, one with a published and a pending comment of their own, and staff
    ada = UserFactory(first_name="Adalovelace", email="ada-unique@example.com")
    bob = UserFactory(first_name="Bobbytables", email="bob-unique@example.com")
    CommentFactory(lesson=two_pages_of_comments, author=ada)
    CommentFactory(lesson=two_pages_of_comments, author=ada, status=CommentStatus.PENDING)
    viewers = {
        "anonymous": Client(),
        "ada": signed_in(ada),
        "bob": signed_in(bob),
    }
    # when each asks for the same page
    bodies = {}
    for name, client in viewers.items():
        response = client.get(path)
        assert response.status_code == 200, name
        bodies[name] = response.content
    # then the bytes are the same, with nothing of any viewer in them
    assert bodies["ada"] == bodies["anonymous"] == bodies["bob"]
    html = bodies["anonymous"].decode()
    assert "Bobbytables" not in html and "bob-unique@example.com" not in html
    assert "ada-unique@example.com" not in html
    assert "csrfmiddlewaretoken" not in html
    for client in viewers.values():
        token = client.cookies.get("csrftoken")
        assert token is None or token.value not in html


def test_staff_see_the_same_published_lesson_page(two_pages_of_comments):
    anonymous = Client().get("/courses/c/l/").content
    assert signed_in(StaffFactory()).get("/courses/c/l/").content == anonymous


# --- HTTP caching -------------------------------------------------------------------------------


def test_a_shared_page_may_be_kept_by_proxies_and_is_revalidated_with_a_304(
    two_pages_of_comments,
):
    first = Client().get("/courses/c/l/")
    assert first["Cache-Control"] == "public, max-age=0, s-maxage=0"
    assert first["ETag"].startswith('"') and first.has_header("Last-Modified")
    assert "Cookie" not in first.get("Vary", "")
    assert not first.cookies

    by_etag = Client().get("/courses/c/l/", headers={"if-none-match": first["ETag"]})
    by_date = Client().get("/courses/c/l/", headers={"if-modified-since": first["Last-Modified"]})
    assert by_etag.status_code == by_date.status_code == 304


def test_a_new_comment_changes_the_etag_and_the_page(two_pages_of_comments):
    first = Client().get("/courses/c/l/")
    CommentFactory(lesson=two_pages_of_comments, body="a brand new remark")
    again = Client().get("/courses/c/l/?comments_page=2", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert "a brand new remark" in again.content.decode()


def test_drafts_are_private_for_staff_and_missing_for_everyone_else(two_pages_of_comments):
    two_pages_of_comments.status = Status.DRAFT
    two_pages_of_comments.save()
    assert Client().get("/courses/c/l/").status_code == 404
    staff = signed_in(StaffFactory()).get("/courses/c/l/")
    assert staff.status_code == 200
    assert "private" in staff["Cache-Control"] and "ETag" not in staff


def test_an_unpublished_lesson_is_gone_at_the_next_request(two_pages_of_comments):
    assert Client().get("/courses/c/l/").status_code == 200
    LessonFactory._meta.model.objects.filter(pk=two_pages_of_comments.pk).update(
        status=Status.DRAFT
    )
    from lessons.versions import content_changed

    content_changed(site=True)  # what every writer that bypasses save() does
    assert Client().get("/courses/c/l/").status_code == 404


def test_staff_see_draft_courses_in_a_private_catalogue(two_pages_of_comments):
    CourseFactory(status=Status.DRAFT, title="Secret draft course")
    public = Client().get("/")
    staff = signed_in(StaffFactory()).get("/")
    assert "Secret draft course" not in public.content.decode()
    assert "Secret draft course" in staff.content.decode()
    assert "private" in staff["Cache-Control"]


# --- The page cache's key space -----------------------------------------------------------------


def test_junk_page_parameters_redirect_to_the_canonical_address_and_store_nothing(
    two_pages_of_comments, page_entries
):
    # given the lesson's two real pages, each asked for once
    assert Client().get("/courses/c/l/").status_code == 200
    assert Client().get("/courses/c/l/?comments_page=2").status_code == 200
    assert len(page_entries) == 2
    # when anyone asks with junk, duplicated, Unicode-digit, huge, negative or padded numbers
    asked = {
        "comments_page=JUNK&comments_page=": "/courses/c/l/",
        "comments_page=2&comments_page=2": "/courses/c/l/?comments_page=2",
        "comments_page=%D9%A3": "/courses/c/l/",  # Arabic-Indic three
        "comments_page=%EF%BC%91": "/courses/c/l/",  # full-width one
        "comments_page=99999999999999999999": "/courses/c/l/",
        "comments_page=-1": "/courses/c/l/",
        "comments_page=0": "/courses/c/l/",
        "comments_page=1": "/courses/c/l/",
        "comments_page=02": "/courses/c/l/?comments_page=2",
        "comments_page=3": "/courses/c/l/?comments_page=2",
    }
    for query, canonical in asked.items():
        response = Client().get(f"/courses/c/l/?{query}")
        # then each is sent to the canonical address, with no entry of its own
        assert response.status_code == 302, query
        assert response["Location"] == canonical, query
    # and other parameters and host spellings share the canonical entry
    for query in ("utm_source=newsletter", "x=" + "y" * 3000):
        assert Client().get(f"/courses/c/l/?{query}").status_code == 200
    for host in ("testserver", "TESTSERVER", "testserver:80", "localhost"):
        assert Client().get("/courses/c/l/", HTTP_HOST=host).status_code == 200
    assert len(page_entries) == 2


def test_a_poisoned_address_never_reaches_the_shared_page(two_pages_of_comments):
    long_junk = "JUNK" * 1500
    Client().get(f"/courses/c/l/?comments_page={long_junk}&comments_page=")
    Client().get(f"/courses/c/l/?next={long_junk}")
    html = Client().get("/courses/c/l/").content.decode()
    assert "JUNK" not in html
    assert 'href="/accounts/login/?next=%2Fcourses%2Fc%2Fl%2F%23comments"' in html


def test_languages_have_entries_of_their_own(two_pages_of_comments, page_entries):
    korean = Client().get("/courses/c/l/")
    english = Client().get("/en/courses/c/l/")
    assert korean["Content-Language"] == "ko" and english["Content-Language"] == "en"
    assert korean["ETag"] != english["ETag"]
    assert len(page_entries) == 2
    # the alternates name the languages the lesson is written in: Korean, its original, only
    # (an English page of it shows the same Korean text; see tests/lessons/test_variants.py)
    assert '<link rel="alternate" hreflang="en"' not in korean.content.decode()
    assert '<link rel="alternate" hreflang="ko" href="/courses/c/l/">' in english.content.decode()


# --- A new comment costs one comment's render ---------------------------------------------------


@pytest.fixture
def render_counts(monkeypatch):
    """How many comment articles each rendering of threads drew."""
    from comments import threads

    rendered = []
    original = threads._render_articles

    def counting(nodes, **kwargs):
        rendered.append(len(nodes))
        return original(nodes, **kwargs)

    monkeypatch.setattr(threads, "_render_articles", counting)
    return rendered


@pytest.fixture
def kept_page_of_200_comments(settings, page_entries, render_counts):
    """A lesson of 200 comments in 40 threads on one page, viewed once (so kept), the renders
    counted from then on."""
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 500}
    lesson = LessonFactory(status=Status.PUBLISHED)
    comments_bulk_create(lesson=lesson, total=200, threads=40)
    lesson.kept_html = Client().get(lesson.get_absolute_url()).content.decode()
    render_counts.clear()
    return lesson


def test_the_first_view_after_a_new_comment_renders_that_comment_only(
    kept_page_of_200_comments, render_counts
):
    lesson = kept_page_of_200_comments

    CommentFactory(lesson=lesson, body="one more")

    response = Client().get(lesson.get_absolute_url())
    assert "one more" in response.content.decode()
    assert render_counts == [1]


def test_a_reply_renders_that_reply_only(kept_page_of_200_comments, render_counts):
    lesson = kept_page_of_200_comments
    before = lesson.kept_html
    parent = Comment.objects.filter(lesson=lesson, depth=1, status=CommentStatus.PUBLISHED)[0]

    reply = CommentFactory(lesson=lesson, parent=parent, root=parent.root, depth=2, body="a reply")

    html = Client().get(lesson.get_absolute_url()).content.decode()
    # the reply is drawn, its thread assembled again around the others' kept articles
    assert render_counts == [1]
    assert f'id="comment-{reply.pk}"' in html
    thread = Comment.objects.filter(root_id=parent.root_id).exclude(pk=reply.pk)
    shown = [pk for pk in thread.values_list("pk", flat=True) if f'id="comment-{pk}"' in before]
    assert len(shown) > 1 and all(f'id="comment-{pk}"' in html for pk in shown)
    assert html.index(f'id="comment-{parent.pk}"') < html.index(f'id="comment-{reply.pk}"')


def test_a_change_elsewhere_on_the_site_renders_no_comment_again(
    kept_page_of_200_comments, render_counts
):
    # given a kept page of 200 comments
    lesson = kept_page_of_200_comments

    # when staff rename another lesson (the site's version moves: every page is new)
    other = LessonFactory(status=Status.PUBLISHED, course=lesson.course)
    other.title = "Renamed elsewhere"
    other.save()

    # then the page is assembled again from the kept articles, none drawn again
    response = Client().get(lesson.get_absolute_url())
    assert "Renamed elsewhere" in response.content.decode()
    assert sum(render_counts) == 0


def test_what_an_article_shows_from_other_rows_shows_on_the_next_view(settings, page_entries):
    # given a kept page with a learner's comment written before the lesson's last change
    lesson = LessonFactory(status=Status.PUBLISHED)
    learner = UserFactory(first_name="Zelda")
    comment = CommentFactory(lesson=lesson, author=learner, body="my words")

    def article():
        html = Client().get(lesson.get_absolute_url()).content.decode()
        start = html.index(f'id="comment-{comment.pk}"')
        return html[start : html.index("</article>", start)]

    assert "Zelda" in article() and "badge--instructor" not in article()
    assert "stream-comment__earlier" not in article()

    # the author's new name
    learner.first_name = "Zora"
    learner.save()
    assert "Zora" in article() and "Zelda" not in article()

    # the author made an instructor
    learner.is_staff = True
    learner.save()
    assert "badge--instructor" in article()

    # the lesson's text changed after the comment was written
    lesson.body = "A new explanation."
    lesson.save()
    assert "stream-comment__earlier" in article()


def test_every_kind_of_write_to_a_reply_shows_on_the_next_view(settings, page_entries):
    # given a kept page whose thread has a published reply
    lesson = LessonFactory(status=Status.PUBLISHED)
    top = CommentFactory(lesson=lesson, body="the question")
    reply = CommentFactory(lesson=lesson, parent=top, root=top, depth=1, body="first words")
    assert "first words" in Client().get(lesson.get_absolute_url()).content.decode()

    def shown():
        return Client().get(lesson.get_absolute_url()).content.decode()

    # a save that sets no edit time (as the admin's form may) shows its new text
    reply.body = "second words"
    reply.save(update_fields=["body"])
    assert "second words" in shown() and "first words" not in shown()

    # a status change through the services hides it (the thread keeps a placeholder or less)
    from comments.services import comment_hide

    comment_hide(comment=reply, user=StaffFactory())
    assert "second words" not in shown()

    # two saves of copies read before either (as two workers might) move it twice
    a, b = Comment.objects.get(pk=reply.pk), Comment.objects.get(pk=reply.pk)
    before = a.revision
    a.status = CommentStatus.PUBLISHED
    a.save(update_fields=["status"])
    assert "second words" in shown()
    b.body = "third words"
    b.save(update_fields=["body"])
    reply.refresh_from_db()
    assert reply.revision == before + 2
    assert "third words" in shown()


def test_an_erased_authors_replies_lose_their_name_on_the_next_view(settings, page_entries):
    # given a kept page with a reply by a learner who then erases their data (an update(),
    # which sends no signal and saves no row one by one)
    from comments.learner_data import comments_data_erase

    settings.STREAM = {**settings.STREAM, "COMMENTS_ERASE_KEEPS_TEXT": False}
    lesson = LessonFactory(status=Status.PUBLISHED)
    learner = UserFactory(first_name="Zelda")
    top = CommentFactory(lesson=lesson, body="the question")
    CommentFactory(
        lesson=lesson, parent=top, root=top, depth=1, author=learner, body="Zelda wrote this reply"
    )
    assert "Zelda wrote this reply" in Client().get(lesson.get_absolute_url()).content.decode()

    comments_data_erase(learner)

    html = Client().get(lesson.get_absolute_url()).content.decode()
    assert "Zelda wrote this reply" not in html


def test_the_demo_keeps_pages_apart_from_the_counters_in_default(
    two_pages_of_comments, monkeypatch
):
    # given the demo's settings: shared pages in a cache alias of their own
    from django.core.cache import caches

    from lessons.caching import page_cache

    written = {"default": [], "pages": []}
    for name, cache in (("default", caches["default"]), ("pages", page_cache())):
        for method in ("set", "set_many", "add"):
            original = getattr(cache, method)

            def recording(key, *args, _original=original, _into=written[name], **kwargs):
                _into.extend(key if isinstance(key, dict) else [key])
                return _original(key, *args, **kwargs)

            monkeypatch.setattr(cache, method, recording)
    page_cache().clear()
    lesson = two_pages_of_comments

    # when a visitor reads both comment pages of a lesson with threads
    for url in (lesson.get_absolute_url(), f"{lesson.get_absolute_url()}?comments_page=2"):
        assert Client().get(url).status_code == 200

    # then the pages, their threads and articles went to the pages cache, and nothing a flood
    # of pages could push a rate-limit counter out with went to default
    kinds = {key.split(":")[1] for key in written["pages"]}
    assert {"page", "thread", "comment"} <= kinds
    assert written["default"] == []
