"""Django settings for mqlab.

Secrets and hosts come from the environment; the defaults are safe for development on one
machine: SQLite and the in-memory channel layer. Set ``MQLAB_REDIS_URL`` to use Redis
(channels-redis) when a deployment runs several daphne processes.
"""

import os
import tempfile
from pathlib import Path

from csp.constants import NONE, SELF

from mqlab.secret_key import persisted_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("DJANGO_DEBUG", False)
#: Where mqlab keeps its files: the SQLite database and, unless DJANGO_SECRET_KEY is set,
#: the secret key. MQLAB_DATA_DIR, else the folder of MQLAB_DB, else the project folder.
DATA_DIR = Path(os.environ.get("MQLAB_DATA_DIR")
                or (Path(os.environ["MQLAB_DB"]).parent if os.environ.get("MQLAB_DB")
                    else BASE_DIR))
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Development only: a fixed key is fine on a laptop, never in a deployment.
    SECRET_KEY = "mqlab-development-key-not-for-production-use-set-DJANGO_SECRET_KEY"
elif not SECRET_KEY:
    # Sessions are signed cookies: a known key would let anyone pose as a room's owner.
    SECRET_KEY = persisted_secret_key(DATA_DIR)
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]

# -- HTTPS (a deployment sets MQLAB_HTTPS=1; ``manage.py check --deploy`` is then clean) ----
HTTPS = env_bool("MQLAB_HTTPS", False)
#: The proxy in front of daphne is trusted for X-Forwarded-For and X-Forwarded-Proto.
TRUSTED_PROXY = env_bool("MQLAB_TRUSTED_PROXY", False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("MQLAB_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MQLAB_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("MQLAB_HSTS_PRELOAD", True)


def websocket_sources(hosts: list[str]) -> list[str]:
    """ws:/wss: sources for the allowed hosts, any port: older browsers (Safari before
    15.4) do not count a WebSocket to the page's own host as 'self'. CSP has no syntax for
    IPv6 literals or a bare ``*``, so those rely on 'self'."""
    names: list[str] = []
    for host in hosts:
        if "*" in host or host.startswith("["):
            continue
        names += [f"*{host}", host[1:]] if host.startswith(".") else [host]
    return [f"{scheme}://{name}:*" for name in names for scheme in ("ws", "wss")]


# -- Content-Security-Policy (django-csp): no inline script or style anywhere --------------
POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF, *websocket_sources(ALLOWED_HOSTS)],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Django's debug error pages, and django-htmx's DEBUG helper that shows them for htmx
# requests, run inline scripts (and eval): with DEBUG on the policy only reports, in the
# browser's console, so those pages work and violations still show.
CONTENT_SECURITY_POLICY = None if DEBUG else POLICY
CONTENT_SECURITY_POLICY_REPORT_ONLY = POLICY if DEBUG else None

# -- Limits ------------------------------------------------------------------------------
#: Rooms one browser (its client id) may create per hour, and one IP address.
MQLAB_ROOMS_PER_CLIENT_HOUR = env_int("MQLAB_ROOMS_PER_CLIENT_HOUR", 30)
MQLAB_ROOMS_PER_ADDRESS_HOUR = env_int("MQLAB_ROOMS_PER_ADDRESS_HOUR", 100)
#: Saved copies of one room, ever; saves by one browser, and by one IP address, per hour.
MQLAB_SAVES_PER_ROOM = env_int("MQLAB_SAVES_PER_ROOM", 20)
MQLAB_SAVES_PER_CLIENT_HOUR = env_int("MQLAB_SAVES_PER_CLIENT_HOUR", 30)
MQLAB_SAVES_PER_ADDRESS_HOUR = env_int("MQLAB_SAVES_PER_ADDRESS_HOUR", 100)
#: The largest scenario file accepted for import (the library's largest is under 4 KiB).
MQLAB_MAX_IMPORT_BYTES = env_int("MQLAB_MAX_IMPORT_BYTES", 256 * 1024)
#: Problems listed when an import fails; the rest are counted.
MQLAB_MAX_PROBLEMS = env_int("MQLAB_MAX_PROBLEMS", 50)
#: Rooms unused for this many days are deleted (``manage.py purge_rooms``, mqlab/retention.py);
#: saved scenarios neither shown nor opened for MQLAB_SAVED_RETENTION_DAYS (0: kept for ever).
MQLAB_ROOM_RETENTION_DAYS = env_int("MQLAB_ROOM_RETENTION_DAYS", 30)
MQLAB_SAVED_RETENTION_DAYS = env_int("MQLAB_SAVED_RETENTION_DAYS", 365)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "django_htmx",
    "template_partials",
    "mqlab",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so a response made by a later middleware (a bad Host's 400) has the policy too.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "mqlab.urls"
ASGI_APPLICATION = "mqlab.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("MQLAB_DB", str(DATA_DIR / "db.sqlite3")),
        # A file, not memory, so a live server in a forked process sees the test database;
        # one per test process so parallel runs never share it.
        "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"mqlab-test-{os.getpid()}.sqlite3")},
        # Rooms write their journals from worker threads while pages read: WAL lets readers
        # and one writer go on together, IMMEDIATE takes the write lock at the start of a
        # transaction (no read-to-write upgrade that fails at once), and a writer waits for
        # the lock rather than failing.
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    }
}

