"""Everything the command center reads about deployments, in one place.

The deployments app (DESIGN §2) is not installed yet: until it is, which
versions are active where, and what the gate decided, cannot be known, and
these selectors say so by answering None rather than inventing a number. When
the app lands, only this module changes."""

from collections.abc import Mapping
from typing import Any

from django.apps import apps

from command_center.portfolio import ModelRow


def deployments_available() -> bool:
    """Whether the deployments app is installed."""
    return apps.is_installed("deployments")


def production_compliance_by_deployment(
    rows: Mapping[int, ModelRow],
) -> Mapping[int, bool] | None:
    """Compliance now of each deployment active in production, by deployment
    id; None while deployments are not recorded."""
    return None


def gate_decisions_last_30_days() -> dict[str, Any] | None:
    """Approved and blocked gate decisions of the last 30 days with the top
    blocking checks; None while deployments are not recorded."""
    return None


def deployment_timeline(*, model_id: int) -> list[Any] | None:
    """The ledger of one model's deployments; None while not recorded."""
    return None


def deployment_list(**filters: Any) -> list[Any] | None:
    """Deployments for the list page; None while not recorded."""
    return None
