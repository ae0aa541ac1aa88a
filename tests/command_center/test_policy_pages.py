"""The policy pages: the list and a policy in words for every role; the
editor for governance admins only (a form per rule kind, the simulation
shown before Save is offered, a reason required, no lost update); the diff
between two revisions."""

import re
from dataclasses import replace
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.test import Client

from governance.documents import RuleDocument
from governance.engine import RULE_KINDS, rule_param_schema
from governance.models import Policy, PolicyRevision
from governance.selectors import policy_document
from governance.services import update_policy

pytestmark = pytest.mark.django_db

# Queries (session, user, roles, then the page's own reads), whatever the
# number of policies, rules and revisions.
POLICY_LIST = 5  # + policies with their last change, rules
POLICY_PAGE = 6  # + the policy, its rules, its revisions
POLICY_REVISIONS = 6  # + the policy, its rules, its revisions
POLICY_EDITOR = 7  # + the policy, its rules, environments, tags


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(governance_admin) -> Client:
    return signed_in(governance_admin)


def floor_edit(auc: str = "0.92", **overrides) -> dict:
    """The floor policy's edit form as a browser posts it: auc >= `auc` in
    production, the blank row left blank."""
    data = {
        "description": "",
        "enforcement": "enforce",
        "environments": ["production"],
        "revision": "1",
        "rules-TOTAL_FORMS": "2",
        "rules-INITIAL_FORMS": "1",
        "rules-0-kind": "metric_threshold",
        "rules-0-metric_threshold-metric": "auc",
        "rules-0-metric_threshold-op": ">=",
        "rules-0-metric_threshold-value": auc,
        "rules-1-kind": "",
        "reason": "Auditors asked for a higher floor",
        "action": "simulate",
    }
    data.update(overrides)
    return data


def simulated_token(response) -> str:
    match = re.search(r'name="simulated" value="([^"]+)"', response.content.decode())
    assert match, "the page offers no Save after the simulation"
    return unescape(match.group(1))


def floor() -> Policy:
    return Policy.objects.get(name="floor")


def test_every_role_reads_the_list_with_rules_in_words_and_last_change(
    portfolio, viewer
):
    response = signed_in(viewer).get("/policies/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "auc must be at least 0.80" in page
    assert "1 independent approval" in page
    assert "Test policy" in page  # why its current revision was made
    assert 'id="new-policy"' not in page  # a viewer edits nothing


def test_the_navigation_links_the_policies(portfolio, viewer):
    response = signed_in(viewer).get("/")

    assert ("policies", "Policies", "/policies/") in response.context["nav_links"]


def test_a_policy_page_shows_its_rules_in_words_and_revisions(portfolio, executive):
    response = signed_in(executive).get("/policies/floor/")

    page = response.content.decode()
    assert "auc must be at least 0.80" in page
    assert "Test policy" in page
    assert 'id="edit-policy"' not in page


def test_an_unknown_policy_is_a_404(admin_client, portfolio):
    assert admin_client.get("/policies/nowhere/").status_code == 404
    assert admin_client.get("/policies/nowhere/edit/").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "reviewer", "executive", "auditor"])
def test_only_governance_admins_open_or_post_the_editor(portfolio, request, role):
    client = signed_in(request.getfixturevalue(role))

    assert client.get("/policies/floor/edit/").status_code == 403
    assert client.get("/policies/new/").status_code == 403
    assert client.post("/policies/floor/edit/", floor_edit()).status_code == 403
    assert floor().revision == 1


def test_anonymous_users_are_sent_to_sign_in(portfolio):
    response = Client().get("/policies/")

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_the_editor_has_a_form_per_rule_kind_with_its_schemas_fields(
    admin_client, portfolio
):
    page = admin_client.get("/policies/floor/edit/").content.decode()

    for kind in RULE_KINDS:
        assert f'data-kind-form="{kind}"' in page
        for param in rule_param_schema(kind)["properties"]:
            assert f'name="rules-1-{kind}-{param}"' in page
    assert 'value="0.8"' in page  # today's threshold, in its own field
    assert 'id="save-policy"' not in page  # nothing simulated yet


def test_simulating_shows_the_impact_before_save_is_offered_and_writes_nothing(
    admin_client, portfolio
):
    response = admin_client.post("/policies/floor/edit/", floor_edit("0.92"))

    assert response.status_code == 200
    summary = response.context["result"]["summary"]
    assert summary["newly_failing"] == 1  # alpha's auc 0.90 in production
    assert [change["model"] for change in response.context["result"]["changes"]] == [
        "alpha"
    ]
    assert 'id="save-policy"' in response.content.decode()
    assert floor().revision == 1
    assert floor().rules.get().params["value"] == 0.8


