"""The registry vocabulary, defined once: pure names, no Django. The models'
TextChoices and constraints, serializers, the governance engine and metric
labels all derive from these tuples (tests/test_vocabulary.py pins the copies)."""

RISK_LOW = "low"
RISK_MEDIUM = "medium"
RISK_HIGH = "high"
RISK_CRITICAL = "critical"
RISK_TIERS: tuple[str, ...] = (RISK_LOW, RISK_MEDIUM, RISK_HIGH, RISK_CRITICAL)

VERSION_DRAFT = "draft"
VERSION_IN_REVIEW = "in_review"
VERSION_APPROVED = "approved"
VERSION_REJECTED = "rejected"
VERSION_RETIRED = "retired"
VERSION_STATUSES: tuple[str, ...] = (
    VERSION_DRAFT,
    VERSION_IN_REVIEW,
    VERSION_APPROVED,
    VERSION_REJECTED,
    VERSION_RETIRED,
)

# The EU AI Act's risk categories (Art. 5 prohibited practices, Art. 6 and
# Annex III high-risk, Art. 50 transparency duties, the rest minimal), as the
# use-case intake derives them; "unassessed" until a model's intake is answered.
AI_ACT_UNASSESSED = "unassessed"
AI_ACT_PROHIBITED = "prohibited"
AI_ACT_HIGH_RISK = "high_risk"
AI_ACT_LIMITED_RISK = "limited_risk"
AI_ACT_MINIMAL = "minimal"
AI_ACT_CATEGORIES: tuple[str, ...] = (
    AI_ACT_UNASSESSED,
    AI_ACT_PROHIBITED,
    AI_ACT_HIGH_RISK,
    AI_ACT_LIMITED_RISK,
    AI_ACT_MINIMAL,
)

MODEL_CARD_FIELDS: tuple[str, ...] = (
    "intended_use",
    "limitations",
    "training_data",
    "evaluation_data",
    "ethical_considerations",
    "caveats",
)

# The environment the portfolio's headline numbers and readiness speak about.
PRODUCTION = "production"

# Lengths the registry allows, enforced by the API's serializers and by every
# other way in (the MLflow import). Model names are also the models' column
# length.
MODEL_NAME_MAX_LENGTH = 100
# A model's description (and an imported MLflow version's): a page of prose.
# MLflow's own SQL store keeps at most 5,000 characters.
DESCRIPTION_MAX_LENGTH = 10_000
METRIC_NAME_MAX_LENGTH = 100
