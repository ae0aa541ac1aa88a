"""mlgov settings: every value that varies between deployments comes from the
environment (see .env.example). The defaults give the embedded setup: SQLite,
the local-memory cache, nothing to start."""

import ipaddress
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

MLGOV_MODE = env.str("MLGOV_MODE", default="embedded")
if MLGOV_MODE not in ("embedded", "production"):
    raise ImproperlyConfigured("MLGOV_MODE must be 'embedded' or 'production'.")
IS_PRODUCTION = MLGOV_MODE == "production"

DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)

_INSECURE_EMBEDDED_KEY = "django-insecure-embedded-mlgov-key-for-local-use-only"
SECRET_KEY = env.str(
    "SECRET_KEY", default="" if IS_PRODUCTION else _INSECURE_EMBEDDED_KEY
)


def _is_weak_secret(secret: str) -> bool:
    """Django's own --deploy test: short, low variety, or an insecure default."""
    return (
        len(secret) < 50
        or len(set(secret)) < 5
        or secret.startswith("django-insecure-")
    )


if IS_PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("Production mode refuses DEBUG=True.")
    if not SECRET_KEY or _is_weak_secret(SECRET_KEY):
        raise ImproperlyConfigured(
            "Production mode needs SECRET_KEY: at least 50 characters, 5 distinct, "
            "not a django-insecure key."
        )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost"]
)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production mode needs ALLOWED_HOSTS.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "mlgov.apps.MlgovAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_prometheus",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "auditlog",
    "mlgov",
    "registry",
    "drift",
    "governance",
    "deployments",
    "compliance",
    "integrations",
    "command_center",
]

# Order matters: metrics and the request context wrap everything, so every
# response (even a 429 or a CORS preflight) is timed, logged and counted; the
# rate limiter sits after authentication because it counts per user.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Second, not last: a response made by a middleware below it (a 429 from
    # the rate limiter, a 400 from the input guard) is counted by status too.
    "mlgov.middleware.PrometheusAfterMiddleware",
    "mlgov.middleware.OperatorHostMiddleware",
    "mlgov.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "mlgov.middleware.SecurityHeadersMiddleware",
    "mlgov.middleware.InputGuardMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # WhiteNoise and Django's session, user and message middleware, which
    # API calls with a bearer token skip (mlgov.middleware).
    "mlgov.middleware.WhiteNoiseMiddleware",
    "mlgov.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "mlgov.middleware.ApiNotFoundMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "mlgov.middleware.AuthenticationMiddleware",
    "mlgov.middleware.RateLimitMiddleware",
    "mlgov.middleware.MessageMiddleware",
    # After the messages, so the sign-out it forces can say why.
    "mlgov.session_age.SessionMaxAgeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mlgov.middleware.AuditActorMiddleware",
    "mlgov.middleware.DatabaseRetryMiddleware",
]

ROOT_URLCONF = "mlgov.urls"
WSGI_APPLICATION = "mlgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "command_center.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite by default; DATABASE_URL selects PostgreSQL (psycopg 3) with
# Django's connection pool. Pool sizing is explained in docs/operations.md.
# The engines are django-prometheus's subclasses of Django's own, which count
# queries, errors and connection checkouts.
EMBEDDED_DATA_DIR = BASE_DIR / "var"
DATABASE_URL = env.str("DATABASE_URL", default="")
if IS_PRODUCTION and not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("Production mode needs DATABASE_URL (PostgreSQL).")
DATABASES = {
    "default": env.db_url_config(
        DATABASE_URL or f"sqlite:///{EMBEDDED_DATA_DIR / 'mlgov.sqlite3'}"
    )
}
_INSTRUMENTED_ENGINES = {
    "django.db.backends.postgresql": "mlgov.postgresql",
    "django.db.backends.sqlite3": "mlgov.sqlite3",
}
DATABASE_VENDOR = DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
DATABASES["default"]["ENGINE"] = _INSTRUMENTED_ENGINES.get(
    DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"]
)
if DATABASE_VENDOR == "postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The pool checks a connection as it hands it out, so one PostgreSQL
    # dropped (a restart, an idle timeout, a terminated backend) is replaced,
    # not given to a request; without a round trip when the socket shows
    # nothing happened (mlgov.postgresql.base).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        # Idle connections are replaced before firewalls or PostgreSQL drop them.
        "max_idle": env.float("DATABASE_POOL_MAX_IDLE", default=300.0),
    }
    # No statement runs longer than this (milliseconds; 0 turns it off): one
    # request's work stays bounded below GUNICORN_TIMEOUT, and the database
    # ends the statement instead of leaving it running for a dead worker.
    DATABASE_STATEMENT_TIMEOUT_MS = env.int(
        "DATABASE_STATEMENT_TIMEOUT_MS", default=20_000
    )
    _options["options"] = (
        _options.get("options", "")
        + f" -c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}"
    ).strip()
    # The hot paths' queries compiled once per process (mlgov.db.CompiledRows)
    # run as prepared statements, planned once per connection. Behind a pooler
    # in transaction mode: PgBouncer 1.21+ with max_prepared_statements, or off.
    DATABASE_PREPARED_STATEMENTS = env.bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    )
    if DATABASE_PREPARED_STATEMENTS:
        # Lets psycopg prepare at all (Django turns it off). Only that cursor
        # of mlgov.db asks it to: Django's own cursors bind on the client side
        # and never prepare.
        _options["prepare_threshold"] = 5
