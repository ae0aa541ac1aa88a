"""A cursor is client input: anything this server did not hand out is a 400
`invalid_cursor` on every list, never a 500 or a 404."""

from base64 import b64encode

import pytest

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/models/",
    "/api/v1/policies/",
    "/api/v1/waivers/",
    "/api/v1/drift/reports/",
    "/api/v1/drift/alerts/",
    "/api/v1/audit/",
    "/api/v1/environments/",
    "/api/v1/versions/",
]


NAME_ORDERED = {"/api/v1/models/", "/api/v1/policies/"}


def cursor(raw: str) -> str:
    return b64encode(raw.encode()).decode()


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "value",
    [
        cursor("p=1%00"),
        cursor("o=x"),
        "not base64!",
        "%00",
    ],
)
def test_crafted_cursor_is_a_400_invalid_cursor(api_client_for, auditor, path, value):
    response = api_client_for(auditor).get(path, {"cursor": value})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("invalid_cursor", "invalid")
    assert "cursor" in response.json()["error"]["details"]


@pytest.mark.parametrize("path", [path for path in LISTS if path not in NAME_ORDERED])
def test_a_cursor_position_that_is_not_a_number_is_refused_on_numeric_orderings(
    api_client_for, auditor, path
):
    for position in ("abc", "2026-02-30T10:00:00", "1.5"):
        response = api_client_for(auditor).get(
            path, {"cursor": cursor(f"p={position}")}
        )
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_cursor_the_server_handed_out_still_works(api_client_for, auditor, team):
    from tests.factories import MLModelFactory

    MLModelFactory.create_batch(3, team=team)
    client = api_client_for(auditor)
    first = client.get("/api/v1/models/", {"page_size": 2}).json()
    second = client.get(first["next"])
    assert second.status_code == 200
    assert len(second.json()["results"]) == 1
