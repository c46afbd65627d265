"""A second endpoint whose resolvers use the Django ORM directly, served synchronously."""

# --8<-- [start:sync-schema]
from __future__ import annotations

import strawberry
from django.contrib.auth.models import User


@strawberry.type
class Member:
    username: str
    is_staff: bool


@strawberry.type
class Query:
    @strawberry.field
    def members(self) -> list[Member]:
        # A plain ORM query: SyncGraphQLHTTPConsumer runs resolvers in a worker thread.
        users = User.objects.filter(is_active=True).order_by("username")
        return [Member(username=user.username, is_staff=user.is_staff) for user in users]


sync_schema = strawberry.Schema(query=Query)
# --8<-- [end:sync-schema]
