"""The evidence pack carries every stored technical document revision: the
PDF as stored, its checksum in the manifest and in the section's JSON."""

import hashlib
import json

import pytest
from django.test import Client

from compliance.documentation.services import generate_technical_document
from tests.integrations.test_evidence_pack import read_archive

pytestmark = pytest.mark.django_db


def test_the_pack_includes_each_revision_with_a_matching_checksum(
    documented, data_scientist, governance_admin, auditor
):
    v1 = documented.versions.get(version=1)
    first = generate_technical_document(actor=data_scientist, version=v1)
    second = generate_technical_document(actor=governance_admin, version=v1)
    client = Client()
    client.force_login(auditor)

    response = client.get("/evidence/churn/download/")

    assert response.status_code == 200
    _, files = read_archive(response.content)
    manifest = {
        f["name"]: f["sha256"] for f in json.loads(files["manifest.json"])["files"]
    }
    rows = json.loads(files["technical_documents.json"])
    assert [(row["version"], row["revision"]) for row in rows] == [(1, 1), (1, 2)]
    for document, row in zip((first, second), rows, strict=True):
        name = f"technical-documentation/churn-v1-r{document.revision}.pdf"
        assert row["file"] == name
        assert files[name] == bytes(document.pdf)
        assert manifest[name] == document.pdf_sha256 == row["pdf_sha256"]
        assert hashlib.sha256(files[name]).hexdigest() == document.pdf_sha256
        assert f"{document.pdf_sha256}  {name}" in files["SHA256SUMS"].decode()
    assert rows[0]["gaps"][0]["item"] == "EU AI Act category"
    page = client.get("/evidence/churn/").content.decode()
    assert first.pdf_sha256 in page
    assert "technical-documentation/churn-v1-r2.pdf" in page


def test_a_version_pack_holds_only_that_versions_documents(
    documented, data_scientist, auditor
):
    for number in (1, 2):
        generate_technical_document(
            actor=data_scientist, version=documented.versions.get(version=number)
        )
    client = Client()
    client.force_login(auditor)

    _, files = read_archive(client.get("/evidence/churn/v2/download/").content)

    assert [
        row["version"] for row in json.loads(files["technical_documents.json"])
    ] == [2]
    assert "technical-documentation/churn-v2-r1.pdf" in files
    assert "technical-documentation/churn-v1-r1.pdf" not in files
