"""mlgov-gate, the CI client, run as a real process against a loopback stub
that answers DESIGN.md §3's deployment contract."""

import json
import os
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

import mlgov_gate
from tests.integrations.ports import free_port, loopback_server

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "mlg_test-token"


def decision(decision, failing=(), warnings=(), id=None):
    names = [
        "version_status",
        "promotion_path",
        "freeze",
        "governance",
        "no_concurrent_rollout",
    ]
    answer = {
        "model": "churn",
        "version": 7,
        "environment": "production",
        "strategy": "canary",
        "traffic_percent": 10,
        "decision": decision,
        "status": decision,
        "checks": [
            {
                "check": name,
                "passed": name not in failing,
                "detail": f"{name} detail"
                + (" is the reason" if name in failing else ""),
            }
            for name in names
        ],
        "warnings": list(warnings),
        "evaluation": {"passed": True, "results": []},
        "requested_by": "ci-bot",
        "requested_at": "2026-11-29T10:00:00Z",
    }
    if id is not None:
        answer["id"] = id
    return answer


@pytest.fixture
def stub():
    """Answers POSTs with `stub.answer` (status, body); keeps the requests."""
    state = {"answer": (200, decision("approved")), "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["requests"].append((self.path, dict(self.headers), json.loads(body)))
            status, answer = state["answer"]
            raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = loopback_server(Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()


def gate(*args, url=None, token=TOKEN):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLGOV_")}
    if url is not None:
        env["MLGOV_URL"] = url
    if token is not None:
        env["MLGOV_TOKEN"] = token
    return subprocess.run(
        [sys.executable, str(ROOT / "mlgov_gate.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


TARGET = [
    "--model",
    "churn",
    "--version",
    "7",
    "--environment",
    "production",
    "--strategy",
    "canary",
    "--traffic-percent",
    "10",
]


def test_an_approved_version_exits_0_after_a_dry_run_check(stub):
    result = gate(*TARGET, url=stub["url"])

    assert result.returncode == 0, result.stderr
    (path, headers, body) = stub["requests"][0]
    assert path == "/api/v1/deployments/check/"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert body == {
        "model": "churn",
        "version": 7,
        "environment": "production",
        "strategy": "canary",
        "traffic_percent": 10,
    }
    assert "churn v7 → production (canary 10%): APPROVED" in result.stdout
    assert "[ok ] governance: governance detail" in result.stdout


def test_a_blocked_version_exits_1_and_prints_every_reason(stub):
    stub["answer"] = (
        200,
        decision(
            "blocked",
            failing=("promotion_path", "freeze"),
            warnings=["advisory: card incomplete"],
        ),
    )

    result = gate(*TARGET, url=stub["url"])

    assert result.returncode == 1
    assert "BLOCKED" in result.stdout
    assert "[FAIL] promotion_path: promotion_path detail is the reason" in result.stdout
    assert "[FAIL] freeze: freeze detail is the reason" in result.stdout
    assert "[warn] advisory: card incomplete" in result.stdout
    assert "Blocked by 2 check(s): promotion_path, freeze" in result.stdout


def test_request_asks_for_the_deployment_and_names_the_record(stub):
    stub["answer"] = (201, decision("blocked", failing=("freeze",), id=42))

    result = gate(*TARGET, "--request", url=stub["url"])

    assert result.returncode == 1
    assert stub["requests"][0][0] == "/api/v1/deployments/"
    assert "BLOCKED, deployment 42" in result.stdout


def test_json_output_keeps_the_exit_status(stub):
    result = gate(*TARGET, "--json", url=stub["url"])

    assert result.returncode == 0
    assert json.loads(result.stdout)["decision"] == "approved"


@pytest.mark.parametrize(
    ("args", "url", "token", "message"),
    [
        (TARGET, None, TOKEN, "set MLGOV_URL"),
        (TARGET, "http://127.0.0.1:1", None, "set MLGOV_TOKEN"),
        ([*TARGET[:6], "--traffic-percent", "5"], "http://x", TOKEN, "goes with"),
        (["--model", "churn"], "http://127.0.0.1:1", TOKEN, "required"),
        ([*TARGET[:2], "--version", "seven", *TARGET[4:]], "http://x", TOKEN, "int"),
    ],
)
def test_usage_errors_exit_2_and_ask_nothing(args, url, token, message, stub):
    result = gate(*args, url=url, token=token)

    assert result.returncode == 2
    assert message in result.stderr
    assert stub["requests"] == []


def test_an_unreachable_server_exits_2():
    url = f"http://127.0.0.1:{free_port()}"

    result = gate(*TARGET, url=url)

    assert result.returncode == 2
    assert f"cannot reach mlgov at {url}" in result.stderr


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (
            401,
            {"error": {"code": "not_authenticated", "message": "Bad token."}},
            "HTTP 401 not_authenticated: Bad token. (is MLGOV_TOKEN",
        ),
        (
            403,
            {"error": {"code": "permission_denied", "message": "No role."}},
            "data scientist role",
        ),
        (
            400,
            {
                "error": {
                    "code": "invalid",
                    "message": "Invalid input.",
                    "details": {"environment": ["No environment 'prod'."]},
                }
            },
            "environment: No environment 'prod'.",
        ),
        (502, b"<html>bad gateway</html>", "HTTP 502"),
        (200, b"<html>a login page</html>", "did not answer with JSON"),
        (200, {"ok": True}, "has no decision"),
    ],
)
def test_errors_from_the_server_exit_2_with_the_reason(stub, status, answer, expected):
    stub["answer"] = (status, answer)

    result = gate(*TARGET, url=stub["url"])

    assert result.returncode == 2
    assert expected in result.stderr


def test_the_entry_point_is_declared_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())

    module, function = project["project"]["scripts"]["mlgov-gate"].split(":")

    assert module == "mlgov_gate"
    assert getattr(mlgov_gate, function) is mlgov_gate.main
    assert project["tool"]["setuptools"]["py-modules"] == ["mlgov_gate"]
