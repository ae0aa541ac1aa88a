"""Cursor pagination shared by every list endpoint."""

from django.conf import settings
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pages over a unique ordering, so rows inserted between two
    requests neither repeat nor push a row off the page. A view names its
    ordering in `cursor_ordering`, led by a unique field."""

    ordering = "-id"
    page_size_query_param = "page_size"

    @property  # read at request time, so tests may change the setting
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "cursor_ordering", self.ordering)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
