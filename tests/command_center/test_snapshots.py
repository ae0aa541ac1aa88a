"""manage.py snapshot_portfolio: one row per day; the trend reads them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from command_center.demo import DEMO_DAYS, seed_snapshots
from command_center.models import PortfolioSnapshot
from command_center.services import take_portfolio_snapshot
from mlgov.demo import demo_objects, demo_steps

pytestmark = pytest.mark.django_db


def test_a_snapshot_records_the_headline_numbers(portfolio):
    out = StringIO()

    call_command("snapshot_portfolio", stdout=out)

    snapshot = PortfolioSnapshot.objects.get()
    assert snapshot.day == timezone.now().date()
    assert (snapshot.model_count, snapshot.version_count) == (4, 3)
    assert (snapshot.models_compliant, snapshot.models_compliance_rate) == (1, 0.25)
    assert snapshot.production_compliance_rate is None
    assert (snapshot.drift_alerts_warning, snapshot.drift_alerts_critical) == (1, 1)
    assert snapshot.overdue_reviews == 2
    assert "recorded" in out.getvalue() and "25.0% compliant" in out.getvalue()


def test_a_second_run_the_same_day_updates_the_row(portfolio):
    call_command("snapshot_portfolio", stdout=StringIO())
    from tests.factories import MLModelFactory

    MLModelFactory(name="late-arrival")
    out = StringIO()

    call_command("snapshot_portfolio", stdout=out)

    snapshot = PortfolioSnapshot.objects.get()
    assert snapshot.model_count == 5
    assert "updated" in out.getvalue()


def test_snapshots_of_other_days_are_kept(portfolio):
    yesterday = timezone.now() - timedelta(days=1)
    take_portfolio_snapshot(now=yesterday)

    take_portfolio_snapshot()

    assert PortfolioSnapshot.objects.count() == 2


def test_the_database_refuses_two_rows_for_one_day(db):
    fields = {
        "day": timezone.now().date(),
        "model_count": 1,
        "version_count": 1,
        "models_compliant": 1,
    }
    PortfolioSnapshot.objects.create(**fields)

    with pytest.raises(IntegrityError):
        PortfolioSnapshot.objects.create(**fields)


def test_the_trend_reads_the_snapshots(portfolio, viewer):
    seed_snapshots()
    client = Client()
    client.force_login(viewer)

    response = client.get("/")

    assert PortfolioSnapshot.objects.count() == DEMO_DAYS
    html = response.content.decode()
    assert f"{DEMO_DAYS} daily snapshots" in html
    assert "Share of models compliant in production, daily" in html
    assert "to 25.0% on" in html


def test_demo_snapshots_are_idempotent_and_marked_as_the_demos(portfolio):
    first = seed_snapshots()
    second = seed_snapshots()

    assert first == DEMO_DAYS - 1
    assert second == 0
    assert PortfolioSnapshot.objects.count() == DEMO_DAYS
    # Today's row is a real snapshot; the synthesised past is the demo's.
    assert demo_objects(PortfolioSnapshot).count() == DEMO_DAYS - 1
    assert (
        not demo_objects(PortfolioSnapshot).filter(day=timezone.now().date()).exists()
    )


def test_the_demo_never_overwrites_a_day_that_has_a_snapshot(portfolio):
    last_week = timezone.now() - timedelta(days=7)
    real, _ = take_portfolio_snapshot(now=last_week)

    seed_snapshots()

    real.refresh_from_db()
    assert real.summary["models"] == 4
    assert not demo_objects(PortfolioSnapshot).filter(pk=real.pk).exists()


def test_the_command_center_demo_step_runs_after_the_apps_it_reads():
    names = [name for name, _ in demo_steps()]

    assert names.index("command center") > names.index("governance")
