from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from governance.documents import parse_policy_document
from governance.models import Approval, Policy, Waiver
from governance.selectors import policy_document
from governance.services import update_policy
from registry.models import ModelVersion
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor
from tests.registry.test_api import assert_error

pytestmark = pytest.mark.django_db

VERSION = "/api/v1/models/churn/versions/1/"


@pytest.fixture
def in_review(team, data_scientist):
    model = MLModelFactory(name="churn", team=team, risk_tier="high")
    return ModelVersionFactory(
        model=model, version=1, status="in_review", created_by=data_scientist
    )


# -- approve / reject -----------------------------------------------------------


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_decisions_need_authentication(anonymous_client, in_review, verb):
    assert_error(anonymous_client.post(f"{VERSION}{verb}/", {}, format="json"), 401)


@pytest.mark.parametrize("role", ["viewer", "data_scientist", "executive", "auditor"])
@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_decisions_need_the_reviewer_role(
    request, api_client_for, in_review, role, verb
):
    client = api_client_for(request.getfixturevalue(role))

    assert_error(client.post(f"{VERSION}{verb}/", {}, format="json"), 403)
    assert not Approval.objects.exists()


def test_reviewer_approves(api_client_for, reviewer, in_review, make_policy):
    make_policy("review", [approvals(1)])

    response = api_client_for(reviewer).post(
        f"{VERSION}approve/", {"comment": "Validated"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"] == "approve"
    assert body["reviewer"] == reviewer.username
    assert body["version_status"] == "approved"
    entry = LogEntry.objects.get_for_model(Approval).get()
    assert entry.actor == reviewer


def test_self_approval_is_a_conflict_through_the_api(
    api_client_for, reviewer, in_review
):
    in_review.submitted_by = reviewer
    in_review.save()

    error = assert_error(
        api_client_for(reviewer).post(f"{VERSION}approve/", {}, format="json"),
        409,
        "self_approval",
    )

    assert "independent reviewer" in error["message"]
    assert not Approval.objects.exists()


def test_deciding_twice_is_a_conflict(api_client_for, reviewer, in_review, make_policy):
    make_policy("review", [approvals(2)])
    client = api_client_for(reviewer)
    client.post(f"{VERSION}approve/", {}, format="json")

    assert_error(
        client.post(f"{VERSION}reject/", {"comment": "No"}, format="json"),
        409,
        "already_decided",
    )


def test_reviewer_rejects(api_client_for, reviewer, in_review):
    response = api_client_for(reviewer).post(
        f"{VERSION}reject/", {"comment": "Target leak"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["version_status"] == "rejected"


def test_decision_body_is_strict(api_client_for, reviewer, in_review):
    response = api_client_for(reviewer).post(
        f"{VERSION}approve/", {"comment": "ok", "decision": "approve"}, format="json"
    )

    assert "decision" in assert_error(response, 400)["details"]


def test_decision_on_unknown_version_is_404(api_client_for, reviewer, in_review):
    response = api_client_for(reviewer).post(
        "/api/v1/models/churn/versions/9/approve/", {}, format="json"
    )

    assert_error(response, 404)


# -- submit and evaluation ------------------------------------------------------


def test_submit_records_an_evaluation(
    api_client_for, data_scientist, team, make_policy
):
    make_policy("floor", [auc_floor(0.8)])
    ModelVersionFactory(
        model=MLModelFactory(name="churn", team=team),
        version=1,
        created_by=data_scientist,
    )

    response = api_client_for(data_scientist).post(f"{VERSION}submit/")

    assert response.status_code == 200
    assert response.json()["status"] == "in_review"
    assert ModelVersion.objects.get().evaluations.get().passed


def test_evaluation_matches_the_design_example(
    api_client_for, viewer, team, make_policy
):
    make_policy(
        "production-floor",
        [auc_floor(0.80), approvals(2)],
        risk_tiers=["high", "critical"],
        environments=["production"],
    )
    ModelVersionFactory(
        model=MLModelFactory(name="churn", team=team, risk_tier="high"),
        version=1,
        metrics={"auc": 0.78},
    )

    response = api_client_for(viewer).get(
        f"{VERSION}evaluation/?environment=production"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["passed"] is False
    assert body["environment"] == "production"
    assert body["evaluated_at"]
    assert body["results"][0] == {
        "policy": "production-floor",
        "revision": 1,
        "rule": 1,
        "kind": "metric_threshold",
        "params": {"metric": "auc", "op": ">=", "value": 0.8},
        "enforcement": "enforce",
        "passed": False,
        "waived": False,
        "detail": "auc 0.78 is below the minimum 0.80",
    }
    assert body["results"][1]["detail"] == "0 of 2 required independent approvals"


def test_evaluation_of_an_unknown_environment_names_the_field(
    api_client_for, viewer, in_review
):
    response = api_client_for(viewer).get(f"{VERSION}evaluation/?environment=moon")

    assert "environment" in assert_error(response, 400)["details"]


def test_evaluation_needs_a_role(api_client_for, no_role_user, in_review):
    assert_error(api_client_for(no_role_user).get(f"{VERSION}evaluation/"), 403)


# -- policies -------------------------------------------------------------------

POLICY = {
    "name": "production-floor",
    "description": "Floor",
    "enforcement": "enforce",
    "scope": {
        "risk_tiers": ["high", "critical"],
        "environments": ["production"],
        "tags": [],
    },
    "rules": [auc_floor(0.8), approvals(2)],
}


def test_governance_admin_creates_a_policy(api_client_for, governance_admin):
    response = api_client_for(governance_admin).post(
        "/api/v1/policies/", POLICY, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["revision"] == 1
    assert body["scope"] == {
        "risk_tiers": ["critical", "high"],
        "environments": ["production"],
        "tags": [],
        "model_kinds": [],
    }
    assert [rule["kind"] for rule in body["rules"]] == [
        "metric_threshold",
        "min_approvals",
    ]
    assert LogEntry.objects.get_for_model(Policy).get().actor == governance_admin


@pytest.mark.parametrize(
    "role", ["viewer", "data_scientist", "reviewer", "executive", "auditor"]
)
def test_only_governance_admins_write_policies(
    request, api_client_for, role, make_policy
):
    policy = make_policy("floor", [auc_floor()])
    client = api_client_for(request.getfixturevalue(role))

    assert client.get("/api/v1/policies/").status_code == 200
    assert_error(client.post("/api/v1/policies/", POLICY, format="json"), 403)
    assert_error(
        client.patch(
            f"/api/v1/policies/{policy.pk}/", {"enforcement": "advisory"}, format="json"
        ),
        403,
    )
    assert_error(client.delete(f"/api/v1/policies/{policy.pk}/"), 403)
    assert Policy.objects.get().enforcement == "enforce"


def test_patch_raises_the_revision_and_delete_removes(
    api_client_for, governance_admin, make_policy
):
    policy = make_policy("floor", [auc_floor()])
    client = api_client_for(governance_admin)

    patched = client.patch(
        f"/api/v1/policies/{policy.pk}/",
        {
            "enforcement": "advisory",
            "rules": [auc_floor(0.9)],
            "reason": "Advisory while the floor is recalibrated",
        },
        format="json",
    )
    deleted = client.delete(f"/api/v1/policies/{policy.pk}/")

    assert patched.json()["revision"] == 2
    assert patched.json()["rules"][0]["params"]["value"] == 0.9
    assert deleted.status_code == 204
    assert not Policy.objects.exists()


def test_bad_rule_is_refused_with_the_field_named(api_client_for, governance_admin):
    bad = {
        **POLICY,
        "rules": [
            {
                "kind": "metric_threshold",
                "params": {"metric": "auc", "op": "≈", "value": 1},
            }
        ],
    }

    error = assert_error(
        api_client_for(governance_admin).post("/api/v1/policies/", bad, format="json"),
        400,
    )

    assert "rules[1].params.op" in error["details"]
    assert not Policy.objects.exists()


def test_duplicate_policy_name_is_refused(
    api_client_for, governance_admin, make_policy
):
    make_policy("production-floor", [auc_floor()])

    response = api_client_for(governance_admin).post(
        "/api/v1/policies/", POLICY, format="json"
    )

    assert "name" in assert_error(response, 400)["details"]


def test_a_policy_cannot_be_named_after_the_new_policy_page(
    api_client_for, governance_admin
):
    response = api_client_for(governance_admin).post(
        "/api/v1/policies/", {**POLICY, "name": "new"}, format="json"
    )

    error = assert_error(response, 400)
    assert "new-policy page" in error["details"]["name"][0]
    assert not Policy.objects.exists()


def test_unknown_policy_is_404(api_client_for, governance_admin):
    assert_error(api_client_for(governance_admin).get("/api/v1/policies/999/"), 404)


# -- waivers --------------------------------------------------------------------


@pytest.fixture
def waiver_request(in_review, make_policy):
    make_policy("floor", [auc_floor(0.95)], environments=["production"])
    return {
        "model": "churn",
        "version": 1,
        "policy": "floor",
        "rule": 1,
        "justification": "Calibration fix ships next sprint",
        "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
    }


def test_governance_admin_grants_and_revokes_a_waiver(
    api_client_for, governance_admin, waiver_request
):
    client = api_client_for(governance_admin)

    granted = client.post("/api/v1/waivers/", waiver_request, format="json")
    waiver_id = granted.json()["id"]
    listed = client.get("/api/v1/waivers/?state=active").json()["results"]
    revoked = client.post(
        f"/api/v1/waivers/{waiver_id}/revoke/", {"reason": "Fixed"}, format="json"
    )
    again = client.post(
        f"/api/v1/waivers/{waiver_id}/revoke/", {"reason": "Fixed"}, format="json"
    )

    assert granted.status_code == 201, granted.content
    assert granted.json()["state"] == "active"
    assert [row["id"] for row in listed] == [waiver_id]
    assert revoked.json()["state"] == "revoked"
    assert revoked.json()["revoked_by"] == governance_admin.username
    assert_error(again, 409, "waiver_revoked")


@pytest.mark.parametrize(
    "role", ["viewer", "data_scientist", "reviewer", "executive", "auditor"]
)
def test_only_governance_admins_grant_waivers(
    request, api_client_for, role, waiver_request
):
    client = api_client_for(request.getfixturevalue(role))

    assert_error(client.post("/api/v1/waivers/", waiver_request, format="json"), 403)
    assert not Waiver.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"policy": "nope"}, "policy"),
        ({"version": 42}, "version"),
        ({"rule": 9}, "rule"),
        ({"justification": ""}, "justification"),
        ({"granted_by": "me"}, "granted_by"),
    ],
)
def test_bad_waiver_requests_name_the_field(
    api_client_for, governance_admin, waiver_request, changes, field
):
    response = api_client_for(governance_admin).post(
        "/api/v1/waivers/", {**waiver_request, **changes}, format="json"
    )

    assert field in assert_error(response, 400)["details"]
    assert not Waiver.objects.exists()


def test_waiver_list_rejects_an_unknown_state(api_client_for, viewer):
    assert (
        "state"
        in assert_error(api_client_for(viewer).get("/api/v1/waivers/?state=soon"), 400)[
            "details"
        ]
    )


# -- simulations ----------------------------------------------------------------


def test_simulation_through_the_api(api_client_for, executive, in_review, make_policy):
    make_policy("floor", [auc_floor(0.8)], environments=["production"])

    response = api_client_for(executive).post(
        "/api/v1/simulations/",
        {"upsert": [{"name": "floor", "rules": [auc_floor(0.95)]}], "remove": []},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["summary"]["newly_failing"] == 1
    assert response.json()["changes"][0]["model"] == "churn"


@pytest.mark.parametrize("role", ["viewer", "data_scientist", "reviewer", "auditor"])
def test_simulation_is_for_admins_and_executives(request, api_client_for, role):
    client = api_client_for(request.getfixturevalue(role))

    assert_error(client.post("/api/v1/simulations/", {}, format="json"), 403)


def test_simulation_body_is_validated(api_client_for, governance_admin):
    response = api_client_for(governance_admin).post(
        "/api/v1/simulations/", {"upsert": "everything"}, format="json"
    )

    assert "upsert" in assert_error(response, 400)["details"]


def test_simulation_refuses_a_policy_name_that_is_not_text(
    api_client_for, governance_admin, make_policy
):
    make_policy("floor", [auc_floor()])
    body = {"upsert": [{"name": {}, "rules": None}]}

    response = api_client_for(governance_admin).post(
        "/api/v1/simulations/", body, format="json"
    )

    error = assert_error(response, 400)
    assert any(field.startswith("upsert[1]") for field in error["details"])


@pytest.mark.parametrize("count", [2, 12])
def test_policy_list_query_count_is_constant(
    api_client_for, viewer, make_policy, django_assert_num_queries, count
):
    for index in range(count):
        make_policy(f"p-{index}", [auc_floor(), approvals(1)])
    client = api_client_for(viewer)

    # token + user, roles, policies page, rules
    with django_assert_num_queries(4):
        response = client.get("/api/v1/policies/")

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [2, 12])
def test_waiver_list_query_count_is_constant(
    api_client_for,
    viewer,
    governance_admin,
    waiver_request,
    django_assert_num_queries,
    count,
):
    admin_client = api_client_for(governance_admin)
    for _ in range(count):
        admin_client.post("/api/v1/waivers/", waiver_request, format="json")
    client = api_client_for(viewer)

    # token + user, roles, waivers page
    with django_assert_num_queries(3):
        response = client.get("/api/v1/waivers/")

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize(
    "role", ["viewer", "data_scientist", "reviewer", "executive", "auditor"]
)
def test_only_governance_admins_revoke_waivers(
    request, api_client_for, governance_admin, role, waiver_request
):
    granted = api_client_for(governance_admin).post(
        "/api/v1/waivers/", waiver_request, format="json"
    )
    client = api_client_for(request.getfixturevalue(role))

    response = client.post(
        f"/api/v1/waivers/{granted.json()['id']}/revoke/",
        {"reason": "no"},
        format="json",
    )

    assert_error(response, 403)
    assert Waiver.objects.get().revoked_at is None


def test_revoking_needs_authentication(anonymous_client):
    assert_error(
        anonymous_client.post(
            "/api/v1/waivers/1/revoke/", {"reason": "x"}, format="json"
        ),
        401,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "renamed"}, "name"),
        ({"owner": "me"}, "owner"),
        (
            {"rules": [{"kind": "min_approvals", "params": {"count": 0}}]},
            "rules[1].params.count",
        ),
        ({"scope": {"environments": ["moon"]}}, "scope.environments"),
    ],
)
def test_bad_policy_patch_changes_nothing(
    api_client_for, governance_admin, make_policy, body, field
):
    policy = make_policy("floor", [auc_floor(0.8)])

    response = api_client_for(governance_admin).patch(
        f"/api/v1/policies/{policy.pk}/", body, format="json"
    )

    assert field in assert_error(response, 400)["details"]
    policy.refresh_from_db()
    assert (policy.name, policy.revision) == ("floor", 1)
    assert policy.rules.get().params["value"] == 0.8


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_decisions_on_an_unknown_model_are_404(api_client_for, reviewer, verb):
    assert_error(
        api_client_for(reviewer).post(
            f"/api/v1/models/ghost/versions/1/{verb}/", {}, format="json"
        ),
        404,
    )


