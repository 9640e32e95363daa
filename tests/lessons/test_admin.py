"""The lessons admin: what an instructor does with courses, lessons and tags."""

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import include, path, reverse

from lessons.models import Course, Lesson, LessonLink, Status, Tag
from lessons.selectors import lesson_tags_in_order
from tests.factories import CourseFactory, LessonFactory, LessonLinkFactory, TagFactory


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def changelist(model):
    return reverse(f"admin:stream_lessons_{model}_changelist")


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def results(response):
    return list(response.context["cl"].result_list)


# Access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["course", "lesson", "tag"])
def test_staff_open_every_page(staff_client, model):
    # given one object of each kind
    lesson = LessonFactory(tags=[TagFactory()])
    LessonLinkFactory(lesson=lesson)
    obj = {"course": lesson.course, "lesson": lesson, "tag": lesson.tags.get()}[model]

    # when staff open the list, the add page and the change page
    pages = [
        changelist(model),
        reverse(f"admin:stream_lessons_{model}_add"),
        reverse(f"admin:stream_lessons_{model}_change", args=[obj.pk]),
    ]

    # then each of them opens
    for url in pages:
        assert staff_client.get(url).status_code == 200, url


def test_lesson_links_have_no_admin_of_their_own():
    assert not admin.site.is_registered(LessonLink)


