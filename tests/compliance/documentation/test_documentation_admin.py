"""Technical documentation revisions in the admin: listed and shown to
governance staff, never added, changed or deleted there."""

import pytest
from django.test import Client

from compliance.documentation.services import generate_technical_document

pytestmark = pytest.mark.django_db

ADMIN = "/admin/compliance/technicaldocument/"


def test_governance_admins_read_revisions_and_change_nothing(
    documented, data_scientist, governance_admin
):
    document = generate_technical_document(
        actor=data_scientist, version=documented.versions.get(version=1)
    )
    governance_admin.is_staff = True
    governance_admin.save()
    client = Client()
    client.force_login(governance_admin)

    listed = client.get(ADMIN)
    shown = client.get(f"{ADMIN}{document.pk}/change/")

    assert listed.status_code == 200
    assert document.pdf_sha256 in listed.content.decode()
    assert shown.status_code == 200
    assert 'href="/models/churn/v1/documentation/"' in shown.content.decode()
    assert client.get(f"{ADMIN}add/").status_code == 403
    assert client.post(f"{ADMIN}{document.pk}/delete/").status_code == 403
