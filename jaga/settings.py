"""Jaga settings: every value comes from an environment variable (see `.env.example`)."""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def envbool(name: str, default: bool = False) -> bool:
    """A yes/no setting; anything but the usual words stops the start (a typo is not a "no")."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is neither yes nor no: use 1/true/yes/on or 0/false/no/off."
    )


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or envbool("JAGA_TESTING")
DEBUG = envbool("DEBUG", False)
DATA_DIR = Path(os.environ.get("JAGA_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=1 for development). / SECRET_KEY belum diisi."
        )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    # Before django_tasks_db: Jaga's `db_worker` (jaga.core) takes the place of its command.
    "jaga.core",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "jaga.accounts",
    "jaga.territory",
    "jaga.partners",
    "jaga.programs",
    "jaga.servicedesk",
    "jaga.fieldwork",
    "jaga.incidents",
    "jaga.analytics",
    "jaga.surveys",
    "jaga.reports",
    "jaga.notifications",
    "jaga.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Indonesian unless the user chose otherwise; never the browser's Accept-Language.
    "jaga.core.language.ChosenLanguageMiddleware",
    "jaga.core.middleware.RejectNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jaga.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jaga.core.uploads.UploadLimitMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jaga.urls"
WSGI_APPLICATION = "jaga.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jaga.core.context.jaga",
            ],
        },
    },
]

# SQLite (WAL) under the data directory unless DATABASE_URL says otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "jaga.sqlite3"),
            "CONN_MAX_AGE": 600,
        }
    }
SQLITE_BUSY_MS = envint("JAGA_SQLITE_BUSY_MS", 60000)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            # A writer waits this long for another (an import of a big file) before giving up.
            f"PRAGMA busy_timeout={SQLITE_BUSY_MS};"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"].setdefault("TEST", {"NAME": ""})

# PostgreSQL: the statements of the hot paths (a report, a check-in, the audit row, the rate
# limit) are prepared once per connection (jaga/core/prepared.py `cursor`). Off behind a pooler
# that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
JAGA_PREPARED_STATEMENTS = envbool("JAGA_PREPARED_STATEMENTS", True)

# A streaming replica of the PostgreSQL primary (docs/scaling.md): page reads of GET requests go
# there (jaga/core/dbrouter.py); a browser that just wrote reads the primary for
# REPLICA_PIN_SECONDS. In tests the replica mirrors the default database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
REPLICA_PIN_SECONDS = envint("REPLICA_PIN_SECONDS", 30)
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=600)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["jaga.core.dbrouter.ReplicaRouter"]
    MIDDLEWARE.insert(0, "jaga.core.dbrouter.ReplicaReadsMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_COOKIE_HTTPONLY = True

# The client's address (rate limits and login protection, `jaga.core.clientip`): REMOTE_ADDR
# unless a reverse proxy of ours sets a header. JAGA_TRUSTED_PROXY_HEADER names it (e.g.
# X-Forwarded-For or X-Real-IP), JAGA_TRUSTED_PROXY_COUNT is how many of our proxies append to it,
# JAGA_TRUSTED_PROXY_IPS (optional, comma-separated addresses/networks) the peers it is read from.
JAGA_TRUSTED_PROXY_HEADER = os.environ.get("JAGA_TRUSTED_PROXY_HEADER", "").strip()
JAGA_TRUSTED_PROXY_COUNT = envint("JAGA_TRUSTED_PROXY_COUNT", 1)
JAGA_TRUSTED_PROXY_IPS = envlist("JAGA_TRUSTED_PROXY_IPS")

# The shared store of counters (rate limits): Redis when REDIS_URL is set, otherwise a table of
# the database (created by `migrate`), so that every worker and server counts together.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "jaga.core.cache.DatabaseCache",
            "LOCATION": "jaga_cache",
            "OPTIONS": {"MAX_ENTRIES": envint("JAGA_CACHE_MAX_ENTRIES", 100_000)},
        }
    }
RATELIMIT_USE_CACHE = "default"

# Login protection (django-axes, database handler: every worker sees the same failures). A lockout
# is per username AND address together, so nobody can lock someone else out from elsewhere. From
# LOGIN_MAX_FAILURES failures on, each failure makes the wait LOGIN_COOLOFF_SECONDS x 2^(n - max),
# at most LOGIN_COOLOFF_MAX_SECONDS; failures are forgotten LOGIN_FAILURE_MEMORY seconds after the
# last one, and on a successful login.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_MAX_FAILURES = envint("LOGIN_MAX_FAILURES", 5)
LOGIN_COOLOFF_SECONDS = envint("LOGIN_COOLOFF_SECONDS", 60)
LOGIN_COOLOFF_MAX_SECONDS = envint("LOGIN_COOLOFF_MAX_SECONDS", 24 * 3600)
LOGIN_FAILURE_MEMORY = envint("LOGIN_FAILURE_MEMORY", 24 * 3600)
AXES_HANDLER = "jaga.accounts.lockout.ProgressiveLockoutHandler"
AXES_FAILURE_LIMIT = LOGIN_MAX_FAILURES
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = datetime.timedelta(seconds=LOGIN_FAILURE_MEMORY)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "jaga.core.clientip.client_ip_for_axes"
AXES_LOCKOUT_CALLABLE = "jaga.accounts.lockout.lockout_response"
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True

# Two-factor login (django-otp, TOTP): required for leaders, administrators and superusers; any
# other account may enrol on its profile page. JAGA_DEMO_SKIP_2FA lets the demo accounts in
# without it, and only when DEBUG is on: production always enforces it.
JAGA_2FA_REQUIRED_ROLES = envlist("JAGA_2FA_REQUIRED_ROLES", "leader,admin")
JAGA_DEMO_SKIP_2FA = DEBUG and envbool("JAGA_DEMO_SKIP_2FA", False)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Jaga")

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS: list[Path] = []
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(DATA_DIR / "media")))
# Photos and documents of reports, visits, cases, activities and agreements: never under
# MEDIA_ROOT, never served by URL; only jaga.core.protected.serve() hands them out after an access
# check, itself or through the web server (X-Accel-Redirect for nginx, X-Sendfile for Apache).
PROTECTED_MEDIA_ROOT = Path(
    os.environ.get("JAGA_PROTECTED_MEDIA_ROOT", str(DATA_DIR / "protected"))
)
PROTECTED_MEDIA_SERVER = os.environ.get("JAGA_PROTECTED_MEDIA_SERVER", "django").strip().lower()
if PROTECTED_MEDIA_SERVER not in {"django", "nginx", "apache"}:
    raise ImproperlyConfigured("JAGA_PROTECTED_MEDIA_SERVER must be django, nginx or apache.")
# The internal nginx location (`internal;`) that aliases PROTECTED_MEDIA_ROOT.
PROTECTED_MEDIA_NGINX_PREFIX = os.environ.get("JAGA_PROTECTED_MEDIA_NGINX_PREFIX", "/protected/")

# Uploads: one file at most JAGA_MAX_UPLOAD_MB; a whole request (a report with 5 photos) at most
# JAGA_MAX_REQUEST_MB (413 before the body is read); an XLSX at most JAGA_XLSX_MAX_UNCOMPRESSED_MB
# once unpacked, no part compressed more than JAGA_XLSX_MAX_RATIO times, at most
# JAGA_XLSX_MAX_ENTRIES parts. Photos are re-encoded to at most JAGA_PHOTO_MAX_SIDE pixels.
_MB = 1024 * 1024
MAX_UPLOAD_BYTES = envint("MAX_UPLOAD_BYTES", envint("JAGA_MAX_UPLOAD_MB", 10) * _MB)
MAX_REQUEST_BYTES = envint("JAGA_MAX_REQUEST_MB", 0) * _MB or 6 * MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = min(5 * _MB, MAX_UPLOAD_BYTES)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 2 * _MB
XLSX_MAX_UNCOMPRESSED_BYTES = envint("JAGA_XLSX_MAX_UNCOMPRESSED_MB", 200) * _MB
XLSX_MAX_RATIO = envint("JAGA_XLSX_MAX_RATIO", 200)
XLSX_MAX_ENTRIES = envint("JAGA_XLSX_MAX_ENTRIES", 1000)
PHOTO_MAX_SIDE = envint("JAGA_PHOTO_MAX_SIDE", 2048)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.locmem.EmailBackend"
    if TESTING
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "jaga@localhost")
# Gateway for SMS / WhatsApp messages: a dotted path to a class with `send(to, text)`.
MESSAGE_GATEWAY = os.environ.get("MESSAGE_GATEWAY", "jaga.core.gateways.LoggingGateway")
# Reporters who wrote by WhatsApp or SMS are answered on that channel (docs/whatsapp.md):
# WHATSAPP_GATEWAY defaults to the WhatsApp Cloud API gateway once WHATSAPP_TOKEN and
# WHATSAPP_PHONE_NUMBER_ID are set; SMS_GATEWAY defaults to MESSAGE_GATEWAY.
WHATSAPP_GATEWAY = os.environ.get("WHATSAPP_GATEWAY", "")
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "")
# WhatsApp Business Cloud API: the webhook /layanan/whatsapp/ answers 404 until the verify token
# and the app secret are set; replies need the token and the phone number id.
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")
WHATSAPP_TOKEN = os.environ.get("WHATSAPP_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_GRAPH_URL = os.environ.get("WHATSAPP_GRAPH_URL", "https://graph.facebook.com")
WHATSAPP_GRAPH_VERSION = os.environ.get("WHATSAPP_GRAPH_VERSION", "v23.0")
# An approved template (one body parameter) for messages outside the 24-hour service window.
WHATSAPP_STATUS_TEMPLATE = os.environ.get("WHATSAPP_STATUS_TEMPLATE", "")
WHATSAPP_TEMPLATE_LANGUAGE = os.environ.get("WHATSAPP_TEMPLATE_LANGUAGE", "id")
# Inbound SMS webhook /layanan/sms/ (HMAC-SHA256 of the body with this secret); 404 while unset.
SMS_INBOUND_SECRET = os.environ.get("SMS_INBOUND_SECRET", "")
# A WhatsApp / SMS conversation starts afresh after this many seconds without a message.
CHAT_CONVERSATION_TIMEOUT = envint("CHAT_CONVERSATION_TIMEOUT", 2 * 3600)

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING or envbool("TASKS_IMMEDIATE", False)
            else "jaga.core.taskqueue.DatabaseBackend"
        )
    }
}

# Requests to addresses typed in (webhooks, Open311 media_url; docs/webhooks.md): http:// and
# private or loopback addresses are refused unless this is set (development, tests).
OUTBOUND_ALLOW_PRIVATE = envbool("OUTBOUND_ALLOW_PRIVATE", DEBUG)
# Outgoing webhooks: tries in all per delivery, the first wait between tries (doubling), and the
# timeout of one try in seconds.
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_RETRY_BASE = envint("WEBHOOK_RETRY_BASE", 60)
WEBHOOK_TIMEOUT = envint("WEBHOOK_TIMEOUT", 10)
# Open311 media_url: the longest wait for the photo's host, in seconds (size: MAX_UPLOAD_BYTES).
MEDIA_URL_TIMEOUT = envint("MEDIA_URL_TIMEOUT", 10)

# The public portal queues the publishing of a newly closed month on the first visit after it
# closes; it queues it again (if still missing) after this many seconds.
PORTAL_PUBLISH_RETRY = envint("PORTAL_PUBLISH_RETRY", 3600)

# Public intake rate limit (per client address): requests per window, window in seconds.
PUBLIC_RATE_LIMIT = envint("PUBLIC_RATE_LIMIT", 20)
PUBLIC_RATE_WINDOW = envint("PUBLIC_RATE_WINDOW", 3600)
# Wrong API tokens per client address and window before the address is refused for the window.
API_TOKEN_FAILURE_LIMIT = envint("API_TOKEN_FAILURE_LIMIT", 20)
API_TOKEN_FAILURE_WINDOW = envint("API_TOKEN_FAILURE_WINDOW", 900)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"jaga": {"level": os.environ.get("JAGA_LOG_LEVEL", "INFO")}},
}

# ================================================================ HTTPS and browser protections
# Production values are in `.env.example`; docs/operations.md says what each one does and which
# part a TLS proxy in front of Jaga takes over. `jaga check --deploy --fail-level WARNING` is clean
# with them (tests/core/test_hardening.py).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
INSTALLED_APPS.append("csp")

# Plain http:// requests are redirected to https://; paths matched by SECURE_REDIRECT_EXEMPT
# (regular expressions, e.g. a health check the proxy calls over http) are not.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = envlist("SECURE_REDIRECT_EXEMPT")
# Behind a TLS-terminating proxy Jaga sees plain http: the proxy's header (as "HEADER,value",
# e.g. "HTTP_X_FORWARDED_PROTO,https") tells it the browser used https. Set it only when the proxy
# always sets or overwrites that header, or a client could claim https.
SECURE_PROXY_SSL_HEADER: tuple[str, str] | None = None
if os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip():
    _header, _sep, _value = os.environ["SECURE_PROXY_SSL_HEADER"].partition(",")
    if not _sep or not _header.strip() or not _value.strip():
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER must be HEADER,value (e.g. HTTP_X_FORWARDED_PROTO,https)."
        )
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip())
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# SECURE_COOKIES=1 (the older single switch) still marks both cookies Secure.
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", envbool("SECURE_COOKIES", False))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", envbool("SECURE_COOKIES", False))
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "") or "same-origin"
X_FRAME_OPTIONS = os.environ.get("X_FRAME_OPTIONS", "") or "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Where to report a vulnerability (an email address or a URL the Polres sets): shown in the footer
# and in /.well-known/security.txt (RFC 9116). SECURITY.md tells reporters to look there.
SECURITY_CONTACT = os.environ.get("SECURITY_CONTACT", "").strip()

# Content-Security-Policy (django-csp): scripts and style sheets only from Jaga itself; an inline
# <script> or <style> runs only with the response's nonce (`nonce="{{ request.csp_nonce }}"`);
# no inline event handlers. style="..." attributes (layout tweaks, SVG charts) stay allowed.
# CSP_REPORT_URI, if set, receives the browsers' violation reports.
# Maps: basemap tiles from MAP_TILE_URL (a Leaflet template, {z}/{x}/{y}, optionally {s} and
# {r}), credited with MAP_TILE_ATTRIBUTION. Empty turns the basemap off: maps then draw village
# centres, H3 cells and outlines on a plain background (offline, tests). The CSP lets images come
# from that one host only (docs/maps.md).
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)


def tile_source(url: str) -> str | None:
    """The CSP source of a tile URL template: its scheme and host ({s} becomes a wildcard)."""
    from urllib.parse import urlsplit

    if not url.strip():
        return None
    parts = urlsplit(url.strip().replace("{s}", "tiles-subdomain"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured("MAP_TILE_URL must be an http(s) URL template or empty.")
    host = parts.hostname.replace("tiles-subdomain", "*")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


_TILE_SOURCE = tile_source(MAP_TILE_URL)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "script-src-attr": [NONE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *([_TILE_SOURCE] if _TILE_SOURCE else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE] if X_FRAME_OPTIONS == "DENY" else [SELF],
        "upgrade-insecure-requests": SECURE_SSL_REDIRECT,
        "report-uri": os.environ.get("CSP_REPORT_URI", "") or None,
    },
}
