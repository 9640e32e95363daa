"""``manage.py bench_data --scale N``: a deterministic data set for ``make bench``.

Scale 1 is about the demo: its 8 courses and 41 lessons (rendered once by the lesson-file
import), 20 learners with completions, XP and achievements, a few comments on every lesson, and
one lesson with 1,000 comments in 40 threads down to the depth cap. Scale N copies the courses N
times and has 20 × N learners; copies reuse the rendered HTML, so scale 100 (4,100 lessons,
2,000 learners) takes seconds, not the minutes that rendering 4,100 lessons would.

Run it on an empty database. It writes a JSON manifest with what the load scripts need: lesson
ids and addresses, the 1,000-comment lesson, signed-in sessions (session keys and a CSRF
token) for a number of learners, and the viewer endpoint's address as the lesson page's
``#stream-viewer-config`` block gives it to the page's script.
"""

import json
import random
import re
import secrets
import string
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils.module_loading import import_string

from comments.models import Comment, CommentStatus, ReplySubscription
from lessons.conf import lessons_settings
from lessons.lesson_files import lessons_import
from lessons.markdown import render_comment_markdown
from lessons.models import Course, Lesson, LessonLink, Tag
from progress.models import (
    AchievementAward,
    CompletionEvent,
    LearnerProfile,
    LessonCompletion,
    XPEntry,
)
from progress.rules import History, award_times
from progress.selectors import (
    achievements_with_award,
    learner_time_zone,
    lesson_facts,
    needs_tags,
    rules_build,
)
from progress.services import (
    EVENT_LESSON_COMPLETED,
    achievement_xp_key,
    definitions_load,
    lesson_xp_key,
    payload_hash,
)

from .load_demo import DEMO_CONTENT, PROGRESS_FILE_NAME

LEARNERS_PER_SCALE = 20
BIG_LESSON = {"course": "dense-families", "lesson": "llama"}
PLAIN_LESSON = {"course": "transformer-foundations", "lesson": "self-attention"}
BIG_THREADS = 40  # 40 threads × 25 comments: all 1,000 on the first page (50 threads a page)
THREAD_SHAPE = (1, 4, 8, 12)  # comments at depth 0, 1, 2 and 3 in each thread
COMMENTS_PER_LESSON = 3
PASSWORD = "bench-password"  # noqa: S105 (bench learners on a throw-away database)
EPOCH = datetime(2026, 9, 1, tzinfo=UTC)

COMMENT_BODIES = [
    "GQA 에서 KV head 수를 줄이면 **메모리**가 얼마나 줄어드는지 계산해 봤어요: "
    "`n_kv_heads=8` 이면 1/4 입니다.",
    "RoPE 의 base frequency 를 바꾸면 긴 context 에서 어떻게 되나요? "
    "[이 글](https://example.com/rope) 도 참고했습니다.",
    "좋은 정리 감사합니다. 한 가지 질문: SwiGLU 의 hidden size 가 왜 *8/3 d* 인가요?",
    "저도 같은 부분이 헷갈렸는데,\n\n1. 파라미터 수를 맞추기 위해서\n2. 하드웨어 효율 때문에\n\n"
    "라고 이해했어요.",
    "```python\nn_params = 2 * d_model * d_ff * n_layers\n```\n이렇게 세면 맞나요?",
    "Exercise 3 번 답을 공유합니다. instruction following 이 확실히 좋아졌어요.",
]


