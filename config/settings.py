"""Coachline settings: one module, driven by environment variables (see .env.example).

With nothing set, the site runs on the embedded default: DEBUG, SQLite, Celery tasks run eagerly.
"""

import datetime as dt
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

# Lets model admins, managers and querysets be subscripted with their types at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Exclusion constraints (coaching: no double-booking); inert on SQLite.
    "django.contrib.postgres",
    "csp",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "auditlog",
    "core",
    "events",
    "accounts",
    "notifications",
    "training",
    "deals",
    "tools",
    "coaching",
    "integrations",
    "practice",
    "roi",
    "home",
]

MIDDLEWARE = [
    "core.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.RefuseNulQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Audit log: the signed-in user and client address for the rows written by this request
    # (an API key marks itself in accounts.authentication).
    "core.audit.AuditMiddleware",
    # Last: turns a login refused for lockout into the login page saying so.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.principal",
                "core.context_processors.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL, SQLite file in the checkout by default.
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a task writes; a writer waits up to 20 s for another
    # (`make run` has three processes: server, worker, beat).
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation (decision 0016): the report queries' correlated subqueries make the
    # planner's cost estimates pass jit_optimize_above_cost, and compiling them took seconds of
    # CPU per request (7 s for the efficiency page's stage advances at 880 reps) to save
    # milliseconds. An `options` given in DATABASE_URL that sets jit itself is kept.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    if "jit" not in str(_pg_options.get("options", "")):
        _pg_options["options"] = f"{_pg_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Password sign-in; its sessions end under "SSO required" (accounts/backends.py).
    "accounts.backends.PasswordBackend",
    # Sessions an identity provider or LTI platform vouched for; checks no password.
    "accounts.backends.VouchedBackend",
]
# Failed logins (django-axes): after AXES_FAILURE_LIMIT failures for one email, or from one
# address, logins from it are refused for AXES_COOLOFF_MINUTES after the last failure. Unlock
# sooner in the admin (Axes > Access attempts: delete) or `manage.py axes_reset_username EMAIL`.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "core.proxies.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
# Audit log (django-auditlog): one row per change of these fields, with who, from where, before
# and after; read at /accounts/audit/ (admins). Secrets are recorded as changed, never shown.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {
        "model": "accounts.user",
        "include_fields": ["role", "team", "manager", "is_active", "is_staff", "is_superuser"],
    },
    {"model": "accounts.team", "include_fields": ["name", "manager"]},
    {"model": "accounts.crmidentity", "include_fields": ["user", "source", "owner_id"]},
    {
        "model": "accounts.apikey",
        "include_fields": ["name", "scopes", "revoked", "expiry_date", "requests_per_hour"],
    },
    {
        "model": "training.program",
        "include_fields": [
            "content_cost", "cost_per_seat", "expected_learner_hours", "primary_metric",
            "horizon_months", "plausible_effect_pct", "is_evaluation",
        ],
    },
    {"model": "training.assignment", "include_fields": ["program", "course", "assignee", "team",
                                                         "due_date"]},
    {"model": "training.retakegrant", "include_fields": ["user", "lesson", "extra_attempts",
                                                          "granted_by", "note"]},
    {"model": "roi.roisettings", "exclude_fields": ["updated_at", "updated_by"]},
    {"model": "roi.programcosting", "exclude_fields": ["created_at", "updated_at"]},
    {"model": "core.organization"},
    {
        "model": "accounts.singlesignon",
        "exclude_fields": ["updated_at", "updated_by"],
        "mask_fields": ["oidc_client_secret"],
    },
    # Practice recordings: creation, submission and deletion (status), and each view by someone
    # other than the rep (an ACCESS row, practice.services.recording_view_audit).
    {"model": "practice.practiceattempt", "include_fields": ["status"]},
    {"model": "practice.practicesettings", "exclude_fields": ["updated_at"]},
    {
        "model": "integrations.crmconnection",
        "include_fields": ["is_enabled", "settings", "credentials", "stage_map", "field_map"],
        "mask_fields": ["credentials"],
    },
)  # fmt: skip
AUDITLOG_MASK_CALLABLE = "core.audit.mask_secret"
AUDITLOG_RETENTION_DAYS = env_int("AUDITLOG_RETENTION_DAYS", 365)
# Two-factor (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = "Coachline"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: English is the source, German ships compiled; each user picks in their profile.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# One date format per language, named in templates (DATE_FORMAT, ...), never spelled out.
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 50 * 1024 * 1024)

