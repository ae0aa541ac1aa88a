"""Every list in the API is cursor-paginated with a bounded page size. The
URL patterns are walked, so apps added later are covered without a new test."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import generics, mixins
from rest_framework.viewsets import ViewSetMixin

from mlgov.api.pagination import StableCursorPagination
from tests.factories import MLModelFactory

API_PREFIX = "api/v1/"


def walk(patterns, prefix: str = ""):
    """(route, view callback) for every URL pattern, nested includes too."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def is_list_view(callback) -> bool:
    view_class = getattr(callback, "cls", None)
    if view_class is None:
        return False
    if issubclass(view_class, ViewSetMixin):
        return "list" in (getattr(callback, "actions", None) or {}).values()
    return issubclass(view_class, mixins.ListModelMixin)


def unbounded_list_views(patterns) -> list[str]:
    """Routes of API list views that are not bounded cursor pages."""
    offenders = []
    for route, callback in walk(patterns):
        if not route.startswith(API_PREFIX) or not is_list_view(callback):
            continue
        pagination = callback.cls.pagination_class
        if pagination is None or not issubclass(pagination, StableCursorPagination):
            offenders.append(route)
            continue
        max_page_size = pagination().max_page_size
        if not isinstance(max_page_size, int) or not 1 <= max_page_size <= 1000:
            offenders.append(route)
    return offenders


def api_list_routes() -> list[str]:
    return [
        route
        for route, callback in walk(get_resolver().url_patterns)
        if route.startswith(API_PREFIX) and is_list_view(callback)
    ]


def test_the_walk_finds_the_api_lists():
    routes = api_list_routes()

    assert "api/v1/models/" in routes
    assert "api/v1/environments/" in routes
    assert "api/v1/models/<slug:name>/versions/" in routes


def test_every_api_list_is_a_bounded_cursor_page():
    assert unbounded_list_views(get_resolver().url_patterns) == []


def test_the_check_catches_a_list_without_cursor_pagination():
    from django.urls import include, path

    class Unpaginated(generics.ListAPIView):
        pagination_class = None

    class Unbounded(generics.ListAPIView):
        class pagination_class(StableCursorPagination):
            max_page_size = None

    patterns = [
        path(
            "api/v1/",
            include(
                [
                    path("plain/", Unpaginated.as_view()),
                    path("huge/", Unbounded.as_view()),
                ]
            ),
        )
    ]

    assert unbounded_list_views(patterns) == ["api/v1/plain/", "api/v1/huge/"]


@pytest.mark.django_db
def test_a_huge_page_size_is_capped(settings, api_client_for, viewer):
    settings.API_MAX_PAGE_SIZE = 3
    MLModelFactory.create_batch(5)

    page = api_client_for(viewer).get("/api/v1/models/?page_size=100000").json()

    assert len(page["results"]) == 3
    assert page["next"]
