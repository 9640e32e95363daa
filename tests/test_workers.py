"""Two gunicorn workers, each with its own cache: a write made through one worker, or by
another process, shows on the next request whichever worker answers it (issue 12).

The demo runs under gunicorn with two workers (tests/live.py): on SQLite with each worker's
local-memory cache, or on PostgreSQL and Redis when ``DATABASE_URL`` and ``REDIS_URL`` are set
(the CI's second leg). Before each write, both workers have served — and so cached — the page;
after it, requests go on until both workers have answered at least once, and every answer
must show the write. A page cache whose freshness lived in one worker's memory fails this.
"""

import re

import pytest

from tests.live import Site, csrf_token, seed

LESSONS = ["saved", "bulk", "imported", "inside", "commented", "plain", "moderated"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("workers"))
    try:
        site.data = seed(site, LESSONS, own_course=["imported", "inside"])
        site.start()
        yield site
    finally:
        site.close()


def lesson_path(slug: str) -> str:
    course = f"course-{slug}" if slug in ("imported", "inside") else "deep"
    return f"/courses/{course}/{slug}/"


def as_user(site, who: str):
    return site.browser(cookies={site.data["cookie"]: site.data["sessions"][who]})


def both_workers(site, path: str, *, at_least: int = 10):
    """Anonymous answers for ``path``: at least ``at_least``, and until both workers answered."""
    browser = site.browser()
    answers = []
    for _ in range(200):
        answers.append(browser.get(path))
        workers = {answer.worker for answer in answers}
        if len(answers) >= at_least and len(workers) == 2:
            return answers
    raise AssertionError(f"only worker {workers} answered {len(answers)} requests for {path}")


def texts(answers, *, status=200):
    assert [answer.status for answer in answers] == [status] * len(answers)
    return [answer.text for answer in answers]


def test_both_workers_answer_and_cache_shared_pages(site):
    # given the demo under two workers (on the database and cache the environment names)
    answers = both_workers(site, lesson_path("plain"))

    # then both serve the same shared page, with validators a proxy may revalidate with
    assert len({answer.worker for answer in answers}) == 2, site.backends
    assert len({answer.headers["ETag"] for answer in answers}) == 1
    assert all("public" in answer.headers["Cache-Control"] for answer in answers)


def test_an_admin_save_shows_on_every_worker(site):
    path = lesson_path("saved")
    assert all("Lesson saved" in text for text in texts(both_workers(site, path)))
    lesson_id = site.data["lessons"]["saved"]

    # when staff change the lesson's title in the admin (through one of the workers)
    answer = as_user(site, "staff").submit(
        f"/admin/stream_lessons/lesson/{lesson_id}/change/",
        {"title": "Renamed in the admin"},
        form="lesson_form",
    )
    assert answer.status == 302, re.findall(r'class="errorlist[^"]*">(.*?)</ul>', answer.text)

    # then every following answer, from either worker, has the new title and not the old
    for text in texts(both_workers(site, path)):
        assert "Renamed in the admin" in text
        assert "Lesson saved" not in text


def test_an_admin_bulk_unpublish_is_a_404_on_every_worker(site):
    path = lesson_path("bulk")
    texts(both_workers(site, path))
    staff = as_user(site, "staff")
    changelist = "/admin/stream_lessons/lesson/"

    # when staff unpublish the lesson with the changelist's bulk action
    answer = staff.post(
        changelist,
        {
            "csrfmiddlewaretoken": csrf_token(staff.get(changelist)),
            "action": "unpublish_lessons",
            "_selected_action": site.data["lessons"]["bulk"],
            "index": "0",
        },
    )
    assert answer.status == 302

    # then no worker serves it any more
    texts(both_workers(site, path), status=404)


def test_import_lessons_in_another_process_is_seen_by_every_worker(site, tmp_path):
    path = lesson_path("imported")
    texts(both_workers(site, path))

    # when the lesson's file says "draft" and import_lessons runs in a process of its own
    site.manage("export_lessons", str(tmp_path / "files"))
    (lesson_file,) = (tmp_path / "files" / "course-imported").glob("*-imported.md")
    source = lesson_file.read_text(encoding="utf-8")
    assert "\nstatus: published\n" in source
    lesson_file.write_text(source.replace("\nstatus: published\n", "\nstatus: draft\n"))
    for other in (tmp_path / "files").iterdir():
        if other.name != "course-imported":  # leave what other tests changed alone
            for file in other.iterdir():
                file.unlink()
            other.rmdir()
    site.manage("import_lessons", str(tmp_path / "files"))

    # then every worker answers 404
    texts(both_workers(site, path), status=404)


