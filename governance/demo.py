"""Demo governance: realistic policies, review decisions and waivers for the
demo portfolio, so some versions pass, some fail and some are waived."""

import random
from datetime import datetime, timedelta

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db.models import Max, Model

from governance.documents import parse_policy_documents
from governance.models import Approval, Policy, PolicyRevision, Waiver
from governance.services import apply_policy_documents, known_environment_names
from mlgov.audit import audit_entries_dated, record_bulk_changes
from mlgov.demo import DemoRun, demo_objects, mark_as_demo
from mlgov.permissions import is_author
from registry.models import MLModel, ModelVersion

DEMO_POLICIES = [
    {
        "name": "production-floor",
        "description": "Minimum predictive performance and latency in production.",
        "enforcement": "enforce",
        "scope": {"risk_tiers": [], "environments": ["production"], "tags": []},
        "rules": [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": ">=", "value": 0.75},
            },
            {
                "kind": "metric_threshold",
                "params": {"metric": "latency_ms", "op": "<=", "value": 200},
            },
        ],
    },
    {
        "name": "independent-review",
        "description": "High and critical models need two independent approvals.",
        "enforcement": "enforce",
        "scope": {"risk_tiers": ["high", "critical"], "environments": [], "tags": []},
        "rules": [{"kind": "min_approvals", "params": {"count": 2}}],
    },
    {
        "name": "single-review",
        "description": "Every other model needs one independent approval.",
        "enforcement": "enforce",
        "scope": {"risk_tiers": ["low", "medium"], "environments": [], "tags": []},
        "rules": [{"kind": "min_approvals", "params": {"count": 1}}],
    },
    {
        "name": "model-card-complete",
        "description": "The model card says what the model is for and where it fails.",
        "enforcement": "enforce",
        "scope": {"risk_tiers": [], "environments": [], "tags": []},
        "rules": [
            {
                "kind": "model_card_fields",
                "params": {"fields": ["intended_use", "limitations", "training_data"]},
            }
        ],
    },
    {
        "name": "freshness",
        "description": "Production versions are retrained at least yearly.",
        "enforcement": "advisory",
        "scope": {"risk_tiers": [], "environments": ["production"], "tags": []},
        "rules": [{"kind": "max_age_days", "params": {"days": 365}}],
    },
    {
        "name": "production-drift-limit",
        "description": "No critical open drift on a version deployed to production.",
        "enforcement": "enforce",
        "scope": {"risk_tiers": [], "environments": ["production"], "tags": []},
        "rules": [{"kind": "max_drift_severity", "params": {"severity": "warning"}}],
    },
    {
        "name": "llm-quality-floor",
        "description": "LLM applications stay grounded in their sources and "
        "non-toxic, on evaluation suites of a meaningful size.",
        "enforcement": "enforce",
        "scope": {
            "risk_tiers": [],
            "environments": [],
            "tags": [],
            "model_kinds": ["llm_application"],
        },
        "rules": [
            {
                "kind": "metric_threshold",
                "params": {
                    "metric": "groundedness",
                    "op": ">=",
                    "value": 0.8,
                    "min_sample_size": 200,
                },
            },
            {
                "kind": "metric_threshold",
                "params": {"metric": "toxicity", "op": "<=", "value": 0.01},
            },
        ],
    },
]
BATCH = 2000
WAIVER_TERM_DAYS = 90


def seed_governance_demo(run: DemoRun) -> str:
    """The governance app's demo step."""
    added = seed_governance(now=run.now)
    return f"policies in place, {added} review decisions added"


def seed_governance(*, now: datetime) -> int:
    """Create the demo policies, decisions and waivers; returns decisions added.

    Only the demo's own versions get decisions, by the demo's own reviewers,
    never by a version's author, never dated after `now`, each with its audit
    entry. Policies of the same name that a user made or changed are kept."""
    users = {
        user.username: user
        for user in demo_objects(get_user_model()).filter(
            username__in=["gina", "rita", "ravi"]
        )
    }
    admin = users.get("gina")
    if admin is None:
        return 0
    stored = set(Policy.objects.values_list("name", flat=True))
    missing = [policy for policy in DEMO_POLICIES if policy["name"] not in stored]
    documents = parse_policy_documents(missing, environments=known_environment_names())
    in_place_at = _policies_in_place_at(now)
    with set_actor(admin), audit_entries_dated(in_place_at):
        apply_policy_documents(
            actor=admin,
            documents=documents,
            reason="The demo's starting policies",
        )
    added_policies = Policy.objects.filter(
        name__in=[document.name for document in documents]
    )
    added_policies.update(created_at=in_place_at, updated_at=in_place_at)
    PolicyRevision.objects.filter(policy__in=added_policies).update(
        created_at=in_place_at
    )
    mark_as_demo(Policy, added_policies.values_list("pk", flat=True))
    added = 0
    if "rita" in users and "ravi" in users:
        added = _seed_decisions(users["rita"], users["ravi"], now=now)
    if not demo_objects(Waiver).exists():
        _seed_waivers(admin, now=now)
    return added


