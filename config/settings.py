"""Daiban settings: one module; environment variables decide secrets, debug, hosts,
the database and the map's tile provider.

Development (the default) needs no variables at all. Production sets at least
DAIBAN_DEBUG=0, DAIBAN_SECRET_KEY, DAIBAN_FIELD_KEY, DAIBAN_ALLOWED_HOSTS and DATABASE_URL.
"""

import ipaddress
import json
import os
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DAIBAN_DEBUG", True)

# A development key is only acceptable while DEBUG is on; production must set its own.
_DEV_SECRET_KEY = "daiban-development-only-key-never-use-in-production-7f3a9c2e1b"
SECRET_KEY = os.environ.get("DAIBAN_SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set DAIBAN_SECRET_KEY when DAIBAN_DEBUG is off.")

ALLOWED_HOSTS = env_list("DAIBAN_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DAIBAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.DaibanAdminConfig",  # admin without autodiscovery: leaflet.admin needs GDAL
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "leaflet",
    "ninja",
    "config.apps.TasksDbConfig",  # django-tasks-db, the background queue: rows in the database, run by `manage.py worker`
    "config.apps.AxesConfig",  # django-axes, named in Chinese
    "config.apps.DaibanConfig",  # Daiban's own ready(): config.words
    "grid",
    "outreach",
    "demo",  # the demo city, the synthetic city and the benchmark (commands seed_demo, seed_city, bench)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.db_router.ReplicaPinMiddleware",  # a user who just wrote reads the primary (no-op without a replica)
    "config.compression.TextGZipMiddleware",  # pages and JSON gzipped; BREACH: see the module
    "config.cache_control.NoStoreMiddleware",  # personal data is never kept by browsers or proxies
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.json_errors.ApiErrorsAsJsonMiddleware",  # /api/ errors are JSON, whoever answered them
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

if DEBUG and not env_bool("DAIBAN_TECHNICAL_404", False):
    # While debugging, a 404 is still Daiban's own page (config/not_found.py): the demo
    # shows what a user sees. Inside the CSP middleware, so the page gets its policy.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.csp.ContentSecurityPolicyMiddleware") + 1,
        "config.not_found.DaibanNotFoundMiddleware",
    )

