"""Settings of the ws_auth example: no database, one shared password."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "ws-auth-example-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["daphne", "django.contrib.contenttypes", "django.contrib.auth"]
ASGI_APPLICATION = "wsauth.asgi.application"
DATABASES: dict[str, dict[str, str]] = {}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
USE_TZ = True

# What WebSocket clients must send as `password` in their connection params.
GRAPHQL_WS_PASSWORD = os.environ.get("GRAPHQL_WS_PASSWORD", "secret")
