"""Django settings for Yangguang.

Configuration comes from the environment:
- DATABASE_URL: ``sqlite:///path`` or ``postgres://user@host:port/name``
  (default: SQLite under the var directory);
- YANGGUANG_VAR_DIR: where the database, keys and uploads live (default ``var/`` in
  the checkout, or in the current directory for an installed package);
- YANGGUANG_DEBUG=1 for development; YANGGUANG_ALLOWED_HOSTS (comma-separated);
- key overrides, see ``yangguang.core.secrets``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from yangguang.core import secrets

PACKAGE_DIR = Path(__file__).resolve().parent
_checkout = PACKAGE_DIR.parent
VAR_DIR = Path(
    os.environ.get("YANGGUANG_VAR_DIR")
    or (_checkout / "var" if (_checkout / "pyproject.toml").exists() else Path.cwd() / "var")
).resolve()
secrets.make_private(VAR_DIR)  # 0700, files 0600, from the start (umask 077)

_secrets = secrets.load(str(VAR_DIR))
SECRET_KEY = _secrets["secret_key"]
ID_ENCRYPTION_KEY = _secrets["id_encryption_key"]
ID_HASH_KEY = _secrets["id_hash_key"]
AUDIT_KEY = _secrets["audit_key"]
# The signed checkpoint of the audit chain's head, outside the database (audit.services).
YANGGUANG_AUDIT_CHECKPOINT = Path(os.environ.get("YANGGUANG_AUDIT_CHECKPOINT")
                                  or VAR_DIR / "audit-checkpoint.json")
YANGGUANG_AUDIT_CHECKPOINT_SECONDS = int(os.environ.get("YANGGUANG_AUDIT_CHECKPOINT_SECONDS", "60"))
# Electronic certificates: the Ed25519 key that signs their tokens, and the public keys
# of the keys it replaced (``yangguang certificate rotate-key``), which still verify.
ECERT_SIGNING_KEY = _secrets["ecert_signing_key"]
ECERT_RETIRED_PUBLIC_KEYS = [k for k in _secrets["ecert_retired_public_keys"].split(",") if k]
# Public verifications of e-certificate tokens a client address may make a minute.
ECERT_VERIFY_LIMIT = int(os.environ.get("YANGGUANG_ECERT_VERIFY_LIMIT", "30"))
# Visits to the public 公示 pages of benefit applications a client address may make a
# minute (core.ratelimit, as the verification above).
BENEFITS_PUBLICATION_LIMIT = int(os.environ.get("YANGGUANG_BENEFITS_PUBLICATION_LIMIT", "30"))
# The platform's public address (https://…), for the QR codes of e-certificates made on
# the command line; pages use the address they were asked on.
PUBLIC_URL = os.environ.get("YANGGUANG_PUBLIC_URL", "").rstrip("/")

DEBUG = os.environ.get("YANGGUANG_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("YANGGUANG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "yangguang.core",
    "yangguang.regions",
    "yangguang.accounts",
    "yangguang.audit",
    "yangguang.imports",
    "yangguang.registry",
    "yangguang.survey",
    "yangguang.certificates",
    "yangguang.matching",
    "yangguang.services",
    "yangguang.benefits",
    "yangguang.jobs",
    "yangguang.plans",
    "yangguang.analytics",
    "yangguang.demo",
    # django-ninja's templates and static files: the API documentation page, Swagger
    # UI, from our own server rather than a CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the rest, so that the pages they answer with (a bad host name, a
    # rejected form, the busy page) carry the policy too.
    "yangguang.core.security.ContentSecurityPolicyMiddleware",
    "yangguang.core.locks.LockWaitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yangguang.accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "yangguang.urls"
WSGI_APPLICATION = "yangguang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# SQLite: IMMEDIATE transactions avoid lock upgrades.
YANGGUANG_SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 30}
# Set on each SQLite connection as it opens, in this order (core.apps.configure_sqlite).
# New databases get 16 KiB pages rather than 4: fewer, shallower b-tree pages to keep up
# (a first import of 100,000 persons: 3.9 s instead of 4.3; the pragma does nothing to
# an existing database). A page cache of up to 64 MB per connection instead of SQLite's
# 2 MB (a county's whole database fits; memory is taken only as pages are read): an
# import's index upkeep stays in memory (100,000 rows: 8.5 → 7.7 s). WAL lets readers
# work while an import writes. Not an init_command: those wait for a lock like any
# statement, and while a first load writes the file directly
# (core.bulk.sqlite_direct_writes) a connection would wait 30 s before it could open.
YANGGUANG_SQLITE_PRAGMAS = ("page_size = 16384", "synchronous = NORMAL",
                            "cache_size = -65536", "journal_mode = WAL")
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'yangguang.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = YANGGUANG_SQLITE_OPTIONS
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A second connection to the same database, for reads that run beside a bulk COPY
# (yangguang.core.bulk.Writer); in tests it is the default connection itself.
DATABASES["bulk_reads"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# How core (the menu, the home page) asks whether a user holds a capability, without
# importing the accounts app above it (see core.contributions).
YANGGUANG_CAPABILITY_CHECK = "yangguang.accounts.selectors.can"
# How the registry's criteria (registry.criteria: care services, child rehabilitation aid)
# are evaluated for a person, by the benefits rules, without the services importing them.
YANGGUANG_CRITERIA_EVALUATOR = "yangguang.benefits.rules.evaluate_conditions"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The platform serves its own static files (WhiteNoise), straight from the package's
# static folders: the same with debug off as on, and no `collectstatic` step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# The error pages (templates/400.html, 403.html, 404.html, 500.html) are the
# platform's own; so is the page for a rejected form (CSRF).
CSRF_FAILURE_VIEW = "yangguang.core.views.csrf_failure"
MEDIA_ROOT = VAR_DIR / "media"
# Files up to this size are imported within the upload request; larger ones by a
# background job (``yangguang worker``) whose progress the import page polls.
YANGGUANG_IMPORT_INLINE_BYTES = int(os.environ.get("YANGGUANG_IMPORT_INLINE_BYTES", 256 * 1024))
# The home page's count of data comparison's discrepancies is kept at most this many
# seconds (a run or a review decision forgets it at once): ``matching.reports.finding_count``.
YANGGUANG_MATCHING_COUNTS_MAX_AGE = int(os.environ.get("YANGGUANG_MATCHING_COUNTS_MAX_AGE", 3600))
# A data comparison's upload (and a hashed list's exchange key) left behind by a job
# that never ran to its end is deleted by the daily sweep once this many hours old.
YANGGUANG_MATCHING_UPLOAD_MAX_HOURS = int(os.environ.get("YANGGUANG_MATCHING_UPLOAD_MAX_HOURS", 24))
# Limits an import file is checked against before any row is read (``imports.reading``):
# its size; an XLSX's unpacked size (a 199 KB workbook can unpack to a 200 MB cell);
# data rows; characters in one cell (Excel's own limit is 32,767).
YANGGUANG_IMPORT_MAX_FILE_MB = int(os.environ.get("YANGGUANG_IMPORT_MAX_FILE_MB", 200))
YANGGUANG_IMPORT_MAX_UNPACKED_MB = int(os.environ.get("YANGGUANG_IMPORT_MAX_UNPACKED_MB", 512))
YANGGUANG_IMPORT_MAX_ROWS = int(os.environ.get("YANGGUANG_IMPORT_MAX_ROWS", 2_000_000))
YANGGUANG_IMPORT_MAX_CELL_CHARS = int(os.environ.get("YANGGUANG_IMPORT_MAX_CELL_CHARS", 32767))
# An import of at least this many rows into an empty registry on PostgreSQL (a first
# load) rebuilds the registry's indexes and foreign keys once at the end, rather than
# keeping them up row by row: see ``core.bulk.indexes_deferred``.
YANGGUANG_IMPORT_BULK_LOAD_ROWS = int(os.environ.get("YANGGUANG_IMPORT_BULK_LOAD_ROWS",
                                                     50000))
# A request waits at most this long for a lock (a first load holds the registry's for
# minutes; on SQLite the whole file), then gets a "try again later" page or API error
# (503): PostgreSQL's lock_timeout, SQLite's busy_timeout (core.locks).
YANGGUANG_REQUEST_LOCK_TIMEOUT_MS = int(os.environ.get("YANGGUANG_REQUEST_LOCK_TIMEOUT_MS",
                                                       5000))
# Background jobs (yangguang.jobs): django-tasks' queue in the database itself, so a
# worker needs no other server; `yangguang worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A job's worker counts as gone when its heartbeat (every 5 s) is older than this;
# on the same machine a worker that no longer exists is known at once.
YANGGUANG_JOBS_WORKER_TIMEOUT = int(os.environ.get("YANGGUANG_JOBS_WORKER_TIMEOUT", 60))
# Days after which a service need not yet met counts as overdue (the services app's list
# of needs open too long, and the home page's count).
YANGGUANG_NEED_OVERDUE_DAYS = int(os.environ.get("YANGGUANG_NEED_OVERDUE_DAYS", 90))
# The engine of data comparison's probabilistic pass (matching.linking.ENGINES): DuckDB
# in process, or Spark in local mode for national-scale lists (the `spark` extra and
# Java 17; `matching run --engine` chooses per run).
YANGGUANG_MATCHING_ENGINE = os.environ.get("YANGGUANG_MATCHING_ENGINE", "duckdb")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Jobs' progress, cancel requests and workers' heartbeats: written by the worker
    # running a job, read by whichever server process answers the page's poll, so it
    # lives on disk, not in a process (a cluster of machines sets a shared cache here).
    "progress": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache" / "progress",
    },
    # Failed sign-ins per client address (accounts.throttle), seen by every process.
    "throttle": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache" / "throttle",
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Staff sign-in (yangguang.accounts): lock-out, second factor, idle timeout.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = ["yangguang.accounts.backends.StaffBackend"]
YANGGUANG_LOGIN_MAX_FAILURES = int(os.environ.get("YANGGUANG_LOGIN_MAX_FAILURES", "5"))
YANGGUANG_LOGIN_LOCK_MINUTES = int(os.environ.get("YANGGUANG_LOGIN_LOCK_MINUTES", "15"))
YANGGUANG_LOGIN_ADDRESS_FREE_FAILURES = int(
    os.environ.get("YANGGUANG_LOGIN_ADDRESS_FREE_FAILURES", "10"))
YANGGUANG_SESSION_IDLE_MINUTES = int(os.environ.get("YANGGUANG_SESSION_IDLE_MINUTES", "30"))
# Roles that must use a one-time-code app, e.g. "administrator,auditor" (off by default
# so that the demo accounts sign in with a password alone).
YANGGUANG_REQUIRE_TOTP_FOR = [
    r.strip() for r in os.environ.get("YANGGUANG_REQUIRE_TOTP_FOR", "").split(",") if r.strip()
]
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 60 * 60  # the longest a session lives, however active
# An audit-log export larger than this is refused (narrow the dates instead).
YANGGUANG_AUDIT_EXPORT_MAX_ROWS = 100_000

# Content-Security-Policy (yangguang.core.security): no inline scripts or styles anywhere.
YANGGUANG_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}

# Production behind HTTPS: YANGGUANG_HTTPS=1 (and not YANGGUANG_DEBUG=1) turns on the
# settings `yangguang check --deploy` asks for. YANGGUANG_PROXY_SSL_HEADER=1 when a
# reverse proxy terminates TLS and sets X-Forwarded-Proto.
if not DEBUG and os.environ.get("YANGGUANG_HTTPS", "") == "1":
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Only allows the browsers' preload list; joining it is a separate, manual step.
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"
    if os.environ.get("YANGGUANG_PROXY_SSL_HEADER", "") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
