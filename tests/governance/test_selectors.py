from datetime import timedelta

import pytest
from django.utils import timezone

from governance import selectors
from governance.constants import WAIVER_STATES
from governance.engine import OverdueReview
from governance.models import Waiver
from mlgov.exceptions import NotFoundError
from registry.models import MLModel
from tests.factories import MLModelFactory, ModelVersionFactory
from tests.governance.conftest import auc_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def waivers(team, make_policy, governance_admin):
    """One waiver in each state, a day after all were granted."""
    policy = make_policy("floor", [auc_floor(0.95)])
    granted = timezone.now() - timedelta(days=10)
    made = {}
    for number, state in enumerate(WAIVER_STATES, start=1):
        version = ModelVersionFactory(
            model=MLModelFactory(team=team), version=number, status="approved"
        )
        made[state] = Waiver.objects.create(
            version=version,
            policy=policy,
            rule_position=1,
            justification="Known gap.",
            granted_by=governance_admin,
            granted_at=granted,
            expires_at=granted + timedelta(days=1 if state == "expired" else 30),
            revoked_by=governance_admin if state == "revoked" else None,
            revoked_at=granted + timedelta(days=2) if state == "revoked" else None,
        )
    return made


@pytest.mark.parametrize("state", WAIVER_STATES)
def test_in_state_agrees_with_each_waivers_own_state(waivers, state):
    found = list(Waiver.objects.in_state(state, timezone.now()))

    assert found == [waivers[state]]
    assert found[0].state == state


def test_in_state_refuses_an_unknown_state():
    with pytest.raises(ValueError, match="soon"):
        Waiver.objects.in_state("soon", timezone.now())


def test_waiver_list_reads_its_rows_in_one_query(waivers, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = [
            (waiver.version.model.name, waiver.policy.name, waiver.granted_by.username)
            for waiver in selectors.waiver_list(state="active")
        ]

    assert len(rows) == 1


def test_policy_by_name_finds_one_or_names_the_missing_one(make_policy):
    make_policy("floor", [auc_floor(0.9)])

    assert selectors.policy_by_name(name="floor").name == "floor"
    with pytest.raises(NotFoundError, match="'ceiling'"):
        selectors.policy_by_name(name="ceiling")


def test_version_facts_cost_five_queries_whatever_the_count(
    team, django_assert_num_queries
):
    for index in range(5):
        ModelVersionFactory(
            model=MLModelFactory(team=team, tags=["pii"]), version=index + 1
        )

    with django_assert_num_queries(5):
        facts = selectors.version_facts()

    assert len(facts) == 5
    assert all(fact.tags == frozenset({"pii"}) for fact in facts.values())


def test_overdue_reviews_name_each_models_longest_overdue_version(team, settings):
    settings.REVIEW_SLA_DAYS = {"critical": 3, "high": 5, "medium": 10, "low": 15}
    now = timezone.now()

    def in_review(model, number, days_ago):
        return ModelVersionFactory(
            model=model,
            version=number,
            status="in_review",
            submitted_at=now - timedelta(days=days_ago, hours=1),
        )

    late = MLModelFactory(team=team, risk_tier="critical")
    in_review(late, 1, days_ago=9)
    in_review(late, 2, days_ago=4)
    on_time = MLModelFactory(team=team, risk_tier="low")
    in_review(on_time, 1, days_ago=9)
    decided = MLModelFactory(team=team, risk_tier="critical")
    ModelVersionFactory(
        model=decided,
        version=1,
        status="approved",
        submitted_at=now - timedelta(days=30),
    )

    found = selectors.overdue_reviews_by_model(
        MLModel.objects.filter(team=team), now=now
    )

    # critical: due 3 days after submission; v1 is 6 days and v2 1 day late.
    assert found == {late.pk: OverdueReview(version=1, days_overdue=6)}
    # The overview counts versions, not models: both of the late model's.
    assert selectors.overdue_review_count(now=now) == 2
    late.archived_at = now
    late.save(update_fields=["archived_at"])
    assert selectors.overdue_review_count(now=now) == 0


def test_overdue_reviews_follow_the_configured_sla(team, settings):
    model = MLModelFactory(team=team, risk_tier="high")
    ModelVersionFactory(
        model=model,
        version=1,
        status="in_review",
        submitted_at=timezone.now() - timedelta(days=6),
    )
    models = MLModel.objects.filter(team=team)

    settings.REVIEW_SLA_DAYS = {"critical": 3, "high": 5, "medium": 10, "low": 15}
    assert selectors.overdue_reviews_by_model(models, now=timezone.now())
    settings.REVIEW_SLA_DAYS = {"critical": 3, "high": 7, "medium": 10, "low": 15}
    assert not selectors.overdue_reviews_by_model(models, now=timezone.now())
