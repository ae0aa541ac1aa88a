"""Each vocabulary is defined once, in its app's pure `constants` module; these
tests pin every copy that has to exist (TextChoices, serializer choices, the
engine's schemas, the metric labels) to that one definition."""

from deployments import constants as deployments_vocabulary
from deployments.api import DeploymentListFilter, DeploymentRequestSerializer
from deployments.models import Decision, Deployment, DeploymentStep, Strategy
from drift import constants as drift_vocabulary
from drift.api import DriftAlertListFilter
from drift.models import DriftAlert, Severity
from drift.stats import constants as stats_constants
from governance import constants as governance_vocabulary
from governance.api import WaiverListFilter
from governance.engine import (
    DRIFT_SEVERITIES,
    ENFORCEMENTS,
    MODEL_CARD_FIELDS,
    rule_param_schema,
)
from governance.models import Approval, Policy
from registry import constants as registry_vocabulary
from registry.api import (
    ModelCardSerializer,
    ModelListFilter,
    PortfolioVersionListFilter,
)
from registry.models import MLModel, ModelVersion


def test_registry_choices_are_the_registry_vocabulary():
    assert tuple(MLModel.RiskTier.values) == registry_vocabulary.RISK_TIERS
    assert tuple(ModelVersion.Status.values) == registry_vocabulary.VERSION_STATUSES
    assert tuple(ModelCardSerializer().fields) == registry_vocabulary.MODEL_CARD_FIELDS
    assert MODEL_CARD_FIELDS == registry_vocabulary.MODEL_CARD_FIELDS
    assert tuple(MLModel.Kind.values) == registry_vocabulary.MODEL_KINDS
    assert tuple(ModelListFilter().fields["kind"].choices) == (
        registry_vocabulary.MODEL_KINDS
    )
    provider_choices = ModelVersion._meta.get_field("provider").choices or []
    assert tuple(value for value, _ in provider_choices) == (
        registry_vocabulary.PROVIDERS
    )


def test_drift_choices_are_the_drift_vocabulary():
    assert tuple(Severity.values) == drift_vocabulary.SEVERITIES
    assert tuple(DriftAlert.Status.values) == drift_vocabulary.ALERT_STATUSES
    assert stats_constants.SEVERITY_ORDER == drift_vocabulary.SEVERITIES
    assert DRIFT_SEVERITIES == drift_vocabulary.SEVERITIES
    assert set(drift_vocabulary.ALERT_SEVERITIES) < set(drift_vocabulary.SEVERITIES)


def test_governance_choices_are_the_governance_vocabulary():
    assert tuple(Policy.Enforcement.values) == governance_vocabulary.ENFORCEMENTS
    assert ENFORCEMENTS == governance_vocabulary.ENFORCEMENTS
    assert tuple(Approval.Decision.values) == governance_vocabulary.DECISIONS


def test_deployments_choices_are_the_deployments_vocabulary():
    vocabulary = deployments_vocabulary
    assert tuple(Strategy.values) == vocabulary.STRATEGIES
    assert tuple(Decision.values) == vocabulary.DECISIONS
    assert tuple(Deployment.Status.values) == vocabulary.DEPLOYMENT_STATUSES
    for field in ("from_status", "to_status"):
        choices = DeploymentStep._meta.get_field(field).choices
        assert tuple(value for value, _ in choices) == vocabulary.DEPLOYMENT_STATUSES
    transitions = vocabulary.DEPLOYMENT_TRANSITIONS
    assert set(transitions) == set(vocabulary.DEPLOYMENT_STATUSES)
    targets = {status for moves in transitions.values() for status in moves.values()}
    assert targets <= set(vocabulary.DEPLOYMENT_STATUSES)
    assert set(vocabulary.CLIENT_ACTIONS) <= {
        action for moves in transitions.values() for action in moves
    }
    assert {"blocked", "approved"} == vocabulary.UNMOVED_STATUSES


def test_list_filters_offer_exactly_the_vocabulary():
    def choices(serializer, name):
        return tuple(serializer().fields[name].choices)

    assert choices(ModelListFilter, "risk_tier") == registry_vocabulary.RISK_TIERS
    assert (
        choices(PortfolioVersionListFilter, "status")
        == registry_vocabulary.VERSION_STATUSES
    )
    assert choices(DriftAlertListFilter, "severity") == drift_vocabulary.SEVERITIES
    assert choices(DriftAlertListFilter, "status") == drift_vocabulary.ALERT_STATUSES
    assert choices(WaiverListFilter, "state") == governance_vocabulary.WAIVER_STATES
    assert (
        choices(DeploymentListFilter, "status")
        == deployments_vocabulary.DEPLOYMENT_STATUSES
    )
    assert choices(DeploymentListFilter, "decision") == deployments_vocabulary.DECISIONS
    assert (
        choices(DeploymentRequestSerializer, "strategy")
        == deployments_vocabulary.STRATEGIES
    )


def test_rule_schemas_name_the_vocabulary():
    card = rule_param_schema("model_card_fields")["properties"]["fields"]
    assert tuple(card["items"]["enum"]) == registry_vocabulary.MODEL_CARD_FIELDS
    drift = rule_param_schema("max_drift_severity")["properties"]["severity"]
    assert set(drift["enum"]) < set(drift_vocabulary.SEVERITIES)
