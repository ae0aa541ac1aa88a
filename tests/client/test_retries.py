"""The client against a loopback stub: retries on 429 and 503 honouring
Retry-After, bounded; errors carry the API's code and field errors."""

import email.utils
import json
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from mlgov_client import ApiError, Client, MlgovConnectionError, NotJsonError
from mlgov_client.transport import RetryPolicy
from tests.integrations.ports import free_port, loopback_server

THROTTLED = {"error": {"code": "throttled", "message": "Slow down.", "details": {}}}
UNAVAILABLE = {"error": {"code": "unavailable", "message": "Not ready.", "details": {}}}
SUMMARY = {"models": 3, "versions": 5}


@pytest.fixture
def stub():
    """Answers each request with the next of `stub["answers"]`
    (status, body, headers); keeps what it was sent."""
    state = {"answers": [], "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            state["requests"].append((self.command, self.path, body))
            status, answer, headers = state["answers"].pop(0)
            raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = answer

        def log_message(self, *args):
            pass

    server = loopback_server(Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()


def client_for(stub, waits, **retry):
    return Client(
        stub["url"],
        "mlg_token",
        retry=RetryPolicy(jitter=0, **retry),
        sleep=waits.append,
    )


def test_a_429_is_retried_after_the_seconds_retry_after_names(stub):
    stub["answers"] = [
        (429, THROTTLED, {"Retry-After": "7"}),
        (200, SUMMARY, {}),
    ]
    waits = []

    summary = client_for(stub, waits).portfolio_summary()

    assert summary == SUMMARY
    assert waits == [7.0]
    assert len(stub["requests"]) == 2


def test_a_503_with_an_http_date_waits_until_that_date(stub):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    stub["answers"] = [(503, UNAVAILABLE, {"Retry-After": when}), (200, SUMMARY, {})]
    waits = []

    client_for(stub, waits).portfolio_summary()

    assert 28 <= waits[0] <= 30


def test_a_refused_post_is_sent_again_with_the_same_body(stub):
    decision = {"decision": "approved", "checks": []}
    stub["answers"] = [(429, THROTTLED, {"Retry-After": "1"}), (200, decision, {})]
    waits = []

    answer = client_for(stub, waits).check_deployment(
        model="churn", version=7, environment="production"
    )

    assert answer == decision
    first, second = stub["requests"]
    assert first == second
    assert first[2] == {
        "model": "churn",
        "version": 7,
        "environment": "production",
        "strategy": "full",
    }


def test_retries_are_bounded_then_the_api_error_is_raised(stub):
    stub["answers"] = [(429, THROTTLED, {"Retry-After": "2"})] * 3
    waits = []

    with pytest.raises(ApiError) as raised:
        client_for(stub, waits, max_retries=2).portfolio_summary()

    assert raised.value.status == 429
    assert raised.value.code == "throttled"
    assert raised.value.retry_after == 2.0
    assert waits == [2.0, 2.0]
    assert len(stub["requests"]) == 3


def test_without_retry_after_the_wait_doubles_up_to_the_cap(stub):
    stub["answers"] = [(503, UNAVAILABLE, {})] * 4 + [(200, SUMMARY, {})]
    waits = []

    client_for(stub, waits, max_retries=4, backoff=1.5, max_wait=5).portfolio_summary()

    assert waits == [1.5, 3.0, 5.0, 5.0]


def test_a_long_retry_after_is_capped(stub):
    stub["answers"] = [(429, THROTTLED, {"Retry-After": "3600"}), (200, SUMMARY, {})]
    waits = []

    client_for(stub, waits, max_wait=60).portfolio_summary()

    assert waits == [60.0]


def test_jitter_adds_at_most_its_share_of_the_wait():
    policy = RetryPolicy(jitter=0.5)

    waits = [policy.wait(0, 10.0) for _ in range(200)]

    assert all(10.0 <= wait <= 15.0 for wait in waits)
    assert len(set(waits)) > 1


@pytest.mark.parametrize("status", [400, 404, 409, 500, 502])
def test_other_errors_are_not_retried(stub, status):
    stub["answers"] = [(status, {"error": {"code": "x", "message": "m"}}, {})]
    waits = []

    with pytest.raises(ApiError):
        client_for(stub, waits).portfolio_summary()

    assert waits == []
    assert len(stub["requests"]) == 1


def test_an_error_carries_the_code_message_and_field_errors(stub):
    body = {
        "error": {
            "code": "invalid",
            "message": "Invalid input.",
            "details": {"environment": ["No environment 'moon'."], "version": "bad"},
        }
    }
    stub["answers"] = [(400, body, {})]

    with pytest.raises(ApiError) as raised:
        client_for(stub, []).check_deployment(
            model="churn", version=7, environment="moon"
        )

    error = raised.value
    assert (error.status, error.code, error.message) == (
        400,
        "invalid",
        "Invalid input.",
    )
    assert error.field_errors == {
        "environment": ["No environment 'moon'."],
        "version": ["bad"],
    }
    assert str(error) == (
        "HTTP 400 invalid: Invalid input.\n"
        "  environment: No environment 'moon'.\n"
        "  version: bad"
    )


def test_an_answer_that_is_not_json_is_named(stub):
    stub["answers"] = [(200, b"<html>sign in</html>", {})]

    with pytest.raises(NotJsonError, match="did not answer with JSON"):
        client_for(stub, []).portfolio_summary()


def test_an_unreachable_server_raises_a_connection_error():
    client = Client(f"http://127.0.0.1:{free_port()}", "mlg_token")

    with pytest.raises(MlgovConnectionError, match="cannot reach mlgov"):
        client.portfolio_summary()
