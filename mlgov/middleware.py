"""Request middleware of the project."""

import contextvars
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable

import sentry_sdk
from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.messages.middleware import (
    MessageMiddleware as DjangoMessageMiddleware,
)
from django.contrib.sessions.middleware import (
    SessionMiddleware as DjangoSessionMiddleware,
)
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils.functional import empty
from django_prometheus.middleware import (
    PrometheusAfterMiddleware as DjangoPrometheusAfterMiddleware,
)
from whitenoise.middleware import WhiteNoiseMiddleware as StaticFilesMiddleware

from mlgov import ratelimit
from mlgov.api.authentication import bearer_user, known_token_owner
from mlgov.api.errors import (
    database_unavailable_response,
    error_body,
    is_database_unavailable,
    json_not_found,
    throttled_response,
    unavailable_response,
)
from mlgov.api.inputs import BAD_TEXT_MESSAGE, is_bad_text
from mlgov.http import client_ip
from mlgov.logging import ACCESS_LOGGER, request_id_var

access_logger = logging.getLogger(ACCESS_LOGGER)
logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def _user_id(request: HttpRequest) -> int | None:
    # Only a user already resolved is reported (by the view, the session
    # middleware or the rate limiter's token lookup): resolving one here would
    # cost a session lookup per request.
    user = request.__dict__.get("user")
    is_resolved = user is not None and getattr(user, "_wrapped", None) is not empty
    if is_resolved and getattr(user, "is_authenticated", False):
        return user.pk
    outcome, value = request.__dict__.get("_mlgov_bearer") or (None, None)
    if outcome == "ok" and value is not None:
        return value[0].pk
    return None


def _resolver_match(request: HttpRequest) -> ResolverMatch | None:
    # A response made before URL resolution (a 429, a CORS preflight) still
    # names its route in the access event.
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
    return match


