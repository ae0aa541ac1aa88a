"""Fuzzing the API from its own OpenAPI schema, as every role.

schemathesis generates requests for every operation of /api/schema/ (valid
and invalid bodies, parameters and headers), sends them in-process through
the WSGI application with a bearer token of each role, and fails on a server
error, a status code the schema does not document, or a response that does
not match its documented schema. The seed is fixed and the examples per
operation bounded, so a run is reproducible and takes a few minutes.

Run it with `scripts/test.sh -m fuzz tests/fuzz` (CI does, on PostgreSQL and
Redis); FUZZ_EXAMPLES and FUZZ_SEED change the bounds.
"""

import itertools
import json
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from mlgov.roles import Role
from mlgov.services import issue_token
from mlgov.wsgi import application
from registry.models import ModelVersion, Team
from tests.factories import (
    DriftAlertFactory,
    DriftReportFactory,
    MLModelFactory,
    ModelVersionFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SEED = int(os.environ.get("FUZZ_SEED", "20261129"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def load_schema() -> schemathesis.BaseSchema:
    """The schema /api/schema/ serves, generated in-process (no request, no
    database), sent to through the WSGI application."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(generated))
    )
    loaded.app = application
    return loaded


schema = load_schema()


@pytest.fixture(autouse=True)
def _wsgi_keeps_the_test_connection():
    """As Django's test client does: the WSGI handler would otherwise close the
    connection holding the test's transaction at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def identities(db):
    """The Authorization header of a user of each role, and of nobody."""
    headers = {"anonymous": {}}
    team = TeamFactory(name="fuzz")
    for role in Role.values:
        user = UserFactory(username=f"fuzz-{role}", roles=[role])
        team.members.add(user)
        raw = issue_token(user=user, name="fuzz").raw
        headers[role] = {"Authorization": f"Bearer {raw}"}
    return headers


@pytest.fixture
def existing(identities, make_policy):
    """Objects the path parameters point at every other example, so that
    bodies are validated against real rows and not only answered 404."""
    team = Team.objects.get(name="fuzz")
    model = MLModelFactory(name="fuzz-model", team=team)
    ModelVersionFactory(model=model, version=1)
    review = ModelVersionFactory(
        model=model, version=2, status=ModelVersion.Status.IN_REVIEW
    )
    alert = DriftAlertFactory(
        latest_report=DriftReportFactory(version=review), version=review
    )
    policy = make_policy(
        "fuzz",
        [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.5},
            }
        ],
    )
    return {
        "name": model.name,
        "number": 2,
        "id": {
            "policies": policy.pk,
            "reports": alert.latest_report_id,
            "alerts": alert.pk,
        },
    }


@schema.parametrize()
@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_request_as_documented(
    case, identities, existing
):
    # Each example goes out as the next identity in turn, and every other one
    # addresses existing objects: more distinct inputs for the same budget.
    turn = next(TURNS)
    role, headers = list(identities.items())[turn % len(identities)]
    if turn % 2 and case.path_parameters:
        point_at_existing(case, existing)
    try:
        case.call_and_validate(headers=headers, checks=CHECKS)
    except AssertionError as failure:
        failure.add_note(f"as {role}")
        raise


TURNS = itertools.count()


def point_at_existing(case, existing: dict) -> None:
    parameters = case.path_parameters
    for key in ("name", "number"):
        if key in parameters:
            parameters[key] = existing[key]
    if "id" in parameters:
        collection = next(
            (part for part in case.path.split("/") if part in existing["id"]), None
        )
        if collection:
            parameters["id"] = existing["id"][collection]
