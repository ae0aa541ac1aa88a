from typing import Self

from auditlog.registry import auditlog
from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Func
from django.db.models.functions import Length
from django.db.models.lookups import Exact, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from mlgov.sealed_records import SealedRecord
from registry import ai_act, constants

# Re-exported: registry.models has always offered the card's field names.
from registry.constants import MODEL_CARD_FIELDS as MODEL_CARD_FIELDS

ARTIFACT_URI_SCHEMES = (
    "s3",
    "gs",
    "az",
    "abfss",
    "hdfs",
    "file",
    "https",
    "models",
    "runs",
)

sha256_validator = RegexValidator(
    r"^[0-9a-f]{64}$", "Must be 64 lowercase hexadecimal characters."
)


class JSONType(Func):
    """The JSON type of a value ("array", "object", …), in a database check."""

    function = "JSON_TYPE"
    output_field = models.CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, function="JSONB_TYPEOF", **extra_context
        )


class Team(models.Model):
    """A group of people owning models."""

    name = models.SlugField(max_length=64, unique=True)
    display_name = models.CharField(max_length=200)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name or self.name


class Environment(models.Model):
    """Where a model version runs: development, staging, production, …"""

    name = models.SlugField(max_length=64, unique=True)
    rank = models.PositiveSmallIntegerField(
        help_text="Order of environments along the promotion path."
    )
    requires = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="required_by",
        help_text="The environment a version must have run in first.",
    )
    min_soak_hours = models.PositiveIntegerField(
        default=0, help_text="Hours a version must have been active in `requires`."
    )
    frozen = models.BooleanField(default=False)
    freeze_reason = models.TextField(blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who froze the environment (while frozen).",
    )
    frozen_at = models.DateTimeField(null=True, blank=True)

    # Not a column: the reason the next save's audit entry carries, set by the
    # services that freeze and unfreeze.
    _audit_note: str = ""

    class Meta:
        ordering = ["rank", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(requires=models.F("pk")),
                name="environment_not_requiring_itself",
            ),
            models.CheckConstraint(
                condition=models.Q(frozen=False) | ~models.Q(freeze_reason=""),
                name="environment_freeze_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_additional_data(self) -> dict[str, str] | None:
        """The reason a freeze or unfreeze gave, for its audit entry."""
        return {"reason": self._audit_note} if self._audit_note else None


class Tag(models.Model):
    """A free label on models, used by policy scopes and filters."""

    name = models.SlugField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MLModel(models.Model):
    """A model in the inventory: archived, never deleted."""

    class RiskTier(models.TextChoices):
        LOW = constants.RISK_LOW, "Low"
        MEDIUM = constants.RISK_MEDIUM, "Medium"
        HIGH = constants.RISK_HIGH, "High"
        CRITICAL = constants.RISK_CRITICAL, "Critical"

    name = models.SlugField(max_length=constants.MODEL_NAME_MAX_LENGTH, unique=True)
    display_name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="models")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_models",
        null=True,
        blank=True,
    )

    class Kind(models.TextChoices):
        PREDICTIVE = constants.KIND_PREDICTIVE, "Predictive model"
        LLM_APPLICATION = constants.KIND_LLM_APPLICATION, "LLM application"
        VENDOR_MODEL = constants.KIND_VENDOR_MODEL, "Vendor model"

    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices)
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.PREDICTIVE,
        help_text="A predictive model, an application on a large language "
        "model, or a third party's model.",
    )
    ai_act_category = models.CharField(
        "EU AI Act category",
        max_length=20,
        choices=[
            (name, name.replace("_", " ").capitalize())
            for name in constants.AI_ACT_CATEGORIES
        ],
        default=constants.AI_ACT_UNASSESSED,
        help_text="Derived from the model's use-case intake, never typed in.",
    )
    business_use = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, related_name="models", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "model"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(risk_tier__in=list(constants.RISK_TIERS)),
                name="mlmodel_risk_tier_known",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    ai_act_category__in=list(constants.AI_ACT_CATEGORIES)
                ),
                name="mlmodel_ai_act_category_known",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=list(constants.MODEL_KINDS)),
                name="mlmodel_kind_known",
            ),
        ]
        indexes = [models.Index(fields=["team", "risk_tier"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:model-detail", kwargs={"name": self.name})

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ModelVersionQuerySet(models.QuerySet["ModelVersion"]):
    def approved(self) -> Self:
        return self.filter(status=ModelVersion.Status.APPROVED)


class ModelVersion(models.Model):
    """One trained artifact of a model, with its evidence frozen on submission."""

    class Status(models.TextChoices):
        DRAFT = constants.VERSION_DRAFT, "Draft"
        IN_REVIEW = constants.VERSION_IN_REVIEW, "In review"
        APPROVED = constants.VERSION_APPROVED, "Approved"
        REJECTED = constants.VERSION_REJECTED, "Rejected"
        RETIRED = constants.VERSION_RETIRED, "Retired"

    model = models.ForeignKey(
        MLModel, on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    artifact_uri = models.CharField(max_length=1000)
    artifact_sha256 = models.CharField(
        max_length=64, blank=True, validators=[sha256_validator]
    )
    framework = models.CharField(max_length=100, blank=True)
    training_data_ref = models.CharField(max_length=1000, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    model_card = models.JSONField(default=dict, blank=True)
    # Generative and vendor models: what the version runs on and how it was
    # evaluated; evidence like the rest, frozen from submission on.
    prompt_template = models.TextField(blank=True)
    provider = models.CharField(
        max_length=20,
        blank=True,
        choices=[(name, name) for name in constants.PROVIDERS],
    )
    provider_name = models.CharField(
        max_length=constants.PROVIDER_NAME_MAX_LENGTH,
        blank=True,
        help_text="Who the provider is, when `provider` is other.",
    )
    provider_model = models.CharField(
        max_length=constants.PROVIDER_MODEL_MAX_LENGTH,
        blank=True,
        help_text="The provider's model identifier and version.",
    )
    evaluation_results = models.JSONField(
        default=list,
        blank=True,
        help_text="One result per metric of an evaluation suite: "
        "{metric, value, suite, judge, sample_size, dataset_ref}.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="created_versions",
        null=True,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="submitted_versions",
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        verbose_name = "model version"
        ordering = ["model", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "version"], name="modelversion_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="modelversion_number_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=list(constants.VERSION_STATUSES)),
                name="modelversion_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    *(
                        models.Q(artifact_uri__startswith=f"{scheme}:")
                        for scheme in ARTIFACT_URI_SCHEMES
                    ),
                    _connector=models.Q.OR,
                ),
                name="modelversion_artifact_scheme_allowed",
            ),
            models.CheckConstraint(
                condition=models.Q(artifact_sha256="")
                | models.Q(Exact(Length("artifact_sha256"), 64)),
                name="modelversion_sha256_length",
            ),
            models.CheckConstraint(
                condition=models.Q(status=constants.VERSION_DRAFT)
                | models.Q(submitted_at__isnull=False),
                name="modelversion_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="modelversion_not_own_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    LessThanOrEqual(
                        Length("prompt_template"), constants.PROMPT_TEMPLATE_MAX_LENGTH
                    )
                ),
                name="modelversion_prompt_template_length",
            ),
            models.CheckConstraint(
                condition=models.Q(provider="")
                | models.Q(provider__in=list(constants.PROVIDERS)),
                name="modelversion_provider_known",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(provider=constants.PROVIDER_OTHER)
                    & ~models.Q(provider_name="")
                )
                | (
                    ~models.Q(provider=constants.PROVIDER_OTHER)
                    & models.Q(provider_name="")
                ),
                name="modelversion_other_provider_named",
            ),
            models.CheckConstraint(
                condition=models.Q(provider="", provider_model="")
                | (~models.Q(provider="") & ~models.Q(provider_model="")),
                name="modelversion_provider_with_model",
            ),
            models.CheckConstraint(
                condition=models.Q(Exact(JSONType("evaluation_results"), "array")),
                name="modelversion_evaluation_results_list",
            ),
        ]
        indexes = [models.Index(fields=["status", "model"])]

    def __str__(self) -> str:
        return f"{self.model.name} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse(
            "registry:version-detail",
            kwargs={"name": self.model.name, "number": self.version},
        )

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_generative(self) -> bool:
        """Whether the version describes an LLM application or a vendor model."""
        return bool(self.prompt_template or self.provider or self.evaluation_results)

    @property
    def provider_label(self) -> str:
        """The provider as a person reads it ("other" shows its name)."""
        if self.provider == constants.PROVIDER_OTHER:
            return self.provider_name
        return self.provider

    @property
    def parent_version(self) -> int | None:
        return self.parent.version if self.parent_id and self.parent else None


