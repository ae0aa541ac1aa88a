"""One answer to "is model M compliant in environment E?" on every surface.

DESIGN §2: the answer is about the version serving M in E (its active
primary, an active canary reported beside it), else about M's candidate
(newest approved, else newest submitted; never a draft). A portfolio with
every case is read through the admin's column, the command center's list,
model page, heat map and attention list, the CSV, /portfolio/summary/ and
the gate's dry run, and each must give the table below."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.models import Approval, Waiver
from governance.selectors import evaluate_versions
from registry.models import Environment, ModelVersion
from tests.factories import (
    DeploymentFactory,
    MLModelFactory,
    ModelVersionFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ENVIRONMENTS = ("development", "staging", "production")
PASS, FAIL = True, False

# (model, risk tier) -> per environment: (the version that speaks, passes).
# None: no version speaks (no version, or only drafts).
EXPECTED = {
    # v1 serves production and fails its floor; the newer v2 passes but does
    # not serve there, so it speaks only where nothing serves.
    ("served", "high"): {
        "development": ("v2 candidate", PASS),
        "staging": ("v2 candidate", PASS),
        "production": ("v1 serving", FAIL),
    },
    # v1 serves production with v2 as a 10 % canary; v2 fails the floor.
    ("canaried", "critical"): {
        "development": ("v2 candidate", PASS),
        "staging": ("v2 candidate", PASS),
        "production": ("v1 serving", PASS),
    },
    # In review with no approval, but the approval rule is waived.
    ("waived", "medium"): {
        "development": ("v1 candidate", PASS),
        "staging": ("v1 candidate", PASS),
        "production": ("v1 candidate", PASS),
    },
    # In review past its deadline (medium: 10 days), the approval rule waived:
    # it passes, but its readiness's approvals part scores nothing.
    ("late", "medium"): {
        "development": ("v1 candidate", PASS),
        "staging": ("v1 candidate", PASS),
        "production": ("v1 candidate", PASS),
    },
    # The newest version is a draft: the approved v1 speaks.
    ("drafty", "low"): {
        "development": ("v1 candidate", PASS),
        "staging": ("v1 candidate", PASS),
        "production": ("v1 candidate", PASS),
    },
    # Rejected, never approved: the newest submitted version speaks, and fails.
    ("rejected", "low"): {
        "development": ("v1 candidate", FAIL),
        "staging": ("v1 candidate", FAIL),
        "production": ("v1 candidate", FAIL),
    },
    ("sketch", "high"): dict.fromkeys(ENVIRONMENTS),
    ("empty", "medium"): dict.fromkeys(ENVIRONMENTS),
}
CANARY = {("canaried", "production"): ("v2 canary at 10%", FAIL)}


def production_floor():
    return {
        "kind": "metric_threshold",
        "params": {"metric": "auc", "op": ">=", "value": 0.8},
    }


@pytest.fixture
def portfolio(make_policy, reviewer, governance_admin):
    make_policy("floor", [production_floor()], environments=["production"])
    review = make_policy("review", [{"kind": "min_approvals", "params": {"count": 1}}])
    team = TeamFactory(name="risk", display_name="Risk")
    production = Environment.objects.get(name="production")
    Environment.objects.filter(name="staging").update(
        frozen=True, freeze_reason="Quarter close", frozen_at=timezone.now()
    )

    def version(model, number, status, auc, *, approved=False):
        made = ModelVersionFactory(
            model=model, version=number, status=status, metrics={"auc": auc}
        )
        if approved:
            Approval.objects.create(
                version=made, reviewer=reviewer, decision=Approval.Decision.APPROVE
            )
        return made

    def model(name, tier, **fields):
        return MLModelFactory(name=name, team=team, risk_tier=tier, **fields)

    served = model("served", "high")
    old = version(served, 1, "approved", 0.7, approved=True)
    version(served, 2, "approved", 0.9, approved=True)
    DeploymentFactory(version=old, environment=production)

    canaried = model("canaried", "critical")
    primary = version(canaried, 1, "approved", 0.9, approved=True)
    canary = version(canaried, 2, "approved", 0.75, approved=True)
    DeploymentFactory(version=primary, environment=production)
    DeploymentFactory(
        version=canary, environment=production, strategy="canary", traffic_percent=10
    )

    waived = version(model("waived", "medium"), 1, "in_review", 0.9)
    late = version(model("late", "medium"), 1, "in_review", 0.9)
    ModelVersion.objects.filter(pk=late.pk).update(
        submitted_at=timezone.now() - timedelta(days=12)
    )
    for in_review in (waived, late):
        Waiver.objects.create(
            version=in_review,
            policy=review,
            rule_position=1,
            justification="Second reviewer on leave; approved by the committee.",
            granted_by=governance_admin,
            expires_at=timezone.now() + timedelta(days=7),
        )

    drafty = model("drafty", "low")
    version(drafty, 1, "approved", 0.85, approved=True)
    version(drafty, 2, "draft", 0.1)

    version(model("rejected", "low"), 1, "rejected", 0.95)
    version(model("sketch", "high"), 1, "draft", 0.95)
    model("empty", "medium")

    archived = model("archived", "low", archived_at=timezone.now())
    version(archived, 1, "approved", 0.9, approved=True)


def expected_cells():
    for (name, tier), environments in EXPECTED.items():
        for environment, expected in environments.items():
            yield name, tier, environment, expected


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_every_surface_gives_the_same_version_and_verdict(
    portfolio, executive, governance_admin, api_client_for
):
    pages = signed_in(executive)

    # The command center's model list, one environment at a time.
    for environment in ENVIRONMENTS:
        page = pages.get(f"/models/?environment={environment}&page_size=100")
        html = page.content.decode()
        assert 'data-model="archived"' not in html
        for name, _tier, env, expected in expected_cells():
            if env != environment:
                continue
            row = html[html.index(f'<tr data-model="{name}">') :]
            row = row[: row.index("</tr>")]
            cells = text(row)
            if expected is None:
                assert "no submitted version" in cells, (name, env)
                continue
            label, passed = expected
            subject = row[row.index(f'data-subject="{name}">') :]
            assert (
                text(subject[subject.index(">") + 1 : subject.index("</td>")])[
                    : len(label)
                ]
                == label
            ), (name, env)
            assert ("✓ compliant" if passed else "✗ not compliant") in cells, (
                name,
                env,
            )

    # The model page, every environment.
    for (name, _tier), environments in EXPECTED.items():
        html = pages.get(f"/models/{name}/").content.decode()
        for environment, expected in environments.items():
            cell = html[html.index(f'<dd data-environment="{environment}">') :]
            cell = text(cell[: cell.index("</dd>")])
            if expected is None:
                assert cell == "no submitted version", (name, environment)
                continue
            label, passed = expected
            verdict = "✓ passes policy" if passed else "✗ fails policy"
            assert cell.startswith(f"{label} {verdict}"), (name, environment, cell)
            canary = CANARY.get((name, environment))
            if canary:
                assert f"{canary[0]}: ✗ fails" in cell

    # The CSV, every environment.
    body = b"".join(pages.get("/exports/inventory.csv").streaming_content).decode()
    csv_rows = {row["model"]: row for row in csv.DictReader(io.StringIO(body))}
    assert "archived" not in csv_rows
    for name, _tier, environment, expected in expected_cells():
        row = csv_rows[name]
        if expected is None:
            assert row[f"{environment}_version"] == "", (name, environment)
            assert row[f"compliant_{environment}"] == "", (name, environment)
            continue
        label, passed = expected
        canary = CANARY.get((name, environment))
        shown = f"{label}; {canary[0]}" if canary else label
        assert row[f"{environment}_version"] == shown, (name, environment)
        assert row[f"compliant_{environment}"] == ("yes" if passed else "no")

    # The summary and its heat map, from the API.
    summary = api_client_for(executive).get("/api/v1/portfolio/summary/").json()
    compliant_in_production = [
        name
        for (name, _tier), environments in EXPECTED.items()
        if environments["production"] and environments["production"][1]
    ]
    assert summary["models"] == len(EXPECTED)
    assert summary["models_compliant"] == len(compliant_in_production)
    for environment in ENVIRONMENTS:
        for tier in ("low", "medium", "high", "critical"):
            cells = [
                expected
                for (_name, model_tier), environments in EXPECTED.items()
                if model_tier == tier
                and (expected := environments[environment]) is not None
            ]
            heat = summary["by_risk_tier"][tier]["environments"][environment]
            assert heat["compliant"] == sum(passed for _, passed in cells)
            assert heat["serving"] == sum("serving" in label for label, _ in cells)
            assert heat["candidates"] == sum("candidate" in label for label, _ in cells)
    # Versions serving production: served v1 (fails), canaried v1 and its
    # canary v2 (passes, fails).
    assert summary["production"] == {
        "active": 3,
        "compliant": 1,
        "compliance_rate": 0.333,
    }

    # Readiness speaks about the version that speaks in production, and every
    # surface shows the same score as governance's readiness of that version.
    attention = {item["model"]: item for item in summary["attention"]}
    for (name, _tier), environments in EXPECTED.items():
        production = environments["production"]
        if production is None:
            assert name not in attention
            assert csv_rows[name]["readiness"] == ""
            continue
        label = production[0]
        number = int(label.split()[0][1:])
        subject = ModelVersion.objects.get(model__name=name, version=number)
        readiness = (
            evaluate_versions(versions=ModelVersion.objects.filter(pk=subject.pk))
            .readiness(subject.pk, "production")
            .score
        )
        assert attention[name]["version"] == label
        assert attention[name]["readiness"] == readiness
        assert csv_rows[name]["readiness_version"] == label
        assert csv_rows[name]["readiness"] == f"{readiness:.1f}"
        model_page = pages.get(f"/models/{name}/").content.decode()
        assert f'data-readiness="{name}">{readiness:.1f}<' in model_page
        assert f'<span class="hint" data-readiness-subject>{label}</span>' in (
            model_page
        )

    # The overdue review costs the approvals part (20 points), the same on
    # every surface, and it is the late model's exposure reason everywhere.
    assert attention["late"]["readiness"] == attention["waived"]["readiness"] - 20
    overview = pages.get("/").content.decode()
    for name, item in attention.items():
        assert csv_rows[name]["exposure"] == f"{item['exposure']:.1f}"
        assert csv_rows[name]["exposure_reason"] == item["reason"]
        assert f'data-exposure="{name}">{item["exposure"]:.1f}<' in overview
    assert attention["late"]["reason"] == (
        "Has v1 in review 2 days past its deadline; serves no production traffic"
    )
    assert summary["attention"][0]["model"] == "served"
    assert attention["served"]["reason"] == (
        "Serves 100% of production and fails 1 enforced rule"
    )

    # The admin's production column, archived models included.
    admin = signed_in(UserFactory(username="root", is_staff=True, is_superuser=True))
    html = admin.get(reverse("admin:registry_mlmodel_changelist")).content.decode()
    admin_expected = {name: envs["production"] for (name, _), envs in EXPECTED.items()}
    admin_expected["archived"] = ("v1 candidate", PASS)
    for name, expected in admin_expected.items():
        row = html[html.index(f">{name}</a>") :]
        cell = row[row.index('<td class="field-production_verdict">') :]
        cell = text(cell[: cell.index("</td>")])
        if expected is None:
            assert cell == "no submitted version", name
        else:
            label, passed = expected
            assert cell.startswith(f"{label}: {'passes' if passed else 'fails'}"), (
                name,
                cell,
            )

    # The gate's dry run for the speaking version, in every environment
    # (staging is frozen: the freeze check fails, the governance one stands).
    gate = api_client_for(governance_admin)
    for name, _tier, environment, expected in [
        *expected_cells(),
        ("archived", "low", "production", ("v1 candidate", PASS)),
    ]:
        if expected is None:
            continue
        label, passed = expected
        answer = gate.post(
            "/api/v1/deployments/check/",
            {
                "model": name,
                "version": int(label.split()[0][1:]),
                "environment": environment,
            },
            format="json",
        ).json()
        checks = {check["check"]: check for check in answer["checks"]}
        assert checks["governance"]["passed"] is passed, (name, environment)
        assert checks["freeze"]["passed"] is (environment != "staging")
    canary_answer = gate.post(
        "/api/v1/deployments/check/",
        {"model": "canaried", "version": 2, "environment": "production"},
        format="json",
    ).json()
    assert {c["check"]: c["passed"] for c in canary_answer["checks"]}[
        "governance"
    ] is CANARY[("canaried", "production")][1]
