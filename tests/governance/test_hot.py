"""governance.hot: each compiled query gives the rows of its ORM twin, and
one version's evidence is what the many-version selectors give for it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance import hot
from governance.models import Approval, Policy, Waiver
from governance.selectors import (
    current_policy_specs,
    evaluation_evidence,
    version_facts,
    waiver_specs,
)
from registry.models import Environment, ModelVersion
from tests.factories import DriftAlertFactory, MLModelFactory, ModelVersionFactory
from tests.governance.conftest import auc_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(team, data_scientist, reviewer, second_reviewer, make_policy):
    make_policy("floor", [auc_floor()])
    make_policy("empty", [])
    model = MLModelFactory(team=team)
    model.tags.create(name="credit")
    version = ModelVersionFactory(
        model=model,
        created_by=data_scientist,
        submitted_by=data_scientist,
        metrics={"auc": 0.9},
        model_card={"intended_use": "churn"},
    )
    for reviewer_ in (reviewer, second_reviewer):
        Approval.objects.create(
            version=version, reviewer=reviewer_, decision=Approval.Decision.APPROVE
        )
    DriftAlertFactory(
        latest_report__version=version,
        latest_report__environment=Environment.objects.get(name="production"),
    )
    now = timezone.now()
    for expires_at in (now + timedelta(days=3), now - timedelta(days=1)):
        Waiver.objects.create(
            version=version,
            policy=Policy.objects.get(name="floor"),
            rule_position=1,
            justification="Known gap.",
            granted_by=reviewer,
            granted_at=now - timedelta(days=5),
            expires_at=expires_at,
        )
    return version


def test_the_policy_rows_are_the_orm_rows(version):
    rows = hot.policy_rule_query()
    assert rows == hot.policy_rule_query.orm_rows()
    assert [row.name for row in rows] == ["empty", "floor"]
    assert rows[0].rules__position is None  # a policy without rules


@pytest.mark.parametrize(
    "query, parameter",
    [
        (hot.fact_query, "version_id"),
        (hot.approval_query, "version_id"),
        (hot.drift_query, "version_id"),
        (hot.waiver_query, "version_id"),
        (hot.tag_query, "model_id"),
    ],
)
def test_one_versions_rows_are_the_orm_rows(version, query, parameter):
    value = version.model_id if parameter == "model_id" else version.pk
    rows = query(**{parameter: value})

    assert rows  # the fixture gives each query something to find
    assert rows == query.orm_rows(**{parameter: value})
    assert query(**{parameter: value + 1000}) == []


def test_one_versions_evidence_is_what_the_many_version_selectors_give(version):
    now = timezone.now()

    evidence = evaluation_evidence(version=version, now=now)

    versions = ModelVersion.objects.filter(pk=version.pk)
    assert evidence.facts == version_facts(versions)[version.pk]
    assert evidence.waivers == waiver_specs(versions=versions, now=now)[version.pk]
    assert evidence.policies == current_policy_specs()
    assert len(evidence.waiver_ids) == 1
    assert len(evidence.approval_ids) == 2
