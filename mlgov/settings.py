"""mlgov settings: every value that varies between deployments comes from the
environment (see .env.example). The defaults give the embedded setup: SQLite,
the local-memory cache, nothing to start."""

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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "auditlog",
    "mlgov",
    "registry",
    "drift",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mlgov.middleware.AuditActorMiddleware",
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
            ],
        },
    },
]

# Database: SQLite by default; DATABASE_URL selects PostgreSQL (psycopg 3) with
# Django's connection pool. Pool sizing is explained in docs/operations.md.
EMBEDDED_DATA_DIR = BASE_DIR / "var"
DATABASE_URL = env.str("DATABASE_URL", default="")
if IS_PRODUCTION and not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("Production mode needs DATABASE_URL (PostgreSQL).")
DATABASES = {
    "default": env.db_url_config(
        DATABASE_URL or f"sqlite:///{EMBEDDED_DATA_DIR / 'mlgov.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    EMBEDDED_DATA_DIR.mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: local memory by default; REDIS_URL selects django-redis with bounded
# timeouts, because the client's default blocks forever on a dead server.
REDIS_URL = env.str("REDIS_URL", default="")
if IS_PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("Production mode needs REDIS_URL.")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="mlgov"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": env.float(
                    "REDIS_CONNECT_TIMEOUT", default=0.5
                ),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "mlgov",
        }
    }

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

LOGIN_URL = "admin:login"

# The header the trusted reverse proxy sets to the client's address (for
# example "X-Real-IP"). Empty means no proxy: the socket address is used.
# Raw X-Forwarded-For is never trusted, since any client can send it.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mlgov.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["mlgov.api.permissions.HasAnyRole"],
    "DEFAULT_PAGINATION_CLASS": "mlgov.api.pagination.StableCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "mlgov.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "mlgov.api.schema.ErrorAwareAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)

SPECTACULAR_SETTINGS = {
    "TITLE": "mlgov API",
    "DESCRIPTION": "Governance control plane for machine-learning models.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN, and the CSP stays 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# Production hardening; in the embedded mode the server is plain HTTP on loopback.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz and /readyz are probed over plain HTTP by the load balancer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

DEMO_MODELS_DEFAULT = 50
WAIVER_MAX_DAYS = env.int("WAIVER_MAX_DAYS", default=365)
SIMULATION_MAX_CHANGES = env.int("SIMULATION_MAX_CHANGES", default=1000)

# Drift: raw values are capped per feature and per report; above the caps the
# API answers 413 and asks for histograms, which carry the same information
# in a few kilobytes.
DRIFT_MAX_VALUES_PER_FEATURE = env.int("DRIFT_MAX_VALUES_PER_FEATURE", default=100_000)
DRIFT_MAX_VALUES_PER_REPORT = env.int("DRIFT_MAX_VALUES_PER_REPORT", default=1_000_000)
DRIFT_MAX_BODY_BYTES = env.int("DRIFT_MAX_BODY_BYTES", default=32 * 1024 * 1024)
DRIFT_DATASET_DRIFT_SHARE = env.float("DRIFT_DATASET_DRIFT_SHARE", default=0.5)
DRIFT_WORKERS = env.int("DRIFT_WORKERS", default=2)
