"""The demo site's settings come from the environment; production settings pass check --deploy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import django
import pytest

from config.settings import email_settings, mailer_settings

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "SECRET_KEY": "k3y-for-tests-only-8f2b7c1d9e4a6b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e",
    "ALLOWED_HOSTS": "stream.example.com",
}


# DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it for their own process only.
OUR_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "WEB_CONCURRENCY",
    "ALLOW_PER_WORKER_LIMITS",
}


def clean_environment():
    return {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}


def run_python(code, **env):
    environment = clean_environment()
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def settings_as_json(module="config.settings", **env):
    code = (
        "import json; from django.conf import settings;"
        "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'],"
        " 'cache': settings.CACHES['default']['BACKEND'], 'debug': settings.DEBUG,"
        " 'email': settings.MAILERS['default']['BACKEND'] if hasattr(settings, 'MAILERS')"
        " else settings.EMAIL_BACKEND}))"
    )
    result = run_python(code, DJANGO_SETTINGS_MODULE=module, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_environment_the_demo_uses_sqlite_and_local_memory():
    found = settings_as_json()
    assert found["db"] == "django.db.backends.sqlite3"
    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["email"] == "django.core.mail.backends.console.EmailBackend"


def test_database_and_redis_urls_switch_to_postgresql_and_redis():
    found = settings_as_json(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert found["db"] == "django.db.backends.postgresql"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_email_url_configures_smtp():
    config = email_settings("smtp://mailer:s%40cret@mail.example.com:587?tls=1")
    assert config["EMAIL_HOST"] == "mail.example.com"
    assert config["EMAIL_PORT"] == 587
    assert config["EMAIL_HOST_PASSWORD"] == "s@cret"
    assert config["EMAIL_USE_TLS"] is True
    with pytest.raises(ValueError, match="unsupported scheme"):
        email_settings("ftp://example.com")


def test_mail_settings_use_mailers_from_django_6_1():
    found = mailer_settings("smtp://mailer:pw@mail.example.com:587?tls=1")
    if django.VERSION >= (6, 1):
        mailer = found["MAILERS"]["default"]
        assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
        assert mailer["OPTIONS"]["host"] == "mail.example.com"
        assert mailer["OPTIONS"]["use_tls"] is True
        assert not any(name.startswith("EMAIL_") for name in found)
    else:
        assert found == email_settings("smtp://mailer:pw@mail.example.com:587?tls=1")


def check_deploy(**env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **clean_environment(),
            "DJANGO_SETTINGS_MODULE": "config.settings_production",
            **PRODUCTION_ENV,
            **env,
        },
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    # (the Redis URL only names the cache: check does not connect)
    result = check_deploy(REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    found = settings_as_json("config.settings_production", **PRODUCTION_ENV, WEB_CONCURRENCY="1")
    assert found["debug"] is False


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_settings_refuse_to_start_without_secret_and_hosts(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_python(
        "import django; django.setup()", DJANGO_SETTINGS_MODULE="config.settings_production", **env
    )
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.parametrize("workers", [None, "4"])
def test_production_settings_refuse_to_start_with_several_workers_and_no_shared_cache(workers):
    # given production settings without REDIS_URL, under gunicorn's default worker count
    # (2 x cores + 1) or an explicit one above 1
    env = {"WEB_CONCURRENCY": workers} if workers else {}

    # when Django starts
    result = run_python(
        "import django; django.setup()",
        DJANGO_SETTINGS_MODULE="config.settings_production",
        **PRODUCTION_ENV,
        **env,
    )

    # then it refuses, and says what to set: each worker would count the limits on its own
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "REDIS_URL" in result.stderr and "WEB_CONCURRENCY=1" in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"WEB_CONCURRENCY": "1"},
        {"ALLOW_PER_WORKER_LIMITS": "1"},
    ],
)
def test_production_settings_start_with_a_shared_cache_or_one_worker(env):
    result = run_python(
        "import django; django.setup()",
        DJANGO_SETTINGS_MODULE="config.settings_production",
        **PRODUCTION_ENV,
        **env,
    )

    assert result.returncode == 0, result.stderr


def test_check_warns_when_production_runs_on_a_per_process_cache():
    # given production settings without REDIS_URL, on one worker (each process would keep its
    # own memory cache, so check still says so: a second server would count apart)
    result = check_deploy(WEB_CONCURRENCY="1")
    # then check says what breaks: rate limits and sign-in locks per worker
    assert result.returncode != 0
    assert "stream_lessons.W002" in result.stderr
    assert "rate limits and sign-in locks would count per worker" in result.stderr
