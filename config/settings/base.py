"""Settings from the environment; with nothing set, the embedded default (SQLite, file broker)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

from .storage import storage_from_url

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))


def _embedded_secret_key(path: Path) -> str:
    """The embedded default's key: made once, readable by its owner only, kept across restarts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(secrets.token_urlsafe(50))
    except FileExistsError:
        pass
    return path.read_text().strip()


# Technical error pages list URL patterns, settings and tracebacks: only when asked for.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _embedded_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "config.apps.AdminSiteConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "oauth2_provider",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "protocol",
    "agencies",
    "exchange",
    "referrals",
    "portal",
]

MIDDLEWARE = [
    "protocol.middleware.RequestContextMiddleware",
    "protocol.middleware.BodySizeLimitMiddleware",
    "protocol.sources.SourceThrottleMiddleware",
    "protocol.middleware.CompleteBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.PortalMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context.portal",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent web, worker and beat processes share one file: wait for locks, write-ahead log.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # SQLite builds the parties' indexes without their included columns (status, id), which
    # only spare PostgreSQL reading the cases' rows: nothing to warn about.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Requests and tasks read a page or a batch: a parallel worker's start (about 5 ms) costs
    # more than the work it would share, and under load it takes a core another request needs.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        filter(None, [_options.get("options"), "-c max_parallel_workers_per_gather=0"])
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Rate-limit counters (exchange/ratelimit.py): Redis INCR, or files changed under a lock.
RATE_LIMIT_STORE = "redis" if REDIS_URL else "file"
RATE_LIMIT_DIR = VAR_DIR / "ratelimit"
# Unauthenticated and failed requests, token requests and admin sign-ins, per client address.
API_SOURCE_RATE_LIMIT = env.str("API_SOURCE_RATE_LIMIT", default="60/min")
# Proxies in front of the web processes whose X-Forwarded-For entry is trusted (0: none).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: a locked-out user and source is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "agencies.backends.RoleGroupBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# People: the session ends after this long without a page seen (the portal's idle timeout).
SESSION_COOKIE_AGE = env.int("PORTAL_IDLE_MINUTES", default=30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Sign-in failures: 5 for one username from one address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/accounts/locked_out.html"
AXES_VERBOSE = False
# Two-factor sign-in (TOTP) is required for these roles; the embedded default leaves it optional.
PORTAL_TWO_FACTOR_ROLES = env.list("PORTAL_TWO_FACTOR_ROLES", default=[])
OTP_TOTP_ISSUER = "Mekong Exchange"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("km", "Khmer"), ("th", "Thai"), ("vi", "Vietnamese")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Case documents (sealed before they are stored): files under var/documents/ on the embedded
# default; S3-compatible object storage with STORAGE_URL=s3://bucket?endpoint_url=...&region=...
STORAGE_URL = env.str("STORAGE_URL", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "documents": storage_from_url(STORAGE_URL, VAR_DIR / "documents"),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
DOCUMENTS_PER_CASE = 100
# A stored file no document names is an orphan once this old (younger: an upload in flight).
DOCUMENT_ORPHAN_GRACE = timedelta(hours=1)
# Uploads (API and portal) stream to a sealed spool; their body may hold a whole document and
# its form fields.
DOCUMENT_UPLOAD_PATH = (
    r"^(/api/v1/(referrals|returns)|/cases/(referral|return))/[0-9a-fA-F-]{36}/documents/$"
)
DOCUMENT_UPLOAD_MAX_BODY = DOCUMENT_MAX_BYTES + 64 * 1024

# The key ring (agencies/keyring.py): comma-separated ``id:base64(32 bytes)``, the active key
# first; the others only open what they sealed until `manage.py rotate_keys` has re-sealed it.
# Unset: one key derived from SECRET_KEY (embedded default and tests; production requires it).
ENCRYPTION_KEYS = env.str("ENCRYPTION_KEYS", default="")
WHITENOISE_USE_FINDERS = True

# HTML pages run only scripts and styles served from here: no inline script, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Request bodies over 1 MiB are refused with 413 before they are read.
MAX_REQUEST_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# A client silent this long while sending a body gets 400 (see CompleteBodyMiddleware).
REQUEST_BODY_TIMEOUT = env.int("REQUEST_BODY_TIMEOUT", default=10)

if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    MAILERS = {
        "default": {
            "BACKEND": _email["EMAIL_BACKEND"],
            "OPTIONS": {
                "host": _email.get("EMAIL_HOST", ""),
                "port": _email.get("EMAIL_PORT"),
                "username": _email.get("EMAIL_HOST_USER", ""),
                "password": _email.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": _email.get("EMAIL_USE_TLS", False),
                "use_ssl": _email.get("EMAIL_USE_SSL", False),
                "timeout": 15,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Mekong Exchange <noreply@mekong-exchange.local>"
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agencies.authentication.ApiClientTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "agencies.permissions.IsAgencyMember",
        "agencies.permissions.HasRole",
        "agencies.permissions.HasScope",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["protocol.parsers.DepthLimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "protocol.pagination.CursorPage",
    "DEFAULT_FILTER_BACKENDS": ["protocol.filters.StrictFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["protocol.throttling.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"caller": env.str("API_RATE_LIMIT", default="600/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "protocol.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Mekong Exchange API",
    "DESCRIPTION": (
        "Cross-border exchange of referral notices and return requests between "
        "counter-trafficking agencies of Cambodia, Thailand and Vietnam."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "AgencyKindEnum": "agencies.models.AgencyKind",
        "CheckpointKindEnum": "agencies.models.CheckpointKind",
        "CountryEnum": "agencies.models.Country",
        "ReferralStatusEnum": "referrals.models.ReferralStatus",
        "ReturnStatusEnum": "referrals.models.ReturnStatus",
        "ConsentStatusEnum": "referrals.models.ConsentStatus",
        "ReferralActionEnum": "referrals.workflows.REFERRAL_ACTIONS",
        "ReturnActionEnum": "referrals.workflows.RETURN_ACTIONS",
        "EventTypeEnum": "exchange.events.EVENT_TYPE_CHOICES",
        "EventSubscriptionEnum": "exchange.events.SUBSCRIBABLE_CHOICES",
        "DocumentKindEnum": "referrals.models.DocumentKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "protocol.schema.contract_conventions",
        "exchange.webhook_contract.add_webhooks",
        "protocol.schema_links.add_links",
        "referrals.schema_links.workflow_links",
    ],
}

API_SCOPES = {
    "referrals:read": "Read cases, messages and events",
    "referrals:write": "Create cases and act on them",
    "audit:read": "Read the audit trail and reports",
    "agency:admin": "Manage the agency's members, clients and webhooks",
}
OAUTH2_PROVIDER = {
    "SCOPES": API_SCOPES,
    "DEFAULT_SCOPES": list(API_SCOPES),
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    "OAUTH2_VALIDATOR_CLASS": "agencies.oauth.ApiClientOAuth2Validator",
    "PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    # RFC 9700: tokens are stored as checksums only, legacy grants are refused.
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

# The layers above lend the protocol layer its caller and its audit trail (see protocol.hooks).
PROTOCOL_CALLER = "agencies.authentication.caller_of"
PROTOCOL_CALLER_IDENTITY = "agencies.authentication.caller_identity"
AUDIT_RECORDER = "exchange.audit.audit_record"
AUDIT_DENIAL_RECORDER = "exchange.refusals.request_denied_record"

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
IDEMPOTENCY_IN_FLIGHT_TIMEOUT = timedelta(minutes=5)

# The file broker ignores the host, but kombu warns on every publish when there is none.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Long enough that a slow task is not redelivered while it still runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "referrals.tasks.sweep_deadlines",
        "schedule": timedelta(minutes=5),
    },
    # Personal data of cases ended longer ago than their agreement keeps it: pseudonymised.
    "sweep-retention": {
        "task": "referrals.tasks.sweep_retention",
        "schedule": crontab(minute=41, hour=2),
    },
    # Stored document files whose upload died before its commit: deleted after the grace period.
    "sweep-document-orphans": {
        "task": "referrals.tasks.sweep_document_orphans",
        "schedule": crontab(minute=29),
    },
    "purge-idempotency-keys": {
        "task": "exchange.tasks.purge_expired_idempotency_keys",
        "schedule": crontab(minute=17),
    },
    # One audit row per source and minute counting its refused unauthenticated requests.
    "seal-refusal-windows": {
        "task": "exchange.tasks.seal_refusal_windows",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    "sweep-deliveries": {
        "task": "exchange.tasks.sweep_deliveries",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 50},
    },
    # Each second: committed audit rows become leaves of the Merkle tree under a signed head.
    "seal-audit-log": {
        "task": "exchange.tasks.seal_audit_log",
        "schedule": timedelta(seconds=1),
        "options": {"expires": 1},
    },
}

# The audit trail's Merkle tree (exchange/audit_sealer.py): heads are signed with this Ed25519
# key (base64 of its 32-byte seed); without one, a key derived from SECRET_KEY (never in
# production, whose settings require it). Partners verify heads with its public key.
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")
# Public keys (base64, raw 32 bytes) of earlier signing keys, so that older heads still verify.
AUDIT_RETIRED_PUBLIC_KEYS = env.list("AUDIT_RETIRED_PUBLIC_KEYS", default=[])
AUDIT_SEAL_BATCH = env.int("AUDIT_SEAL_BATCH", default=10000)
# How long the sealer waits for appends in flight below its watermark to commit or roll back.
AUDIT_SEAL_DRAIN_SECONDS = env.float("AUDIT_SEAL_DRAIN_SECONDS", default=1.5)
# A head is published as an event to every agency at most this often (every head is served).
AUDIT_HEAD_PUBLISH_EVERY = timedelta(minutes=10)

# Webhook and email delivery of events (exchange/delivery.py).
# Private, loopback and link-local targets (and plain http): development and closed networks only.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
WEBHOOK_TIMEOUT_SECONDS = 15
WEBHOOK_SECRET_OVERLAP = timedelta(hours=24)
DELIVERY_RETRY_BASE = timedelta(seconds=30)
DELIVERY_RETRY_CAP = timedelta(hours=6)
DELIVERY_RETRY_WINDOW = timedelta(days=3)
# A claimed delivery is someone's for this long; the attempt's time limit is shorter.
DELIVERY_LEASE = timedelta(seconds=60)
# A queued task not run by then (lost with the broker) is queued again by the sweep.
DELIVERY_REQUEUE_AFTER = timedelta(minutes=2)
DELIVERY_SWEEP_BATCH = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "protocol.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # PDF rendering logs each step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
