"""Deployment gate under gunicorn: the dry-run check and the recorded request.

Needs a seeded database (`manage.py seed_demo --models 10000`, then ANALYZE).
Picks a demo model with an approved version, makes a data-scientist service
account of its team with a token, counts the queries of one check and one
request in-process, then starts gunicorn on 127.0.0.1:--port and sends
--requests POSTs to /api/v1/deployments/check/ and --recorded POSTs to
/api/v1/deployments/ from --concurrency keep-alive clients, and prints
latency percentiles. The recorded requests write real decision records
(blocked or approved) into the database: use a bench database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_i10 \\
    REDIS_URL=redis://127.0.0.1:6379/3 \\
        python bench/bench_deployments.py --workers 4 --port 18210
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_api_load import load, start_server, stop_server  # noqa: E402

MAX_REQUESTS = 20_000
MAX_CONCURRENCY = 64
# Every run stops by itself, whatever the request count.
BOUND_SECONDS = 600


def prepare() -> tuple[dict, str, dict]:
    """The request body, a token, and the query counts of one check and one
    request (measured in this process, through the Django test client)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from mlgov.roles import Role
    from mlgov.services import issue_token
    from registry.models import Environment, MLModel, ModelVersion
    from tests.factories import UserFactory

    version = (
        ModelVersion.objects.approved()
        .filter(deployments__environment__name="staging")
        .select_related("model__team")
        .order_by("pk")
        .first()
    ) or ModelVersion.objects.approved().select_related("model__team").first()
    if version is None:
        raise SystemExit("No approved version: run manage.py seed_demo first.")
    bot = UserFactory(username="bench-deployer", roles=[Role.DATA_SCIENTIST])
    version.model.team.members.add(bot)
    token = issue_token(user=bot, name="bench", days=1).raw
    body = {
        "model": version.model.name,
        "version": version.version,
        "environment": "production",
    }
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    counts = {}
    for label, path in (
        ("check", "/api/v1/deployments/check/"),
        ("request", "/api/v1/deployments/"),
    ):
        client.post(path, body, content_type="application/json")  # warm caches
        with CaptureQueriesContext(connection) as queries:
            response = client.post(path, body, content_type="application/json")
        assert response.status_code in (200, 201), response.content[:500]
        counts[label] = len(queries)
    if connection.vendor == "postgresql":
        # What autovacuum does in production, done here because a bench host
        # may run without it (this one does): each run records hundreds of
        # requests for one version, which stale statistics plan for as a
        # few, and every audited write updates the one chain-head row, whose
        # dead versions a lookup otherwise steps over (recorded p95 70 ms
        # after a VACUUM, 75-103 ms before).
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM (ANALYZE) deployments_deployment, deployments_gatedecision,"
                " auditlog_logentry, mlgov_auditseal, mlgov_auditchainhead"
            )
    counts["portfolio_models"] = MLModel.objects.count()
    counts["portfolio_versions"] = ModelVersion.objects.count()
    counts["environments"] = Environment.objects.count()
    counts["decision"] = response.json()["decision"]
    return body, token, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=18210)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--recorded", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    if not 1 <= args.requests <= MAX_REQUESTS or not 1 <= args.recorded <= 5000:
        parser.error(f"--requests at most {MAX_REQUESTS}, --recorded at most 5000")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")

    body, token, counts = prepare()
    env = {
        **os.environ,
        "RATELIMIT_API_WRITE": "1000000/m",
        "RATELIMIT_API_READ": "1000000/m",
    }
    process = start_server(env, args.port, args.workers)
    try:
        check = "/api/v1/deployments/check/"
        run = {"body": body, "seconds": BOUND_SECONDS}
        load(args.port, check, token, requests=args.warmup, concurrency=8, **run)
        dry_run = load(
            args.port,
            check,
            token,
            requests=args.requests,
            concurrency=args.concurrency,
            **run,
        )
        recorded = load(
            args.port,
            "/api/v1/deployments/",
            token,
            requests=args.recorded,
            concurrency=args.concurrency,
            **run,
        )
    finally:
        stop_server(process)
    print(
        json.dumps(
            {
                "body": body,
                "queries": counts,
                "dry_run_check": dry_run,
                "recorded_request": recorded,
                "workers": args.workers,
                "concurrency": args.concurrency,
                "database": env.get("DATABASE_URL", "sqlite (embedded)").split("@")[-1],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