@pytest.mark.parametrize("model", ["course", "lesson", "tag"])
def test_learners_are_sent_to_the_admin_login(client, learner, model):
    client.force_login(learner)

    response = client.get(changelist(model))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(changelist("lesson"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# The lesson form --------------------------------------------------------------------------------


def lesson_form_data(course, tags=(), **overrides):
    data = {
        "course": course.pk,
        "title": "Variables",
        "slug": "variables",
        "position": "3",
        "status": Status.DRAFT,
        "xp": "15",
        "tags": [tag.pk for tag in tags],
        "body": "## Names\n\nA variable names a value.\n",
        "exercise": "Name *three* things.",
        "reading_minutes_override": "",
        "requirements-TOTAL_FORMS": "0",
        "requirements-INITIAL_FORMS": "0",
        "links-TOTAL_FORMS": "1",
        "links-INITIAL_FORMS": "0",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "1000",
        "links-0-title": "Python tutorial",
        "links-0-url": "https://docs.python.org/3/tutorial/",
        "links-0-position": "1",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def course_form_data(course, **inlines):
    """The course's change form as the admin posts it, every inline empty unless ``inlines``
    gives its management and row fields (``"lessons-TOTAL_FORMS": "3"``, …)."""
    data = {
        "title": course.title,
        "slug": course.slug,
        "summary": course.summary,
        "position": course.position,
        "status": course.status,
    }
    for inline in ("translations", "requirements", "lessons"):
        data |= {f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0"}
    return data | inlines


def test_the_lesson_form_uses_the_markdown_editor_on_streams_endpoints(staff_client):
    response = staff_client.get(reverse("admin:stream_lessons_lesson_add"))

    html = response.content.decode()
    # body and exercise; the same for the English variant beside them and for the inline's
    # blank template (Django's "add another")
    assert html.count('class="markdownx stream-editor"') == 6
    assert html.count('<p class="stream-editor__label" id="id_body-preview-label">Preview</p>') == 1
    assert (
        html.count(
            '<div class="markdownx-preview" role="region" aria-labelledby="id_body-preview-label"'
        )
        == 1
    )
    assert f'data-markdownx-urls-path="{reverse("markdownx_markdownify")}"' in html
    assert f'data-markdownx-upload-urls-path="{reverse("markdownx_upload")}"' in html
    assert "markdownx/js/markdownx" in html  # the editor's script, which posts the CSRF token
    assert "markdownx/admin/css/markdownx" in html


class HostURLConf:
    """A host project that mounts the editor endpoints under its own prefix."""

    urlpatterns = [
        path("admin/", admin.site.urls),
        path("cms/editor/", include("lessons.markdownx_urls")),
        path("", include("lessons.urls")),
    ]


def test_the_editor_follows_the_mount_point(staff_client, settings):
    # given a host that mounts the editor endpoints somewhere else
    settings.ROOT_URLCONF = HostURLConf

    response = staff_client.get(reverse("admin:stream_lessons_lesson_add"))

    assert 'data-markdownx-urls-path="/cms/editor/markdownify/"' in response.content.decode()


def test_staff_create_a_lesson_with_links_and_tags(staff_client):
    # given a course and a tag
    course = CourseFactory()
    tag = TagFactory(name="python")

    # when staff fill in the add form
    response = staff_client.post(
        reverse("admin:stream_lessons_lesson_add"), lesson_form_data(course, tags=[tag])
    )

    # then the lesson exists with its HTML rendered, its link and its tag
    assert response.status_code == 302, response.context["adminform"].form.errors
    lesson = Lesson.objects.get(slug="variables")
    assert (lesson.course, lesson.status, lesson.xp, lesson.position) == (course, "draft", 15, 3)
    assert "<h2" in lesson.body_html and "A variable names a value." in lesson.body_html
    assert "<em>three</em>" in lesson.exercise_html
    assert list(lesson.tags.all()) == [tag]
    assert list(lesson.links.values_list("title", "url")) == [
        ("Python tutorial", "https://docs.python.org/3/tutorial/")
    ]


def test_tags_keep_the_order_staff_picked_them_in(staff_client):
    # given three tags whose names sort differently from the order wanted on the page
    course = CourseFactory()
    dense, llama, families = (TagFactory(name=n, slug=n) for n in ("dense", "llama", "families"))

    # when staff add a lesson picking them as dense, llama, families, then reorder them
    staff_client.post(
        reverse("admin:stream_lessons_lesson_add"),
        lesson_form_data(course, tags=[dense, llama, families]),
    )
    lesson = Lesson.objects.get(slug="variables")
    first = [tag.name for tag in lesson_tags_in_order(lesson=lesson)]
    staff_client.post(
        reverse("admin:stream_lessons_lesson_change", args=[lesson.pk]),
        lesson_form_data(course, tags=[families, dense], **{"links-TOTAL_FORMS": "0"}),
    )

    # then the lesson lists them in the order picked
    assert first == ["dense", "llama", "families"]
    assert [tag.name for tag in lesson_tags_in_order(lesson=lesson)] == ["families", "dense"]


def test_a_slug_used_in_the_course_is_refused(staff_client):
    existing = LessonFactory(slug="variables")

    response = staff_client.post(
        reverse("admin:stream_lessons_lesson_add"), lesson_form_data(existing.course)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Lesson.objects.count() == 1


def test_editing_the_body_renders_it_again(staff_client):
    lesson = LessonFactory(status=Status.DRAFT)
    url = reverse("admin:stream_lessons_lesson_change", args=[lesson.pk])
    data = lesson_form_data(
        lesson.course,
        title=lesson.title,
        slug=lesson.slug,
        body="# New heading\n",
        **{"links-TOTAL_FORMS": "0"},
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert "New heading" in lesson.body_html
    assert lesson.revision == 2


def test_the_lesson_form_shows_the_derived_fields_read_only(staff_client):
    lesson = LessonFactory()

    response = staff_client.get(reverse("admin:stream_lessons_lesson_change", args=[lesson.pk]))

    form = response.context["adminform"].form
    html = response.content.decode()
    for field in ("uuid", "revision", "reading_minutes_estimate", "published_at"):
        assert field not in form.fields
    assert str(lesson.uuid) in html


def test_view_on_site_opens_a_draft_for_staff(staff_client):
    # given a draft lesson
    lesson = LessonFactory(status=Status.DRAFT)
    change = staff_client.get(reverse("admin:stream_lessons_lesson_change", args=[lesson.pk]))
    assert lesson.get_absolute_url() in change.content.decode()

    # when staff follow the admin's "view on site" link
    response = staff_client.get(
        reverse(
            "admin:view_on_site", args=[ContentType.objects.get_for_model(Lesson).pk, lesson.pk]
        )
    )

    # then they reach the draft's page
    assert response.status_code == 302
    assert response["Location"].endswith(lesson.get_absolute_url())
    assert staff_client.get(lesson.get_absolute_url()).status_code == 200


def test_tags_autocomplete(staff_client):
    TagFactory(name="python")
    TagFactory(name="rust")

    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "stream_lessons",
            "model_name": "lesson",
            "field_name": "tags",
            "term": "pyt",
        },
    )

    assert [row["text"] for row in response.json()["results"]] == ["python"]


# Actions ----------------------------------------------------------------------------------------


def test_publishing_lessons_reports_how_many_changed(staff_client):
    drafts = LessonFactory.create_batch(2, status=Status.DRAFT)
    published = LessonFactory(status=Status.PUBLISHED)

    response = staff_client.post(
        changelist("lesson"),
        {"action": "publish_lessons", "_selected_action": [x.pk for x in [*drafts, published]]},
        follow=True,
    )

    assert set(Lesson.objects.values_list("status", flat=True)) == {Status.PUBLISHED}
    assert all(lesson.published_at for lesson in Lesson.objects.all())
    assert messages_of(response) == ["2 lessons were published. 1 was published already."]


def test_unpublishing_lessons_reports_how_many_changed(staff_client):
    lesson = LessonFactory(status=Status.PUBLISHED)
    untouched = LessonFactory(status=Status.PUBLISHED)

    response = staff_client.post(
        changelist("lesson"),
        {"action": "unpublish_lessons", "_selected_action": [lesson.pk]},
        follow=True,
    )

    lesson.refresh_from_db()
    untouched.refresh_from_db()
    assert (lesson.status, untouched.status) == (Status.DRAFT, Status.PUBLISHED)
    assert messages_of(response) == ["1 lesson was taken back to draft."]


def test_publishing_and_unpublishing_courses(staff_client):
    draft = CourseFactory(status=Status.DRAFT)
    live = CourseFactory(status=Status.PUBLISHED)

    published = staff_client.post(
        changelist("course"),
        {"action": "publish_courses", "_selected_action": [draft.pk, live.pk]},
        follow=True,
    )
    assert messages_of(published) == ["1 course was published."]
    assert set(Course.objects.values_list("status", flat=True)) == {Status.PUBLISHED}

    unpublished = staff_client.post(
        changelist("course"),
        {"action": "unpublish_courses", "_selected_action": [draft.pk, live.pk]},
        follow=True,
    )
    assert messages_of(unpublished) == ["2 courses were taken back to draft."]
    assert set(Course.objects.values_list("status", flat=True)) == {Status.DRAFT}


# Ordering ---------------------------------------------------------------------------------------


def test_reordering_lessons_in_the_course_form(staff_client):
    # given a course with three lessons, in the order a, b, c
    course = CourseFactory(title="Python", slug="python")
    a, b, c = (
        LessonFactory(course=course, slug=slug, position=position)
        for slug, position in (("a", 1), ("b", 2), ("c", 3))
    )
    new_positions = {a: 3, b: 1, c: 2}

    # when the instructor renumbers them in the course's lessons inline
    data = course_form_data(
        course,
        **{
            "lessons-TOTAL_FORMS": "3",
            "lessons-INITIAL_FORMS": "3",
            "lessons-MIN_NUM_FORMS": "0",
            "lessons-MAX_NUM_FORMS": "1000",
        },
    )
    for index, lesson in enumerate((a, b, c)):
        data.update(
            {
                f"lessons-{index}-id": lesson.pk,
                f"lessons-{index}-course": course.pk,
                f"lessons-{index}-title": lesson.title,
                f"lessons-{index}-slug": lesson.slug,
                f"lessons-{index}-position": new_positions[lesson],
                f"lessons-{index}-status": lesson.status,
                f"lessons-{index}-xp": lesson.xp,
            }
        )
    response = staff_client.post(
        reverse("admin:stream_lessons_course_change", args=[course.pk]), data
    )

    # then the course's lessons come in the new order
    assert response.status_code == 302
    assert list(course.lessons.order_by("position").values_list("slug", flat=True)) == [
        "b",
        "c",
        "a",
    ]


def test_the_course_form_lists_its_lessons_in_order_with_change_links(staff_client):
    course = CourseFactory()
    second = LessonFactory(course=course, position=2, title="Second")
    first = LessonFactory(course=course, position=1, title="First")

    response = staff_client.get(reverse("admin:stream_lessons_course_change", args=[course.pk]))

    _translations, _requirements, inline = response.context["inline_admin_formsets"]
    assert [form.original for form in inline] == [first, second]
    assert reverse("admin:stream_lessons_lesson_change", args=[first.pk]) in (
        response.content.decode()
    )


def test_lesson_positions_are_editable_in_the_list(staff_client):
    lesson = LessonFactory(position=1)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": lesson.pk,
        "form-0-position": "7",
        "_save": "Save",
    }

    response = staff_client.post(changelist("lesson"), data)

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.position == 7


# Lists: counts, search, filters -----------------------------------------------------------------


def test_the_course_list_counts_published_lessons(staff_client):
    course = CourseFactory()
    LessonFactory.create_batch(2, course=course, status=Status.PUBLISHED)
    LessonFactory(course=course, status=Status.DRAFT)
    empty = CourseFactory()

    response = staff_client.get(changelist("course"))

    counts = {c: (c.published_lesson_total, c.lesson_total) for c in results(response)}
    assert counts == {course: (2, 3), empty: (0, 0)}


def test_the_tag_list_counts_lessons(staff_client):
    python, rust = TagFactory(name="python"), TagFactory(name="rust")
    LessonFactory.create_batch(2, tags=[python])

    response = staff_client.get(changelist("tag"))

    assert {tag: tag.lesson_total for tag in results(response)} == {python: 2, rust: 0}


@pytest.fixture
def searchable(db):
    python = TagFactory(name="python")
    web = CourseFactory(title="Web development")
    return {
        "title": LessonFactory(title="Closures explained", body="Functions."),
        "body": LessonFactory(title="Scopes", body="A closure keeps its variables."),
        "course": LessonFactory(title="Routing", course=web),
        "tag": LessonFactory(title="Generators", tags=[python]),
        "draft": LessonFactory(title="Draft lesson", status=Status.DRAFT, tags=[python]),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("closure", {"title", "body"}),
        ("web development", {"course"}),
        ("python", {"tag", "draft"}),
    ],
)
def test_lesson_search(staff_client, searchable, query, expected):
    response = staff_client.get(changelist("lesson"), {"q": query})

    assert set(results(response)) == {searchable[key] for key in expected}


def test_lesson_filters(staff_client, searchable):
    by_status = staff_client.get(changelist("lesson"), {"status__exact": Status.DRAFT})
    by_course = staff_client.get(
        changelist("lesson"), {"course__id__exact": searchable["course"].course_id}
    )
    by_tag = staff_client.get(
        changelist("lesson"), {"tags__id__exact": Tag.objects.get(name="python").pk}
    )

    assert results(by_status) == [searchable["draft"]]
    assert results(by_course) == [searchable["course"]]
    assert set(results(by_tag)) == {searchable["tag"], searchable["draft"]}


def test_course_search_and_status_filter(staff_client):
    python = CourseFactory(title="Python basics", status=Status.PUBLISHED)
    CourseFactory(title="Rust basics", status=Status.DRAFT)

    searched = staff_client.get(changelist("course"), {"q": "python"})
    filtered = staff_client.get(changelist("course"), {"status__exact": Status.PUBLISHED})

    assert results(searched) == [python]
    assert results(filtered) == [python]


# Query counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 20])
def test_the_lesson_list_query_count_does_not_grow(staff_client, django_assert_num_queries, size):
    # given lessons in two courses, each with tags
    tags = TagFactory.create_batch(3)
    courses = CourseFactory.create_batch(2)
    for index in range(size):
        LessonFactory(course=courses[index % 2], tags=tags[: index % 3 + 1])

    # when staff open the list: session, user, filtered count, total count, the page of lessons
    # with their courses, their tags, their variants' languages, the course filter's courses,
    # the tag filter's tags
    with django_assert_num_queries(9):
        response = staff_client.get(changelist("lesson"))

    assert len(results(response)) == size


@pytest.mark.parametrize("size", [2, 20])
def test_the_course_list_query_count_does_not_grow(staff_client, django_assert_num_queries, size):
    for _ in range(size):
        LessonFactory(course=CourseFactory())

    # session, user, filtered count, total count, the page of courses with their counts
    with django_assert_num_queries(5):
        response = staff_client.get(changelist("course"))

    assert len(results(response)) == size


def test_a_link_typed_without_a_scheme_is_https_and_the_form_warns_of_nothing():
    # Django 5.2 warns that its URL fields will stop assuming http:// (Django 6 assumes https://)
    import warnings

    from lessons.forms import LessonLinkAdminForm

    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Form(LessonLinkAdminForm):  # its fields are made as the class is
            class Meta(LessonLinkAdminForm.Meta):
                pass

    form = Form(data={"title": "Docs", "url": "docs.python.org/3/", "position": 1})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["url"] == "https://docs.python.org/3/"
