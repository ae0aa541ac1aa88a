"""Issue 24's worked example through the API, as the people do it: a credit
scoring model's intake derives high-risk (Annex III 5(b)) with human
oversight left blank; under the EU AI Act pack art-14 and art-10 are not met
and the production gate refuses it (an enforced four-fifths rule for
high-risk production) until its team answers the oversight questions in a
new intake revision and posts a fairness report; then both are met, the gate
approves, the Annex IV document is generated, and an auditor downloads it
and the evidence pack holding it."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.engine import MET, PARTLY_MET, UNMET
from compliance.services import set_framework_enabled
from registry.models import Environment
from tests.command_center.conftest import FULL_CARD, approve
from tests.factories import DeploymentFactory, MLModelFactory, ModelVersionFactory
from tests.registry.intake_answers import answers

pytestmark = pytest.mark.django_db

MODEL = "pd-scorecard"
INTAKE = f"/api/v1/models/{MODEL}/intake/"
OBLIGATIONS = f"/api/v1/models/{MODEL}/obligations/"
VERSION = f"/api/v1/models/{MODEL}/versions/1/"
DOCUMENTATION = VERSION + "documentation/"
GATE = {"model": MODEL, "version": 1, "environment": "production"}
OVERSIGHT = {
    "human_oversight_measures": "A credit officer confirms every decline and "
    "can override the score; the model owner can stop scoring.",
    "human_oversight_contact": "Head of Credit Decisioning",
}


@pytest.fixture
def credit(team, data_scientist, reviewer, second_reviewer, governance_admin):
    """pd-scorecard v1, approved under four eyes with a full model card, a
    day in staging; the EU AI Act pack enabled; a four-fifths rule enforced
    on high-risk models in production."""
    model = MLModelFactory(name=MODEL, team=team, owner=data_scientist)
    version = ModelVersionFactory(
        model=model,
        version=1,
        status="approved",
        created_by=data_scientist,
        metrics={"auc": 0.84},
        model_card=FULL_CARD,
        artifact_sha256="c" * 64,
        training_data_ref="s3://loans/applications/2019-2025",
    )
    approve(version, reviewer)
    approve(version, second_reviewer)
    DeploymentFactory(
        version=version,
        environment_id=staging_id(),
        activated_at=timezone.now() - timedelta(hours=30),
    )
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    return model


def staging_id() -> int:
    return Environment.objects.get(name="staging").pk


@pytest.fixture
def four_fifths(make_policy):
    return make_policy(
        "credit-fairness",
        [
            {
                "kind": "fairness_gap",
                "params": {
                    "metric": "disparate_impact_ratio",
                    "min": 0.8,
                    "max_age_days": 90,
                },
            }
        ],
        risk_tiers=["high"],
        environments=["production"],
    )


def fairness_report(women_selected: int) -> dict:
    end = timezone.now() - timedelta(days=2)
    return {
        "environment": "production",
        "window_start": (end - timedelta(days=7)).isoformat(),
        "window_end": end.isoformat(),
        "attribute": "sex",
        "group_counts": {
            "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
            "women": {
                "tp": women_selected,
                "fp": 0,
                "tn": 100 - women_selected - 10,
                "fn": 10,
            },
        },
    }


def eu_obligations(client) -> dict[str, dict]:
    response = client.get(OBLIGATIONS)
    assert response.status_code == 200, response.content
    (eu,) = response.json()["frameworks"]
    assert eu["framework"] == "eu_ai_act"
    return {row["id"]: row for row in eu["obligations"]}


def gaps(obligation: dict) -> list[str]:
    return [item["detail"] for item in obligation["evidence"] if not item["met"]]


def read_archive(content: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def test_the_worked_example(
    credit, four_fifths, api_client_for, data_scientist, auditor
):
    team = api_client_for(data_scientist)

    # The intake derives high-risk, Annex III 5(b); oversight is left blank.
    first = team.post(INTAKE, answers(), format="json")
    assert first.status_code == 201, first.content
    assert first.json()["risk_tier"] == "high"
    assert first.json()["intake"]["summary"] == (
        "high-risk (Annex III 5(b), creditworthiness)"
    )

    before = eu_obligations(team)
    assert before["art-6"]["status"] == MET
    assert before["art-14"]["status"] in (PARTLY_MET, UNMET)
    assert gaps(before["art-14"]) == [
        "intake revision 1 leaves human oversight measures and human "
        "oversight contact blank"
    ]
    assert before["art-10"]["status"] in (PARTLY_MET, UNMET)
    assert gaps(before["art-10"]) == ["no fairness report for v1 candidate"]
    assert before["art-11"]["status"] == PARTLY_MET
    assert gaps(before["art-11"]) == [
        "no technical documentation was generated for v1 candidate"
    ]

    # The gate refuses production: no fairness report speaks for it there.
    blocked = team.post("/api/v1/deployments/", GATE, format="json")
    assert blocked.status_code == 201, blocked.content
    assert blocked.json()["decision"] == "blocked"
    (result,) = blocked.json()["evaluation"]["results"]
    assert result["kind"] == "fairness_gap" and not result["passed"]

    # The team answers the oversight questions in a new revision and posts a
    # fairness report: 0.55 / 0.6 = 0.92, past the four-fifths floor.
    second = team.post(INTAKE, answers(**OVERSIGHT), format="json")
    assert second.status_code == 201, second.content
    assert second.json()["intake"]["revision"] == 2
    posted = team.post(
        VERSION + "fairness-reports/", fairness_report(55), format="json"
    )
    assert posted.status_code == 201, posted.content

    after = eu_obligations(team)
    assert after["art-14"]["status"] == MET
    assert after["art-10"]["status"] == MET
    assert [item["met"] for item in after["art-14"]["evidence"]] == [True, True]

    approved = team.post("/api/v1/deployments/", GATE, format="json")
    assert approved.status_code == 201, approved.content
    assert approved.json()["decision"] == "approved"

    # The Annex IV document, generated by the team, read by an auditor.
    generated = team.post(DOCUMENTATION)
    assert generated.status_code == 201, generated.content
    revision = generated.json()["revision"]
    assert eu_obligations(team)["art-11"]["status"] == MET

    reader = api_client_for(auditor)
    pdf = reader.get(f"{DOCUMENTATION}{revision}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == generated.json()["pdf_sha256"]

    pack = reader.get(f"/api/v1/models/{MODEL}/evidence-pack/")
    assert pack.status_code == 200
    files = read_archive(pack.content)
    name = f"technical-documentation/{MODEL}-v1-r{revision}.pdf"
    assert files[name] == pdf.content
    (row,) = json.loads(files["technical_documents.json"])
    assert row["pdf_sha256"] == generated.json()["pdf_sha256"]
    # The pack holds the fairness report as posted and the coverage as the
    # obligations endpoint reads now: art-10 and art-14 met.
    (fairness,) = json.loads(files["fairness_reports.json"])
    posted_report = posted.json()
    del posted_report["alerts"]
    assert fairness == posted_report
    assert fairness["four_fifths_passed"] is True
    assert json.loads(files["obligations.json"]) == reader.get(OBLIGATIONS).json()
    (eu,) = json.loads(files["obligations.json"])["frameworks"]
    statuses = {row["id"]: row["status"] for row in eu["obligations"]}
    assert statuses["art-10"] == statuses["art-14"] == MET


def test_an_unfair_report_keeps_the_gate_shut_though_fairness_was_examined(
    credit, four_fifths, api_client_for, data_scientist
):
    team = api_client_for(data_scientist)
    team.post(INTAKE, answers(**OVERSIGHT), format="json")
    # 0.3 / 0.6 = 0.5: examined (art-10 asks for the examination), but the
    # enforced four-fifths rule refuses production.
    team.post(VERSION + "fairness-reports/", fairness_report(30), format="json")

    assert eu_obligations(team)["art-10"]["status"] == MET
    blocked = team.post("/api/v1/deployments/", GATE, format="json").json()
    assert blocked["decision"] == "blocked"
    assert blocked["evaluation"]["results"][0]["detail"] == (
        "disparate_impact_ratio 0.50 is below the minimum 0.80 by sex in production"
    )
