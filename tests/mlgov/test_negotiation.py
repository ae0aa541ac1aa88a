"""What the API answers for each Accept header: JSON for what clients send,
DRF's negotiation for the rest."""

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/environments/"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_the_usual_accept_headers_get_json(api_client_for, viewer, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = api_client_for(viewer).get(URL, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert b"\n" not in response.content  # compact
    assert "results" in response.json()


def test_other_headers_are_negotiated_as_before(api_client_for, viewer):
    client = api_client_for(viewer)

    indented = client.get(URL, HTTP_ACCEPT="application/json; indent=2")
    ranked = client.get(URL, HTTP_ACCEPT="text/html;q=0.9, application/json;q=0.8")
    refused = client.get(URL, HTTP_ACCEPT="application/xml")
    overridden = client.get(URL + "?format=xml")

    assert indented.status_code == 200
    assert indented["Content-Type"] == "application/json"
    assert b'\n  "results"' in indented.content
    assert ranked.status_code == 200
    assert ranked["Content-Type"] == "application/json"
    assert refused.status_code == 406
    assert overridden.status_code == 404
