"""The evidence kinds that read the intake, the monitoring reports, the
version's provenance and its technical documentation. Pure: no database."""

from datetime import timedelta

import pytest

from compliance.engine import (
    DocumentRef,
    EvidenceLink,
    PackError,
    ProvenanceFacts,
    validate_evidence,
)
from compliance.engine.coverage import judge_evidence
from governance.engine import MonitoredReport
from tests.compliance.test_engine import NOW, facts, judge


def performance(days_ago: int) -> MonitoredReport:
    return MonitoredReport(
        kind="performance",
        attribute="",
        window_end=NOW - timedelta(days=days_ago),
        values={"auc": 0.81},
    )


def fairness(days_ago: int, ratio: float | None, attribute="age_band"):
    return MonitoredReport(
        kind="fairness",
        attribute=attribute,
        window_end=NOW - timedelta(days=days_ago),
        values={"disparate_impact_ratio": ratio},
    )


OVERSIGHT = {
    "intake_revision": 2,
    "human_oversight_measures": "A credit officer confirms every decline.",
    "human_oversight_contact": "Head of Credit Decisioning",
}


def test_human_oversight_needs_both_answers_of_the_current_intake():
    met = judge("human_oversight_documented", **OVERSIGHT)
    assert met.met
    assert met.detail == (
        "intake revision 2 documents human oversight "
        "(contact: Head of Credit Decisioning)"
    )
    assert met.link == EvidenceLink("intake", "credit")

    blank = judge("human_oversight_documented", intake_revision=1)
    assert not blank.met
    assert blank.detail == (
        "intake revision 1 leaves human oversight measures and human "
        "oversight contact blank"
    )
    no_contact = judge(
        "human_oversight_documented",
        **{**OVERSIGHT, "human_oversight_contact": "   "},
    )
    assert no_contact.detail == (
        "intake revision 2 leaves human oversight contact blank"
    )
    never = judge("human_oversight_documented")
    assert not never.met
    assert never.detail == (
        "no human oversight is documented: the intake is not answered"
    )


PRODUCTION = {"environment": "production", "max_age_days": 30}


def test_performance_monitored_needs_a_recent_report_in_the_environment():
    fresh = judge(
        "performance_monitored",
        PRODUCTION,
        monitoring={"production": (performance(3),)},
    )
    assert fresh.met
    assert fresh.detail == (
        "a performance report for v3 serving in production, window ended 3 days ago"
    )

    stale = judge(
        "performance_monitored",
        PRODUCTION,
        monitoring={"production": (performance(45),)},
    )
    assert not stale.met
    assert "ended 45 days ago; at most 30 days allowed" in stale.detail

    elsewhere = judge(
        "performance_monitored", PRODUCTION, monitoring={"staging": (performance(1),)}
    )
    assert not elsewhere.met
    assert elsewhere.detail == "no performance report for v3 serving in production"

    nothing = judge("performance_monitored", PRODUCTION, version=None)
    assert not nothing.met


def test_fairness_examined_reads_any_environment_and_an_optional_ratio_floor():
    reports = {"staging": (fairness(5, 0.92),), "production": (fairness(200, 0.5),)}

    examined = judge("fairness_examined", {"max_age_days": 90}, monitoring=reports)
    assert examined.met
    assert examined.detail == (
        "v3 serving examined for fairness by age_band, window ended 5 days ago"
    )
    floor = judge(
        "fairness_examined",
        {"max_age_days": 90, "min_ratio": 0.8},
        monitoring=reports,
    )
    assert floor.met
    assert floor.detail.endswith("; disparate impact ratio at least 0.8")

    below = judge(
        "fairness_examined",
        {"max_age_days": 90, "min_ratio": 0.95},
        monitoring=reports,
    )
    assert not below.met
    assert below.detail == (
        "the disparate impact ratio of age_band in staging is below 0.95 or "
        "could not be computed"
    )
    undefined = judge(
        "fairness_examined",
        {"max_age_days": 90, "min_ratio": 0.8},
        monitoring={"production": (fairness(1, None),)},
    )
    assert not undefined.met

    # The staging report is recent; production's is too old to count.
    recent_only = judge("fairness_examined", {"max_age_days": 30}, monitoring=reports)
    assert recent_only.met
    never = judge("fairness_examined", {"max_age_days": 90})
    assert never.detail == "no fairness report for v3 serving"


def test_fairness_examined_stale_reports_name_the_newest_window():
    outcome = judge(
        "fairness_examined",
        {"max_age_days": 30},
        monitoring={"production": (fairness(40, 0.9), fairness(60, 0.9, "sex"))},
    )
    assert not outcome.met
    assert outcome.detail == (
        "the last fairness report for v3 serving covers a window that ended "
        "40 days ago; at most 30 days allowed"
    )


@pytest.mark.parametrize("ratio", [-0.1, 1.5, "high", True])
def test_fairness_examined_refuses_a_ratio_outside_zero_to_one(ratio):
    with pytest.raises(PackError) as error:
        validate_evidence(
            {
                "kind": "fairness_examined",
                "params": {"max_age_days": 30, "min_ratio": ratio},
            },
            "evidence[0]",
        )
    assert error.value.field == "evidence[0].params.min_ratio"


def test_optional_parameters_may_be_left_out_but_required_ones_may_not():
    spec = validate_evidence({"kind": "documentation_generated"}, "evidence[0]")
    assert spec.params == {}
    with pytest.raises(PackError) as error:
        validate_evidence(
            {"kind": "fairness_examined", "params": {"min_ratio": 0.8}}, "evidence[0]"
        )
    assert error.value.field == "evidence[0].params.max_age_days"


def provenance_of(model_kind: str, provenance: ProvenanceFacts):
    spec = validate_evidence({"kind": "provenance_recorded"}, "evidence[0]")
    return judge_evidence(spec, facts(kind=model_kind, provenance=provenance), NOW)


def test_provenance_depends_on_the_kind_of_model():
    predictive = judge(
        "provenance_recorded",
        provenance=ProvenanceFacts(
            artifact_sha256="a" * 64, training_data_ref="s3://loans/2026"
        ),
    )
    assert predictive.met
    assert predictive.detail == (
        "v3 serving records its artifact SHA-256 and training data reference"
    )
    unchecked = judge(
        "provenance_recorded",
        provenance=ProvenanceFacts(training_data_ref="s3://loans/2026"),
    )
    assert unchecked.detail == "v3 serving does not record its artifact SHA-256"

    vendor = provenance_of("vendor_model", ProvenanceFacts(provider="openai"))
    assert not vendor.met
    assert vendor.detail == "v3 serving does not record its provider model"
    llm = provenance_of(
        "llm_application",
        ProvenanceFacts(provider="openai", provider_model="gpt-4o-2024"),
    )
    assert llm.met


def test_documentation_generated_needs_a_document_and_an_optional_age():
    missing = judge("documentation_generated")
    assert not missing.met
    assert missing.detail == ("no technical documentation was generated for v3 serving")
    assert missing.link == EvidenceLink("documentation", "3")

    document = DocumentRef(revision=2, generated_at=NOW - timedelta(days=40))
    assert judge("documentation_generated", latest_document=document).met
    old = judge(
        "documentation_generated", {"max_age_days": 30}, latest_document=document
    )
    assert not old.met
    assert old.detail == (
        "the technical documentation of v3 serving was generated 40 days ago; "
        "at most 30 days allowed"
    )
