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
    Citation,
    CoverageRecord,
    DeploymentRecord,
    DocumentationFacts,
    DriftAlertRecord,
    DriftReportRecord,
    EvaluationRecord,
    FairnessReportRecord,
    GateRecord,
    IntakeRecord,
    ModelFacts,
    MonitoringAlertRecord,
    ObligationGapRecord,
    PerformanceReportRecord,
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


INTAKE = IntakeRecord(
    revision=2,
    answered_by="dana",
    answered_at=NOW - timedelta(days=5),
    purpose="Score consumer credit applications",
    affected_persons="Loan applicants",
    affected_groups=("Consumers",),
    autonomy="Human in the loop: a person confirms each decision",
    domain="Creditworthiness and credit scoring of natural persons",
    annex_iii="Annex III 5(b)",
    provenance="Built in house",
    vendor_name="",
    human_oversight_measures="A credit officer confirms every refusal",
    human_oversight_contact="credit-officers@example.com",
    category="high_risk",
    reasoning=(Citation("Art. 6(2), Annex III 5(b)", "high-risk (Annex III 5(b))"),),
    transparency_duties=(),
)
COVERAGE = CoverageRecord(
    framework="EU AI Act",
    framework_version="2024/1689",
    met=5,
    partly_met=1,
    unmet=1,
    not_applicable=3,
    gaps=(
        ObligationGapRecord(
            "Art. 9", "Risk management system", "partly_met", ("No waiver review.",)
        ),
        ObligationGapRecord("Art. 72", "Post-market monitoring", "unmet", ()),
    ),
)
PERFORMANCE = PerformanceReportRecord(
    environment="staging",
    window_start=NOW - timedelta(days=7),
    window_end=NOW,
    sample_size=1200,
    metrics={"auc": 0.81, "accuracy": 0.9, "ece": None},
    latest=True,
)
FAIRNESS = FairnessReportRecord(
    environment="staging",
    attribute="age_band",
    reference_group="35-49",
    window_start=NOW - timedelta(days=7),
    window_end=NOW,
    sample_size=1200,
    metrics={"demographic_parity_difference": 0.04, "disparate_impact_ratio": 0.72},
    four_fifths_passed=False,
    latest=True,
)
MONITORING_ALERT = MonitoringAlertRecord(
    environment="staging",
    kind="fairness",
    subject="disparate impact ratio (age_band)",
    severity="critical",
    status="open",
    value=0.72,
    limit=0.8,
    first_seen_at=NOW,
    last_seen_at=NOW,
    note="",
)


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
        intake=INTAKE,
        coverage=(COVERAGE,),
        coverage_version=2,
        performance_reports=(
            replace(PERFORMANCE, window_end=NOW - timedelta(days=7), latest=False),
            PERFORMANCE,
        ),
        fairness_reports=(FAIRNESS,),
        monitoring_alerts=(MONITORING_ALERT,),
    )
    return replace(facts, **changes)