elif DATABASE_VENDOR == "sqlite3":
    # The database file's directory is made at the first connection
    # (mlgov.sqlite3), not here: importing settings writes nothing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests run in memory, named explicitly: pytest-django recognises only
    # Django's own SQLite engine, and under xdist would otherwise derive a
    # per-worker file name from the path of the embedded database.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: local memory by default; REDIS_URL selects django-redis with bounded
# timeouts, because the client's default blocks forever on a dead server.
# Both are django-prometheus's instrumented subclasses (hit/miss counters).
REDIS_URL = env.str("REDIS_URL", default="")
if IS_PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("Production mode needs REDIS_URL.")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Parallel test workers (pytest-xdist) share one Redis database;
            # each keeps its own keys and clears only those.
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="mlgov")
            + env.str("PYTEST_XDIST_WORKER", default=""),
            "OPTIONS": {
                "CLIENT_CLASS": "mlgov.redis_client.CircuitBreakerClient",
                "SOCKET_CONNECT_TIMEOUT": env.float(
                    "REDIS_CONNECT_TIMEOUT", default=0.25
                ),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.25),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache",
            "LOCATION": "mlgov",
        }
    }
# A Redis outage degrades to cache misses, never to a 500: django-redis swallows
# connection errors, logs them (counted by mlgov.metrics.CacheErrorCounter on
# that logger), and callers recompute from the database.
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "mlgov.cache.redis"
# A stalled Redis is skipped after this many consecutive failures, for this
# many seconds, then tried again (mlgov.redis_client).
REDIS_BREAKER_THRESHOLD = env.int("REDIS_BREAKER_THRESHOLD", default=3)
REDIS_BREAKER_COOLDOWN = env.float("REDIS_BREAKER_COOLDOWN", default=5.0)
CACHE_TIMEOUT_SECONDS = env.int("CACHE_TIMEOUT_SECONDS", default=300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LOGIN_URL = "command_center:sign-in"
LOGIN_REDIRECT_URL = "command_center:overview"

# Single sign-on (OpenID Connect, mozilla-django-oidc): on when the client id
# is set; mlgov.checks names whatever else is missing. Endpoints are given
# explicitly (docs/operations.md lists them for Keycloak, Entra ID and Okta):
# nothing is fetched from the provider at start-up.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT_SECONDS", default=10.0)
# Seconds of clock difference between mlgov and the provider tolerated when
# checking a token's expiry and issue time.
OIDC_CLOCK_SKEW_SECONDS = env.int("OIDC_CLOCK_SKEW_SECONDS", default=60)
OIDC_AUTHENTICATION_CALLBACK_URL = "command_center:sso-callback"
# The claim that names the user (its value becomes the username) and the one
# that lists the user's groups at the provider.
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="email")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
# Provider group -> mlgov role (one role or a list), applied at every sign-in;
# a user none of whose groups maps to a role is refused.
try:
    OIDC_GROUP_ROLES = env.json("OIDC_GROUP_ROLES", default={})
except ValueError as _error:
    raise ImproperlyConfigured(
        f"OIDC_GROUP_ROLES must be a JSON object (group -> role): {_error}"
    ) from _error