def _choices(vocabulary: dict) -> list[tuple[str, str]]:
    return [
        (code, getattr(label, "label", label)) for code, label in vocabulary.items()
    ]


class UseCaseIntake(SealedRecord):
    """One revision of a model's use-case questionnaire, with what mlgov
    derived from it at the time (the EU AI Act category, a proposed tier, the
    reasoning and the transparency duties).

    Never changed or deleted: new answers are a new revision; database
    triggers refuse UPDATE and DELETE and the creation entry seals every
    column (mlgov.sealed_records)."""

    model = models.ForeignKey(MLModel, on_delete=models.PROTECT, related_name="intakes")
    revision = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(default=timezone.now)

    purpose = models.TextField()
    affected_persons = models.TextField()
    affected_groups = models.JSONField(default=list, blank=True)
    autonomy = models.CharField(max_length=20, choices=_choices(ai_act.AUTONOMY_LEVELS))
    domain = models.CharField(max_length=30, choices=_choices(ai_act.DOMAINS))
    prohibited_practices = models.JSONField(default=list, blank=True)
    personal_data = models.JSONField(default=list, blank=True)
    general_purpose = models.BooleanField(default=False)
    generative = models.BooleanField(default=False)
    interacts_with_people = models.BooleanField(default=False)
    synthetic_content = models.BooleanField(default=False)
    emotion_or_biometric_categorisation = models.BooleanField(default=False)
    provenance = models.CharField(
        max_length=10, choices=_choices(ai_act.PROVENANCES), default="in_house"
    )
    vendor_name = models.CharField(max_length=200, blank=True)
    human_oversight_measures = models.TextField(blank=True)
    human_oversight_contact = models.CharField(max_length=200, blank=True)

    derived_category = models.CharField(max_length=20)
    proposed_tier = models.CharField(max_length=10)
    reasoning = models.JSONField(default=list)
    transparency_duties = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "use-case intake"
        ordering = ["model", "-revision"]
        get_latest_by = "revision"
        constraints = [
            models.UniqueConstraint(
                fields=["model", "revision"], name="usecaseintake_unique_revision"
            ),
            models.CheckConstraint(
                condition=models.Q(revision__gte=1),
                name="usecaseintake_revision_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(autonomy__in=list(ai_act.AUTONOMY_LEVELS)),
                name="usecaseintake_autonomy_known",
            ),
            models.CheckConstraint(
                condition=models.Q(domain__in=list(ai_act.DOMAINS)),
                name="usecaseintake_domain_known",
            ),
            models.CheckConstraint(
                condition=models.Q(provenance__in=list(ai_act.PROVENANCES)),
                name="usecaseintake_provenance_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(provenance="vendor") | ~models.Q(vendor_name=""),
                name="usecaseintake_vendor_named",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    derived_category__in=[
                        c
                        for c in constants.AI_ACT_CATEGORIES
                        if c != constants.AI_ACT_UNASSESSED
                    ]
                ),
                name="usecaseintake_category_known",
            ),
            models.CheckConstraint(
                condition=models.Q(proposed_tier__in=list(constants.RISK_TIERS)),
                name="usecaseintake_tier_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.name} intake r{self.revision}"

    @property
    def annex_iii_point(self) -> str:
        return ai_act.DOMAINS[self.domain].annex_iii

    @property
    def summary(self) -> str:
        """The first line of the reasoning: "high-risk (Annex III 5(b), …)"."""
        return self.reasoning[0]["text"] if self.reasoning else self.derived_category

    @property
    def has_oversight_measures(self) -> bool:
        return bool(self.human_oversight_measures.strip())

    @property
    def affected_group_labels(self) -> list[str]:
        return [ai_act.AFFECTED_GROUPS[code] for code in self.affected_groups]

    @property
    def personal_data_labels(self) -> list[str]:
        return [ai_act.PERSONAL_DATA[code] for code in self.personal_data]


class RiskClassChange(models.Model):
    """A request to lower a model's risk tier or move its EU AI Act category
    away from a stricter one: applied only once a governance admin who did not
    ask approves it (four eyes)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    model = models.ForeignKey(
        MLModel, on_delete=models.PROTECT, related_name="risk_class_changes"
    )
    intake = models.ForeignKey(
        UseCaseIntake,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="risk_class_changes",
        help_text="The intake revision whose derivation asked for the change.",
    )
    from_tier = models.CharField(max_length=10, choices=MLModel.RiskTier.choices)
    to_tier = models.CharField(max_length=10, choices=MLModel.RiskTier.choices)
    from_category = models.CharField(max_length=20)
    to_category = models.CharField(max_length=20)
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        verbose_name = "risk class change"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["model"],
                condition=models.Q(status="pending"),
                name="riskclasschange_one_pending_per_model",
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="riskclasschange_four_eyes",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="pending", decided_at__isnull=True)
                    | models.Q(status="withdrawn", decided_by__isnull=True)
                    | models.Q(
                        status__in=["approved", "rejected"],
                        decided_by__isnull=False,
                        decided_at__isnull=False,
                    )
                ),
                name="riskclasschange_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    from_tier=models.F("to_tier"),
                    from_category=models.F("to_category"),
                ),
                name="riskclasschange_changes_something",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["pending", "approved", "rejected", "withdrawn"]
                ),
                name="riskclasschange_status_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""),
                name="riskclasschange_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.model.name}: {self.from_tier}/{self.from_category} to "
            f"{self.to_tier}/{self.to_category} ({self.status})"
        )

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


# Allowed status moves; registry.services.move_version applies them.
VERSION_TRANSITIONS: dict[str, frozenset[str]] = {
    ModelVersion.Status.DRAFT: frozenset({ModelVersion.Status.IN_REVIEW}),
    ModelVersion.Status.IN_REVIEW: frozenset(
        {ModelVersion.Status.APPROVED, ModelVersion.Status.REJECTED}
    ),
    ModelVersion.Status.APPROVED: frozenset({ModelVersion.Status.RETIRED}),
    ModelVersion.Status.REJECTED: frozenset(),
    ModelVersion.Status.RETIRED: frozenset(),
}

auditlog.register(Team, m2m_fields={"members"})
auditlog.register(Environment)
auditlog.register(Tag)
auditlog.register(MLModel, m2m_fields={"tags"})
auditlog.register(ModelVersion, exclude_fields=["updated_at"])
auditlog.register(UseCaseIntake)
auditlog.register(RiskClassChange)
