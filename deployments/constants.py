"""The deployments vocabulary, defined once: pure names, no Django. The models'
TextChoices and constraints, the gate, the services' state machine and the
serializers all derive from these (tests/test_vocabulary.py pins the copies)."""

STRATEGY_FULL = "full"
STRATEGY_CANARY = "canary"
STRATEGIES: tuple[str, ...] = (STRATEGY_FULL, STRATEGY_CANARY)

# A deployment at this share of traffic is its environment's primary.
FULL_TRAFFIC = 100

DECISION_APPROVED = "approved"
DECISION_BLOCKED = "blocked"
DECISIONS: tuple[str, ...] = (DECISION_APPROVED, DECISION_BLOCKED)

STATUS_BLOCKED = "blocked"
STATUS_APPROVED = "approved"
STATUS_IN_PROGRESS = "in_progress"
STATUS_ACTIVE = "active"
STATUS_FAILED = "failed"
STATUS_SUPERSEDED = "superseded"
STATUS_ROLLED_BACK = "rolled_back"
DEPLOYMENT_STATUSES: tuple[str, ...] = (
    STATUS_BLOCKED,
    STATUS_APPROVED,
    STATUS_IN_PROGRESS,
    STATUS_ACTIVE,
    STATUS_FAILED,
    STATUS_SUPERSEDED,
    STATUS_ROLLED_BACK,
)

# The gate's checks, in the order DESIGN.md §2 runs and reports them.
GATE_CHECKS: tuple[str, ...] = (
    "version_status",
    "promotion_path",
    "freeze",
    "governance",
    "no_concurrent_rollout",
)

# Allowed moves: status → {action: new status}. deployments.services applies
# them under a row lock. `supersede` and `restore` happen to a primary when
# another deployment completes or is rolled back.
DEPLOYMENT_TRANSITIONS: dict[str, dict[str, str]] = {
    STATUS_BLOCKED: {},
    STATUS_APPROVED: {"start": STATUS_IN_PROGRESS},
    STATUS_IN_PROGRESS: {"complete": STATUS_ACTIVE, "fail": STATUS_FAILED},
    STATUS_ACTIVE: {
        "promote": STATUS_ACTIVE,
        "rollback": STATUS_ROLLED_BACK,
        "supersede": STATUS_SUPERSEDED,
    },
    STATUS_SUPERSEDED: {"restore": STATUS_ACTIVE},
    STATUS_FAILED: {},
    STATUS_ROLLED_BACK: {},
}
# The moves a client asks for by name (the rest follow from them).
CLIENT_ACTIONS: tuple[str, ...] = ("start", "complete", "fail", "promote", "rollback")

# Statuses no move leads to: a deployment in one of them has never moved, so
# it has no rollout steps yet (a fresh request's answer needs no steps query).
UNMOVED_STATUSES: frozenset[str] = frozenset(DEPLOYMENT_STATUSES) - {
    target for moves in DEPLOYMENT_TRANSITIONS.values() for target in moves.values()
}