# SCORM packages (docs/content-standards.md): the zip as uploaded, its files unpacked, and how
# many files it may hold. Their files go to the default storage above, under scorm/<key>/.
SCORM_MAX_PACKAGE_BYTES = env_int("SCORM_MAX_PACKAGE_BYTES", 500 * 1024 * 1024)
SCORM_MAX_UNPACKED_BYTES = env_int("SCORM_MAX_UNPACKED_BYTES", 2 * 1024 * 1024 * 1024)
SCORM_MAX_FILES = env_int("SCORM_MAX_FILES", 20_000)

# Practice recordings (docs/practice.md): the installation's ceiling on a recording (each
# organisation's limits and retention are practice.PracticeSettings), and after how many hours
# an upload that never completed is deleted with its chunks.
PRACTICE_MAX_RECORDING_BYTES = env_int("PRACTICE_MAX_RECORDING_BYTES", 200 * 1024 * 1024)
PRACTICE_ABANDONED_UPLOAD_HOURS = env_int("PRACTICE_ABANDONED_UPLOAD_HOURS", 24)

# LTI 1.3 launches (docs/content-standards.md): create a Coachline account for a learner the
# platform vouches for but who has none yet (matched by the platform's `sub`, then email).
LTI_JIT_USERS = env_bool("LTI_JIT_USERS", default=False)

# Email: console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Notifications: Slack through a bot (users:read.email, chat:write); SLACK_API_URL only changes for
# tests. Teams posts only to Microsoft's webhook hosts (a person pastes their own webhook URL).
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN")
SLACK_API_URL = env_str("SLACK_API_URL", "https://slack.com/api/")
TEAMS_WEBHOOK_HOST_SUFFIXES = env_list(
    "TEAMS_WEBHOOK_HOST_SUFFIXES",
    [".webhook.office.com", ".logic.azure.com", ".environment.api.powerplatform.com"],
)
TEAMS_WEBHOOK_SCHEMES = ["https"]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Coachline <coachline@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict when DEBUG is off (checked by `manage.py check --deploy`).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Proxies (addresses or networks, comma-separated) whose X-Forwarded-Proto and X-Forwarded-For
# are believed; from anyone else those headers are dropped (core/proxies.py). Empty: none.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Health probes come from the load balancer over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Content Security Policy on every response (django-csp): scripts, styles, images, fonts and
# fetches only from this site; no inline script, handler or style attribute anywhere (templates
# put behaviour in static/js and data in json_script; tests/core/test_csp.py scans them).
# data: images are for the SVG icons inside the vendored Swagger UI stylesheet. Browsers POST
# violations to CSP_REPORT_URL, which logs them (core/csp_reports.py).
CSP_REPORT_URL = "/csp-report/"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": CSP_REPORT_URL,
    },
}
# Violation reports logged per client address and minute; the rest are dropped (429).
CSP_REPORTS_PER_MINUTE = env_int("CSP_REPORTS_PER_MINUTE", 30)

# Celery: Redis when REDIS_URL is set. CELERY_BROKER_URL=filesystem:// (what `make run` sets when
# REDIS_URL is not) queues tasks as files under var/celery for a worker and beat on this machine,
# no server needed: development only. With neither, tasks run eagerly in the calling process.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or env_str("CELERY_BROKER_URL") or "memory://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env_str("CELERY_FILESYSTEM_DIR", str(BASE_DIR / "var" / "celery")))
    (_queue_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
elif not CELERY_BROKER_URL.startswith(("redis://", "rediss://", "memory://")):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must be filesystem:// (or set REDIS_URL), not {CELERY_BROKER_URL!r}"
    )
# Results: the report refresh is a chord (roi.tasks, decision 0023) whose members hand their
# results to its callback through the backend: Redis (the broker's server) in production, files
# under var/ beside the filesystem broker for `make run`, none when tasks run eagerly. Other tasks
# store nothing (CELERY_TASK_IGNORE_RESULT); those whose result is read say so on the task.
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or REDIS_URL or None
if CELERY_RESULT_BACKEND is None and CELERY_BROKER_URL.startswith("filesystem://"):
    _results_dir = Path(env_str("CELERY_RESULTS_DIR", str(BASE_DIR / "var" / "celery-results")))
    _results_dir.mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = f"file://{_results_dir}"