def test_a_course_unpublished_in_the_admin_hides_its_lessons_on_every_worker(site):
    path = lesson_path("inside")
    texts(both_workers(site, path))
    staff = as_user(site, "staff")
    changelist = "/admin/stream_lessons/course/"
    course_id = re.search(
        r"/admin/stream_lessons/course/(\d+)/change/[^>]*>Course inside<",
        staff.get(changelist).text,
    )[1]

    # when staff unpublish the lesson's course (a bulk update() that sends no signal)
    answer = staff.post(
        changelist,
        {
            "csrfmiddlewaretoken": csrf_token(staff.get(changelist)),
            "action": "unpublish_courses",
            "_selected_action": course_id,
            "index": "0",
        },
    )
    assert answer.status == 302

    # then the lesson and its course page are 404 on every worker
    texts(both_workers(site, path), status=404)
    texts(both_workers(site, "/courses/course-inside/"), status=404)


def test_a_comment_posted_through_one_worker_shows_on_every_worker(site):
    path = lesson_path("commented")
    assert not any("Seen by both workers" in text for text in texts(both_workers(site, path)))
    lesson_id = site.data["lessons"]["commented"]

    # when the learner posts a comment from its form page (the page without JavaScript)
    answer = as_user(site, "learner").submit(
        f"/comments/lessons/{lesson_id}/write/",
        {"body": "Seen by both workers"},
        form=f"/comments/lessons/{lesson_id}/",
    )
    assert answer.status in (302, 303), answer.text[:500]

    # then every following answer shows it
    for text in texts(both_workers(site, path)):
        assert "Seen by both workers" in text


def test_a_comment_hidden_and_shown_again_by_staff_follows_on_every_worker(site):
    path = lesson_path("moderated")
    remark = "A remark to moderate"
    assert all(remark in text for text in texts(both_workers(site, path)))
    staff = as_user(site, "staff")
    comment = site.data["comment"]

    # when staff hide the comment
    token = csrf_token(staff.get("/admin/"))
    answer = staff.post(f"/comments/{comment}/hide/", {"csrfmiddlewaretoken": token})
    assert answer.status == 302

    # then no worker shows it
    assert not any(remark in text for text in texts(both_workers(site, path)))

    # and when they show it again, every worker does
    answer = staff.post(f"/comments/{comment}/unhide/", {"csrfmiddlewaretoken": token})
    assert answer.status == 302
    assert all(remark in text for text in texts(both_workers(site, path)))


LEVEL_NAME = re.compile(r'data-progress-field="level_name"[^>]*>([^<]*)<')


def test_a_level_renamed_in_the_admin_shows_in_every_workers_status_bar(site):
    path = lesson_path("plain")
    before = {LEVEL_NAME.search(text)[1] for text in texts(both_workers(site, path))}
    assert before == {"Novice Tinkerer"}
    staff = as_user(site, "staff")
    level_id = re.search(
        r"/admin/stream_progress/level/(\d+)/change/",
        staff.get("/admin/stream_progress/level/").text,
    )[1]

    # when staff rename level 0
    answer = staff.submit(
        f"/admin/stream_progress/level/{level_id}/change/",
        {"name": "Seasoned Tinkerer"},
        form="level_form",
    )
    assert answer.status == 302

    # then an anonymous visitor's status bar names it on every worker ("Level 0 · <name>")
    after = {LEVEL_NAME.search(text)[1] for text in texts(both_workers(site, path))}
    assert after == {"Seasoned Tinkerer"}

    # when they name it in Korean, in the page's first row of names per language (Korean)
    answer = staff.submit(
        f"/admin/stream_progress/level/{level_id}/change/",
        {"translations-0-name": "노련한 땜장이"},
        form="level_form",
    )
    assert answer.status == 302

    # then every worker's Korean page names it in Korean, and the English page as before
    korean = {LEVEL_NAME.search(text)[1] for text in texts(both_workers(site, path))}
    english = {LEVEL_NAME.search(text)[1] for text in texts(both_workers(site, f"/en{path}"))}
    assert (korean, english) == ({"노련한 땜장이"}, {"Seasoned Tinkerer"})
