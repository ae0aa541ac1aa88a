from datetime import timedelta

import pytest
from django.utils import timezone

from deployments.services import request_deployment
from drift.models import DriftAlert
from drift.services import resolve_alert
from governance.services import approve_version, grant_waiver, submit_for_review
from registry.models import Environment
from tests.drift.conftest import report_body, shifted_numeric
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor


@pytest.fixture
def documented(
    team,
    data_scientist,
    reviewer,
    governance_admin,
    make_policy,
    api_client_for,
):
    """churn v1 approved under four eyes (a waiver, an evaluation, a drift
    report and its resolved alert, a production request); v2 a draft child."""
    policy = make_policy("floor", [auc_floor(0.95), approvals(1)])
    model = MLModelFactory(
        name="churn",
        display_name="Churn",
        team=team,
        owner=data_scientist,
        description="Who leaves",
        business_use="Retention offers to customers likely to leave",
        risk_tier="high",
    )
    v1 = ModelVersionFactory(
        model=model,
        version=1,
        created_by=data_scientist,
        framework="sklearn",
        artifact_sha256="a" * 64,
        training_data_ref="s3://data/churn/2026-10",
        metrics={"auc": 0.91},
        params={"depth": 6},
        model_card={
            "intended_use": "Retention offers",
            "limitations": "Not for credit decisions",
            "training_data": "Customers 2024-2026",
            "evaluation_data": "Holdout Q3 2026",
            "ethical_considerations": "No protected attributes used",
            "caveats": "",
        },
    )
    submit_for_review(actor=data_scientist, version=v1)
    grant_waiver(
        actor=governance_admin,
        version=v1,
        policy=policy,
        rule_position=1,
        justification="Retraining with Q4 data",
        expires_at=timezone.now() + timedelta(days=30),
    )
    approve_version(version=v1, reviewer=reviewer, comment="Looks sound")
    client = api_client_for(data_scientist)
    client.post(
        "/api/v1/drift/reports/",
        report_body([shifted_numeric(shift=30)], version=1),
        format="json",
    )
    resolve_alert(actor=reviewer, alert=DriftAlert.objects.get(), note="retrained")
    request_deployment(
        actor=data_scientist,
        version=v1,
        environment=Environment.objects.get(name="production"),
    )
    ModelVersionFactory(
        model=model,
        version=2,
        parent=v1,
        created_by=data_scientist,
        framework="sklearn",
        metrics={"auc": 0.93},
        params={"depth": 8},
        model_card={"intended_use": "Retention offers"},
    )
    return model
