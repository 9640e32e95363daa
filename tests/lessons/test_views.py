import pytest
from django.test import Client
from django.urls import reverse

from lessons.models import Status
from lessons.slots import slot_register, slot_unregister
from tests.factories import (
    CourseFactory,
    LessonFactory,
    LessonLinkFactory,
    StaffFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def lesson_url(lesson):
    return reverse(
        "stream_lessons:lesson", kwargs={"course": lesson.course.slug, "lesson": lesson.slug}
    )


@pytest.fixture
def course():
    course = CourseFactory(slug="dense-families", title="Dense families")
    for position in range(1, 6):
        LessonFactory(
            course=course, position=position, slug=f"l{position}", title=f"Title {position}"
        )
    return course


def test_lesson_heading_numbers_the_lesson_in_its_course(client, course):
    lesson = course.lessons.get(position=2)
    for name in ("dense", "llama", "families"):
        lesson.tags.add(TagFactory(name=name, slug=name))

    response = client.get(lesson_url(lesson))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Lesson 02 of 05 · published" in html
    assert '<h1 class="lesson-title">Title 2</h1>' in html
    assert "~1 min · " in html
    # Tags keep the order the instructor gave them, each linking to its lesson list.
    assert (
        '<a class="tag-link" href="/tags/dense/">dense</a>, '
        '<a class="tag-link" href="/tags/llama/">llama</a>, '
        '<a class="tag-link" href="/tags/families/">families</a>'
    ) in html


def test_lesson_page_links_previous_and_next_published_lessons(client, course):
    course.lessons.filter(position=3).update(status=Status.DRAFT)
    lesson = course.lessons.get(position=2)

    html = client.get(lesson_url(lesson)).content.decode()

    assert 'href="/courses/dense-families/l1/" rel="prev"' in html
    assert 'href="/courses/dense-families/l4/" rel="next"' in html
    assert "Lesson 02 of 04 · published" in html


def test_first_and_last_lessons_have_one_neighbour(client, course):
    first_html = client.get("/courses/dense-families/l1/").content.decode()
    last_html = client.get("/courses/dense-families/l5/").content.decode()

    assert 'rel="prev"' not in first_html and 'rel="next"' in first_html
    assert 'rel="prev"' in last_html and 'rel="next"' not in last_html


def test_external_links_open_in_a_new_tab_without_opener(client, course):
    lesson = course.lessons.get(position=2)
    LessonLinkFactory(lesson=lesson, title="Second", url="https://example.org/b", position=2)
    LessonLinkFactory(lesson=lesson, title="First", url="https://example.org/a", position=1)

    html = client.get(lesson_url(lesson)).content.decode()

    assert "External links" in html
    assert html.index("https://example.org/a") < html.index("https://example.org/b")
    assert 'href="https://example.org/a" target="_blank" rel="noopener noreferrer"' in html


def test_exercise_section_only_when_the_lesson_has_one(client, course):
    with_exercise = course.lessons.get(position=1)
    with_exercise.exercise = "Open **two** model cards."
    with_exercise.save()

    assert "<strong>two</strong>" in client.get(lesson_url(with_exercise)).content.decode()
    assert 'id="stream-exercise"' in client.get(lesson_url(with_exercise)).content.decode()
    without = client.get(lesson_url(course.lessons.get(position=2))).content.decode()
    assert 'id="stream-exercise"' not in without


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_draft_lesson_is_404_for_everyone_but_staff(client, course, who, learner):
    lesson = course.lessons.get(position=3)
    lesson.status = Status.DRAFT
    lesson.save()
    if who == "learner":
        client.force_login(learner)

    assert client.get(lesson_url(lesson)).status_code == 404


def test_staff_preview_a_draft_with_draft_in_the_heading(client, course, staff):
    lesson = course.lessons.get(position=3)
    lesson.status = Status.DRAFT
    lesson.save()
    client.force_login(staff)

    html = client.get(lesson_url(lesson)).content.decode()

    # Counted where it would stand once published: 3rd of the 4 published + itself.
    assert "Lesson 03 of 05 · draft" in html


def test_lessons_of_a_draft_course_are_404_for_learners(client, course, learner, staff):
    course.status = Status.DRAFT
    course.save()
    lesson = course.lessons.get(position=1)
    client.force_login(learner)
    assert client.get(lesson_url(lesson)).status_code == 404
    assert client.get("/courses/dense-families/").status_code == 404
    client.force_login(staff)
    assert client.get(lesson_url(lesson)).status_code == 200


def test_unknown_lesson_course_and_tag_are_404(client, course):
    assert client.get("/courses/dense-families/nope/").status_code == 404
    assert client.get("/courses/nope/l1/").status_code == 404
    assert client.get("/tags/nope/").status_code == 404


def test_lesson_page_refuses_writes(client, course):
    response = client.post("/courses/dense-families/l1/")
    assert response.status_code == 405


def test_catalogue_lists_published_courses_with_their_lesson_counts(client, course):
    CourseFactory(title="Hidden course", status=Status.DRAFT)
    course.lessons.filter(position=5).update(status=Status.DRAFT)

    html = client.get("/").content.decode()

    assert "Dense families" in html
    assert "Hidden course" not in html
    assert "4 lessons" in html or "4개 레슨" in html


def test_catalogue_lists_courses_by_position_not_by_creation(client):
    CourseFactory(title="Made first, shown last", position=9)
    CourseFactory(title="Made second, shown first", position=1)

    html = client.get("/").content.decode()

    assert html.index("Made second, shown first") < html.index("Made first, shown last")


def test_course_page_lists_published_lessons_in_order(client, course):
    course.lessons.filter(position=4).update(status=Status.DRAFT)

    html = client.get("/courses/dense-families/").content.decode()

    titles = [f"Title {n}" for n in (1, 2, 3, 5)]
    positions = [html.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "Title 4" not in html


def test_tag_page_lists_only_visible_lessons_with_the_tag(client, course):
    tag = TagFactory(name="moe", slug="moe")
    visible = course.lessons.get(position=1)
    hidden = course.lessons.get(position=2)
    visible.tags.add(tag)
    hidden.tags.add(tag)
    hidden.status = Status.DRAFT
    hidden.save()

    html = client.get("/tags/moe/").content.decode()

    assert visible.title in html
    assert hidden.title not in html


def test_slots_render_templates_other_apps_register(client, course, tmp_path, settings):
    (tmp_path / "slot_probe.html").write_text('<p class="probe">slot for {{ lesson.title }}</p>')
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    slot_register("lesson_progress", "slot_probe.html")
    try:
        html = client.get("/courses/dense-families/l2/").content.decode()
    finally:
        slot_unregister("lesson_progress", "slot_probe.html")

    assert '<p class="probe">slot for Title 2</p>' in html


def test_unknown_slot_names_are_refused():
    with pytest.raises(ValueError, match="Unknown Stream slot"):
        slot_register("lesson_sidebar", "x.html")


@pytest.fixture
def lessons_alone(monkeypatch):
    """The lessons app's pages without what other apps put in their slots."""
    monkeypatch.setattr("lessons.slots._slots", {})


@pytest.mark.parametrize("lessons_in_course, tag_count", [(5, 1), (500, 20)])
def test_lesson_page_query_count_does_not_grow(
    client, django_assert_num_queries, lessons_in_course, tag_count, lessons_alone
):
    # given a course of N lessons and a lesson with M tags and a few links
    course = CourseFactory(slug="big")
    LessonFactory.create_batch(lessons_in_course - 1, course=course)
    lesson = LessonFactory(course=course, slug="target", position=lessons_in_course // 2)
    lesson.tags.set(TagFactory.create_batch(tag_count))
    LessonLinkFactory.create_batch(3, lesson=lesson)

    # when an anonymous visitor opens it, then the page costs:
    # 1 the lesson's status and content versions, 2 lesson + course, 3 tags, 4 links,
    # 5 number/total, 6 previous, 7 next, 8-10 the site's prerequisites (published lessons,
    # lesson and course requirements), read once per site version and kept under it
    with django_assert_num_queries(10):
        response = client.get(lesson_url(lesson))
    assert response.status_code == 200

    # and the next visitor gets the kept page: the versions only
    with django_assert_num_queries(1):
        response = Client().get(lesson_url(lesson))
    assert response.status_code == 200

    # and so does staff: the page is the same for every viewer (not even the session is read)
    client.force_login(StaffFactory())
    client.get("/")  # the first answer after signing in gives the browser its signed-in hint
    with django_assert_num_queries(1):
        response = client.get(lesson_url(lesson))
    assert response.status_code == 200


@pytest.mark.parametrize("lesson_count", [3, 60])
def test_catalogue_course_and_tag_pages_query_counts_do_not_grow(
    client, django_assert_num_queries, lesson_count, lessons_alone
):
    course = CourseFactory(slug="c")
    tag = TagFactory(slug="t")
    for lesson in LessonFactory.create_batch(lesson_count, course=course):
        lesson.tags.add(tag)

    # each page: the site's version, then its own queries (the catalogue 1, course and tag 2;
    # the course page's path: the site's prerequisites, 3, kept under the site version)
    with django_assert_num_queries(2):
        client.get("/")
    with django_assert_num_queries(6):
        client.get("/courses/c/")
    with django_assert_num_queries(3):
        client.get("/tags/t/")
    # and once kept, the version only
    for url in ("/", "/courses/c/", "/tags/t/"):
        with django_assert_num_queries(1):
            Client().get(url)


def test_header_offers_sign_in_back_to_this_page(client, course):
    anonymous = client.get("/courses/dense-families/l2/?utm_source=x").content.decode()

    # the page's canonical address, never the query string a visitor sent
    assert 'href="/accounts/login/?next=%2Fcourses%2Fdense-families%2Fl2%2F"' in anonymous


def test_login_url_follows_the_hosts_login_setting(client, course, settings):
    settings.LOGIN_URL = "/sign-in/"

    html = client.get("/courses/dense-families/l2/").content.decode()

    assert 'href="/sign-in/?next=%2Fcourses%2Fdense-families%2Fl2%2F"' in html
