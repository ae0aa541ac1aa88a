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
# The use-case intake's answers: prose, and a name (a vendor, a contact).
INTAKE_TEXT_MAX_LENGTH = 5000
INTAKE_NAME_MAX_LENGTH = 200

# What kind of system a model is: a predictive model trained in-house, an
# application built on a large language model (a prompt template on a
# provider's model), or a third party's model used as delivered. Pages and the
# inventory filter by it; every kind goes through the same gate.
KIND_PREDICTIVE = "predictive"
KIND_LLM_APPLICATION = "llm_application"
KIND_VENDOR_MODEL = "vendor_model"
MODEL_KINDS: tuple[str, ...] = (
    KIND_PREDICTIVE,
    KIND_LLM_APPLICATION,
    KIND_VENDOR_MODEL,
)

# Who serves a generative or vendor model; "other" must be named
# (`provider_name`).
PROVIDER_OTHER = "other"
PROVIDERS: tuple[str, ...] = (
    "openai",
    "anthropic",
    "azure_openai",
    "vertex",
    "bedrock",
    "mistral",
    "cohere",
    "huggingface",
    "self_hosted",
    PROVIDER_OTHER,
)
PROVIDER_NAME_MAX_LENGTH = 100
PROVIDER_MODEL_MAX_LENGTH = 200
# A prompt template is evidence, not a corpus: 50,000 characters hold the
# longest system prompts seen in practice (a few thousand words) many times
# over, and keep a version's row and its diff page small.
PROMPT_TEMPLATE_MAX_LENGTH = 50_000
# One version's evaluation results: one per metric name.
EVALUATION_RESULTS_MAX = 200
EVALUATION_LABEL_MAX_LENGTH = 100
DATASET_REF_MAX_LENGTH = 1000
# Metrics that LLM evaluation suites commonly report; any other name is
# accepted too (these are the ones the pages and docs name).
WELL_KNOWN_EVALUATION_METRICS: tuple[str, ...] = (
    "groundedness",
    "answer_relevance",
    "toxicity",
    "jailbreak_resistance",
    "pii_leakage",
)
