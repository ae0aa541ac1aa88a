"""`Client`: typed calls to mlgov's API for pipelines (DESIGN.md §3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from mlgov_client.transport import RetryPolicy, Transport
from mlgov_client.types import (
    ConfusionCounts,
    Deployment,
    DriftAlert,
    DriftReport,
    FairnessReport,
    FeaturePayload,
    GateDecision,
    Model,
    MonitoringAlert,
    PerformanceReport,
    PortfolioSummary,
    ScoreBins,
    Version,
)

API = "/api/v1"


class Client:
    """mlgov's API with a bearer token (`manage.py issue_token`).

    Lists are generators that follow the cursor pages; errors raise
    `ApiError` with the API's code and field errors; 429 and 503 are
    retried as `retry` says."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        user_agent: str = "mlgov-client/1",
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.transport = Transport(
            base_url=base_url,
            token=token,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            user_agent=user_agent,
        )
        if sleep is not None:
            self.transport.sleep = sleep

    # --- plumbing -------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        return self.transport.request("GET", API + path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.transport.request("POST", API + path, body=body or {})

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.transport.request("PATCH", API + path, body=body)

    def pages(self, path: str, **params: Any) -> Iterator[Any]:
        """Every row of a cursor-paginated list, fetching a page at a time."""
        page = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.transport.request("GET", page["next"])

    # --- registry -------------------------------------------------------------

    def models(self, **filters: Any) -> Iterator[Model]:
        """Models, filtered by team, risk_tier, tag or q; page_size per page."""
        return cast(Iterator[Model], self.pages("/models/", **filters))

    def model(self, name: str) -> Model:
        return cast(Model, self.get(f"/models/{name}/"))

    def register_model(self, *, name: str, team: str, **fields: Any) -> Model:
        """Register a model (display_name, risk_tier, tags… as the API takes)."""
        return cast(
            Model, self.post("/models/", {"name": name, "team": team, **fields})
        )

    def versions(self, model: str, **filters: Any) -> Iterator[Version]:
        return cast(
            Iterator[Version], self.pages(f"/models/{model}/versions/", **filters)
        )

    def version(self, model: str, number: int) -> Version:
        return cast(Version, self.get(f"/models/{model}/versions/{number}/"))

    def create_version(self, model: str, **fields: Any) -> Version:
        """A new draft (artifact_uri, framework, metrics, params, model_card,
        and for an LLM application prompt_template, provider, provider_model and
        evaluation_results)."""
        return cast(Version, self.post(f"/models/{model}/versions/", fields))

    def submit_version(self, model: str, number: int) -> Version:
        """Send a draft to review."""
        return cast(Version, self.post(f"/models/{model}/versions/{number}/submit/"))

    # --- gate and deployments -------------------------------------------------

    def check_deployment(
        self,
        *,
        model: str,
        version: int,
        environment: str,
        strategy: str = "full",
        traffic_percent: int | None = None,
    ) -> GateDecision:
        """The gate's dry run: the decision and every check, nothing recorded."""
        body = _deployment_body(model, version, environment, strategy, traffic_percent)
        return cast(GateDecision, self.post("/deployments/check/", body))

    def request_deployment(
        self,
        *,
        model: str,
        version: int,
        environment: str,
        strategy: str = "full",
        traffic_percent: int | None = None,
    ) -> Deployment:
        """Ask for the deployment; the decision is recorded, blocked or not."""
        body = _deployment_body(model, version, environment, strategy, traffic_percent)
        return cast(Deployment, self.post("/deployments/", body))

    def deployments(self, **filters: Any) -> Iterator[Deployment]:
        return cast(Iterator[Deployment], self.pages("/deployments/", **filters))

    def deployment(self, deployment_id: int) -> Deployment:
        return cast(Deployment, self.get(f"/deployments/{deployment_id}/"))

    def start_deployment(self, deployment_id: int, *, reason: str = "") -> Deployment:
        return self._move(deployment_id, "start", reason=reason)

    def complete_deployment(
        self, deployment_id: int, *, reason: str = ""
    ) -> Deployment:
        return self._move(deployment_id, "complete", reason=reason)

    def fail_deployment(self, deployment_id: int, *, reason: str = "") -> Deployment:
        return self._move(deployment_id, "fail", reason=reason)

    def promote_deployment(
        self, deployment_id: int, *, traffic_percent: int, reason: str = ""
    ) -> Deployment:
        return self._move(
            deployment_id, "promote", traffic_percent=traffic_percent, reason=reason
        )

    def rollback_deployment(self, deployment_id: int, *, reason: str) -> Deployment:
        return self._move(deployment_id, "rollback", reason=reason)

    def _move(self, deployment_id: int, move: str, **body: Any) -> Deployment:
        return cast(
            Deployment, self.post(f"/deployments/{deployment_id}/{move}/", body)
        )

    # --- drift ----------------------------------------------------------------

    def post_drift_report(
        self,
        *,
        model: str,
        version: int,
        environment: str,
        window_start: dt.datetime | str,
        window_end: dt.datetime | str,
        features: Sequence[FeaturePayload],
        dataset_drift_share: float | None = None,
    ) -> DriftReport:
        """Post a drift report (raw values or the histogram helpers' payloads)."""
        body: dict[str, Any] = {
            "model": model,
            "version": version,
            "environment": environment,
            "window_start": _timestamp(window_start),
            "window_end": _timestamp(window_end),
            "features": list(features),
        }
        if dataset_drift_share is not None:
            body["dataset_drift_share"] = dataset_drift_share
        return cast(DriftReport, self.post("/drift/reports/", body))

    def drift_alerts(self, **filters: Any) -> Iterator[DriftAlert]:
        """Alerts, filtered by model, version, environment, severity, status."""
        return cast(Iterator[DriftAlert], self.pages("/drift/alerts/", **filters))

    def acknowledge_alert(self, alert_id: int, *, note: str) -> DriftAlert:
        """A reviewer has seen the alert; it stays open until resolved."""
        return cast(
            DriftAlert,
            self.post(f"/drift/alerts/{alert_id}/acknowledge/", {"note": note}),
        )

    def resolve_alert(self, alert_id: int, *, note: str) -> DriftAlert:
        return cast(
            DriftAlert, self.post(f"/drift/alerts/{alert_id}/resolve/", {"note": note})
        )

    # --- performance and fairness ---------------------------------------------

    def post_performance_report(
        self,
        *,
        model: str,
        version: int,
        environment: str,
        window_start: dt.datetime | str,
        window_end: dt.datetime | str,
        labels: Sequence[int | bool] | None = None,
        scores: Sequence[float] | None = None,
        predictions: Sequence[int | bool] | None = None,
        confusion_matrix: ConfusionCounts | None = None,
        score_bins: ScoreBins | None = None,
        decision_threshold: float | None = None,
    ) -> PerformanceReport:
        """Post raw pairs (labels with scores and/or predictions) or summaries
        (`mlgov_client.monitoring.confusion_matrix` / `score_bins`)."""
        body = _window(environment, window_start, window_end)
        optional = {
            "labels": labels,
            "scores": scores,
            "predictions": predictions,
            "confusion_matrix": confusion_matrix,
            "score_bins": score_bins,
            "decision_threshold": decision_threshold,
        }
        body.update(_given(optional))
        return cast(
            PerformanceReport,
            self.post(f"/models/{model}/versions/{version}/performance-reports/", body),
        )

    def post_fairness_report(
        self,
        *,
        model: str,
        version: int,
        environment: str,
        window_start: dt.datetime | str,
        window_end: dt.datetime | str,
        attribute: str,
        group_counts: dict[str, ConfusionCounts] | None = None,
        predictions: Sequence[int | bool] | None = None,
        labels: Sequence[int | bool] | None = None,
        groups: Sequence[str | int] | None = None,
        reference_group: str | None = None,
    ) -> FairnessReport:
        """Post per-group counts (`mlgov_client.monitoring.group_counts`) or
        raw rows (predictions, labels, groups) by one attribute."""
        body = _window(environment, window_start, window_end)
        body["attribute"] = attribute
        optional = {
            "group_counts": group_counts,
            "predictions": predictions,
            "labels": labels,
            "groups": groups,
            "reference_group": reference_group,
        }
        body.update(_given(optional))
        return cast(
            FairnessReport,
            self.post(f"/models/{model}/versions/{version}/fairness-reports/", body),
        )

    def monitoring_alerts(self, **filters: Any) -> Iterator[MonitoringAlert]:
        """Performance and fairness alerts, filtered by model, version,
        environment, severity, status, kind."""
        return cast(
            Iterator[MonitoringAlert], self.pages("/monitoring/alerts/", **filters)
        )

    # --- command center -------------------------------------------------------

    def portfolio_summary(self) -> PortfolioSummary:
        return cast(PortfolioSummary, self.get("/portfolio/summary/"))


def _deployment_body(
    model: str,
    version: int,
    environment: str,
    strategy: str,
    traffic_percent: int | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "version": version,
        "environment": environment,
        "strategy": strategy,
    }
    if traffic_percent is not None:
        body["traffic_percent"] = traffic_percent
    return body


def _window(
    environment: str, start: dt.datetime | str, end: dt.datetime | str
) -> dict[str, Any]:
    return {
        "environment": environment,
        "window_start": _timestamp(start),
        "window_end": _timestamp(end),
    }


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in values.items()
        if value is not None
    }


def _timestamp(value: dt.datetime | str) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else value
