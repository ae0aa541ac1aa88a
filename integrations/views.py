"""The evidence pack: a printable page and a zip archive, for governance
admins and auditors (session in the browser, bearer token through the API)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.views import View
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from integrations.evidence import (
    SECTIONS,
    EvidencePack,
    build_archive,
    evidence_pack,
    model_for_evidence,
    technical_document_attachments,
)
from mlgov.api.filters import QueryFilter
from mlgov.exceptions import NotFoundError
from mlgov.logging import log_event
from mlgov.permissions import can_download_evidence_pack
from registry.selectors import version_by_number

TEMPLATE = "integrations/evidence_pack.html"


def _pack(user, name: str, number: int | None) -> EvidencePack:
    model = model_for_evidence(name=name)
    if model is None:
        raise NotFoundError(f"No model {name!r}.")
    version = None if number is None else version_by_number(model=model, number=number)
    return evidence_pack(model=model, version=version, generated_by=user)


def _page(pack: EvidencePack, request=None) -> str:
    return render_to_string(
        TEMPLATE,
        {"pack": pack, "sections": SECTIONS, "standalone": request is None},
        request=request,
    )


def _archive_response(pack: EvidencePack) -> HttpResponse:
    archive = build_archive(
        pack, page_html=_page(pack), attachments=technical_document_attachments(pack)
    )
    log_event(
        "evidence_pack.exported",
        model=pack.model.name,
        version=pack.version.version if pack.version else None,
        user=pack.generated_by,
        bytes=len(archive),
    )
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pack.slug}.zip"'
    return response


class _EvidenceView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_download_evidence_pack(
            request.user
        ):
            raise PermissionDenied("Evidence packs are for auditors and admins.")
        return super().dispatch(request, *args, **kwargs)

    def pack(self, request, name, number=None) -> EvidencePack:
        try:
            return _pack(request.user, name, number)
        except NotFoundError as error:
            raise Http404(error.message) from error


class EvidencePageView(_EvidenceView):
    """The printable page."""

    def get(self, request, name, number=None):
        return HttpResponse(_page(self.pack(request, name, number), request))


class EvidenceArchiveView(_EvidenceView):
    """The zip archive with its checksum manifest."""

    def get(self, request, name, number=None):
        return _archive_response(self.pack(request, name, number))


class CanDownloadEvidencePack(BasePermission):
    message = "Evidence packs are for auditors and governance admins."

    def has_permission(self, request, view):
        return can_download_evidence_pack(request.user)


class EvidencePackFilter(QueryFilter):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Only this version's records."
    )


class EvidencePackApiView(APIView):
    """The evidence pack of a model as a zip (JSON per section, the printable
    page, SHA256SUMS and manifest.json)."""

    permission_classes = [CanDownloadEvidencePack]

    @extend_schema(
        parameters=[EvidencePackFilter],
        responses={(200, "application/zip"): OpenApiResponse(description="zip")},
    )
    def get(self, request, name):
        number = EvidencePackFilter.from_request(request).get("version")
        return _archive_response(_pack(request.user, name, number))
