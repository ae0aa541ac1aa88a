"""The governance vocabulary, defined once: pure names, no Django, so the
engine, the models' TextChoices, serializers and metrics all derive from it."""

WAIVER_ACTIVE = "active"
WAIVER_EXPIRED = "expired"
WAIVER_REVOKED = "revoked"
WAIVER_STATES: tuple[str, ...] = (WAIVER_ACTIVE, WAIVER_EXPIRED, WAIVER_REVOKED)
