"""The production verdict column of the registry's model list: computed now,
about the version serving production, else the model's candidate, and named."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import Evaluation, Waiver
from registry.models import Environment
from tests.factories import (
    DeploymentFactory,
    DriftAlertFactory,
    MLModelFactory,
    ModelVersionFactory,
    UserFactory,
)
from tests.governance.conftest import auc_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def model_list(client) -> str:
    return client.get(reverse("admin:registry_mlmodel_changelist")).content.decode()


def verdict_cell(page: str, model_name: str) -> str:
    row = page[page.index(f">{model_name}</a>") :]
    cell = row[row.index('<td class="field-production_verdict">') :]
    return cell[: cell.index("</td>")]


def serve_in_production(version, **fields):
    return DeploymentFactory(
        version=version,
        environment=Environment.objects.get(name="production"),
        **fields,
    )


def test_the_column_judges_the_version_serving_production_not_a_newer_one(
    client, staff, team, make_policy
):
    make_policy("floor", [auc_floor(0.8)], environments=["production"])
    model = MLModelFactory(name="churn", team=team)
    serving = ModelVersionFactory(
        model=model, version=1, status="approved", metrics={"auc": 0.7}
    )
    ModelVersionFactory(model=model, version=2, status="approved", metrics={"auc": 0.9})
    serve_in_production(serving)

    assert verdict_cell(model_list(client), "churn").endswith(
        'icon-no.svg" alt=""> v1 serving: fails: auc 0.70 is below the minimum 0.80'
    )


def test_where_nothing_serves_the_candidate_speaks_and_a_draft_never(
    client, staff, team, make_policy
):
    make_policy("floor", [auc_floor(0.8)], environments=["production"])
    make_policy("staging-bar", [auc_floor(0.99)], environments=["staging"])
    approved = MLModelFactory(name="pricing", team=team)
    ModelVersionFactory(
        model=approved, version=1, status="approved", metrics={"auc": 0.9}
    )
    newer = ModelVersionFactory(
        model=approved, version=2, status="in_review", metrics={"auc": 0.7}
    )
    # A stored verdict from before is not what the gate would say now.
    Evaluation.objects.create(
        version=newer,
        environment=Environment.objects.get(name="production"),
        passed=True,
        trigger="request",
    )
    submitted = MLModelFactory(name="submitted", team=team)
    ModelVersionFactory(
        model=submitted, version=1, status="rejected", metrics={"auc": 0.95}
    )
    ModelVersionFactory(model=submitted, version=2, status="draft", metrics={})
    drafts = MLModelFactory(name="drafts", team=team)
    ModelVersionFactory(model=drafts, version=1, status="draft", metrics={"auc": 0.9})
    MLModelFactory(name="fresh", team=team)

    page = model_list(client)

    assert verdict_cell(page, "pricing").endswith("> v1 candidate: passes")
    assert verdict_cell(page, "submitted").endswith("> v1 candidate: passes")
    for name in ("drafts", "fresh"):
        assert verdict_cell(page, name).endswith(
            'icon-unknown.svg" alt=""> no submitted version'
        )


def test_a_waived_rule_does_not_fail_the_production_verdict(
    client, staff, team, make_policy
):
    policy = make_policy("floor", [auc_floor(0.8)], environments=["production"])
    version = ModelVersionFactory(
        model=MLModelFactory(name="churn", team=team),
        version=1,
        status="in_review",
        metrics={"auc": 0.7},
    )
    Waiver.objects.create(
        version=version,
        policy=policy,
        rule_position=1,
        justification="Retrained next week.",
        granted_by=staff,
        expires_at=timezone.now() + timedelta(days=7),
    )

    assert verdict_cell(model_list(client), "churn").endswith("> v1 candidate: passes")


@pytest.mark.parametrize("count", [1, 20])
def test_the_model_list_query_count_is_constant(
    client, staff, team, make_policy, django_assert_num_queries, count
):
    make_policy("floor", [auc_floor(0.8)], environments=["production"])
    for index in range(count):
        model = MLModelFactory(name=f"m-{index}", team=team, tags=["pii"])
        version = ModelVersionFactory(
            model=model, version=1, status="approved", metrics={"auc": 0.5}
        )
        DriftAlertFactory(version=version, latest_report__version=version)
        if index % 2:
            serve_in_production(version)

    # session, user, the filters' teams and tags, two counts, the page's models
    # with their drift counts; then for the verdicts: the candidates, what
    # serves, the versions' facts (versions, tags, approvals, drift, latest
    # monitoring reports), waivers, and the policies with their rules.
    with django_assert_num_queries(16):
        page = model_list(client)

    assert page.count("fails: auc 0.50 is below the minimum 0.80") == count
    assert page.count('<td class="field-open_drift_alerts">1 warning</td>') == count
