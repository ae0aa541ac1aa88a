"""The evidence kinds: what in mlgov satisfies an obligation, as a table.

Adding a kind is adding one function and its parameter schema
(`@_evidence_kind`), as governance's rule kinds are added. Each evaluator
reads `CoverageFacts` and answers whether the evidence is there, a sentence
saying what was found or what is missing (the gap), and where the evidence
lives (`EvidenceLink`), for the pages to link to."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from compliance.engine.facts import CoverageFacts
from drift.quality.constants import DISPARATE_IMPACT_RATIO, FAIRNESS, PERFORMANCE
from governance.engine import RULE_KINDS, MonitoredReport
from registry.constants import (
    AI_ACT_UNASSESSED,
    KIND_LLM_APPLICATION,
    KIND_VENDOR_MODEL,
    MODEL_CARD_FIELDS,
)

# Where a piece of evidence lives; the command center turns these into URLs.
LINK_POLICY = "policy"
LINK_VERSION = "version"
LINK_DRIFT_REPORT = "drift_report"
LINK_DEPLOYMENT = "deployment"
LINK_DRIFT_ALERTS = "drift_alerts"
LINK_AUDIT = "audit"
LINK_MODEL = "model"
LINK_INTAKE = "intake"
LINK_DOCUMENTATION = "documentation"
LINK_TARGETS: tuple[str, ...] = (
    LINK_POLICY,
    LINK_VERSION,
    LINK_DRIFT_REPORT,
    LINK_DEPLOYMENT,
    LINK_DRIFT_ALERTS,
    LINK_AUDIT,
    LINK_MODEL,
    LINK_INTAKE,
    LINK_DOCUMENTATION,
)


class EvidenceLink(NamedTuple):
    """Where the evidence (or the place to fix the gap) is: a target kind of
    LINK_TARGETS and the key that names it there."""

    target: str
    ref: str


class EvidenceOutcome(NamedTuple):
    """Whether one evidence requirement is met, and the sentence saying why."""

    met: bool
    detail: str
    link: EvidenceLink | None = None


EvidenceEvaluator = Callable[
    [Mapping[str, Any], CoverageFacts, datetime], EvidenceOutcome
]


@dataclass(frozen=True)
class EvidenceKind:
    """An evidence kind: its evaluator and the schema of its parameters."""

    name: str
    evaluate: EvidenceEvaluator
    schema: Mapping[str, Any]
    description: str


EVIDENCE_REGISTRY: dict[str, EvidenceKind] = {}


def _evidence_kind(
    name: str,
    description: str,
    *,
    optional: Sequence[str] = (),
    **properties: dict[str, Any],
) -> Callable[[EvidenceEvaluator], EvidenceEvaluator]:
    """Register an evaluator; its parameters are required but for those
    named in `optional`."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": [key for key in properties if key not in optional],
        "additionalProperties": False,
    }

    def register(evaluate: EvidenceEvaluator) -> EvidenceEvaluator:
        EVIDENCE_REGISTRY[name] = EvidenceKind(name, evaluate, schema, description)
        return evaluate

    return register


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _join(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _is_filled(text: object) -> bool:
    return isinstance(text, str) and bool(text) and not text.isspace()


def _version_link(facts: CoverageFacts) -> EvidenceLink:
    if facts.version is None:
        return EvidenceLink(LINK_MODEL, facts.model)
    return EvidenceLink(LINK_VERSION, str(facts.version))


NO_VERSION = "no version speaks for the model in production"


@_evidence_kind(
    "intake_answered",
    "The model's use-case intake is answered: its EU AI Act category is derived.",
)
def _intake_answered(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    link = EvidenceLink(LINK_MODEL, facts.model)
    if facts.ai_act_category == AI_ACT_UNASSESSED:
        return EvidenceOutcome(
            False,
            "the use-case intake is not answered: the category is unassessed",
            link,
        )
    category = facts.ai_act_category.replace("_", " ")
    return EvidenceOutcome(True, f"the intake derived the category {category}", link)


@_evidence_kind(
    "enforced_rule",
    "An enforced policy in scope of the model has a rule of this kind.",
    rule_kind={"type": "string", "enum": list(RULE_KINDS)},
)
def _enforced_rule(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    kind = params["rule_kind"]
    if facts.version is None:
        return EvidenceOutcome(False, f"no {kind} rule can apply: {NO_VERSION}")
    rules = [rule for rule in facts.enforced_rules if rule.kind == kind]
    if not rules:
        return EvidenceOutcome(
            False,
            f"no enforced policy applies a {kind} rule to {facts.subject_label} "
            "in production",
        )
    first = rules[0]
    passing = sum(rule.passed or rule.waived for rule in rules)
    detail = (
        f"{_plural(len(rules), f'enforced {kind} rule')} in force "
        f"({first.policy} rule {first.rule}); {passing} of {len(rules)} pass"
    )
    return EvidenceOutcome(True, detail, EvidenceLink(LINK_POLICY, first.policy))


@_evidence_kind(
    "independent_approval",
    "The version has at least this many approvals by reviewers other than its "
    "author and submitter (four eyes).",
    count={"type": "integer", "minimum": 1},
)
def _independent_approval(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    required = params["count"]
    if facts.version is None:
        return EvidenceOutcome(False, f"no approval: {NO_VERSION}")
    approvals = facts.independent_approvals
    link = _version_link(facts)
    if approvals >= required:
        return EvidenceOutcome(
            True,
            f"{facts.subject_label} has {_plural(approvals, 'independent approval')}"
            f", {required} required",
            link,
        )
    return EvidenceOutcome(
        False,
        f"{facts.subject_label} has {approvals} of {required} required "
        "independent approvals",
        link,
    )


@_evidence_kind(
    "model_card_fields",
    "The version's model card has each of these fields filled.",
    fields={
        "type": "array",
        "items": {"type": "string", "enum": list(MODEL_CARD_FIELDS)},
        "minItems": 1,
    },
)
def _model_card_fields(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    fields = list(params["fields"])
    if facts.version is None:
        return EvidenceOutcome(False, f"no model card: {NO_VERSION}")
    missing = [name for name in fields if not _is_filled(facts.model_card.get(name))]
    link = _version_link(facts)
    if missing:
        return EvidenceOutcome(
            False,
            f"the model card of {facts.subject_label} is missing {_join(missing)}",
            link,
        )
    return EvidenceOutcome(
        True, f"the model card of {facts.subject_label} has {_join(fields)}", link
    )


@_evidence_kind(
    "drift_monitoring_in_production",
    "A drift report for the version serving production arrived within this many days.",
    max_age_days={"type": "integer", "minimum": 1},
)
def _drift_monitoring(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    limit = params["max_age_days"]
    if not facts.is_serving:
        return EvidenceOutcome(
            False, "nothing serves production, so nothing is monitored there"
        )
    report = facts.latest_production_drift
    if report is None:
        return EvidenceOutcome(
            False,
            f"no drift report for {facts.subject_label} in production",
            _version_link(facts),
        )
    link = EvidenceLink(LINK_DRIFT_REPORT, str(report.report_id))
    age = now - report.created_at
    if age > timedelta(days=limit):
        return EvidenceOutcome(
            False,
            f"the last drift report for {facts.subject_label} is "
            f"{_plural(age.days, 'day')} old; at most {limit} allowed",
            link,
        )
    when = "today" if age.days == 0 else f"{_plural(age.days, 'day')} ago"
    return EvidenceOutcome(
        True, f"drift report {report.report_id} for {facts.subject_label}, {when}", link
    )


@_evidence_kind(
    "deployment_gate_used",
    "The version serving production went there through the deployment gate.",
)
def _deployment_gate_used(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    if not facts.is_serving or facts.production_deployment_id is None:
        if facts.version is None:
            return EvidenceOutcome(False, f"the gate was never asked: {NO_VERSION}")
        return EvidenceOutcome(
            False,
            f"{facts.subject_label} has not been through the gate to production",
            _version_link(facts),
        )
    return EvidenceOutcome(
        True,
        f"{facts.subject_label} passed the gate "
        f"(deployment {facts.production_deployment_id})",
        EvidenceLink(LINK_DEPLOYMENT, str(facts.production_deployment_id)),
    )


@_evidence_kind(
    "incident_process",
    "Drift alerts are acknowledged or resolved within this many days: none of "
    "the model's alerts is still open after them.",
    days={"type": "integer", "minimum": 1},
)
def _incident_process(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    limit = params["days"]
    link = EvidenceLink(LINK_DRIFT_ALERTS, facts.model)
    oldest = facts.oldest_unhandled_alert_at
    if oldest is None:
        return EvidenceOutcome(
            True, f"no drift alert left unacknowledged for {limit} days", link
        )
    age = now - oldest
    if age > timedelta(days=limit):
        return EvidenceOutcome(
            False,
            f"a drift alert has waited {_plural(age.days, 'day')} without "
            f"acknowledgement; at most {limit} allowed",
            link,
        )
    alerts = _plural(facts.unhandled_alerts, "open drift alert")
    return EvidenceOutcome(
        True, f"{alerts}, each seen less than {limit} days ago", link
    )


@_evidence_kind(
    "audit_retention_years",
    "The audit trail keeps at least this many years: no pruning removed "
    "younger entries.",
    years={"type": "integer", "minimum": 1},
)
def _audit_retention(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    years = params["years"]
    link = EvidenceLink(LINK_AUDIT, "")
    kept = facts.audit_retention.shortest_kept
    if kept is None:
        return EvidenceOutcome(
            True,
            "the tamper-evident audit trail was never pruned "
            f"({_plural(years, 'year')} required)",
            link,
        )
    kept_years = kept.days // 365
    if kept < timedelta(days=365 * years):
        return EvidenceOutcome(
            False,
            f"a pruning kept only {_plural(kept_years, 'year')} of audit trail; "
            f"{years} required",
            link,
        )
    return EvidenceOutcome(
        True,
        f"every pruning kept at least {_plural(kept_years, 'year')} of audit trail",
        link,
    )


@_evidence_kind(
    "human_oversight_documented",
    "The current use-case intake says how people oversee the model and who "
    "answers for it: its human oversight measures and contact are filled.",
)
def _human_oversight_documented(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    link = EvidenceLink(LINK_INTAKE, facts.model)
    if facts.intake_revision is None:
        return EvidenceOutcome(
            False, "no human oversight is documented: the intake is not answered", link
        )
    missing = [
        label
        for label, text in (
            ("human oversight measures", facts.human_oversight_measures),
            ("human oversight contact", facts.human_oversight_contact),
        )
        if not _is_filled(text)
    ]
    if missing:
        return EvidenceOutcome(
            False,
            f"intake revision {facts.intake_revision} leaves {_join(missing)} blank",
            link,
        )
    return EvidenceOutcome(
        True,
        f"intake revision {facts.intake_revision} documents human oversight "
        f"(contact: {facts.human_oversight_contact.strip()})",
        link,
    )


def _reports(
    facts: CoverageFacts, kind: str, environment: str | None = None
) -> list[tuple[str, MonitoredReport]]:
    """The speaking version's latest reports of `kind`, in `environment` or
    in any, newest window first."""
    found: list[tuple[str, MonitoredReport]] = [
        (name, report)
        for name, reports in facts.monitoring.items()
        if environment is None or name == environment
        for report in reports
        if report.kind == kind
    ]
    return sorted(found, key=lambda item: item[1].window_end, reverse=True)


def _age(now: datetime, then: datetime) -> str:
    age = now - then
    return "today" if age.days == 0 else f"{_plural(age.days, 'day')} ago"


@_evidence_kind(
    "performance_monitored",
    "A performance report for the version speaking in production, in this "
    "environment, whose window ended within this many days.",
    environment={"type": "string"},
    max_age_days={"type": "integer", "minimum": 1},
)
def _performance_monitored(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    environment = params["environment"]
    limit = params["max_age_days"]
    if facts.version is None:
        return EvidenceOutcome(False, f"no performance report: {NO_VERSION}")
    link = _version_link(facts)
    reports = _reports(facts, PERFORMANCE, environment)
    if not reports:
        return EvidenceOutcome(
            False,
            f"no performance report for {facts.subject_label} in {environment}",
            link,
        )
    report = reports[0][1]
    if now - report.window_end > timedelta(days=limit):
        return EvidenceOutcome(
            False,
            f"the last performance report for {facts.subject_label} in "
            f"{environment} covers a window that ended "
            f"{_age(now, report.window_end)}; at most {limit} days allowed",
            link,
        )
    return EvidenceOutcome(
        True,
        f"a performance report for {facts.subject_label} in {environment}, "
        f"window ended {_age(now, report.window_end)}",
        link,
    )


@_evidence_kind(
    "fairness_examined",
    "A fairness report for the version speaking in production (in any "
    "environment) whose window ended within this many days; with min_ratio, "
    "each recent one's disparate impact ratio is at least that.",
    optional=("min_ratio",),
    max_age_days={"type": "integer", "minimum": 1},
    min_ratio={"type": "number", "minimum": 0, "maximum": 1},
)
def _fairness_examined(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    limit = params["max_age_days"]
    floor = params.get("min_ratio")
    if facts.version is None:
        return EvidenceOutcome(False, f"no fairness report: {NO_VERSION}")
    link = _version_link(facts)
    reports = _reports(facts, FAIRNESS)
    if not reports:
        return EvidenceOutcome(
            False, f"no fairness report for {facts.subject_label}", link
        )
    recent = [
        (environment, report)
        for environment, report in reports
        if now - report.window_end <= timedelta(days=limit)
    ]
    if not recent:
        return EvidenceOutcome(
            False,
            f"the last fairness report for {facts.subject_label} covers a window "
            f"that ended {_age(now, reports[0][1].window_end)}; at most {limit} "
            "days allowed",
            link,
        )
    attributes = sorted({report.attribute for _env, report in recent})
    if floor is not None:
        below = sorted(
            {
                f"{report.attribute} in {environment}"
                for environment, report in recent
                if (ratio := report.values.get(DISPARATE_IMPACT_RATIO)) is None
                or ratio < floor
            }
        )
        if below:
            return EvidenceOutcome(
                False,
                f"the disparate impact ratio of {_join(below)} is below {floor:g} "
                "or could not be computed",
                link,
            )
    detail = (
        f"{facts.subject_label} examined for fairness by {_join(attributes)}, "
        f"window ended {_age(now, recent[0][1].window_end)}"
    )
    if floor is not None:
        detail += f"; disparate impact ratio at least {floor:g}"
    return EvidenceOutcome(True, detail, link)


@_evidence_kind(
    "provenance_recorded",
    "The version speaking in production names where it comes from: its "
    "provider and provider model (LLM applications and vendor models), its "
    "artifact's SHA-256 and training data (predictive models).",
)
def _provenance_recorded(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    if facts.version is None:
        return EvidenceOutcome(False, f"no provenance: {NO_VERSION}")
    link = _version_link(facts)
    found = facts.provenance
    if facts.kind in (KIND_LLM_APPLICATION, KIND_VENDOR_MODEL):
        fields = (
            ("provider", found.provider),
            ("provider model", found.provider_model),
        )
    else:
        fields = (
            ("artifact SHA-256", found.artifact_sha256),
            ("training data reference", found.training_data_ref),
        )
    missing = [label for label, value in fields if not _is_filled(value)]
    if missing:
        return EvidenceOutcome(
            False, f"{facts.subject_label} does not record its {_join(missing)}", link
        )
    return EvidenceOutcome(
        True,
        f"{facts.subject_label} records its {_join([label for label, _ in fields])}",
        link,
    )


@_evidence_kind(
    "documentation_generated",
    "The version speaking in production has Annex IV technical documentation "
    "generated (within this many days, when max_age_days is given).",
    optional=("max_age_days",),
    max_age_days={"type": "integer", "minimum": 1},
)
def _documentation_generated(
    params: Mapping[str, Any], facts: CoverageFacts, now: datetime
) -> EvidenceOutcome:
    limit = params.get("max_age_days")
    if facts.version is None:
        return EvidenceOutcome(False, f"no technical documentation: {NO_VERSION}")
    document = facts.latest_document
    link = EvidenceLink(LINK_DOCUMENTATION, str(facts.version))
    if document is None:
        return EvidenceOutcome(
            False,
            f"no technical documentation was generated for {facts.subject_label}",
            link,
        )
    when = _age(now, document.generated_at)
    if limit is not None and now - document.generated_at > timedelta(days=limit):
        return EvidenceOutcome(
            False,
            f"the technical documentation of {facts.subject_label} was generated "
            f"{when}; at most {limit} days allowed",
            link,
        )
    return EvidenceOutcome(
        True,
        f"technical documentation revision {document.revision} of "
        f"{facts.subject_label}, generated {when}",
        link,
    )


EVIDENCE_KINDS: tuple[str, ...] = tuple(EVIDENCE_REGISTRY)
