import pytest
from auditlog.models import LogEntry

from registry.constants import DESCRIPTION_MAX_LENGTH
from registry.models import MLModel, ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

MODELS = "/api/v1/models/"


def versions_url(name: str) -> str:
    return f"{MODELS}{name}/versions/"


def version_url(name: str, number: int) -> str:
    return f"{MODELS}{name}/versions/{number}/"


@pytest.fixture
def model(team):
    return MLModelFactory(name="churn", team=team, risk_tier="high", tags=["pii"])


@pytest.fixture
def foreign_model(other_team):
    return MLModelFactory(name="pricing-model", team=other_team)


@pytest.fixture
def draft(model, data_scientist):
    return ModelVersionFactory(model=model, version=1, created_by=data_scientist)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# -- authentication and roles, endpoint by endpoint ---------------------------

READ_ENDPOINTS = [
    MODELS,
    f"{MODELS}churn/",
    versions_url("churn"),
    version_url("churn", 1),
    "/api/v1/environments/",
]


@pytest.mark.parametrize("url", READ_ENDPOINTS)
def test_reads_need_authentication(anonymous_client, draft, url):
    response = anonymous_client.get(url)

    error = assert_error(response, 401, "not_authenticated")
    assert "credentials" in error["message"].lower()
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("url", READ_ENDPOINTS)
def test_reads_are_refused_to_users_without_a_role(
    api_client_for, no_role_user, draft, url
):
    assert_error(api_client_for(no_role_user).get(url), 403, "permission_denied")


@pytest.mark.parametrize("url", READ_ENDPOINTS)
def test_every_role_reads_the_inventory(api_client_for, any_role_user, draft, url):
    assert api_client_for(any_role_user).get(url).status_code == 200


WRITES = [
    (
        "post",
        MODELS,
        {"name": "new", "display_name": "New", "team": "fraud", "risk_tier": "low"},
    ),
    ("patch", f"{MODELS}churn/", {"description": "x"}),
    ("post", versions_url("churn"), {"artifact_uri": "s3://b/k"}),
    ("patch", version_url("churn", 1), {"framework": "xgboost"}),
    ("post", version_url("churn", 1) + "submit/", {}),
]


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_writes_need_authentication(anonymous_client, draft, method, url, body):
    response = getattr(anonymous_client, method)(url, body, format="json")

    assert_error(response, 401)
    assert ModelVersion.objects.get().status == "draft"


@pytest.mark.parametrize("role", ["viewer", "executive", "auditor"])
@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_read_only_roles_cannot_write(
    request, api_client_for, draft, role, method, url, body
):
    client = api_client_for(request.getfixturevalue(role))

    response = getattr(client, method)(url, body, format="json")

    assert_error(response, 403, "permission_denied")
    assert MLModel.objects.count() == 1
    assert ModelVersion.objects.get().framework == "sklearn"


@pytest.mark.parametrize(("method", "url", "body"), WRITES[1:])
def test_writes_to_another_teams_model_answer_404(
    api_client_for, other_data_scientist, draft, method, url, body
):
    client = api_client_for(other_data_scientist)

    response = getattr(client, method)(url, body, format="json")

    assert_error(response, 404, "not_found")
    version = ModelVersion.objects.get()
    assert (version.framework, version.status) == ("sklearn", "draft")


def test_registering_for_another_team_is_forbidden(
    api_client_for, other_data_scientist, team
):
    response = api_client_for(other_data_scientist).post(
        MODELS,
        {"name": "sneaky", "display_name": "S", "team": team.name, "risk_tier": "low"},
        format="json",
    )

    assert_error(response, 403)
    assert not MLModel.objects.filter(name="sneaky").exists()


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_governance_admin_writes_for_any_team(
    api_client_for, governance_admin, draft, method, url, body
):
    response = getattr(api_client_for(governance_admin), method)(
        url, body, format="json"
    )

    assert response.status_code in (200, 201), response.content


