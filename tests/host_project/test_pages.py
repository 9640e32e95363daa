"""Stream's pages inside Acme Academy: its layout, its block names, /learn/, its sign-in."""

import pytest
from django.apps import apps
from django.test import Client
from django.urls import NoReverseMatch, reverse

from comments.models import Comment, ProblemReport
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db


def lesson_url(lesson):
    return reverse(
        "stream_lessons:lesson", kwargs={"course": lesson.course.slug, "lesson": lesson.slug}
    )


def test_stream_is_mounted_under_learn_without_allauth():
    # given the host's URLconf with one include of lessons.site_urls under /learn/
    # then every Stream page and the API live under /learn/, and allauth is nowhere
    assert reverse("stream_lessons:catalogue") == "/learn/"
    assert reverse("stream_progress:overview") == "/learn/me/progress/"
    assert reverse("stream_comments:notifications") == "/learn/me/notifications/"
    assert reverse("stream_progress_api:sync") == "/learn/api/v1/progress/sync/"
    assert reverse("stream_comments_api:notifications") == "/learn/api/v1/notifications/"
    assert reverse("markdownx_upload") == "/learn/markdownx/upload/"
    assert not apps.is_installed("allauth")
    with pytest.raises(NoReverseMatch):
        reverse("account_login")


def test_catalogue_renders_in_the_hosts_layout_with_its_block_names(client, course):
    # when a visitor opens the catalogue
    html = client.get("/learn/").content.decode()
    # then the host's layout frames it: its masthead and footer, our title in its page_title
    assert '<a class="acme-logo" href="/">Acme Academy</a>' in html
    assert "<title>Courses · Acme Academy</title>" in html
    assert "learning since 1999" in html
    # Stream's stylesheets went into the host's head_extra block, our content into its body
    assert html.index("stream/lessons/stream.css") < html.index("</head>")
    assert html.index('<div class="stream-page">') > html.index('<main class="acme-page"')
    assert "Welding basics" in html
    # and Stream's own header is not there
    assert "site-header" not in html


def test_the_hosts_template_overrides_a_page(client, course):
    # given templates/stream/lessons/catalogue.html in the host, extending ours
    html = client.get("/learn/").content.decode()
    # then the host's version wins and ours still renders inside it
    assert 'data-acme-override="page"' in html
    assert "Every Acme course is free for members." in html
    assert 'href="/learn/courses/welding/"' in html


def test_the_hosts_template_overrides_a_partial(client, lessons):
    # given the host's stream/lessons/includes/lesson_exercise.html
    html = client.get(lesson_url(lessons[1])).content.decode()
    # then the lesson page uses it for the exercise
    assert 'data-acme-override="partial"' in html
    assert "Homework" in html
    assert "Weld two plates." in html
    assert 'id="stream-exercise"' not in html


def test_lesson_page_has_every_section_and_signs_in_through_the_host(client, lessons):
    # when a visitor opens a lesson
    lesson = lessons[1]
    url = lesson_url(lesson)
    response = client.get(url)
    html = response.content.decode()
    # then the page is whole: heading, status bar, progress, report, comments, scripts
    assert response.status_code == 200
    assert "<title>Weld 2 · Welding basics · Acme Academy</title>" in html
    assert "Lesson 02 of 03" in html
    assert "data-progress-status" in html
    assert 'id="progress"' in html
    assert 'id="report"' in html
    assert 'id="comments"' in html
    assert "stream/progress/progress.js" in html
    assert html.index("stream/progress/progress.js") > html.index("learning since 1999")
    # and every sign-in link goes to the host's own sign-in page, back to this lesson
    assert f'href="/members/sign-in/?next={url.replace("/", "%2F")}%23progress"' in html
    assert f'href="/members/sign-in/?next={url.replace("/", "%2F")}%23comments"' in html
    assert "/accounts/" not in html
    # no sign-up link either: the host has no allauth sign-up page
    assert "Create an account" not in html