class Command(BaseCommand):
    help = "Create the benchmark data set (scale N) and write its manifest for make bench."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="Size factor: 1, 10, 100.")
        parser.add_argument(
            "--sessions", type=int, default=200, help="Signed-in sessions to create for load."
        )
        parser.add_argument(
            "--manifest", default="bench-manifest.json", help="Where to write the manifest."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (deterministic).")

    def handle(self, *args, scale, sessions, manifest, seed, **options):
        if scale < 1:
            raise CommandError("--scale must be 1 or more.")
        if Lesson.objects.exists() or get_user_model()._default_manager.exists():
            raise CommandError("bench_data needs an empty database (migrate a fresh one).")
        started = time.monotonic()
        rng = random.Random(seed)
        with transaction.atomic():
            lessons = self._lessons(scale, rng)
            learners = self._learners(scale)
            self._progress(learners, lessons, rng)
            big = self._lesson_by_slugs(**BIG_LESSON)
            plain = self._lesson_by_slugs(**PLAIN_LESSON)
            comments = self._comments(big, lessons, learners, rng)
        with connection.cursor() as cursor:
            # Statistics for the planner (PostgreSQL) and the query optimiser (SQLite), which a
            # database filled in one go has none of until its autovacuum gets to it.
            cursor.execute("ANALYZE")
        data = self._manifest(scale, lessons, big, plain, learners[:sessions], comments)
        data["seconds"] = round(time.monotonic() - started, 1)
        Path(manifest).write_text(json.dumps(data, indent=1), encoding="utf-8")
        self.stdout.write(
            f"Scale {scale}: {data['counts']['lessons']} lessons, "
            f"{data['counts']['learners']} learners, {data['counts']['comments']} comments, "
            f"{data['counts']['completions']} completions in {data['seconds']} s → {manifest}"
        )

    # --- Lessons ----------------------------------------------------------------------------

    def _lessons(self, scale, rng) -> list[Lesson]:
        """The demo content, imported (and rendered) once, then copied ``scale - 1`` times."""
        lessons_import(directory=DEMO_CONTENT)
        definitions = yaml.safe_load((DEMO_CONTENT / PROGRESS_FILE_NAME).read_text("utf-8"))
        definitions_load(levels=definitions["levels"], achievements=definitions["achievements"])
        courses = list(Course.objects.order_by("position", "id"))
        originals = list(Lesson.objects.select_related("course").order_by("id"))
        links = list(LessonLink.objects.order_by("id"))
        tag_rows = list(Lesson.tags.through.objects.order_by("id"))
        position_step = max(course.position for course in courses) + 1
        for copy in range(1, scale):
            new_courses = Course.objects.bulk_create(
                Course(
                    uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                    title=f"{course.title} ({copy + 1})",
                    slug=f"{course.slug}-{copy + 1}",
                    summary=course.summary,
                    position=course.position + copy * position_step,
                    status=course.status,
                )
                for course in courses
            )
            course_map = {old.pk: new.pk for old, new in zip(courses, new_courses, strict=True)}
            new_lessons = Lesson.objects.bulk_create(
                Lesson(
                    uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                    course_id=course_map[lesson.course_id],
                    title=lesson.title,
                    slug=lesson.slug,
                    position=lesson.position,
                    status=lesson.status,
                    body=lesson.body,
                    exercise=lesson.exercise,
                    xp=lesson.xp,
                    body_html=lesson.body_html,
                    exercise_html=lesson.exercise_html,
                    search_text=lesson.search_text,
                    reading_minutes_estimate=lesson.reading_minutes_estimate,
                    reading_minutes_override=lesson.reading_minutes_override,
                    published_at=lesson.published_at,
                )
                for lesson in originals
            )
            lesson_map = {old.pk: new.pk for old, new in zip(originals, new_lessons, strict=True)}
            LessonLink.objects.bulk_create(
                LessonLink(
                    lesson_id=lesson_map[link.lesson_id],
                    title=link.title,
                    url=link.url,
                    position=link.position,
                )
                for link in links
            )
            copy_tag = Tag.objects.create(name=f"set {copy + 1}", slug=f"set-{copy + 1}")
            Lesson.tags.through.objects.bulk_create(
                [
                    Lesson.tags.through(lesson_id=lesson_map[row.lesson_id], tag_id=row.tag_id)
                    for row in tag_rows
                ]
                + [Lesson.tags.through(lesson_id=new.pk, tag_id=copy_tag.pk) for new in new_lessons]
            )
        return list(Lesson.objects.published().order_by("id"))

    def _lesson_by_slugs(self, *, course, lesson) -> Lesson:
        return Lesson.objects.select_related("course").get(course__slug=course, slug=lesson)

    # --- Learners and progress --------------------------------------------------------------

    def _learners(self, scale) -> list[int]:
        user_model = get_user_model()
        password = make_password(PASSWORD)  # hashed once: PBKDF2 per learner would take minutes
        username = user_model.USERNAME_FIELD
        user_model._default_manager.bulk_create(
            user_model(
                **{username: f"learner{index:05d}"},
                email=f"learner{index:05d}@bench.example.com",
                password=password,
                first_name=f"Learner {index}",
            )
            for index in range(1, LEARNERS_PER_SCALE * scale + 1)
        )
        return list(user_model._default_manager.order_by("pk").values_list("pk", flat=True))

    def _progress(self, learners, lessons, rng) -> None:
        """Completions with their event log, XP rows, awards and profiles, written in bulk.

        Awards come from the progress app's own rules engine (``award_times``), evaluated once
        per learner in memory against the catalogue read once; each learner's cached XP total
        is the sum of the ledger rows written for them.
        """
        active = [a for a in achievements_with_award() if a.active]
        published, _ = lesson_facts(with_tags=needs_tags(active))
        rules = rules_build(active, published)
        by_slug = {achievement.slug: achievement for achievement in active}
        zone = learner_time_zone(None)
        completions, events, ledger, awards, profiles = [], [], [], [], []
        for learner_id in learners:
            done = rng.sample(lessons, k=min(len(lessons), rng.randint(0, 30)))
            times, xps = {}, {}
            for lesson in done:
                at = EPOCH + timedelta(minutes=rng.randint(0, 60 * 24 * 80))
                times[lesson.pk], xps[lesson.pk] = at, lesson.xp
                completions.append(
                    LessonCompletion(
                        learner_id=learner_id, lesson_id=lesson.pk, completed_at=at, xp=lesson.xp
                    )
                )
                events.append(
                    CompletionEvent(
                        learner_id=learner_id,
                        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        payload_hash=payload_hash(
                            kind=EVENT_LESSON_COMPLETED, lesson_id=lesson.pk, at=at
                        ),
                        lesson_id=lesson.pk,
                        completed_at=at,
                    )
                )
                ledger.append(
                    XPEntry(learner_id=learner_id, key=lesson_xp_key(lesson.pk), amount=lesson.xp)
                )
            history = History(
                completions=times,
                completion_xp=xps,
                time_zone=zone,
                activity=list(times.items()),
            )
            total = sum(xps.values())
            for slug, moment in award_times(rules=rules, history=history).items():
                achievement = by_slug[slug]
                awards.append(
                    AchievementAward(
                        learner_id=learner_id,
                        achievement=achievement,
                        awarded_at=moment,
                        xp=achievement.xp,
                    )
                )
                ledger.append(
                    XPEntry(
                        learner_id=learner_id, key=achievement_xp_key(slug), amount=achievement.xp
                    )
                )
                total += achievement.xp
            profiles.append(LearnerProfile(user_id=learner_id, xp=total))
        for model, rows in [
            (LessonCompletion, completions),
            (CompletionEvent, events),
            (XPEntry, ledger),
            (AchievementAward, awards),
            (LearnerProfile, profiles),
        ]:
            model.objects.bulk_create(rows, batch_size=2000)

    # --- Comments ---------------------------------------------------------------------------

    def _comments(self, big, lessons, learners, rng) -> int:
        rendered = [(body, render_comment_markdown(body)) for body in COMMENT_BODIES]
        max_depth = len(THREAD_SHAPE) - 1
        cap = int(settings.STREAM.get("COMMENTS_MAX_DEPTH", 3))
        if cap < max_depth:
            raise CommandError(f"COMMENTS_MAX_DEPTH is {cap}; the 1,000-comment lesson needs 3.")

        def comment(lesson_id, parent=None):
            body, html = rng.choice(rendered)
            return Comment(
                lesson_id=lesson_id,
                author_id=rng.choice(learners),
                parent=parent,
                root_id=(parent.root_id or parent.pk) if parent else None,
                depth=parent.depth + 1 if parent else 0,
                body=body,
                body_html=html,
                status=CommentStatus.PUBLISHED,
            )

        level = Comment.objects.bulk_create(comment(big.pk) for _ in range(BIG_THREADS))
        for depth in range(1, max_depth + 1):
            per_parent = THREAD_SHAPE[depth] // THREAD_SHAPE[depth - 1]
            extra = THREAD_SHAPE[depth] % THREAD_SHAPE[depth - 1]
            children = []
            for index, parent in enumerate(level):
                count = per_parent + (1 if index % THREAD_SHAPE[depth - 1] < extra else 0)
                children += [comment(big.pk, parent) for _ in range(count)]
            level = Comment.objects.bulk_create(children)
        others = [lesson for lesson in lessons if lesson.pk != big.pk]
        Comment.objects.bulk_create(
            (comment(lesson.pk) for lesson in others for _ in range(COMMENTS_PER_LESSON)),
            batch_size=2000,
        )
        authors = set(Comment.objects.filter(lesson=big).values_list("author_id", flat=True))
        ReplySubscription.objects.bulk_create(
            ReplySubscription(user_id=author, lesson_id=big.pk) for author in sorted(authors)
        )
        return Comment.objects.count()

    # --- Manifest ---------------------------------------------------------------------------

    def _sessions(self, learner_ids) -> list[dict]:
        engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
        backend = settings.AUTHENTICATION_BACKENDS[0]
        users = get_user_model()._default_manager.filter(pk__in=learner_ids).order_by("pk")
        sessions = []
        for user in users:
            store = engine()
            store[SESSION_KEY] = user._meta.pk.value_to_string(user)
            store[BACKEND_SESSION_KEY] = backend
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            sessions.append({"id": user.pk, "session": store.session_key})
        return sessions

    @staticmethod
    def _viewer_config(page) -> dict:
        if page.status_code != 200:
            return {"url": None}  # the bench stops on the page's status, which says more
        found = re.search(
            rb'<script[^>]*id="stream-viewer-config"[^>]*>(.*?)</script>', page.content, re.S
        )
        if found is None:
            raise CommandError("The lesson page has no #stream-viewer-config block.")
        return json.loads(found.group(1))

    def _manifest(self, scale, lessons, big, plain, learner_ids, comments) -> dict:
        alphabet = string.ascii_letters + string.digits
        csrf = "".join(secrets.choice(alphabet) for _ in range(32))
        anonymous_page = Client(raise_request_exception=False).get(
            plain.get_absolute_url(), secure=True
        )
        counts = {
            "courses": Course.objects.count(),
            "lessons": Lesson.objects.count(),
            "published_lessons": len(lessons),
            "tags": Tag.objects.count(),
            "learners": get_user_model()._default_manager.count(),
            "completions": LessonCompletion.objects.count(),
            "xp_entries": XPEntry.objects.count(),
            "completion_events": CompletionEvent.objects.count(),
            "awards": AchievementAward.objects.count(),
            "comments": comments,
            "big_lesson_comments": Comment.objects.filter(lesson=big).count(),
        }
        return {
            "scale": scale,
            "counts": counts,
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "csrf_header": "X-CSRFToken",
            "csrf_token": csrf,
            "lesson": {"id": plain.pk, "url": plain.get_absolute_url()},
            "big_lesson": {"id": big.pk, "url": big.get_absolute_url()},
            "lesson_page_status": anonymous_page.status_code,
            "lesson_page_bytes": len(anonymous_page.content),
            "viewer_url": self._viewer_config(anonymous_page)["url"],
            "viewer_cookie": lessons_settings.VIEWER_COOKIE,
            "lesson_ids": [lesson.pk for lesson in lessons],
            "learners": self._sessions(learner_ids),
            "password": PASSWORD,
        }
