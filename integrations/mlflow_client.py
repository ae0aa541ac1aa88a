"""A small client for the parts of MLflow's REST API (2.0) that the import
reads: registered models, their versions, and the runs behind them. Standard
library only, no Django: the whole mlflow package is not a dependency."""

import base64
import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

API = "/api/2.0/mlflow"
# MLflow's own caps per page (SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD
# and the model-version search's).
MODELS_PAGE = 1000
VERSIONS_PAGE = 10000
RUNS_PER_SEARCH = 100
RUN_ID = re.compile(r"^[0-9a-zA-Z_-]{1,64}$")


class MlflowError(Exception):
    """MLflow could not be read; the message says what to do."""


@dataclass(frozen=True)
class MlflowVersion:
    """One registered model version, with its run's metrics and params."""

    name: str
    version: int
    source: str
    run_id: str
    status: str
    description: str
    tags: dict[str, str]
    aliases: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    dropped_metrics: list[str] = field(default_factory=list)
    run_missing: bool = False

    @property
    def reference(self) -> str:
        """The MLflow URI of this version, e.g. models:/churn/3."""
        return f"models:/{self.name}/{self.version}"


@dataclass(frozen=True)
class MlflowModel:
    """One registered model and its versions, oldest first."""

    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int]
    versions: list[MlflowVersion]


