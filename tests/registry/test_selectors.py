import pytest
from django.utils import timezone

from mlgov.exceptions import NotFoundError
from registry import selectors
from tests.factories import MLModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def test_environment_names_follow_the_promotion_path(django_assert_num_queries):
    with django_assert_num_queries(1):
        names = selectors.environment_names()

    assert names == ["development", "staging", "production"]


def test_environment_by_name_finds_one_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        environment = selectors.environment_by_name(name="staging")

    assert environment.name == "staging"


def test_environment_by_name_names_the_missing_environment():
    with pytest.raises(NotFoundError, match="'moon'"):
        selectors.environment_by_name(name="moon")


def test_version_list_filters_and_reads_rows_in_one_query(
    team, django_assert_num_queries
):
    model = MLModelFactory(name="churn", team=team)
    first = ModelVersionFactory(model=model, version=1, status="approved")
    ModelVersionFactory(model=model, version=2, parent=first, status="in_review")
    ModelVersionFactory(model=MLModelFactory(team=team), version=1, status="in_review")
    cutoff = timezone.now()
    late = ModelVersionFactory(model=model, version=3, status="draft")

    with django_assert_num_queries(1):
        rows = [
            (version.model.name, version.version, version.parent_version)
            for version in selectors.version_list(model="churn", status="in_review")
        ]

    assert rows == [("churn", 2, 1)]
    assert list(selectors.version_list(model=model, created_after=cutoff)) == [late]
    assert selectors.version_list(status="in_review").count() == 2
