"""Cached list pages for API lists that read the same for every caller."""

from rest_framework.response import Response

from mlgov.cache import cached, namespaced_key


class CachedListMixin:
    """Caches each page of a ListAPIView (per host and query string) under
    `cache_namespace`, which the app's services invalidate when rows change.

    Only for lists whose content does not depend on who asks: permissions
    still run first, but every permitted caller gets the same page."""

    cache_namespace: str

    def list(self, request, *args, **kwargs):
        key = namespaced_key(
            self.cache_namespace, "page", request.get_host(), request.get_full_path()
        )
        page = super().list  # type: ignore[misc]  # a mixin for ListAPIView
        return Response(cached(key, lambda: page(request, *args, **kwargs).data))
