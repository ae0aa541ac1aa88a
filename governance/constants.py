"""The governance vocabulary, defined once: pure names, no Django. The engine,
the models' TextChoices and constraints, policy documents, serializers and
metric labels all derive from these (tests/test_vocabulary.py pins the copies)."""

ENFORCE = "enforce"
ADVISORY = "advisory"
DISABLED = "disabled"
ENFORCEMENTS: tuple[str, ...] = (ENFORCE, ADVISORY, DISABLED)

DECISION_APPROVE = "approve"
DECISION_REJECT = "reject"
DECISIONS: tuple[str, ...] = (DECISION_APPROVE, DECISION_REJECT)

WAIVER_ACTIVE = "active"
WAIVER_EXPIRED = "expired"
WAIVER_REVOKED = "revoked"
WAIVER_STATES: tuple[str, ...] = (WAIVER_ACTIVE, WAIVER_EXPIRED, WAIVER_REVOKED)

# The longest comment a version's review thread takes (the API's limit on an
# approval's comment too).
VERSION_COMMENT_MAX_CHARS = 5000

# Names a stored policy cannot take: /policies/new/ is the command center's
# new-policy page, so a policy of that name would have no page of its own.
RESERVED_POLICY_NAMES: frozenset[str] = frozenset({"new"})
