"""Registry API: models, versions, submission and environments."""

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from mlgov.api.caching import CachedListMixin
from mlgov.api.filters import QueryFilter
from mlgov.api.pagination import StableCursorPagination
from mlgov.api.permissions import (
    IsDataScientistForWrites,
    IsGovernanceAdminForWrites,
)
from mlgov.api.serializers import FiniteFloatField, StrictInputSerializer, validated
from mlgov.exceptions import FieldError, NotFoundError
from registry import hot, selectors, services
from registry.constants import (
    AI_ACT_CATEGORIES,
    DATASET_REF_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    EVALUATION_LABEL_MAX_LENGTH,
    EVALUATION_RESULTS_MAX,
    METRIC_NAME_MAX_LENGTH,
    MODEL_CARD_FIELDS,
    MODEL_NAME_MAX_LENGTH,
    PROMPT_TEMPLATE_MAX_LENGTH,
    PROVIDER_MODEL_MAX_LENGTH,
    PROVIDER_NAME_MAX_LENGTH,
    PROVIDERS,
)
from registry.generative import unified_prompt_diff
from registry.models import Environment, MLModel, ModelVersion, Team


class MLModelSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="name", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    latest_version = serializers.IntegerField(read_only=True, allow_null=True)
    archived = serializers.BooleanField(source="is_archived", read_only=True)

    class Meta:
        model = MLModel
        fields = [
            "name",
            "display_name",
            "description",
            "team",
            "owner",
            "risk_tier",
            "kind",
            "ai_act_category",
            "business_use",
            "tags",
            "latest_version",
            "archived",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _datetime(value: datetime | None, zone: tzinfo) -> str | None:
    # As DRF's DateTimeField renders it (ISO 8601 in the current time zone,
    # UTC as "Z"); tests/registry/test_hot_paths.py holds the two together.
    # The zone is looked up once per response, not per value: the lookup
    # (an asgiref Local) cost more than the formatting on a page of 100.
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# The hot registry endpoints build their JSON with model_data and version_data
# from plain rows (registry.selectors *_rows), not through the serializers: a
# ModelSerializer introspects the model on every construction and runs a field
# object per value, which cost more than the query on a version read and most
# of a search page. The serializers stay the contract (OpenAPI schema, the
# other apps' responses); tests/registry/test_hot_paths.py asserts that both
# give the same JSON for the same rows.
def model_data(
    row: dict[str, Any], tags: list[str], zone: tzinfo | None = None
) -> dict[str, Any]:
    """An inventory row as MLModelSerializer renders it."""
    zone = zone or timezone.get_current_timezone()
    return {
        "name": row["name"],
        "display_name": row["display_name"],
        "description": row["description"],
        "team": row["team_name"],
        "owner": row["owner_name"],
        "risk_tier": row["risk_tier"],
        "kind": row["kind"],
        "ai_act_category": row["ai_act_category"],
        "business_use": row["business_use"],
        "tags": tags,
        "latest_version": row["latest_version"],
        "archived": row["archived_at"] is not None,
        "archived_at": _datetime(row["archived_at"], zone),
        "created_at": _datetime(row["created_at"], zone),
        "updated_at": _datetime(row["updated_at"], zone),
    }


def model_row_of(model: MLModel, *, latest_version: int | None) -> dict[str, Any]:
    """The row of a model just written, from the instance (team and owner
    already loaded), so a write need not read it back."""
    row = {
        column: getattr(model, column, None) for column in selectors.MODEL_ROW_COLUMNS
    }
    row.update(
        latest_version=latest_version,
        team_name=model.team.name,
        owner_name=model.owner.username if model.owner is not None else None,
    )
    return row


def version_data(row: dict[str, Any], zone: tzinfo | None = None) -> dict[str, Any]:
    """A version row as VersionSerializer renders it."""
    zone = zone or timezone.get_current_timezone()
    return {
        "model": row["model_name"],
        "version": row["version"],
        "status": row["status"],
        "artifact_uri": row["artifact_uri"],
        "artifact_sha256": row["artifact_sha256"],
        "framework": row["framework"],
        "training_data_ref": row["training_data_ref"],
        "metrics": row["metrics"],
        "params": row["params"],
        "model_card": row["model_card"],
        "prompt_template": row["prompt_template"],
        "provider": row["provider"],
        "provider_name": row["provider_name"],
        "provider_model": row["provider_model"],
        "evaluation_results": row["evaluation_results"],
        "parent_version": row["parent_number"],
        "created_by": row["created_by_name"],
        "submitted_by": row["submitted_by_name"],
        "submitted_at": _datetime(row["submitted_at"], zone),
        "created_at": _datetime(row["created_at"], zone),
        "updated_at": _datetime(row["updated_at"], zone),
    }


def version_row_of(version: ModelVersion) -> dict[str, Any]:
    """The row of a version just written, from the instance the service
    returned (model, author and parent already loaded), instead of reading
    it back."""
    row = {column: getattr(version, column) for column in selectors.VERSION_ROW_COLUMNS}
    row.update(
        model_name=version.model.name,
        # Loaded already (the service set them) or None: no query.
        parent_number=version.parent.version if version.parent is not None else None,
        created_by_name=(
            version.created_by.username if version.created_by is not None else None
        ),
        submitted_by_name=(
            version.submitted_by.username if version.submitted_by is not None else None
        ),
    )
    return row


class ModelCardSerializer(StrictInputSerializer):
    """One optional text per field of registry.constants.MODEL_CARD_FIELDS."""

    def get_fields(self):
        return {
            name: serializers.CharField(allow_blank=True, required=False)
            for name in MODEL_CARD_FIELDS
        }


class ModelWriteSerializer(StrictInputSerializer):
    display_name = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
    )
    risk_tier = serializers.ChoiceField(choices=MLModel.RiskTier.choices)
    kind = serializers.ChoiceField(choices=MLModel.Kind.choices, required=False)
    business_use = serializers.CharField(allow_blank=True, required=False)
    tags = serializers.ListField(
        child=serializers.SlugField(max_length=64), max_length=50, required=False
    )