def test_saving_after_the_simulation_records_the_next_revision(
    admin_client, portfolio, governance_admin
):
    simulated = admin_client.post("/policies/floor/edit/", floor_edit("0.92"))

    response = admin_client.post(
        "/policies/floor/edit/",
        floor_edit("0.92", action="save", simulated=simulated_token(simulated)),
    )

    assert response.status_code == 302
    assert response["Location"] == "/policies/floor/"
    policy = floor()
    assert (policy.revision, policy.rules.get().params["value"]) == (2, 0.92)
    revision = policy.revisions.get(revision=2)
    assert revision.reason == "Auditors asked for a higher floor"
    assert revision.changed_by == governance_admin
    assert LogEntry.objects.get_for_object(revision).get().actor == governance_admin
    detail = admin_client.get("/policies/floor/").content.decode()
    assert "saved as revision 2" in detail


def test_save_without_a_simulation_of_this_very_proposal_simulates_instead(
    admin_client, portfolio
):
    simulated = admin_client.post("/policies/floor/edit/", floor_edit("0.92"))

    response = admin_client.post(
        "/policies/floor/edit/",
        floor_edit("0.95", action="save", simulated=simulated_token(simulated)),
    )

    assert response.status_code == 200
    assert response.context["resimulated"]
    assert response.context["result"]["summary"]["newly_failing"] == 1
    assert floor().revision == 1


