"""The simulation page: a proposal from the form, the impact table, saved
runs reopened and compared with now; nothing it does changes a policy."""

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client

from command_center.models import SavedSimulation
from governance.models import Policy, Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(executive) -> Client:
    client = Client()
    client.force_login(executive)
    return client


def policy_rows() -> list[tuple]:
    return list(
        Policy.objects.order_by("name").values_list(
            "name", "revision", "enforcement", "risk_tiers", "environments"
        )
    ) + list(
        Rule.objects.order_by("pk").values_list("policy__name", "position", "params")
    )


class FormFields(HTMLParser):
    """The fields of the simulation form as a browser would submit them:
    text and hidden inputs, ticked boxes, the selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        name = attr.get("name")
        if tag == "input" and name and attr.get("type") != "submit":
            if attr.get("type") != "checkbox" or "checked" in attr:
                self.data.setdefault(name, []).append(attr.get("value") or "")
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attr:
            self.data.setdefault(self.select, []).append(attr.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def form(client: Client) -> dict[str, Any]:
    """The form's fields as the page renders them (today's policies)."""
    html = client.get("/simulation/").content.decode()
    form_html = html[html.index('<form method="post" action="/simulation/"') :]
    parser = FormFields()
    parser.feed(form_html[: form_html.index("</form>")])
    return {
        name: values
        if len(values) > 1 or name.endswith(("risk_tiers", "environments"))
        else values[0]
        for name, values in parser.data.items()
    }


def prefix_of(client: Client, name: str) -> str:
    policies = client.get("/simulation/").context["form"].policies
    return next(policy.prefix for policy in policies if policy.document.name == name)


def error_of(response, field: str) -> str:
    """The text of the error list the page shows under one field ("" if none)."""
    html = response.content.decode()
    marker = f'<ul class="errorlist" id="id_{field}_error">'
    if marker not in html:
        return ""
    start = html.index(marker) + len(marker)
    text = re.sub(r"<[^>]+>", " ", html[start : html.index("</ul>", start)])
    return unescape(text).strip()


def new_rule(prefix: str, kind: str, params: str) -> dict[str, str]:
    """The fields of a rule added in a policy's last row (its one rule is row 0)."""
    return {f"{prefix}-rules-1-kind": kind, f"{prefix}-rules-1-params": params}


def test_the_page_says_nothing_is_enforced(client, portfolio):
    html = client.get("/simulation/").content.decode()

    assert "nothing here is enforced" in html
    assert 'data-policy="floor"' in html and 'data-policy="review"' in html


