"""Announcing domain decisions: a JSON log event and its metric, once the
transaction that made the decision has committed (a rolled-back decision is
neither logged nor counted).

Apps that must write alongside a decision (the webhook outbox) register an
in-transaction subscriber from `AppConfig.ready()`: it runs inside the
deciding transaction, so its rows commit or roll back with the decision, and
an error in it undoes the decision."""

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

from mlgov.logging import current_request_id, log_event, request_id_var

InTransactionSubscriber = Callable[[str, Mapping[str, Any]], None]
_in_transaction_subscribers: list[InTransactionSubscriber] = []


def subscribe_in_transaction(subscriber: InTransactionSubscriber) -> None:
    """Call `subscriber(event, fields)` for every announcement, in the
    announcing transaction; registering twice is harmless."""
    if subscriber not in _in_transaction_subscribers:
        _in_transaction_subscribers.append(subscriber)


def announce(
    event: str, /, *, count: Callable[[], None] | None = None, **fields: Any
) -> None:
    """Log `event` with `fields` and run `count` after the current commit;
    in-transaction subscribers run now."""
    for subscriber in _in_transaction_subscribers:
        subscriber(event, fields)
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