def test_evaluation_of_an_unknown_version_is_404(api_client_for, viewer, in_review):
    assert_error(
        api_client_for(viewer).get("/api/v1/models/churn/versions/9/evaluation/"), 404
    )
    assert_error(
        api_client_for(viewer).get("/api/v1/models/ghost/versions/1/evaluation/"), 404
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("state=soon", "state"), ("version=x", "version"), ("states=active", "states")],
)
def test_waiver_list_refuses_unknown_or_invalid_parameters(
    api_client_for, viewer, query, field
):
    response = api_client_for(viewer).get(f"/api/v1/waivers/?{query}")

    assert field in assert_error(response, 400, "invalid")["details"]


def test_a_policy_patch_needs_a_reason_and_writes_nothing_without(
    api_client_for, governance_admin, make_policy
):
    policy = make_policy("floor", [auc_floor(0.8)])

    error = assert_error(
        api_client_for(governance_admin).patch(
            f"/api/v1/policies/{policy.pk}/", {"enforcement": "advisory"}, format="json"
        ),
        400,
        "invalid",
    )

    assert "reason" in error["details"]
    policy.refresh_from_db()
    assert (policy.revision, policy.enforcement) == (1, "enforce")


def test_a_policy_patch_from_a_stale_revision_is_refused(
    api_client_for, governance_admin, make_policy
):
    policy = make_policy("floor", [auc_floor(0.8)])
    client = api_client_for(governance_admin)
    client.patch(
        f"/api/v1/policies/{policy.pk}/",
        {"rules": [auc_floor(0.85)], "reason": "First", "revision": 1},
        format="json",
    )

    error = assert_error(
        client.patch(
            f"/api/v1/policies/{policy.pk}/",
            {"rules": [auc_floor(0.7)], "reason": "Second", "revision": 1},
            format="json",
        ),
        409,
        "policy_changed",
    )

    assert error["details"]["revision"] == 2
    assert Policy.objects.get().rules.get().params["value"] == 0.85


