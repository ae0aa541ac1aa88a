import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_documents_error_responses(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    create_version = schema["paths"]["/api/v1/models/{name}/versions/"]["post"]
    assert {"201", "400", "401", "403", "404", "409"} <= set(
        create_version["responses"]
    )
    error_ref = create_version["responses"]["400"]["content"]["application/json"]
    assert error_ref["schema"]["$ref"].endswith("/Error")
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_interactive_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn.jsdelivr" not in response.content
