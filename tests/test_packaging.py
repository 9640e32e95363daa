"""The package as a user gets it: build the sdist and the wheel, install the wheel into a fresh
virtualenv outside the repository, and run a throwaway host project on it.

Slow (a virtualenv and a dependency install) and it needs PyPI or a warm pip cache, so it is
marked ``packaging``: deselect it with ``-m "not packaging"``. ``.ci/run`` runs it once, in the
``make test`` leg only.
"""

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

import lessons

ROOT = Path(__file__).resolve().parents[1]
APPS = ("lessons", "progress", "comments")
SOURCES = ("pyproject.toml", "README.md", "CHANGELOG.md", "LICENSE", "MANIFEST.in", *APPS)
DISTRIBUTION = "django-stream-lms"

pytestmark = pytest.mark.packaging

# Files every app must carry in the wheel: a page template, its static files, the compiled
# Korean catalogue and the first migration.
REQUIRED = {
    "lessons": [
        "templates/stream/lessons/lesson_detail.html",
        "templates/stream/base.html",
        "static/stream/lessons/stream.css",
        "locale/ko/LC_MESSAGES/django.mo",
        "migrations/0001_initial.py",
    ],
    "progress": [
        "templates/stream/progress/includes",
        "static/stream/progress",
        "locale/ko/LC_MESSAGES/django.mo",
        "migrations/0001_initial.py",
    ],
    "comments": [
        "templates/stream/comments/includes",
        "static/stream/comments",
        "locale/ko/LC_MESSAGES/django.mo",
        "migrations/0001_initial.py",
    ],
}

HOST_SETTINGS = """
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "throwaway-host-project-for-the-packaging-test"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "markdownx",
    "lessons.apps.LessonsConfig",
    "progress.apps.ProgressConfig",
    "comments.apps.CommentsConfig",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lessons.middleware.ViewerCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hostsite.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
# Shared by every worker process, as Stream's system checks ask of a site not in DEBUG.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": BASE_DIR / "cache",
    }
}
LANGUAGE_CODE = "en"
LANGUAGES = [("ko", "Korean"), ("en", "English")]
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/login/"
MARKDOWNX_MARKDOWNIFY_FUNCTION = "lessons.markdown.render_lesson_markdown"
REST_FRAMEWORK = {"EXCEPTION_HANDLER": "lessons.api_base.exception_handler"}
STREAM = {"SITE_NAME": "Packaged School"}
"""

HOST_URLS = """
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("learn/", include("lessons.site_urls")),
]
"""

MANAGE = """
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

# Run inside the host project: create a published lesson and request its page in Korean.
SMOKE = """
import os
import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostsite.settings")
django.setup()

import lessons
from django.contrib.staticfiles import finders
from django.test import Client
from lessons.models import Course, Lesson

course = Course.objects.create(title="Packaged course", slug="packaged", status="published")
lesson = Lesson.objects.create(
    course=course, title="Packaged lesson", slug="first", status="published",
    body="## Hello\\n\\nFrom the wheel.",
)
response = Client(HTTP_ACCEPT_LANGUAGE="ko").get(lesson.get_absolute_url())
page = response.content.decode()
print("module", lessons.__file__)
print("version", lessons.__version__)
print("url", lesson.get_absolute_url())
print("status", response.status_code)
print("title", "Packaged lesson" in page)
print("korean", "본문으로 건너뛰기" in page)
print("static", finders.find("stream/lessons/stream.css"))
"""


def run(command, *, cwd, env, timeout=300):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def clean_environment():
    """The environment without anything that would point Python or Django back at the repo."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "DJANGO_", "VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL"))
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def constraints_of_this_environment(path: Path) -> Path:
    """Pin the fresh virtualenv to the versions this test run uses (pip then takes them from
    its cache), so the result does not depend on what PyPI released this morning."""
    pins = sorted(
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"] and dist.metadata["Name"].lower() != DISTRIBUTION
    )
    path.write_text("\n".join(pins) + "\n")
    return path


def build(tmp_path: Path, env) -> tuple[Path, Path]:
    # Build from a copy, so nothing (build/, *.egg-info) lands in the working tree.
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif origin.exists():
            shutil.copy2(origin, source / name)
    dist = tmp_path / "dist"
    # `python -m build` makes the sdist, then the wheel from that sdist: a file missing from
    # the sdist is then missing from the wheel too.
    run([sys.executable, "-m", "build", "--outdir", dist, source], cwd=tmp_path, env=env)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    return wheel, sdist


def assert_carries_package_data(names: list[str], prefix: str = ""):
    for app, required in REQUIRED.items():
        for item in required:
            wanted = f"{prefix}{app}/{item}"
            assert any(name == wanted or name.startswith(wanted + "/") for name in names), (
                f"{wanted} is not in the package"
            )


def test_the_wheel_installs_and_serves_a_lesson_outside_the_repository(tmp_path):
    env = clean_environment()

    # given the sdist and the wheel built from the sources
    wheel, sdist = build(tmp_path, env)
    version = lessons.__version__
    assert wheel.name == f"django_stream_lms-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        wheel_names = archive.namelist()
    assert_carries_package_data(wheel_names)
    assert not any(name.startswith(("tests/", "config/")) for name in wheel_names)
    with tarfile.open(sdist) as archive:
        sdist_names = archive.getnames()
    assert_carries_package_data(sdist_names, prefix=f"django_stream_lms-{version}/")
    assert f"django_stream_lms-{version}/CHANGELOG.md" in sdist_names
    assert f"django_stream_lms-{version}/LICENSE" in sdist_names
    assert any(".dist-info/" in name and name.endswith("/LICENSE") for name in wheel_names), (
        "the MIT licence text is not in the wheel"
    )

    # when it is installed into a fresh virtualenv outside the repository
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    constraints = constraints_of_this_environment(tmp_path / "constraints.txt")
    run(
        [python, "-m", "pip", "install", "--quiet", "-c", constraints, wheel],
        cwd=tmp_path,
        env=env,
    )

    # and a throwaway host project mounts Stream under /learn/
    site = tmp_path / "site"
    (site / "hostsite").mkdir(parents=True)
    (site / "hostsite" / "__init__.py").write_text("")
    (site / "hostsite" / "settings.py").write_text(textwrap.dedent(HOST_SETTINGS))
    (site / "hostsite" / "urls.py").write_text(textwrap.dedent(HOST_URLS))
    (site / "manage.py").write_text(textwrap.dedent(MANAGE))
    (site / "smoke.py").write_text(textwrap.dedent(SMOKE))

    # then the project checks clean, migrates, and serves a lesson page from the wheel
    checked = run([python, "manage.py", "check", "--fail-level", "WARNING"], cwd=site, env=env)
    assert "no issues" in checked
    migrated = run([python, "manage.py", "migrate", "--no-input"], cwd=site, env=env)
    for label in ("stream_lessons", "stream_progress", "stream_comments"):
        assert f"Applying {label}.0001_initial... OK" in migrated
    facts = dict(
        line.split(" ", 1) for line in run([python, "smoke.py"], cwd=site, env=env).splitlines()
    )
    assert facts["module"].startswith(str(venv)), "lessons was imported from the repository"
    assert facts["version"] == version
    assert facts["url"] == "/learn/courses/packaged/first/"
    assert facts["status"] == "200"
    assert facts["title"] == "True"
    assert facts["korean"] == "True", "the compiled Korean catalogue is not in the wheel"
    assert facts["static"].startswith(str(venv))
