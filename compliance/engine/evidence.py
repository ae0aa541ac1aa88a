"""The evidence kinds: what in mlgov satisfies an obligation, as a table.

Adding a kind is adding its predicate, its explanation and its parameter
schema (`@_evidence_kind`), as governance's rule kinds are added. The
predicate reads `CoverageFacts` and answers whether the evidence is there;
it is the kind's one rule, and all the counts path (`CountsPlan`) calls. The
explanation is given the predicate's answer and builds the sentence saying
what was found or what is missing (the gap), and where the evidence lives
(`EvidenceLink`), for the pages to link to; `EvidenceKind.evaluate` joins
the two, so the rich path cannot judge otherwise than the counts path."""

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


EvidencePredicate = Callable[[Mapping[str, Any], CoverageFacts, datetime], bool]
# Given the predicate's answer, the sentence and the link.
Explanation = tuple[str, EvidenceLink | None]
EvidenceExplainer = Callable[
    [Mapping[str, Any], CoverageFacts, datetime, bool], Explanation
]


@dataclass(frozen=True)
class EvidenceKind:
    """An evidence kind: its rule (`is_met`), its explanation and the schema
    of its parameters."""

    name: str
    is_met: EvidencePredicate
    explain: EvidenceExplainer
    schema: Mapping[str, Any]
    description: str

    def evaluate(
        self, params: Mapping[str, Any], facts: CoverageFacts, now: datetime
    ) -> EvidenceOutcome:
        """Met or not by the kind's one rule, with the sentence and link."""
        met = self.is_met(params, facts, now)
        detail, link = self.explain(params, facts, now, met)
        return EvidenceOutcome(met, detail, link)


EVIDENCE_REGISTRY: dict[str, EvidenceKind] = {}


