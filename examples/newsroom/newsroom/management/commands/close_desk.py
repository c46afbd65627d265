"""``python manage.py close_desk <desk>``: end every subscription to a desk."""

# --8<-- [start:command]
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from newsroom.signals import desk_group
from strawberry_channels import unsubscribe_sync


class Command(BaseCommand):
    help = "End every subscription to a desk, in every server process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("desk")

    def handle(self, *args: Any, desk: str, **options: Any) -> None:
        unsubscribe_sync(desk_group(desk))
        self.stdout.write(f"closed {desk}")


# --8<-- [end:command]