if not DEBUG:
    # Production serves the collected, compressed static files itself (no CDN, no nginx
    # rules): Brotli or gzip, written beside each file by collectstatic. Outside the gzip
    # of pages, which would only compress them again.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.shell",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database: SQLite in var/ by default, PostgreSQL in production --------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'daiban.sqlite3'}",
        conn_max_age=int(os.environ.get("DAIBAN_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the demo serve readers while a visit is being written.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The page queries are short: compiling them to machine code (JIT) costs more than it
    # saves (up to 100 ms on the city-wide dashboard), and on SSD storage random reads are
    # nearly as cheap as sequential ones (README, Performance). Set to "" behind a pooler
    # that refuses startup options (PgBouncer), and set these on the role instead.
    pg_options = os.environ.get("DAIBAN_PG_OPTIONS", "-c jit=off -c random_page_cost=1.1")
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = " ".join(filter(None, [options.get("options", ""), pg_options]))
    if not options["options"]:
        del options["options"]

# A read replica (DAIBAN_REPLICA_URL, PostgreSQL streaming replication): the dashboards,
# coverage and exports read from it, everything else (and whoever wrote a moment ago)
# from the primary (config/db_router.py). Without it there is one database.
if replica_url := os.environ.get("DAIBAN_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(
            replica_url,
            conn_max_age=int(os.environ.get("DAIBAN_DB_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        ),
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),  # the same session settings
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
# How long after a write (POST, PUT, PATCH, DELETE) a user's reads stay on the primary,
# so the page after a form shows what was just written, whatever the replica's lag.
DAIBAN_REPLICA_PIN_SECONDS = int(os.environ.get("DAIBAN_REPLICA_PIN_SECONDS", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions: shared by every app server ---------------------------------
# Never Django's default per-process memory cache: anything counted or remembered there
# would differ from one app server (one gunicorn worker) to the next. The database by
# default (`createcachetable` makes the table; `make migrate` runs it), Redis when given.
REDIS_URL = os.environ.get("DAIBAN_REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "daiban",
        }
    }
    # Sessions read from Redis, written through to the database: a Redis restart logs
    # nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "daiban_cache",
            "KEY_PREFIX": "daiban",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Background tasks (django.tasks) ----------------------------------------------------
# Queued as rows in the database above (django-tasks-db), so a queued task survives a
# restart and any app server can queue what any worker runs. `manage.py worker` runs them
# and queues the periodic ones (outreach.jobs.periodic); `make run` starts one beside the
# demo server.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Users, login throttling ---------------------------------------------------------
AUTH_USER_MODEL = "grid.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id first (config/hashers.py: a login's CPU a quarter of PBKDF2's); the others only
# check older hashes, which Django replaces by an Argon2 one at the user's next login.
PASSWORD_HASHERS = [
    "config.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock a username only from the address that keeps failing: a neighbour sharing the
# community's Wi-Fi is not locked out with it, and one address cannot try every account.
AXES_FAILURE_LIMIT = int(os.environ.get("DAIBAN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Failures and lockouts are rows in the database, so every app server counts the same
# tries (the cache handler would count them per process with a memory cache).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The client's address, behind a proxy too (DAIBAN_TRUSTED_PROXIES): the one function
# the audit trail and the order limits use as well.
AXES_CLIENT_IP_CALLABLE = "outreach.common.requests.client_address"


def _trusted_proxies(value: str) -> int | tuple[str, ...]:
    """DAIBAN_TRUSTED_PROXIES: empty (no proxy: the peer is the client), a number of
    proxies in front of every request, or the proxies' addresses and networks (CIDR)."""
    value = value.strip()
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    networks = tuple(item.strip() for item in value.split(",") if item.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"DAIBAN_TRUSTED_PROXIES: {network!r} is neither a number of proxies nor an address or network."
            ) from None
    return networks


DAIBAN_TRUSTED_PROXIES = _trusted_proxies(os.environ.get("DAIBAN_TRUSTED_PROXIES", ""))

SESSION_COOKIE_AGE = 60 * 60 * 12  # one working day
SESSION_COOKIE_HTTPONLY = True


def _field_session_days() -> int:
    """DAIBAN_FIELD_SESSION_DAYS: how many days a grid worker's login lasts on the phone."""
    value = os.environ.get("DAIBAN_FIELD_SESSION_DAYS", "14")
    if not value.strip().isdigit() or not 1 <= int(value) <= 90:
        raise ImproperlyConfigured(
            f"DAIBAN_FIELD_SESSION_DAYS must be a whole number of days from 1 to 90, not {value!r}."
        )
    return int(value)


# A grid worker (and nothing else) stays logged in on the phone this long, so the app on
# the home screen does not ask for the password every morning; everyone else's login
# lasts the working day above (outreach.offline.sessions). Long enough for a fortnight's
# rounds, short enough that a phone forgotten in a drawer logs itself out; a lost phone's
# session ends at once when the administrator deactivates the user or sets a new password.
DAIBAN_FIELD_SESSION_DAYS = _field_session_days()

# --- Language, time ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files (vendored htmx and Leaflet; no CDN) --------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # under MEDIA_ROOT
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded photos live outside any public URL; they are served by scope-checked views.
MEDIA_ROOT = Path(os.environ.get("DAIBAN_MEDIA_ROOT", BASE_DIR / "var" / "media"))


def _object_storage() -> dict[str, Any] | None:
    """DAIBAN_S3_*: photos in an S3-compatible bucket (Aliyun OSS, MinIO, Ceph) instead of
    MEDIA_ROOT, so every app server sees the same files. The bucket stays private: objects
    are written without a public ACL and Daiban never hands out their URLs (a signed one at
    most, and no view does); photos still go out only through the scope-checked views."""
    bucket = os.environ.get("DAIBAN_S3_BUCKET", "").strip()
    if not bucket:
        return None
    options = {
        "bucket_name": bucket,
        "endpoint_url": os.environ.get("DAIBAN_S3_ENDPOINT_URL") or None,
        "access_key": os.environ.get("DAIBAN_S3_ACCESS_KEY") or None,
        "secret_key": os.environ.get("DAIBAN_S3_SECRET_KEY") or None,
        "region_name": os.environ.get("DAIBAN_S3_REGION") or None,
        "addressing_style": os.environ.get("DAIBAN_S3_ADDRESSING_STYLE") or None,
        "default_acl": "private",
        "querystring_auth": True,
        # Names are random (outreach.photos.pipeline): no HEAD before every write.
        "file_overwrite": True,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


if object_storage := _object_storage():
    STORAGES["default"] = object_storage

# --- Maps ----------------------------------------------------------------------------
# none: areas and points on a plain background (works with no tile server at all).
# osm, tianditu (needs DAIBAN_TIANDITU_KEY; WGS-84), amap (GCJ-02: overlays are shifted).
TILE_PROVIDERS: dict[str, dict[str, Any]] = {
    "none": {"tiles": [], "hosts": [], "crs": "wgs84"},
    "osm": {
        "tiles": [
            (
                _("OpenStreetMap"),
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                {"attribution": "© OpenStreetMap", "maxZoom": 19},
            ),
        ],
        "hosts": ["https://tile.openstreetmap.org"],
        "crs": "wgs84",
    },
    "tianditu": {
        "tiles": [
            (
                _("Tianditu"),
                "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                "&TILECOL={x}&tk=" + os.environ.get("DAIBAN_TIANDITU_KEY", ""),
                {"subdomains": "01234567", "attribution": "© 天地图", "maxZoom": 18},
            ),
        ],
        "hosts": ["https://*.tianditu.gov.cn"],
        "crs": "wgs84",
    },
    "amap": {
        "tiles": [
            (
                _("AMap"),
                ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"),
                {"subdomains": "1234", "attribution": "© 高德地图", "maxZoom": 18},
            ),
        ],
        "hosts": ["https://*.is.autonavi.com"],
        "crs": "gcj02",
    },
}
TILE_PROVIDER = os.environ.get("DAIBAN_TILE_PROVIDER", "none")
if TILE_PROVIDER not in TILE_PROVIDERS:
    raise ImproperlyConfigured(
        f"DAIBAN_TILE_PROVIDER must be one of {', '.join(TILE_PROVIDERS)}, not {TILE_PROVIDER!r}."
    )
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (29.31, 120.08),  # Yiwu
    "DEFAULT_ZOOM": 11,
    "MIN_ZOOM": 8,
    "MAX_ZOOM": 19,
    "TILES": TILE_PROVIDERS[TILE_PROVIDER]["tiles"],
    "ATTRIBUTION_PREFIX": "Daiban",
    "RESET_VIEW": False,
    "NO_GLOBALS": True,
    # Vendored plugins, loaded only by the maps that name them ({% leaflet_js plugins="markercluster" %}).
    "PLUGINS": {
        "markercluster": {
            "css": ["vendor/leaflet.markercluster-1.5.3/MarkerCluster.css"],
            "js": ["vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js", "daiban/map-markers.js"],
        },
    },
}

# --- Content Security Policy: nonces for the few inline bootstraps, nothing else -----
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", *TILE_PROVIDERS[TILE_PROVIDER]["hosts"]],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF],  # the offline service worker (/sw.js)
    "manifest-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Security headers for production (check --deploy passes with DEBUG off) ----------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DAIBAN_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DAIBAN_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Daiban sends no mail of its own; error reports to ADMINS go through the local MTA.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "daiban": {"handlers": ["console"], "level": os.environ.get("DAIBAN_LOG_LEVEL", "INFO")},
        "axes": {"handlers": ["console"], "level": "WARNING"},
    },
}

# --- Daiban's own knobs ----------------------------------------------------------------
DAIBAN_DEMO_PASSWORD = "daiban-demo"

# National IDs are encrypted and looked up by a keyed digest; both keys derive from this.
# Production must set its own and keep it with the database backups (losing it loses the IDs).
# While a key is replaced it holds several, comma-separated, the new one first
# (outreach.common.crypto; README, Replacing the national-ID key).
DAIBAN_FIELD_KEY = os.environ.get("DAIBAN_FIELD_KEY") or (f"dev-field-key:{SECRET_KEY}" if DEBUG else "")
if not DAIBAN_FIELD_KEY.replace(",", "").strip():
    raise ImproperlyConfigured("Set DAIBAN_FIELD_KEY (a long random string) when DAIBAN_DEBUG is off.")

# Care level → days between in-person visits (A weekly, B fortnightly, C monthly).
DAIBAN_CARE_INTERVAL_DAYS = {"A": 7, "B": 14, "C": 30}
# A visit further than this from the home is flagged "away from the home".
DAIBAN_VISIT_AWAY_METERS = int(os.environ.get("DAIBAN_VISIT_AWAY_METERS", "200"))
# A position less precise than this is not a position (a phone's cell-tower guess).
DAIBAN_VISIT_MAX_ACCURACY_METERS = 5000
# The author may correct a visit for this long; after that it is read-only.
DAIBAN_VISIT_CORRECTION_HOURS = 24
DAIBAN_PHOTOS_PER_VISIT = 6
DAIBAN_PHOTO_MAX_BYTES = 15 * 1024 * 1024
DAIBAN_PHOTO_MAX_PIXELS = 50_000_000  # a 48-megapixel phone camera still fits
# A JPEG decodes at 1/2 to 1/8 scale, a PNG or WebP only whole: a 49-megapixel PNG of a
# few KB kept a worker busy for a second. Screenshots and scanned pages are far smaller.
DAIBAN_PHOTO_MAX_PIXELS_PNG_WEBP = 16_000_000
DAIBAN_PHOTO_LONG_EDGE = 1600  # stored size: plenty to read a meter or a certificate
DAIBAN_PHOTO_THUMB_EDGE = 320
# Where notifications go besides the bell (outreach.errands.notifications.channels). Each
# channel is off until its variables are set; see the README's Notifications section.
# SMS: a generic HTTP gateway, POSTed {phone, template_id, params, sign} as JSON, with
# DAIBAN_SMS_KEY as a bearer token; one template id per kind of message.
DAIBAN_SMS_URL = os.environ.get("DAIBAN_SMS_URL", "")
DAIBAN_SMS_KEY = os.environ.get("DAIBAN_SMS_KEY", "")
DAIBAN_SMS_SIGN = os.environ.get("DAIBAN_SMS_SIGN", "")


def _sms_templates() -> dict[str, str]:
    """DAIBAN_SMS_TEMPLATES: a JSON object, kind of message → the gateway's template id."""
    value = os.environ.get("DAIBAN_SMS_TEMPLATES", "") or "{}"
    try:
        templates = json.loads(value)
    except ValueError:
        templates = None
    if not isinstance(templates, dict) or not all(isinstance(v, str | int) for v in templates.values()):
        raise ImproperlyConfigured('DAIBAN_SMS_TEMPLATES: a JSON object such as {"errand_accepted": "SMS_1001"}.')
    return {str(kind): str(template) for kind, template in templates.items()}


DAIBAN_SMS_TEMPLATES = _sms_templates()
# DingTalk (浙政钉) group robot: the webhook with its access_token, and the 加签 secret.
DAIBAN_DINGTALK_WEBHOOK = os.environ.get("DAIBAN_DINGTALK_WEBHOOK", "")
DAIBAN_DINGTALK_SECRET = os.environ.get("DAIBAN_DINGTALK_SECRET", "")
# WeCom (企业微信) group robot: the webhook with its key.
DAIBAN_WECOM_WEBHOOK = os.environ.get("DAIBAN_WECOM_WEBHOOK", "")
# A message a channel keeps refusing is given up after this many tries (1, 5, 30, 120
# minutes apart, then every 120 minutes).
DAIBAN_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("DAIBAN_NOTIFY_MAX_ATTEMPTS", "5"))
DAIBAN_NOTIFY_TIMEOUT_SECONDS = 10
# National IDs one user may check against the registry per day (registering, editing,
# importing; the same ID again is free, city administrators are not counted): bounds
# anyone who would use the duplicate check to find out who is registered.
DAIBAN_ID_CHECKS_PER_DAY = int(os.environ.get("DAIBAN_ID_CHECKS_PER_DAY", "50"))
# Public order form (线上点单): at most this many orders per phone and address per day, per
# address per hour and per service point per hour; a page of the form is good for this long.
DAIBAN_ORDER_LIMIT_PER_PHONE_PER_DAY = 3
DAIBAN_ORDER_LIMIT_PER_ADDRESS_PER_HOUR = 10
DAIBAN_ORDER_LIMIT_PER_POINT_PER_HOUR = int(os.environ.get("DAIBAN_ORDER_LIMIT_PER_POINT_PER_HOUR", "30"))
DAIBAN_ORDER_FORM_SECONDS = 2 * 60 * 60
# The worker's Today list kept on the phone for offline use is deleted after this many
# days without a refresh (and at logout); unsent visits in the outbox are never deleted.
# Eight: a week without signal counted from the last refresh, which may have been the
# morning of the day the worker left, still has its list on the seventh evening. A lost
# phone shows the list (names, masked IDs, addresses of one grid) for at most as long;
# deactivating the user stops its sync, not the list (README).
DAIBAN_OFFLINE_DAYS = int(os.environ.get("DAIBAN_OFFLINE_DAYS", "8"))
# A joint branch's paired point with no activity held there for this many days is flagged
# "neglected" on the branch's screens (and in its API).
DAIBAN_BRANCH_NEGLECT_DAYS = int(os.environ.get("DAIBAN_BRANCH_NEGLECT_DAYS", "90"))


# Coverage map and figures (outreach.reporting.coverage): the colour bands of the share of
# residents visited on time, given by their lower bounds in whole percent, e.g. 95,90,80,70,50
# → six bands: 95 % or more, 90–95, 80–90, 70–80, 50–70, below 50 (an area without
# residents is grey). 4 to 10 bounds, so a map always has at least five colours.
def _coverage_bands() -> tuple[float, ...]:
    message = "DAIBAN_COVERAGE_BANDS: 4 to 10 whole percentages from 1 to 100, e.g. 95,90,80,70,50."
    try:
        bounds = sorted({int(b) for b in env_list("DAIBAN_COVERAGE_BANDS", "95,90,80,70,50")}, reverse=True)
    except ValueError:
        raise ImproperlyConfigured(message) from None
    if not 4 <= len(bounds) <= 10 or not all(1 <= b <= 100 for b in bounds):
        raise ImproperlyConfigured(message)
    return tuple(b / 100 for b in bounds)


DAIBAN_COVERAGE_BANDS = _coverage_bands()
# The map draws at most this many missed residents or overdue errands at once (most
# overdue first); the list beside it pages through all of them.
DAIBAN_COVERAGE_MAP_LIMIT = 500

# Retention of personal data (PIPL), in days; ``manage.py purge_expired`` (daily) deletes
# what is older. A roster upload never imported still holds the file's plain IDs (sealed);
# a rejected online order a stranger's name and phone; read notifications name residents.
# The audit log is kept three years, as PIPL asks of records of processing (art. 56).
DAIBAN_RETAIN_ROSTER_UPLOADS_DAYS = int(os.environ.get("DAIBAN_RETAIN_ROSTER_UPLOADS_DAYS", "2"))
DAIBAN_RETAIN_REJECTED_ORDERS_DAYS = int(os.environ.get("DAIBAN_RETAIN_REJECTED_ORDERS_DAYS", "30"))
DAIBAN_RETAIN_READ_NOTIFICATIONS_DAYS = int(os.environ.get("DAIBAN_RETAIN_READ_NOTIFICATIONS_DAYS", "90"))
DAIBAN_RETAIN_AUDIT_DAYS = int(os.environ.get("DAIBAN_RETAIN_AUDIT_DAYS", str(3 * 365)))
# The day's national-ID checks (digests) count only that day; spent order-form tokens
# only until they expire (2 hours).
DAIBAN_RETAIN_NATIONAL_ID_CHECKS_DAYS = int(os.environ.get("DAIBAN_RETAIN_NATIONAL_ID_CHECKS_DAYS", "2"))
DAIBAN_RETAIN_ORDER_FORM_TOKENS_DAYS = int(os.environ.get("DAIBAN_RETAIN_ORDER_FORM_TOKENS_DAYS", "1"))
# Tries on the public progress page (code, address, found): the guessing limits need an
# hour of them; kept longer to look into abuse.
# The log of SMS and robot messages (numbers, texts) once sent or given up.
DAIBAN_RETAIN_DELIVERIES_DAYS = int(os.environ.get("DAIBAN_RETAIN_DELIVERIES_DAYS", "90"))
DAIBAN_RETAIN_PROGRESS_LOOKUPS_DAYS = int(os.environ.get("DAIBAN_RETAIN_PROGRESS_LOOKUPS_DAYS", "30"))
# Finished background jobs and their files (an export lists residents) are deleted after
# this many days, with the queue's finished task rows and the periodic runs' record.
DAIBAN_RETAIN_JOBS_DAYS = int(os.environ.get("DAIBAN_RETAIN_JOBS_DAYS", "7"))

# --- Background jobs (outreach.jobs) ----------------------------------------------------
# A running job writes its progress as it goes (at most once a second); one silent for
# this long lost its worker and is queued again (its longest silent step, writing a
# 95,525-row XLSX, takes about 27 s). Any other task running this long is presumed dead too.
DAIBAN_JOB_STALL_SECONDS = int(os.environ.get("DAIBAN_JOB_STALL_SECONDS", "120"))
DAIBAN_TASK_STALL_MINUTES = int(os.environ.get("DAIBAN_TASK_STALL_MINUTES", "30"))
# How many times a job or task is run before it is left failed.
DAIBAN_JOB_ATTEMPTS = int(os.environ.get("DAIBAN_JOB_ATTEMPTS", "3"))


def _periodic_times() -> dict[str, time]:
    """DAIBAN_PERIODIC_TIMES: when each periodic task is queued, local time, e.g.
    ``overdue_notices=07:30,coverage_days=01:30,tally_check=02:30,retention_purge=03:30``
    (any subset)."""
    times = {
        "overdue_notices": time(7, 30),
        "coverage_days": time(1, 30),
        "tally_check": time(2, 30),
        "retention_purge": time(3, 30),
    }
    for item in env_list("DAIBAN_PERIODIC_TIMES"):
        name, _sep, value = item.partition("=")
        try:
            if name.strip() not in times:
                raise ValueError
            times[name.strip()] = time.fromisoformat(value.strip())
        except ValueError:
            raise ImproperlyConfigured(
                f"DAIBAN_PERIODIC_TIMES: {item!r} is not one of {', '.join(times)} with a time, e.g. overdue_notices=07:30."
            ) from None
    return times


DAIBAN_PERIODIC_TIMES = _periodic_times()

# How many past days the nightly run keeps written in CoverageDay (yesterday back): a
# past period ending within them is read from those rows, an older one from the visit
# history. 400: this month last year still reads the rows.
DAIBAN_COVERAGE_DAYS = int(os.environ.get("DAIBAN_COVERAGE_DAYS", "400"))
