"""Error reporting to Sentry, on only when SENTRY_DSN is set."""

from typing import Any

from django.conf import settings

from mlgov.logging import current_request_id
from mlgov.redaction import scrub


def _known_secrets() -> tuple[str, ...]:
    # Values that must never leave even if they turn up under an innocent key.
    return tuple(
        value
        for value in (settings.SECRET_KEY, settings.METRICS_TOKEN)
        if value and len(value) >= 8
    )


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Scrub credentials from the whole event and tag it with the request id."""
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return scrub(event, extra_secrets=_known_secrets())


def init_sentry(*, transport: Any = None) -> bool:
    """Start the Sentry SDK when SENTRY_DSN is set; True when it started.

    `transport` replaces the network (tests pass a capturing one)."""
    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    options: dict[str, Any] = {
        "dsn": settings.SENTRY_DSN,
        "environment": settings.SENTRY_ENVIRONMENT,
        "release": settings.SENTRY_RELEASE or None,
        # The SDK's successor to send_default_pii=False (deprecated in 2.x):
        # no user identity, no request bodies, no SQL parameters (the session
        # lookup's parameter is the session key), no local variables of frames
        # (a token or password in a local would otherwise travel).
        "data_collection": {
            "user_info": False,
            "http_bodies": [],
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        "before_send": before_send,
        "before_send_transaction": before_send,
        "traces_sample_rate": settings.SENTRY_TRACES_SAMPLE_RATE,
        "integrations": [DjangoIntegration()],
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    return True
