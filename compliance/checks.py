"""A system check: every shipped framework pack loads, so a broken pack file
stops `manage.py check` and the server's start, not a page."""

from typing import Any

from django.core.checks import Error

from compliance.packs import PackFileError, shipped_packs


def check_framework_packs(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """An error naming the file and the obligation of a pack that fails."""
    try:
        shipped_packs()
    except PackFileError as error:
        return [Error(str(error), id="compliance.E001")]
    return []
