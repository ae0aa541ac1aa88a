"""Demo governance: realistic policies, review decisions and waivers for the
demo portfolio, so some versions pass, some fail and some are waived."""

import random
from datetime import timedelta

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.documents import parse_policy_documents
from governance.models import Approval, Policy, Waiver
from governance.services import apply_policy_documents, known_environment_names
from registry.models import ModelVersion

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
]
BATCH = 2000


def seed_governance() -> int:
    """Create the demo policies, decisions and waivers; returns decisions added."""
    users = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in=["gina", "rita", "ravi"]
        )
    }
    admin = users["gina"]
    documents = parse_policy_documents(
        DEMO_POLICIES, environments=known_environment_names()
    )
    with set_actor(admin):
        apply_policy_documents(actor=admin, documents=documents)
    added = _seed_decisions(users["rita"], users["ravi"])
    if not Waiver.objects.exists():
        _seed_waivers(admin)
    return added


def _seed_decisions(first, second) -> int:
    undecided = (
        ModelVersion.objects.exclude(status=ModelVersion.Status.DRAFT)
        .filter(approvals__isnull=True)
        .values_list("pk", "status", "submitted_at", "model__risk_tier")
    )
    decisions = []
    for pk, status, submitted_at, tier in undecided.iterator(chunk_size=BATCH):
        rng = random.Random(f"decisions-{pk}")
        when = submitted_at + timedelta(days=rng.randint(1, 10))
        if status == ModelVersion.Status.REJECTED:
            decisions.append(
                Approval(
                    version_id=pk,
                    reviewer=first,
                    decision="reject",
                    created_at=when,
                    comment="Evaluation data does not cover the target population.",
                )
            )
            continue
        if status == ModelVersion.Status.IN_REVIEW and rng.random() < 0.5:
            continue
        reviewers = [first, second] if tier in ("high", "critical") else [first]
        if status == ModelVersion.Status.IN_REVIEW:
            reviewers = reviewers[:1]
        decisions += [
            Approval(
                version_id=pk,
                reviewer=reviewer,
                decision="approve",
                created_at=when,
                comment="Validation report reviewed.",
            )
            for reviewer in reviewers
        ]
    Approval.objects.bulk_create(decisions, batch_size=BATCH, ignore_conflicts=True)
    return len(decisions)


def _seed_waivers(admin) -> None:
    """A few latency waivers: active, expired and revoked."""
    policy = Policy.objects.get(name="production-floor")
    slow = list(
        ModelVersion.objects.filter(
            status=ModelVersion.Status.APPROVED, metrics__latency_ms__gt=200
        ).order_by("pk")[:6]
    )
    now = timezone.now()
    for index, version in enumerate(slow):
        expired = index == 4
        Waiver.objects.create(
            version=version,
            policy=policy,
            rule_position=2,
            justification="Batch scoring: latency is not user-facing for this model.",
            granted_by=admin,
            granted_at=now - timedelta(days=120 if expired else 10),
            expires_at=now - timedelta(days=5) if expired else now + timedelta(days=80),
            revoked_by=admin if index == 5 else None,
            revoked_at=now - timedelta(days=1) if index == 5 else None,
            revocation_reason="Moved to real-time serving." if index == 5 else "",
        )