def test_raising_a_threshold_shows_who_would_newly_fail(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-rules-0-params"] = '{"metric": "auc", "op": ">=", "value": 0.92}'
    before = policy_rows()

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 200
    result = response.context["result"]
    assert response.context["proposal"] == {
        "upsert": [
            {
                "name": "floor",
                "rules": [
                    {
                        "kind": "metric_threshold",
                        "params": {"metric": "auc", "op": ">=", "value": 0.92},
                    }
                ],
            }
        ],
        "remove": [],
    }
    # alpha's auc 0.90 no longer clears the floor in production.
    assert result["summary"]["newly_failing"] == 1
    assert [(c["model"], c["environment"]) for c in result["changes"]] == [
        ("alpha", "production")
    ]
    assert "impact-table" in response.content.decode()
    assert policy_rows() == before
    assert not SavedSimulation.objects.exists()


def test_removing_a_policy_and_changing_enforcement(client, portfolio):
    data = form(client)
    data[f"{prefix_of(client, 'review')}-remove"] = "1"
    data[f"{prefix_of(client, 'floor')}-enforcement"] = "advisory"

    response = client.post("/simulation/", {**data, "action": "run"})

    proposal = response.context["proposal"]
    assert proposal["remove"] == ["review"]
    assert proposal["upsert"] == [{"name": "floor", "enforcement": "advisory"}]
    # charlie passes everywhere without the review rule, bravo in production.
    assert response.context["result"]["summary"]["newly_passing"] == 4


def test_scope_changes_and_an_added_rule_reach_the_engine(client, portfolio):
    data = form(client)
    review = prefix_of(client, "review")
    data[f"{review}-risk_tiers"] = ["critical", "high"]
    data.update(
        new_rule(
            prefix_of(client, "floor"), "model_card_fields", '{"fields": ["caveats"]}'
        )
    )

    response = client.post("/simulation/", {**data, "action": "run"})

    upsert = {item["name"]: item for item in response.context["proposal"]["upsert"]}
    assert upsert["review"]["scope"]["risk_tiers"] == ["critical", "high"]
    assert upsert["floor"]["rules"][-1] == {
        "kind": "model_card_fields",
        "params": {"fields": ["caveats"]},
    }
    changes = response.context["result"]["changes"]
    # bravo's card has no caveats: it would fail in production still; charlie
    # (low tier) leaves the review scope and passes outside production.
    assert ("charlie", "development", True) in [
        (c["model"], c["environment"], c["after"]) for c in changes
    ]


def test_unreadable_parameters_name_the_field_and_run_nothing(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-rules-0-params"] = "{auc: high}"

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    assert "Not valid JSON" in error_of(response, f"{floor}-rules-0-params")
    assert "result" not in response.context


def test_a_proposal_the_engine_refuses_is_a_400_with_its_reason(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-rules-0-params"] = '{"metric": "auc", "op": "=="}'

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    # The engine's own reason (validate_rule), next to the rule it is about.
    assert "params.op: Unknown value '=='" in error_of(
        response, f"{floor}-rules-0-params"
    )
    assert "result" not in response.context


def test_a_simulation_the_service_refuses_shows_its_reason(client, portfolio, settings):
    settings.SIMULATION_TIME_BUDGET_SECONDS = 0

    response = client.post("/simulation/", {**form(client), "action": "run"})

    assert response.status_code == 413
    assert "The proposal could not run." in response.content.decode()
    assert "did not finish within its budget" in response.content.decode()
    assert "result" not in response.context


def test_saving_keeps_inputs_results_author_and_time_and_changes_no_policy(
    client, portfolio, executive
):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-rules-0-params"] = '{"metric": "auc", "op": ">=", "value": 0.92}'
    before = policy_rows()

    response = client.post(
        "/simulation/", {**data, "action": "save", "name": "Floor at 0.92"}
    )

    run = SavedSimulation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/simulation/{run.pk}/"
    assert run.name == "Floor at 0.92"
    assert run.created_by == executive
    assert run.proposal["upsert"][0]["name"] == "floor"
    assert run.result["summary"]["newly_failing"] == 1
    assert run.policy_revisions == {"floor": 1, "review": 1}
    assert policy_rows() == before
    assert LogEntry.objects.get_for_object(run).get().actor == executive

    page = client.get(f"/simulation/{run.pk}/")
    assert "Floor at 0.92" in page.content.decode()
    assert page.context["run"].result == run.result


def test_a_saved_run_needs_a_name(client, portfolio):
    response = client.post(
        "/simulation/", {**form(client), "action": "save", "name": " "}
    )

    assert response.status_code == 400
    assert "Give the run a name" in response.content.decode()
    assert not SavedSimulation.objects.exists()


def test_a_saved_run_compared_with_now_shows_what_moved(client, portfolio, reviewer):
    data = form(client)
    data[f"{prefix_of(client, 'floor')}-rules-0-params"] = (
        '{"metric": "auc", "op": ">=", "value": 0.92}'
    )
    client.post("/simulation/", {**data, "action": "save", "name": "Floor at 0.92"})
    run = SavedSimulation.objects.get()
    # Since then, a new approved model with auc 0.90 joined the portfolio.
    from tests.command_center.conftest import approve
    from tests.factories import MLModelFactory, ModelVersionFactory

    version = ModelVersionFactory(
        model=MLModelFactory(name="golf"),
        version=1,
        status="approved",
        metrics={"auc": 0.9},
    )
    approve(version, reviewer)

    page = client.get(f"/simulation/{run.pk}/?compare=1")

    comparison = {
        label: (before, after, delta)
        for label, before, after, delta in page.context["comparison"]
    }
    assert comparison["Newly failing"] == (1, 2, 1)
    assert comparison["Pairs evaluated"] == (9, 12, 3)
    assert run.result == SavedSimulation.objects.get().result


def test_saved_runs_are_for_simulation_roles_only(client, portfolio, viewer):
    client.post("/simulation/", {**form(client), "action": "save", "name": "Baseline"})
    run = SavedSimulation.objects.get()
    other = Client()
    other.force_login(viewer)

    assert other.get(f"/simulation/{run.pk}/").status_code == 403
    assert (
        other.post("/simulation/", {"action": "save", "name": "x"}).status_code == 403
    )
    assert SavedSimulation.objects.count() == 1
    assert client.get("/simulation/999999/").status_code == 404


def test_an_invalid_rule_parameter_is_shown_on_its_own_rule(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-rules-0-params"] = '{"metric": "auc", "op": ">=", "value": 0.85}'
    data.update(new_rule(floor, "model_card_fields", '{"fields": ["colour"]}'))

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    assert "Unknown value 'colour'" in error_of(response, f"{floor}-rules-1-params")
    assert error_of(response, f"{floor}-rules-0-params") == ""
    html = response.content.decode()
    assert re.search(rf'name="{floor}-rules-1-params"[^>]*aria-invalid="true"', html)
    # The edits stay on the page to be corrected.
    assert "0.85" in html and "colour" in html
    assert "result" not in response.context


def test_an_unknown_rule_kind_is_refused(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data.update(new_rule(floor, "coin_flip", '{"p": 0.5}'))

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    assert "Unknown rule kind coin_flip" in error_of(response, f"{floor}-rules-1-kind")
    assert "result" not in response.context


def test_a_new_rule_needs_a_kind_and_a_blank_row_adds_none(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data.update(new_rule(floor, "", '{"count": 2}'))

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    assert "Choose the kind" in error_of(response, f"{floor}-rules-1-kind")

    # The page's own blank row, untouched, proposes nothing.
    response = client.post("/simulation/", {**form(client), "action": "run"})

    assert response.status_code == 200
    assert response.context["proposal"] == {"upsert": [], "remove": []}


def test_the_kind_of_todays_rule_cannot_be_swapped_by_a_posted_field(client, portfolio):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-rules-0-kind"] = "min_approvals"
    data[f"{floor}-rules-0-params"] = '{"metric": "auc", "op": ">=", "value": 0.92}'

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 200
    assert response.context["proposal"]["upsert"][0]["rules"][0]["kind"] == (
        "metric_threshold"
    )


@pytest.mark.parametrize("total", ["51", "1000000000"])
def test_a_tampered_rule_count_beyond_the_maximum_is_refused(client, portfolio, total):
    data = form(client)
    floor = prefix_of(client, "floor")
    data[f"{floor}-rules-TOTAL_FORMS"] = total

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    assert "Please submit at most 50 forms" in response.content.decode()
    assert "result" not in response.context


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rules-TOTAL_FORMS", "many", "ManagementForm data is missing"),
        ("rules-TOTAL_FORMS", "0", "did not arrive; reload the page"),
        ("name", "someone-else", "The policies changed since this page was drawn"),
        ("enforcement", "strict", "Select a valid choice"),
        ("risk_tiers", "extreme", "Select a valid choice"),
    ],
)
def test_tampered_policy_fields_are_refused_with_a_message(
    client, portfolio, field, value, message
):
    data = form(client)
    data[f"{prefix_of(client, 'floor')}-{field}"] = value

    response = client.post("/simulation/", {**data, "action": "run"})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "result" not in response.context


def test_a_post_without_the_form_is_a_400_not_a_500(client, portfolio):
    response = client.post("/simulation/", {"action": "run"})

    assert response.status_code == 400
    assert "Correct the fields marked below" in response.content.decode()
