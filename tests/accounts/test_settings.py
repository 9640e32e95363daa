"""The demo reads its email-verification mode from the environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READ = "from django.conf import settings; print(settings.ACCOUNT_EMAIL_VERIFICATION)"


@pytest.mark.parametrize(
    ("environment", "mode"),
    [({}, "optional"), ({"ACCOUNT_EMAIL_VERIFICATION": "mandatory"}, "mandatory")],
)
def test_email_verification_comes_from_the_environment(environment, mode):
    env = {k: v for k, v in os.environ.items() if k != "ACCOUNT_EMAIL_VERIFICATION"}
    env.update(environment, DJANGO_SETTINGS_MODULE="config.settings")

    result = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == mode
