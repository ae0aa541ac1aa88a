"""Registry API: models, versions, submission and environments."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from mlgov.api.caching import CachedListMixin
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import (
    IsDataScientistForWrites,
    IsGovernanceAdminForWrites,
)
from mlgov.api.serializers import FiniteFloatField, StrictInputSerializer
from registry import selectors, services
from registry.constants import MODEL_CARD_FIELDS
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
            "business_use",
            "tags",
            "latest_version",
            "archived",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ModelCardSerializer(StrictInputSerializer):
    """One optional text per field of registry.constants.MODEL_CARD_FIELDS."""

    def get_fields(self):
        return {
            name: serializers.CharField(allow_blank=True, required=False)
            for name in MODEL_CARD_FIELDS
        }


class ModelWriteSerializer(StrictInputSerializer):
    display_name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
    )
    risk_tier = serializers.ChoiceField(choices=MLModel.RiskTier.choices)
    business_use = serializers.CharField(allow_blank=True, required=False)
    tags = serializers.ListField(
        child=serializers.SlugField(max_length=64), max_length=50, required=False
    )


class ModelCreateSerializer(ModelWriteSerializer):
    name = serializers.SlugField(max_length=100)
    team = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all())


class ModelUpdateSerializer(ModelWriteSerializer):
    archived = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class VersionSerializer(serializers.ModelSerializer):
    model = serializers.SlugRelatedField(slug_field="name", read_only=True)
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

    def validate_metrics(self, metrics):
        if any(not name.strip() or len(name) > 100 for name in metrics):
            raise serializers.ValidationError(
                "Metric names must be non-blank and at most 100 characters."
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
        return selectors.model_inventory(**ModelListFilter.from_request(self.request))

    @extend_schema(parameters=[ModelListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ModelCreateSerializer, responses={201: MLModelSerializer})
    def post(self, request):
        payload = ModelCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        model = services.register_model(actor=request.user, **payload.validated_data)
        model = selectors.model_detail(name=model.name)
        return Response(MLModelSerializer(model).data, status=status.HTTP_201_CREATED)


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
        return Response(MLModelSerializer(selectors.model_detail(name=name)).data)


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
        model = selectors.model_by_name(name=self.kwargs["name"])
        return selectors.version_list(model=model, **filters)

    @extend_schema(parameters=[VersionListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=VersionWriteSerializer, responses={201: VersionSerializer})
    def post(self, request, name):
        model = selectors.writable_model_by_name(user=request.user, name=name)
        payload = VersionWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = services.create_version(
            actor=request.user, model=model, **payload.validated_data
        )
        version = selectors.version_by_number(model=model, number=version.version)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


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
        version = selectors.version_by_name(name=name, number=number)
        return Response(VersionSerializer(version).data)

    @extend_schema(request=VersionUpdateSerializer, responses=VersionSerializer)
    def patch(self, request, name, number):
        model = selectors.writable_model_by_name(user=request.user, name=name)
        version = selectors.version_by_number(model=model, number=number)
        payload = VersionUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.update_version(
            actor=request.user, version=version, **payload.validated_data
        )
        version = selectors.version_by_number(model=model, number=number)
        return Response(VersionSerializer(version).data)


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
