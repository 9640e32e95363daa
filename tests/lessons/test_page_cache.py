"""The anonymous lesson page comes from the cache, and every write that changes it is seen.

Each test: a visitor opens the page (filling the cache), something changes, and the next
anonymous visitor must see the change. Query counts prove hit or miss: a hit costs no query
(with the default adapter even the visibility check is answered from the cache, see
``page_cache.visible_lesson``); a miss renders the page (many more).
"""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from comments import services as comment_services
from comments.models import CommentSettings, ProblemReport
from lessons import services
from lessons.models import Status
from tests.factories import (
    AchievementFactory,
    CommentFactory,
    CourseFactory,
    LessonFactory,
    LevelFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HIT_QUERIES = 0
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def lesson_url(lesson):
    return reverse(
        "stream_lessons:lesson", kwargs={"course": lesson.course.slug, "lesson": lesson.slug}
    )


@pytest.fixture
def course():
    course = CourseFactory(slug="dense", title="Dense families", status=Status.PUBLISHED)
    for position in range(1, 4):
        LessonFactory(
            course=course,
            position=position,
            slug=f"l{position}",
            title=f"Title {position}",
            status=Status.PUBLISHED,
        )
    return course


@pytest.fixture
def lesson(course):
    return course.lessons.get(slug="l2")


def visit(url, **headers):
    """One new anonymous visitor; returns the response and the queries it cost."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    visitor = Client(headers=headers)
    with CaptureQueriesContext(connection) as queries:
        response = visitor.get(url)
    return response, len(queries)


def assert_hit(url, **headers):
    response, queries = visit(url, **headers)
    assert response.status_code == 200
    assert queries == HIT_QUERIES, f"expected a cache hit, got {queries} queries"
    assert not response.templates, "expected a cache hit, the page was rendered"
    return response


def assert_miss(url, **headers):
    response, queries = visit(url, **headers)
    # Rendered: the test client lists the templates (a page whose every part is cached may
    # cost no query at all, so queries tell nothing here).
    assert response.templates, "expected the page to be rendered again"
    return response


def text(response):
    return response.content.decode()


# --- Hits, misses, who gets the shared page ----------------------------------------------------


def test_second_anonymous_visitor_gets_the_cached_page(lesson):
    # given one visitor who opened the lesson
    first = assert_miss(lesson_url(lesson))
    # when another opens it, then it costs the visibility check alone and reads the same
    second = assert_hit(lesson_url(lesson))
    assert TOKEN.sub("", text(first)) == TOKEN.sub("", text(second))
    assert "Title 2" in text(second)


def test_each_visitor_gets_their_own_csrf_token_and_cookie(lesson):
    assert_miss(lesson_url(lesson))
    tokens, cookies = set(), set()
    for _ in range(2):
        response = assert_hit(lesson_url(lesson))
        found = set(TOKEN.findall(text(response)))
        assert len(found) == 1  # every form on the page carries the same token
        tokens |= found
        cookies.add(response.cookies["csrftoken"].value)
    assert len(tokens) == 2
    assert len(cookies) == 2


def test_two_anonymous_visitors_can_both_send_the_report_form_from_the_cached_page(lesson):
    # given the page in the cache
    assert_miss(lesson_url(lesson))
    for message in ("First visitor's report", "Second visitor's report"):
        # when a new visitor (CSRF enforced, as in a browser) reads it and sends the form
        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get(lesson_url(lesson))
        token = TOKEN.search(text(page)).group(1)
        response = visitor.post(
            reverse("stream_comments:report", kwargs={"lesson_id": lesson.pk}),
            {"csrfmiddlewaretoken": token, "kind": "content", "message": message},
        )
        # then the report is accepted
        assert response.status_code == 302, response.content[:300]
    assert sorted(ProblemReport.objects.values_list("message", flat=True)) == [
        "First visitor's report",
        "Second visitor's report",
    ]


def test_a_token_from_someone_elses_copy_is_refused(lesson):
    # the reason tokens are put in per visitor: a page cached with one visitor's token
    # would be useless to everyone else
    first = Client(enforce_csrf_checks=True)
    token = TOKEN.search(text(first.get(lesson_url(lesson)))).group(1)
    other = Client(enforce_csrf_checks=True)
    other.get(lesson_url(lesson))
    response = other.post(
        reverse("stream_comments:report", kwargs={"lesson_id": lesson.pk}),
        {"csrfmiddlewaretoken": token, "kind": "content", "message": "x"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("has_cookie", [False, True], ids=["new visitor", "returning visitor"])
def test_the_pages_csrf_tokens_are_djangos_own_kind(has_cookie):
    # The cached page's token (lessons.page_cache.csrf_token, faster than get_token) must be
    # one Django's CSRF middleware accepts, against the cookie the response sets.
    from django.middleware.csrf import CsrfViewMiddleware, get_token
    from django.test import RequestFactory

    from lessons.page_cache import csrf_token

    page = RequestFactory().get("/")
    if has_cookie:
        get_token(page)  # the secret a returning visitor's cookie holds
    secret_before = page.META.get("CSRF_COOKIE")
    tokens = {csrf_token(page) for _ in range(20)}
    assert len(tokens) == 20, "every token gets a fresh mask"
    assert page.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    if has_cookie:
        assert page.META["CSRF_COOKIE"] == secret_before
    secret = page.META["CSRF_COOKIE"]
    middleware = CsrfViewMiddleware(lambda request: None)
    for token in tokens:
        post = RequestFactory().post("/", {"csrfmiddlewaretoken": token})
        post.COOKIES["csrftoken"] = secret
        middleware.process_request(post)
        assert middleware.process_view(post, lambda request: None, (), {}) is None, token
    forged = RequestFactory().post("/", {"csrfmiddlewaretoken": next(iter(tokens))})
    forged.COOKIES["csrftoken"] = "x" * 32
    middleware.process_request(forged)
    assert middleware.process_view(forged, lambda request: None, (), {}) is not None


def test_signed_in_learners_and_staff_never_get_the_anonymous_copy(client, lesson):
    assert_miss(lesson_url(lesson))
    learner = UserFactory(first_name="Mina")
    client.force_login(learner)
    page = text(client.get(lesson_url(lesson)))
    assert "Mina" in page
    assert "Please sign in to leave a comment." not in page

    staff = StaffFactory(first_name="Boss")
    client.force_login(staff)
    page = text(client.get(lesson_url(lesson)))
    assert "Boss" in page
    assert reverse("admin:index") in page


def test_draft_lesson_is_never_cached_for_anonymous_visitors(lesson, client):
    services.lesson_unpublish(lesson=lesson)
    for _ in range(2):
        assert visit(lesson_url(lesson))[0].status_code == 404
    # staff preview the draft; the preview is not kept for anyone
    client.force_login(StaffFactory())
    assert client.get(lesson_url(lesson)).status_code == 200
    assert visit(lesson_url(lesson))[0].status_code == 404


def test_languages_are_cached_apart(lesson):
    korean = assert_miss(lesson_url(lesson), **{"Accept-Language": "ko"})
    english = assert_miss(lesson_url(lesson), **{"Accept-Language": "en"})
    assert 'lang="ko"' in text(korean)
    assert 'lang="en"' in text(english)
    assert 'lang="en"' in text(assert_hit(lesson_url(lesson), **{"Accept-Language": "en"}))
    assert 'lang="ko"' in text(assert_hit(lesson_url(lesson), **{"Accept-Language": "ko"}))
    # the language cookie wins over the header, as LocaleMiddleware decides
    visitor = Client(headers={"Accept-Language": "ko"})
    visitor.cookies["django_language"] = "en"
    assert 'lang="en"' in text(visitor.get(lesson_url(lesson)))


def test_response_says_it_varies_by_cookie_and_language(lesson):
    assert_miss(lesson_url(lesson))
    response = assert_hit(lesson_url(lesson))
    vary = {part.strip() for part in response["Vary"].split(",")}
    assert {"Cookie", "Accept-Language"} <= vary
    assert response["Cache-Control"] == "private, no-cache"


def test_pages_of_comments_are_cached_apart_and_other_queries_bypass_the_cache(lesson):
    assert_miss(lesson_url(lesson))
    assert_miss(lesson_url(lesson) + "?comments_page=2")
    assert_hit(lesson_url(lesson) + "?comments_page=2")
    # an unknown parameter (a tracking tag, a cache-busting attempt) is rendered each time,
    # and so is a page number that is no number
    assert_miss(lesson_url(lesson) + "?utm_source=x")
    assert_miss(lesson_url(lesson) + "?utm_source=x")
    assert_miss(lesson_url(lesson) + "?comments_page=x1")
    assert_miss(lesson_url(lesson) + "?comments_page=x1")


def test_a_pending_message_is_shown_to_its_visitor_and_never_cached(lesson):
    assert_miss(lesson_url(lesson), **{"Accept-Language": "en"})
    # given a visitor who just sent a report without JavaScript
    visitor = Client(headers={"Accept-Language": "en"})
    visitor.post(
        reverse("stream_comments:report", kwargs={"lesson_id": lesson.pk}),
        {"kind": "content", "message": "A typo"},
    )
    # when they land back on the page, then they see the thanks
    thanks = "Your report reached the instructors"
    assert thanks in text(visitor.get(lesson_url(lesson)))
    # and the next visitor does not
    assert thanks not in text(assert_hit(lesson_url(lesson), **{"Accept-Language": "en"}))


# --- Conditional GETs ------------------------------------------------------------------------


def test_etag_and_last_modified_answer_conditional_gets_with_304(lesson):
    visitor = Client()
    first = visitor.get(lesson_url(lesson))
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"')

    again = visitor.get(lesson_url(lesson), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag

    since = visitor.get(lesson_url(lesson), headers={"If-Modified-Since": modified})
    assert since.status_code == 304

    earlier = http_date((timezone.now() - timedelta(days=1)).timestamp())
    assert visitor.get(lesson_url(lesson), headers={"If-Modified-Since": earlier}).status_code == (
        200
    )


def test_a_changed_page_answers_200_to_the_old_etag(lesson):
    visitor = Client()
    etag = visitor.get(lesson_url(lesson))["ETag"]
    CommentFactory(lesson=lesson, body="Fresh remark")
    response = visitor.get(lesson_url(lesson), headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Fresh remark" in text(response)


def test_another_visitors_etag_does_not_match(lesson):
    # the body carries the visitor's token, so the tag is per visitor: a copy made for
    # someone else (or before the CSRF cookie rotated) is never confirmed with a 304
    etag = Client().get(lesson_url(lesson))["ETag"]
    response = Client().get(lesson_url(lesson), headers={"If-None-Match": etag})
    assert response.status_code == 200


# --- Every write that changes the page --------------------------------------------------------


def test_editing_the_lesson_shows_the_new_text(lesson):
    assert_miss(lesson_url(lesson))
    lesson.body = "A completely new paragraph."
    lesson.save()
    assert "A completely new paragraph." in text(assert_miss(lesson_url(lesson)))


def test_unpublishing_the_lesson_or_its_course_is_404_at_once(lesson, course):
    assert_miss(lesson_url(lesson))
    services.lesson_unpublish(lesson=lesson)
    assert visit(lesson_url(lesson))[0].status_code == 404
    services.lesson_publish(lesson=lesson)
    assert visit(lesson_url(lesson))[0].status_code == 200
    services.courses_set_status(courses=type(course).objects.all(), status=Status.DRAFT)
    assert visit(lesson_url(lesson))[0].status_code == 404


def test_publishing_a_sibling_renumbers_and_relinks(lesson, course):
    page = text(assert_miss(lesson_url(lesson)))
    assert "03" in page
    newcomer = LessonFactory(
        course=course, position=0, slug="l0", title="Intro", status=Status.DRAFT
    )
    assert "03" in text(assert_miss(lesson_url(lesson)))
    services.lesson_publish(lesson=newcomer)
    page = text(assert_miss(lesson_url(lesson)))
    assert "04" in page  # Lesson 03 of 04


def test_reordering_and_renaming_siblings_updates_the_pager(lesson, course):
    assert_miss(lesson_url(lesson))
    following = course.lessons.get(slug="l3")
    following.title = "Renamed neighbour"
    following.save()
    assert "Renamed neighbour" in text(assert_miss(lesson_url(lesson)))
    first = course.lessons.get(slug="l1")
    first.position = 10
    first.save()
    page = text(assert_miss(lesson_url(lesson)))
    # l1 moved after l3: the lesson comes first now, l3 next, and l1 is no neighbour at all
    assert "Renamed neighbour" in page and "Title 1" not in page


def test_tag_changes_show(lesson):
    assert_miss(lesson_url(lesson))
    tag = TagFactory(name="llama", slug="llama")
    services.lesson_set_tags(lesson=lesson, tags=[tag])
    assert "llama" in text(assert_miss(lesson_url(lesson)))
    tag.name = "renamed-tag"
    tag.save()
    assert "renamed-tag" in text(assert_miss(lesson_url(lesson)))
    lesson.tags.clear()
    assert "renamed-tag" not in text(assert_miss(lesson_url(lesson)))


def test_comment_post_edit_delete_show(lesson):
    author = UserFactory()
    assert_miss(lesson_url(lesson))
    comment = comment_services.comment_post(lesson=lesson, author=author, body="First words")
    assert "First words" in text(assert_miss(lesson_url(lesson)))
    comment_services.comment_edit(comment=comment, user=author, body="Second words")
    assert "Second words" in text(assert_miss(lesson_url(lesson)))
    comment_services.comment_delete(comment=comment, user=author)
    page = text(assert_miss(lesson_url(lesson)))
    assert "Second words" not in page


def test_moderation_shows(lesson):
    staff = StaffFactory()
    comment = CommentFactory(lesson=lesson, body="Borderline remark")
    assert "Borderline remark" in text(assert_miss(lesson_url(lesson)))
    comment_services.comment_hide(comment=comment, user=staff)
    assert "Borderline remark" not in text(assert_miss(lesson_url(lesson)))
    comment_services.comment_unhide(comment=comment, user=staff)
    assert "Borderline remark" in text(assert_miss(lesson_url(lesson)))


def test_a_comment_on_another_lesson_keeps_this_page_cached(lesson, course):
    assert_miss(lesson_url(lesson))
    CommentFactory(lesson=course.lessons.get(slug="l1"), body="Elsewhere")
    assert_hit(lesson_url(lesson))


def test_closing_and_opening_comments_shows(lesson, course):
    english = {"Accept-Language": "en"}
    closed = "Comments are closed for this lesson."
    assert_miss(lesson_url(lesson), **english)
    settings_row = CommentSettings.objects.create(lesson=lesson, comments_open=False)
    assert closed in text(assert_miss(lesson_url(lesson), **english))
    settings_row.comments_open = True
    settings_row.save()
    assert closed not in text(assert_miss(lesson_url(lesson), **english))
    CommentSettings.objects.create(course=course, comments_open=False)
    settings_row.delete()
    assert closed in text(assert_miss(lesson_url(lesson), **english))


def status_bar_facts(response):
    """The progress facts the page's status bar is computed from (at the address it names)."""
    block = re.search(
        r'<script id="stream-progress-data" type="application/json">(.*?)</script>',
        text(response),
        re.S,
    )
    return Client().get(json.loads(block.group(1))["factsUrl"]).content.decode()


def test_levels_and_achievements_reach_the_status_bar_data(lesson):
    assert_miss(lesson_url(lesson))
    LevelFactory(number=7, name="Summit", min_xp=7000)
    assert "Summit" in status_bar_facts(assert_miss(lesson_url(lesson)))
    achievement = AchievementFactory(name="Night owl")
    assert "Night owl" in status_bar_facts(assert_miss(lesson_url(lesson)))
    achievement.delete()
    assert "Night owl" not in status_bar_facts(assert_miss(lesson_url(lesson)))


def test_an_authors_new_name_shows_but_a_login_changes_nothing(lesson, client):
    author = UserFactory(first_name="Old")
    CommentFactory(lesson=lesson, author=author)
    assert_miss(lesson_url(lesson))
    client.force_login(UserFactory())  # writes last_login
    assert_hit(lesson_url(lesson))
    author.first_name = "Newname"
    author.save()
    assert "Newname" in text(assert_miss(lesson_url(lesson)))


def test_settings_are_part_of_the_key(lesson, settings):
    assert_miss(lesson_url(lesson))
    settings.STREAM = {**settings.STREAM, "SITE_NAME": "Other School"}
    assert "Other School" in text(assert_miss(lesson_url(lesson)))


def test_cache_can_be_switched_off(lesson, settings):
    settings.STREAM = {**settings.STREAM, "PAGE_CACHE_SECONDS": 0}
    assert_miss(lesson_url(lesson))
    assert_miss(lesson_url(lesson))


# --- The lesson's own part, shared with signed-in learners ------------------------------------


def test_signed_in_learners_share_the_lesson_part_and_see_changes(lesson, course):
    first, second = Client(), Client()
    first.force_login(UserFactory())
    second.force_login(UserFactory())
    first.get(lesson_url(lesson))

    following = course.lessons.get(slug="l3")
    following.title = "Renamed for learners"
    following.save()
    assert "Renamed for learners" in text(second.get(lesson_url(lesson)))


def test_the_adapter_still_decides_for_each_learner_on_a_cached_page(lesson, settings):
    from lessons.adapter import StreamAdapter

    class KeepsMinaOut(StreamAdapter):
        def lessons_for_user(self, lessons, *, user):
            if getattr(user, "first_name", "") == "Mina":
                return lessons.none()
            return lessons

    import tests.lessons.test_page_cache as this_module

    this_module.KeepsMinaOut = KeepsMinaOut
    settings.STREAM = {**settings.STREAM, "ADAPTER": f"{__name__}.KeepsMinaOut"}
    allowed, mina = Client(), Client()
    allowed.force_login(UserFactory(first_name="Ann"))
    mina.force_login(UserFactory(first_name="Mina"))
    assert allowed.get(lesson_url(lesson)).status_code == 200  # the lesson part is cached now
    assert mina.get(lesson_url(lesson)).status_code == 404


def test_an_adapter_with_its_own_rule_is_asked_on_every_anonymous_hit(lesson, settings):
    from lessons.adapter import StreamAdapter

    class MembersOnly(StreamAdapter):
        def lessons_for_user(self, lessons, *, user):
            return lessons if user.is_authenticated or not members_only else lessons.none()

    import tests.lessons.test_page_cache as this_module

    this_module.MembersOnly = MembersOnly
    members_only = False
    settings.STREAM = {**settings.STREAM, "ADAPTER": f"{__name__}.MembersOnly"}
    assert_miss(lesson_url(lesson))
    # a hit still runs the adapter's rule: one query
    response, queries = visit(lesson_url(lesson))
    assert (response.status_code, queries) == (200, 1)
    # and when the rule changes its mind (state of the host's own), the cached page is refused
    members_only = True
    assert visit(lesson_url(lesson))[0].status_code == 404


# --- A signed-in learner's own copy of the whole page ------------------------------------------

LEARNER_HIT_QUERIES = 2  # the session and the user; the page itself comes from the cache


def learner_client(user=None):
    client = Client()
    client.force_login(user or UserFactory())
    return client


def learner_visit(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def assert_learner_hit(client, url):
    response, queries = learner_visit(client, url)
    assert not response.templates, "expected the learner's cached copy, the page was rendered"
    assert queries == LEARNER_HIT_QUERIES
    return response


def assert_learner_miss(client, url):
    response, _ = learner_visit(client, url)
    assert response.templates, "expected the page to be rendered again"
    return response


def test_a_learner_gets_their_own_copy_and_never_anothers(lesson):
    ann, mina = UserFactory(first_name="Ann"), UserFactory(first_name="Mina")
    ann_client, mina_client = learner_client(ann), learner_client(mina)
    url = lesson_url(lesson)
    assert_learner_miss(ann_client, url)
    again = assert_learner_hit(ann_client, url)
    assert "Ann" in text(again)

    # another learner's first visit is rendered for them, and shows their name, not Ann's
    mina_page = text(assert_learner_miss(mina_client, url))
    assert "Mina" in mina_page and "Ann" not in mina_page
    # nor does an anonymous visitor get a learner's copy
    assert "Ann" not in text(visit(url)[0])


def test_a_learners_cached_copy_carries_their_own_working_csrf_token(lesson):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    url = lesson_url(lesson)
    client.get(url)
    page = text(client.get(url))
    assert client.cookies["csrftoken"].value
    token = TOKEN.search(page).group(1)
    response = client.post(
        reverse("stream_comments:report", kwargs={"lesson_id": lesson.pk}),
        {"csrfmiddlewaretoken": token, "kind": "content", "message": "A typo in step 2."},
    )
    assert response.status_code in (200, 302)
    assert ProblemReport.objects.filter(lesson=lesson, message="A typo in step 2.").exists()


def test_completing_the_lesson_shows_on_the_learners_next_visit(lesson):
    from progress import services as progress_services

    learner = UserFactory()
    client = learner_client(learner)
    url = lesson_url(lesson)
    client.get(url)
    assert "data-progress-button disabled" not in text(assert_learner_hit(client, url))

    progress_services.completion_record(user=learner, lesson=lesson)

    assert "data-progress-button disabled" in text(assert_learner_miss(client, url))
    assert_learner_hit(client, url)


def test_a_completion_removed_in_the_admin_shows(lesson):
    from progress import services as progress_services
    from progress.models import LessonCompletion

    learner = UserFactory()
    progress_services.completion_record(user=learner, lesson=lesson)
    client = learner_client(learner)
    url = lesson_url(lesson)
    client.get(url)
    assert "data-progress-button disabled" in text(assert_learner_hit(client, url))

    LessonCompletion.objects.get(learner=learner, lesson=lesson).delete()

    assert "data-progress-button disabled" not in text(assert_learner_miss(client, url))


def test_a_reply_notification_and_reading_it_show_in_the_header(lesson):
    ann, ben = UserFactory(), UserFactory()
    question = comment_services.comment_post(lesson=lesson, author=ann, body="Why?")
    ann_client = learner_client(ann)
    url = lesson_url(lesson)
    ann_client.get(url)
    assert "stream-unread-count" not in text(assert_learner_hit(ann_client, url))

    comment_services.comment_post(lesson=lesson, author=ben, body="Because.", parent=question)

    assert "stream-unread-count" in text(assert_learner_miss(ann_client, url))
    assert_learner_hit(ann_client, url)
    comment_services.notifications_mark_read(user=ann)
    assert "stream-unread-count" not in text(assert_learner_miss(ann_client, url))


def test_a_report_resolved_for_the_learner_shows_in_the_header(lesson):
    learner, staff = UserFactory(), StaffFactory()
    report = comment_services.report_file(
        lesson=lesson, reporter=learner, kind="content", message="Broken link."
    )
    client = learner_client(learner)
    url = lesson_url(lesson)
    client.get(url)
    assert "stream-unread-count" not in text(assert_learner_hit(client, url))

    comment_services.report_resolve(report=report, user=staff, status="resolved")

    assert "stream-unread-count" in text(assert_learner_miss(client, url))


def test_another_learners_comment_and_site_changes_reach_a_learners_copy(lesson, course):
    client = learner_client()
    url = lesson_url(lesson)
    client.get(url)
    assert_learner_hit(client, url)

    CommentFactory(lesson=lesson, body="Seen by every learner")
    assert "Seen by every learner" in text(assert_learner_miss(client, url))

    following = course.lessons.get(slug="l3")
    following.title = "Renamed next lesson"
    following.save()
    assert "Renamed next lesson" in text(assert_learner_miss(client, url))


def test_staff_pages_are_always_rendered(lesson):
    client = learner_client(StaffFactory())
    url = lesson_url(lesson)
    client.get(url)
    assert_learner_miss(client, url)


def test_learner_copies_can_be_switched_off(lesson, settings):
    settings.STREAM = {**settings.STREAM, "PAGE_CACHE_LEARNERS": False}
    client = learner_client()
    url = lesson_url(lesson)
    client.get(url)
    assert_learner_miss(client, url)
    # the anonymous copy is kept all the same
    assert_miss(url)
    assert_hit(url)


def test_an_adapter_with_its_own_comment_rule_gets_pages_rendered_for_learners(lesson, settings):
    from lessons.adapter import StreamAdapter

    class NoCommentsOnFridays(StreamAdapter):
        def can_comment(self, *, user, lesson):
            return True

    import tests.lessons.test_page_cache as this_module

    this_module.NoCommentsOnFridays = NoCommentsOnFridays
    settings.STREAM = {**settings.STREAM, "ADAPTER": f"{__name__}.NoCommentsOnFridays"}
    client = learner_client()
    url = lesson_url(lesson)
    client.get(url)
    assert_learner_miss(client, url)
