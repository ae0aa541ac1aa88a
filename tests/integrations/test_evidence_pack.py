"""The evidence pack: a printable page and a zip with a checksum manifest,
for auditors and governance admins."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from compliance.services import set_framework_enabled
from deployments.services import request_deployment
from drift.models import DriftAlert
from drift.services import resolve_alert
from governance.services import approve_version, grant_waiver, submit_for_review
from registry.intake import (
    reject_risk_class_change,
    submit_intake,
)
from registry.models import Environment, RiskClassChange
from tests.drift.conftest import report_body, set_production_floors, shifted_numeric
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import approvals, auc_floor
from tests.registry.intake_answers import CREDIT_SCORING, MINIMAL

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(
    team,
    data_scientist,
    reviewer,
    governance_admin,
    make_policy,
    api_client_for,
):
    """A model with an approved v1 (evaluations, approval, waiver, drift) and
    a draft v2."""
    policy = make_policy("floor", [auc_floor(0.95), approvals(1)])
    model = MLModelFactory(
        name="churn", team=team, description="Who leaves", risk_tier="high"
    )
    v1 = ModelVersionFactory(
        model=model,
        version=1,
        created_by=data_scientist,
        metrics={"auc": 0.91},
        model_card={"intended_use": "Retention offers"},
    )
    submit_for_review(actor=data_scientist, version=v1)
    grant_waiver(
        actor=governance_admin,
        version=v1,
        policy=policy,
        rule_position=1,
        justification="Retraining with Q4 data",
        expires_at=timezone.now() + timedelta(days=30),
    )
    approve_version(version=v1, reviewer=reviewer, comment="Looks sound")
    client = api_client_for(data_scientist)
    client.post(
        "/api/v1/drift/reports/",
        report_body([shifted_numeric(shift=30)], version=1),
        format="json",
    )
    resolve_alert(actor=reviewer, alert=DriftAlert.objects.get(), note="retrained")
    ModelVersionFactory(model=model, version=2, created_by=data_scientist)
    request_deployment(
        actor=data_scientist,
        version=v1,
        environment=Environment.objects.get(name="production"),
    )
    return model


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_auditor_reads_the_printable_page(history, auditor):
    response = browser(auditor).get("/evidence/churn/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Evidence pack: Churn (churn)" in page
    for expected in (
        "auc 0.91 is below the minimum 0.95",
        "Looks sound",
        "Retraining with Q4 data",
        "Retention offers",
        "resolved",
        "retrained",
        "Version 2 — draft",
        "Audit trail",
        "/evidence/churn/download/",
    ):
        assert expected in page, expected
    assert 'nonce="' in page


def test_a_version_page_holds_only_that_version(history, governance_admin):
    page = browser(governance_admin).get("/evidence/churn/v2/").content.decode()

    assert "Version 2 — draft" in page
    assert "Version 1 —" not in page
    assert "Looks sound" not in page


@pytest.mark.parametrize("role", ["viewer", "data_scientist", "reviewer", "executive"])
def test_other_roles_may_not_see_evidence_packs(history, request, role):
    client = browser(request.getfixturevalue(role))

    assert client.get("/evidence/churn/").status_code == 403
    assert client.get("/evidence/churn/download/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(history):
    response = Client().get("/evidence/churn/")

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_unknown_models_and_versions_are_404(history, auditor):
    client = browser(auditor)

    assert client.get("/evidence/nothing/").status_code == 404
    assert client.get("/evidence/churn/v9/download/").status_code == 404


def read_archive(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    (folder,) = {name.split("/")[0] for name in archive.namelist()}
    return folder, {
        name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()
    }


def test_the_archive_holds_every_section_with_a_checksum_manifest(
    history, governance_admin, reviewer
):
    response = browser(governance_admin).get("/evidence/churn/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    folder, files = read_archive(response.content)
    assert response["Content-Disposition"] == f'attachment; filename="{folder}.zip"'
    assert folder.startswith("evidence-churn-")
    assert set(files) == {
        "model.json",
        "intake.json",
        "risk_class_changes.json",
        "versions.json",
        "evaluations.json",
        "approvals.json",
        "waivers.json",
        "drift_reports.json",
        "drift_alerts.json",
        "performance_reports.json",
        "fairness_reports.json",
        "monitoring_alerts.json",
        "obligations.json",
        "deployments.json",
        "technical_documents.json",
        "audit_log.json",
        "evidence.html",
        "manifest.json",
        "SHA256SUMS",
    }
    sums = dict(
        reversed(line.split("  ")) for line in files["SHA256SUMS"].decode().splitlines()
    )
    assert set(sums) == set(files) - {"SHA256SUMS", "manifest.json"}
    for name, digest in sums.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    manifest = json.loads(files["manifest.json"])
    assert manifest["generated_by"] == "gov-admin"
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == sums

    evaluations = json.loads(files["evaluations.json"])
    review = [e for e in evaluations if e["trigger"] == "review"][-1]
    (auc_rule,) = [r for r in review["results"] if r["kind"] == "metric_threshold"]
    assert (auc_rule["policy"], auc_rule["revision"], auc_rule["waived"]) == (
        "floor",
        1,
        True,
    )
    assert auc_rule["params"] == {"metric": "auc", "op": ">=", "value": 0.95}
    versions = json.loads(files["versions.json"])
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["metrics"] == {"auc": 0.91}
    assert json.loads(files["approvals.json"])[0]["reviewer"] == "reviewer"
    assert json.loads(files["drift_alerts.json"])[0]["status"] == "resolved"
    (ledger,) = json.loads(files["deployments.json"])
    assert (ledger["version"], ledger["environment"], ledger["status"]) == (
        1,
        "production",
        "blocked",
    )
    (promotion,) = [c for c in ledger["checks"] if c["check"] == "promotion_path"]
    assert promotion["passed"] is False
    assert promotion["detail"]
    audit = json.loads(files["audit_log.json"])
    assert {
        "mlmodel",
        "modelversion",
        "approval",
        "waiver",
        "driftalert",
        "deployment",
    } <= {entry["object_type"] for entry in audit}
    assert "Looks sound" in files["evidence.html"].decode()


def test_the_api_serves_the_archive_to_a_bearer_token(
    history, auditor, viewer, api_client_for
):
    response = api_client_for(auditor).get(
        "/api/v1/models/churn/evidence-pack/?version=1"
    )

    assert response.status_code == 200
    _, files = read_archive(response.content)
    assert [v["version"] for v in json.loads(files["versions.json"])] == [1]
    denied = api_client_for(viewer).get("/api/v1/models/churn/evidence-pack/")
    assert denied.status_code == 403
    bad = api_client_for(auditor).get("/api/v1/models/churn/evidence-pack/?version=x")
    assert bad.status_code == 400
    assert "version" in bad.json()["error"]["details"]
    unknown = api_client_for(auditor).get("/api/v1/models/churn/evidence-pack/?v=1")
    assert unknown.status_code == 400
    missing = api_client_for(auditor).get("/api/v1/models/nothing/evidence-pack/")
    assert missing.status_code == 404


@pytest.mark.parametrize("extra_versions, reports", [(0, 1), (5, 3)])
def test_the_page_query_count_does_not_grow_with_the_history(
    history,
    auditor,
    data_scientist,
    governance_admin,
    api_client_for,
    django_assert_num_queries,
    extra_versions,
    reports,
):
    for number in range(3, 3 + extra_versions):
        ModelVersionFactory(model=history, version=number)
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    scientist = api_client_for(data_scientist)
    for _ in range(reports):
        post_performance(scientist, 1)
        post_fairness(scientist, 1)
    client = browser(auditor)
    client.get("/evidence/churn/")  # content types cached

    # session, user, roles, model, its tags, versions, their MLflow links,
    # evaluations, approvals, waivers, drift reports, their features, alerts,
    # performance reports, fairness reports, their groups, monitoring
    # alerts, deployments with their gate decisions, their steps, technical
    # documents, the intake's revisions, the risk class changes, the model's
    # MLflow link, audit entries; then the obligations endpoint's coverage
    # (compliance.selectors.coverage_for_model: 17)
    with django_assert_num_queries(41):
        response = client.get("/evidence/churn/")

    assert response.status_code == 200


@pytest.fixture
def classified(history, data_scientist, governance_admin):
    """churn's intake answered twice: credit scoring (high-risk), then a
    minimal use whose lowering a governance admin rejected."""
    submit_intake(actor=data_scientist, model=history, answers=CREDIT_SCORING)
    submit_intake(actor=data_scientist, model=history, answers=MINIMAL)
    reject_risk_class_change(
        actor=governance_admin,
        change=RiskClassChange.objects.get(model=history),
        comment="It still scores credit applications.",
    )
    return history


def test_the_archive_carries_the_intake_and_the_risk_class_changes(classified, auditor):
    _, files = read_archive(browser(auditor).get("/evidence/churn/download/").content)

    intake = json.loads(files["intake.json"])
    assert intake["answered"] is True
    current = intake["current"]
    assert (current["revision"], current["answered_by"]) == (2, "scientist")
    assert current["answered_at"].endswith("Z")
    assert current["answers"]["purpose"] == "Forecasts warehouse stock."
    assert current["answers"]["personal_data"] == ["none"]
    assert current["answers"]["generative"] is False
    assert current["derived"]["ai_act_category"] == "minimal"
    assert current["derived"]["proposed_tier"] == "low"
    assert current["derived"]["reasoning"]
    assert all(
        line["citation"] and line["text"] for line in current["derived"]["reasoning"]
    )
    assert [(r["revision"], r["derived_category"]) for r in intake["revisions"]] == [
        (2, "minimal"),
        (1, "high_risk"),
    ]
    (change,) = json.loads(files["risk_class_changes.json"])
    assert (change["intake_revision"], change["from_tier"], change["to_tier"]) == (
        2,
        "high",
        "low",
    )
    assert (change["from_category"], change["to_category"]) == ("high_risk", "minimal")
    assert (change["status"], change["decided_by"]) == ("rejected", "gov-admin")
    assert change["decision_comment"] == "It still scores credit applications."
    # The rejected lowering left the stricter class in place.
    model = json.loads(files["model.json"])
    assert (model["risk_tier"], model["ai_act_category"]) == ("high", "high_risk")
    audit = {entry["object_type"] for entry in json.loads(files["audit_log.json"])}
    assert {"usecaseintake", "riskclasschange"} <= audit
    sums = dict(
        reversed(line.split("  ")) for line in files["SHA256SUMS"].decode().splitlines()
    )
    for name in ("intake.json", "risk_class_changes.json"):
        assert sums[name] == hashlib.sha256(files[name]).hexdigest()
    page = files["evidence.html"].decode()
    assert "It still scores credit applications." in page
    assert current["derived"]["reasoning"][0]["text"] in page
    assert "Forecasts warehouse stock." in page


def test_a_version_pack_carries_the_model_classification_too(classified, auditor):
    _, files = read_archive(
        browser(auditor).get("/evidence/churn/v1/download/").content
    )

    assert json.loads(files["intake.json"])["current"]["revision"] == 2
    assert len(json.loads(files["risk_class_changes.json"])) == 1


def test_a_model_never_assessed_says_so(history, auditor):
    response = browser(auditor)
    _, files = read_archive(response.get("/evidence/churn/download/").content)

    assert json.loads(files["intake.json"]) == {
        "answered": False,
        "current": None,
        "revisions": [],
    }
    assert json.loads(files["risk_class_changes.json"]) == []
    assert "The use-case intake was never answered." in files["evidence.html"].decode()


PERFORMANCE = "/api/v1/models/churn/versions/{}/performance-reports/"
FAIRNESS = "/api/v1/models/churn/versions/{}/fairness-reports/"
MONITORING_ALERTS = "/api/v1/monitoring/alerts/"
MONITORING_FILES = (
    "performance_reports.json",
    "fairness_reports.json",
    "monitoring_alerts.json",
    "obligations.json",
)


def _monitoring_body(**fields):
    return {
        "environment": "production",
        "window_start": "2026-11-01T00:00:00Z",
        "window_end": "2026-11-08T00:00:00Z",
        **fields,
    }


def post_performance(client, number: int, weak: bool = False):
    rng = np.random.default_rng(number)
    labels = rng.random(400) < 0.3
    signal = 0.05 if weak else 0.4
    scores = np.clip(rng.normal(0.35 + signal * labels, 0.2), 0, 1)
    response = client.post(
        PERFORMANCE.format(number),
        _monitoring_body(labels=labels.tolist(), scores=scores.tolist()),
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def post_fairness(client, number: int, women_selected: int = 10):
    response = client.post(
        FAIRNESS.format(number),
        _monitoring_body(
            attribute="sex",
            group_counts={
                "men": {"tp": 40, "fp": 20, "tn": 30, "fn": 10},
                "women": {
                    "tp": women_selected,
                    "fp": 0,
                    "tn": 90 - women_selected,
                    "fn": 10,
                },
            },
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def monitored(history, data_scientist, reviewer, governance_admin, api_client_for):
    """churn with a performance and a fairness report on each version, under
    floors that open an auc alert on v2 and a parity alert on v1 (which a
    reviewer acknowledged, then resolved); the EU AI Act pack enabled."""
    set_production_floors()
    set_framework_enabled(actor=governance_admin, framework="eu_ai_act", enabled=True)
    client = api_client_for(data_scientist)
    post_performance(client, 1)
    post_performance(client, 2, weak=True)
    (parity,) = [
        alert
        for alert in post_fairness(client, 1)["alerts"]
        if alert["metric"] == "demographic_parity_difference"
    ]
    post_fairness(client, 2, women_selected=55)
    handling = api_client_for(reviewer)
    handling.post(
        f"{MONITORING_ALERTS}{parity['id']}/acknowledge/",
        {"note": "Looking at the women's declines"},
        format="json",
    )
    handling.post(
        f"{MONITORING_ALERTS}{parity['id']}/resolve/",
        {"note": "Cut-off recalibrated per segment"},
        format="json",
    )
    return history


def api_list(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def by_id(rows) -> list[dict]:
    return sorted(rows, key=lambda row: row["id"])


def test_the_archive_carries_monitoring_and_obligations_as_the_api_returns_them(
    monitored, auditor, api_client_for
):
    _, files = read_archive(browser(auditor).get("/evidence/churn/download/").content)
    api = api_client_for(auditor)

    performance = json.loads(files["performance_reports.json"])
    assert by_id(performance) == by_id(
        api_list(api, PERFORMANCE.format(1)) + api_list(api, PERFORMANCE.format(2))
    )
    assert [r["version"] for r in performance] == [1, 2]
    assert performance[0]["sample_size"] == 400
    assert performance[0]["calibration"]
    assert performance[1]["auc"] < 0.7
    fairness = json.loads(files["fairness_reports.json"])
    assert by_id(fairness) == by_id(
        api_list(api, FAIRNESS.format(1)) + api_list(api, FAIRNESS.format(2))
    )
    assert fairness[0]["four_fifths_passed"] is False
    assert fairness[0]["reference_group"] == "men"
    women = next(g for g in fairness[0]["groups"] if g["group"] == "women")
    assert women["selection_rate_ratio"] == pytest.approx(0.1 / 0.6)
    alerts = json.loads(files["monitoring_alerts.json"])
    assert by_id(alerts) == by_id(
        api_list(api, f"{MONITORING_ALERTS}?model=churn&status=")
    )
    assert {
        (1, "demographic_parity_difference"),
        (2, "auc"),
    } <= {(a["version"], a["metric"]) for a in alerts}
    (parity,) = [a for a in alerts if a["metric"] == "demographic_parity_difference"]
    assert (parity["status"], parity["acknowledged_by"], parity["resolved_by"]) == (
        "resolved",
        "reviewer",
        "reviewer",
    )
    assert parity["resolution_note"] == "Cut-off recalibrated per segment"
    obligations = json.loads(files["obligations.json"])
    assert obligations == api.get("/api/v1/models/churn/obligations/").json()
    (eu,) = obligations["frameworks"]
    assert eu["framework"] == "eu_ai_act" and eu["version"]
    assert all(o["reference"] and o["status"] for o in eu["obligations"])

    sums = dict(
        reversed(line.split("  ")) for line in files["SHA256SUMS"].decode().splitlines()
    )
    manifest = {
        f["name"]: f["sha256"] for f in json.loads(files["manifest.json"])["files"]
    }
    for name in MONITORING_FILES:
        assert sums[name] == manifest[name] == hashlib.sha256(files[name]).hexdigest()
    audit = {entry["object_type"] for entry in json.loads(files["audit_log.json"])}
    assert {"performancereport", "fairnessreport", "monitoringalert"} <= audit
    page = files["evidence.html"].decode()
    assert "Cut-off recalibrated per segment" in page
    assert "Looking at the women&#x27;s declines" in page
    assert "four-fifths failed" in page
    assert eu["obligations"][0]["title"] in page


def test_a_version_pack_holds_only_that_versions_monitoring(
    monitored, auditor, api_client_for
):
    _, files = read_archive(
        browser(auditor).get("/evidence/churn/v2/download/").content
    )

    for name in MONITORING_FILES[:3]:
        rows = json.loads(files[name])
        assert rows and {row["version"] for row in rows} == {2}, name
    # The coverage speaks for the model: a version's pack carries it too.
    assert json.loads(files["obligations.json"])["frameworks"]
    _, by_api = read_archive(
        api_client_for(auditor)
        .get("/api/v1/models/churn/evidence-pack/?version=1")
        .content
    )
    for name in MONITORING_FILES[:3]:
        assert {row["version"] for row in json.loads(by_api[name])} == {1}, name


def test_a_model_without_monitoring_gets_empty_lists(auditor):
    MLModelFactory(name="quiet")
    _, files = read_archive(browser(auditor).get("/evidence/quiet/download/").content)

    for name in MONITORING_FILES[:3]:
        assert json.loads(files[name]) == [], name
    assert json.loads(files["obligations.json"])["frameworks"] == []
    page = files["evidence.html"].decode()
    assert "No performance reports." in page
    assert "No fairness reports." in page
    assert "No performance or fairness alerts." in page
    assert "No framework is enabled." in page
