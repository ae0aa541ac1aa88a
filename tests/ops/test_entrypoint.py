"""deploy/entrypoint.sh, the image's one entrypoint: its subcommands are the
contract the compose file and the Kubernetes manifests rely on. The image
itself is exercised by scripts/image.sh smoke."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"


def entrypoint(*args: str) -> subprocess.CompletedProcess:
    # The project's interpreter first on PATH, as /opt/venv/bin is in the image.
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("args", [("bogus",), ("manage",), ("shell",)])
def test_an_unknown_or_incomplete_command_exits_64_with_the_usage(args):
    done = entrypoint(*args)
    assert done.returncode == 64
    assert "usage: entrypoint.sh web|worker|scheduler|migrate|manage" in done.stderr


def test_manage_runs_a_management_command_from_any_directory():
    done = entrypoint("manage", "run_scheduler", "--list")
    assert done.returncode == 0, done.stderr
    assert "snapshot_portfolio: every day" in done.stdout


def test_a_failing_command_passes_its_exit_status_on():
    done = entrypoint("scheduler", "--tick-seconds", "0")
    assert done.returncode == 1
    assert "--tick-seconds must be positive" in done.stderr
