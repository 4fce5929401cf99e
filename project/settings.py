"""Avatar Studio settings: one module, driven by the environment.

With no environment at all the app runs on SQLite, local media files and the sandbox
provider, so one can check out the code and run it.
"""

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def secret(name: str, default: str = "") -> str:
    """Read a secret from NAME, or from the file that NAME_FILE points at."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc}") from None
    return os.environ.get(name, default)


def generated_secret(path: Path) -> str:
    """A random secret kept in `path`, made the first time any process asks: every process
    sharing the folder reads the same one. Linked into place whole, so no reader ever sees a
    half-written file."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    draft.write_text(secrets.token_urlsafe(32))
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: theirs is the one
    finally:
        draft.unlink()
    return path.read_text().strip()


DEBUG = envbool("DEBUG", True)
DEV_SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = secret("SECRET_KEY", DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: use at least 50 random characters, e.g. from "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL]

# Production runs behind a TLS-terminating proxy (docs/deploy.md); all of this is on
# whenever DEBUG is off, so that `manage.py check --deploy` has nothing to say.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Health probes and Prometheus scrapes come from inside the network, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz", r"^readyz$", r"^metrics$"]
# The header the proxy sets to say the client spoke HTTPS, e.g. X-Forwarded-Proto. Only set
# it when a proxy that overwrites that header is the only way in.
if _proxy_header := env("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

INSTALLED_APPS = [
    "django_dramatiq",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The API's offline docs page (its Swagger UI files).
    "ninja",
    "avatars",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "avatars.observability.context.JobContextMiddleware",
    "avatars.api.ratelimit.AllowanceHeaders",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

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
                "avatars.context_processors.notifications",
                "avatars.context_processors.studio_nav",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let the in-process worker write beside the web
    # threads without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not shared memory, so worker threads in tests see the same database safely;
    # one per test run, so that two runs never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"avatar-studio-test-{os.getpid()}.sqlite3")
    }
else:
    # One test database per run, so that two runs against one server never share it.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "/admin/login/"
# Failed logins lock out a user name, or an address, for a while (avatars/login_limit.py).
LOGIN_FAILURES_PER_USER = envint("LOGIN_FAILURES_PER_USER", 5)
LOGIN_FAILURES_PER_ADDRESS = envint("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Requests each API key may make per minute (avatars/api/ratelimit.py).
API_REQUESTS_PER_MINUTE = envint("API_REQUESTS_PER_MINUTE", 600)
# The waits between tries of an outgoing webhook (avatars/outgoing/delivery.py): 8 tries.
WEBHOOK_RETRY_SECONDS = [5, 30, 120, 600, 1800, 3600, 3 * 3600]

# Shared by every process when CACHE_URL (or REDIS_URL) names a Redis server; the login
# limiter counts there, so with several web processes it must be shared.
CACHE_URL = env("CACHE_URL") or env("REDIS_URL")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "avatar-studio",
        }
    }
elif not CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # Not echoed: the URL may carry the cache server's password.
    raise ImproperlyConfigured("CACHE_URL must start with redis:// or rediss://")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Media is private: it is only ever served through signed, expiring URLs.
MEDIA_STORAGE = env("MEDIA_STORAGE", "local")
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
MEDIA_URL_MAX_AGE = envint("MEDIA_URL_MAX_AGE", 3600)


def s3_media_storage(url_max_age: int) -> dict[str, Any]:
    """django-storages' S3 backend from the AWS_* variables: private objects under keys that
    are never overwritten, reached only through presigned links."""
    from boto3.s3.transfer import TransferConfig

    # Uploads read each part (8 MB) into memory before sending it, by default up to ten at
    # once; fewer bound a worker's memory while it stores a result, however big the result.
    parts = envint("AWS_S3_UPLOAD_PARTS_IN_MEMORY", 4)
    transfer = TransferConfig(max_concurrency=parts)
    transfer.max_in_memory_upload_chunks = parts
    options = {
        "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
        # Unset, boto3 reads AWS_DEFAULT_REGION and then assumes us-east-1.
        "region_name": env("AWS_S3_REGION_NAME") or None,
        "access_key": secret("AWS_ACCESS_KEY_ID"),
        "secret_key": secret("AWS_SECRET_ACCESS_KEY"),
        # Private: the bucket's own (private) ACL, never public-read.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": url_max_age,
        # Signature V2 links carry no lifetime and are refused by newer AWS regions.
        "signature_version": env("AWS_S3_SIGNATURE_VERSION", "s3v4"),
        # "path" for servers without per-bucket host names (MinIO, moto); unset, boto3 picks.
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,
        "file_overwrite": False,
        "transfer_config": transfer,
    }
    if not options["bucket_name"]:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


if MEDIA_STORAGE == "local":
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
elif MEDIA_STORAGE == "s3":
    _media_storage = s3_media_storage(MEDIA_URL_MAX_AGE)
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}")

STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads are untrusted: these caps are checked before anything is decoded or stored.
AVATAR_MAX_UPLOAD_BYTES = envint("AVATAR_MAX_UPLOAD_BYTES", 15_000_000)
AVATAR_MAX_PIXELS = envint("AVATAR_MAX_PIXELS", 40_000_000)
AVATAR_MIN_SIDE = envint("AVATAR_MIN_SIDE", 256)
AVATAR_NORMALISED_LONG_SIDE = envint("AVATAR_NORMALISED_LONG_SIDE", 2048)
AVATAR_THUMBNAIL_LONG_SIDE = envint("AVATAR_THUMBNAIL_LONG_SIDE", 320)
AUDIO_MAX_UPLOAD_BYTES = envint("AUDIO_MAX_UPLOAD_BYTES", 60_000_000)
AUDIO_MAX_SECONDS = envint("AUDIO_MAX_SECONDS", 300)
AUDIO_MIN_SECONDS = float(env("AUDIO_MIN_SECONDS", "0.5"))
SCRIPT_MAX_CHARS = envint("SCRIPT_MAX_CHARS", 5000)
# Speech previews one person may ask for per minute: each keeps the sandbox's engine busy.
SPEECH_PREVIEWS_PER_MINUTE = envint("SPEECH_PREVIEWS_PER_MINUTE", 30)
CONSENT_EXPIRY_WARNING_DAYS = envint("CONSENT_EXPIRY_WARNING_DAYS", 30)
CONSENT_DOCUMENT_MAX_BYTES = envint("CONSENT_DOCUMENT_MAX_BYTES", 10_000_000)
# Campaigns: the uploaded list of people, and what one row may hold.
CAMPAIGN_MAX_UPLOAD_BYTES = envint("CAMPAIGN_MAX_UPLOAD_BYTES", 20_000_000)
CAMPAIGN_MAX_ROWS = envint("CAMPAIGN_MAX_ROWS", 20_000)
CAMPAIGN_VALUE_MAX_CHARS = envint("CAMPAIGN_VALUE_MAX_CHARS", 200)
# Rows a sample renders unless told otherwise, and how long each person's link lasts.
CAMPAIGN_SAMPLE_ROWS = envint("CAMPAIGN_SAMPLE_ROWS", 3)
CAMPAIGN_SHARE_DAYS = envint("CAMPAIGN_SHARE_DAYS", 30)

# Rendering: the queue, the providers and the result store.
BROKER_URL = env("BROKER_URL")
EMBEDDED_WORKER_THREADS = envint("EMBEDDED_WORKER_THREADS", 4)
_DRAMATIQ_MIDDLEWARE = [
    # First, so that the job id is in context for every other middleware's log lines.
    "avatars.observability.context.JobContext",
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Retries",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    "avatars.observability.heartbeat.Heartbeat",
]
if BROKER_URL.startswith(("redis://", "rediss://")):
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        "OPTIONS": {"url": BROKER_URL},
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
elif BROKER_URL.startswith(("amqp://", "amqps://")):
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.rabbitmq.RabbitmqBroker",
        "OPTIONS": {"url": BROKER_URL},
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
elif not BROKER_URL:
    # No broker: messages stay in this process and an embedded worker consumes them.
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
else:
    raise ImproperlyConfigured(
        f"BROKER_URL must start with redis:// or amqp://, not {BROKER_URL!r}"
    )
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

DEFAULT_PROVIDER = env("DEFAULT_PROVIDER", "sandbox")
CRUN_API_KEY = secret("CRUN_API_KEY")
CRUN_BASE_URL = env("CRUN_BASE_URL", "https://api.crun.ai")
LUMENFALL_API_KEY = secret("LUMENFALL_API_KEY")
LUMENFALL_BASE_URL = env("LUMENFALL_BASE_URL", "https://api.lumenfall.ai/v1")
LUMENFALL_WEBHOOK_SECRET = secret("LUMENFALL_WEBHOOK_SECRET")
REPLICATE_API_TOKEN = secret("REPLICATE_API_TOKEN")
REPLICATE_BASE_URL = env("REPLICATE_BASE_URL", "https://api.replicate.com/v1")
REPLICATE_WEBHOOK_SECRET = secret("REPLICATE_WEBHOOK_SECRET")
# The offline draft provider, served by this app at /sandbox/; it needs the [sandbox] extra.
SANDBOX_ENABLED = envbool("SANDBOX_ENABLED", DEBUG)
SANDBOX_BASE_URL = env("SANDBOX_BASE_URL", f"{PUBLIC_BASE_URL}/sandbox").rstrip("/")
SANDBOX_ROOT = Path(env("SANDBOX_ROOT", str(BASE_DIR / "sandbox-results")))
# Its API key. Unset, it is derived from SECRET_KEY (the same in every web and worker process
# of one deployment, different in every other, as hard to guess as SECRET_KEY itself); on a
# development checkout without a SECRET_KEY of its own, generated at first start and kept
# beside the checkout, since the development SECRET_KEY is no secret.
SANDBOX_API_KEY = secret("SANDBOX_API_KEY") or (
    generated_secret(BASE_DIR / ".sandbox-api-key")
    if SECRET_KEY == DEV_SECRET_KEY
    else hmac.new(SECRET_KEY.encode(), b"avatar-studio sandbox api key", hashlib.sha256).hexdigest()
)