def _policies_in_place_at(now: datetime) -> datetime:
    """A day before the demo's first model: the rules were there first."""
    first = demo_objects(MLModel).order_by("created_at").first()
    return (first.created_at if first else now) - timedelta(days=1)


def _decision_time(version: ModelVersion, now: datetime) -> datetime:
    """One to ten days after submission, and never after `now`."""
    rng = random.Random(f"decisions-{version.pk}")
    delay = timedelta(days=rng.randint(1, 10))
    submitted = version.submitted_at
    assert submitted is not None  # only submitted versions are decided on
    return submitted + min(delay, (now - submitted) * 0.9)


def _seed_decisions(first, second, *, now: datetime) -> int:
    undecided = (
        demo_objects(ModelVersion)
        .exclude(status=ModelVersion.Status.DRAFT)
        .filter(approvals__isnull=True, submitted_at__lte=now)
        .select_related("model")
        .order_by("pk")
    )
    decisions: dict[int, list[Approval]] = {first.pk: [], second.pk: []}
    for version in undecided.iterator(chunk_size=BATCH):
        when = _decision_time(version, now)
        high_risk = version.model.risk_tier in ("high", "critical")
        if version.status == ModelVersion.Status.REJECTED:
            reviewers = [first]
        elif version.status == ModelVersion.Status.IN_REVIEW:
            # One of the two approvals a high-risk version needs; a low-risk
            # one with its single approval would not still be in review.
            reviewers = [first] if high_risk else []
        else:
            reviewers = [first, second] if high_risk else [first]
        for reviewer in reviewers:
            if is_author(reviewer, version):
                continue
            rejected = version.status == ModelVersion.Status.REJECTED
            decisions[reviewer.pk].append(
                Approval(
                    version=version,
                    reviewer=reviewer,
                    decision="reject" if rejected else "approve",
                    created_at=when,
                    comment=(
                        "Evaluation data does not cover the target population."
                        if rejected
                        else "Validation report reviewed."
                    ),
                )
            )
    for reviewer in (first, second):
        rows = Approval.objects.bulk_create(decisions[reviewer.pk], batch_size=BATCH)
        with set_actor(reviewer):
            record_bulk_changes(
                rows,
                action=LogEntry.Action.CREATE,
                changes=_approval_changes,
                happened_at=lambda approval: approval.created_at,
            )
    return sum(len(rows) for rows in decisions.values())


def _approval_changes(approval: Model) -> dict[str, list[str | None]]:
    assert isinstance(approval, Approval)
    return {
        "version": [None, str(approval.version)],
        "reviewer": [None, approval.reviewer.get_username()],
        "decision": [None, approval.decision],
        "comment": [None, approval.comment],
        "created_at": [None, approval.created_at.isoformat()],
    }


def _seed_waivers(admin, *, now: datetime) -> None:
    """A few latency waivers on the demo's versions: active, expired and
    revoked, granted (and attributed in the audit trail) by the demo admin a
    day after the version's last review decision."""
    policy = demo_objects(Policy).filter(name="production-floor").first()
    if policy is None:
        return
    slow = [
        version
        for version in demo_objects(ModelVersion)
        .filter(status=ModelVersion.Status.APPROVED, metrics__latency_ms__gt=200)
        .annotate(decided_at=Max("approvals__created_at"))
        .filter(decided_at__lt=now - timedelta(days=WAIVER_TERM_DAYS // 2))
        .select_related("model")
        .order_by("decided_at", "pk")[:6]
        if not is_author(admin, version)
    ]
    created = []
    with set_actor(admin):
        for index, version in enumerate(slow):
            granted_at = version.decided_at + timedelta(days=1)
            # The oldest grant has run out; the newest was revoked since.
            expired = index == 0
            revoked = index == len(slow) - 1
            with audit_entries_dated(granted_at):
                waiver = Waiver.objects.create(
                    version=version,
                    policy=policy,
                    rule_position=2,
                    justification=(
                        "Batch scoring: latency is not user-facing for this model."
                    ),
                    granted_by=admin,
                    granted_at=granted_at,
                    expires_at=(
                        granted_at + (now - granted_at) / 2
                        if expired
                        else max(granted_at, now) + timedelta(days=WAIVER_TERM_DAYS)
                    ),
                    revoked_by=admin if revoked else None,
                    revoked_at=granted_at + (now - granted_at) / 2 if revoked else None,
                    revocation_reason="Moved to real-time serving." if revoked else "",
                )
            created.append(waiver.pk)
    mark_as_demo(Waiver, created)
