"""The drift vocabulary, defined once: pure names, no Django. The statistics
engine, the models' TextChoices and constraints, the governance engine and the
metric labels all derive from these (tests/test_vocabulary.py pins the copies)."""

SEVERITY_OK = "ok"
SEVERITY_WARNING = "warning"
SEVERITY_CRITICAL = "critical"
# Mildest first: a severity's index is its rank.
SEVERITIES: tuple[str, ...] = (SEVERITY_OK, SEVERITY_WARNING, SEVERITY_CRITICAL)
SEVERITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}
# The severities a drift alert can have: a feature that is ok raises none.
ALERT_SEVERITIES: tuple[str, ...] = (SEVERITY_WARNING, SEVERITY_CRITICAL)

ALERT_OPEN = "open"
ALERT_ACKNOWLEDGED = "acknowledged"
ALERT_RESOLVED = "resolved"
ALERT_STATUSES: tuple[str, ...] = (ALERT_OPEN, ALERT_ACKNOWLEDGED, ALERT_RESOLVED)
# A filter, not a status: open or acknowledged, the alerts someone must close.
UNRESOLVED = "unresolved"
# The longest note a reviewer may leave when acknowledging or resolving.
ALERT_NOTE_MAX_CHARS = 5000
