"""Governance's compiled queries (mlgov.db): the stored policies, and one
version's evaluation evidence, each the compiled form of a QuerySet of
governance.selectors. The deployment gate and every single-version
evaluation read them; tests/governance/test_hot.py holds each to its ORM
twin."""

from datetime import datetime
from typing import Any, NamedTuple

from drift.selectors import latest_monitoring_rows, open_alert_rows, worst_open_drift
from governance import selectors
from governance.engine import PolicySpec, RuleSpec
from governance.models import Policy, Waiver
from mlgov.db import BoundRows, CompiledRows
from mlgov.exceptions import NotFoundError
from registry.models import ModelVersion


class PolicyRuleRow(NamedTuple):
    """One rule of a policy; a policy without rules has one row whose rule
    columns are None."""

    name: str
    revision: int
    enforcement: str
    risk_tiers: list[str]
    environments: list[str]
    tags: list[str]
    model_kinds: list[str]
    rules__position: int | None
    rules__kind: str | None
    rules__params: dict[str, Any] | None


# Every policy with its rules, in one query.
policy_rule_query = CompiledRows(
    lambda: Policy.objects.order_by("name", "rules__position").values_list(
        *PolicyRuleRow._fields
    ),
    PolicyRuleRow,
)
# Specs by the stored rows they were built from, exactly as the database
# sent them (JSON as text): equal rows make equal specs, so a hit is sound
# whatever changed the policies, and a hit keeps each rule's compiled form
# (RuleSpec.compiled) instead of validating every rule on every request.
_specs_by_rows: dict[tuple, tuple[PolicySpec, ...]] = {}
_SPECS_KEPT = 16


def policy_specs(raw_rows: list[tuple] | None = None) -> list[PolicySpec]:
    """Every stored policy as the engine sees it, by name, from the raw rows
    of `policy_rule_query` (read now when not given); built once per process
    for each state of the stored policies. Specs are immutable: do not
    change them."""
    rows = tuple(policy_rule_query.raw() if raw_rows is None else raw_rows)
    specs = _specs_by_rows.get(rows)
    if specs is None:
        specs = _specs_from_rows(policy_rule_query.results(rows))
        if len(_specs_by_rows) >= _SPECS_KEPT:
            _specs_by_rows.clear()
        _specs_by_rows[rows] = specs
    return list(specs)


def _specs_from_rows(rows: list[PolicyRuleRow]) -> tuple[PolicySpec, ...]:
    by_name: dict[str, tuple[PolicyRuleRow, list[RuleSpec]]] = {}
    for row in rows:
        _, rules = by_name.setdefault(row.name, (row, []))
        if row.rules__position is not None:
            rules.append(
                RuleSpec(
                    position=row.rules__position,
                    kind=row.rules__kind or "",
                    params=row.rules__params or {},
                )
            )
    return tuple(
        PolicySpec(
            name=policy.name,
            revision=policy.revision,
            enforcement=policy.enforcement,
            risk_tiers=frozenset(policy.risk_tiers),
            environments=frozenset(policy.environments),
            tags=frozenset(policy.tags),
            model_kinds=frozenset(policy.model_kinds),
            rules=tuple(rules),
        )
        for policy, rules in by_name.values()
    )


class FactRow(NamedTuple):
    """The columns of selectors.FACT_COLUMNS, in their order."""

    pk: int
    version: int
    model_id: int
    model__name: str
    model__risk_tier: str
    model__kind: str
    metrics: dict[str, Any]
    model_card: dict[str, Any]
    evaluation_results: list[dict[str, Any]]
    created_by_id: int | None
    submitted_by_id: int | None
    created_at: datetime
    status: str
    submitted_at: datetime | None


class TagRow(NamedTuple):
    mlmodel_id: int
    tag__name: str


class ApprovalRow(NamedTuple):
    version_id: int
    reviewer_id: int
    pk: int


class DriftRow(NamedTuple):
    version_id: int
    environment__name: str
    severity: str


