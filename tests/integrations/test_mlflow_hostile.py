"""`manage.py import_mlflow` against a hostile MLflow server: redirects that
would carry the token elsewhere, endless paging, oversized answers and
fields, drip feeds and malformed answers. Each is one clear error, exit code
2, and nothing written."""

import io
import itertools
import json
import time

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from integrations.mlflow_client import MlflowClient
from integrations.models import MlflowModelLink, MlflowVersionLink
from integrations.services import ImportRefusedError, import_mlflow_models
from registry.constants import (
    DESCRIPTION_MAX_LENGTH,
    METRIC_NAME_MAX_LENGTH,
    MODEL_NAME_MAX_LENGTH,
)
from registry.models import MLModel, ModelVersion
from tests.integrations.fake_mlflow import (
    API,
    FakeMlflow,
    drip,
    redirect_to,
    send_json,
    serve,
    unsized,
)

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-mlflow-token"


@pytest.fixture
def fake_mlflow():
    """A fake MLflow server on loopback, stopped after the test."""
    yield from serve(FakeMlflow())


@pytest.fixture
def other_origin():
    """A second fake server on another port: another origin."""
    yield from serve(FakeMlflow())


@pytest.fixture(autouse=True)
def mlflow_token(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)


def run_import(uri, *names):
    out, err = io.StringIO(), io.StringIO()
    args = ["import_mlflow", "--tracking-uri", uri, "--team", "fraud"]
    args += ["--as", "scientist"]
    for name in names:
        args += ["--model", name]
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def refused(uri, *names):
    """The import's error message, after checking that it wrote nothing and
    exits 2."""
    entries = LogEntry.objects.count()
    with pytest.raises(CommandError) as error:
        run_import(uri, *names)
    assert error.value.returncode == 2
    assert not MLModel.objects.exists()
    assert not ModelVersion.objects.exists()
    assert not MlflowModelLink.objects.exists()
    assert not MlflowVersionLink.objects.exists()
    assert LogEntry.objects.count() == entries
    message = str(error.value)
    assert "Nothing was imported" in message
    return message


def test_the_fake_registry_imports_and_the_token_goes_to_its_origin_only(
    fake_mlflow, data_scientist
):
    output = run_import(fake_mlflow.uri)

    version = ModelVersion.objects.get(model__name="churn")
    assert version.metrics == {"auc": 0.91}
    assert version.params == {"depth": "6"}
    assert MlflowVersionLink.objects.get(version=version).aliases == ["champion"]
    assert "1 model(s) were created" in output
    assert fake_mlflow.authorizations
    assert set(fake_mlflow.authorizations) == {f"Bearer {TOKEN}"}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("endpoint", ["registered-models/search", "runs/search"])
def test_a_redirect_to_another_origin_is_refused_and_the_token_never_arrives_there(
    fake_mlflow, other_origin, data_scientist, endpoint, status
):
    fake_mlflow.answers[endpoint] = redirect_to(
        f"{other_origin.uri}{API}{endpoint}", status=status
    )

    message = refused(fake_mlflow.uri)

    assert f"answered {endpoint} with a redirect (HTTP {status})" in message
    assert other_origin.uri in message
    assert "\n" not in message
    assert other_origin.authorizations == []
    assert other_origin.seen == []


def test_a_redirect_within_the_same_origin_is_refused_too(fake_mlflow, data_scientist):
    fake_mlflow.answers["registered-models/search"] = redirect_to(
        f"{fake_mlflow.uri}/elsewhere/"
    )

    message = refused(fake_mlflow.uri)

    assert "with a redirect (HTTP 302)" in message
    assert not any(seen.endpoint == "/elsewhere/" for seen in fake_mlflow.seen)


def test_a_repeated_page_token_is_refused(fake_mlflow, data_scientist):
    fake_mlflow.answers["registered-models/search"] = {
        "registered_models": [],
        "next_page_token": "again",
    }

    message = refused(fake_mlflow.uri)

    assert "registered-models/search" in message
    assert "page token 'again' twice" in message
    assert len(fake_mlflow.seen) == 2


def test_paging_beyond_the_page_cap_is_refused(fake_mlflow, data_scientist, settings):
    settings.MLFLOW_IMPORT_MAX_PAGES = 3
    tokens = itertools.count()

    def fresh_token_every_time(handler):
        send_json(
            handler,
            {"registered_models": [], "next_page_token": f"t{next(tokens)}"},
        )

    fake_mlflow.answers["registered-models/search"] = fresh_token_every_time

    message = refused(fake_mlflow.uri)

    assert "more than 3 pages" in message
    assert "MLFLOW_IMPORT_MAX_PAGES" in message
    assert len(fake_mlflow.seen) == 3


