"""Governance API: a version's verdicts, computed now or as stored."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors, services
from governance.engine import RULE_KINDS
from governance.models import Evaluation
from mlgov.api.filters import QueryFilter
from mlgov.exceptions import FieldError, NotFoundError
from registry import selectors as registry_selectors


class RuleResultSerializer(serializers.Serializer):
    policy = serializers.CharField()
    revision = serializers.IntegerField()
    rule = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RULE_KINDS)
    params = serializers.DictField()
    enforcement = serializers.CharField()
    passed = serializers.BooleanField()
    waived = serializers.BooleanField()
    detail = serializers.CharField()


class EvaluationSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    evaluated_at = serializers.DateTimeField()
    environment = serializers.CharField(allow_null=True)
    results = RuleResultSerializer(many=True)


class StoredEvaluationSerializer(serializers.ModelSerializer):
    environment = serializers.SlugRelatedField(
        slug_field="name",
        read_only=True,
        allow_null=True,
        help_text="null: the environment-independent approval decision.",
    )
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    results = RuleResultSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "passed",
            "environment",
            "trigger",
            "requested_by",
            "evaluated_at",
            "results",
        ]
        read_only_fields = fields


class EvaluationListFilter(QueryFilter):
    environment = serializers.SlugField(
        required=False,
        help_text='An environment name, or "approval" for the '
        "environment-independent approval decision.",
    )
    trigger = serializers.ChoiceField(Evaluation.Trigger.choices, required=False)


class EvaluationListView(generics.ListAPIView):
    """A version's stored evaluations (at submission, after each review
    decision, on request, at deployment gates), newest first, each with the
    exact rule parameters it used."""

    serializer_class = StoredEvaluationSerializer
    cursor_ordering = "-id"

    def get_queryset(self):
        filters = EvaluationListFilter.from_request(self.request)
        version = registry_selectors.version_by_name(
            name=self.kwargs["name"], number=self.kwargs["number"]
        )
        return selectors.version_evaluations(version=version, **filters)

    @extend_schema(parameters=[EvaluationListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EvaluationFilter(QueryFilter):
    environment = serializers.CharField(
        required=False,
        help_text="Environment name; without one, the verdict for approval.",
    )


class EvaluationView(APIView):
    """The verdict today for a version, in an environment or (without one)
    for its approval; computed on request, not stored."""

    @extend_schema(
        parameters=[EvaluationFilter],
        responses=EvaluationSerializer,
        examples=[
            OpenApiExample(
                "A failing threshold",
                response_only=True,
                value={
                    "passed": False,
                    "evaluated_at": "2026-11-29T10:00:00Z",
                    "environment": "production",
                    "results": [
                        {
                            "policy": "production-floor",
                            "revision": 3,
                            "rule": 1,
                            "kind": "metric_threshold",
                            "params": {"metric": "auc", "op": ">=", "value": 0.8},
                            "enforcement": "enforce",
                            "passed": False,
                            "waived": False,
                            "detail": "auc 0.78 is below the minimum 0.80",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, name, number):
        version = registry_selectors.version_by_name(name=name, number=number)
        environment_name = EvaluationFilter.from_request(request).get("environment")
        environment = None
        if environment_name:
            try:
                environment = registry_selectors.environment_by_name(
                    name=environment_name
                )
            except NotFoundError as error:
                raise FieldError("environment", error.message) from error
        now = timezone.now()
        verdict = services.evaluate_version(
            version=version, environment=environment, now=now
        )
        return Response(
            {
                **verdict.as_dict(),
                "evaluated_at": now,
                "environment": environment_name or None,
            }
        )
