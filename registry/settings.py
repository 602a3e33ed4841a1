"""Registry settings, read from the environment (12-factor); safe defaults for one machine."""

import datetime
import secrets
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from registry.storages import storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("REGISTRY_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, or a key generated once and kept in the data folder."""
    if key := env.str("DJANGO_SECRET_KEY", default=""):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            with key_file.open("x", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        except FileExistsError:
            pass
    return key_file.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
USE_X_FORWARDED_HOST = env.bool("DJANGO_USE_X_FORWARDED_HOST", default=False)
BEHIND_TLS_PROXY = env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Cookies: Secure on every https request (SecureCookiesOnHttpsMiddleware), and always when
# DJANGO_SECURE_COOKIES is on (its default: on behind a TLS proxy). Never readable by scripts,
# and not sent on cross-site subrequests or POSTs.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool(
    "DJANGO_SECURE_COOKIES", default=BEHIND_TLS_PROXY
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "projects",
    "auth_tokens",
    "packages_pypi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "registry.middleware.SecureCookiesOnHttpsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "registry.middleware.ContentSecurityPolicyMiddleware",  # django-csp's, skipped on /api/
    "django.contrib.sessions.middleware.SessionMiddleware",
    "registry.middleware.NotModifiedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Content-Security-Policy for the pages and the admin: every script and style is a file of our
# own (static/), so nothing inline runs. README images may come from anywhere over https, as on
# GitLab. /api/ is left out: it answers JSON, attachments with nosniff, and simple-index HTML
# without scripts, and pip's hot path need not pay for building the header (~25 us).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"
# python-gitlab and pip never expect a redirect to a slash-terminated URL under /api/v4.
APPEND_SLASH = False

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

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'registry.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE makes writers queue instead of
    # failing with "database is locked" when several gunicorn workers upload at once.
    # synchronous=NORMAL is SQLite's advice for WAL: no corruption on a crash, one fsync per
    # checkpoint instead of per commit (a power cut may lose the last commits).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    })
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A kept connection the database has dropped (restart, failover, idle timeout) is tested and
# replaced at the start of the next request, instead of failing that request with a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "projects.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/users/sign_in"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve from the app folders too, so pages have their styles before collectstatic ran.
WHITENOISE_USE_FINDERS = True


STORAGES = {
    "default": storage_from_env(DATA_DIR),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# S3: clients download from a short-lived presigned URL (302) unless the app should proxy the
# bytes (e.g. the store is not reachable from the clients). A separate public endpoint signs
# URLs for clients when the app reaches the store on an internal address.
REGISTRY_S3_PROXY_DOWNLOAD = env.bool("REGISTRY_S3_PROXY_DOWNLOAD", default=False)
REGISTRY_S3_PUBLIC_ENDPOINT_URL = env.str("REGISTRY_S3_PUBLIC_ENDPOINT_URL", default="")
# Local files: hand the download to nginx with this internal location prefix (e.g. `/_files/`).
REGISTRY_X_ACCEL_REDIRECT = env.str("REGISTRY_X_ACCEL_REDIRECT", default="")

# Shared by every app server when it is Redis (production); local memory on one machine.
CACHES = {"default": env.cache_url("REGISTRY_CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # Django's 300 entries would cull a third of the pages (and which file each download URL
    # names) every few hundred names; 20,000 entries of a KiB or two are tens of MiB at most.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 20_000)

# Public-page generation (issue 14): anonymous index pages are cached under one token that
# every write replaces (packages_pypi/public_generation.py), so a hit needs no database query.
# Every app server must see the same token: the shared cache itself when there is one (Redis);
# else a file in the data folder, which every server shares when files are stored there. With
# S3 and no shared cache the servers may share nothing but the database: no token at all then
# (a dummy cache), and anonymous pages are keyed by the serials read from it, as before.
if env.str("REGISTRY_CACHE_URL", default=""):
    CACHES["generations"] = env.cache_url("REGISTRY_CACHE_URL")
elif env.str("REGISTRY_STORAGE", default="filesystem") == "s3":
    CACHES["generations"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
else:
    CACHES["generations"] = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                             "LOCATION": str(DATA_DIR / "cache" / "generations")}
CACHES["generations"]["TIMEOUT"] = None  # a token lives until a write replaces it

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # GitLab's order (spec gitlab-pypi.md §2.1).
        "auth_tokens.authentication.DeployTokenAuthentication",
        "auth_tokens.authentication.PersonalAccessTokenAuthentication",
        "auth_tokens.authentication.JobTokenAuthentication",
        # Trusted publishing's minted upload tokens (issue 13).
        "auth_tokens.authentication.PublishingTokenAuthentication",
        # A signed-in browser, as GitLab's API accepts it; writes need the CSRF token.
        "auth_tokens.authentication.SessionCookieAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "registry.http.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "registry.http.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "PyPI registry: GitLab REST API v4 subset",
    "DESCRIPTION": "The part of GitLab's REST API v4 that python-gitlab needs, plus CI jobs.",
    "VERSION": "4",
    "SERVE_INCLUDE_SCHEMA": False,
    # Views with nested Input/Output serializers are described by hand where it matters;
    # generation hints about the rest are not worth a log line per request.
    "DISABLE_ERRORS_AND_WARNINGS": True,
    # Every operation's refusals (400, 401, 403, 404, 409, 429) with GitLab's error body.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.http.openapi.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("REGISTRY_LOG_LEVEL", default="INFO")},
}
# Django logs every 4xx as a warning ("Not Found: /api/v4/..."): one log line per pip probe of
# a name that is not here and per 401 challenge, on the hot path of misses (issue 14). The
# access log records them; server errors (5xx) are still logged.
LOGGING["loggers"] = {"django.request": {"level": env.str("REGISTRY_REQUEST_LOG_LEVEL",
                                                          default="ERROR")}}

# Form fields beside the file (twine sends the long description as one): 16 MiB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int(
    "DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=16 * 1024 * 1024
)
FILE_UPLOAD_TEMP_DIR = env.str("REGISTRY_UPLOAD_TEMP_DIR", default=None)

# registry_check (packages_pypi/consistency.py). A blob without a row younger than the grace
# may be an upload whose row is about to commit (a 5 GB upload to a slow S3 takes a while), a
# temporary upload or an empty folder untouched for the max age has lost its worker.
REGISTRY_CHECK_ORPHAN_GRACE = env.int("REGISTRY_CHECK_ORPHAN_GRACE", default=24 * 3600)
REGISTRY_CHECK_TEMP_MAX_AGE = env.int("REGISTRY_CHECK_TEMP_MAX_AGE", default=3600)

# The registry's own settings.
REGISTRY_ROOT_PASSWORD = env.str("REGISTRY_ROOT_PASSWORD", default="")
# What GET /api/v4/metadata reports as `revision` (GitLab: the commit it runs); the image
# build can set it, for instance to `git rev-parse --short HEAD`.
REGISTRY_REVISION = env.str("REGISTRY_REVISION", default="unknown")
# GitLab.com's limit: 5 GB.
REGISTRY_PYPI_MAX_FILE_SIZE = env.int("REGISTRY_PYPI_MAX_FILE_SIZE", default=5 * 1024**3)
REGISTRY_PYPI_UPSTREAM_URL = env.str(
    "REGISTRY_PYPI_UPSTREAM_URL", default="https://pypi.org/simple"
).rstrip("/")

# --- The caching proxy of the upstream index (issue 11) ----------------------------------------
# One block, to merge as one. `proxy` or `redirect`: the instance default of new instances (the
# admin's application settings change it later, per instance and per group).
REGISTRY_PYPI_FORWARDING_MODE = env.str("REGISTRY_PYPI_FORWARDING_MODE", default="proxy")
# Seconds an upstream page is served without asking again: pypi.org's own max-age.
REGISTRY_PYPI_UPSTREAM_TTL = env.int("REGISTRY_PYPI_UPSTREAM_TTL", default=600)
# Hosts besides the upstream's own that file URLs of its pages may point at.
REGISTRY_PYPI_UPSTREAM_FILE_HOSTS = env.list(
    "REGISTRY_PYPI_UPSTREAM_FILE_HOSTS", default=["files.pythonhosted.org"]
)
# The upstream is untrusted: connect and read timeouts (seconds), and the largest page and core
# metadata accepted. pypi.org's largest JSON pages are a few MiB.
REGISTRY_PYPI_UPSTREAM_CONNECT_TIMEOUT = env.float("REGISTRY_PYPI_UPSTREAM_CONNECT_TIMEOUT", 5.0)
REGISTRY_PYPI_UPSTREAM_READ_TIMEOUT = env.float("REGISTRY_PYPI_UPSTREAM_READ_TIMEOUT", 15.0)
REGISTRY_PYPI_UPSTREAM_PAGE_DEADLINE = env.float("REGISTRY_PYPI_UPSTREAM_PAGE_DEADLINE", 30.0)
REGISTRY_PYPI_UPSTREAM_MAX_PAGE_BYTES = env.int(
    "REGISTRY_PYPI_UPSTREAM_MAX_PAGE_BYTES", default=20 * 1024 * 1024
)
REGISTRY_PYPI_UPSTREAM_MAX_METADATA_BYTES = env.int(
    "REGISTRY_PYPI_UPSTREAM_MAX_METADATA_BYTES", default=4 * 1024 * 1024
)
# The bytes of upstream files kept (0: no bound); the least recently used go first.
REGISTRY_PYPI_CACHE_MAX_BYTES = env.int("REGISTRY_PYPI_CACHE_MAX_BYTES", default=0)
# Days the blob of a file taken down upstream is kept for investigation before it is deleted.
REGISTRY_PYPI_TAKEDOWN_KEEP_DAYS = env.int("REGISTRY_PYPI_TAKEDOWN_KEEP_DAYS", default=30)

# --- Throttling of failed authentication (issue 9, finding 8) ---------------------------------
# One block, to merge as one. Sign-in forms (ours and the admin's): django-axes, database
# handler (the counts are shared by every worker and server without needing Redis, and the
# admin lists them); refused tokens: registry/throttle.py in the cache above.
INSTALLED_APPS += ["axes"]
# Last, as axes asks: it turns a lockout seen during the view into its answer.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked caller before any password hash
    "projects.backends.RegistryModelBackend",  # Django's, refusing blocked accounts too
]
# How many proxies (nginx) in front append to X-Forwarded-For; 0: REMOTE_ADDR is the client.
REGISTRY_TRUSTED_PROXY_COUNT = env.int("REGISTRY_TRUSTED_PROXY_COUNT", default=0)
# GitLab (Devise lockable): 10 failed sign-ins lock for 10 minutes.
AXES_FAILURE_LIMIT = env.int("REGISTRY_SIGNIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = datetime.timedelta(
    seconds=env.float("REGISTRY_SIGNIN_COOLOFF_SECONDS", default=600)
)
# Either one locks: the address (spraying many accounts) and the username (many addresses).
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# The cool-off runs from the failure that locked; refused attempts while locked don't extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "registry.throttle.sign_in_locked"
AXES_CLIENT_IP_CALLABLE = "registry.throttle.client_ip"
# No row per successful sign-in (it would grow without end); failures are kept and logged.
AXES_DISABLE_ACCESS_LOG = True
# Log lines name the address and username (passwords are always masked by axes); no banner
# on every start of a command.
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_VERBOSE = False
# GitLab's failed-authentication ban: 10 refused tokens in 60 s lock for an hour.
REGISTRY_TOKEN_FAILURE_LIMIT = env.int("REGISTRY_TOKEN_FAILURE_LIMIT", default=10)
REGISTRY_TOKEN_FAILURE_WINDOW_SECONDS = env.int(
    "REGISTRY_TOKEN_FAILURE_WINDOW_SECONDS", default=60
)
REGISTRY_TOKEN_BAN_SECONDS = env.int("REGISTRY_TOKEN_BAN_SECONDS", default=3600)
# --- end of throttling ---------------------------------------------------------------------------

# --- Audit events and download counts (issue 12, items 6 and 7) ---------------------------------
# Audit events: an app of its own inside projects/ (label `audit`), below every other app.
INSTALLED_APPS += ["projects.audit"]
# Before the views: the events a request records carry its caller's address.
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
                  "projects.audit.context.AuditRequestMiddleware")
# Downloads are counted in the cache above (Redis INCR when it is Redis) and folded into the
# database in batches: by `manage.py downloads_fold` (the compose file runs it every minute)
# and, off the request path, by a download that finds the last fold older than this interval.
REGISTRY_DOWNLOAD_COUNTING = env.bool("REGISTRY_DOWNLOAD_COUNTING", default=True)
REGISTRY_DOWNLOAD_FOLD_INTERVAL_SECONDS = env.int(
    "REGISTRY_DOWNLOAD_FOLD_INTERVAL_SECONDS", default=30
)
# --- end of audit events and download counts ------------------------------------------------------

# --- Trusted publishing (issue 13) -----------------------------------------------------------
# The OIDC issuers a trusted publisher may name at all: CI systems whose ID tokens this
# instance accepts. Plain http:// only on loopback (the tests' stand-in issuer).
REGISTRY_OIDC_ISSUERS = [
    issuer.rstrip("/")
    for issuer in env.list(
        "REGISTRY_OIDC_ISSUERS",
        default=["https://token.actions.githubusercontent.com", "https://gitlab.com"],
    )
]
# The `aud` an ID token must carry; empty: this instance's host name, as the client reaches it.
REGISTRY_OIDC_AUDIENCE = env.str("REGISTRY_OIDC_AUDIENCE", default="")
# pypi.org's: a minted upload token lives 15 minutes.
REGISTRY_OIDC_TOKEN_LIFETIME_SECONDS = env.int(
    "REGISTRY_OIDC_TOKEN_LIFETIME_SECONDS", default=15 * 60
)
# An issuer's keys are cached this long, and fetched again at most this often for a key id
# they lack (a rotation); each fetch of the issuer's documents gives up after the timeout.
REGISTRY_OIDC_JWKS_CACHE_SECONDS = env.int("REGISTRY_OIDC_JWKS_CACHE_SECONDS", default=600)
REGISTRY_OIDC_JWKS_REFRESH_SECONDS = env.int("REGISTRY_OIDC_JWKS_REFRESH_SECONDS", default=60)
REGISTRY_OIDC_FETCH_TIMEOUT_SECONDS = env.float("REGISTRY_OIDC_FETCH_TIMEOUT_SECONDS", default=5)
# --- end of trusted publishing ---------------------------------------------------------------
