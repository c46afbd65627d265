"""Settings of the ticker example.

The in-memory layer serves one process; set ``REDIS_URL`` (for example
``redis://127.0.0.1:6379/0``) to run several server processes.
"""

# --8<-- [start:imports]
import os

# --8<-- [end:imports]

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "ticker-example-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["daphne"]
ASGI_APPLICATION = "ticker.asgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

# --8<-- [start:channel-layers]
# A ticker publishes in bursts: a channel holds up to 1,000 unread ticks
# (the layers' default is 100) before the layer drops new ones.
REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": os.environ.get("REDIS_PREFIX", "asgi"),
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "strawberry_channels.layers.LocalChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }
# --8<-- [end:channel-layers]

# --8<-- [start:logging]
# Why an operation runs unshared: one debug line per refused operation.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "strawberry_channels.shared": {"handlers": ["console"], "level": "DEBUG"},
    },
}
# --8<-- [end:logging]
