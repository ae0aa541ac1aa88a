"""Domain events: what the services decided, told to whoever subscribed.

`announce` is for decisions: once the transaction that made one has committed
(a rolled-back decision is neither logged nor counted), the subscribers run
and the event is logged as JSON. `publish` tells the subscribers at once and
logs nothing, for facts too frequent to log (an evaluation on request).

The kernel names no app: apps and the metrics table (`mlgov.metrics.
EVENT_COUNTERS`) subscribe by event name from `AppConfig.ready()`."""

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

from mlgov.logging import current_request_id, log_event, request_id_var

Subscriber = Callable[[Mapping[str, Any]], None]

logger = logging.getLogger(__name__)
subscribers: dict[str, list[Subscriber]] = {}


def subscribe(event: str, subscriber: Subscriber) -> None:
    """Call `subscriber(fields)` on every `event`; subscribing twice is once."""
    registered = subscribers.setdefault(event, [])
    if subscriber not in registered:
        registered.append(subscriber)


def publish(event: str, /, **fields: Any) -> None:
    """Tell `event`'s subscribers now. A failing subscriber is logged and
    skipped: a counter must never undo or fail a decision."""
    for subscriber in subscribers.get(event, ()):
        try:
            subscriber(fields)
        except Exception:
            logger.exception("Subscriber %r of %s failed", subscriber, event)


def announce(
    event: str, /, *, count: Callable[[], None] | None = None, **fields: Any
) -> None:
    """Publish and log `event` with `fields` after the current commit.

    `count` is kept for callers written before the subscriber table; new code
    maps its event to counters in `mlgov.metrics.EVENT_COUNTERS` instead."""
    # The id of the request that decided, even if the commit hook runs later.
    request_id = current_request_id()

    def deliver() -> None:
        token = request_id_var.set(request_id)
        try:
            if count is not None:
                count()
            publish(event, **fields)
            log_event(event, **fields)
        finally:
            request_id_var.reset(token)

    transaction.on_commit(deliver)