def llm_facts(**changes):
    facts = full_facts(
        model=replace(full_facts().model, kind="llm_application"),
        version=version_record(
            params={},
            prompt_template="You are a support assistant.\nAnswer: {question}",
            provider="openai",
            provider_model="gpt-4o-2024-08-06",
            evaluation_results=(
                {
                    "suite": "support-v1",
                    "metric": "faithfulness",
                    "value": 0.91,
                    "judge": "gpt-4o",
                    "sample_size": 200,
                    "dataset_ref": "s3://eval/support",
                },
            ),
        ),
        performance_reports=(),
        fairness_reports=(),
        monitoring_alerts=(),
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
    assert fields["Kind"] == "predictive model"
    assert "Provider" not in fields
    (reason,) = table(
        document,
        "general_description",
        "EU AI Act classification (intake revision 2, 2026-11-29 12:00 UTC by dana)",
    ).rows
    assert reason == ("Art. 6(2), Annex III 5(b)", "high-risk (Annex III 5(b))")
    assert gap_items(document, "general_description") == []


def test_an_llm_application_names_its_provider_or_a_gap():
    fields = fields_of(build_documentation(llm_facts()), "general_description")
    assert fields["Kind"] == "LLM application"
    assert fields["Provider"] == "openai"
    assert fields["Provider model"] == "gpt-4o-2024-08-06"

    bare = build_documentation(
        llm_facts(version=version_record(provider="", provider_model=""))
    )
    assert gap_items(bare, "general_description") == ["Provider", "Provider model"]


def test_general_description_gaps_name_what_is_missing():
    facts = full_facts(
        model=replace(
            full_facts().model,
            owner=None,
            description=" ",
            ai_act_category="unassessed",
        ),
        version=version_record(artifact_sha256="", framework=""),
        intake=None,
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
    assert fields["Purpose (intake)"] == "Score consumer credit applications"
    assert fields["Affected persons"] == "Loan applicants"
    assert fields["Affected groups"] == "Consumers"
    assert fields["Domain"] == (
        "Creditworthiness and credit scoring of natural persons (Annex III 5(b))"
    )
    assert fields["Autonomy"].startswith("Human in the loop")
    duties = table(document, "intended_purpose", "Transparency duties (Art. 50)")
    assert duties.rows == ()
    assert duties.empty == "None: the answers trigger no Art. 50 duty."
    assert gap_items(document, "intended_purpose") == []


def test_intended_purpose_lists_the_transparency_duties_outside_annex_iii():
    intake = replace(
        INTAKE,
        domain="Other (none of the Annex III areas)",
        annex_iii="",
        transparency_duties=(Citation("Art. 50(1)", "Tell people it is an AI"),),
    )
    document = build_documentation(full_facts(intake=intake))

    fields = fields_of(document, "intended_purpose")
    assert fields["Domain"].endswith("(not an Annex III area)")
    assert table(
        document, "intended_purpose", "Transparency duties (Art. 50)"
    ).rows == (("Art. 50(1)", "Tell people it is an AI"),)


def test_intended_purpose_gaps_without_card_or_intake():
    facts = full_facts(
        model=replace(
            full_facts().model, business_use="", ai_act_category="unassessed"
        ),
        version=version_record(model_card={"intended_use": "Score"}),
        intake=None,
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


def test_an_llm_applications_prompt_template_is_documented():
    document = build_documentation(llm_facts())

    fields = fields_of(document, "development")
    template = "You are a support assistant.\nAnswer: {question}"
    assert fields["Prompt template"] == template
    assert fields["Prompt template length"] == f"{len(template)} characters"
    assert len(fields["Prompt template SHA-256"]) == 64
    # An LLM application has no training parameters to miss.
    assert gap_items(document, "development") == []

    long = "x" * 2500
    fields = fields_of(
        build_documentation(llm_facts(version=version_record(prompt_template=long))),
        "development",
    )
    assert "Prompt template" not in fields
    assert fields["Prompt template (first 600 characters)"] == "x" * 600 + " …"
    assert fields["Prompt template length"] == "2500 characters"

    bare = build_documentation(llm_facts(version=version_record(params={})))
    assert gap_items(bare, "development") == ["Prompt template"]


def test_validation_shows_each_rule_sentence_and_the_four_eyes():
    document = build_documentation(full_facts())

    rules = table(document, "validation", "Rule results of each evaluation")
    assert rules.rows[0][3:] == ("passed", "auc 0.88 is at least 0.80")
    assert "floor (revision 3) #1, enforce" in rules.rows[0][2]
    four_eyes = fields_of(document, "validation")["Four-eyes review"]
    assert four_eyes.startswith("approved by 2 reviewers (ravi, rita)")
    assert "created (dana)" in four_eyes
    assert gap_items(document, "validation") == []


def test_validation_shows_the_latest_performance_and_fairness():
    document = build_documentation(full_facts())

    (performance,) = table(
        document, "validation", "Latest performance per environment"
    ).rows
    assert performance[0] == "staging"
    assert performance[2:6] == ("1200", "0.810", "0.900", "—")
    (fairness,) = table(
        document, "validation", "Latest fairness per environment and attribute"
    ).rows
    assert fairness[1] == "age_band (35-49)"
    assert fairness[4:] == ("0.040", "0.720", "—", "failed")
    # A predictive model has no evaluation suite to show.
    captions = [t.caption for t in section(document, "validation").tables]
    assert "Evaluation suite results" not in captions


def test_validation_of_an_llm_application_shows_its_evaluation_suite():
    document = build_documentation(llm_facts())

    (result,) = table(document, "validation", "Evaluation suite results").rows
    assert result == (
        "support-v1",
        "faithfulness",
        "0.91",
        "gpt-4o",
        "200",
        "s3://eval/support",
    )
    bare = build_documentation(
        llm_facts(version=version_record(params={}, evaluation_results=()))
    )
    assert gap_items(bare, "validation") == ["Evaluation suite results"]


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
    (coverage,) = table(document, "risk_management", "Obligation coverage").rows
    assert coverage == ("EU AI Act (2024/1689)", "5", "1", "1", "3")
    assert fields_of(document, "risk_management")[
        "Obligation coverage judged on"
    ].startswith("version 2")
    # Each obligation not fully met is a gap with its reference.
    gaps = section(document, "risk_management").gaps
    assert [(gap.item, gap.missing) for gap in gaps] == [
        ("EU AI Act Art. 9: Risk management system", "Partly met: No waiver review."),
        (
            "EU AI Act Art. 72: Post-market monitoring",
            "Unmet: its evidence is incomplete.",
        ),
    ]


def test_risk_management_with_every_obligation_met_has_no_gap():
    met = replace(COVERAGE, partly_met=0, unmet=0, gaps=())
    document = build_documentation(full_facts(coverage=(met,)))

    assert gap_items(document, "risk_management") == []


def test_risk_management_gap_without_a_policy_in_scope():
    document = build_documentation(full_facts(policies=(), waivers=(), coverage=None))

    assert gap_items(document, "risk_management") == [
        "Policies in scope",
        "Obligation coverage",
    ]
    assert table(document, "risk_management", "Waivers").empty == "No rule was waived."


def test_human_oversight_is_a_gap_until_the_intake_records_it():
    document = build_documentation(full_facts(intake=None))
    assert gap_items(document, "human_oversight") == ["Human-oversight measures"]

    blank = replace(INTAKE, human_oversight_measures="", human_oversight_contact="")
    document = build_documentation(full_facts(intake=blank))
    assert gap_items(document, "human_oversight") == [
        "Human-oversight measures",
        "Human-oversight contact",
    ]

    document = build_documentation(full_facts())
    fields = fields_of(document, "human_oversight")
    assert fields["Human-oversight measures"] == (
        "A credit officer confirms every refusal"
    )
    assert fields["Human-oversight contact"] == "credit-officers@example.com"
    assert gap_items(document, "human_oversight") == []


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
    history = table(document, "post_market_monitoring", "Performance reports").rows
    assert [row[0].endswith("(latest)") for row in history] == [False, True]
    (fairness,) = table(document, "post_market_monitoring", "Fairness reports").rows
    assert fairness[2] == "age_band (35-49)"
    (alert,) = table(
        document, "post_market_monitoring", "Performance and fairness alerts"
    ).rows
    assert alert[0] == "fairness: disparate impact ratio (age_band)"
    assert alert[2:5] == ("critical", "open", "0.720 / 0.800")
    assert gap_items(document, "post_market_monitoring") == []


def test_post_market_monitoring_gaps_for_a_version_never_deployed():
    document = build_documentation(
        full_facts(
            deployments=(),
            drift_reports=(),
            drift_alerts=(),
            performance_reports=(),
            fairness_reports=(),
            monitoring_alerts=(),
        )
    )

    assert gap_items(document, "post_market_monitoring") == [
        "Deployment ledger",
        "Drift reports",
        "Performance reports",
        "Fairness reports",
    ]


def test_an_llm_application_is_not_asked_for_ground_truth_reports():
    document = build_documentation(
        llm_facts(version=replace(llm_facts().version, metrics={}), drift_reports=())
    )

    assert gap_items(document, "post_market_monitoring") == []
    assert gap_items(document, "validation") == []


def test_the_gaps_are_gathered_up_front_in_section_order():
    document = build_documentation(
        full_facts(
            model=replace(full_facts().model, ai_act_category="unassessed"),
            intake=None,
            coverage=None,
            performance_reports=(),
        )
    )

    assert [(gap.number, gap.item) for gap in document.gaps] == [
        (1, "EU AI Act category"),
        (2, "Use-case intake"),
        (5, "Obligation coverage"),
        (6, "Human-oversight measures"),
        (8, "Performance reports"),
    ]


@pytest.mark.parametrize(
    "make", [full_facts, lambda: full_facts(parent=None, intake=None), llm_facts]
)
def test_a_stored_document_reads_back_the_same(make):
    document = build_documentation(make())

    assert TechnicalDocumentation.from_dict(document.as_dict()) == document


def test_an_obligation_missing_several_pieces_of_evidence_reads_as_one_sentence():
    gap = ObligationGapRecord(
        "Art. 11",
        "Technical documentation",
        "unmet",
        (
            "the model card of v3 serving is missing caveats",
            "no technical documentation was generated for v3 serving",
        ),
    )
    coverage = replace(COVERAGE, gaps=(gap,))

    document = build_documentation(full_facts(coverage=(coverage,)))

    (found,) = section(document, "risk_management").gaps
    assert found.missing == (
        "Unmet: the model card of v3 serving is missing caveats; no technical "
        "documentation was generated for v3 serving."
    )
