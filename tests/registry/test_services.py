import threading

import pytest
from django.db import connection

from mlgov.exceptions import FieldError, NotFoundError, PermissionDeniedError
from registry import services
from registry.exceptions import InvalidTransitionError, VersionNotEditableError
from registry.models import ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(team):
    return MLModelFactory(name="churn", team=team)


def test_create_version_numbers_follow_on(data_scientist, model):
    first = services.create_version(
        actor=data_scientist, model=model, artifact_uri="s3://a/1"
    )
    second = services.create_version(
        actor=data_scientist, model=model, artifact_uri="s3://a/2", parent_version=1
    )

    assert (first.version, second.version) == (1, 2)
    assert second.parent == first


def test_create_version_refuses_another_team(other_data_scientist, model):
    with pytest.raises(PermissionDeniedError):
        services.create_version(
            actor=other_data_scientist, model=model, artifact_uri="s3://a"
        )

    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize("name", ["churn", "no-such-model"])
def test_create_version_by_name_answers_missing_for_another_team_or_no_model(
    other_data_scientist, model, name
):
    with pytest.raises(NotFoundError):
        services.create_version_by_name(
            actor=other_data_scientist, name=name, artifact_uri="s3://a"
        )

    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize("uri", ["ftp://a/b", "HTTP://a/b", "s3:", "no-scheme"])
def test_create_version_refuses_bad_uris(data_scientist, model, uri):
    with pytest.raises(FieldError) as error:
        services.create_version(actor=data_scientist, model=model, artifact_uri=uri)

    assert error.value.field == "artifact_uri"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.9", None, True])
def test_metrics_must_be_finite_numbers(data_scientist, model, value):
    with pytest.raises(FieldError) as error:
        services.create_version(
            actor=data_scientist,
            model=model,
            artifact_uri="s3://a",
            metrics={"auc": value},
        )

    assert error.value.field == "metrics.auc"


def test_update_version_refuses_a_submitted_version(data_scientist, model):
    version = ModelVersionFactory(model=model, version=1, status="in_review")

    with pytest.raises(VersionNotEditableError):
        services.update_version(
            actor=data_scientist, version=version, framework="torch"
        )


def test_update_version_refuses_its_own_number_as_parent(data_scientist, model):
    version = ModelVersionFactory(model=model, version=1)

    with pytest.raises(FieldError):
        services.update_version(actor=data_scientist, version=version, parent_version=1)


def test_status_moves_follow_the_transition_map(data_scientist, model):
    version = ModelVersionFactory(model=model, version=1)

    with pytest.raises(InvalidTransitionError):
        services.retire_version(actor=data_scientist, version=version)
    services.submit_version(actor=data_scientist, version=version)
    version.refresh_from_db()

    assert version.status == "in_review"
    assert version.submitted_by == data_scientist
    assert version.submitted_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("by_name", [False, True], ids=["by-instance", "by-name"])
def test_twenty_concurrent_creations_get_numbers_one_to_twenty(
    data_scientist, model, by_name
):
    # By name is the API's path: the model locked and its latest number read
    # in one round trip (registry.hot.model_locked_for_versions).
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def create() -> None:
        try:
            barrier.wait()
            if by_name:
                services.create_version_by_name(
                    actor=data_scientist, name=model.name, artifact_uri="s3://a"
                )
            else:
                services.create_version(
                    actor=data_scientist, model=model, artifact_uri="s3://a"
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(
        ModelVersion.objects.filter(model=model).values_list("version", flat=True)
    )
    assert numbers == list(range(1, 21))