class ModelCreateSerializer(ModelWriteSerializer):
    name = serializers.SlugField(max_length=MODEL_NAME_MAX_LENGTH)
    team = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all())


class ModelUpdateSerializer(ModelWriteSerializer):
    archived = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class EvaluationResultSerializer(StrictInputSerializer):
    """One metric of an evaluation suite, as a version carries it."""

    metric = serializers.CharField(
        max_length=METRIC_NAME_MAX_LENGTH,
        help_text="groundedness, answer_relevance, toxicity, "
        "jailbreak_resistance, pii_leakage, or any other name.",
    )
    value = FiniteFloatField()
    suite = serializers.CharField(
        max_length=EVALUATION_LABEL_MAX_LENGTH, help_text="The evaluation suite."
    )
    judge = serializers.CharField(
        max_length=EVALUATION_LABEL_MAX_LENGTH,
        help_text='Who scored it: "gpt-4o-judge", "human", "regex", a library.',
    )
    sample_size = serializers.IntegerField(min_value=1)
    dataset_ref = serializers.CharField(
        max_length=DATASET_REF_MAX_LENGTH, allow_blank=True, required=False
    )


class VersionSerializer(serializers.ModelSerializer):
    model = serializers.SlugRelatedField(slug_field="name", read_only=True)
    # Blank for a predictive model's version: declared so the schema says so.
    provider = serializers.ChoiceField(
        choices=PROVIDERS, allow_blank=True, read_only=True
    )
    evaluation_results = EvaluationResultSerializer(many=True, read_only=True)
    parent_version = serializers.IntegerField(read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ModelVersion
        fields = [
            "model",
            "version",
            "status",
            "artifact_uri",
            "artifact_sha256",
            "framework",
            "training_data_ref",
            "metrics",
            "params",
            "model_card",
            "prompt_template",
            "provider",
            "provider_name",
            "provider_model",
            "evaluation_results",
            "parent_version",
            "created_by",
            "submitted_by",
            "submitted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VersionWriteSerializer(StrictInputSerializer):
    artifact_uri = serializers.CharField(max_length=1000)
    artifact_sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        allow_blank=True,
        required=False,
        error_messages={"invalid": "Must be 64 lowercase hexadecimal characters."},
    )
    framework = serializers.CharField(max_length=100, allow_blank=True, required=False)
    training_data_ref = serializers.CharField(
        max_length=1000, allow_blank=True, required=False
    )
    metrics = serializers.DictField(child=FiniteFloatField(), required=False)
    params = serializers.DictField(required=False)
    model_card = ModelCardSerializer(required=False)
    parent_version = serializers.IntegerField(
        min_value=1, allow_null=True, required=False
    )
    prompt_template = serializers.CharField(
        max_length=PROMPT_TEMPLATE_MAX_LENGTH,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
        help_text="An LLM application's prompt template, kept exactly as sent.",
    )
    provider = serializers.ChoiceField(
        choices=PROVIDERS,
        allow_blank=True,
        required=False,
        help_text="Who serves the model; other needs provider_name.",
    )
    provider_name = serializers.CharField(
        max_length=PROVIDER_NAME_MAX_LENGTH, allow_blank=True, required=False
    )
    provider_model = serializers.CharField(
        max_length=PROVIDER_MODEL_MAX_LENGTH,
        allow_blank=True,
        required=False,
        help_text='The provider\'s model identifier, e.g. "gpt-4.1-2025-04-14".',
    )
    evaluation_results = serializers.ListField(
        child=EvaluationResultSerializer(),
        required=False,
        max_length=EVALUATION_RESULTS_MAX,
    )

    def validate_metrics(self, metrics):
        if any(
            not name.strip() or len(name) > METRIC_NAME_MAX_LENGTH for name in metrics
        ):
            raise serializers.ValidationError(
                "Metric names must be non-blank and at most "
                f"{METRIC_NAME_MAX_LENGTH} characters."
            )
        return metrics


class VersionUpdateSerializer(VersionWriteSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class EnvironmentSerializer(serializers.ModelSerializer):
    requires = serializers.SlugRelatedField(slug_field="name", read_only=True)
    frozen_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Environment
        fields = [
            "name",
            "rank",
            "requires",
            "min_soak_hours",
            "frozen",
            "freeze_reason",
            "frozen_by",
            "frozen_at",
        ]
        read_only_fields = fields


class FreezeSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=5000)


class ModelListFilter(QueryFilter):
    team = serializers.CharField(required=False, help_text="Team name.")
    risk_tier = serializers.ChoiceField(MLModel.RiskTier.choices, required=False)
    kind = serializers.ChoiceField(MLModel.Kind.choices, required=False)
    ai_act_category = serializers.ChoiceField(
        AI_ACT_CATEGORIES,
        required=False,
        help_text="The EU AI Act category the use-case intake derived.",
    )
    tag = serializers.CharField(required=False)
    q = serializers.CharField(
        required=False, help_text="Text in name, display name or description."
    )
    include_archived = serializers.BooleanField(
        required=False, default=False, help_text="Also list archived models."
    )


class ModelListView(generics.ListAPIView):
    """The inventory, and registration of a new model."""

    serializer_class = MLModelSerializer
    permission_classes = [IsDataScientistForWrites]
    cursor_ordering = "name"

    def get_queryset(self):
        return selectors.model_inventory_rows(
            **ModelListFilter.from_request(self.request)
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset()) or []
        tags = selectors.tag_names_of([row["id"] for row in page])
        zone = timezone.get_current_timezone()
        return self.get_paginated_response(
            [model_data(row, tags[row["id"]], zone) for row in page]
        )

    @extend_schema(parameters=[ModelListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ModelCreateSerializer, responses={201: MLModelSerializer})
    def post(self, request):
        payload = ModelCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        model = services.register_model(actor=request.user, **payload.validated_data)
        # A new model: no versions, and the tags just set (sorted, as the
        # serializer lists them). No read-back.
        tags = sorted(set(payload.validated_data.get("tags", ())))
        return Response(
            model_data(model_row_of(model, latest_version=None), tags),
            status=status.HTTP_201_CREATED,
        )


class ModelDetailView(APIView):
    """One model; PATCH edits it or archives it (`archived: true`)."""

    permission_classes = [IsDataScientistForWrites]

    @extend_schema(responses=MLModelSerializer)
    def get(self, request, name):
        return Response(MLModelSerializer(selectors.model_detail(name=name)).data)

    @extend_schema(request=ModelUpdateSerializer, responses=MLModelSerializer)
    def patch(self, request, name):
        model = selectors.writable_model_by_name(user=request.user, name=name)
        payload = ModelUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.update_model(actor=request.user, model=model, **payload.validated_data)
        # Read from the database, not through model_detail's cache: the write
        # has just invalidated it, so the cache would cost three round trips
        # to Redis for a certain miss.
        row = selectors.model_row(name=name)
        return Response(model_data(row, selectors.tag_names_of([row["id"]])[row["id"]]))


class VersionListFilter(QueryFilter):
    status = serializers.ChoiceField(ModelVersion.Status.choices, required=False)
    created_after = serializers.DateTimeField(
        required=False, help_text="ISO 8601; versions created strictly after it."
    )


class PortfolioVersionListFilter(VersionListFilter):
    model = serializers.CharField(required=False, help_text="Model name.")


class VersionListView(generics.ListAPIView):
    """A model's versions, newest first, and creation of a draft."""

    serializer_class = VersionSerializer
    permission_classes = [IsDataScientistForWrites]
    cursor_ordering = "-version"

    def get_queryset(self):
        filters = VersionListFilter.from_request(self.request)
        return selectors.version_rows_named(name=self.kwargs["name"], **filters)

    def list(self, request, *args, **kwargs):
        name = self.kwargs["name"]
        filters = VersionListFilter.from_request(request)
        paginator = self.paginator
        if (
            not filters
            and isinstance(paginator, StableCursorPagination)
            and paginator.is_first_page(request)
        ):
            # Most reads: the first page, unfiltered, from a compiled query
            # in the order of cursor_ordering.
            page = paginator.paginate_first_page(
                request,
                self,
                lambda limit: [
                    row._asdict() for row in hot.version_page(name=name, limit=limit)
                ],
            )
        else:
            rows = selectors.version_rows_named(name=name, **filters)
            page = self.paginate_queryset(rows)
        page = page or []
        # One query for the page; an empty one is either a model without
        # (matching) versions or no model at all, which only then costs a
        # second query.
        if not page and not selectors.model_exists(name=name):
            raise NotFoundError(f"No model named {name!r}.")
        zone = timezone.get_current_timezone()
        return self.get_paginated_response([version_data(row, zone) for row in page])

    @extend_schema(parameters=[VersionListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=VersionWriteSerializer, responses={201: VersionSerializer})
    def post(self, request, name):
        version = services.create_version_by_name(
            actor=request.user,
            name=name,
            **validated(VersionWriteSerializer, request.data),
        )
        return Response(
            version_data(version_row_of(version)), status=status.HTTP_201_CREATED
        )


class PortfolioVersionListView(generics.ListAPIView):
    """Versions across the portfolio, oldest first: with `?status=in_review`,
    the reviewers' queue."""

    serializer_class = VersionSerializer
    cursor_ordering = "id"

    def get_queryset(self):
        return selectors.version_list(
            **PortfolioVersionListFilter.from_request(self.request)
        )

    @extend_schema(parameters=[PortfolioVersionListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class VersionDetailView(APIView):
    """One version; PATCH edits it while it is a draft."""

    permission_classes = [IsDataScientistForWrites]

    @extend_schema(responses=VersionSerializer)
    def get(self, request, name, number):
        return Response(_version_body(name=name, number=number))

    @extend_schema(request=VersionUpdateSerializer, responses=VersionSerializer)
    def patch(self, request, name, number):
        model = selectors.writable_model_by_name(user=request.user, name=name)
        # Only which version: update_version locks and reads the row itself.
        version = selectors.version_ref(model=model, number=number)
        payload = VersionUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.update_version(
            actor=request.user, version=version, **payload.validated_data
        )
        # The compiled row query: the same answer as the GET, one light query.
        return Response(_version_body(name=name, number=number))


def _version_body(*, name: str, number: int) -> dict[str, Any]:
    row = hot.version_row(name=name, number=number)
    if row is None:
        raise selectors.missing_version(name=name, number=number)
    return version_data(row._asdict())


class PromptDiffFilter(QueryFilter):
    against = serializers.IntegerField(
        min_value=1, help_text="The version to compare with (the diff's old side)."
    )


class PromptDiffSerializer(serializers.Serializer):
    model = serializers.CharField()
    version = serializers.IntegerField()
    against = serializers.IntegerField()
    changed = serializers.BooleanField(
        help_text="Whether the two prompt templates differ."
    )
    diff = serializers.CharField(
        help_text="A unified diff from `against` to `version`; empty when equal."
    )


class PromptDiffView(APIView):
    """How a version's prompt template differs from another version's."""

    @extend_schema(parameters=[PromptDiffFilter], responses=PromptDiffSerializer)
    def get(self, request, name, number):
        against = PromptDiffFilter.from_request(request).get("against")
        if against is None:
            raise FieldError("against", "Name the version to compare with.")
        old, new = selectors.prompt_sides(name=name, numbers=(against, number))
        return Response(
            {
                "model": name,
                "version": number,
                "against": against,
                "changed": old.prompt_template != new.prompt_template,
                "diff": unified_prompt_diff(
                    old.prompt_template,
                    new.prompt_template,
                    old_label=f"{name} v{against}",
                    new_label=f"{name} v{number}",
                ),
            }
        )


class EnvironmentListView(CachedListMixin, generics.ListAPIView):
    """Environments along the promotion path."""

    serializer_class = EnvironmentSerializer
    cursor_ordering = ("rank", "name")
    cache_namespace = selectors.ENVIRONMENTS_CACHE_NAMESPACE

    def get_queryset(self):
        return selectors.environments()


class _EnvironmentFreezeView(APIView):
    permission_classes = [IsGovernanceAdminForWrites]
    change: Callable[..., Environment]

    @extend_schema(request=FreezeSerializer, responses=EnvironmentSerializer)
    def post(self, request, name):
        payload = FreezeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self.change(
            actor=request.user,
            environment=selectors.environment_by_name(name=name),
            reason=payload.validated_data["reason"],
        )
        environment = selectors.environment_by_name(name=name)
        return Response(EnvironmentSerializer(environment).data)


class EnvironmentFreezeView(_EnvironmentFreezeView):
    """Freeze an environment: the gate blocks every deployment to it."""

    change = staticmethod(services.freeze_environment)


class EnvironmentUnfreezeView(_EnvironmentFreezeView):
    """Unfreeze an environment, saying why."""

    change = staticmethod(services.unfreeze_environment)
