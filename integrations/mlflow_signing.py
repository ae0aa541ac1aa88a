"""MLflow's webhook signatures (mlflow/webhooks/delivery.py, MLflow 3):
HMAC-SHA256 over "<delivery id>.<timestamp>.<body>", base64-encoded, sent as
"v1,<signature>". Pure functions: the receiver verifies with them, the tests
sign with them.

The delivery id is signed, so a replay with a fresh id needs the secret;
the receiver refuses a delivery id it has seen, and a timestamp more than
the tolerance away from its clock."""

import base64
import hashlib
import hmac

SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_ID_HEADER = "X-MLflow-Delivery-Id"
SIGNATURE_VERSION = "v1"
TOLERANCE_SECONDS = 300


def sign(*, secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """The signature header's value MLflow sends for `body`."""
    message = delivery_id.encode() + b"." + timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def is_signed_by(
    *, secret: str, delivery_id: str, timestamp: str, body: bytes, signature: str
) -> bool:
    """Whether `signature` is MLflow's for this delivery, compared in
    constant time."""
    expected = sign(
        secret=secret, delivery_id=delivery_id, timestamp=timestamp, body=body
    )
    return hmac.compare_digest(expected.encode(), signature.encode())


def is_fresh(
    *, timestamp: str, now: int, tolerance_seconds: int = TOLERANCE_SECONDS
) -> bool:
    """Whether `timestamp` (Unix seconds, ASCII digits) is within the
    tolerance of `now`, either way."""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    return abs(now - int(timestamp)) <= tolerance_seconds
