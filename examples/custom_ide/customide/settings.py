"""Settings of the custom_ide example: templates on, no database."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "custom-ide-example-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["daphne", "django.contrib.contenttypes", "django.contrib.auth", "customide"]
ASGI_APPLICATION = "customide.asgi.application"
DATABASES: dict[str, dict[str, str]] = {}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
USE_TZ = True