@pytest.mark.parametrize("framing", ["content-length", "until-close"])
def test_an_answer_larger_than_the_cap_is_refused(
    fake_mlflow, data_scientist, settings, framing
):
    settings.MLFLOW_IMPORT_MAX_ANSWER_BYTES = 10_000
    fake_mlflow.registered_models[0]["description"] = "a" * 20_000
    if framing == "until-close":
        body = json.dumps({"registered_models": fake_mlflow.registered_models})
        fake_mlflow.answers["registered-models/search"] = unsized(body.encode())

    message = refused(fake_mlflow.uri)

    assert "answer to registered-models/search is larger than 10,000 bytes" in message
    assert "MLFLOW_IMPORT_MAX_ANSWER_BYTES" in message


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_drip_fed_answer_is_cut_at_the_run_deadline(
    fake_mlflow, data_scientist, settings, in_headers
):
    settings.MLFLOW_IMPORT_DEADLINE_SECONDS = 1
    fake_mlflow.answers["registered-models/search"] = drip(
        fake_mlflow, in_headers=in_headers
    )

    message = refused(fake_mlflow.uri)

    assert "deadline of 1 s" in message
    assert "registered-models/search" in message
    assert "MLFLOW_IMPORT_DEADLINE_SECONDS" in message


def test_the_deadline_option_overrides_the_setting(
    fake_mlflow, data_scientist, settings
):
    settings.MLFLOW_IMPORT_DEADLINE_SECONDS = 600
    fake_mlflow.answers["registered-models/search"] = drip(fake_mlflow)

    with pytest.raises(CommandError, match=r"deadline of 0\.5 s"):
        call_command(
            "import_mlflow",
            "--tracking-uri",
            fake_mlflow.uri,
            "--team",
            "fraud",
            "--as",
            "scientist",
            "--deadline",
            "0.5",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_the_deadline_bounds_the_writes_too(fake_mlflow, data_scientist, team):
    client = MlflowClient(fake_mlflow.uri)
    models = client.read_models()
    entries = LogEntry.objects.count()

    with pytest.raises(ImportRefusedError, match="passed its deadline") as refused:
        import_mlflow_models(
            actor=data_scientist,
            team=team,
            tracking_uri=fake_mlflow.uri,
            models=models,
            deadline=time.monotonic() - 1,
        )

    assert "after 1 of 1 model(s)" in str(refused.value)
    assert not MLModel.objects.exists()
    assert LogEntry.objects.count() == entries


def _model(fake):
    return fake.registered_models[0]


def _version(fake):
    return fake.model_versions[0]


def _run_data(fake):
    return fake.runs[0]["data"]


OVERSIZED_FIELDS = {
    "model description": (
        lambda fake: _model(fake).update(
            description="d" * (DESCRIPTION_MAX_LENGTH + 1)
        ),
        ["MLflow model 'churn'", "description", f"{DESCRIPTION_MAX_LENGTH:,}"],
    ),
    "version description": (
        lambda fake: _version(fake).update(
            description="d" * (DESCRIPTION_MAX_LENGTH + 1)
        ),
        ["MLflow model 'churn' version 1", "description"],
    ),
    "metric name": (
        lambda fake: _run_data(fake)["metrics"].append(
            {"key": "m" * (METRIC_NAME_MAX_LENGTH + 1), "value": 1.0}
        ),
        ["MLflow model 'churn' version 1", "metric name", "mmmm"],
    ),
    "source": (
        lambda fake: _version(fake).update(source="s3://b/" + "s" * 2000),
        ["MLflow model 'churn' version 1", "source", "1,000"],
    ),
    "run id": (
        lambda fake: (
            _version(fake).update(run_id="r" * 200),
            fake.runs[0]["info"].update(run_id="r" * 200),
        ),
        ["MLflow model 'churn' version 1", "run_id", "100"],
    ),
    "params": (
        lambda fake: _run_data(fake)["params"].append(
            {"key": "p", "value": "v" * 3000}
        ),
        ["MLflow model 'churn' version 1", "params", "DATA_UPLOAD_MAX_MEMORY_SIZE"],
    ),
    "model tags": (
        lambda fake: _model(fake)["tags"].append({"key": "t", "value": "v" * 3000}),
        ["MLflow model 'churn'", "tags", "DATA_UPLOAD_MAX_MEMORY_SIZE"],
    ),
    "version tags": (
        lambda fake: _version(fake).update(tags=[{"key": "t", "value": "v" * 3000}]),
        ["MLflow model 'churn' version 1", "tags", "DATA_UPLOAD_MAX_MEMORY_SIZE"],
    ),
}


@pytest.mark.parametrize("case", OVERSIZED_FIELDS, ids=list(OVERSIZED_FIELDS))
def test_a_field_longer_than_the_registry_allows_is_refused(
    fake_mlflow, data_scientist, settings, case
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    change, expected = OVERSIZED_FIELDS[case]
    change(fake_mlflow)

    message = refused(fake_mlflow.uri)

    for fragment in expected:
        assert fragment in message
    assert "\n" not in message


def test_a_name_longer_than_the_registry_allows_is_refused(fake_mlflow, data_scientist):
    long_name = "n" * (MODEL_NAME_MAX_LENGTH + 1)
    _model(fake_mlflow)["name"] = long_name
    _version(fake_mlflow)["name"] = long_name

    message = refused(fake_mlflow.uri)

    assert f"up to {MODEL_NAME_MAX_LENGTH} letters" in message


def _answer(endpoint, value):
    return lambda fake: fake.answers.__setitem__(endpoint, value)


MALFORMED = {
    "search answers an array": (
        _answer("registered-models/search", []),
        ["registered-models/search", "an array", "JSON object"],
    ),
    "search answers null": (
        _answer("registered-models/search", None),
        ["registered-models/search", "null", "JSON object"],
    ),
    "version search answers an array": (
        _answer("model-versions/search", [1, 2]),
        ["model-versions/search", "an array"],
    ),
    "run search answers null": (
        _answer("runs/search", None),
        ["runs/search", "null"],
    ),
    "models field is an object": (
        _answer("registered-models/search", {"registered_models": {"a": 1}}),
        ["registered-models/search", "'registered_models'", "not a list"],
    ),
    "a model is null": (
        lambda fake: fake.registered_models.__setitem__(0, None),
        ["registered model #1", "null"],
    ),
    "a model without a name": (
        lambda fake: _model(fake).pop("name"),
        ["registered model #1", "'name'", "missing"],
    ),
    "version missing": (
        lambda fake: _version(fake).pop("version"),
        ["model 'churn', version row #1", "'version'", "missing"],
    ),
    "version not a number": (
        lambda fake: _version(fake).update(version="abc"),
        ["model 'churn'", "'version'", "'abc'", "whole number"],
    ),
    "version negative": (
        lambda fake: _version(fake).update(version="-5"),
        ["model 'churn'", "'version'", "'-5'", "whole number"],
    ),
    "version in arabic digits": (
        lambda fake: _version(fake).update(version="\u0662"),
        ["model 'churn'", "'version'", "whole number"],
    ),
    "version twice": (
        lambda fake: fake.model_versions.append(dict(_version(fake))),
        ["model 'churn'", "version 1", "twice"],
    ),
    "alias pointing at x": (
        lambda fake: _model(fake).update(
            aliases=[{"alias": "champion", "version": "x"}]
        ),
        ["model 'churn'", "alias 'champion'", "'x'", "whole number"],
    ),
    "NUL in a name": (
        lambda fake: (
            _model(fake).update(name="ch\x00urn"),
            _version(fake).update(name="ch\x00urn"),
        ),
        ["registered model #1", "'name'", "NUL"],
    ),
    "a model listed twice": (
        lambda fake: fake.registered_models.append(dict(_model(fake))),
        ["model 'churn'", "listed twice"],
    ),
    "unpaired surrogate in a description": (
        lambda fake: _model(fake).update(description="bad \ud800 text"),
        ["model 'churn'", "'description'", "not valid Unicode"],
    ),
    "NUL in a description": (
        lambda fake: _model(fake).update(description="Who\x00leaves"),
        ["model 'churn'", "'description'", "NUL"],
    ),
    "NUL in a version description": (
        lambda fake: _version(fake).update(description="\x00"),
        ["model 'churn' version 1", "'description'", "NUL"],
    ),
    "NUL in a param": (
        lambda fake: _run_data(fake)["params"].append({"key": "k", "value": "\x00"}),
        ["run 'r1'", "params", "NUL"],
    ),
    "a tag that is not text": (
        lambda fake: _model(fake).update(tags=[{"key": "owner", "value": 7}]),
        ["model 'churn'", "tags", "a number", "not text"],
    ),
    "a run without an id": (
        lambda fake: fake.runs[0]["info"].pop("run_id"),
        ["runs/search", "run #1", "'run_id'", "missing"],
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_answer_is_a_one_line_error_naming_the_field_and_item(
    fake_mlflow, data_scientist, case
):
    change, expected = MALFORMED[case]
    change(fake_mlflow)

    message = refused(fake_mlflow.uri)

    assert "\n" not in message
    for fragment in expected:
        assert fragment in message