# US dollars per output second, by provider and resolution; "default" is the public list price.
_LIST_PRICE = {"720p": "0.025", "1080p": "0.045"}
PROVIDER_PRICES = {
    "default": _LIST_PRICE,
    **json.loads(env("PROVIDER_PRICES_JSON", "{}")),
}

# Requests per provider API, counted across every worker (avatars/providers/ratelimit.py):
# requests per second, or {"requests": n, "seconds": s}; a provider not named has no limit.
# Replicate documents 600 creates a minute; Crun and Lumenfall document none, so a cautious
# 10 a second (a render takes minutes, so that still polls hundreds of jobs in flight).
PROVIDER_RATE_LIMITS = {
    "crun": 10,
    "lumenfall": 10,
    "replicate": {"requests": 600, "seconds": 60},
    **json.loads(env("PROVIDER_RATE_LIMITS_JSON", "{}")),
}
# How long a request waits for a slot before its job is tried again later.
PROVIDER_RATE_LIMIT_WAIT_SECONDS = float(env("PROVIDER_RATE_LIMIT_WAIT_SECONDS", "2"))
# Requests reach the provider with differing delays after they leave the limiter: this much
# slack keeps them under the limit when the provider counts them.
PROVIDER_RATE_LIMIT_MARGIN_SECONDS = float(env("PROVIDER_RATE_LIMIT_MARGIN_SECONDS", "0.25"))

FETCH_ALLOW_PRIVATE = envbool("FETCH_ALLOW_PRIVATE", DEBUG)
RESULT_MAX_BYTES = envint("RESULT_MAX_BYTES", 2_000_000_000)
# Downloads land here before they are stored; the reconcile sweep removes what a killed
# worker left behind.
RESULT_SCRATCH_DIR = Path(
    env("RESULT_SCRATCH_DIR", str(Path(tempfile.gettempdir()) / "avatar-studio-downloads"))
)
CALLBACK_MAX_BYTES = envint("CALLBACK_MAX_BYTES", 256_000)
# Providers may queue a render for a while before they fetch its inputs.
INPUT_URL_MAX_AGE = envint("INPUT_URL_MAX_AGE", 6 * 3600)
RENDER_DEADLINE_SECONDS = envint("RENDER_DEADLINE_SECONDS", 30 * 60)
POLL_FIRST_SECONDS = float(env("POLL_FIRST_SECONDS", "3"))
POLL_MAX_SECONDS = float(env("POLL_MAX_SECONDS", "60"))
SUBMIT_MAX_ATTEMPTS = envint("SUBMIT_MAX_ATTEMPTS", 6)
STORE_MAX_ATTEMPTS = envint("STORE_MAX_ATTEMPTS", 5)
# After a submit that got no answer, wait this long for a callback before submitting again.
SUBMIT_UNANSWERED_GRACE_SECONDS = envint("SUBMIT_UNANSWERED_GRACE_SECONDS", 300)
RECONCILE_EVERY_SECONDS = envint("RECONCILE_EVERY_SECONDS", 60)

# Operations: health, metrics and logs (docs/deploy.md).
WORKER_HEARTBEAT_SECONDS = float(env("WORKER_HEARTBEAT_SECONDS", "10"))
# /healthz/workers fails when a queue has had no worker beat for this long.
WORKER_STALE_SECONDS = float(env("WORKER_STALE_SECONDS", "60"))
# Without it /metrics is open with DEBUG on and closed with DEBUG off.
METRICS_TOKEN = secret("METRICS_TOKEN")
METRICS_WINDOW_SECONDS = envint("METRICS_WINDOW_SECONDS", 300)
LOG_FORMAT = env("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "avatars.observability.logs.JsonFormatter"},
    },
    "filters": {"job_id": {"()": "avatars.observability.logs.JobIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["job_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # runserver already says this on its own.
    "loggers": {
        "django.utils.autoreload": {"level": "WARNING"},
        # httpx logs every URL at INFO, and signed media links must not reach logs.
        "httpx": {"level": "WARNING"},
        # httpcore's DEBUG lines carry every header, a provider's echo of our key included.
        "httpcore": {"level": "WARNING"},
    },
}