def test_the_hosts_sign_in_returns_to_the_lesson(client, lessons, member):
    # given the sign-in link of a lesson page
    url = lesson_url(lessons[0])
    sign_in = client.get(f"/members/sign-in/?next={url}%23progress")
    assert sign_in.status_code == 200
    # when the member signs in there
    response = client.post(
        "/members/sign-in/",
        {"email": "ada@acme.test", "password": "correct horse battery staple", "next": url},
    )
    # then they are back on the lesson, signed in, named by their nickname
    assert response.status_code == 302
    assert response["Location"] == url
    # (Acme's enrolment rule makes its lesson pages private, rendered with its layout's member)
    html = client.get(url).content.decode()
    assert '<span class="acme-member" data-acme-member>Ada</span>' in html


def test_anonymous_mark_complete_is_sent_to_the_hosts_sign_in(client, lessons):
    # when a visitor without JavaScript presses "Mark as complete"
    url = reverse("stream_progress:lesson_complete", args=[lessons[0].pk])
    response = client.post(url)
    # then they are sent to the host's sign-in page and back to the lesson's progress section
    assert response.status_code == 302
    assert response["Location"].startswith("/members/sign-in/?next=/learn/courses/welding/w1/")


def test_member_marks_a_lesson_complete(client, lessons, member):
    # given a signed-in member
    client.force_login(member)
    # when they mark a lesson complete with the plain form
    response = client.post(reverse("stream_progress:lesson_complete", args=[lessons[0].pk]))
    # then it is recorded, and a page of its own says so and leads back to the lesson
    html = response.content.decode()
    assert "You completed this lesson." in html
    assert f'href="{lesson_url(lessons[0])}#progress"' in html
    overview = client.get(reverse("stream_progress:overview")).content.decode()
    assert "Weld 1" in overview


def test_progress_kept_in_the_browser_syncs_after_sign_in(client, lessons, member):
    # given events a browser kept before its owner signed in
    client.force_login(member)
    events = [
        {
            "id": "8f0a6f1e-8a5e-4c49-9a39-1f0c2b1d7e01",
            "type": "lesson_completed",
            "lesson": lessons[0].pk,
            "at": "2026-11-28T09:30:00+01:00",
        },
        {
            "id": "8f0a6f1e-8a5e-4c49-9a39-1f0c2b1d7e02",
            "type": "lesson_completed",
            "lesson": lessons[1].pk,
            "at": "2026-11-28T09:40:00+01:00",
        },
    ]
    # when the page posts them to the sync endpoint under /learn/api/v1/
    response = client.post(
        reverse("stream_progress_api:sync"), {"events": events}, content_type="application/json"
    )
    # then both apply and the member's state counts them
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert body["state"]["xp"] == 30
    assert {c["lesson"] for c in body["state"]["completed"]} == {lessons[0].pk, lessons[1].pk}


def test_post_and_reply_notify_with_the_hosts_names_and_avatars(
    client, lessons, member, other_member, django_capture_on_commit_callbacks
):
    lesson = lessons[0]
    # given Ada's comment (posting turns her reply notifications on)
    client.force_login(member)
    response = client.post(
        reverse("stream_comments:post", args=[lesson.pk]), {"body": "How hot should it be?"}
    )
    assert response.status_code == 302
    comment = Comment.objects.get(lesson=lesson)
    # when Bora replies to it (its notifications are made once the request commits)
    client.force_login(other_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stream_comments:post", args=[lesson.pk]),
            {"body": "Hot enough.", "parent": comment.pk},
        )
    assert response.status_code == 302
    # then the page names both by their nickname, shows Ada's avatar, and never an email
    html = client.get(lesson_url(lesson)).content.decode()
    assert '<span class="stream-comment__author">Ada</span>' in html
    assert '<span class="stream-comment__author">Bora</span>' in html
    assert 'src="https://acme.test/a.png"' in html
    assert "@acme.test" not in html
    # and Ada is notified of the reply on her notifications page
    client.force_login(member)
    notifications = client.get(reverse("stream_comments:notifications")).content.decode()
    assert "Bora replied in “Weld 1”" in notifications
    assert "<title>Notifications · Acme Academy</title>" in notifications


