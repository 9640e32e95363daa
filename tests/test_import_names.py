"""A project package named like one of Stream's apps: a clear error instead of Django's."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_setup_with(tmp_path, package_name):
    # given a project whose own package `comments` (no apps module) comes first on the path
    package = tmp_path / package_name
    package.mkdir()
    (package / "__init__.py").write_text("")
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_project_package_hiding_streams_comments_app_is_named_in_the_error(tmp_path):
    # when Django sets up with Stream's comments app in INSTALLED_APPS
    result = django_setup_with(tmp_path, "comments")

    # then it stops with an error that says which package is in the way and where to read on
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"the import name 'comments' is taken by {tmp_path / 'comments'}" in result.stderr
    assert "docs/integration.md, 'Import names'" in result.stderr
    assert "No module named" not in result.stderr


def test_streams_own_packages_pass(tmp_path):
    result = django_setup_with(tmp_path, "unrelated")

    assert result.returncode == 0, result.stderr
