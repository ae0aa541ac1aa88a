"""Invariants the database enforces, whatever code writes the rows."""

import pytest
from django.db import IntegrityError, transaction

from registry.models import ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def test_model_names_are_unique():
    MLModelFactory(name="churn")

    with pytest.raises(IntegrityError):
        MLModelFactory(name="churn")


def test_version_numbers_are_unique_per_model():
    version = ModelVersionFactory(version=1)

    with pytest.raises(IntegrityError):
        ModelVersionFactory(model=version.model, version=1)


@pytest.mark.parametrize("uri", ["ftp://host/x", "http://insecure/x", "/local/path"])
def test_artifact_scheme_outside_the_allow_list_is_refused(uri):
    with pytest.raises(IntegrityError):
        ModelVersionFactory(artifact_uri=uri)


def test_submitted_evidence_cannot_be_changed_even_by_a_raw_update():
    version = ModelVersionFactory(status="in_review", metrics={"auc": 0.8})

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(metrics={"auc": 0.99})

    version.refresh_from_db()
    assert version.metrics == {"auc": 0.8}


def test_a_draft_can_still_be_changed():
    version = ModelVersionFactory(status="draft", metrics={"auc": 0.8})

    ModelVersion.objects.filter(pk=version.pk).update(metrics={"auc": 0.85})

    version.refresh_from_db()
    assert version.metrics == {"auc": 0.85}


def test_status_may_move_after_submission():
    version = ModelVersionFactory(status="in_review")

    ModelVersion.objects.filter(pk=version.pk).update(status="approved")

    assert ModelVersion.objects.get(pk=version.pk).status == "approved"


def test_version_number_never_changes():
    version = ModelVersionFactory(version=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(version=5)


def test_lineage_parent_must_belong_to_the_same_model():
    foreign_parent = ModelVersionFactory(version=1)
    model = MLModelFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersionFactory(model=model, version=1, parent=foreign_parent)

    assert not ModelVersion.objects.filter(model=model).exists()


def test_submitted_version_must_record_when():
    with pytest.raises(IntegrityError):
        ModelVersionFactory(status="approved", submitted_at=None)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("approved", "draft"),
        ("in_review", "draft"),
        ("draft", "approved"),
        ("rejected", "approved"),
        ("retired", "approved"),
        ("approved", "in_review"),
    ],
)
def test_status_moves_outside_the_transition_table_fail_in_the_database(start, target):
    version = ModelVersionFactory(status=start)

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(status=target)

    assert ModelVersion.objects.get(pk=version.pk).status == start


def test_the_draft_detour_around_frozen_evidence_is_closed():
    """status='draft', edit the evidence, status='approved': refused at step one."""
    version = ModelVersionFactory(status="approved", metrics={"auc": 0.7})

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(status="draft")
        ModelVersion.objects.filter(pk=version.pk).update(metrics={"auc": 0.99})
        ModelVersion.objects.filter(pk=version.pk).update(status="approved")

    assert ModelVersion.objects.get(pk=version.pk).metrics == {"auc": 0.7}


def test_the_database_guard_follows_the_transition_table():
    from importlib import import_module

    from registry.models import VERSION_TRANSITIONS

    migration = import_module("registry.migrations.0005_status_transitions")
    table = {
        (old, new) for old, targets in VERSION_TRANSITIONS.items() for new in targets
    }
    assert set(migration.TRANSITIONS) == table