# Provider groups named <prefix><team> make the user a member of that team;
# empty leaves team membership to the admin.
OIDC_TEAM_PREFIX = env.str("OIDC_TEAM_PREFIX", default="")
# A signed-in session ends this many hours after the sign-in, active or not.
SESSION_MAX_AGE_HOURS = env.int("SESSION_MAX_AGE_HOURS", default=12)
if SESSION_MAX_AGE_HOURS < 1:
    raise ImproperlyConfigured("SESSION_MAX_AGE_HOURS must be at least 1.")
SESSION_COOKIE_AGE = SESSION_MAX_AGE_HOURS * 3600
# Local passwords: off means only the break-glass users may use one (the
# sign-in page then shows the password form at /sign-in/?local=1).
LOCAL_PASSWORD_LOGIN = env.bool("LOCAL_PASSWORD_LOGIN", default=True)
BREAK_GLASS_USERS = env.list("BREAK_GLASS_USERS", default=[])
AUTHENTICATION_BACKENDS = [
    "mlgov.auth_backends.LocalPasswordBackend",
    "command_center.sso.SsoBackend",
]

# The header the trusted reverse proxy sets to the client's address (for
# example "X-Real-IP"). Empty means no proxy: the socket address is used.
# Raw X-Forwarded-For is never trusted, since any client can send it.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")

# CORS: browsers on these origins may call the API (only /api/). Empty by
# default; a wildcard is refused, since the API serves governance records.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
if any("*" in origin for origin in CORS_ALLOWED_ORIGINS):
    raise ImproperlyConfigured(
        "CORS_ALLOWED_ORIGINS must list exact origins; a wildcard (*) is refused."
    )
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = False
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID"]
CORS_PREFLIGHT_MAX_AGE = env.int("CORS_PREFLIGHT_MAX_AGE", default=600)

# Rate limits (django-ratelimit's counters in the default cache: Redis in
# production, so every worker and app server shares them). Per user when the
# call is authenticated, per client address otherwise. See docs/operations.md.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_API_READ = env.str("RATELIMIT_API_READ", default="600/m")
RATELIMIT_API_WRITE = env.str("RATELIMIT_API_WRITE", default="120/m")
RATELIMIT_API_ANONYMOUS = env.str("RATELIMIT_API_ANONYMOUS", default="60/m")
RATELIMIT_LOGIN = env.str("RATELIMIT_LOGIN", default="10/m")
# Views limited as logins besides any LoginView subclass (by URL name).
RATELIMIT_LOGIN_VIEWS = env.list("RATELIMIT_LOGIN_VIEWS", default=["admin:login"])
# When the cache cannot count: let the request through (and log and count it)
# rather than turn a cache outage into a full outage.
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", default=True)
for _name in (
    "RATELIMIT_API_READ",
    "RATELIMIT_API_WRITE",
    "RATELIMIT_API_ANONYMOUS",
    "RATELIMIT_LOGIN",
):
    # A malformed rate would otherwise fail on every request it applies to.
    if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", globals()[_name]):
        raise ImproperlyConfigured(
            f"{_name} must look like 100/m (a count per s, m, h or d, "
            f"optionally 100/5m); got {globals()[_name]!r}."
        )
RATELIMIT_USE_CACHE = "default"
RATELIMIT_CACHE_PREFIX = "rl:"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mlgov.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["mlgov.api.permissions.HasAnyRole"],
    "DEFAULT_PAGINATION_CLASS": "mlgov.api.pagination.StableCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["mlgov.api.inputs.GuardedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
        "mlgov.api.negotiation.FirstRendererNegotiation"
    ),
    "EXCEPTION_HANDLER": "mlgov.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "mlgov.api.schema.ErrorAwareAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
if not 1 <= API_MAX_PAGE_SIZE <= 1000:
    raise ImproperlyConfigured("API_MAX_PAGE_SIZE must be between 1 and 1000.")
# JSON bodies nested deeper are refused before parsing (mlgov.api.inputs).
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
# Seconds a resolved bearer token (user, roles, teams) stays cached; 0 turns
# the cache off. Revocation and changes of the user, its groups or teams
# drop the entry at once (mlgov.api.authentication).
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=30)