def test_expired_token_is_refused(api_client_for, data_scientist, settings):
    from mlgov.models import APIToken

    client = api_client_for(data_scientist)
    APIToken.objects.update(
        expires_at="2000-01-01T00:00:00Z", created_at="1999-01-01T00:00:00Z"
    )

    assert_error(client.get(MODELS), 401, "authentication_failed")


# -- models ------------------------------------------------------------------


def test_register_model(api_client_for, data_scientist, team):
    response = api_client_for(data_scientist).post(
        MODELS,
        {
            "name": "churn",
            "display_name": "Churn",
            "team": "fraud",
            "risk_tier": "high",
            "tags": ["pii", "customer-facing"],
            "business_use": "Retention offers",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "churn"
    assert body["team"] == "fraud"
    assert body["owner"] == data_scientist.username
    assert body["tags"] == ["customer-facing", "pii"]
    assert body["latest_version"] is None
    assert body["archived"] is False


def test_register_model_refuses_a_taken_name(api_client_for, data_scientist, model):
    response = api_client_for(data_scientist).post(
        MODELS,
        {"name": "churn", "display_name": "Again", "team": "fraud", "risk_tier": "low"},
        format="json",
    )

    error = assert_error(response, 400, "invalid")
    assert "name" in error["details"]
    assert MLModel.objects.get().display_name == "Churn"


def test_a_description_longer_than_the_registry_allows_is_refused(
    api_client_for, data_scientist, model
):
    client = api_client_for(data_scientist)
    too_long = "d" * (DESCRIPTION_MAX_LENGTH + 1)

    created = client.post(
        MODELS,
        {
            "name": "pricing",
            "display_name": "Pricing",
            "team": "fraud",
            "risk_tier": "low",
            "description": too_long,
        },
        format="json",
    )
    patched = client.patch(f"{MODELS}churn/", {"description": too_long}, format="json")
    fits = client.patch(
        f"{MODELS}churn/", {"description": too_long[:-1]}, format="json"
    )

    assert "description" in assert_error(created, 400)["details"]
    assert "description" in assert_error(patched, 400)["details"]
    assert fits.status_code == 200, fits.content
    assert not MLModel.objects.filter(name="pricing").exists()


def test_model_list_filters(api_client_for, viewer, team, other_team):
    MLModelFactory(name="a-fraud", team=team, risk_tier="high", tags=["pii"])
    MLModelFactory(
        name="b-pricing", team=other_team, risk_tier="low", description="Motor cover"
    )
    MLModelFactory(name="c-archived", team=team, archived_at="2026-01-01T00:00:00Z")
    client = api_client_for(viewer)

    def names(query: str) -> list[str]:
        response = client.get(MODELS + query)
        assert response.status_code == 200
        return [row["name"] for row in response.json()["results"]]

    assert names("") == ["a-fraud", "b-pricing"]
    assert names("?team=pricing") == ["b-pricing"]
    assert names("?risk_tier=high") == ["a-fraud"]
    assert names("?tag=pii") == ["a-fraud"]
    assert names("?q=motor") == ["b-pricing"]
    assert names("?include_archived=true") == ["a-fraud", "b-pricing", "c-archived"]
    assert_error(client.get(MODELS + "?risk_tier=extreme"), 400)


def test_model_list_refuses_an_unknown_query_parameter(api_client_for, viewer):
    response = api_client_for(viewer).get(MODELS + "?teem=pricing")

    error = assert_error(response, 400, "invalid")
    assert "teem" in error["details"]
    assert "team" in error["message"]


def test_model_list_refuses_a_malformed_boolean(api_client_for, viewer):
    response = api_client_for(viewer).get(MODELS + "?include_archived=perhaps")

    error = assert_error(response, 400, "invalid")
    assert "include_archived" in error["details"]


def test_archive_model_through_patch(api_client_for, data_scientist, model):
    response = api_client_for(data_scientist).patch(
        f"{MODELS}churn/", {"archived": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["archived"] is True
    model.refresh_from_db()
    assert model.archived_at is not None


def test_lowering_the_risk_tier_directly_points_to_the_request_endpoint(
    api_client_for, data_scientist, governance_admin, model
):
    lowered = [
        api_client_for(user).patch(
            f"{MODELS}churn/", {"risk_tier": "low"}, format="json"
        )
        for user in (data_scientist, governance_admin)
    ]
    raised = api_client_for(data_scientist).patch(
        f"{MODELS}churn/", {"risk_tier": "critical"}, format="json"
    )

    for response in lowered:
        error = assert_error(response, 400, "risk_class_change_required")
        assert "risk_tier" in error["details"]
        assert "/api/v1/models/churn/risk-class-changes/" in error["message"]
    assert raised.status_code == 200
    model.refresh_from_db()
    assert model.risk_tier == "critical"


def test_unknown_model_is_404(api_client_for, viewer):
    assert_error(api_client_for(viewer).get(f"{MODELS}nope/"), 404, "not_found")


def test_unknown_api_path_is_404_in_the_error_shape(api_client_for, viewer):
    assert_error(api_client_for(viewer).get("/api/v1/nothing-here/"), 404, "not_found")


# -- versions -----------------------------------------------------------------


def test_create_version_matches_the_design_example(
    api_client_for, data_scientist, model
):
    ModelVersionFactory(model=model, version=6, status="approved")

    response = api_client_for(data_scientist).post(
        versions_url("churn"),
        {
            "artifact_uri": "s3://models/churn/7",
            "framework": "sklearn",
            "metrics": {"auc": 0.91},
            "params": {"depth": 6},
            "model_card": {"intended_use": "Retention", "limitations": "EU only"},
            "parent_version": 6,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["model"] == "churn"
    assert body["version"] == 7
    assert body["status"] == "draft"
    assert body["parent_version"] == 6
    assert body["metrics"] == {"auc": 0.91}
    assert body["created_by"] == data_scientist.username


def test_first_version_is_number_one(api_client_for, data_scientist, model):
    response = api_client_for(data_scientist).post(
        versions_url("churn"), {"artifact_uri": "gs://bucket/m"}, format="json"
    )

    assert response.json()["version"] == 1


def test_archived_model_takes_no_new_version(api_client_for, data_scientist, model):
    model.archived_at = "2026-01-01T00:00:00Z"
    model.save()

    response = api_client_for(data_scientist).post(
        versions_url("churn"), {"artifact_uri": "gs://bucket/m"}, format="json"
    )

    assert_error(response, 409, "model_archived")
    assert not ModelVersion.objects.exists()


def test_edit_draft(api_client_for, data_scientist, draft):
    response = api_client_for(data_scientist).patch(
        version_url("churn", 1),
        {"metrics": {"auc": 0.93, "f1": 0.8}, "framework": "xgboost"},
        format="json",
    )

    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.metrics == {"auc": 0.93, "f1": 0.8}
    assert draft.framework == "xgboost"


def test_submit_freezes_the_evidence(api_client_for, data_scientist, draft):
    client = api_client_for(data_scientist)

    submitted = client.post(version_url("churn", 1) + "submit/")
    edit = client.patch(
        version_url("churn", 1), {"metrics": {"auc": 0.99}}, format="json"
    )
    again = client.post(version_url("churn", 1) + "submit/")

    assert submitted.status_code == 200
    assert submitted.json()["status"] == "in_review"
    assert submitted.json()["submitted_by"] == data_scientist.username
    assert_error(edit, 409, "version_frozen")
    assert_error(again, 409, "invalid_transition")
    draft.refresh_from_db()
    assert draft.metrics == {"auc": 0.9}


def test_unknown_version_is_404(api_client_for, viewer, draft):
    assert_error(api_client_for(viewer).get(version_url("churn", 99)), 404)


def test_environments_list_the_seeded_promotion_path(api_client_for, viewer):
    response = api_client_for(viewer).get("/api/v1/environments/")

    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["development", "staging", "production"]
    assert rows[2]["requires"] == "staging"


# -- bad input ----------------------------------------------------------------

BAD_VERSION_BODIES = [
    ({"artifact_uri": "ftp://host/model"}, "artifact_uri"),
    ({"artifact_uri": "javascript:alert(1)"}, "artifact_uri"),
    ({"artifact_uri": "s3:"}, "artifact_uri"),
    ({}, "artifact_uri"),
    ({"artifact_uri": 12}, "artifact_uri"),
    ({"artifact_uri": "s3://b/k", "metrics": {"auc": "high"}}, "metrics"),
    ({"artifact_uri": "s3://b/k", "metrics": {"auc": True}}, "metrics"),
    ({"artifact_uri": "s3://b/k", "metrics": [0.9]}, "metrics"),
    ({"artifact_uri": "s3://b/k", "metrics": {" ": 0.9}}, "metrics"),
    ({"artifact_uri": "s3://b/k", "model_card": {"purpose": "x"}}, "model_card"),
    ({"artifact_uri": "s3://b/k", "model_card": "text"}, "model_card"),
    ({"artifact_uri": "s3://b/k", "artifact_sha256": "abc"}, "artifact_sha256"),
    ({"artifact_uri": "s3://b/k", "parent_version": 42}, "parent_version"),
    ({"artifact_uri": "s3://b/k", "parent_version": "one"}, "parent_version"),
    ({"artifact_uri": "s3://b/k", "status": "approved"}, "status"),
    ({"artifact_uri": "s3://b/k", "version": 99}, "version"),
    ({"artifact_uri": "s3://b/k", "created_by": "admin"}, "created_by"),
    ({"artifact_uri": "s3://b/k", "colour": "blue"}, "colour"),
]


@pytest.mark.parametrize(("body", "field"), BAD_VERSION_BODIES)
def test_bad_version_input_names_the_field(
    api_client_for, data_scientist, model, body, field
):
    response = api_client_for(data_scientist).post(
        versions_url("churn"), body, format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert any(key.split(".")[0] == field for key in error["details"]), error
    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"artifact_uri": "s3://b/k", "metrics": {"auc": NaN}}',
        b'{"artifact_uri": "s3://b/k", "metrics": {"auc": 1e999}}',
        b"[1, 2]",
        b'"s3"',
    ],
)
def test_malformed_json_gets_the_error_shape(
    api_client_for, data_scientist, model, raw
):
    response = api_client_for(data_scientist).post(
        versions_url("churn"), raw, content_type="application/json"
    )

    assert_error(response, 400)
    assert not ModelVersion.objects.exists()


def test_form_encoded_body_is_refused(api_client_for, data_scientist, model):
    response = api_client_for(data_scientist).post(
        versions_url("churn"), {"artifact_uri": "s3://b/k"}
    )

    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "name": "Bad Name!",
                "display_name": "x",
                "team": "fraud",
                "risk_tier": "low",
            },
            "name",
        ),
        (
            {"name": "ok", "display_name": "x", "team": "nope", "risk_tier": "low"},
            "team",
        ),
        (
            {
                "name": "ok",
                "display_name": "x",
                "team": "fraud",
                "risk_tier": "extreme",
            },
            "risk_tier",
        ),
        (
            {
                "name": "ok",
                "display_name": "x",
                "team": "fraud",
                "risk_tier": "low",
                "tags": "pii",
            },
            "tags",
        ),
        (
            {
                "name": "ok",
                "display_name": "x",
                "team": "fraud",
                "risk_tier": "low",
                "owner": "ghost",
            },
            "owner",
        ),
        ({"name": "ok", "team": "fraud", "risk_tier": "low"}, "display_name"),
        (
            {
                "name": "ok",
                "display_name": "x",
                "team": "fraud",
                "risk_tier": "low",
                "archived_at": None,
            },
            "archived_at",
        ),
    ],
)
def test_bad_model_input_names_the_field(
    api_client_for, data_scientist, team, body, field
):
    response = api_client_for(data_scientist).post(MODELS, body, format="json")

    error = assert_error(response, 400, "invalid")
    assert field in error["details"]
    assert not MLModel.objects.exists()