def test_saving_needs_a_reason_and_writes_nothing_without(admin_client, portfolio):
    simulated = admin_client.post("/policies/floor/edit/", floor_edit(reason=""))

    response = admin_client.post(
        "/policies/floor/edit/",
        floor_edit(reason="  ", action="save", simulated=simulated_token(simulated)),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert 'id="save-policy"' in response.content.decode()  # still offered
    assert floor().revision == 1


def test_a_policy_changed_since_the_form_was_loaded_is_not_overwritten(
    admin_client, portfolio, governance_admin
):
    simulated = admin_client.post("/policies/floor/edit/", floor_edit("0.92"))
    policy = floor()
    update_policy(
        actor=governance_admin,
        policy=policy,
        document=replace(policy_document(policy), enforcement="advisory"),
        reason="Someone else, meanwhile",
    )

    response = admin_client.post(
        "/policies/floor/edit/",
        floor_edit("0.92", action="save", simulated=simulated_token(simulated)),
    )

    assert response.status_code == 409
    assert "revision 2" in response.context["conflict"].message
    assert 'id="conflict"' in response.content.decode()
    policy = floor()
    assert (policy.revision, policy.enforcement) == (2, "advisory")
    assert policy.rules.get().params["value"] == 0.8


def test_invalid_parameters_are_shown_on_their_field_and_nothing_runs(
    admin_client, portfolio
):
    response = admin_client.post(
        "/policies/floor/edit/",
        floor_edit(
            **{
                "rules-1-kind": "min_approvals",
                "rules-1-min_approvals-count": "0",
            }
        ),
    )

    assert response.status_code == 400
    row = response.context["form"].rules.forms[1]
    assert row.errors["min_approvals-count"] == ["Must be at least 1."]
    assert "result" not in response.context
    assert floor().revision == 1


def test_a_missing_parameter_is_named_on_its_field(admin_client, portfolio):
    response = admin_client.post(
        "/policies/floor/edit/", floor_edit(**{"rules-0-metric_threshold-metric": ""})
    )

    assert response.status_code == 400
    row = response.context["form"].rules.forms[0]
    assert row.errors["metric_threshold-metric"] == ["This parameter is required."]


def test_a_filled_blank_row_adds_a_rule_and_brings_another_blank_row(
    admin_client, portfolio
):
    response = admin_client.post(
        "/policies/floor/edit/",
        floor_edit(
            **{
                "rules-1-kind": "model_card_fields",
                "rules-1-model_card_fields-fields": ["intended_use", "limitations"],
            }
        ),
    )

    assert response.status_code == 200
    assert len(response.context["form"].rules.forms) == 3
    assert 'name="rules-TOTAL_FORMS" value="3"' in response.content.decode()


def test_removing_a_rule_and_changing_scope_reach_the_saved_revision(
    admin_client, portfolio
):
    data = floor_edit(
        **{
            "rules-0-remove": "on",
            "rules-1-kind": "max_age_days",
            "rules-1-max_age_days-days": "365",
            "risk_tiers": ["high", "critical"],
        }
    )
    simulated = admin_client.post("/policies/floor/edit/", data)
    admin_client.post(
        "/policies/floor/edit/",
        {**data, "action": "save", "simulated": simulated_token(simulated)},
    )

    document = floor().revisions.get(revision=2).document
    assert document["rules"] == [{"kind": "max_age_days", "params": {"days": 365}}]
    assert document["scope"]["risk_tiers"] == ["critical", "high"]


def test_a_new_policy_is_simulated_then_created_at_revision_one(
    admin_client, portfolio, governance_admin
):
    data = {
        "name": "card-complete",
        "description": "Every model documents its use.",
        "enforcement": "advisory",
        "risk_tiers": ["low"],
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-0-kind": "model_card_fields",
        "rules-0-model_card_fields-fields": ["intended_use"],
        "reason": "Model cards were often empty",
        "action": "simulate",
    }
    simulated = admin_client.post("/policies/new/", data)
    assert simulated.status_code == 200
    assert not Policy.objects.filter(name="card-complete").exists()

    response = admin_client.post(
        "/policies/new/",
        {**data, "action": "save", "simulated": simulated_token(simulated)},
    )

    assert response["Location"] == "/policies/card-complete/"
    revision = PolicyRevision.objects.get(policy__name="card-complete")
    assert (revision.revision, revision.changed_by) == (1, governance_admin)
    assert revision.document["enforcement"] == "advisory"


def test_a_new_policy_cannot_take_a_name_in_use(admin_client, portfolio):
    data = {
        "name": "floor",
        "enforcement": "enforce",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-0-kind": "",
        "reason": "Again",
        "action": "simulate",
    }
    simulated = admin_client.post("/policies/new/", data)

    response = admin_client.post(
        "/policies/new/",
        {**data, "action": "save", "simulated": simulated_token(simulated)},
    )

    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["name"][0]
    assert Policy.objects.filter(name="floor").count() == 1


def edit_floor_twice(governance_admin) -> None:
    policy = floor()
    document = policy_document(policy)
    update_policy(
        actor=governance_admin,
        policy=policy,
        document=replace(document, enforcement="advisory"),
        reason="Advisory during recalibration",
    )
    policy = floor()
    document = policy_document(policy)
    raised = RuleDocument(
        kind="metric_threshold", params={"metric": "auc", "op": ">=", "value": 0.85}
    )
    update_policy(
        actor=governance_admin,
        policy=policy,
        document=replace(
            document,
            enforcement="enforce",
            risk_tiers=("high",),
            rules=(raised, RuleDocument("min_approvals", {"count": 2})),
        ),
        reason="Recalibrated: 0.85 and two approvals for high risk",
    )


def test_the_diff_shows_what_changed_who_changed_it_and_why(
    portfolio, auditor, governance_admin
):
    edit_floor_twice(governance_admin)

    response = signed_in(auditor).get("/policies/floor/revisions/?from=1&to=3")

    assert response.status_code == 200
    changes = {row["position"]: row for row in response.context["rule_changes"]}
    assert changes[1]["change"] == "changed"
    assert changes[1]["before_words"] == "auc must be at least 0.80"
    assert changes[1]["after_words"] == "auc must be at least 0.85"
    assert changes[2]["change"] == "added"
    assert response.context["scope_changes"][0]["added"] == ["high"]
    page = response.content.decode()
    assert "Advisory during recalibration" in page
    assert "Recalibrated: 0.85 and two approvals for high risk" in page
    assert 'id="diff-enforcement"' not in page  # enforce on both sides


def test_the_diff_defaults_to_the_latest_change(portfolio, viewer, governance_admin):
    edit_floor_twice(governance_admin)

    response = signed_in(viewer).get("/policies/floor/revisions/")

    assert response.context["from_revision"].revision == 2
    assert response.context["to_revision"].revision == 3
    assert 'id="diff-enforcement"' in response.content.decode()


@pytest.mark.parametrize("query", ["from=9", "to=abc", "from=-1"])
def test_an_unknown_revision_is_a_400_naming_the_field(portfolio, viewer, query):
    response = signed_in(viewer).get(f"/policies/floor/revisions/?{query}")

    assert response.status_code == 400
    field = query.split("=")[0]
    assert response.context["diff_error"].field == field
    assert "this policy has revisions 1" in response.content.decode()


@pytest.mark.parametrize("extra", [0, 6])
def test_the_policy_list_query_count_is_pinned(
    portfolio, viewer, make_policy, django_assert_num_queries, extra
):
    for index in range(extra):
        make_policy(f"extra-{index}", [{"kind": "max_age_days", "params": {"days": 9}}])
    client = signed_in(viewer)

    with django_assert_num_queries(POLICY_LIST):
        client.get("/policies/")


@pytest.mark.parametrize("changes", [0, 2])
def test_the_policy_page_and_diff_query_counts_are_pinned(
    portfolio, viewer, governance_admin, django_assert_num_queries, changes
):
    if changes:
        edit_floor_twice(governance_admin)
    client = signed_in(viewer)

    with django_assert_num_queries(POLICY_PAGE):
        client.get("/policies/floor/")
    with django_assert_num_queries(POLICY_REVISIONS):
        client.get("/policies/floor/revisions/")


@pytest.mark.parametrize("extra_rules", [0, 5])
def test_the_editor_query_count_is_pinned(
    admin_client, portfolio, governance_admin, django_assert_num_queries, extra_rules
):
    policy = floor()
    document = policy_document(policy)
    if extra_rules:
        update_policy(
            actor=governance_admin,
            policy=policy,
            document=replace(
                document,
                rules=document.rules
                + tuple(
                    RuleDocument("max_age_days", {"days": 10 + index})
                    for index in range(extra_rules)
                ),
            ),
            reason="More rules",
        )

    with django_assert_num_queries(POLICY_EDITOR):
        admin_client.get("/policies/floor/edit/")
