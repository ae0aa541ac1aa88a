"""cProfile of the registry's hot endpoints, in process, through the whole
middleware stack (Django's test client), on a database seeded by
bench_registry_vs_mlflow.py (models bench-model-00000 … with 3 versions).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mlgov_i13_bench \\
    REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/profile_registry.py --requests 300 --top 30

Prints, per workload, the wall and CPU time and the queries per request,
and the functions with the most CPU time (cProfile on process_time).
Writes go to the scratch database.
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlgov.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")


class WsgiResponse(NamedTuple):
    status_code: int


class WsgiClient:
    """The test client's get, post and patch, served by Django's WSGI handler
    as a WSGI server calls it: request_started, the response iterated, then
    closed (request_finished, which gives the connection back to the pool)."""

    def __init__(self, **defaults: str) -> None:
        from django.core.handlers.wsgi import WSGIHandler
        from django.test import RequestFactory

        self.factory = RequestFactory(**defaults)
        self.handler = WSGIHandler()

    def _serve(self, request) -> WsgiResponse:
        statuses: list[str] = []
        body = self.handler(request.environ, lambda status, _: statuses.append(status))
        try:
            b"".join(body)
        finally:
            body.close()
        return WsgiResponse(int(statuses[0].split()[0]))

    def get(self, path: str, data=None) -> WsgiResponse:
        return self._serve(self.factory.get(path, data))

    def post(self, path: str, data, content_type: str) -> WsgiResponse:
        return self._serve(self.factory.post(path, data, content_type=content_type))

    def patch(self, path: str, data, content_type: str) -> WsgiResponse:
        return self._serve(self.factory.patch(path, data, content_type=content_type))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--workloads", default="get,list,search,create")
    parser.add_argument(
        "--dump", default="", help="also save each profile to DUMP.<workload>"
    )
    parser.add_argument(
        "--unprofiled",
        action="store_true",
        help="only the CPU time per request, without cProfile's own overhead "
        "(which inflates Python calls several times over)",
    )
    parser.add_argument(
        "--wsgi",
        action="store_true",
        help="call Django's WSGI handler as gunicorn does, so each request "
        "also takes its database connection from the pool and gives it back "
        "(the test client keeps one connection throughout)",
    )
    args = parser.parse_args()
    if not 1 <= args.requests <= 5000:
        parser.error("--requests must be between 1 and 5000")

    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from mlgov.roles import Role
    from mlgov.services import ensure_service_account, issue_token

    user = ensure_service_account(username="bench-profile", role=Role.GOVERNANCE_ADMIN)
    token = issue_token(user=user, name="profile", days=1).raw
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    if args.wsgi:
        client = WsgiClient(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    rng = random.Random(7)

    def name() -> str:
        return f"bench-model-{rng.randrange(args.models):05d}"

    workloads = {
        "get": lambda: client.get(
            f"/api/v1/models/{name()}/versions/{rng.randint(1, 3)}/"
        ),
        "list": lambda: client.get(
            f"/api/v1/models/{name()}/versions/", {"page_size": 100}
        ),
        "search": lambda: client.get(
            "/api/v1/models/",
            {
                "q": f"bench-model-{rng.randrange(args.models // 100):03d}",
                "page_size": 100,
            },
        ),
        "create": lambda: client.post(
            f"/api/v1/models/{name()}/versions/",
            {
                "artifact_uri": f"s3://bench/profile/{rng.getrandbits(64):x}",
                "params": {"origin": "profile"},
            },
            content_type="application/json",
        ),
    }

    def seed_one() -> None:
        """The harness's seeding of one model: six writes."""
        name = f"profile-{rng.getrandbits(48):x}"
        calls = [
            client.post(
                "/api/v1/models/",
                {
                    "name": name,
                    "display_name": name,
                    "team": "bench",
                    "risk_tier": "low",
                    "tags": ["team-1", "tier-gold"],
                },
                content_type="application/json",
            ),
            client.patch(
                f"/api/v1/models/{name}/",
                {"business_use": "owner=user1"},
                content_type="application/json",
            ),
            *(
                client.post(
                    f"/api/v1/models/{name}/versions/",
                    {
                        "artifact_uri": f"s3://bench/seed/{name}/{v}",
                        "framework": "sklearn",
                        "params": {"framework": "sklearn"},
                    },
                    content_type="application/json",
                )
                for v in range(3)
            ),
            client.patch(
                f"/api/v1/models/{name}/versions/3/",
                {"params": {"validated": "true"}},
                content_type="application/json",
            ),
        ]
        return calls[-1]

    workloads["seed"] = seed_one
    for label in args.workloads.split(","):
        call = workloads[label]
        for _ in range(20):  # warm caches and connections
            assert call().status_code < 300
        with CaptureQueriesContext(connection) as queries:
            call()
        # CPU time, not wall time: on a shared host the waits for a core
        # would drown where this process spends its own time.
        profile = cProfile.Profile(time.process_time)
        started, cpu_started = time.perf_counter(), time.process_time()
        if not args.unprofiled:
            profile.enable()
        for _ in range(args.requests):
            call()
        profile.disable()
        elapsed = (time.perf_counter() - started) / args.requests * 1000
        cpu = (time.process_time() - cpu_started) / args.requests * 1000
        reset_queries()
        if args.unprofiled:
            print(f"=== {label}: {elapsed:.2f} ms/request, {cpu:.2f} ms CPU")
            continue
        if args.dump:
            profile.dump_stats(f"{args.dump}.{label}")
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        print(
            f"=== {label}: {elapsed:.2f} ms/request, {cpu:.2f} ms CPU (profiled), "
            f"{len(queries)} queries"
        )
        for query in queries.captured_queries:
            print("   ", query["sql"][:160])
        print(out.getvalue())


if __name__ == "__main__":
    main()