def _evidence_kind(
    name: str,
    description: str,
    *,
    met: EvidencePredicate,
    optional: Sequence[str] = (),
    **properties: dict[str, Any],
) -> Callable[[EvidenceExplainer], EvidenceExplainer]:
    """Register a kind: its predicate `met` and the decorated explanation;
    its parameters are required but for those named in `optional`."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": [key for key in properties if key not in optional],
        "additionalProperties": False,
    }

    def register(explain: EvidenceExplainer) -> EvidenceExplainer:
        EVIDENCE_REGISTRY[name] = EvidenceKind(name, met, explain, schema, description)
        return explain

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

Params = Mapping[str, Any]


def _intake_is_answered(params: Params, facts: CoverageFacts, now: datetime) -> bool:
    return facts.ai_act_category != AI_ACT_UNASSESSED


@_evidence_kind(
    "intake_answered",
    "The model's use-case intake is answered: its EU AI Act category is derived.",
    met=_intake_is_answered,
)
def _intake_answered(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    link = EvidenceLink(LINK_MODEL, facts.model)
    if not met:
        return "the use-case intake is not answered: the category is unassessed", link
    category = facts.ai_act_category.replace("_", " ")
    return f"the intake derived the category {category}", link


def _has_enforced_rule(params: Params, facts: CoverageFacts, now: datetime) -> bool:
    kind = params["rule_kind"]
    return facts.version is not None and any(
        rule.kind == kind for rule in facts.enforced_rules
    )


@_evidence_kind(
    "enforced_rule",
    "An enforced policy in scope of the model has a rule of this kind.",
    met=_has_enforced_rule,
    rule_kind={"type": "string", "enum": list(RULE_KINDS)},
)
def _enforced_rule(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    kind = params["rule_kind"]
    if facts.version is None:
        return f"no {kind} rule can apply: {NO_VERSION}", None
    if not met:
        return (
            f"no enforced policy applies a {kind} rule to {facts.subject_label} "
            "in production",
            None,
        )
    rules = [rule for rule in facts.enforced_rules if rule.kind == kind]
    first = rules[0]
    passing = sum(rule.passed or rule.waived for rule in rules)
    detail = (
        f"{_plural(len(rules), f'enforced {kind} rule')} in force "
        f"({first.policy} rule {first.rule}); {passing} of {len(rules)} pass"
    )
    return detail, EvidenceLink(LINK_POLICY, first.policy)


def _has_independent_approvals(
    params: Params, facts: CoverageFacts, now: datetime
) -> bool:
    return facts.version is not None and facts.independent_approvals >= params["count"]


@_evidence_kind(
    "independent_approval",
    "The version has at least this many approvals by reviewers other than its "
    "author and submitter (four eyes).",
    met=_has_independent_approvals,
    count={"type": "integer", "minimum": 1},
)
def _independent_approval(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    required = params["count"]
    if facts.version is None:
        return f"no approval: {NO_VERSION}", None
    approvals = facts.independent_approvals
    link = _version_link(facts)
    if met:
        return (
            f"{facts.subject_label} has {_plural(approvals, 'independent approval')}"
            f", {required} required",
            link,
        )
    return (
        f"{facts.subject_label} has {approvals} of {required} required "
        "independent approvals",
        link,
    )


def _has_model_card_fields(params: Params, facts: CoverageFacts, now: datetime) -> bool:
    return facts.version is not None and all(
        _is_filled(facts.model_card.get(name)) for name in params["fields"]
    )


@_evidence_kind(
    "model_card_fields",
    "The version's model card has each of these fields filled.",
    met=_has_model_card_fields,
    fields={
        "type": "array",
        "items": {"type": "string", "enum": list(MODEL_CARD_FIELDS)},
        "minItems": 1,
    },
)
def _model_card_fields(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    fields = list(params["fields"])
    if facts.version is None:
        return f"no model card: {NO_VERSION}", None
    link = _version_link(facts)
    if not met:
        missing = [
            name for name in fields if not _is_filled(facts.model_card.get(name))
        ]
        return (
            f"the model card of {facts.subject_label} is missing {_join(missing)}",
            link,
        )
    return f"the model card of {facts.subject_label} has {_join(fields)}", link


def _is_drift_monitored(params: Params, facts: CoverageFacts, now: datetime) -> bool:
    report = facts.latest_production_drift
    return (
        facts.is_serving
        and report is not None
        and now - report.created_at <= timedelta(days=params["max_age_days"])
    )


@_evidence_kind(
    "drift_monitoring_in_production",
    "A drift report for the version serving production arrived within this many days.",
    met=_is_drift_monitored,
    max_age_days={"type": "integer", "minimum": 1},
)
def _drift_monitoring(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    limit = params["max_age_days"]
    if not facts.is_serving:
        return "nothing serves production, so nothing is monitored there", None
    report = facts.latest_production_drift
    if report is None:
        return (
            f"no drift report for {facts.subject_label} in production",
            _version_link(facts),
        )
    link = EvidenceLink(LINK_DRIFT_REPORT, str(report.report_id))
    age = now - report.created_at
    if not met:
        return (
            f"the last drift report for {facts.subject_label} is "
            f"{_plural(age.days, 'day')} old; at most {limit} allowed",
            link,
        )
    when = "today" if age.days == 0 else f"{_plural(age.days, 'day')} ago"
    return f"drift report {report.report_id} for {facts.subject_label}, {when}", link


def _went_through_gate(params: Params, facts: CoverageFacts, now: datetime) -> bool:
    return facts.is_serving and facts.production_deployment_id is not None


@_evidence_kind(
    "deployment_gate_used",
    "The version serving production went there through the deployment gate.",
    met=_went_through_gate,
)
def _deployment_gate_used(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    if not met:
        if facts.version is None:
            return f"the gate was never asked: {NO_VERSION}", None
        return (
            f"{facts.subject_label} has not been through the gate to production",
            _version_link(facts),
        )
    return (
        f"{facts.subject_label} passed the gate "
        f"(deployment {facts.production_deployment_id})",
        EvidenceLink(LINK_DEPLOYMENT, str(facts.production_deployment_id)),
    )


def _alerts_are_handled(params: Params, facts: CoverageFacts, now: datetime) -> bool:
    oldest = facts.oldest_unhandled_alert_at
    return oldest is None or now - oldest <= timedelta(days=params["days"])


@_evidence_kind(
    "incident_process",
    "Drift alerts are acknowledged or resolved within this many days: none of "
    "the model's alerts is still open after them.",
    met=_alerts_are_handled,
    days={"type": "integer", "minimum": 1},
)
def _incident_process(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    limit = params["days"]
    link = EvidenceLink(LINK_DRIFT_ALERTS, facts.model)
    oldest = facts.oldest_unhandled_alert_at
    if oldest is None:
        return f"no drift alert left unacknowledged for {limit} days", link
    if not met:
        return (
            f"a drift alert has waited {_plural((now - oldest).days, 'day')} without "
            f"acknowledgement; at most {limit} allowed",
            link,
        )
    alerts = _plural(facts.unhandled_alerts, "open drift alert")
    return f"{alerts}, each seen less than {limit} days ago", link


def _audit_is_retained(params: Params, facts: CoverageFacts, now: datetime) -> bool:
    kept = facts.audit_retention.shortest_kept
    return kept is None or kept >= timedelta(days=365 * params["years"])


@_evidence_kind(
    "audit_retention_years",
    "The audit trail keeps at least this many years: no pruning removed "
    "younger entries.",
    met=_audit_is_retained,
    years={"type": "integer", "minimum": 1},
)
def _audit_retention(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    years = params["years"]
    link = EvidenceLink(LINK_AUDIT, "")
    kept = facts.audit_retention.shortest_kept
    if kept is None:
        return (
            "the tamper-evident audit trail was never pruned "
            f"({_plural(years, 'year')} required)",
            link,
        )
    kept_years = kept.days // 365
    if not met:
        return (
            f"a pruning kept only {_plural(kept_years, 'year')} of audit trail; "
            f"{years} required",
            link,
        )
    return (
        f"every pruning kept at least {_plural(kept_years, 'year')} of audit trail",
        link,
    )


def _oversight_is_documented(
    params: Params, facts: CoverageFacts, now: datetime
) -> bool:
    return (
        facts.intake_revision is not None
        and _is_filled(facts.human_oversight_measures)
        and _is_filled(facts.human_oversight_contact)
    )


@_evidence_kind(
    "human_oversight_documented",
    "The current use-case intake says how people oversee the model and who "
    "answers for it: its human oversight measures and contact are filled.",
    met=_oversight_is_documented,
)
def _human_oversight_documented(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    link = EvidenceLink(LINK_INTAKE, facts.model)
    if facts.intake_revision is None:
        return "no human oversight is documented: the intake is not answered", link
    if not met:
        missing = [
            label
            for label, text in (
                ("human oversight measures", facts.human_oversight_measures),
                ("human oversight contact", facts.human_oversight_contact),
            )
            if not _is_filled(text)
        ]
        return (
            f"intake revision {facts.intake_revision} leaves {_join(missing)} blank",
            link,
        )
    return (
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


def _is_performance_monitored(
    params: Params, facts: CoverageFacts, now: datetime
) -> bool:
    # The newest window is recent exactly when any is.
    limit = timedelta(days=params["max_age_days"])
    return facts.version is not None and any(
        report.kind == PERFORMANCE and now - report.window_end <= limit
        for report in facts.monitoring.get(params["environment"], ())
    )


@_evidence_kind(
    "performance_monitored",
    "A performance report for the version speaking in production, in this "
    "environment, whose window ended within this many days.",
    met=_is_performance_monitored,
    environment={"type": "string"},
    max_age_days={"type": "integer", "minimum": 1},
)
def _performance_monitored(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    environment = params["environment"]
    limit = params["max_age_days"]
    if facts.version is None:
        return f"no performance report: {NO_VERSION}", None
    link = _version_link(facts)
    reports = _reports(facts, PERFORMANCE, environment)
    if not reports:
        return (
            f"no performance report for {facts.subject_label} in {environment}",
            link,
        )
    report = reports[0][1]
    if not met:
        return (
            f"the last performance report for {facts.subject_label} in "
            f"{environment} covers a window that ended "
            f"{_age(now, report.window_end)}; at most {limit} days allowed",
            link,
        )
    return (
        f"a performance report for {facts.subject_label} in {environment}, "
        f"window ended {_age(now, report.window_end)}",
        link,
    )


def _recent_fairness(
    params: Params, facts: CoverageFacts, now: datetime
) -> list[tuple[str, MonitoredReport]]:
    """The fairness reports, per environment, whose window ended within the
    limit; newest window first."""
    limit = timedelta(days=params["max_age_days"])
    return [
        (environment, report)
        for environment, report in _reports(facts, FAIRNESS)
        if now - report.window_end <= limit
    ]


def _below_floor(
    recent: Sequence[tuple[str, MonitoredReport]], floor: float
) -> list[str]:
    """Which recent reports' disparate impact ratio is under `floor` or
    missing, as "attribute in environment"."""
    return sorted(
        {
            f"{report.attribute} in {environment}"
            for environment, report in recent
            if (ratio := report.values.get(DISPARATE_IMPACT_RATIO)) is None
            or ratio < floor
        }
    )


def _is_fairness_examined(params: Params, facts: CoverageFacts, now: datetime) -> bool:
    if facts.version is None:
        return False
    recent = _recent_fairness(params, facts, now)
    floor = params.get("min_ratio")
    return bool(recent) and (floor is None or not _below_floor(recent, floor))


@_evidence_kind(
    "fairness_examined",
    "A fairness report for the version speaking in production (in any "
    "environment) whose window ended within this many days; with min_ratio, "
    "each recent one's disparate impact ratio is at least that.",
    met=_is_fairness_examined,
    optional=("min_ratio",),
    max_age_days={"type": "integer", "minimum": 1},
    min_ratio={"type": "number", "minimum": 0, "maximum": 1},
)
def _fairness_examined(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    limit = params["max_age_days"]
    floor = params.get("min_ratio")
    if facts.version is None:
        return f"no fairness report: {NO_VERSION}", None
    link = _version_link(facts)
    reports = _reports(facts, FAIRNESS)
    if not reports:
        return f"no fairness report for {facts.subject_label}", link
    recent = _recent_fairness(params, facts, now)
    if not recent:
        return (
            f"the last fairness report for {facts.subject_label} covers a window "
            f"that ended {_age(now, reports[0][1].window_end)}; at most {limit} "
            "days allowed",
            link,
        )
    if not met and floor is not None:
        return (
            f"the disparate impact ratio of {_join(_below_floor(recent, floor))} "
            f"is below {floor:g} or could not be computed",
            link,
        )
    attributes = sorted({report.attribute for _env, report in recent})
    detail = (
        f"{facts.subject_label} examined for fairness by {_join(attributes)}, "
        f"window ended {_age(now, recent[0][1].window_end)}"
    )
    if floor is not None:
        detail += f"; disparate impact ratio at least {floor:g}"
    return detail, link


def _provenance_fields(facts: CoverageFacts) -> tuple[tuple[str, str], ...]:
    """What the speaking version must name of where it comes from, by the
    model's kind: (label, recorded value)."""
    found = facts.provenance
    if facts.kind in (KIND_LLM_APPLICATION, KIND_VENDOR_MODEL):
        return (
            ("provider", found.provider),
            ("provider model", found.provider_model),
        )
    return (
        ("artifact SHA-256", found.artifact_sha256),
        ("training data reference", found.training_data_ref),
    )


