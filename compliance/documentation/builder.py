"""The technical document of a model version, built from its facts: eight
sections in the order of the EU AI Act's Annex IV, each listing what it could
not fill as a gap. Pure: no ORM, no clock (the facts carry `now`).

Each section is one function from the facts to its content, listed in
`SECTIONS`; a new source of evidence (the use-case intake, obligation
coverage, performance monitoring) changes the one function that uses it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from compliance.documentation.facts import DocumentationFacts, VersionRecord
from governance.engine.rules import format_number, is_filled
from registry.constants import (
    AI_ACT_UNASSESSED,
    KIND_LLM_APPLICATION,
    KIND_PREDICTIVE,
    KIND_VENDOR_MODEL,
)

MISSING = "—"

KIND_LABELS: Mapping[str, str] = {
    KIND_PREDICTIVE: "predictive model",
    KIND_LLM_APPLICATION: "LLM application",
    KIND_VENDOR_MODEL: "vendor model",
}
# A prompt template up to this length is shown whole; a longer one by its
# SHA-256, its length and an excerpt of this many characters.
PROMPT_SHOWN_WHOLE = 2000
PROMPT_EXCERPT = 600


@dataclass(frozen=True)
class Field:
    """A labelled value; `value` is None when the data does not say."""

    label: str
    value: str | None


@dataclass(frozen=True)
class Table:
    """Rows of text under a caption; an empty table says `empty`."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "None recorded."


@dataclass(frozen=True)
class Gap:
    """What a section could not fill from the data, and why."""

    section: str
    number: int
    item: str
    missing: str


@dataclass(frozen=True)
class Section:
    """One numbered section of the document."""

    key: str
    number: int
    title: str
    fields: tuple[Field, ...] = ()
    tables: tuple[Table, ...] = ()
    gaps: tuple[Gap, ...] = ()

    @property
    def is_complete(self) -> bool:
        return not self.gaps


@dataclass(frozen=True)
class TechnicalDocumentation:
    """The whole document: what it describes, its sections and its gaps."""

    model: str
    model_display_name: str
    version: int
    facts_as_of: str
    sections: tuple[Section, ...]

    @property
    def title(self) -> str:
        return (
            f"Technical documentation: {self.model_display_name} "
            f"({self.model}) version {self.version}"
        )

    @property
    def gaps(self) -> tuple[Gap, ...]:
        return tuple(gap for section in self.sections for gap in section.gaps)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as stored with each revision."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TechnicalDocumentation:
        """Read back a document stored with `as_dict`."""
        return cls(
            model=data["model"],
            model_display_name=data["model_display_name"],
            version=data["version"],
            facts_as_of=data["facts_as_of"],
            sections=tuple(
                Section(
                    key=section["key"],
                    number=section["number"],
                    title=section["title"],
                    fields=tuple(Field(**item) for item in section["fields"]),
                    tables=tuple(
                        Table(
                            caption=table["caption"],
                            columns=tuple(table["columns"]),
                            rows=tuple(tuple(row) for row in table["rows"]),
                            empty=table["empty"],
                        )
                        for table in section["tables"]
                    ),
                    gaps=tuple(Gap(**gap) for gap in section["gaps"]),
                )
                for section in data["sections"]
            ),
        )


@dataclass
class _Content:
    """What a section function fills; `field` with no value records a gap."""

    key: str
    number: int
    fields: list[Field] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    def field(self, label: str, value: str | None, *, missing: str = "") -> None:
        """A value; a blank one is a gap when `missing` says what is lacking."""
        filled = value is not None and is_filled(value)
        self.fields.append(Field(label, value if filled else None))
        if not filled and missing:
            self.gap(label, missing)

    def table(
        self,
        caption: str,
        columns: Iterable[str],
        rows: Iterable[Iterable[str]],
        *,
        empty: str = "None recorded.",
        missing: str = "",
    ) -> None:
        """A table; an empty one is a gap when `missing` says what is lacking."""
        body = tuple(tuple(row) for row in rows)
        self.tables.append(Table(caption, tuple(columns), body, empty))
        if not body and missing:
            self.gap(caption, missing)

    def gap(self, item: str, missing: str) -> None:
        self.gaps.append(Gap(self.key, self.number, item, missing))


