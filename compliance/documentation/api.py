"""Technical documentation API: generate a revision, list them, read one's
metadata and gaps, download its PDF or HTML. Auditors, governance admins and
the model's team read; governance admins and the model's team generate."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.documentation import selectors, services
from compliance.documentation.models import TechnicalDocument
from mlgov.api.permissions import HasAnyRole
from mlgov.exceptions import PermissionDeniedError
from mlgov.permissions import can_read_technical_documentation
from registry import selectors as registry_selectors
from registry.models import ModelVersion


class GapSerializer(serializers.Serializer):
    section = serializers.CharField(help_text="The section's key.")
    number = serializers.IntegerField(help_text="The section's number (1-8).")
    item = serializers.CharField(help_text="What could not be filled.")
    missing = serializers.CharField(help_text="Why, in a sentence.")


class TechnicalDocumentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.version", read_only=True)
    generated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    gaps = GapSerializer(many=True, read_only=True)
    pdf_url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = TechnicalDocument
        fields = [
            "model",
            "version",
            "revision",
            "generated_by",
            "generated_at",
            "pdf_sha256",
            "gaps",
            "pdf_url",
            "html_url",
        ]
        read_only_fields = fields

    def _url(self, document: TechnicalDocument, kind: str) -> str:
        return (
            f"/api/v1/models/{document.version.model.name}/versions/"
            f"{document.version.version}/documentation/{document.revision}/{kind}/"
        )

    def get_pdf_url(self, document) -> str:
        return self._url(document, "pdf")

    def get_html_url(self, document) -> str:
        return self._url(document, "html")


class TechnicalDocumentDetailSerializer(TechnicalDocumentSerializer):
    document = serializers.JSONField(
        source="content",
        read_only=True,
        help_text="The structured document: title fields, the eight sections "
        "with their fields, tables and gaps.",
    )

    class Meta(TechnicalDocumentSerializer.Meta):
        fields = [*TechnicalDocumentSerializer.Meta.fields, "document"]
        read_only_fields = fields


def readable_version(request, name: str, number: int) -> ModelVersion:
    """The version, if it exists (404) and the caller may read its documents (403)."""
    version = registry_selectors.version_by_name(name=name, number=number)
    if not can_read_technical_documentation(request.user, version.model):
        raise PermissionDeniedError(
            "Technical documentation is read by auditors, governance admins and "
            "the model's team."
        )
    return version


class TechnicalDocumentListView(generics.ListAPIView):
    """A version's technical documentation revisions, newest first (POST
    generates the next revision from the records as they are now)."""

    serializer_class = TechnicalDocumentSerializer
    permission_classes = [HasAnyRole]
    cursor_ordering = "-id"

    def get_queryset(self):
        version = readable_version(
            self.request, self.kwargs["name"], self.kwargs["number"]
        )
        return selectors.technical_documents(version=version)

    @extend_schema(request=None, responses={201: TechnicalDocumentDetailSerializer})
    def post(self, request, name, number):
        version = registry_selectors.version_by_name(name=name, number=number)
        document = services.generate_technical_document(
            actor=request.user, version=version
        )
        return Response(
            TechnicalDocumentDetailSerializer(document).data,
            status=status.HTTP_201_CREATED,
        )


class TechnicalDocumentDetailView(APIView):
    """One revision: metadata, checksum, gaps and the structured document."""

    permission_classes = [HasAnyRole]

    @extend_schema(responses={200: TechnicalDocumentDetailSerializer})
    def get(self, request, name, number, revision):
        version = readable_version(request, name, number)
        document = selectors.technical_document(version=version, revision=revision)
        return Response(TechnicalDocumentDetailSerializer(document).data)


def _download(document: TechnicalDocument, kind: str) -> HttpResponse:
    if kind == "pdf":
        response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    else:
        response = HttpResponse(document.html, content_type="text/html; charset=utf-8")
    name = (
        f"technical-documentation-{document.version.model.name}-"
        f"v{document.version.version}-r{document.revision}.{kind}"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class TechnicalDocumentPdfView(APIView):
    """The revision's PDF, as stored (its SHA-256 is `pdf_sha256`)."""

    permission_classes = [HasAnyRole]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The stored PDF."
            )
        }
    )
    def get(self, request, name, number, revision):
        version = readable_version(request, name, number)
        document = selectors.technical_document(version=version, revision=revision)
        return _download(document, "pdf")


class TechnicalDocumentHtmlView(APIView):
    """The revision's standalone HTML, as stored."""

    permission_classes = [HasAnyRole]

    @extend_schema(
        responses={
            (200, "text/html"): OpenApiResponse(
                response=OpenApiTypes.STR, description="The stored standalone HTML."
            )
        }
    )
    def get(self, request, name, number, revision):
        version = readable_version(request, name, number)
        document = selectors.technical_document(version=version, revision=revision)
        return _download(document, "html")
