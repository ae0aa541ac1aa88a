"""Compliance API: obligation coverage per model and for the portfolio,
framework packs (enable/disable) and custom obligations."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import selectors, services
from compliance.engine import (
    EVIDENCE_KINDS,
    LINK_TARGETS,
    STATUSES,
    FrameworkCoverage,
)
from compliance.models import CustomObligation
from mlgov.api.filters import QueryFilter
from mlgov.api.permissions import HasAnyRole, IsGovernanceAdminForWrites
from mlgov.api.serializers import StrictInputSerializer
from mlgov.exceptions import FieldError, NotFoundError
from registry.constants import AI_ACT_CATEGORIES, RISK_TIERS
from registry.models import MLModel

# --- output shapes (documented; the views build plain dicts) ---------------------


class EvidenceLinkSerializer(serializers.Serializer):
    target = serializers.ChoiceField(
        choices=list(LINK_TARGETS),
        help_text="What the evidence (or the place to fix the gap) is.",
    )
    ref = serializers.CharField(
        help_text="Its key: a policy name, version number, report or deployment id."
    )


class EvidenceResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(EVIDENCE_KINDS))
    params = serializers.DictField()
    met = serializers.BooleanField()
    detail = serializers.CharField(help_text="What was found, or the gap.")
    link = EvidenceLinkSerializer(allow_null=True)


class ObligationResultSerializer(serializers.Serializer):
    id = serializers.CharField()
    reference = serializers.CharField(help_text="Article or clause, e.g. 'Art. 9'.")
    title = serializers.CharField()
    summary = serializers.CharField()
    custom = serializers.BooleanField(help_text="Added by a governance admin.")
    status = serializers.ChoiceField(choices=list(STATUSES))
    evidence = EvidenceResultSerializer(many=True)


class CountsSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    partly_met = serializers.IntegerField()
    unmet = serializers.IntegerField()
    not_applicable = serializers.IntegerField()


class FrameworkCoverageSerializer(serializers.Serializer):
    framework = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField()
    counts = CountsSerializer()
    obligations = ObligationResultSerializer(many=True)


class ModelObligationsSerializer(serializers.Serializer):
    model = serializers.CharField()
    risk_tier = serializers.CharField()
    ai_act_category = serializers.CharField()
    version = serializers.IntegerField(
        allow_null=True,
        help_text="The version judged: serving production, else candidate.",
    )
    version_label = serializers.CharField(help_text="'v3 serving', 'v5 candidate'.")
    frameworks = FrameworkCoverageSerializer(many=True)


class FrameworkCountsSerializer(CountsSerializer):
    framework = serializers.CharField()


class ModelCoverageRowSerializer(serializers.Serializer):
    model = serializers.CharField()
    risk_tier = serializers.CharField()
    ai_act_category = serializers.CharField()
    version_label = serializers.CharField()
    frameworks = FrameworkCountsSerializer(many=True)


def _counts(coverage: FrameworkCoverage) -> dict[str, int]:
    counts = coverage.counts
    return {
        "met": counts.met,
        "partly_met": counts.partly_met,
        "unmet": counts.unmet,
        "not_applicable": len(coverage.obligations) - counts.applicable,
    }


def framework_coverage_data(coverage: FrameworkCoverage) -> dict[str, Any]:
    """One framework's coverage of one model, every obligation with its status."""
    return {
        "framework": coverage.framework.id,
        "title": coverage.framework.title,
        "version": coverage.framework.version,
        "counts": _counts(coverage),
        "obligations": [
            {
                "id": result.obligation.id,
                "reference": result.obligation.reference,
                "title": result.obligation.title,
                "summary": result.obligation.summary,
                "custom": result.obligation.custom,
                "status": result.status,
                "evidence": [
                    {
                        "kind": item.kind,
                        "params": {
                            key: list(value) if isinstance(value, tuple) else value
                            for key, value in item.params.items()
                        },
                        "met": item.met,
                        "detail": item.detail,
                        "link": {"target": item.link.target, "ref": item.link.ref}
                        if item.link
                        else None,
                    }
                    for item in result.evidence
                ],
            }
            for result in coverage.obligations
        ],
    }


