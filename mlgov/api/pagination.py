"""Cursor pagination shared by every list endpoint."""

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from mlgov.api.inputs import is_bad_text
from mlgov.exceptions import DomainError


class InvalidCursor(DomainError):
    """A cursor this server did not hand out: 400 `invalid_cursor`."""

    code = "invalid_cursor"
    status_code = 400

    def __init__(self) -> None:
        message = "Invalid cursor: use the next or previous link of a page."
        super().__init__(message, details={"cursor": [message]})


class StableCursorPagination(CursorPagination):
    """Cursor pages over a unique ordering, so rows inserted between two
    requests neither repeat nor push a row off the page. A view names its
    ordering in `cursor_ordering`, led by a unique field.

    A cursor is client input: one that does not decode, or whose position is
    not a value of the ordering field, is a 400 `invalid_cursor`."""

    ordering = "-id"
    page_size_query_param = "page_size"

    @property  # read at request time, so tests may change the setting
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def is_first_page(self, request) -> bool:
        """Whether the request asks for a list's first page (no cursor)."""
        return self.cursor_query_param not in request.query_params

    def paginate_first_page(
        self, request, view, rows: Callable[[int], Sequence[Any]]
    ) -> list[Any] | None:
        """The first page, as paginate_queryset gives it for a request
        without a cursor, from `rows(limit)`: at most `limit` of the view's
        rows in its `cursor_ordering`, from a query compiled once
        (mlgov.db) where building and compiling a QuerySet per request
        cost more than the rest of a short list."""
        self.request = request
        self.page_size = page_size = self.get_page_size(request)
        if not page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, None, view)
        self.cursor = None
        # One more than the page, as paginate_queryset fetches: whether a
        # next page follows, and from where.
        results = list(rows(page_size + 1))
        self.page = results[:page_size]
        self.has_next = len(results) > len(self.page)
        self.has_previous = False
        if self.has_next:
            self.next_position = self._get_position_from_instance(
                results[-1], self.ordering
            )
            if self.template is not None:
                self.display_page_controls = True
        return self.page

    def get_ordering(self, request, queryset, view):
        self._model = getattr(queryset, "model", None)
        ordering = getattr(view, "cursor_ordering", self.ordering)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound as error:
            raise InvalidCursor() from error
        if cursor is not None and cursor.position is not None:
            self._check_position(str(cursor.position))
        return cursor

    def _check_position(self, position: str) -> None:
        if is_bad_text(position):
            raise InvalidCursor()
        field = self._ordering_field()
        if field is None:
            return
        try:
            field.to_python(position)
        except (ValidationError, ValueError, TypeError, OverflowError) as error:
            raise InvalidCursor() from error

    def _ordering_field(self):
        model = getattr(self, "_model", None)
        field = None
        for part in self.ordering[0].lstrip("-").split("__"):
            if model is None:
                return None
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return None
            model = field.related_model
        return field
