"""A version's technical documentation (EU AI Act Annex IV): the latest
revision rendered with its gaps, the revisions with their checksums, and
the Generate button for those who may."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.views import View

from command_center.views.access import RolePage, RoleRequiredMixin, acting_user
from compliance.documentation.builder import TechnicalDocumentation
from compliance.documentation.selectors import (
    latest_technical_document,
    technical_documents,
)
from compliance.documentation.services import generate_technical_document
from mlgov.exceptions import DomainError, NotFoundError
from mlgov.permissions import (
    can_generate_technical_documentation,
    can_read_technical_documentation,
)
from registry.models import ModelVersion
from registry.selectors import version_by_name


def _version(name: str, number: int) -> ModelVersion:
    try:
        return version_by_name(name=name, number=number)
    except NotFoundError as error:
        raise Http404(error.message) from error


class DocumentationView(RolePage):
    """The latest revision, its gaps first, and every revision."""

    template_name = "command_center/technical_documentation.html"
    section = "models"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = _version(kwargs["name"], kwargs["number"])
        user = self.request.user
        if not can_read_technical_documentation(user, version.model):
            raise PermissionDenied(
                "Technical documentation is for auditors, governance admins and "
                "the model's team."
            )
        latest = latest_technical_document(version=version)
        context.update(
            version=version,
            model=version.model,
            may_generate=can_generate_technical_documentation(user, version.model),
            latest=latest,
            document=(
                TechnicalDocumentation.from_dict(latest.content) if latest else None
            ),
            revisions=list(technical_documents(version=version)),
        )
        return context


class GenerateDocumentationView(RoleRequiredMixin, View):
    """POST: generate the next revision from the records as they are now."""

    def post(self, request, name, number):
        version = _version(name, number)
        try:
            document = generate_technical_document(
                actor=acting_user(request), version=version
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            gaps = len(document.gaps)
            messages.success(
                request,
                f"Revision {document.revision} of {version}'s technical "
                f"documentation generated"
                + (f", with {gaps} gap{'s' if gaps != 1 else ''}." if gaps else "."),
            )
        return redirect("command_center:documentation", name=name, number=number)
