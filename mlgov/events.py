"""Announcing domain decisions: a JSON log event and its metric, once the
transaction that made the decision has committed (a rolled-back decision is
neither logged nor counted)."""

from collections.abc import Callable
from typing import Any

from django.db import transaction

from mlgov.logging import current_request_id, log_event, request_id_var


def announce(
    event: str, /, *, count: Callable[[], None] | None = None, **fields: Any
) -> None:
    """Log `event` with `fields` and run `count` after the current commit."""
    # The id of the request that decided, even if the commit hook runs later.
    request_id = current_request_id()

    def publish() -> None:
        token = request_id_var.set(request_id)
        try:
            if count is not None:
                count()
            log_event(event, **fields)
        finally:
            request_id_var.reset(token)

    transaction.on_commit(publish)
