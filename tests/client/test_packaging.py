"""The client is a package of its own: installable from the repository, and
importing it loads nothing of the server."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_client_loads_neither_django_nor_the_server():
    script = (
        "import sys, mlgov_client, mlgov_client.gate, mlgov_client.histograms, "
        "mlgov_client.duckdb_features\n"
        "server = ('django', 'rest_framework', 'mlgov.', 'registry', 'drift', "
        "'deployments', 'governance', 'command_center', 'integrations', 'scipy')\n"
        "print(sorted(m for m in sys.modules if m.startswith(server)))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "[]"


def test_pyproject_installs_the_client_its_extras_and_the_gate():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert project["tool"]["setuptools"]["packages"] == ["mlgov_client"]
    assert project["project"]["dependencies"] == []
    extras = project["project"]["optional-dependencies"]
    assert any(requirement.startswith("duckdb") for requirement in extras["duckdb"])
    assert any(requirement.startswith("pyspark") for requirement in extras["spark"])
    assert project["project"]["scripts"]["mlgov-gate"] == "mlgov_gate:main"
