"""One error shape everywhere: {"error": {"code", "message", "details"}}."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mlgov.exceptions import DomainError

logger = logging.getLogger(__name__)

# When a Ratelimited exception does not say how long to wait: the longest
# window the settings use (a minute).
DEFAULT_RETRY_AFTER = 60
# Seconds a client waits after a 503 for an unreachable database.
DATABASE_RETRY_AFTER = 5

_CODE_BY_STATUS = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_body(code: str, message: str, details: object = None) -> dict:
    """The error document every API failure uses."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def throttled_response(retry_after: int) -> JsonResponse:
    """429 in the error shape, saying when to come back (also in Retry-After)."""
    response = JsonResponse(
        error_body(
            "throttled",
            f"Too many requests. Try again in {retry_after} seconds.",
            {"retry_after": retry_after},
        ),
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(retry_after)
    return response


def unavailable_response(retry_after: int) -> JsonResponse:
    """503 in the error shape: the rate limiter could not count (fail closed)."""
    response = JsonResponse(
        error_body(
            "unavailable",
            "The service cannot accept requests right now. Try again shortly.",
        ),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _first_message(detail: object) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        field, inner = next(iter(detail.items()))
        return f"{field}: {_first_message(inner)}"
    return str(detail)


def exception_handler(exc, context):
    """DRF exception handler rendering every error in the single shape."""
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, exc.details), status=exc.status_code
        )
    if isinstance(exc, RequestDataTooBig):
        cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            error_body(
                "payload_too_large",
                f"The request body is larger than the cap of {cap:,} bytes.",
                {"max_body_bytes": cap},
            ),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, Ratelimited):
        # django-ratelimit's decorator raises a PermissionDenied subclass;
        # without this it would read as a 403.
        exc = exceptions.Throttled(
            wait=getattr(exc, "retry_after", None) or DEFAULT_RETRY_AFTER
        )
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        details = (
            exc.detail
            if isinstance(exc.detail, dict)
            else {"non_field_errors": exc.detail}
        )
        body = error_body(
            "invalid",
            "The request has invalid fields: " + ", ".join(details) + ".",
            details,
        )
    else:
        code = getattr(exc, "default_code", None) or _CODE_BY_STATUS.get(
            response.status_code, "error"
        )
        body = error_body(code, _first_message(exc.detail))
    response.data = body
    return response


def json_not_found(request, exception=None):
    """handler404: JSON under /api/, the ordinary page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """A lost or refused database connection, or a statement the database
    cancelled (statement_timeout): the service, not the request, is at fault."""
    return isinstance(exc, (OperationalError, InterfaceError))


def database_unavailable_response(request) -> HttpResponse:
    """503 in the error shape (a short page outside /api/), Retry-After set."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body(
                "unavailable",
                "The database is unavailable or the request took too long. "
                "Try again shortly.",
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    else:
        response = HttpResponse(
            "Service unavailable. Try again shortly.\n",
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            content_type="text/plain; charset=utf-8",
        )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def json_server_error(request):
    """handler500: JSON under /api/, the ordinary page elsewhere; a database
    that cannot be reached is a 503 (Django calls this inside its except
    block, so the exception is at hand)."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", "Internal server error."), status=500
        )
    from django.views.defaults import server_error

    return server_error(request)
