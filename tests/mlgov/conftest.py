import io
import json
import logging

import pytest
from prometheus_client import REGISTRY

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def log_lines():
    """The JSON lines the configured console handler writes, as dicts."""
    handler = next(
        h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console"
    )
    buffer = io.StringIO()
    original = handler.setStream(buffer)

    def read() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    read.raw = buffer.getvalue
    yield read
    handler.setStream(original)


@pytest.fixture
def broken_cache(settings):
    """The cache pointed at a port where no Redis listens, as in an outage."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    return settings


def metric(name: str, **labels: str) -> float:
    """The current value of a metric sample in this process (0 when unset)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