REDIS_URL = os.environ.get("MQLAB_REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 times reads out after 5 s, just when channels-redis's blocking pop
            # (5 s) of an idle channel returns: a longer read timeout avoids the race.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                       # A room worker's channel takes every web process's calls (200 viewers
                       # resyncing at once after a failover): more than the default 100.
                       "channel_capacity": {"mqlab-worker.*": 5000}},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
#: With Redis, daphne processes are web processes and rooms run in ``manage.py roomworker``
#: processes (``mqlab.cluster``); MQLAB_CLUSTER=0 keeps rooms in daphne (one process).
MQLAB_CLUSTER = env_bool("MQLAB_CLUSTER", bool(REDIS_URL))

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_HTTPONLY = True

STATIC_URL = "/static/"
# An installed wheel has them as the mqlab app's own (mqlab/static, mqlab/templates: setup.py).
STATICFILES_DIRS = [folder for folder in [BASE_DIR / "static"] if folder.is_dir()]
STATIC_ROOT = BASE_DIR / "staticfiles"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # With DEBUG off Django says nothing about a 500 unless told to.
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR"},
        "mqlab": {"handlers": ["console"], "level": "INFO"},
    },
}

# Rooms (mqlab/rooms.py): a room nobody has watched for this long is saved and freed.
MQLAB_ROOM_IDLE_SECONDS = float(os.environ.get("MQLAB_ROOM_IDLE_SECONDS", "300"))
#: Events kept per room for the message inspector.
MQLAB_HISTORY_EVENTS = 20000
#: Events animated per frame; the rest are counted in "dropped_events" (patches stay exact).
MQLAB_MAX_EVENTS_PER_FRAME = 500
#: Wall seconds of engine work a room may do in one frame or command; a room whose clock
#: needs more runs slower ("this room is overloaded: running at 0.3x") instead.
MQLAB_ROOM_WORK_BUDGET_SECONDS = float(os.environ.get("MQLAB_ROOM_WORK_BUDGET_SECONDS", "0.03"))
#: One room's share of a core on average, and the burst it may spend at once (CPU seconds):
#: past it the room runs slower and its commands wait ("busy").
MQLAB_ROOM_CPU_SHARE = float(os.environ.get("MQLAB_ROOM_CPU_SHARE", "0.15"))
MQLAB_ROOM_CPU_BURST_SECONDS = float(os.environ.get("MQLAB_ROOM_CPU_BURST_SECONDS", "0.25"))
#: Worker threads that run rooms' work off the event loop (one job at a time per room).
MQLAB_ROOM_THREADS = int(os.environ.get("MQLAB_ROOM_THREADS", "8"))
#: Frames one socket may send per second (a token bucket), and the burst it may save up.
MQLAB_SOCKET_FRAMES_PER_SECOND = float(os.environ.get("MQLAB_SOCKET_FRAMES_PER_SECOND", "20"))
MQLAB_SOCKET_FRAMES_BURST = float(os.environ.get("MQLAB_SOCKET_FRAMES_BURST", "40"))
#: The largest request body a room's SQS endpoint reads (SQS's own cap is a 1 MiB message).
MQLAB_SQS_MAX_BODY = env_int("MQLAB_SQS_MAX_BODY", 1024 * 1024 + 64 * 1024)
#: Real AMQP 0-9-1 clients (mqlab.amqp): the listener's port (0: no listener) and address,
#: and its bounds: connections per room and in all, channels per connection, the largest
#: frame, methods a connection may send per second (beyond it, reading pauses), heartbeat.
MQLAB_AMQP_PORT = env_int("MQLAB_AMQP_PORT", 5672)
MQLAB_AMQP_BIND = os.environ.get("MQLAB_AMQP_BIND", "0.0.0.0")
MQLAB_AMQP_CONNECTIONS_PER_ROOM = env_int("MQLAB_AMQP_CONNECTIONS_PER_ROOM", 20)
MQLAB_AMQP_MAX_CONNECTIONS = env_int("MQLAB_AMQP_MAX_CONNECTIONS", 500)
MQLAB_AMQP_CHANNEL_MAX = env_int("MQLAB_AMQP_CHANNEL_MAX", 64)
MQLAB_AMQP_FRAME_MAX = env_int("MQLAB_AMQP_FRAME_MAX", 131072)
MQLAB_AMQP_METHODS_PER_SECOND = float(os.environ.get("MQLAB_AMQP_METHODS_PER_SECOND", "500"))
MQLAB_AMQP_HEARTBEAT = env_int("MQLAB_AMQP_HEARTBEAT", 60)
#: A request/response client (boto3 over SQS HTTP) leaves the diagram after this long quiet.
MQLAB_REAL_CLIENT_IDLE_SECONDS = float(os.environ.get("MQLAB_REAL_CLIENT_IDLE_SECONDS", "30"))
#: The host connect.json names for AMQP (default: the host the page was asked for).
MQLAB_AMQP_PUBLIC_HOST = os.environ.get("MQLAB_AMQP_PUBLIC_HOST", "")
#: Real Kafka clients (mqlab.kafka): the bootstrap port (0: no listener; the simulated brokers
#: listen on port + broker id, for brokers 1..MQLAB_KAFKA_BROKERS), its address, the host
#: Metadata and connect.json advertise (default: the address the client reached), and bounds.
MQLAB_KAFKA_PORT = env_int("MQLAB_KAFKA_PORT", 9092)
MQLAB_KAFKA_BROKERS = env_int("MQLAB_KAFKA_BROKERS", 5)
MQLAB_KAFKA_BIND = os.environ.get("MQLAB_KAFKA_BIND", "0.0.0.0")
MQLAB_KAFKA_PUBLIC_HOST = os.environ.get("MQLAB_KAFKA_PUBLIC_HOST", "")
MQLAB_KAFKA_CONNECTIONS_PER_ROOM = env_int("MQLAB_KAFKA_CONNECTIONS_PER_ROOM", 50)
MQLAB_KAFKA_MAX_CONNECTIONS = env_int("MQLAB_KAFKA_MAX_CONNECTIONS", 1000)
MQLAB_KAFKA_MAX_REQUEST_BYTES = env_int("MQLAB_KAFKA_MAX_REQUEST_BYTES", 1024 * 1024 + 64 * 1024)
MQLAB_KAFKA_REQUESTS_PER_SECOND = float(os.environ.get("MQLAB_KAFKA_REQUESTS_PER_SECOND", "200"))

