"""Every saved article is broadcast to its desk's subscribers."""

# --8<-- [start:post-save]
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from newsroom.models import Article
from strawberry_channels import broadcast_sync


def desk_group(desk: str) -> str:
    """The channel-layer group of one desk's subscribers."""
    return f"desk.{desk}"


@receiver(post_save, sender=Article)
def article_saved(sender: type[Article], instance: Article, created: bool, **kwargs: Any) -> None:
    # Runs in whatever process saved the article: a view, the admin, a
    # management command, a Celery task. Values must be msgpack-friendly.
    broadcast_sync(
        desk_group(instance.desk),
        {"id": instance.pk, "title": instance.title, "created": created},
        type="article.saved",
    )


# --8<-- [end:post-save]
