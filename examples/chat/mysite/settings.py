"""Settings of the chat example.

One process works out of the box with the in-memory channel layer. Set
``REDIS_URL`` (for example ``redis://127.0.0.1:6379/0``) to share a Redis
channel layer between several server processes, or ``AMQP_URL`` (for example
``amqp://guest:guest@127.0.0.1:5672``) to share a RabbitMQ one.
"""

# --8<-- [start:imports]
import os
from pathlib import Path

# --8<-- [end:imports]

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "chat-example-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# --8<-- [start:installed-apps]
INSTALLED_APPS = [
    # First, so that `manage.py runserver` serves the ASGI application.
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "chat",
]

ASGI_APPLICATION = "mysite.asgi.application"
# --8<-- [end:installed-apps]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("CHAT_DATABASE") or BASE_DIR / "db.sqlite3",
    }
}

# --8<-- [start:channel-layers]
REDIS_URL = os.environ.get("REDIS_URL")
AMQP_URL = os.environ.get("AMQP_URL")

if REDIS_URL:
    # Shared by every process that points at the same Redis.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
elif AMQP_URL:
    # Shared by every process that points at the same RabbitMQ
    # (for example amqp://guest:guest@127.0.0.1:5672).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_rabbitmq.core.RabbitmqChannelLayer",
            "CONFIG": {"host": AMQP_URL},
        }
    }
else:
    # Good for one process: messages never leave it.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# --8<-- [end:channel-layers]

STATIC_URL = "static/"
TIME_ZONE = "UTC"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