def test_policy_revisions_list_who_changed_what_and_why(
    api_client_for, governance_admin, viewer
):
    admin_client = api_client_for(governance_admin)
    created = admin_client.post("/api/v1/policies/", POLICY, format="json")
    admin_client.patch(
        f"/api/v1/policies/{created.json()['id']}/",
        {"enforcement": "advisory", "reason": "Soften while recalibrating"},
        format="json",
    )

    response = api_client_for(viewer).get(
        f"/api/v1/policies/{POLICY['name']}/revisions/"
    )

    assert response.status_code == 200
    newest, first = response.json()["results"]
    assert (newest["revision"], newest["reason"], newest["changed_by"]) == (
        2,
        "Soften while recalibrating",
        governance_admin.username,
    )
    assert newest["document"]["enforcement"] == "advisory"
    assert (first["revision"], first["reason"]) == (1, "Policy created")
    assert first["document"]["rules"] == POLICY["rules"]


def test_policy_revisions_of_an_unknown_policy_are_a_404(api_client_for, viewer):
    response = api_client_for(viewer).get("/api/v1/policies/nowhere/revisions/")

    assert response.status_code == 404


@pytest.mark.parametrize("count", [2, 12])
def test_policy_revision_list_query_count_is_constant(
    api_client_for,
    governance_admin,
    viewer,
    make_policy,
    django_assert_num_queries,
    count,
):
    policy = make_policy("floor", [auc_floor(0.8)])
    for index in range(count):
        update_policy(
            actor=governance_admin,
            policy=policy,
            document=parse_policy_document(
                {"rules": [auc_floor(0.5 + index / 100)]},
                environments=["production"],
                base=policy_document(Policy.objects.get()),
            ),
            reason=f"Step {index}",
        )
    client = api_client_for(viewer)

    # token + user, roles, the policy, revisions page
    with django_assert_num_queries(4):
        response = client.get("/api/v1/policies/floor/revisions/")

    assert len(response.json()["results"]) == count + 1