def _pairs(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {item["key"]: item.get("value", "") for item in items or []}


class MlflowClient:
    """Reads an MLflow tracking server. Credentials as MLflow's own client
    takes them: a bearer token, or a user name and password."""

    def __init__(
        self,
        tracking_uri: str,
        *,
        token: str = "",
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        workers: int = 8,
    ) -> None:
        parts = urllib.parse.urlsplit(tracking_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise MlflowError(
                f"--tracking-uri must be an http(s) URL of an MLflow server, "
                f"not {tracking_uri!r}."
            )
        self.base = tracking_uri.rstrip("/")
        self.timeout = timeout
        self.workers = workers
        self.headers = {"Accept": "application/json", "User-Agent": "mlgov-import/1"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        elif username:
            basic = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {basic}"

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        query = urllib.parse.urlencode(
            {key: value for key, value in params.items() if value not in (None, "")}
        )
        url = f"{self.base}{API}/{path}" + (f"?{query}" if query else "")
        return self._call(urllib.request.Request(url, headers=self.headers), path)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.base}{API}/{path}",
            data=json.dumps(body).encode(),
            headers={**self.headers, "Content-Type": "application/json"},
            method="POST",
        )
        return self._call(request, path)

    def _call(self, request: urllib.request.Request, path: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise self._http_error(error, path) from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise MlflowError(
                f"Cannot reach MLflow at {self.base}: {reason}. Check --tracking-uri "
                "and that the server is running."
            ) from error
        try:
            return json.loads(raw or b"{}")
        except ValueError as error:
            raise MlflowError(
                f"{self.base} answered {path} with something that is not JSON; is "
                "it an MLflow tracking server?"
            ) from error

    def _http_error(self, error: urllib.error.HTTPError, path: str) -> MlflowError:
        if error.code in (401, 403):
            return MlflowError(
                f"MLflow refused the request (HTTP {error.code}): set "
                "MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and "
                "MLFLOW_TRACKING_PASSWORD, to credentials that may read the "
                "model registry."
            )
        try:
            detail = json.loads(error.read() or b"{}")
        except ValueError:
            detail = {}
        code = detail.get("error_code", f"HTTP {error.code}")
        message = detail.get("message", error.reason)
        return MlflowError(f"MLflow answered {path} with {code}: {message}")

    def _not_found(self, path: str, **params: Any) -> dict[str, Any] | None:
        try:
            return self._get(path, **params)
        except MlflowError as error:
            if "RESOURCE_DOES_NOT_EXIST" in str(error) or "HTTP 404" in str(error):
                return None
            raise

    def registered_models(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        """Every registered model, or the named ones (an unknown name is an
        error)."""
        if names:
            found = []
            for name in names:
                answer = self._not_found("registered-models/get", name=name)
                if answer is None:
                    raise MlflowError(f"MLflow has no registered model {name!r}.")
                found.append(answer["registered_model"])
            return found
        return list(
            self._pages("registered-models/search", "registered_models", MODELS_PAGE)
        )

    def _pages(self, path: str, key: str, size: int, **params: Any) -> Iterator[dict]:
        token = None
        while True:
            page = self._get(path, max_results=size, page_token=token, **params)
            yield from page.get(key, [])
            token = page.get("next_page_token")
            if not token:
                return

    def versions_of(self, names: list[str] | None) -> dict[str, list[dict[str, Any]]]:
        """Model versions by model name: one search for all, or one per name."""
        by_model: dict[str, list[dict[str, Any]]] = {}
        if names is None:
            rows = self._pages("model-versions/search", "model_versions", VERSIONS_PAGE)
        else:
            rows = (
                row
                for name in names
                for row in self._pages(
                    "model-versions/search",
                    "model_versions",
                    VERSIONS_PAGE,
                    filter=f"name='{name}'",
                )
            )
        for row in rows:
            by_model.setdefault(row["name"], []).append(row)
        return by_model

    def run(self, run_id: str) -> dict[str, Any] | None:
        """A run's data, or None when it was deleted."""
        answer = self._not_found("runs/get", run_id=run_id)
        return None if answer is None else answer["run"]

    def runs(self, run_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Runs by id: searched a hundred at a time across every experiment;
        the few a search does not find are asked one by one, in parallel
        (None: deleted for good)."""
        found: dict[str, dict[str, Any] | None] = {}
        searchable = [run_id for run_id in run_ids if RUN_ID.match(run_id)]
        if searchable:
            experiments = [
                e["experiment_id"]
                for e in self._pages(
                    "experiments/search", "experiments", 1000, view_type="ALL"
                )
            ]
            for start in range(0, len(searchable), RUNS_PER_SEARCH):
                batch = searchable[start : start + RUNS_PER_SEARCH]
                quoted = ", ".join(f"'{run_id}'" for run_id in batch)
                token = None
                while experiments:
                    page = self._post(
                        "runs/search",
                        {
                            "experiment_ids": experiments,
                            "filter": f"attributes.run_id IN ({quoted})",
                            "run_view_type": "ALL",
                            "max_results": 1000,
                            **({"page_token": token} if token else {}),
                        },
                    )
                    for run in page.get("runs", []):
                        found[run["info"]["run_id"]] = run
                    token = page.get("next_page_token")
                    if not token:
                        break
        missing = [run_id for run_id in run_ids if run_id not in found]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            found.update(zip(missing, pool.map(self.run, missing), strict=True))
        return found

    def read_models(self, names: list[str] | None = None) -> list[MlflowModel]:
        """Registered models with their versions and each version's run."""
        models = self.registered_models(names)
        versions = self.versions_of([m["name"] for m in models] if names else None)
        run_ids = sorted(
            {
                row["run_id"]
                for rows in versions.values()
                for row in rows
                if row.get("run_id")
            }
        )
        runs = self.runs(run_ids)
        return [
            _model(model, versions.get(model["name"], []), runs) for model in models
        ]


def _model(
    raw: dict[str, Any], rows: list[dict[str, Any]], runs: dict[str, dict | None]
) -> MlflowModel:
    aliases = {a["alias"]: int(a["version"]) for a in raw.get("aliases", [])}
    versions = []
    for row in sorted(rows, key=lambda row: int(row["version"])):
        number = int(row["version"])
        run_id = row.get("run_id") or ""
        run = runs.get(run_id) if run_id else None
        data = (run or {}).get("data", {})
        metrics, dropped = {}, []
        for metric in data.get("metrics", []):
            value = metric.get("value")
            if isinstance(value, int | float) and math.isfinite(value):
                metrics[metric["key"]] = float(value)
            else:
                dropped.append(metric["key"])
        versions.append(
            MlflowVersion(
                name=row["name"],
                version=number,
                source=row.get("source", ""),
                run_id=run_id,
                status=row.get("status", "READY"),
                description=row.get("description", ""),
                tags=_pairs(row.get("tags")),
                aliases=sorted(a for a, v in aliases.items() if v == number),
                metrics=metrics,
                params=_pairs(data.get("params")),
                dropped_metrics=sorted(dropped),
                run_missing=bool(run_id) and run is None,
            )
        )
    return MlflowModel(
        name=raw["name"],
        description=raw.get("description", ""),
        tags=_pairs(raw.get("tags")),
        aliases=aliases,
        versions=versions,
    )
