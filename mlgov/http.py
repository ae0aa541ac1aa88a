"""Facts about the HTTP request that several layers need."""

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
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
