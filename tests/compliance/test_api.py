"""The compliance API: a model's obligations, the portfolio's coverage, packs
and custom obligations, by role."""

import pytest
from auditlog.models import LogEntry

from compliance.models import CustomObligation, FrameworkPack

pytestmark = pytest.mark.django_db

OBLIGATION = {
    "framework": "eu_ai_act",
    "id": "internal-7",
    "reference": "Internal policy 7",
    "title": "Two reviewers",
    "summary": "Two independent reviewers approve every high-risk model.",
    "applies_to": {"categories": ["high_risk"]},
    "evidence": [{"kind": "independent_approval", "params": {"count": 2}}],
}


def test_a_model_obligations_lists_each_enabled_framework(
    scene, eu_pack, api_client_for, viewer
):
    response = api_client_for(viewer).get("/api/v1/models/credit/obligations/")

    assert response.status_code == 200
    body = response.json()
    assert body["version_label"] == "v1 serving"
    (eu,) = body["frameworks"]
    assert eu["framework"] == "eu_ai_act" and eu["version"] == "2026.12.2"
    art_12 = next(o for o in eu["obligations"] if o["id"] == "art-12")
    assert art_12["reference"] == "Art. 12 and Art. 18-19"
    assert art_12["status"] == "met"
    gate = art_12["evidence"][1]
    assert gate["kind"] == "deployment_gate_used"
    assert gate["link"] == {"target": "deployment", "ref": str(scene.deployment_id)}
    assert eu["counts"]["not_applicable"] == 1


def test_an_unknown_model_is_404(eu_pack, api_client_for, viewer):
    response = api_client_for(viewer).get("/api/v1/models/nope/obligations/")

    assert response.status_code == 404


def test_coverage_needs_a_role(scene, api_client_for, no_role_user, anonymous_client):
    assert (
        api_client_for(no_role_user).get("/api/v1/compliance/coverage/").status_code
        == 403
    )
    assert anonymous_client.get("/api/v1/compliance/coverage/").status_code in (
        401,
        403,
    )


def test_portfolio_coverage_counts_per_model_and_framework(
    scene, eu_pack, api_client_for, executive
):
    response = api_client_for(executive).get("/api/v1/compliance/coverage/")

    assert response.status_code == 200
    rows = {row["model"]: row for row in response.json()["results"]}
    assert rows["credit"]["frameworks"] == [
        {
            "framework": "eu_ai_act",
            "met": 4,
            "partly_met": 6,
            "unmet": 1,
            "not_applicable": 1,
        }
    ]
    assert rows["chatbot"]["frameworks"][0]["met"] == 1


def test_portfolio_coverage_filters(scene, eu_pack, api_client_for, viewer):
    client = api_client_for(viewer)

    high = client.get("/api/v1/compliance/coverage/?ai_act_category=high_risk")
    unknown = client.get("/api/v1/compliance/coverage/?framework=nist_ai_rmf")
    bad = client.get("/api/v1/compliance/coverage/?risk_tier=huge")

    assert [row["model"] for row in high.json()["results"]] == ["credit"]
    assert unknown.status_code == 400
    assert "framework" in unknown.json()["error"]["details"]
    assert bad.status_code == 400
    assert "risk_tier" in bad.json()["error"]["details"]


def test_portfolio_coverage_queries_do_not_grow_with_the_page(
    scene, eu_pack, api_client_for, viewer, django_assert_max_num_queries
):
    client = api_client_for(viewer)
    with django_assert_max_num_queries(21):
        client.get("/api/v1/compliance/coverage/")


def test_governance_admins_enable_and_disable_packs_audited(
    api_client_for, governance_admin
):
    client = api_client_for(governance_admin)

    enabled = client.post("/api/v1/compliance/frameworks/nist_ai_rmf/enable/")
    disabled = client.post("/api/v1/compliance/frameworks/nist_ai_rmf/disable/")

    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    assert disabled.json()["enabled"] is False
    assert disabled.json()["enabled_version"] == "2026.12.2"
    pack = FrameworkPack.objects.get(framework="nist_ai_rmf")
    assert pack.changed_by == governance_admin
    assert LogEntry.objects.get_for_object(pack).count() == 2


def test_only_governance_admins_change_packs(api_client_for, reviewer):
    client = api_client_for(reviewer)

    assert client.get("/api/v1/compliance/frameworks/").status_code == 200
    refused = client.post("/api/v1/compliance/frameworks/eu_ai_act/enable/")
    assert refused.status_code == 403
    assert not FrameworkPack.objects.exists()


def test_an_unknown_pack_is_404(api_client_for, governance_admin):
    response = api_client_for(governance_admin).post(
        "/api/v1/compliance/frameworks/gdpr/enable/"
    )

    assert response.status_code == 404


def test_custom_obligations_are_added_changed_and_removed(
    api_client_for, governance_admin
):
    client = api_client_for(governance_admin)

    created = client.post("/api/v1/compliance/obligations/", OBLIGATION, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    changed = client.patch(
        f"/api/v1/compliance/obligations/{pk}/",
        {"evidence": [{"kind": "intake_answered"}]},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["evidence"] == [{"kind": "intake_answered", "params": {}}]
    assert (
        client.get("/api/v1/compliance/obligations/").json()["results"][0][
            "obligation_id"
        ]
        == "internal-7"
    )
    assert client.delete(f"/api/v1/compliance/obligations/{pk}/").status_code == 204
    assert not CustomObligation.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"evidence": [{"kind": "vibes"}]}, "evidence[0].kind"),
        (
            {"evidence": [{"kind": "independent_approval", "params": {"count": 0}}]},
            "evidence[0].params.count",
        ),
        ({"id": "art-9"}, "id"),
        ({"framework": "gdpr"}, "framework"),
        ({"reference": ""}, "reference"),
    ],
)
def test_a_bad_custom_obligation_is_400_naming_the_field(
    api_client_for, governance_admin, change, field
):
    response = api_client_for(governance_admin).post(
        "/api/v1/compliance/obligations/", {**OBLIGATION, **change}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]


def test_only_governance_admins_add_obligations(api_client_for, data_scientist):
    response = api_client_for(data_scientist).post(
        "/api/v1/compliance/obligations/", OBLIGATION, format="json"
    )

    assert response.status_code == 403


def test_the_endpoints_are_in_the_openapi_schema(api_client_for, viewer):
    schema = api_client_for(viewer).get("/api/schema/?format=json").json()

    for path in (
        "/api/v1/models/{name}/obligations/",
        "/api/v1/compliance/coverage/",
        "/api/v1/compliance/frameworks/",
        "/api/v1/compliance/frameworks/{framework}/enable/",
        "/api/v1/compliance/obligations/",
        "/api/v1/compliance/obligations/{id}/",
    ):
        assert path in schema["paths"], path
