"""The facts a technical document is built from: read in a fixed number of
queries whatever the version's history, with the policies in its scope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.documentation.selectors import FACT_QUERIES, documentation_facts
from governance.models import Evaluation
from mlgov.exceptions import NotFoundError
from tests.factories import DriftReportFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("extra", [0, 6])
def test_the_facts_take_a_fixed_number_of_queries(
    documented, django_assert_num_queries, extra
):
    v1 = documented.versions.get(version=1)
    for index in range(extra):
        Evaluation.objects.create(
            version=v1, passed=True, results=[], trigger="request"
        )
        DriftReportFactory(version=v1)
        ModelVersionFactory(model=documented, version=10 + index, parent=v1)

    # version with model, team, owner, authors and parent; tags; evaluations;
    # approvals; waivers; policies; gate decisions; deployments; drift
    # reports; their drifted features; drift alerts; audit entries
    with django_assert_num_queries(FACT_QUERIES):
        facts = documentation_facts(name="churn", number=1, now=timezone.now())

    assert len(facts.evaluations) == 2 + extra
    assert len(facts.drift_reports) == 1 + extra


def test_the_facts_read_the_versions_records(documented):
    facts = documentation_facts(name="churn", number=1, now=timezone.now())

    assert facts.model.owner == "scientist"
    assert facts.version.artifact_sha256 == "a" * 64
    assert [a.reviewer for a in facts.approvals] == ["reviewer"]
    assert facts.waivers[0].justification == "Retraining with Q4 data"
    assert facts.gate_decisions[0].decision == "blocked"
    assert facts.gate_decisions[0].blocking
    assert facts.drift_alerts[0].note == "retrained"
    assert facts.drift_reports[0].drifted_features == ("age",)
    assert {entry.object_type for entry in facts.audit} >= {
        "modelversion",
        "approval",
        "waiver",
        "driftalert",
        "deployment",
    }
    child = documentation_facts(name="churn", number=2, now=timezone.now())
    assert child.parent is not None
    assert child.parent.number == 1


def test_policies_in_scope_follow_the_engines_scope(documented, make_policy):
    make_policy("critical-only", [approvals(2)], risk_tiers=["critical"])
    make_policy("production-floor", [auc_floor(0.9)], environments=["production"])
    make_policy("switched-off", [auc_floor(0.9)], enforcement="disabled")

    facts = documentation_facts(name="churn", number=1, now=timezone.now())

    policies = {policy.name: policy for policy in facts.policies}
    assert set(policies) == {"floor", "production-floor"}
    assert policies["production-floor"].environments == ("production",)
    assert policies["floor"].rules[0] == "#1 auc must be at least 0.95"


def test_an_unknown_version_is_not_found(documented):
    with pytest.raises(NotFoundError):
        documentation_facts(name="churn", number=9, now=timezone.now())
    with pytest.raises(NotFoundError):
        documentation_facts(name="nothing", number=1, now=timezone.now() - timedelta(1))
