"""`import_mlflow --sync/--every-sync --since`: the reconciliation that catches
what a missed MLflow webhook left behind, against a real MLflow server."""

import io

import pytest
from django.core.management import CommandError, call_command

from integrations.models import MlflowModelLink
from mlgov.scheduler import SCHEDULE
from registry.models import ModelVersion
from tests.integrations.mlflow_sync_helpers import make_sync

pytestmark = pytest.mark.django_db

LATER = "2999-01-01T00:00:00"


def reconcile(*args: str) -> str:
    out = io.StringIO()
    call_command("import_mlflow", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def sync(team, data_scientist, mlflow):
    return make_sync(
        team=team,
        account=data_scientist,
        uri=mlflow.uri,
        model_filter=mlflow.prefix + "*",
    )


def test_a_version_whose_webhook_was_missed_is_imported_and_reported(sync, mlflow):
    name = mlflow.model("churn")
    mlflow.version(name, metrics={"auc": 0.8})

    output = reconcile("--sync", "main", "--since", "2h")

    assert "MLflow sync main" in output
    assert f"{name}  created" in output
    assert "1→v1" in output
    version = ModelVersion.objects.get(model__name=name)
    assert version.created_by == sync.account
    assert "Nothing to import" in reconcile("--every-sync", "--since", "2h")


def test_models_unchanged_since_are_not_read(sync, mlflow):
    name = mlflow.model("churn")
    mlflow.version(name)

    output = reconcile("--sync", "main", "--since", LATER)

    assert "Nothing to reconcile" in output
    assert not ModelVersion.objects.filter(model__name=name).exists()


def test_an_alias_moved_without_a_webhook_is_caught_whatever_its_age(sync, mlflow):
    name = mlflow.model("churn")
    mlflow.version(name)
    mlflow.version(name)
    reconcile("--sync", "main")
    mlflow.alias(name, "production", 2)

    output = reconcile("--sync", "main", "--since", LATER)

    assert f"{name}  updated" in output
    assert MlflowModelLink.objects.get(mlflow_name=name).aliases == {"production": 2}


def test_models_outside_the_sync_filter_stay_out(sync, mlflow):
    sync.model_filter = mlflow.prefix + "fraud-*"
    sync.save()
    name = mlflow.model("churn")
    mlflow.version(name)

    reconcile("--sync", "main", "--since", "2h")

    assert not ModelVersion.objects.filter(model__name=name).exists()


def test_without_an_active_sync_there_is_nothing_to_do(db):
    assert "No active MLflow sync" in reconcile("--every-sync", "--since", "2h")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sync", "nope"], "No MLflow sync 'nope'"),
        (["--every-sync", "--since", "yesterday"], "--since must be a duration"),
        (["--sync", "main", "--team", "fraud"], "leave out --tracking-uri"),
        (["--team", "fraud"], "Give --tracking-uri, --team and --as"),
    ],
)
def test_wrong_arguments_exit_2_with_a_clear_message(db, args, message):
    with pytest.raises(CommandError, match=message) as error:
        reconcile(*args)

    assert error.value.returncode == 2


def test_the_reconciliation_is_scheduled_hourly():
    (job,) = [job for job in SCHEDULE if job.command == "import_mlflow"]

    assert job.every == "hour"
    assert job.args == ("--every-sync", "--since", "2h")
