"""Settings of the http_options example: no database; Redis when REDIS_URL is set."""

# --8<-- [start:imports]
import os

# --8<-- [end:imports]
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "http-options-example-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["daphne", "django.contrib.contenttypes", "django.contrib.auth"]
ASGI_APPLICATION = "httpoptions.asgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

# --8<-- [start:channel-layers]
if redis_url := os.environ.get("REDIS_URL"):
    # Every server process sharing this Redis sees every group message.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
else:
    # One process only: fine for development and tests.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# --8<-- [end:channel-layers]