class MonitoringRow(NamedTuple):
    version_id: int
    environment__name: str
    kind: str
    attribute: str
    window_end: datetime
    values: dict[str, Any]


class WaiverRow(NamedTuple):
    version_id: int
    policy__name: str
    rule_position: int
    expires_at: datetime
    revoked_at: datetime | None
    pk: int


# One version's rows. Filtered on its id (and its model's), not through the
# subqueries `selectors.version_facts` uses for many versions: the planner
# took longer over a subquery than the database took to answer.
fact_query = CompiledRows(
    lambda version_id: selectors._fact_rows(ModelVersion.objects.filter(pk=version_id)),
    FactRow,
    version_id=int,
)
tag_query = CompiledRows(
    lambda model_id: selectors._tag_rows(mlmodel_id=model_id), TagRow, model_id=int
)
approval_query = CompiledRows(
    lambda version_id: selectors._approval_rows(version_id=version_id),
    ApprovalRow,
    version_id=int,
)
drift_query = CompiledRows(
    lambda version_id: open_alert_rows(version_id=version_id),
    DriftRow,
    version_id=int,
)
monitoring_query = CompiledRows(
    lambda version_id: latest_monitoring_rows(version_id=version_id),
    MonitoringRow,
    version_id=int,
)
# Every waiver of the version, in force or not: `now` is not a parameter that
# a compiled query can take on every database, and WaiverSpec.is_active is
# the very test that Waiver.objects.active makes in SQL.
waiver_query = CompiledRows(
    lambda version_id: selectors._waiver_rows(
        Waiver.objects.filter(version_id=version_id)
    ),
    WaiverRow,
    version_id=int,
)


class EvidenceQuery:
    """One version's evaluation evidence: `queries`, for a caller that runs
    them in one round trip with reads of its own (`mlgov.db.fetch_together`),
    and `decode`, which turns their raw rows into the evidence. They read the
    columns `selectors.version_facts` and `selectors.waiver_specs` read, on
    the same conditions, and the same functions turn them into facts and
    waivers."""

    def __init__(self, version: ModelVersion) -> None:
        self.version = version
        self.queries: list[BoundRows] = [
            fact_query.bound(version_id=version.pk),
            approval_query.bound(version_id=version.pk),
            tag_query.bound(model_id=version.model_id),
            drift_query.bound(version_id=version.pk),
            monitoring_query.bound(version_id=version.pk),
            waiver_query.bound(version_id=version.pk),
            policy_rule_query.bound(),
        ]

    def decode(
        self, rows: list[list[tuple]], *, now: datetime
    ) -> "selectors.EvaluationEvidence":
        """The evidence from the raw rows of `queries`, in their order."""
        (
            fact_rows,
            approval_rows,
            tag_rows,
            drift_rows,
            monitoring_rows,
            waiver_rows,
            policy_rows,
        ) = rows
        facts_found = fact_query.results(fact_rows)
        if not facts_found:
            raise NotFoundError(f"No version {self.version.pk}.")
        approvals = approval_query.results(approval_rows)
        facts = selectors._assemble_facts(
            facts_found,
            tag_query.results(tag_rows),
            approvals,
            worst_open_drift(drift_query.results(drift_rows)),
            selectors.monitoring_by_version(monitoring_query.results(monitoring_rows)),
        )[self.version.pk]
        authors = {facts.creator_id, facts.submitter_id} - {None}
        in_force = [
            (row, spec)
            for row in waiver_query.results(waiver_rows)
            if (spec := selectors._waiver_spec(row)).is_active(now)
        ]
        return selectors.EvaluationEvidence(
            facts=facts,
            policies=policy_specs(policy_rows),
            waivers=[spec for _, spec in in_force],
            approval_ids=[
                approval.pk
                for approval in approvals
                if approval.reviewer_id not in authors
            ],
            waiver_ids=[row.pk for row, _ in in_force],
        )