def _is_provenance_recorded(
    params: Params, facts: CoverageFacts, now: datetime
) -> bool:
    return facts.version is not None and all(
        _is_filled(value) for _label, value in _provenance_fields(facts)
    )


@_evidence_kind(
    "provenance_recorded",
    "The version speaking in production names where it comes from: its "
    "provider and provider model (LLM applications and vendor models), its "
    "artifact's SHA-256 and training data (predictive models).",
    met=_is_provenance_recorded,
)
def _provenance_recorded(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    if facts.version is None:
        return f"no provenance: {NO_VERSION}", None
    link = _version_link(facts)
    fields = _provenance_fields(facts)
    if not met:
        missing = [label for label, value in fields if not _is_filled(value)]
        return f"{facts.subject_label} does not record its {_join(missing)}", link
    return (
        f"{facts.subject_label} records its {_join([label for label, _ in fields])}",
        link,
    )


def _is_documentation_generated(
    params: Params, facts: CoverageFacts, now: datetime
) -> bool:
    document = facts.latest_document
    limit = params.get("max_age_days")
    return (
        facts.version is not None
        and document is not None
        and (limit is None or now - document.generated_at <= timedelta(days=limit))
    )


@_evidence_kind(
    "documentation_generated",
    "The version speaking in production has Annex IV technical documentation "
    "generated (within this many days, when max_age_days is given).",
    met=_is_documentation_generated,
    optional=("max_age_days",),
    max_age_days={"type": "integer", "minimum": 1},
)
def _documentation_generated(
    params: Params, facts: CoverageFacts, now: datetime, met: bool
) -> Explanation:
    limit = params.get("max_age_days")
    if facts.version is None:
        return f"no technical documentation: {NO_VERSION}", None
    document = facts.latest_document
    link = EvidenceLink(LINK_DOCUMENTATION, str(facts.version))
    if document is None:
        return (
            f"no technical documentation was generated for {facts.subject_label}",
            link,
        )
    when = _age(now, document.generated_at)
    if not met:
        return (
            f"the technical documentation of {facts.subject_label} was generated "
            f"{when}; at most {limit} days allowed",
            link,
        )
    return (
        f"technical documentation revision {document.revision} of "
        f"{facts.subject_label}, generated {when}",
        link,
    )


EVIDENCE_KINDS: tuple[str, ...] = tuple(EVIDENCE_REGISTRY)
