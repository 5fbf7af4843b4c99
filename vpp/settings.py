"""Django settings, all from the environment with safe embedded defaults (README "Settings" table).

With no variables set the service runs on SQLite under var/ and an embedded, file-based Celery broker, so
`make run` needs no servers. Production sets DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL / REDIS_URL.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from vpp.env import env_bool, env_float, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VPP_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# The demo (`make run`, the tests, the benches set VPP_DEMO=1): embedded default keys, plain http. Anything
# else is a deployment and refuses to start on the default SECRET_KEY or a field key derived from it.
VPP_DEMO = env_bool("VPP_DEMO", False)
_DEV_SECRET = "insecure-dev-only-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
if not VPP_DEMO and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set: the embedded default is for the demo only (VPP_DEMO=1, set by make run)"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Fernet keys (comma separated, newest first) that encrypt vendor secrets at rest. The demo's default is
# derived from SECRET_KEY so a fresh checkout works; a deployment sets its own, kept out of the database:
# a key derived from a key in the repository would let the repository alone decrypt every vendor secret.


def _derived_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(("fernet:" + secret).encode()).digest()).decode()


FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY", [_derived_key(SECRET_KEY)])
if not VPP_DEMO and {_derived_key(SECRET_KEY), _derived_key(_DEV_SECRET)} & set(FIELD_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY must be set to Fernet key(s) of its own, not derived from SECRET_KEY "
        "(outside the demo, VPP_DEMO=1)"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "axes",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "vpp",
    "fleets",
    "dispatch",
    "dispatch.campaigns",
    "dispatch.powertargets",
    "console",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files in every mode (runserver, gunicorn)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "vpp.urls"
WSGI_APPLICATION = "vpp.wsgi.application"
ASGI_APPLICATION = "vpp.asgi.application"

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
            ]
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'vpp.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL lets readers run beside the writer, IMMEDIATE takes the
    # write lock at BEGIN so two writers queue on `timeout` instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files (admin, API docs, console) are served by WhiteNoise in every mode, from STATIC_ROOT as
# `collectstatic` fills it (make run and the Dockerfile run it): hashed names, compressed, cached for ever.
# Nothing a page loads comes from another host.
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start when it is missing (before collectstatic)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
LOGIN_URL = "console:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["vpp.permissions.IsOrganizationMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Strict: an unknown query parameter or ordering term is a 400 naming it (vpp/filters.py).
    "DEFAULT_FILTER_BACKENDS": [
        "vpp.filters.StrictFilterBackend",
        "vpp.filters.StrictSearchFilter",
        "vpp.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "vpp.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "vpp.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "VPP dispatch orchestration API",
    "DESCRIPTION": "Enrol solar and battery plants from vendor clouds and dispatch fleets of them.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from the public validator: the docs page loads nothing from another host.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Every operation documents the errors it can answer, in the error shape (vpp/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "vpp.schema.add_error_responses",
    ],
}

# API guard rails (issue 10): roles on every view (vpp/permissions.py; a view that names none lets viewers
# only read), JSON-only bodies within limits (vpp/parsers.py), JSON errors for all of /api/
# (vpp/middleware.py), path ids that fit a bigint (vpp/routers.py), throttles per token and per IP
# (vpp/throttling.py) counted in the "throttle" cache: Redis when there is one, so web processes share it.
# Right after SecurityMiddleware: its answers get the security headers, and it sees every other layer's.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "vpp.middleware.ApiErrorsMiddleware",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("VPP_MAX_BODY_BYTES", 2_621_440, minimum=1024)
REST_FRAMEWORK.update(
    {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "vpp.authentication.TokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
            "vpp.authentication.AnonymousCalls",  # last: counts calls without credentials per IP
        ],
        "DEFAULT_PERMISSION_CLASSES": ["vpp.permissions.CanOperate"],
        "DEFAULT_PARSER_CLASSES": ["vpp.parsers.JSONParser"],
        "DEFAULT_METADATA_CLASS": "vpp.metadata.ScopedMetadata",
        # Per token here; per IP for calls without valid credentials in vpp.authentication.
        "DEFAULT_THROTTLE_CLASSES": ["vpp.throttling.TokenRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {
            "token": env_rate("API_THROTTLE_TOKEN_RATE", "1200/minute"),
            "anon": env_rate("API_THROTTLE_ANON_RATE", "120/minute"),
        },
        # Proxies in front of the web process; 0 = the client is REMOTE_ADDR and X-Forwarded-For is ignored
        # (a client could otherwise pick its own IP for the per-IP throttle).
        "NUM_PROXIES": env_int("API_NUM_PROXIES", 0, minimum=0),
    }
)
_throttle_redis = env_str("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _throttle_redis}
    if _throttle_redis
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"},
}
SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"] = {
    "id": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
}

# Celery: the database is the source of truth and Celery only transport (DESIGN.md). With no broker URL an
# embedded filesystem broker works across the processes of one machine.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Total retry backoff stays far below this (STYLE 15); a message unacked this long is redelivered.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 3600)}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT_S", 240, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT_S", 300, minimum=1)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {"task": "vpp.tasks.heartbeat", "schedule": env_float("VPP_HEARTBEAT_S", 30.0, minimum=1)},
    "campaigns-schedule-due": {
        "task": "campaigns.schedule_due",
        "schedule": env_float("VPP_CAMPAIGN_TICK_S", 15.0, minimum=1),
    },
}

# Dispatch engine (dispatch/engine): the sweep re-sends what got stuck, enqueues due polls, times out and
# finishes jobs; a lane is one worker sending (or polling) for one vendor account at a time.
DISPATCH_SWEEP_S = env_float("DISPATCH_SWEEP_S", 3.0, minimum=0.2)
DISPATCH_LANE_BUDGET_S = env_float("DISPATCH_LANE_BUDGET_S", 20.0, minimum=0.5)
# A claimed request not answered within this is re-sent (same request_id) by another worker; it must
# outlast one adapter call: VENDOR_MAX_WAIT_S plus the adapter's own retries of VENDOR_HTTP_TIMEOUT_S, and
# stay under 0.8 x the 5-minute repeat window of a vendor that refuses an identical request (240 s), inside
# which a re-sent setting's refusal proves the dead worker's call landed (that vendor's calls.py).
DISPATCH_SEND_LEASE_S = env_float("DISPATCH_SEND_LEASE_S", 150.0, minimum=1)
# Requests a send lane has on their way at once for an account whose vendor sets no per-account limit
# (one plant a request). 1 on SQLite, which takes one writer at a time.
DISPATCH_SEND_THREADS = env_int("DISPATCH_SEND_THREADS", 8, minimum=1)
DISPATCH_SEND_MAX_ATTEMPTS = env_int("DISPATCH_SEND_MAX_ATTEMPTS", 6, minimum=1)
DISPATCH_RETRY_BASE_S = env_float("DISPATCH_RETRY_BASE_S", 2.0, minimum=0)
DISPATCH_RETRY_MAX_S = env_float("DISPATCH_RETRY_MAX_S", 60.0, minimum=0)
CELERY_BEAT_SCHEDULE["dispatch-sweep"] = {"task": "dispatch.sweep", "schedule": DISPATCH_SWEEP_S}
CELERY_TASK_ROUTES = {
    "dispatch.send_lane": {"queue": "dispatch"},
    "dispatch.sweep": {"queue": "dispatch"},
    "dispatch.poll_lane": {"queue": "poll"},
}

# Fleets (fleets/tasks.py): enrolment, plant discovery and realtime telemetry, all on the "sync" queue. The
# telemetry tick only hands out work; how often a plant is read is set by vendor limits (fleets/telemetry).
VPP_TELEMETRY_TICK_S = env_float("VPP_TELEMETRY_TICK_S", 15.0, minimum=0.1)
VPP_TELEMETRY_RETENTION_DAYS = env_int("VPP_TELEMETRY_RETENTION_DAYS", 30, minimum=1)
VPP_DISCOVERY_S = env_float("VPP_DISCOVERY_S", 86400.0, minimum=60)
CELERY_BEAT_SCHEDULE.update(
    {
        "fleets-telemetry-tick": {"task": "fleets.telemetry_tick", "schedule": VPP_TELEMETRY_TICK_S},
        "fleets-enrolments-resume": {"task": "fleets.enrolments_resume", "schedule": 60.0},
        "fleets-accounts-sync": {"task": "fleets.vendor_accounts_sync_all", "schedule": VPP_DISCOVERY_S},
        "fleets-telemetry-prune": {"task": "fleets.telemetry_prune", "schedule": 86400.0},
    }
)
CELERY_TASK_ROUTES["fleets.*"] = {"queue": "sync"}

# Power targets (dispatch/powertargets): how often beat judges running windows and re-allocates shortfalls.
CELERY_BEAT_SCHEDULE["powertargets-reallocate"] = {
    "task": "powertargets.reallocate_tick",
    "schedule": env_float("VPP_POWER_TARGET_TICK_S", 30.0, minimum=0.1),
}
CELERY_TASK_ROUTES["powertargets.*"] = {"queue": "dispatch"}


def _command_kinds():
    from vendors.base import CommandKind

    return list(CommandKind)


SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "PlantStateEnum": "fleets.models.Plant.State",
        "EnrolmentStateEnum": "fleets.models.Enrolment.State",
        "EnrolmentItemStateEnum": "fleets.models.EnrolmentItem.State",
        # As the fields declare it, (value, value): one name for `command` and `command_kind` alike.
        "CommandKindEnum": lambda: [(kind.value, kind.value) for kind in _command_kinds()],
        # A campaign may also carry a power target (dispatch.commands.POWER_TARGET): its own, wider set.
        "CampaignCommandKindEnum": lambda: [
            *((kind.value, kind.value) for kind in _command_kinds()),
            ("power_target", "power_target"),
        ],
        "AccountHealthStatusEnum": "vendors.health.STATUSES",
    }
)

# Shared vendor rate limiter: Redis when there is one, else a SQLite file that holds across local processes.
VENDOR_RATE_LIMITER_URL = env_str(
    "VENDOR_RATE_LIMITER_URL", REDIS_URL or f"sqlite:///{VAR_DIR / 'ratelimit.sqlite3'}"
)

# Where cross-process vendor state lives (a session token every worker shares, NBI V7 9.1.1; setting plans
# and exactly-once progress): the database when it is PostgreSQL, durable and
# shared by every worker on every machine (a Redis restart must not make a command go out twice).
VENDOR_STATE_URL = env_str(
    "VENDOR_STATE_URL",
    DATABASE_URL
    if DATABASE_URL.startswith(("postgres://", "postgresql://"))
    else f"sqlite:///{VAR_DIR / 'vendor-state.sqlite3'}",
)
# How long one vendor call may wait for a rate-limit slot before the caller reschedules instead.
VENDOR_MAX_WAIT_S = env_float("VENDOR_MAX_WAIT_S", 10.0, minimum=0)
VENDOR_HTTP_TIMEOUT_S = env_float("VENDOR_HTTP_TIMEOUT_S", 30.0, minimum=1)
# Namespaces limiter and session keys in a shared Redis (tests give each run its own).
VENDOR_KEY_PREFIX = env_str("VENDOR_KEY_PREFIX", "")
# Vendor base URLs must be https to a public address, checked on save and at connect (vendors/egress.py).
# 1 also allows plain http and loopback/private hosts: for the simulators of the demo, tests and benches.
VENDOR_URL_ALLOW_PRIVATE = env_bool("VENDOR_URL_ALLOW_PRIVATE", False)

# Webhooks (webhooks/): signed POSTs of job and vendor-account events, delivered from an outbox by workers on
# their own "webhooks" queue; retried with a doubling backoff on 5xx, 429 and timeouts, then dead-lettered.
WEBHOOK_URL_ALLOW_PRIVATE = env_bool("WEBHOOK_URL_ALLOW_PRIVATE", False)  # dev/tests: http, loopback hosts
WEBHOOK_TIMEOUT_S = env_float("WEBHOOK_TIMEOUT_S", 10.0, minimum=0.5)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
WEBHOOK_RETRY_BASE_S = env_float("WEBHOOK_RETRY_BASE_S", 10.0, minimum=0)
WEBHOOK_RETRY_MAX_S = env_float("WEBHOOK_RETRY_MAX_S", 3600.0, minimum=0)
WEBHOOK_LANE_BUDGET_S = env_float("WEBHOOK_LANE_BUDGET_S", 20.0, minimum=0.5)
CELERY_BEAT_SCHEDULE["webhooks-tick"] = {
    "task": "webhooks.tick",
    "schedule": env_float("WEBHOOK_TICK_S", 5.0, minimum=0.2),
}
CELERY_BEAT_SCHEDULE["webhooks-prune"] = {"task": "webhooks.prune", "schedule": 86400.0}
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30, minimum=1)
CELERY_TASK_ROUTES["webhooks.*"] = {"queue": "webhooks"}

# Prometheus metrics at /metrics (vpp/metrics.py): refused unless the caller sends
# `Authorization: Bearer <METRICS_TOKEN>` or comes from an address in METRICS_ALLOWED_IPS.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- security (README "Security") --------------------------------------------------------------------------
# Brute force on the admin login (django-axes, database handler: SQLite and PostgreSQL alike): after
# AXES_FAILURE_LIMIT failures for one user name from one address, that pair is locked out (HTTP 429) for
# AXES_COOLOFF_MIN minutes, even with the right password. API tokens are not affected.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("AXES_COOLOFF_MIN", 30.0, minimum=0.1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy: how many proxies add themselves to X-Forwarded-For (0: use REMOTE_ADDR).
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0, minimum=0) or None
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# HTTPS: on by default outside the demo (manage.py check --deploy is clean); each can be turned off for a
# deployment without TLS in front (docker-compose.yml, for a look on localhost).
_deployed = not VPP_DEMO
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _deployed)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]  # a load balancer's health check may come over plain http
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _deployed else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _deployed)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _deployed)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _deployed)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _deployed)
# "HTTP_X_FORWARDED_PROTO,https" when a TLS-terminating proxy says so in that header.
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be '<META name>,<value>'")
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header)
X_FRAME_OPTIONS = "DENY"


def _csp_directives(policy: str) -> dict[str, list[str]]:
    """A policy as the header says it, as django-csp's directives: {"default-src": ["'self'"], ...}."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    if not directives:
        raise ImproperlyConfigured("CONTENT_SECURITY_POLICY must hold at least one directive")
    return directives


# Content-Security-Policy for every page we serve: our own origin only (static files included), no inline
# script, no framing. CSP_REPORT_ONLY=1 sends it as Content-Security-Policy-Report-Only instead. The
# Swagger UI at /api/docs/ holds it too: its bundle is one of our static files (drf-spectacular-sidecar) and
# its init script a file of its own (urls.py); the browser tests check every page under this policy.
_CSP = _csp_directives(
    env_str(
        "CONTENT_SECURITY_POLICY",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
)
_CSP_CONFIG = {
    "EXCLUDE_URL_PREFIXES": env_list("CSP_EXCLUDE_URL_PREFIXES", []),
    "DIRECTIVES": _CSP,
}
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP_CONFIG
else:
    CONTENT_SECURITY_POLICY = _CSP_CONFIG
