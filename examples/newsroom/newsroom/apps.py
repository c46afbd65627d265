"""The app connects its signal handlers once Django is ready."""

# --8<-- [start:ready]
from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "newsroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from newsroom import signals  # noqa: F401 (connects the handlers)


# --8<-- [end:ready]