SPECTACULAR_SETTINGS = {
    "TITLE": "mlgov API",
    "DESCRIPTION": "Governance control plane for machine-learning models.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per vocabulary where two fields share a name ("kind", "status").
    "ENUM_NAME_OVERRIDES": {
        "VersionStatusEnum": "registry.models.ModelVersion.Status",
        "FeatureKindEnum": "drift.stats.constants.KINDS",
        "RuleKindEnum": "governance.engine.RULE_KINDS",
        "ReviewDecisionEnum": "governance.models.Approval.Decision",
        "GateDecisionEnum": "deployments.models.Decision",
        "DeploymentStatusEnum": "deployments.models.Deployment.Status",
        "EvidenceKindEnum": "compliance.engine.EVIDENCE_KINDS",
        "ObligationStatusEnum": "compliance.engine.STATUSES",
        "EvidenceLinkTargetEnum": "compliance.engine.LINK_TARGETS",
        "AiActCategoryEnum": "registry.constants.AI_ACT_CATEGORIES",
        "RiskTierEnum": "registry.models.MLModel.RiskTier",
        "ModelKindEnum": "registry.models.MLModel.Kind",
        "ProviderEnum": "registry.constants.PROVIDERS",
        # Drift, performance and fairness alerts share one lifecycle.
        "DriftAlertStatusEnum": "drift.models.DriftAlert.Status",
        "MonitoringMetricEnum": "drift.models.quality.METRIC_CHOICES",
        "MonitoringReportKindEnum": "drift.models.ReportKind",
    },
    # Served from our own static files: no CDN, and the CSP stays 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public validator: the page talks to this server only.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
}

# Days reviewers have to decide on a submitted version, by risk tier
# (REVIEW_SLA_DAYS_<TIER> overrides one); past it the review is overdue.
REVIEW_SLA_DAYS = {
    tier: env.int(f"REVIEW_SLA_DAYS_{tier.upper()}", default=days)
    for tier, days in {"critical": 3, "high": 5, "medium": 10, "low": 15}.items()
}

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# Production hardening; in the embedded mode the server is plain HTTP on loopback.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Features no page of mlgov uses are switched off for every page.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
# Scripts and styles only from this server, or inline with the request's nonce
# (request.csp_nonce); no eval, no framing, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz, /readyz and /metrics are probed over plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# One JSON object per line on stdout, every line with the request id, secrets
# scrubbed on the handler so records propagated from any logger pass through.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "mlgov.logging.RequestContextFilter"},
        "scrub_secrets": {"()": "mlgov.logging.ScrubSecretsFilter"},
        "count_cache_errors": {"()": "mlgov.metrics.CacheErrorCounter"},
    },
    "formatters": {"json": {"()": "mlgov.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_context", "scrub_secrets"],
        }
    },
    "loggers": {
        "mlgov.cache.redis": {"filters": ["count_cache_errors"]},
        # Django's default handlers (plain text on stderr, mail to admins) are
        # replaced: its records reach the JSON handler through the root, and
        # errors reach people through Sentry.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # runserver's request line duplicates the access event.
        "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
        # WeasyPrint (technical documentation PDFs) logs each layout step at
        # INFO, and fontTools each font it subsets.
        "weasyprint": {"handlers": [], "level": "WARNING", "propagate": True},
        "fontTools": {"handlers": [], "level": "WARNING", "propagate": True},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Prometheus: /metrics answers a bearer METRICS_TOKEN or an allowed address.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list(
    "METRICS_ALLOWED_IPS", default=[] if IS_PRODUCTION else ["127.0.0.1", "::1"]
)
for _entry in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS: {_entry!r} is not an address or network."
        ) from _error
PROMETHEUS_EXPORT_MIGRATIONS = False
# Multiprocess mode (PROMETHEUS_MULTIPROC_DIR, which gunicorn.conf.py sets) is
# read by prometheus_client from the environment; its directory is made by the
# entry points (mlgov.startup), not here.

# Sentry: on only when SENTRY_DSN is set (mlgov.sentry.init_sentry, at startup).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default=MLGOV_MODE)
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)