def test_patch_ignores_nothing_it_cannot_apply(api_client_for, data_scientist, model):
    response = api_client_for(data_scientist).patch(
        f"{MODELS}churn/", {"name": "renamed", "team": "pricing"}, format="json"
    )

    error = assert_error(response, 400)
    assert set(error["details"]) == {"name", "team"}
    model.refresh_from_db()
    assert model.name == "churn"


# -- pagination and query counts --------------------------------------------


def test_cursor_pagination_returns_each_row_once_while_rows_are_inserted(
    api_client_for, viewer, team
):
    for index in range(0, 60, 2):
        MLModelFactory(name=f"m-{index:03d}", team=team)
    client = api_client_for(viewer)
    seen: list[str] = []
    url = MODELS + "?page_size=7"
    inserted = 1
    while url:
        page = client.get(url).json()
        seen += [row["name"] for row in page["results"]]
        MLModelFactory(name=f"m-{inserted:03d}", team=team)
        MLModelFactory(name=f"m-{60 + inserted:03d}", team=team)
        inserted += 2
        url = page["next"]

    assert len(seen) == len(set(seen))
    assert {f"m-{index:03d}" for index in range(0, 60, 2)} <= set(seen)


def test_page_size_is_bounded(api_client_for, viewer, team, settings):
    settings.API_MAX_PAGE_SIZE = 5
    for index in range(8):
        MLModelFactory(name=f"m-{index}", team=team)

    page = api_client_for(viewer).get(MODELS + "?page_size=1000").json()

    assert len(page["results"]) == 5
    assert page["next"]


