"""Production mode refuses unsafe settings and passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRET = "k3J9x!Qz7#vB2mN8pL4tR6wY1uE5oI0aS_dF-gH+jK=lZ^xC&vB*nM(qW)eR"


def run_manage(*args: str, **overrides: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "MLGOV_MODE"}
    }
    environment.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "MLGOV_MODE": "production",
    "SECRET_KEY": STRONG_SECRET,
    "ALLOWED_HOSTS": "mlgov.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/mlgov",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_production_settings_pass_the_deploy_checks_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + STRONG_SECRET}, "SECRET_KEY"),
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(override, complaint):
    result = run_manage("check", **{**PRODUCTION, **override})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_unknown_mode_is_refused():
    result = run_manage("check", MLGOV_MODE="staging")

    assert result.returncode != 0
    assert "MLGOV_MODE" in result.stderr


def test_smtp_with_both_tls_modes_is_refused():
    result = run_manage("check", EMAIL_USE_TLS="true", EMAIL_USE_SSL="true")

    assert result.returncode != 0
    assert "EMAIL_USE_TLS or EMAIL_USE_SSL" in result.stderr