def model_obligations_data(found: selectors.ModelCoverage) -> dict[str, Any]:
    """A model's coverage under every enabled framework, as its obligations
    endpoint (and the evidence pack) shows it."""
    facts = found.facts
    return {
        "model": found.model.name,
        "risk_tier": facts.risk_tier,
        "ai_act_category": facts.ai_act_category,
        "version": facts.version,
        "version_label": facts.subject_label,
        "frameworks": [framework_coverage_data(c) for c in found.frameworks],
    }


class ModelObligationsView(APIView):
    """A model's obligations under every enabled framework: each obligation's
    status (met, partly_met, unmet, not_applicable) and its evidence, judged
    on the version serving production (else the candidate)."""

    permission_classes = [HasAnyRole]

    @extend_schema(responses=ModelObligationsSerializer)
    def get(self, request, name):
        return Response(model_obligations_data(selectors.coverage_for_model(name=name)))


class CoverageFilter(QueryFilter):
    framework = serializers.CharField(
        required=False, help_text="Only this enabled framework's counts."
    )
    team = serializers.CharField(required=False, help_text="Team name.")
    risk_tier = serializers.ChoiceField(choices=list(RISK_TIERS), required=False)
    ai_act_category = serializers.ChoiceField(
        choices=list(AI_ACT_CATEGORIES), required=False
    )


class PortfolioCoverageView(generics.ListAPIView):
    """Per inventory model, per enabled framework, how many applicable
    obligations are met, partly met and unmet (cursor-paginated by name)."""

    permission_classes = [HasAnyRole]
    serializer_class = ModelCoverageRowSerializer
    cursor_ordering = "name"

    def get_queryset(self):
        filters = CoverageFilter.from_request(self.request)
        models = MLModel.objects.filter(archived_at__isnull=True)
        if "team" in filters:
            models = models.filter(team__name=filters["team"])
        if "risk_tier" in filters:
            models = models.filter(risk_tier=filters["risk_tier"])
        if "ai_act_category" in filters:
            models = models.filter(ai_act_category=filters["ai_act_category"])
        self.framework_filter = filters.get("framework")
        return models

    def list(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        frameworks = selectors.enabled_frameworks()
        if self.framework_filter is not None:
            frameworks = tuple(f for f in frameworks if f.id == self.framework_filter)
            if not frameworks:
                raise FieldError(
                    "framework",
                    f"No enabled framework {self.framework_filter!r}; "
                    "GET /api/v1/compliance/frameworks/ lists them.",
                )
        page = self.paginate_queryset(queryset) or []
        coverage = selectors.portfolio_coverage(
            MLModel.objects.filter(pk__in=[model.pk for model in page]),
            frameworks=frameworks,
        )
        return self.get_paginated_response(
            [
                {
                    "model": facts.model,
                    "risk_tier": facts.risk_tier,
                    "ai_act_category": facts.ai_act_category,
                    "version_label": facts.subject_label,
                    "frameworks": [
                        {"framework": item.framework.id, **_counts(item)}
                        for item in coverages
                    ],
                }
                for facts, coverages in coverage.models
            ]
        )

    @extend_schema(parameters=[CoverageFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- packs -------------------------------------------------------------------------


class FrameworkPackSerializer(serializers.Serializer):
    framework = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField(help_text="The shipped pack's version.")
    publication = serializers.CharField(help_text="What the pack summarises.")
    enabled = serializers.BooleanField()
    enabled_version = serializers.CharField(
        allow_null=True, help_text="The version recorded when it was last enabled."
    )
    changed_by = serializers.CharField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)
    obligations = serializers.IntegerField(help_text="The pack's own obligations.")
    custom_obligations = serializers.IntegerField()


def pack_data(listing: selectors.PackListing) -> dict[str, Any]:
    state = listing.state
    return {
        "framework": listing.spec.id,
        "title": listing.spec.title,
        "version": listing.spec.version,
        "publication": listing.spec.source,
        "enabled": listing.enabled,
        "enabled_version": state.version or None if state else None,
        "changed_by": state.changed_by.username if state else None,
        "changed_at": state.changed_at if state else None,
        "obligations": len(listing.spec.obligations),
        "custom_obligations": len(listing.custom),
    }


def _listing(framework: str) -> selectors.PackListing:
    for listing in selectors.framework_packs():
        if listing.spec.id == framework:
            return listing
    raise NotFoundError(f"No framework pack {framework!r} ships with mlgov.")


class FrameworkPackListView(APIView):
    """The framework packs shipped with mlgov, enabled or not."""

    permission_classes = [HasAnyRole]

    @extend_schema(responses=FrameworkPackSerializer(many=True))
    def get(self, request):
        return Response([pack_data(item) for item in selectors.framework_packs()])


class _PackSwitchView(APIView):
    permission_classes = [IsGovernanceAdminForWrites]
    enabled: bool

    @extend_schema(request=None, responses=FrameworkPackSerializer)
    def post(self, request, framework):
        services.set_framework_enabled(
            actor=request.user, framework=framework, enabled=self.enabled
        )
        return Response(pack_data(_listing(framework)))


class EnableFrameworkPackView(_PackSwitchView):
    """Enable a pack: its obligations count in coverage; its version is recorded."""

    enabled = True


class DisableFrameworkPackView(_PackSwitchView):
    """Disable a pack: its obligations no longer count in coverage."""

    enabled = False


# --- custom obligations --------------------------------------------------------------


class AppliesToSerializer(StrictInputSerializer):
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=list(AI_ACT_CATEGORIES)), required=False
    )
    tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=list(RISK_TIERS)), required=False
    )


class EvidenceRequirementSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(EVIDENCE_KINDS))
    params = serializers.DictField(required=False)


class CustomObligationInputSerializer(StrictInputSerializer):
    """An obligation in the packs' shape; the evidence parameters are checked
    against each kind's schema (400 naming the field)."""

    framework = serializers.CharField(help_text="The pack it belongs to.")
    id = serializers.CharField(max_length=50)
    reference = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=2000)
    applies_to = AppliesToSerializer(required=False)
    evidence = serializers.ListField(child=serializers.DictField(), min_length=1)


class CustomObligationChangeSerializer(CustomObligationInputSerializer):
    framework = None  # type: ignore[assignment]
    id = serializers.CharField(max_length=50, required=False)


class CustomObligationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True)
    obligation_id = serializers.CharField(read_only=True)
    applies_to = AppliesToSerializer(read_only=True)
    evidence = EvidenceRequirementSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CustomObligation
        fields = [
            "id",
            "framework",
            "obligation_id",
            "reference",
            "title",
            "summary",
            "applies_to",
            "evidence",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomObligationListView(generics.ListAPIView):
    """Obligations governance admins added to the packs; POST adds one."""

    permission_classes = [IsGovernanceAdminForWrites]
    serializer_class = CustomObligationSerializer
    cursor_ordering = "id"

    def get_queryset(self):
        return selectors.custom_obligations()

    @extend_schema(
        request=CustomObligationInputSerializer,
        responses={201: CustomObligationSerializer},
    )
    def post(self, request):
        payload = CustomObligationInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document = dict(request.data)
        framework = document.pop("framework")
        obligation = services.add_custom_obligation(
            actor=request.user, framework=framework, document=document
        )
        return Response(CustomObligationSerializer(obligation).data, status=201)


class CustomObligationDetailView(APIView):
    """One custom obligation; PATCH replaces its text, scope or evidence."""

    permission_classes = [IsGovernanceAdminForWrites]

    @extend_schema(responses=CustomObligationSerializer)
    def get(self, request, pk):
        obligation = selectors.custom_obligation_by_id(pk=pk)
        return Response(CustomObligationSerializer(obligation).data)

    @extend_schema(
        request=CustomObligationChangeSerializer, responses=CustomObligationSerializer
    )
    def patch(self, request, pk):
        obligation = selectors.custom_obligation_by_id(pk=pk)
        payload = CustomObligationChangeSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        document = {**obligation.document, **request.data}
        obligation = services.change_custom_obligation(
            actor=request.user, obligation=obligation, document=document
        )
        return Response(CustomObligationSerializer(obligation).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        obligation = selectors.custom_obligation_by_id(pk=pk)
        services.remove_custom_obligation(actor=request.user, obligation=obligation)
        return Response(status=204)
