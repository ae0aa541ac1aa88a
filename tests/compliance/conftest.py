"""A credit-scoring model serving production, high-risk under the EU AI Act,
with an enforced auc floor, two independent approvals, a fresh drift report
and a complete model card except `ethical_considerations`; and a minimal-risk
model with only a candidate."""

from dataclasses import dataclass

import pytest

from compliance.services import set_framework_enabled
from registry.models import Environment, MLModel, ModelVersion
from tests.command_center.conftest import FULL_CARD, approve
from tests.factories import (
    DeploymentFactory,
    DriftReportFactory,
    MLModelFactory,
    ModelVersionFactory,
    TeamFactory,
)


@dataclass
class Scene:
    credit: MLModel
    credit_v1: ModelVersion
    chatbot: MLModel
    deployment_id: int
    report_id: int


@pytest.fixture
def eu_pack(governance_admin):
    return set_framework_enabled(
        actor=governance_admin, framework="eu_ai_act", enabled=True
    )


@pytest.fixture
def scene(make_policy, reviewer, second_reviewer) -> Scene:
    make_policy(
        "floor",
        [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.8},
            }
        ],
    )
    team = TeamFactory(name="lending")
    credit = MLModelFactory(
        name="credit", team=team, risk_tier="high", ai_act_category="high_risk"
    )
    card = {**FULL_CARD, "ethical_considerations": ""}
    credit_v1 = ModelVersionFactory(
        model=credit,
        version=1,
        status="approved",
        metrics={"auc": 0.9},
        model_card=card,
    )
    approve(credit_v1, reviewer)
    approve(credit_v1, second_reviewer)
    deployment = DeploymentFactory(
        version=credit_v1, environment=Environment.objects.get(name="production")
    )
    report = DriftReportFactory(version=credit_v1)
    chatbot = MLModelFactory(
        name="chatbot", team=team, risk_tier="low", ai_act_category="minimal"
    )
    ModelVersionFactory(model=chatbot, version=1, status="in_review")
    return Scene(credit, credit_v1, chatbot, deployment.pk, report.pk)
