"""System checks of the project's own settings."""

from django.conf import settings
from django.core import checks


# A deploy check: one runserver process counts correctly, so the notice is
# noise on every manage.py command; it matters with several workers, which
# `check --deploy` and gunicorn's start (gunicorn.conf.py) point out.
@checks.register(checks.Tags.caches, deploy=True)
def rate_limit_counters_are_shared(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Say so when rate-limit counters live in one process's memory."""
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" in backend.lower():
        return []
    return [
        checks.Info(
            "Rate-limit counters and the cache are per process (local-memory "
            "cache): each worker counts on its own. Set REDIS_URL to share them.",
            id="mlgov.I001",
        )
    ]