CELERY_TASK_IGNORE_RESULT = True
# Stored results expire: long enough for the slowest refresh's chord to finish (its callback
# reads them once), short enough that Redis does not fill up.
CELERY_RESULT_EXPIRES = env_int("CELERY_RESULT_EXPIRES", 6 * 3600)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
# Tasks are idempotent (they take ids and re-read state), so they are acknowledged when done and
# re-queued when the process running them dies, rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis re-delivers a message not acknowledged within the visibility timeout. It must outlast the
# longest ETA we schedule (a webhook retry, at most events.services.BACKOFF_CAP = 6 h) and the
# longest task (CELERY_TASK_TIME_LIMIT), or a task would run twice while it waits or runs.
BROKER_VISIBILITY_TIMEOUT = 8 * 3600
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 5,
    }
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The queue tasks go to unless routed; workers consume it by default. Set only to keep apart
# several sites (or test runs) sharing one Redis.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}  # filled in config/celery.py
# An ingest job with no progress for this long has lost its worker and is queued again.
INGEST_JOB_LEASE_SECONDS = env_int("INGEST_JOB_LEASE_SECONDS", 600)

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAuthenticatedOrApiKey"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["core.filters.BoundedFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    # The API speaks JSON only: a form or multipart body answers 415 naming application/json.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # Keys: ApiKey.requests_per_hour each (10,000 by default); people and anonymous: below.
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttling.ApiKeyRateThrottle",
        "accounts.throttling.PersonRateThrottle",
        "accounts.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", "5000/hour"),
        "anon": env_str("API_THROTTLE_ANON", "100/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Coachline API",
    "DESCRIPTION": "Training, coaching, deals and ROI for sales teams. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # 3.1 for the `webhooks` section (events out); generators read it (docs/api.md).
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge fetched from validator.swagger.io: the CSP allows no third-party image, and the
    # schema's URL is nobody else's business.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    # Several apps have a "status" or "kind" field; name each enum after its own choices, so that
    # every enum has one stable name whichever serializer first meets it (generated clients
    # name their types after these).
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "LanguageEnum": ["en", "de"],
        "DealFieldEnum": "deals.models.DealField",
        "PrimaryMetricEnum": "training.models.PrimaryMetric",
        "MethodologyEnum": "coaching.models.Methodology",
        "CommitmentMetricEnum": "coaching.models.CommitmentMetric",
        "SessionOutcomeEnum": "coaching.api.serializers.SESSION_OUTCOMES",
        "EvidenceGradeEnum": "roi.models.EvidenceGrade",
        "DealStatusEnum": "deals.models.DealStatus",
        "IngestJobStatusEnum": "deals.models.IngestJobStatus",
        "IngestJobKindEnum": "deals.models.IngestJobKind",
        "IngestEntityEnum": "deals.models.IngestEntity",
        "ActivityKindEnum": "deals.models.ActivityKind",
        "ToolCategoryEnum": "tools.models.ToolCategory",
        "ToolPricingEnum": "tools.models.ToolPricing",
        "PublishStatusEnum": "training.models.PublishStatus",
        "LessonKindEnum": "training.models.LessonKind",
        "QuestionKindEnum": "training.models.QuestionKind",
        "SessionKindEnum": "coaching.models.SessionKind",
        "SessionStatusEnum": "coaching.models.SessionStatus",
        "CommitmentStatusEnum": "coaching.models.CommitmentStatus",
        "ReportStatusEnum": "roi.models.ReportStatus",
        "SubjectKindEnum": "roi.models.SubjectKind",
        "EfficiencyPeriodEnum": "roi.efficiency.report.PERIOD_VALUES",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # Events out, described in the document's `webhooks` (events.schemas, events.api.openapi).
    "WEBHOOKS": [
        "events.api.openapi.COURSE_COMPLETED_WEBHOOK",
        "events.api.openapi.PROGRAM_COMPLETED_WEBHOOK",
        "events.api.openapi.COACHING_SESSION_COMPLETED_WEBHOOK",
        "events.api.openapi.COACHING_COMMITMENT_CHECKED_WEBHOOK",
    ],
}
API_KEY_CUSTOM_HEADER = None

# Bulk endpoints process this many rows in the request; more go to Celery.
BULK_SYNC_MAX_ROWS = env_int("BULK_SYNC_MAX_ROWS", 10_000)
# Bodies of POST /api/v1/deals/bulk above this many bytes are refused with 413.
DEALS_BULK_MAX_BYTES = env_int("DEALS_BULK_MAX_BYTES", 100 * 1024 * 1024)

# Outgoing webhooks refuse loopback, link-local and private addresses (SSRF) unless this is on:
# a receiver on the internal network, or a local one in development and tests.
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)

FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
if not DEBUG and not FIELD_ENCRYPTION_KEY:
    # CRM credentials are encrypted with it; a key derived from SECRET_KEY is for development only.
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is false")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every successful login at INFO; failures and lockouts come at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}
