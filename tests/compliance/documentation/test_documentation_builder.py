"""The Annex IV builder, section by section: what it fills from the facts,
and what it lists as a gap when the facts are silent. No database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from compliance.documentation.builder import (
    SECTIONS,
    TechnicalDocumentation,
    build_documentation,
)
from compliance.documentation.facts import (
    ApprovalRecord,
    AuditRecord,
    DeploymentRecord,
    DocumentationFacts,
    DriftAlertRecord,
    DriftReportRecord,
    EvaluationRecord,
    GateRecord,
    ModelFacts,
    PolicyRecord,
    VersionRecord,
    WaiverRecord,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
CARD = {
    "intended_use": "Score credit applications",
    "limitations": "Not for applicants under 18",
    "training_data": "Applications 2020-2025",
    "evaluation_data": "Holdout 2026",
    "ethical_considerations": "Reviewed for disparate impact",
    "caveats": "Recalibrate yearly",
}


def version_record(number=2, **changes):
    record = VersionRecord(
        number=number,
        status="approved",
        artifact_uri=f"s3://models/credit/{number}",
        artifact_sha256="b" * 64,
        framework="xgboost",
        training_data_ref="s3://data/credit/2025",
        metrics={"auc": 0.88},
        params={"depth": 6, "eta": 0.1, "layers": [64, 32]},
        model_card=CARD,
        parent=1 if number > 1 else None,
        created_by="dana",
        created_at=NOW - timedelta(days=3),
        submitted_by="dana",
        submitted_at=NOW - timedelta(days=2),
    )
    return replace(record, **changes)


def full_facts(**changes):
    facts = DocumentationFacts(
        model=ModelFacts(
            name="credit",
            display_name="Credit scoring",
            description="Scores loan applications",
            team="Lending",
            owner="dana",
            risk_tier="high",
            ai_act_category="high_risk",
            business_use="Decide consumer loans",
            tags=("credit",),
        ),
        version=version_record(),
        parent=version_record(1, metrics={"auc": 0.85}, params={"depth": 6}),
        now=NOW,
        evaluations=(
            EvaluationRecord(
                environment=None,
                trigger="review",
                passed=True,
                evaluated_at=NOW - timedelta(days=1),
                requested_by="rita",
                results=(
                    {
                        "policy": "floor",
                        "revision": 3,
                        "rule": 1,
                        "enforcement": "enforce",
                        "passed": True,
                        "waived": False,
                        "detail": "auc 0.88 is at least 0.80",
                    },
                ),
            ),
        ),
        approvals=(
            ApprovalRecord("rita", "approve", "Sound", NOW - timedelta(days=1)),
            ApprovalRecord("ravi", "approve", "", NOW - timedelta(hours=20)),
        ),
        waivers=(
            WaiverRecord(
                policy="floor",
                rule=2,
                justification="Second reviewer on leave",
                ticket="RISK-12",
                state="active",
                granted_by="gina",
                granted_at=NOW - timedelta(days=1),
                expires_at=NOW + timedelta(days=29),
                revoked_by=None,
                revocation_reason="",
            ),
        ),
        policies=(
            PolicyRecord(
                "floor", 3, "enforce", ("production",), ("#1 auc must be at least 0.8",)
            ),
        ),
        gate_decisions=(
            GateRecord(
                "staging", "approved", "ci-bot", NOW - timedelta(hours=10), (), ()
            ),
        ),
        deployments=(
            DeploymentRecord(
                "staging", "full", 100, "active", NOW - timedelta(hours=10), NOW, None
            ),
        ),
        drift_reports=(
            DriftReportRecord(
                "staging",
                NOW - timedelta(days=7),
                NOW,
                "warning",
                0.25,
                False,
                ("income",),
            ),
        ),
        drift_alerts=(
            DriftAlertRecord(
                "staging", "income", "warning", "acknowledged", NOW, NOW, "seasonal"
            ),
        ),
        audit=(
            AuditRecord(
                NOW, "dana", "update", "modelversion", "credit v2", ("status",)
            ),
        ),
    )
    return replace(facts, **changes)


def section(document: TechnicalDocumentation, key: str):
    (found,) = [s for s in document.sections if s.key == key]
    return found


def fields_of(document, key):
    return {field.label: field.value for field in section(document, key).fields}


def table(document, key, caption):
    (found,) = [t for t in section(document, key).tables if t.caption == caption]
    return found


def gap_items(document, key):
    return [gap.item for gap in section(document, key).gaps]


def test_the_document_has_annex_ivs_eight_sections_in_order():
    document = build_documentation(full_facts())

    assert [(s.number, s.title) for s in document.sections] == [
        (1, "General description"),
        (2, "Intended purpose"),
        (3, "Development process and data"),
        (4, "Metrics and validation"),
        (5, "Risk management"),
        (6, "Human oversight"),
        (7, "Changes over the lifecycle"),
        (8, "Post-market monitoring"),
    ]
    assert len(SECTIONS) == 8
    assert (
        document.title == "Technical documentation: Credit scoring (credit) version 2"
    )


def test_general_description_filled():
    document = build_documentation(full_facts())

    fields = fields_of(document, "general_description")
    assert fields["Artifact SHA-256"] == "b" * 64
    assert fields["Lineage"] == "derived from version 1"
    assert fields["EU AI Act category"] == "high risk"
    assert fields["Owner"] == "dana"
    assert gap_items(document, "general_description") == []


def test_general_description_gaps_name_what_is_missing():
    facts = full_facts(
        model=replace(
            full_facts().model,
            owner=None,
            description=" ",
            ai_act_category="unassessed",
        ),
        version=version_record(artifact_sha256="", framework=""),
    )

    document = build_documentation(facts)

    assert gap_items(document, "general_description") == [
        "Description",
        "Owner",
        "Framework",
        "Artifact SHA-256",
        "EU AI Act category",
    ]
    assert fields_of(document, "general_description")["Artifact SHA-256"] is None


def test_intended_purpose_filled_from_business_use_and_model_card():
    document = build_documentation(full_facts())

    fields = fields_of(document, "intended_purpose")
    assert fields["Business use"] == "Decide consumer loans"
    assert fields["Model card: intended use"] == "Score credit applications"
    assert fields["Model card: limitations"] == "Not for applicants under 18"
    assert gap_items(document, "intended_purpose") == []


def test_intended_purpose_gaps_without_card_or_intake():
    facts = full_facts(
        model=replace(
            full_facts().model, business_use="", ai_act_category="unassessed"
        ),
        version=version_record(model_card={"intended_use": "Score"}),
    )

    document = build_documentation(facts)

    assert gap_items(document, "intended_purpose") == [
        "Business use",
        "Model card: limitations",
        "Use-case intake",
    ]


def test_development_filled_and_gaps():
    document = build_documentation(full_facts())
    assert gap_items(document, "development") == []
    assert table(document, "development", "Parameters").rows == (
        ("depth", "6"),
        ("eta", "0.10"),
        ("layers", "[64, 32]"),
    )

    bare = build_documentation(
        full_facts(
            version=version_record(training_data_ref="", params={}, model_card={})
        )
    )
    assert gap_items(bare, "development") == [
        "Training data reference",
        "Model card: training data",
        "Model card: evaluation data",
        "Model card: ethical considerations",
        "Parameters",
    ]


def test_validation_shows_each_rule_sentence_and_the_four_eyes():
    document = build_documentation(full_facts())

    rules = table(document, "validation", "Rule results of each evaluation")
    assert rules.rows[0][3:] == ("passed", "auc 0.88 is at least 0.80")
    assert "floor (revision 3) #1, enforce" in rules.rows[0][2]
    four_eyes = fields_of(document, "validation")["Four-eyes review"]
    assert four_eyes.startswith("approved by 2 reviewers (ravi, rita)")
    assert "created (dana)" in four_eyes
    assert gap_items(document, "validation") == []


def test_validation_gaps_without_metrics_evaluations_or_approvals():
    document = build_documentation(
        full_facts(version=version_record(metrics={}), evaluations=(), approvals=())
    )

    assert gap_items(document, "validation") == [
        "Metrics",
        "Governance evaluations",
        "Approvals",
    ]
    assert "Four-eyes review" not in fields_of(document, "validation")


def test_risk_management_lists_policies_waivers_and_gate_decisions():
    document = build_documentation(full_facts())

    (waiver,) = table(document, "risk_management", "Waivers").rows
    assert waiver[0] == "floor #2"
    assert waiver[1] == "Second reviewer on leave (ticket RISK-12)"
    assert waiver[4] == "2027-01-02 12:00 UTC"
    (policy,) = table(document, "risk_management", "Policies in scope").rows
    assert policy == (
        "floor",
        "3",
        "enforce",
        "production",
        "#1 auc must be at least 0.8",
    )
    (gate,) = table(document, "risk_management", "Deployment gate decisions").rows
    assert gate[1:3] == ("staging", "approved")
    # Obligation coverage has no source yet: an honest gap.
    assert gap_items(document, "risk_management") == ["Obligation coverage"]


def test_risk_management_gap_without_a_policy_in_scope():
    document = build_documentation(full_facts(policies=(), waivers=()))

    assert gap_items(document, "risk_management") == [
        "Policies in scope",
        "Obligation coverage",
    ]
    assert table(document, "risk_management", "Waivers").empty == "No rule was waived."


def test_human_oversight_is_a_gap_until_the_intake_records_it():
    document = build_documentation(full_facts())

    assert gap_items(document, "human_oversight") == ["Human-oversight measures"]


def test_changes_against_the_parent_and_the_audit_trail():
    document = build_documentation(full_facts())

    diff = table(document, "changes", "Changes against version 1")
    assert diff.rows == (
        ("Artifact", "s3://models/credit/1", "s3://models/credit/2"),
        ("metric auc", "0.85", "0.88"),
        ("parameter eta", "—", "0.10"),
        ("parameter layers", "—", "[64, 32]"),
    )
    (entry,) = table(document, "changes", "Audit trail").rows
    assert entry[1:] == ("dana", "update modelversion: credit v2", "status")
    assert gap_items(document, "changes") == []


def test_a_first_version_has_no_parent_and_no_audit_is_a_gap():
    document = build_documentation(
        full_facts(version=version_record(1), parent=None, audit=())
    )

    assert fields_of(document, "changes")["Parent version"].startswith("none")
    assert gap_items(document, "changes") == ["Audit trail"]


def test_post_market_monitoring_filled_from_the_ledger_and_drift():
    document = build_documentation(full_facts())

    (ledger,) = table(document, "post_market_monitoring", "Deployment ledger").rows
    assert ledger[:4] == ("staging", "full", "100 %", "active")
    assert ledger[5] == "now"
    (report,) = table(document, "post_market_monitoring", "Drift reports").rows
    assert report[3:] == ("25%", "income")
    (alert,) = table(document, "post_market_monitoring", "Drift alerts").rows
    assert alert[0] == "income (seasonal)"
    assert gap_items(document, "post_market_monitoring") == [
        "Performance and fairness monitoring"
    ]


def test_post_market_monitoring_gaps_for_a_version_never_deployed():
    document = build_documentation(
        full_facts(deployments=(), drift_reports=(), drift_alerts=())
    )

    assert gap_items(document, "post_market_monitoring") == [
        "Deployment ledger",
        "Drift reports",
        "Performance and fairness monitoring",
    ]


def test_the_gaps_are_gathered_up_front_in_section_order():
    document = build_documentation(
        full_facts(model=replace(full_facts().model, ai_act_category="unassessed"))
    )

    assert [(gap.number, gap.item) for gap in document.gaps] == [
        (1, "EU AI Act category"),
        (2, "Use-case intake"),
        (5, "Obligation coverage"),
        (6, "Human-oversight measures"),
        (8, "Performance and fairness monitoring"),
    ]


@pytest.mark.parametrize("make", [full_facts, lambda: full_facts(parent=None)])
def test_a_stored_document_reads_back_the_same(make):
    document = build_documentation(make())

    assert TechnicalDocumentation.from_dict(document.as_dict()) == document
