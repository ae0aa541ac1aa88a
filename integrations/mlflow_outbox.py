"""Decisions that MLflow hears of: gate decisions and deployment moves become
MLflow write-backs inside the deciding transaction (mlgov.events'
in-transaction hook), so there is no write-back without its decision."""

from collections.abc import Mapping
from typing import Any

from integrations.services.mlflow_write_back import (
    enqueue_alias_move,
    enqueue_verdict_tags,
)
from mlgov.events import subscribe_in_transaction


def _gate_decided(fields: Mapping[str, Any]) -> None:
    enqueue_verdict_tags(fields)


def _deployment_moved(fields: Mapping[str, Any]) -> None:
    enqueue_alias_move(fields)


def subscribe_to_domain_events() -> None:
    """Called from IntegrationsConfig.ready()."""
    subscribe_in_transaction("deployment.requested", _gate_decided)
    subscribe_in_transaction("deployment.moved", _deployment_moved)
