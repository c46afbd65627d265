"""Django settings shared by every contender's server process.

The channel layer comes from ``BENCH_LAYER`` (``memory``, ``redis``, ``redis-pubsub`` or
``rabbitmq``),
so all three contenders always run on the same layer with the same options.
"""

from __future__ import annotations

import os

import django
from django.conf import settings

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
# Room for a whole burst: the in-memory layer drops on ChannelFull, and loss must be zero.
CAPACITY = int(os.environ.get("BENCH_CAPACITY", "20000"))

LAYERS = {
    "memory": {
        "BACKEND": "channels.layers.InMemoryChannelLayer",
        "CONFIG": {"capacity": CAPACITY},
    },
    "redis": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "capacity": CAPACITY, "prefix": "bench"},
    },
    "redis-pubsub": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "bench"},
    },
    "rabbitmq": {
        "BACKEND": "channels_rabbitmq.core.RabbitmqChannelLayer",
        "CONFIG": {"host": AMQP_URL, "local_capacity": CAPACITY, "remote_capacity": CAPACITY},
    },
}


def configure(layer: str) -> None:
    """Configure Django once for a benchmark process (a typical project: one SQLite DB)."""
    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="strawberry-channels-benchmarks",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CHANNEL_LAYERS={"default": LAYERS[layer]},
        USE_TZ=True,
        LOGGING_CONFIG=None,
    )
    django.setup()
