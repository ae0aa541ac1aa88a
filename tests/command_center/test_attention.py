"""The attention list ranks the hand-built portfolio by exposure (ties by
readiness), with each row's top reason, on the overview, the API and the
models list sorted by exposure."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from command_center.selectors import portfolio_summary
from registry.models import ModelVersion
from tests.command_center.conftest import deploy
from tests.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db

EXPECTED = [
    # high, v1 serves production and fails its floor: 3 x (10 + 20 x 2).
    ("bravo", 15.0, "Serves 100% of production and fails 1 enforced rule"),
    # low: one failing rule (20), critical drift (25), v1 late (15); ties
    # alpha at 6.0 and goes first on its lower readiness (20 against 100).
    (
        "charlie",
        6.0,
        "Has 1 open critical drift alert; serves no production traffic",
    ),
    # critical, v1 passes; v2 waits in review past its 3 days: 4 x 15.
    (
        "alpha",
        6.0,
        "Has v2 in review 2 days past its deadline; serves no production traffic",
    ),
]


@pytest.fixture
def exposed(portfolio, settings):
    settings.REVIEW_SLA_DAYS = {"critical": 3, "high": 5, "medium": 10, "low": 15}
    now = timezone.now()
    deploy(portfolio.bravo.versions.get())
    ModelVersion.objects.filter(model=portfolio.charlie).update(
        submitted_at=now - timedelta(days=20)
    )
    ModelVersionFactory(
        model=portfolio.alpha,
        version=2,
        status="in_review",
        metrics={"auc": 0.9},
        submitted_at=now - timedelta(days=5, hours=1),
    )
    return portfolio


@pytest.fixture
def client(viewer) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def test_the_summary_ranks_by_exposure_then_readiness(exposed):
    attention = portfolio_summary()["attention"]

    assert [
        (item["model"], item["exposure"], item["reason"]) for item in attention
    ] == EXPECTED
    assert [item["readiness"] for item in attention] == [55.0, 20.0, 100.0]


def test_the_overview_shows_the_attention_list_in_that_order_with_reasons(
    client, exposed
):
    html = client.get("/").content.decode()

    shown = re.findall(r'data-exposure="([^"]+)">([^<]+)<', html)
    reasons = re.findall(r'data-reason="([^"]+)">([^<]+)<', html)
    assert shown == [(name, f"{score:.1f}") for name, score, _ in EXPECTED]
    assert reasons == [(name, reason) for name, _, reason in EXPECTED]
    assert 'href="/models/?sort=exposure"' in html


def test_the_models_list_sorts_by_exposure(client, exposed):
    response = client.get("/models/?sort=exposure")

    names = [row.name for row in response.context["page"]]
    # delta has no version: nothing exposed, no readiness, last.
    assert names == ["bravo", "charlie", "alpha", "delta"]
    assert 'data-exposure="bravo" title="Serves 100% of production' in (
        response.content.decode()
    )


def test_a_failing_canary_is_named_in_the_reason(client, portfolio):
    alpha_v1 = portfolio.alpha.versions.get()
    canary = ModelVersionFactory(
        model=portfolio.alpha, version=2, status="approved", metrics={"auc": 0.5}
    )
    deploy(alpha_v1)
    deploy(canary, traffic_percent=10)

    attention = {item["model"]: item for item in portfolio_summary()["attention"]}

    assert attention["alpha"]["reason"] == (
        "Serves 100% of production and its canary at 10% fails 2 enforced rules"
    )