def test_a_visitor_reports_a_problem(client, lessons):
    lesson = lessons[0]
    # when a visitor sends the report form
    response = client.post(
        reverse("stream_comments:report", args=[lesson.pk]),
        {"kind": "bug", "message": "The second picture is missing.", "section": ""},
    )
    # then the report is filed and a page of its own thanks them, with the way back
    assert response.status_code == 200
    assert f'href="{lesson_url(lesson)}"' in response.content.decode()
    report = ProblemReport.objects.get(lesson=lesson)
    assert report.message == "The second picture is missing."
    assert report.reporter is None


def test_comment_author_search_in_the_admin_uses_the_hosts_login_field(client, lessons, member):
    # given a staff member of the host and a comment by Ada
    from tests.factories import StaffFactory

    CommentFactory(lesson=lessons[0], author=member)
    client.force_login(StaffFactory())
    # when staff search comments by Ada's email (the model has no username to search)
    response = client.get("/admin/stream_comments/comment/", {"q": "ada@acme.test"})
    # then the search works and finds her comment
    assert response.status_code == 200
    assert "1 comment" in response.content.decode()


def test_the_host_passes_every_stream_check():
    from django.core import checks

    errors = [m.id for m in checks.run_checks() if m.level >= checks.ERROR]
    assert errors == []


def test_a_refused_comment_comes_back_in_the_hosts_layout(client, lessons, member):
    # given a member without JavaScript who sends an empty comment
    client.force_login(member)
    response = client.post(reverse("stream_comments:post", args=[lessons[0].pk]), {"body": "  "})
    # then the form comes back with its error, inside the academy's layout
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a class="acme-logo" href="/">Acme Academy</a>' in html
    assert "Your comment was not posted" in html
    assert "errorlist" in html or "stream-form-errors" in html


def test_my_progress_page_in_the_hosts_layout(client, lessons, member):
    client.force_login(member)
    html = client.get(reverse("stream_progress:overview")).content.decode()
    assert "<title>My progress · Acme Academy</title>" in html
    assert '<div class="stream-page">' in html


def test_the_api_schema_and_docs_page_live_under_learn(client):
    schema = client.get("/learn/api/v1/schema/")
    assert schema.status_code == 200
    assert "/learn/api/v1/progress/sync/" in schema.content.decode()
    assert client.get("/learn/api/v1/docs/").status_code == 200


def test_every_stream_admin_list_works_with_the_hosts_user_model(client, lessons, member):
    # given the academy's staff, a comment, a completion and a report by Ada
    from django.contrib import admin

    from progress import services as progress_services
    from tests.factories import ProblemReportFactory, StaffFactory

    CommentFactory(lesson=lessons[0], author=member)
    ProblemReportFactory(lesson=lessons[0], reporter=member)
    progress_services.completion_record(user=member, lesson=lessons[0])
    client.force_login(StaffFactory())
    # when staff open and search every Stream list in the admin
    stream_models = [
        model for model in admin.site._registry if model._meta.app_label.startswith("stream_")
    ]
    assert len(stream_models) > 5
    for model in stream_models:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        # then each answers, searching by the member's email where it can
        assert client.get(url).status_code == 200, url
        assert client.get(url, {"q": "ada@acme.test"}).status_code == 200, url


def test_with_acmes_enrolment_rule_lesson_pages_are_private(lessons):
    # Acme's adapter decides who sees which lesson (lessons_for_user): no shared copy may exist.
    response = Client().get(lesson_url(lessons[1]))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "ETag" not in response


def test_with_the_default_adapter_the_hosts_lesson_page_is_shared_and_revalidated(
    lessons, settings
):
    # given Acme without its enrolment rule, as a host without one would be
    settings.STREAM = {**settings.STREAM, "ADAPTER": "lessons.adapter.StreamAdapter"}
    url = lesson_url(lessons[1])
    # when a visitor asks twice, the second time with the page's ETag
    first = Client().get(url)
    again = Client().get(url, headers={"if-none-match": first["ETag"]})
    # then the page may be kept by shared caches, and the browser's copy is confirmed
    assert first.status_code == 200
    assert "public" in first["Cache-Control"]
    assert again.status_code == 304
    # and the host keeps no language in a cookie (no LocaleMiddleware): nothing varies by cookie
    assert "Cookie" not in first.get("Vary", "")