DEMO_MODELS_DEFAULT = 50
# The demo users' password, generated once and kept (mode 600) across restarts.
DEMO_PASSWORD_FILE = EMBEDDED_DATA_DIR / "demo-password"
# An approved deployment request not started within this many hours expires:
# starting it is refused and it must be requested again (docs/decisions.md).
DEPLOYMENT_APPROVAL_TTL_HOURS = env.int("DEPLOYMENT_APPROVAL_TTL_HOURS", default=24)
WAIVER_MAX_DAYS = env.int("WAIVER_MAX_DAYS", default=365)
WAIVER_MIN_JUSTIFICATION_CHARS = env.int("WAIVER_MIN_JUSTIFICATION_CHARS", default=20)
SIMULATION_MAX_CHANGES = env.int("SIMULATION_MAX_CHANGES", default=1000)
# One simulation's work is bounded: policies named (upserted plus removed),
# rules in the upserted policies, body bytes, and seconds of computation
# (below GUNICORN_TIMEOUT, so the caller gets a 413 rather than a dropped
# connection). See docs/decisions.md.
SIMULATION_MAX_POLICIES = env.int("SIMULATION_MAX_POLICIES", default=100)
SIMULATION_MAX_RULES = env.int("SIMULATION_MAX_RULES", default=500)
SIMULATION_MAX_BODY_BYTES = env.int("SIMULATION_MAX_BODY_BYTES", default=256 * 1024)
SIMULATION_TIME_BUDGET_SECONDS = env.float(
    "SIMULATION_TIME_BUDGET_SECONDS", default=10.0
)

# Drift: raw values are capped per feature and per report; above the caps the
# API answers 413 and asks for histograms, which carry the same information
# in a few kilobytes.
DRIFT_MAX_VALUES_PER_FEATURE = env.int("DRIFT_MAX_VALUES_PER_FEATURE", default=100_000)
DRIFT_MAX_VALUES_PER_REPORT = env.int("DRIFT_MAX_VALUES_PER_REPORT", default=1_000_000)
DRIFT_MAX_BODY_BYTES = env.int("DRIFT_MAX_BODY_BYTES", default=32 * 1024 * 1024)
DRIFT_DATASET_DRIFT_SHARE = env.float("DRIFT_DATASET_DRIFT_SHARE", default=0.5)
DRIFT_WORKERS = env.int("DRIFT_WORKERS", default=2)

# MLflow import (`manage.py import_mlflow`): the server is not trusted, so a
# run reads for at most this long, each answer at most this many bytes, each
# listing at most this many pages (docs/integrations.md).
MLFLOW_IMPORT_DEADLINE_SECONDS = env.float(
    "MLFLOW_IMPORT_DEADLINE_SECONDS", default=600.0
)
MLFLOW_IMPORT_MAX_ANSWER_BYTES = env.int(
    "MLFLOW_IMPORT_MAX_ANSWER_BYTES", default=64 * 1024 * 1024
)
MLFLOW_IMPORT_MAX_PAGES = env.int("MLFLOW_IMPORT_MAX_PAGES", default=1000)

# E-mail notifications (integrations): sent from the outbox by the
# `manage.py deliver_webhooks` worker through Django's mail framework, SMTP
# unless EMAIL_BACKEND says otherwise (scripts/run.sh prints to the console).
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mlgov@localhost")
# Where the links in e-mails point: the address users open mlgov at.
NOTIFICATION_BASE_URL = env.str(
    "NOTIFICATION_BASE_URL", default="http://127.0.0.1:8000"
)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_BACKOFF_BASE_SECONDS = env.float(
    "NOTIFICATION_BACKOFF_BASE_SECONDS", default=60.0
)
NOTIFICATION_BACKOFF_MAX_SECONDS = env.float(
    "NOTIFICATION_BACKOFF_MAX_SECONDS", default=6 * 3600
)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")

# Webhooks (integrations): delivery by `manage.py deliver_webhooks`.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
WEBHOOK_BACKOFF_BASE_SECONDS = env.float("WEBHOOK_BACKOFF_BASE_SECONDS", default=30.0)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=6 * 3600)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
WEBHOOK_WAIVER_NOTICE_DAYS = env.int("WEBHOOK_WAIVER_NOTICE_DAYS", default=7)
# Internal networks (CIDRs) receivers may be in; loopback, private, link-local
# and the like are refused otherwise (integrations/destinations.py).
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
# Receivers posted to at once by one worker.
WEBHOOK_DELIVERY_THREADS = env.int("WEBHOOK_DELIVERY_THREADS", default=4)
