"""`manage.py import_mlflow` against a real MLflow server on loopback."""

import io
import json
from http.server import BaseHTTPRequestHandler
from threading import Thread

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from integrations.models import MlflowModelLink, MlflowVersionLink
from registry.models import MLModel, ModelVersion
from tests.factories import MLModelFactory
from tests.integrations.ports import free_port, loopback_server

pytestmark = pytest.mark.django_db


def run_import(uri, *names, team="fraud", user="scientist", dry_run=False):
    out, err = io.StringIO(), io.StringIO()
    args = ["import_mlflow", "--tracking-uri", uri, "--team", team, "--as", user]
    for name in names:
        args += ["--model", name]
    if dry_run:
        args.append("--dry-run")
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_models_and_versions_arrive_as_drafts_with_their_evidence(
    mlflow, data_scientist
):
    name = mlflow.model("churn", description="Who leaves", tags={"owner": "ana"})
    first = mlflow.version(
        name, metrics={"auc": 0.91, "f1": 0.7}, params={"depth": 6}, tags={"v": "a"}
    )
    second = mlflow.version(name, metrics={"auc": 0.93}, params={"depth": 8})
    mlflow.alias(name, "champion", second)

    output = run_import(mlflow.uri, name)

    model = MLModel.objects.get(name=name)
    assert (model.team.name, model.description, model.risk_tier) == (
        "fraud",
        "Who leaves",
        "medium",
    )
    v1, v2 = ModelVersion.objects.filter(model=model).order_by("version")
    assert (v1.version, v1.status, v1.artifact_uri) == (1, "draft", f"models:/{name}/1")
    assert v1.metrics == {"auc": 0.91, "f1": 0.7}
    assert v1.params == {"depth": "6"}
    assert v2.artifact_uri == f"models:/{name}/{second}"
    assert v1.created_by == data_scientist
    link = MlflowVersionLink.objects.get(version=v2)
    assert link.aliases == ["champion"]
    assert link.source.startswith("runs:/")
    assert MlflowVersionLink.objects.get(version=v1).tags == {"v": "a"}
    assert MlflowModelLink.objects.get(model=model).tags == {"owner": "ana"}
    assert first == 1
    for row in (model, v1, v2):
        (entry,) = LogEntry.objects.get_for_object(row).filter(
            action=LogEntry.Action.CREATE
        )
        assert entry.actor == data_scientist
    assert "1 model(s) were created" in output
    assert f"{name}  created" in output
    assert "1→v1, 2→v2" in output


def test_a_second_run_changes_nothing_and_says_so_then_picks_up_new_versions(
    mlflow, data_scientist
):
    name = mlflow.model("fraud-score")
    mlflow.version(name, metrics={"auc": 0.8})
    run_import(mlflow.uri, name)
    entries = LogEntry.objects.count()

    again = run_import(mlflow.uri, name)

    assert "Nothing to import: all 1 model(s) are up to date" in again
    assert LogEntry.objects.count() == entries
    assert ModelVersion.objects.filter(model__name=name).count() == 1

    mlflow.version(name, metrics={"auc": 0.85})
    mlflow.alias(name, "champion", 1)
    third = run_import(mlflow.uri, name)

    assert "1 version(s) were added" in third
    assert list(
        ModelVersion.objects.filter(model__name=name)
        .order_by("version")
        .values_list("artifact_uri", flat=True)
    ) == [f"models:/{name}/1", f"models:/{name}/2"]
    assert MlflowVersionLink.objects.get(
        model_link__mlflow_name=name, mlflow_version=1
    ).aliases == ["champion"]


def test_a_dry_run_reports_and_writes_nothing(mlflow, data_scientist):
    name = mlflow.model("pricing")
    mlflow.version(name, metrics={"rmse": 3.1})
    entries = LogEntry.objects.count()

    output = run_import(mlflow.uri, name, dry_run=True)

    assert "1 model(s) would be created" in output
    assert "Dry run: nothing was written." in output
    assert not MLModel.objects.filter(name=name).exists()
    assert LogEntry.objects.count() == entries


def test_a_name_mlgov_cannot_take_imports_nothing_at_all(mlflow, data_scientist):
    good = mlflow.model("good")
    mlflow.version(good)
    bad = mlflow.model("Churn model (EU)")
    entries = LogEntry.objects.count()

    with pytest.raises(CommandError) as refused:
        run_import(mlflow.uri, good, bad)

    message = str(refused.value)
    assert "Nothing was imported" in message
    assert f"{bad!r} cannot be an mlgov model name" in message
    assert not MLModel.objects.exists()
    assert LogEntry.objects.count() == entries


def test_a_model_of_another_team_is_refused(mlflow, data_scientist, other_team):
    name = mlflow.model("shared")
    mlflow.version(name)
    MLModelFactory(name=name, team=other_team)

    with pytest.raises(CommandError, match="belongs to team pricing, not fraud"):
        run_import(mlflow.uri, name)

    assert not ModelVersion.objects.exists()


def test_a_user_outside_the_team_may_not_import(mlflow, other_data_scientist, team):
    name = mlflow.model("not-mine")

    with pytest.raises(CommandError, match="may not register models for team fraud"):
        run_import(mlflow.uri, name, user="other-scientist")

    assert not MLModel.objects.exists()


def test_an_unknown_model_name_is_an_error(mlflow, data_scientist):
    with pytest.raises(CommandError, match="MLflow has no registered model"):
        run_import(mlflow.uri, mlflow.name("nowhere"))


def test_an_unreachable_server_is_a_clear_error(data_scientist):
    uri = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(CommandError) as refused:
        run_import(uri)

    assert f"Cannot reach MLflow at {uri}" in str(refused.value)
    assert "Nothing was imported" in str(refused.value)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_a_clear_error(status, data_scientist):
    class Refusing(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"error_code": "UNAUTHENTICATED"}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = loopback_server(Refusing)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(CommandError) as refused:
            run_import(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()

    assert f"MLflow refused the request (HTTP {status})" in str(refused.value)
    assert "MLFLOW_TRACKING_TOKEN" in str(refused.value)


def test_a_model_imported_from_another_server_is_refused(mlflow, data_scientist):
    name = mlflow.model("elsewhere")
    mlflow.version(name)
    run_import(mlflow.uri, name)
    other = mlflow.uri.replace("127.0.0.1", "localhost")

    with pytest.raises(CommandError, match=f"was imported from {mlflow.uri}"):
        run_import(other, name)
