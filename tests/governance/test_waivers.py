from datetime import timedelta

import pytest
from django.utils import timezone

from governance.exceptions import WaiverNotAllowedError, WaiverRevokedError
from governance.services import evaluate_version, grant_waiver, revoke_waiver
from mlgov.exceptions import FieldError, PermissionDeniedError
from registry.models import Environment
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import auc_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(team, make_policy):
    policy = make_policy("floor", [auc_floor(0.95)], environments=["production"])
    version = ModelVersionFactory(
        model=MLModelFactory(team=team), version=1, status="approved"
    )
    return version, policy


@pytest.fixture
def production(db):
    return Environment.objects.get(name="production")


def test_active_waiver_lets_the_version_pass(failing, governance_admin, production):
    version, policy = failing
    now = timezone.now()
    grant_waiver(
        actor=governance_admin,
        version=version,
        policy=policy,
        rule_position=1,
        justification="Known calibration gap, fix in v2",
        expires_at=now + timedelta(days=30),
        now=now,
    )

    verdict = evaluate_version(version=version, environment=production, now=now)

    assert verdict.passed
    assert verdict.results[0].waived
    assert not verdict.results[0].passed


def test_waiver_stops_applying_at_expiry_without_a_job(
    failing, governance_admin, production
):
    version, policy = failing
    granted = timezone.now()
    expiry = granted + timedelta(days=30)
    grant_waiver(
        actor=governance_admin,
        version=version,
        policy=policy,
        rule_position=1,
        justification="Temporary, until the fix in v2 ships",
        expires_at=expiry,
        now=granted,
    )

    def passes_at(moment):
        return evaluate_version(
            version=version, environment=production, now=moment
        ).passed

    assert passes_at(expiry - timedelta(seconds=1))
    assert not passes_at(expiry)
    assert not passes_at(expiry + timedelta(days=1))


def test_revoked_waiver_stops_applying_at_once(failing, governance_admin, production):
    version, policy = failing
    waiver = grant_waiver(
        actor=governance_admin,
        version=version,
        policy=policy,
        rule_position=1,
        justification="Temporary, until the fix in v2 ships",
        expires_at=timezone.now() + timedelta(days=30),
    )

    revoke_waiver(actor=governance_admin, waiver=waiver, reason="Fixed differently")

    assert not evaluate_version(version=version, environment=production).passed
    waiver.refresh_from_db()
    assert waiver.state == "revoked"
    with pytest.raises(WaiverRevokedError):
        revoke_waiver(actor=governance_admin, waiver=waiver, reason="again")


def test_waiver_cannot_be_granted_by_the_versions_author(failing, governance_admin):
    version, policy = failing
    version.created_by = governance_admin
    version.save()

    with pytest.raises(WaiverNotAllowedError):
        grant_waiver(
            actor=governance_admin,
            version=version,
            policy=policy,
            rule_position=1,
            justification="Mine",
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_reviewers_cannot_grant_waivers(failing, reviewer):
    version, policy = failing

    with pytest.raises(PermissionDeniedError):
        grant_waiver(
            actor=reviewer,
            version=version,
            policy=policy,
            rule_position=1,
            justification="x",
            expires_at=timezone.now() + timedelta(days=1),
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expires_at": timedelta(days=-1)}, "expires_at"),
        ({"expires_at": timedelta(days=400)}, "expires_at"),
        ({"justification": "   "}, "justification"),
        ({"justification": "too short to judge"}, "justification"),
        ({"rule_position": 7}, "rule"),
    ],
)
def test_waiver_inputs_are_bounded(failing, governance_admin, changes, field):
    version, policy = failing
    arguments = {
        "rule_position": 1,
        "justification": "Known calibration gap, fix in v2",
        "expires_at": timedelta(days=10),
        **changes,
    }
    arguments["expires_at"] = timezone.now() + arguments["expires_at"]

    with pytest.raises(FieldError) as error:
        grant_waiver(
            actor=governance_admin, version=version, policy=policy, **arguments
        )

    assert error.value.field == field


def test_a_waiver_keeps_its_optional_ticket(failing, governance_admin):
    version, policy = failing

    waiver = grant_waiver(
        actor=governance_admin,
        version=version,
        policy=policy,
        rule_position=1,
        justification="Known calibration gap, fix in v2",
        ticket=" RISK-142 ",
        expires_at=timezone.now() + timedelta(days=10),
    )

    waiver.refresh_from_db()
    assert waiver.ticket == "RISK-142"