@pytest.mark.parametrize("count", [3, 25])
def test_model_list_query_count_is_constant(
    api_client_for, viewer, team, django_assert_num_queries, count
):
    for index in range(count):
        model = MLModelFactory(name=f"m-{index:03d}", team=team, tags=["pii", "batch"])
        ModelVersionFactory(model=model, version=1)
    client = api_client_for(viewer)

    # token + user, roles, models page, tags
    with django_assert_num_queries(4):
        response = client.get(MODELS)

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [2, 20])
def test_version_list_query_count_is_constant(
    api_client_for, viewer, model, django_assert_num_queries, count
):
    parent = None
    for number in range(1, count + 1):
        parent = ModelVersionFactory(model=model, version=number, parent=parent)
    client = api_client_for(viewer)

    # token + user, roles, versions page (the model is joined, not read first)
    with django_assert_num_queries(3):
        response = client.get(versions_url("churn"))

    assert [row["version"] for row in response.json()["results"]][:2] == [
        count,
        count - 1,
    ]


# -- audit trail --------------------------------------------------------------


def test_token_writes_are_attributed_to_the_tokens_user(
    api_client_for, data_scientist, model
):
    response = api_client_for(data_scientist).post(
        versions_url("churn"), {"artifact_uri": "s3://b/k"}, format="json"
    )

    assert response.status_code == 201
    entry = LogEntry.objects.get_for_model(ModelVersion).get()
    assert entry.actor == data_scientist
    assert entry.action == LogEntry.Action.CREATE


