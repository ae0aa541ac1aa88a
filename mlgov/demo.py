"""The demo portfolio's kernel: a registry of demo steps that each app fills
from its `AppConfig.ready()`, the marker of the rows the demo made, and the
demo password kept in `var/` across restarts.

The kernel imports no app. `seed_demo` runs the steps in registration order,
which is `INSTALLED_APPS` order, so every app sees the demo rows of the apps
it builds on. A step touches only rows marked as the demo's: a user's own
models, versions, policies and alerts in the same database are left alone."""

import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from mlgov.models import DemoObject


@dataclass(frozen=True)
class DemoRun:
    """What one `seed_demo` run asks of every step."""

    models: int
    versions_per_model: int | None
    password: str
    password_is_new: bool
    now: datetime
    progress: Callable[[str], None]


M = TypeVar("M", bound=models.Model)
DemoStep = Callable[[DemoRun], str]
_steps: dict[str, DemoStep] = {}


def register_demo_step(name: str, step: DemoStep) -> None:
    """Add an app's demo step; it returns one line saying what it added."""
    _steps[name] = step


def demo_steps() -> list[tuple[str, DemoStep]]:
    """The registered steps, in registration order."""
    return list(_steps.items())


def mark_as_demo(model_class: type[models.Model], pks: Iterable[int]) -> None:
    """Record rows as the demo's own, so later runs may complete them."""
    content_type = ContentType.objects.get_for_model(model_class)
    DemoObject.objects.bulk_create(
        [DemoObject(content_type=content_type, object_id=pk) for pk in pks],
        batch_size=2000,
        ignore_conflicts=True,
    )


def demo_objects(model_class: type[M]) -> models.QuerySet[M]:
    """The rows of `model_class` that the demo made."""
    content_type = ContentType.objects.get_for_model(model_class)
    marked = DemoObject.objects.filter(content_type=content_type).values("object_id")
    return model_class._default_manager.filter(pk__in=marked)


def demo_password_file() -> Path:
    """Where the demo password is kept (mode 600)."""
    return Path(settings.DEMO_PASSWORD_FILE)


def demo_password() -> tuple[str, bool]:
    """The demo users' password, and whether it was created just now."""
    path = demo_password_file()
    try:
        return path.read_text().strip(), False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return password, True
