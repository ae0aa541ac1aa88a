"""Hostile input closed in one place: NUL, unpaired surrogates, 1e999 and deep
nesting get a 400 naming the field on every endpoint, never a 500."""

import json

import pytest

from mlgov.api.inputs import json_depth
from tests.factories import MLModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scientist_client(api_client_for, data_scientist, team):
    MLModelFactory(name="churn", team=team)
    return api_client_for(data_scientist)


def post_raw(client, path, raw: str):
    return client.generic(
        "POST", path, raw.encode("utf-8", "surrogatepass"), "application/json"
    )


def assert_invalid(response, field):
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert field in body["details"], body
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/?q=a%00",
        "/api/v1/models/?team=%00",
        "/api/v1/waivers/?model=x%00",
        "/api/v1/drift/alerts/?model=%00",
        "/api/v1/audit/?actor=%00",
    ],
)
def test_nul_in_any_query_parameter_is_a_400_naming_it(api_client_for, auditor, path):
    response = api_client_for(auditor).get(path)
    name = path.split("?")[1].split("=")[0]
    assert_invalid(response, name)


def test_nul_in_a_query_parameter_outside_the_api_is_a_plain_400(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/registry/mlmodel/?q=a%00")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (
            '{"artifact_uri": "s3://a/b", "params": {"depth": "x\\u0000"}}',
            "params.depth",
        ),
        ('{"artifact_uri": "s3://a/b", "params": {"d\\u0000": 1}}', "params"),
        (
            '{"artifact_uri": "s3://a/b", "params": {"depth": "\\ud800"}}',
            "params.depth",
        ),
        ('{"artifact_uri": "s3://a/b", "params": {"\\udfff": 1}}', "params"),
        ('{"artifact_uri": "s3://a/b", "params": {"depth": 1e999}}', "params.depth"),
        ('{"artifact_uri": "s3://a/b", "params": {"l": [1, -1e999]}}', "params.l[1]"),
        ('{"artifact_uri": "s3://a/b", "metrics": {"auc\\u0000": 0.9}}', "metrics"),
        ('{"artifact_uri": "s3://a/\\u0000"}', "artifact_uri"),
    ],
)
def test_unstorable_json_values_are_a_400_naming_the_field(
    scientist_client, raw, field
):
    response = post_raw(scientist_client, "/api/v1/models/churn/versions/", raw)
    assert_invalid(response, field)


def test_unstorable_text_in_a_policy_description_is_a_400(
    api_client_for, governance_admin
):
    raw = json.dumps(
        {"name": "p", "description": "\ud800", "rules": []}, ensure_ascii=True
    )
    response = post_raw(api_client_for(governance_admin), "/api/v1/policies/", raw)
    assert_invalid(response, "description")


def test_nan_and_infinity_literals_are_refused(scientist_client):
    raw = '{"artifact_uri": "s3://a/b", "params": {"x": NaN}}'
    response = post_raw(scientist_client, "/api/v1/models/churn/versions/", raw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_json_nested_2000_deep_is_a_400_before_parsing(scientist_client):
    raw = (
        '{"artifact_uri": "s3://a/b", "params": {"x": ' + "[" * 2000 + "]" * 2000 + "}}"
    )
    response = post_raw(scientist_client, "/api/v1/models/churn/versions/", raw)
    body = assert_invalid(response, "body")
    assert "32 levels" in body["message"]


def test_nesting_within_the_limit_is_accepted(scientist_client):
    nested = "[" * 20 + "]" * 20
    raw = '{"artifact_uri": "s3://a/b", "params": {"x": ' + nested + "}}"
    response = post_raw(scientist_client, "/api/v1/models/churn/versions/", raw)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [[{}]]}', 4),
        (b'{"a": "[[[[\\"[["}', 1),
        (b'["\\\\", [[]]]', 3),
    ],
)
def test_json_depth_ignores_brackets_inside_strings(raw, depth):
    assert json_depth(raw) == depth


@pytest.mark.parametrize(
    ("given", "stored"),
    [("S3://bucket/a", "s3://bucket/a"), ("Gs://b/Key", "gs://b/Key")],
)
def test_upper_case_artifact_schemes_are_normalised(scientist_client, given, stored):
    response = scientist_client.post(
        "/api/v1/models/churn/versions/", {"artifact_uri": given}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["artifact_uri"] == stored


@pytest.mark.parametrize("given", ["s\t3://bucket/a", "s3\n://b/k", "\x01s3://b/k"])
def test_artifact_schemes_with_hidden_characters_are_refused(scientist_client, given):
    response = scientist_client.post(
        "/api/v1/models/churn/versions/", {"artifact_uri": given}, format="json"
    )
    assert_invalid(response, "artifact_uri")


def test_upper_case_scheme_in_a_patch_is_normalised(scientist_client, data_scientist):
    scientist_client.post(
        "/api/v1/models/churn/versions/", {"artifact_uri": "s3://a/b"}, format="json"
    )
    response = scientist_client.patch(
        "/api/v1/models/churn/versions/1/",
        {"artifact_uri": "HTTPS://h/x"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["artifact_uri"] == "https://h/x"
