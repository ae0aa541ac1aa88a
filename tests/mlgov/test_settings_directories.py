"""Importing settings leaves the filesystem alone (mypy's Django plugin, a
linter or a read-only container import them too); the directories a process
writes to are made when it first needs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Records every directory creation (Path.mkdir and os.makedirs both end in
# os.mkdir) instead of making it, then imports the settings.
IMPORT_SETTINGS = """
import json, os
attempts = []
os.mkdir = lambda path, *args, **kwargs: attempts.append(str(path))
import mlgov.settings
print(json.dumps(attempts))
"""


def run_python(code: str, **overrides: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DATABASE_URL", "REDIS_URL", "MLGOV_MODE", "PROMETHEUS_MULTIPROC_DIR"}
    }
    environment.update(DJANGO_SETTINGS_MODULE="mlgov.settings", **overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("database", ["embedded", "sqlite-elsewhere"])
def test_importing_settings_creates_no_directory(tmp_path, database):
    overrides = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    if database == "sqlite-elsewhere":
        overrides["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh' / 'db.sqlite3'}"

    result = run_python(IMPORT_SETTINGS, **overrides)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    assert list(tmp_path.iterdir()) == []


def test_the_sqlite_database_directory_is_made_at_the_first_connection(tmp_path):
    database = tmp_path / "fresh" / "var" / "db.sqlite3"
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "connection.ensure_connection()\n"
    )

    result = run_python(code, DATABASE_URL=f"sqlite:///{database}")

    assert result.returncode == 0, result.stderr
    assert database.is_file()


def test_manage_py_makes_the_metrics_directory_it_is_given(tmp_path):
    metrics = tmp_path / "metrics" / "multiproc"
    code = (
        "import sys; sys.argv = ['manage.py', 'check']\n"
        "import runpy; runpy.run_path('manage.py', run_name='__main__')\n"
    )

    result = run_python(
        code,
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    assert result.returncode == 0, result.stderr
    assert metrics.is_dir()


def test_the_wsgi_application_makes_the_metrics_directory_it_is_given(tmp_path):
    metrics = tmp_path / "metrics"

    result = run_python(
        "import mlgov.wsgi",
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    assert result.returncode == 0, result.stderr
    assert metrics.is_dir()