# The endpoints an orchestrator and Prometheus call on a pod's own address.
OPERATOR_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class OperatorHostMiddleware:
    """Lets probes and scrapes name the pod by its address.

    Kubernetes probes and Prometheus reach each pod at an IP that no
    ALLOWED_HOSTS entry names, and Django's host check would answer 400. For
    these three paths only, which build no URL from the host and whose
    metrics need METRICS_TOKEN anyway, the request is given a host that
    ALLOWED_HOSTS accepts; every other path keeps the check."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in OPERATOR_PATHS:
            host = _an_allowed_host()
            if host is not None:
                request.META["HTTP_HOST"] = host
        return self.get_response(request)


def _an_allowed_host() -> str | None:
    """A host name ALLOWED_HOSTS accepts ("*" accepts any, so none is needed)."""
    for pattern in settings.ALLOWED_HOSTS:
        if pattern == "*":
            return None
        return pattern.lstrip(".")
    return None


class PrometheusAfterMiddleware(DjangoPrometheusAfterMiddleware):
    """django-prometheus's request metrics, each labelled series looked up
    once per process: prometheus_client's labels() checks the label names,
    turns each value to text and takes the metric's lock, eleven times a
    request, for series that never change. The same series are counted."""

    # As many series as django-prometheus makes for the routes, methods and
    # statuses seen; a bound all the same, as a method name is client input.
    MAX_SERIES = 10_000

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self._series: dict[tuple, object] = {}

    def label_metric(self, metric, request, response=None, **labels):
        if not labels:
            return metric
        key = (metric, *labels.items())
        series = self._series.get(key)
        if series is None:
            if len(self._series) >= self.MAX_SERIES:
                self._series.clear()
            series = self._series[key] = metric.labels(**labels)
        return series


class RequestContextMiddleware:
    """Gives every request an id (the caller's X-Request-ID when well formed,
    else a new one), puts it on log lines, Sentry events and the response,
    and logs one access event with the route and duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = (
            offered if _WELL_FORMED_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        )
        request.request_id = request_id
        token = request_id_var.set(request_id)
        sentry_sdk.set_tag("request_id", request_id)
        try:
            response = self.get_response(request)
            duration_ms = (time.perf_counter() - started) * 1000
            response[REQUEST_ID_HEADER] = request_id
            response["Server-Timing"] = f"app;dur={duration_ms:.1f}"
            match = _resolver_match(request)
            # The route pattern, not the path: bounded, and free of the ids
            # and names a path carries.
            route = match.route if match else None
            access_logger.info(
                "%s %s %s",
                request.method,
                route or "(unmatched)",
                response.status_code,
                extra={
                    "event": "http.request",
                    "method": request.method,
                    "route": route,
                    "view": match.view_name if match else None,
                    "status": response.status_code,
                    "duration_ms": round(duration_ms, 1),
                    "user_id": _user_id(request),
                    "client_ip": client_ip(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class SecurityHeadersMiddleware:
    """Content-Security-Policy with a fresh nonce per request (templates put
    `request.csp_nonce` on their inline scripts and styles) and
    Permissions-Policy; Django's SecurityMiddleware sends the others."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        header = (
            "Content-Security-Policy-Report-Only"
            if settings.CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )
        response.headers.setdefault(
            header, settings.CONTENT_SECURITY_POLICY.format(nonce=request.csp_nonce)
        )
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def is_token_api_call(request: HttpRequest) -> bool:
    """An API call that carries a bearer token. The token authenticates it or
    it is refused (DRF never reaches session authentication then), so no
    session, message, session user or static file plays a part in it."""
    decided = request.__dict__.get("_mlgov_token_call")
    if decided is None:
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        decided = request._mlgov_token_call = (
            request.path.startswith("/api/") and authorization[:7].lower() == "bearer "
        )
    return decided


# Django's session, user and message middleware and WhiteNoise, skipped for
# token API calls: together with the message storage's signer they were
# about a twentieth of a small read's CPU, spent on nothing. Subclasses, so
# Django's checks still find them; CSRF stays as it is, by its path, which
# `check --deploy` looks for.


class SkippedByTokenApiCalls:
    """Mixed in before a middleware class: token API calls go past it."""

    get_response: Callable[[HttpRequest], HttpResponse]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_token_api_call(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(SkippedByTokenApiCalls, DjangoSessionMiddleware):
    pass


class AuthenticationMiddleware(SkippedByTokenApiCalls, DjangoAuthenticationMiddleware):
    pass


class MessageMiddleware(SkippedByTokenApiCalls, DjangoMessageMiddleware):
    pass


class WhiteNoiseMiddleware(SkippedByTokenApiCalls, StaticFilesMiddleware):
    pass


class ApiNotFoundMiddleware:
    """Every 404 under /api/ in the error shape, in every mode: with DEBUG on,
    Django answers an unknown route with its HTML page and never calls
    handler404. Sits inside CommonMiddleware, which still turns a 404 for a
    path missing its slash into a redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return json_not_found(request)
        return response


class InputGuardMiddleware:
    """Refuses query parameters and URL arguments holding text no database can
    store (NUL, unpaired surrogates) with a 400 naming the parameter, for
    every view; JSON bodies are checked by mlgov.api.inputs' parser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if is_bad_text(name) or any(is_bad_text(value) for value in values):
                return self._refuse(request, name)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for name, value in view_kwargs.items():
            if isinstance(value, str) and is_bad_text(value):
                return self._refuse(request, name)
        return None

    @staticmethod
    def _refuse(request: HttpRequest, name: str) -> HttpResponse:
        name = name.encode("utf-8", "backslashreplace").decode().replace("\x00", "")
        message = f"{name}: {BAD_TEXT_MESSAGE}"
        if request.path.startswith("/api/"):
            return JsonResponse(
                error_body("invalid", message, {name: [BAD_TEXT_MESSAGE]}), status=400
            )
        return HttpResponse(
            message + "\n", status=400, content_type="text/plain; charset=utf-8"
        )


class RateLimitMiddleware:
    """Rate limits for everything under /api/ and for login forms, applied
    here so every API app added later is limited without opting in.

    It runs before DRF authenticates inside the view, so it resolves the
    bearer token itself (the result is kept for DRF) to count per user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.RATELIMIT_ENABLE and request.path.startswith("/api/"):
            verdict = self._api_verdict(request)
            if not verdict.allowed:
                if verdict.cache_failed:
                    return unavailable_response(verdict.retry_after)
                return throttled_response(verdict.retry_after)
        return self.get_response(request)

    def _api_verdict(self, request: HttpRequest) -> ratelimit.Verdict:
        # A token this process has seen: counted against its owner and its
        # cached resolution fetched in one Redis round trip, not two.
        known = known_token_owner(request)
        if known is not None:
            owner_id, cache_key = known
            counted = ratelimit.check_api_as_owner(
                request, user_id=owner_id, also_get=cache_key
            )
            if counted is not None:
                verdict, cached = counted
                user = bearer_user(request, cached=cached)
                if user is not None and user.pk == owner_id:
                    return verdict
                ratelimit.uncount_as_owner(request, user_id=owner_id)
        return ratelimit.check_api(request, user=self._api_user(request))

    @staticmethod
    def _api_user(request: HttpRequest) -> object | None:
        user = bearer_user(request)
        if user is not None:
            return user
        session_user = getattr(request, "user", None)
        if session_user is not None and session_user.is_authenticated:
            return session_user
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not ratelimit.is_login_view(request, view_func):
            return None
        verdict = ratelimit.check_login(request)
        if verdict.allowed:
            return None
        message = (
            "Too many login attempts from your address. "
            f"Try again in {verdict.retry_after} seconds.\n"
            if not verdict.cache_failed
            else "Login is briefly unavailable. Try again shortly.\n"
        )
        response = HttpResponse(
            message,
            status=503 if verdict.cache_failed else 429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response


class DatabaseRetryMiddleware:
    """A read whose view fails on a lost database connection is run once
    more on a fresh connection (the pool replaces the dead one); a write is
    never repeated. What still fails is a 503 in the error shape, never a 500.

    Last in MIDDLEWARE, so its process_exception sees the view's exception
    first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("database connection error in a view", exc_info=exception)
        if (
            request.method in ("GET", "HEAD", "OPTIONS")
            and not connection.in_atomic_block
        ):
            connection.close()
            match = request.resolver_match
            try:
                response = match.func(request, *match.args, **match.kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                return response
            except Exception as error:
                if not is_database_unavailable(error):
                    raise
                logger.warning("database still unavailable on retry", exc_info=error)
                connection.close()
        return database_unavailable_response(request)


class AuditActorMiddleware(AuditlogMiddleware):
    """Auditlog's middleware, taking the client address from the trusted
    proxy header only, never from a raw X-Forwarded-For."""

    # Reads change nothing, so they write no audit entry to attribute: the
    # context (a signal receiver connected and disconnected per request, a
    # correlation id, the address) is set up for the methods that write
    # only: on reads it was a measurable share of a cached read's CPU
    # (bench/profile_registry.py, docs/performance.md).
    READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __call__(self, request):
        if request.method in self.READ_METHODS:
            return self.get_response(request)
        # auditlog sets its context variables (actor, address, correlation
        # id) and never resets them: after a request, whatever wrote entries
        # in the same thread without one (mlgov.audit, a command) would be
        # attributed to that request's actor. The copy is dropped after.
        return contextvars.copy_context().run(super().__call__, request)

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None
