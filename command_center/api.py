"""GET /api/v1/portfolio/summary/: the overview's numbers, from the same
selector as the page."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from command_center.selectors import portfolio_summary


class PortfolioSummaryView(APIView):
    """The command center's headline numbers (DESIGN §3). Values that depend
    on deployments are null while deployments are not recorded."""

    @extend_schema(
        responses=inline_serializer(
            "PortfolioSummary",
            {
                "models": serializers.IntegerField(),
                "versions": serializers.IntegerField(),
                "models_compliant": serializers.IntegerField(),
                "models_compliance_rate": serializers.FloatField(allow_null=True),
                "production": serializers.DictField(),
                "by_risk_tier": serializers.DictField(),
                "drift_alerts_open": serializers.DictField(),
                "gate_decisions_30d": serializers.DictField(allow_null=True),
                "overdue_reviews": serializers.DictField(),
                "attention": serializers.ListField(child=serializers.DictField()),
                "obligation_coverage": serializers.ListField(
                    child=serializers.DictField(),
                    help_text="Per enabled framework: framework, title, models "
                    "it applies to, models_fully_met, and the obligations met, "
                    "partly_met and unmet over the portfolio.",
                ),
            },
        )
    )
    def get(self, request):
        return Response(portfolio_summary())
