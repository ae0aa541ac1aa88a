"""The mixed-load bench's calls are ones the API accepts: a call the API
refused would be measured as an error, not as the load it stands for."""

import random
import sys
from pathlib import Path

import pytest

from registry.models import ModelVersion
from tests.factories import ModelVersionFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_api_load


@pytest.fixture
def targets(team):
    version = ModelVersionFactory(
        model__team=team, model__name="fraud-score", status=ModelVersion.Status.APPROVED
    )
    return bench_api_load.Targets(
        models=((version.model.name, version.version),),
        approved=((version.model.name, version.version),),
        environment="production",
    )


def test_the_mix_is_the_documented_blend():
    mix = bench_api_load.MIX
    writes = sum(operation.weight for operation in mix if operation.write)
    assert sum(operation.weight for operation in mix) == 100
    assert writes == 27


@pytest.mark.parametrize(
    "operation", bench_api_load.MIX, ids=[op.label for op in bench_api_load.MIX]
)
def test_every_call_of_the_mix_is_answered_with_a_2xx(
    operation, targets, governance_admin, api_client_for
):
    client = api_client_for(governance_admin)
    method, path, body = operation.build(random.Random(20), targets)

    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, body, content_type="application/json")

    assert not bench_api_load.failed(response.status_code), response.content[:500]
    assert operation.write == (method == "POST" and "check" not in path)


def test_an_answer_outside_2xx_counts_as_an_error():
    assert bench_api_load.failed(0)
    assert bench_api_load.failed(404)
    assert bench_api_load.failed(409)
    assert not bench_api_load.failed(201)