def test_session_writes_are_attributed_to_the_logged_in_user(
    client, data_scientist, model
):
    client.force_login(data_scientist)

    response = client.patch(
        f"{MODELS}churn/",
        {"description": "Updated"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    entry = LogEntry.objects.get_for_model(MLModel).latest("timestamp")
    assert entry.actor == data_scientist
    assert entry.changes_dict["description"][1] == "Updated"


def test_audit_ignores_a_spoofed_forwarded_for(api_client_for, data_scientist, model):
    api_client_for(data_scientist).patch(
        f"{MODELS}churn/",
        {"description": "x"},
        format="json",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
        REMOTE_ADDR="10.1.2.3",
    )

    entry = LogEntry.objects.get_for_model(MLModel).latest("timestamp")
    assert entry.remote_addr == "10.1.2.3"


def test_audit_uses_the_configured_proxy_header(
    api_client_for, data_scientist, model, settings
):
    settings.CLIENT_IP_HEADER = "X-Real-IP"

    api_client_for(data_scientist).patch(
        f"{MODELS}churn/",
        {"description": "x"},
        format="json",
        HTTP_X_REAL_IP="203.0.113.9",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )

    entry = LogEntry.objects.get_for_model(MLModel).latest("timestamp")
    assert entry.remote_addr == "203.0.113.9"


def test_version_detail_is_one_lookup(
    api_client_for, viewer, draft, django_assert_num_queries
):
    client = api_client_for(viewer)

    # token + user, roles, the version with its model and users
    with django_assert_num_queries(3):
        response = client.get(version_url("churn", 1))

    assert response.json()["version"] == 1


# -- version filters and the portfolio queue ----------------------------------

VERSIONS = "/api/v1/versions/"


def test_version_list_filters_by_status_and_creation(api_client_for, viewer, model):
    ModelVersionFactory(
        model=model, version=1, status="approved", created_at="2026-01-01T00:00:00Z"
    )
    ModelVersionFactory(
        model=model, version=2, status="in_review", created_at="2026-03-01T00:00:00Z"
    )
    client = api_client_for(viewer)

    def numbers(query: str) -> list[int]:
        response = client.get(versions_url("churn") + query)
        assert response.status_code == 200, response.content
        return [row["version"] for row in response.json()["results"]]

    assert numbers("") == [2, 1]
    assert numbers("?status=approved") == [1]
    assert numbers("?created_after=2026-02-01T00:00:00Z") == [2]
    assert numbers("?created_after=2026-03-01T00:00:00Z") == []
    assert numbers("?status=") == [2, 1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=shipped", "status"),
        ("created_after=yesterday", "created_after"),
        ("state=approved", "state"),
    ],
)
def test_version_list_refuses_bad_query_parameters(
    api_client_for, viewer, model, query, field
):
    response = api_client_for(viewer).get(f"{versions_url('churn')}?{query}")

    assert field in assert_error(response, 400, "invalid")["details"]


def test_portfolio_queue_lists_versions_in_review_across_models(
    api_client_for, reviewer, model, foreign_model
):
    ModelVersionFactory(model=model, version=1, status="draft")
    waiting = ModelVersionFactory(model=model, version=2, status="in_review")
    foreign = ModelVersionFactory(model=foreign_model, version=1, status="in_review")
    client = api_client_for(reviewer)

    rows = client.get(VERSIONS + "?status=in_review").json()["results"]
    assert [(row["model"], row["version"]) for row in rows] == [
        ("churn", waiting.version),
        ("pricing-model", foreign.version),
    ]
    rows = client.get(VERSIONS + "?status=in_review&model=churn").json()["results"]
    assert [(row["model"], row["version"]) for row in rows] == [("churn", 2)]
    assert len(client.get(VERSIONS).json()["results"]) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=waiting", "status"), ("models=churn", "models")],
)
def test_portfolio_queue_refuses_bad_query_parameters(
    api_client_for, reviewer, query, field
):
    response = api_client_for(reviewer).get(f"{VERSIONS}?{query}")

    assert field in assert_error(response, 400, "invalid")["details"]


def test_portfolio_queue_needs_a_role(anonymous_client):
    assert_error(anonymous_client.get(VERSIONS), 401)


@pytest.mark.parametrize("count", [2, 20])
def test_portfolio_queue_query_count_is_constant(
    api_client_for, reviewer, team, django_assert_num_queries, count
):
    for index in range(count):
        model = MLModelFactory(name=f"m-{index:03d}", team=team)
        parent = ModelVersionFactory(model=model, version=1, status="approved")
        ModelVersionFactory(model=model, version=2, parent=parent, status="in_review")
    client = api_client_for(reviewer)

    # token + user, roles, teams (a reviewer writes as a data scientist, so
    # the cached token carries them), versions page
    with django_assert_num_queries(4):
        response = client.get(VERSIONS + "?status=in_review&page_size=100")

    assert len(response.json()["results"]) == count
