"""Facts about the HTTP request that several layers need."""

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the trusted proxy's header when one is configured,
    else the socket peer. A malformed header value counts as absent."""
    header = settings.CLIENT_IP_HEADER
    candidate = request.headers.get(header, "").strip() if header else ""
    if not candidate:
        candidate = request.META.get("REMOTE_ADDR", "")
    return _normalized_address(candidate)


# Parsed once per address seen recently, not on every request (access log,
# rate limiter, audit trail); bounded, as the header is client input.
@functools.lru_cache(maxsize=4096)
def _normalized_address(candidate: str) -> str | None:
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
