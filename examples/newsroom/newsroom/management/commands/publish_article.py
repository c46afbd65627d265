"""``python manage.py publish_article <title> [--desk D]``: save an article from a command."""

# --8<-- [start:command]
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from newsroom.models import Article


class Command(BaseCommand):
    help = "Save an article; its post_save signal broadcasts it to the desk's subscribers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("title")
        parser.add_argument("--desk", default="news")

    def handle(self, *args: Any, title: str, desk: str, **options: Any) -> None:
        article = Article.objects.create(title=title, desk=desk)
        self.stdout.write(f"saved {article.pk}")


# --8<-- [end:command]
