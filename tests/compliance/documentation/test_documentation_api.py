"""The technical documentation API: generate, list, read a revision's
metadata and gaps, download its PDF and HTML; who may, and 404s."""

import hashlib

import pytest

from compliance.models import TechnicalDocument

pytestmark = pytest.mark.django_db

BASE = "/api/v1/models/churn/versions/1/documentation/"


@pytest.fixture
def generated(documented, data_scientist, api_client_for):
    response = api_client_for(data_scientist).post(BASE)
    assert response.status_code == 201, response.content
    return response.json()


def test_the_models_team_generates_a_revision(generated):
    assert generated["model"] == "churn"
    assert (generated["version"], generated["revision"]) == (1, 1)
    assert generated["generated_by"] == "scientist"
    assert len(generated["pdf_sha256"]) == 64
    assert generated["gaps"][0] == {
        "section": "general_description",
        "number": 1,
        "item": "EU AI Act category",
        "missing": "Not derived yet: the model's use-case intake has not been "
        "answered.",
    }
    assert generated["document"]["sections"][0]["title"] == ("General description")
    assert generated["pdf_url"] == f"{BASE}1/pdf/"


def test_an_auditor_lists_reads_and_downloads(
    generated, auditor, governance_admin, api_client_for
):
    api_client_for(governance_admin).post(BASE)
    client = api_client_for(auditor)

    listed = client.get(BASE).json()["results"]
    assert [row["revision"] for row in listed] == [2, 1]
    assert "document" not in listed[0]
    detail = client.get(f"{BASE}1/").json()
    assert detail["pdf_sha256"] == generated["pdf_sha256"]
    assert detail["gaps"] == generated["gaps"]
    pdf = client.get(f"{BASE}1/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        'attachment; filename="technical-documentation-churn-v1-r1.pdf"'
    )
    assert hashlib.sha256(pdf.content).hexdigest() == generated["pdf_sha256"]
    html = client.get(f"{BASE}1/html/")
    assert html["Content-Type"].startswith("text/html")
    assert b"1. General description" in html.content


@pytest.mark.parametrize(
    "role", ["viewer", "executive", "reviewer", "other_data_scientist"]
)
def test_other_roles_may_not_read_the_documents(
    generated, request, role, api_client_for
):
    client = api_client_for(request.getfixturevalue(role))

    for path in (BASE, f"{BASE}1/", f"{BASE}1/pdf/", f"{BASE}1/html/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("role", ["auditor", "viewer", "reviewer", "executive"])
def test_only_admins_and_the_team_generate(documented, request, role, api_client_for):
    response = api_client_for(request.getfixturevalue(role)).post(BASE)

    assert response.status_code == 403
    assert not TechnicalDocument.objects.exists()


def test_unknown_models_versions_and_revisions_are_404(
    generated, auditor, api_client_for
):
    client = api_client_for(auditor)

    assert client.get(
        "/api/v1/models/nothing/versions/1/documentation/"
    ).status_code == (404)
    assert client.get("/api/v1/models/churn/versions/9/documentation/").status_code == (
        404
    )
    assert client.post(
        "/api/v1/models/churn/versions/9/documentation/"
    ).status_code == (404)
    for path in (f"{BASE}7/", f"{BASE}7/pdf/", f"{BASE}7/html/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_the_list_takes_a_fixed_number_of_queries(
    generated, governance_admin, api_client_for, django_assert_num_queries
):
    client = api_client_for(governance_admin)
    client.post(BASE)
    client.get(BASE)

    # the version, the page of revisions with their authors (the token's
    # resolution is cached since the first request)
    with django_assert_num_queries(2):
        response = client.get(BASE)

    assert len(response.json()["results"]) == 2


def test_the_schema_documents_the_endpoints(documented, api_client_for, viewer):
    schema = api_client_for(viewer).get("/api/schema/?format=json").json()

    paths = schema["paths"]
    documentation = "/api/v1/models/{name}/versions/{number}/documentation/"
    assert set(paths[documentation]) >= {"get", "post"}
    assert "get" in paths[documentation + "{revision}/pdf/"]
    assert (
        "application/pdf"
        in (
            paths[documentation + "{revision}/pdf/"]["get"]["responses"]["200"][
                "content"
            ]
        )
    )