# -- Room budgets -------------------------------------------------------------------------
# What one room may hold and have (engine/limits.py; docs/limits.md says what happens past
# each). Each is a setting MQLAB_<NAME> read from the environment variable of the same name;
# the defaults are engine.limits.Limits's own, so forms, scenarios and rooms share them.
from engine.limits import DEFAULTS as _ROOM_DEFAULTS  # noqa: E402


def _room(name: str) -> int:
    variable = f"MQLAB_{name.upper()}"
    raw = os.environ.get(variable)
    if raw is None:
        return int(getattr(_ROOM_DEFAULTS, name))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{variable}={raw!r}: give a whole number") from None


MQLAB_MAX_MESSAGES = _room("max_messages")
MQLAB_MAX_BYTES = _room("max_bytes")
MQLAB_MAX_HELD_PUBLISHES = _room("max_held_publishes")
MQLAB_MAX_QUEUES = _room("max_queues")
MQLAB_MAX_EXCHANGES = _room("max_exchanges")
MQLAB_MAX_BINDINGS = _room("max_bindings")
MQLAB_MAX_TOPICS = _room("max_topics")
MQLAB_MAX_PARTITIONS = _room("max_partitions")
MQLAB_MAX_PARTITIONS_PER_TOPIC = _room("max_partitions_per_topic")
MQLAB_MAX_CONSUMERS = _room("max_consumers")
MQLAB_MAX_PRODUCERS = _room("max_producers")
MQLAB_MAX_RATE = _room("max_rate")
MQLAB_MAX_TOTAL_RATE = _room("max_total_rate")
MQLAB_MAX_PUBLISH_COUNT = _room("max_publish_count")
MQLAB_MAX_BODY_BYTES = _room("max_body_bytes")
#: RabbitMQ's memory alarm goes off at this share of MQLAB_MAX_MESSAGES / MQLAB_MAX_BYTES
MQLAB_WATERMARK = float(os.environ.get("MQLAB_WATERMARK", _ROOM_DEFAULTS.watermark))
