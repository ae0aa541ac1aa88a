"""mlgov-gate: ask mlgov's deployment gate from a CI job.

    MLGOV_URL=https://mlgov.example.com MLGOV_TOKEN=... \\
        mlgov-gate --model churn --version 7 --environment production

Exit status: 0 when the gate approves, 1 when it blocks (every failing check
is printed with its reason), 2 on a usage, authentication or connection
error. By default it asks the dry-run endpoint (POST
/api/v1/deployments/check/), which records nothing; --request asks for the
deployment itself (POST /api/v1/deployments/), which records the decision.

Standard library only: a CI image needs nothing but Python.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

from mlgov_client.client import Client
from mlgov_client.errors import ApiError, MlgovError

APPROVED, BLOCKED, ERROR = 0, 1, 2

_HINTS = {
    401: " (is MLGOV_TOKEN a valid, unexpired token?)",
    403: " (the token's user needs the data scientist role to ask the gate)",
}


class GateError(Exception):
    """Anything that is not a gate decision: exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlgov-gate",
        description="Ask mlgov whether a model version may be deployed.",
        epilog="Environment: MLGOV_URL (or --url) and MLGOV_TOKEN (a bearer token "
        "from `manage.py issue_token`). Exit 0 approved, 1 blocked, 2 error.",
    )
    parser.add_argument("--model", required=True, help="Model name.")
    parser.add_argument("--version", required=True, type=int, help="Version number.")
    parser.add_argument("--environment", required=True, help="e.g. production.")
    parser.add_argument("--strategy", choices=["full", "canary"], default="full")
    parser.add_argument(
        "--traffic-percent", type=int, help="Canary share, 1-99 (canary only)."
    )
    parser.add_argument(
        "--request",
        action="store_true",
        help="Request the deployment (recorded) instead of the dry-run check.",
    )
    parser.add_argument("--url", default=os.environ.get("MLGOV_URL", ""))
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds.")
    parser.add_argument(
        "--json", action="store_true", help="Print the gate's JSON answer instead."
    )
    return parser


def _body(args: argparse.Namespace) -> dict[str, Any]:
    body = {
        "model": args.model,
        "version": args.version,
        "environment": args.environment,
        "strategy": args.strategy,
    }
    if args.traffic_percent is not None:
        body["traffic_percent"] = args.traffic_percent
    return body


def ask_gate(
    *, url: str, token: str, body: dict[str, Any], request: bool, timeout: float
) -> dict[str, Any]:
    """Ask the dry-run check (or the recorded request); the decoded answer."""
    client = Client(url, token, timeout=timeout, user_agent="mlgov-gate/1")
    ask = client.request_deployment if request else client.check_deployment
    try:
        answer: Any = ask(**body)
    except ApiError as error:
        raise GateError(error.describe() + _HINTS.get(error.status, "")) from error
    except MlgovError as error:
        raise GateError(str(error)) from error
    if not isinstance(answer, dict) or "decision" not in answer:
        raise GateError("the answer has no decision; is this mlgov's gate?")
    return answer


def report(answer: dict[str, Any], *, out: TextIO | None = None) -> int:
    """Print the decision and every check; the exit status it means."""
    out = out or sys.stdout
    approved = answer.get("decision") == "approved"
    target = (
        f"{answer.get('model')} v{answer.get('version')} → {answer.get('environment')}"
    )
    if answer.get("strategy") == "canary":
        target += f" (canary {answer.get('traffic_percent')}%)"
    recorded = f", deployment {answer['id']}" if answer.get("id") is not None else ""
    print(
        f"mlgov gate: {target}: {'APPROVED' if approved else 'BLOCKED'}{recorded}",
        file=out,
    )
    checks = answer.get("checks") or []
    for check in checks:
        mark = "ok " if check.get("passed") else "FAIL"
        print(f"  [{mark}] {check.get('check')}: {check.get('detail', '')}", file=out)
    for warning in answer.get("warnings") or []:
        print(f"  [warn] {warning}", file=out)
    if not approved:
        failing = [c for c in checks if not c.get("passed")]
        print(
            f"Blocked by {len(failing)} check(s): "
            + ", ".join(str(c.get("check")) for c in failing),
            file=out,
        )
    return APPROVED if approved else BLOCKED


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    token = os.environ.get("MLGOV_TOKEN", "")
    problems = []
    if not args.url:
        problems.append("set MLGOV_URL (or --url) to mlgov's address")
    if not token:
        problems.append("set MLGOV_TOKEN to an API token")
    if args.traffic_percent is not None and args.strategy != "canary":
        problems.append("--traffic-percent goes with --strategy canary")
    if problems:
        print("mlgov-gate: " + "; ".join(problems), file=sys.stderr)
        return ERROR
    try:
        answer = ask_gate(
            url=args.url,
            token=token,
            body=_body(args),
            request=args.request,
            timeout=args.timeout,
        )
    except GateError as error:
        print(f"mlgov-gate: {error}", file=sys.stderr)
        return ERROR
    if args.json:
        print(json.dumps(answer, indent=2))
        return APPROVED if answer.get("decision") == "approved" else BLOCKED
    return report(answer)


if __name__ == "__main__":
    sys.exit(main())
