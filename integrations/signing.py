"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>", hex-encoded.
Pure functions, shared by the sender and by receivers (docs/integrations.md).

Only the timestamp and the body are signed, so every fact a receiver acts on
is in the body (its `type` and `id` among them); no unsigned header carries
one of its own."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Mlgov-Signature"
TIMESTAMP_HEADER = "X-Mlgov-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_VERSION = "v1"


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    *,
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: int,
    tolerance_seconds: int = 300,
) -> bool:
    """What a receiver does: the timestamp is recent and the signature matches,
    compared in constant time."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_seconds:
        return False
    expected = sign(secret=secret, timestamp=sent_at, body=body)
    return hmac.compare_digest(expected, signature)
