"""The admin's read-only records: one mixin, and no way to add, change or
delete them by hand, even for a superuser."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from command_center.models import PortfolioSnapshot, SavedSimulation
from deployments.models import GateDecision
from drift.models import DriftReport
from governance.models import Approval, Evaluation, ReviewAssignment, VersionComment
from integrations.models import (
    MlflowModelLink,
    MlflowVersionLink,
    WaiverExpiryNotice,
    WebhookDelivery,
    WebhookEvent,
)
from mlgov.admin_tools import ReadOnlyAdminMixin
from mlgov.models import AuditChainHead, AuditRetention, AuditSeal

pytestmark = pytest.mark.django_db

READ_ONLY = [
    PortfolioSnapshot,
    SavedSimulation,
    GateDecision,
    DriftReport,
    Approval,
    Evaluation,
    MlflowModelLink,
    MlflowVersionLink,
    WaiverExpiryNotice,
    WebhookDelivery,
    WebhookEvent,
    AuditChainHead,
    AuditRetention,
    AuditSeal,
    ReviewAssignment,
    VersionComment,
]


@pytest.fixture
def superuser_request(django_user_model):
    request = RequestFactory().get("/admin/")
    request.user = django_user_model.objects.create_superuser("root", "r@x.io", "pw")
    return request


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda model: model.__name__)
def test_records_written_by_services_are_read_only_in_the_admin(
    model, superuser_request
):
    model_admin = admin.site._registry[model]

    assert isinstance(model_admin, ReadOnlyAdminMixin)
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request)
    assert not model_admin.has_delete_permission(superuser_request)
    assert model_admin.has_view_permission(superuser_request)


@pytest.mark.parametrize("model", READ_ONLY[:3], ids=lambda model: model.__name__)
def test_the_add_page_of_a_read_only_record_is_refused(
    model, client, django_user_model
):
    client.force_login(django_user_model.objects.create_superuser("root", "", "pw"))
    opts = model._meta

    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))

    assert response.status_code == 403


def test_inlines_of_read_only_records_offer_no_rows_to_add_or_change(
    superuser_request,
):
    drift_inlines = admin.site._registry[DriftReport].get_inline_instances(
        superuser_request
    )

    assert drift_inlines
    for inline in drift_inlines:
        assert isinstance(inline, ReadOnlyAdminMixin)
        assert not inline.has_add_permission(superuser_request, None)
        assert not inline.has_change_permission(superuser_request)
        assert not inline.has_delete_permission(superuser_request)
