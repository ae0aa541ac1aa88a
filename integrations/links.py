"""Absolute addresses of mlgov's pages and API for what leaves mlgov
(e-mails, webhook payloads, MLflow tags): NOTIFICATION_BASE_URL is where
people and receivers reach mlgov."""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def absolute(path: str, **query: object) -> str:
    """`path` (and its query string) under NOTIFICATION_BASE_URL."""
    url = settings.NOTIFICATION_BASE_URL.rstrip("/") + path
    return f"{url}?{urlencode(query)}" if query else url


def model_page(model: str) -> str:
    """The command center page of the model named `model`."""
    return absolute(reverse("command_center:model-detail", kwargs={"name": model}))
