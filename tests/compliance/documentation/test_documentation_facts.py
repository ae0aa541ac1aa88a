"""The facts a technical document is built from: read in a fixed number of
queries whatever the version's history, with the policies in its scope."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.documentation.selectors import FACT_QUERIES, documentation_facts
from compliance.selectors import coverage_facts
from compliance.services import set_framework_enabled
from governance.models import Evaluation
from mlgov.exceptions import NotFoundError
from registry.intake import submit_intake
from registry.models import MLModel
from tests.drift.quality.test_selectors import counts, matrix, post
from tests.factories import DriftReportFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor
from tests.registry.intake_answers import answers

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
        user = v1.created_by
        post("performance", v1, user, "staging", index, **matrix(60 + index))
        post("fairness", v1, user, "staging", index, **counts(f"attr{index}", 50))
    if extra:
        submit_intake(actor=v1.created_by, model=documented, answers=answers())

    # version with model, team, owner, authors and parent; tags; evaluations;
    # approvals; waivers; policies; gate decisions; deployments; drift
    # reports; their drifted features; drift alerts; audit entries; the
    # intake; performance and fairness reports, the latest of them and
    # monitoring alerts; the enabled frameworks (none)
    with django_assert_num_queries(FACT_QUERIES):
        facts = documentation_facts(name="churn", number=1, now=timezone.now())

    # at submission, after the approval, and at the gate
    assert len(facts.evaluations) == 3 + extra
    assert len(facts.drift_reports) == 1 + extra
    assert len(facts.performance_reports) == extra
    assert len(facts.fairness_reports) == extra
    assert facts.coverage is None


def test_with_frameworks_enabled_the_facts_add_coverages_queries(
    documented, governance_admin, django_assert_num_queries
):
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    now = timezone.now()
    with CaptureQueriesContext(connection) as coverage:
        coverage_facts(MLModel.objects.filter(pk=documented.pk), now=now)

    # and the enabled frameworks' custom obligations
    with django_assert_num_queries(FACT_QUERIES + 1 + len(coverage.captured_queries)):
        facts = documentation_facts(name="churn", number=1, now=now)

    (eu,) = facts.coverage
    assert eu.framework == "EU AI Act"
    assert eu.met + eu.partly_met + eu.unmet + eu.not_applicable > 0
    assert all(gap.status in ("unmet", "partly_met") for gap in eu.gaps)
    assert all(gap.reference for gap in eu.gaps)


def test_the_facts_read_the_intake_and_the_monitoring_reports(documented):
    v1 = documented.versions.get(version=1)
    user = v1.created_by
    submit_intake(
        actor=user,
        model=documented,
        answers=answers(human_oversight_measures="An officer confirms refusals."),
    )
    post("performance", v1, user, "production", 14, **matrix(80))
    post("performance", v1, user, "production", 7, **matrix(60))
    post("fairness", v1, user, "production", 7, **counts("sex", 50))

    facts = documentation_facts(name="churn", number=1, now=timezone.now())

    intake = facts.intake
    assert intake is not None
    assert intake.domain == "Creditworthiness and credit scoring of natural persons"
    assert intake.annex_iii == "Annex III 5(b)"
    assert intake.affected_groups == ("Consumers",)
    assert intake.human_oversight_measures == "An officer confirms refusals."
    assert intake.reasoning[0].citation
    # Oldest window first; the latest is the one received last (stored
    # first here: the demo replays the past out of order).
    assert [r.latest for r in facts.performance_reports] == [False, True]
    assert facts.performance_reports[1].metrics["recall"] == 0.8
    (fairness,) = facts.fairness_reports
    assert (fairness.attribute, fairness.latest) == ("sex", True)


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