def _time(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else MISSING


def _value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "null"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _card_label(name: str) -> str:
    return "Model card: " + name.replace("_", " ")


# 1. General description ---------------------------------------------------------


def general_description(facts: DocumentationFacts, content: _Content) -> None:
    """Annex IV 1: what the system is, who owns it, what was built."""
    model, version = facts.model, facts.version
    content.field("Model", f"{model.display_name} ({model.name})")
    content.field(
        "Description", model.description, missing="The model has no description."
    )
    content.field("Team", model.team)
    content.field("Owner", model.owner, missing="The model has no named owner.")
    content.field("Version", f"{version.number} ({version.status.replace('_', ' ')})")
    content.field(
        "Framework", version.framework, missing="The version names no framework."
    )
    content.field("Artifact", version.artifact_uri)
    content.field(
        "Artifact SHA-256",
        version.artifact_sha256,
        missing="No checksum of the artifact was registered.",
    )
    content.field(
        "Lineage",
        f"derived from version {version.parent}"
        if version.parent
        else "first version (no parent)",
    )
    content.field("Kind", KIND_LABELS.get(model.kind, model.kind))
    if model.kind != KIND_PREDICTIVE or version.provider:
        content.field(
            "Provider",
            version.provider,
            missing="The version names no provider of the underlying model.",
        )
        content.field(
            "Provider model",
            version.provider_model,
            missing="The version names no provider model identifier and version.",
        )
    intake = facts.intake
    if intake is not None and intake.vendor_name:
        content.field("Vendor", f"{intake.vendor_name} ({intake.provenance})")
    content.field("Risk tier", model.risk_tier)
    category = model.ai_act_category
    content.field(
        "EU AI Act category",
        None if category == AI_ACT_UNASSESSED else category.replace("_", " "),
        missing="Not derived yet: the model's use-case intake has not been answered.",
    )
    if intake is not None:
        content.table(
            f"EU AI Act classification (intake revision {intake.revision}, "
            f"{_time(intake.answered_at)} by {intake.answered_by})",
            ("Provision", "Reasoning"),
            ((line.citation, line.text) for line in intake.reasoning),
            missing="The intake recorded no reasoning for its category.",
        )
    content.field("Tags", ", ".join(model.tags) or MISSING)
    content.field(
        "Registered", f"{_time(version.created_at)} by {version.created_by or MISSING}"
    )


# 2. Intended purpose -------------------------------------------------------------


def intended_purpose(facts: DocumentationFacts, content: _Content) -> None:
    """Annex IV 1(a), 2(b): what the system is for and where it must not be used."""
    card = facts.version.model_card
    content.field(
        "Business use",
        facts.model.business_use,
        missing="The model states no business use.",
    )
    content.field(
        _card_label("intended_use"),
        card.get("intended_use"),
        missing="The model card states no intended use.",
    )
    content.field(
        _card_label("limitations"),
        card.get("limitations"),
        missing="The model card states no limitations.",
    )
    intake = facts.intake
    if intake is None:
        content.gap(
            "Use-case intake",
            "Not answered: the persons affected, the degree of autonomy and the "
            "domain of use are not recorded.",
        )
        return
    content.field(
        "Purpose (intake)", intake.purpose, missing="The intake states no purpose."
    )
    content.field(
        "Affected persons",
        intake.affected_persons,
        missing="The intake names no affected persons.",
    )
    content.field(
        "Affected groups",
        "; ".join(intake.affected_groups) or "none of the groups the intake lists",
    )
    content.field(
        "Domain",
        f"{intake.domain} ({intake.annex_iii})"
        if intake.annex_iii
        else f"{intake.domain} (not an Annex III area)",
    )
    content.field("Autonomy", intake.autonomy)
    content.table(
        "Transparency duties (Art. 50)",
        ("Provision", "Duty"),
        ((duty.citation, duty.text) for duty in intake.transparency_duties),
        empty="None: the answers trigger no Art. 50 duty.",
    )


# 3. Development process and data -----------------------------------------------


def development(facts: DocumentationFacts, content: _Content) -> None:
    """Annex IV 2: how the version was built and on which data."""
    version = facts.version
    card = version.model_card
    content.field(
        "Training data reference",
        version.training_data_ref,
        missing="The version names no training data reference.",
    )
    for name, missing in (
        ("training_data", "The model card does not describe the training data."),
        ("evaluation_data", "The model card does not describe the evaluation data."),
        ("ethical_considerations", "The model card states no ethical considerations."),
        ("caveats", ""),
    ):
        content.field(_card_label(name), card.get(name), missing=missing)
    content.table(
        "Parameters",
        ("Parameter", "Value"),
        ((name, _value(value)) for name, value in sorted(version.params.items())),
        missing=""
        if facts.model.kind == KIND_LLM_APPLICATION
        else "The version records no training parameters.",
    )
    if facts.model.kind == KIND_LLM_APPLICATION or version.prompt_template:
        _prompt_template(version.prompt_template, content)


def _prompt_template(template: str, content: _Content) -> None:
    """The prompt whole when short; else its checksum, length and opening."""
    if not template:
        content.gap("Prompt template", "The version records no prompt template.")
        return
    content.field(
        "Prompt template SHA-256", hashlib.sha256(template.encode()).hexdigest()
    )
    content.field("Prompt template length", f"{len(template)} characters")
    if len(template) <= PROMPT_SHOWN_WHOLE:
        content.field("Prompt template", template)
    else:
        content.field(
            f"Prompt template (first {PROMPT_EXCERPT} characters)",
            template[:PROMPT_EXCERPT] + " …",
        )


# 4. Metrics and validation ------------------------------------------------------


def validation(facts: DocumentationFacts, content: _Content) -> None:
    """Annex IV 2(g), 4: measured performance, policy checks and review."""
    version = facts.version
    content.table(
        "Metrics",
        ("Metric", "Value"),
        ((name, _value(value)) for name, value in sorted(version.metrics.items())),
        # An LLM application's measurements are its evaluation suite's.
        missing=""
        if facts.model.kind == KIND_LLM_APPLICATION
        else "The version records no metrics.",
    )
    content.table(
        "Governance evaluations",
        ("When", "Environment", "Trigger", "Verdict", "Requested by"),
        (
            (
                _time(evaluation.evaluated_at),
                evaluation.environment or "approval",
                evaluation.trigger,
                "passed" if evaluation.passed else "failed",
                evaluation.requested_by or "system",
            )
            for evaluation in facts.evaluations
        ),
        missing="The version was never evaluated against the policies.",
    )
    content.table(
        "Rule results of each evaluation",
        ("When", "Environment", "Rule", "Outcome", "Finding"),
        (
            (
                _time(evaluation.evaluated_at),
                evaluation.environment or "approval",
                f"{result.get('policy')} (revision {result.get('revision')}) "
                f"#{result.get('rule')}, {result.get('enforcement')}",
                _outcome(result),
                str(result.get("detail", "")),
            )
            for evaluation in facts.evaluations
            for result in evaluation.results
        ),
        empty="No policy was in scope of the evaluations.",
    )
    content.table(
        "Approvals",
        ("Reviewer", "Decision", "When", "Comment"),
        (
            (approval.reviewer, approval.decision, _time(approval.at), approval.comment)
            for approval in facts.approvals
        ),
        missing="No reviewer has decided on the version.",
    )
    if facts.model.kind != KIND_PREDICTIVE or version.evaluation_results:
        content.table(
            "Evaluation suite results",
            ("Suite", "Metric", "Value", "Judge", "Sample size", "Dataset"),
            (
                (
                    str(result.get("suite") or MISSING),
                    str(result.get("metric") or MISSING),
                    _value(result.get("value")),
                    str(result.get("judge") or MISSING),
                    _value(result.get("sample_size")),
                    str(result.get("dataset_ref") or MISSING),
                )
                for result in version.evaluation_results
            ),
            missing="The version records no evaluation suite result.",
        )
    content.table(
        "Latest performance per environment",
        ("Environment", "Window", "Sample size", *PERFORMANCE_COLUMNS),
        (
            (
                report.environment,
                _window(report.window_start, report.window_end),
                str(report.sample_size),
                *(_metric(report.metrics.get(name)) for name in PERFORMANCE_COLUMNS),
            )
            for report in facts.performance_reports
            if report.latest
        ),
        empty="No performance report was received (see section 8).",
    )
    content.table(
        "Latest fairness per environment and attribute",
        (
            "Environment",
            "Attribute (reference)",
            "Window",
            "Sample size",
            *FAIRNESS_COLUMNS.values(),
            "Four-fifths rule",
        ),
        (
            (
                report.environment,
                f"{report.attribute} ({report.reference_group})",
                _window(report.window_start, report.window_end),
                str(report.sample_size),
                *(_metric(report.metrics.get(name)) for name in FAIRNESS_COLUMNS),
                _four_fifths(report.four_fifths_passed),
            )
            for report in facts.fairness_reports
            if report.latest
        ),
        empty="No fairness report was received (see section 8).",
    )
    approvers = sorted({a.reviewer for a in facts.approvals if a.decision == "approve"})
    if approvers:
        content.field(
            "Four-eyes review",
            f"approved by {len(approvers)} reviewer"
            f"{'' if len(approvers) == 1 else 's'} ({', '.join(approvers)}), none "
            f"of whom created ({version.created_by or MISSING}) or submitted "
            f"({version.submitted_by or MISSING}) the version",
        )


PERFORMANCE_COLUMNS: tuple[str, ...] = (
    "auc",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "ece",
)
FAIRNESS_COLUMNS: Mapping[str, str] = {
    "demographic_parity_difference": "Parity difference",
    "disparate_impact_ratio": "Impact ratio",
    "equal_opportunity_difference": "Opportunity difference",
}


def _window(start: datetime, end: datetime) -> str:
    return f"{_time(start)} to {_time(end)}"


def _metric(value: float | None) -> str:
    return MISSING if value is None else f"{value:.3f}"


def _four_fifths(passed: bool | None) -> str:
    if passed is None:
        return MISSING
    return "passed" if passed else "failed"


def _outcome(result: Mapping[str, Any]) -> str:
    if result.get("waived"):
        return "waived"
    return "passed" if result.get("passed") else "failed"


# 5. Risk management -------------------------------------------------------------


def risk_management(facts: DocumentationFacts, content: _Content) -> None:
    """Annex IV 5 (Article 9): the controls applied and the exceptions granted."""
    content.table(
        "Policies in scope",
        ("Policy", "Revision", "Enforcement", "Environments", "Rules"),
        (
            (
                policy.name,
                str(policy.revision),
                policy.enforcement,
                ", ".join(policy.environments) or "all",
                "; ".join(policy.rules) or "no rules",
            )
            for policy in facts.policies
        ),
        missing="No enabled policy covers the version's risk tier and tags.",
    )
    content.table(
        "Waivers",
        ("Rule", "Justification", "State", "Granted", "Expires"),
        (
            (
                f"{waiver.policy} #{waiver.rule}",
                waiver.justification
                + (f" (ticket {waiver.ticket})" if waiver.ticket else "")
                + (
                    f"; revoked by {waiver.revoked_by}: {waiver.revocation_reason}"
                    if waiver.revoked_by
                    else ""
                ),
                waiver.state,
                f"{_time(waiver.granted_at)} by {waiver.granted_by}",
                _time(waiver.expires_at),
            )
            for waiver in facts.waivers
        ),
        empty="No rule was waived.",
    )
    content.table(
        "Deployment gate decisions",
        ("When", "Environment", "Decision", "Requested by", "Blocking checks"),
        (
            (
                _time(gate.requested_at),
                gate.environment,
                gate.decision,
                gate.requested_by,
                "; ".join(gate.blocking) or MISSING,
            )
            for gate in facts.gate_decisions
        ),
        empty="No deployment was requested.",
    )
    if facts.coverage is None:
        content.gap(
            "Obligation coverage",
            "No obligation framework (EU AI Act, NIST AI RMF, ISO/IEC 42001) is "
            "enabled, so the model's obligations are not assessed.",
        )
        return
    content.field(
        "Obligation coverage judged on",
        f"version {facts.coverage_version}, the one speaking for the model in "
        "production"
        if facts.coverage_version is not None
        else "no version: none is deployed to or a candidate for production",
    )
    content.table(
        "Obligation coverage",
        ("Framework", "Met", "Partly met", "Unmet", "Not applicable"),
        (
            (
                f"{coverage.framework} ({coverage.framework_version})",
                str(coverage.met),
                str(coverage.partly_met),
                str(coverage.unmet),
                str(coverage.not_applicable),
            )
            for coverage in facts.coverage
        ),
        missing="No enabled framework holds an obligation.",
    )
    for coverage in facts.coverage:
        for gap in coverage.gaps:
            content.gap(
                f"{coverage.framework} {gap.reference}: {gap.title}",
                f"{gap.status.replace('_', ' ').capitalize()}: "
                + _sentence(gap.missing, empty="its evidence is incomplete."),
            )


def _sentence(details: tuple[str, ...], *, empty: str) -> str:
    """Evidence details ("no fairness report for v3", …) as one sentence."""
    if not details:
        return empty
    return "; ".join(detail.rstrip(".") for detail in details) + "."


# 6. Human oversight -------------------------------------------------------------


def human_oversight(facts: DocumentationFacts, content: _Content) -> None:
    """Annex IV 2(e) (Article 14): how people oversee the system in use."""
    intake = facts.intake
    if intake is None:
        content.gap(
            "Human-oversight measures",
            "Not recorded: the use-case intake, where the owner describes who can "
            "override or stop the model's decisions, has not been answered.",
        )
        return
    content.field("Autonomy", intake.autonomy)
    content.field(
        "Human-oversight measures",
        intake.human_oversight_measures,
        missing="Not recorded: the use-case intake does not say who can override "
        "or stop the model's decisions, nor how.",
    )
    content.field(
        "Human-oversight contact",
        intake.human_oversight_contact,
        missing="Not recorded: the use-case intake names no one to contact about "
        "the model's decisions.",
    )


# 7. Changes ---------------------------------------------------------------------


def changes(facts: DocumentationFacts, content: _Content) -> None:
    """Annex IV 6: what changed against the parent, and the audit trail."""
    version, parent = facts.version, facts.parent
    if parent is None:
        content.field("Parent version", "none: this is the model's first version")
    else:
        content.field("Parent version", f"version {parent.number} ({parent.status})")
        content.table(
            f"Changes against version {parent.number}",
            ("Item", f"Version {parent.number}", f"Version {version.number}"),
            _differences(parent, version),
            empty="No recorded evidence differs from the parent.",
        )
    content.table(
        "Audit trail",
        ("When", "Who", "What", "Fields"),
        (
            (
                _time(entry.at),
                entry.actor or "system",
                f"{entry.action} {entry.object_type}: {entry.object}",
                ", ".join(entry.fields) or MISSING,
            )
            for entry in facts.audit
        ),
        missing="The audit trail holds no entry about the version.",
    )


def _differences(
    parent: VersionRecord, version: VersionRecord
) -> list[tuple[str, str, str]]:
    rows = [
        (label, before or MISSING, after or MISSING)
        for label, before, after in (
            ("Framework", parent.framework, version.framework),
            ("Artifact", parent.artifact_uri, version.artifact_uri),
            ("Artifact SHA-256", parent.artifact_sha256, version.artifact_sha256),
            ("Training data", parent.training_data_ref, version.training_data_ref),
        )
        if before != after
    ]
    for prefix, old, new in (
        ("metric", parent.metrics, version.metrics),
        ("parameter", parent.params, version.params),
        ("model card", parent.model_card, version.model_card),
    ):
        for name in sorted(old.keys() | new.keys()):
            if old.get(name) != new.get(name):
                label = name.replace("_", " ") if prefix == "model card" else name
                rows.append(
                    (
                        f"{prefix} {label}",
                        MISSING if name not in old else _value(old[name]),
                        MISSING if name not in new else _value(new[name]),
                    )
                )
    return rows


# 8. Post-market monitoring ------------------------------------------------------


def post_market_monitoring(facts: DocumentationFacts, content: _Content) -> None:
    """Annex IV 8 (Article 72): where the version serves and how it is watched.
    An LLM application is watched through its evaluation suite: the absence
    of feature drift, ground-truth performance and fairness reports is no
    gap there."""
    expects_reports = facts.model.kind != KIND_LLM_APPLICATION
    content.table(
        "Deployment ledger",
        ("Environment", "Strategy", "Traffic", "Status", "Active from", "Until"),
        (
            (
                deployment.environment,
                deployment.strategy,
                f"{deployment.traffic_percent} %",
                deployment.status.replace("_", " "),
                _time(deployment.active_from),
                _time(deployment.active_until)
                if deployment.active_until
                else ("now" if deployment.active_from else MISSING),
            )
            for deployment in facts.deployments
        ),
        missing="The version has never been deployed, so it has no record of use.",
    )
    content.table(
        "Drift reports",
        ("Window", "Environment", "Severity", "Drift share", "Drifted features"),
        (
            (
                f"{_time(report.window_start)} to {_time(report.window_end)}",
                report.environment,
                report.severity,
                f"{report.drift_share:.0%}"
                + (" (dataset drift)" if report.dataset_drift else ""),
                ", ".join(report.drifted_features) or MISSING,
            )
            for report in facts.drift_reports
        ),
        missing="No drift report was received for the version."
        if expects_reports
        else "",
    )
    content.table(
        "Drift alerts",
        ("Feature", "Environment", "Severity", "Status", "First seen", "Last seen"),
        (
            (
                alert.feature + (f" ({alert.note})" if alert.note else ""),
                alert.environment,
                alert.severity,
                alert.status,
                _time(alert.first_seen_at),
                _time(alert.last_seen_at),
            )
            for alert in facts.drift_alerts
        ),
        empty="No drift alert was raised.",
    )
    content.table(
        "Performance reports",
        ("Window", "Environment", "Sample size", *PERFORMANCE_COLUMNS),
        (
            (
                _window(report.window_start, report.window_end)
                + (" (latest)" if report.latest else ""),
                report.environment,
                str(report.sample_size),
                *(_metric(report.metrics.get(name)) for name in PERFORMANCE_COLUMNS),
            )
            for report in facts.performance_reports
        ),
        missing="No performance report (outcomes against ground truth) was "
        "received for the version."
        if expects_reports
        else "",
    )
    content.table(
        "Fairness reports",
        (
            "Window",
            "Environment",
            "Attribute (reference)",
            *FAIRNESS_COLUMNS.values(),
            "Four-fifths rule",
        ),
        (
            (
                _window(report.window_start, report.window_end)
                + (" (latest)" if report.latest else ""),
                report.environment,
                f"{report.attribute} ({report.reference_group})",
                *(_metric(report.metrics.get(name)) for name in FAIRNESS_COLUMNS),
                _four_fifths(report.four_fifths_passed),
            )
            for report in facts.fairness_reports
        ),
        missing="No fairness report (rates per group of a protected attribute) "
        "was received for the version."
        if expects_reports
        else "",
    )
    content.table(
        "Performance and fairness alerts",
        ("Subject", "Environment", "Severity", "Status", "Value / limit", "Seen"),
        (
            (
                f"{alert.kind}: {alert.subject}"
                + (f" ({alert.note})" if alert.note else ""),
                alert.environment,
                alert.severity,
                alert.status,
                f"{_metric(alert.value)} / {_metric(alert.limit)}",
                _window(alert.first_seen_at, alert.last_seen_at),
            )
            for alert in facts.monitoring_alerts
        ),
        empty="No performance or fairness alert was raised.",
    )


SectionFunction = Callable[[DocumentationFacts, _Content], None]

# The sections in the order of Annex IV: key, title, the function filling it.
SECTIONS: tuple[tuple[str, str, SectionFunction], ...] = (
    ("general_description", "General description", general_description),
    ("intended_purpose", "Intended purpose", intended_purpose),
    ("development", "Development process and data", development),
    ("validation", "Metrics and validation", validation),
    ("risk_management", "Risk management", risk_management),
    ("human_oversight", "Human oversight", human_oversight),
    ("changes", "Changes over the lifecycle", changes),
    ("post_market_monitoring", "Post-market monitoring", post_market_monitoring),
)


def build_section(
    facts: DocumentationFacts, key: str, number: int, title: str, fill: SectionFunction
) -> Section:
    """One section, filled by its function."""
    content = _Content(key, number)
    fill(facts, content)
    return Section(
        key=key,
        number=number,
        title=title,
        fields=tuple(content.fields),
        tables=tuple(content.tables),
        gaps=tuple(content.gaps),
    )


def build_documentation(facts: DocumentationFacts) -> TechnicalDocumentation:
    """The technical document of the version the facts describe."""
    return TechnicalDocumentation(
        model=facts.model.name,
        model_display_name=facts.model.display_name,
        version=facts.version.number,
        facts_as_of=_time(facts.now),
        sections=tuple(
            build_section(facts, key, number, title, fill)
            for number, (key, title, fill) in enumerate(SECTIONS, start=1)
        ),
    )
