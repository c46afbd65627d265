"""Subscribe to a desk; save articles; end a desk's subscriptions."""

# --8<-- [start:subscription]
from collections.abc import AsyncGenerator

import strawberry
from channels.db import database_sync_to_async

from newsroom.models import Article
from newsroom.signals import desk_group
from strawberry_channels import unsubscribe


@strawberry.type
class ArticleEvent:
    id: int
    title: str
    created: bool


@strawberry.type
class Query:
    @strawberry.field
    def article_count(self) -> int:
        return Article.objects.count()


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def save_article(self, title: str, desk: str = "news") -> int:
        """Create an article: the post_save signal broadcasts it."""
        article = await database_sync_to_async(Article.objects.create)(title=title, desk=desk)
        return article.pk


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def article_saved(
        self, info: strawberry.Info, desk: str = "news"
    ) -> AsyncGenerator[ArticleEvent, None]:
        """Every article saved on ``desk``, until the desk is closed."""
        ws = info.context["ws"]
        async with ws.listen_to_channel("article.saved", groups=[desk_group(desk)]) as events:
            async for event in events:
                yield ArticleEvent(id=event["id"], title=event["title"], created=event["created"])
        # unsubscribe(desk_group(desk)) ended the loop: the subscription
        # completes normally.


# --8<-- [end:subscription]


# --8<-- [start:close-desk]
async def close_desk(desk: str) -> None:
    """End every subscription to ``desk``, in every process (server code only)."""
    await unsubscribe(desk_group(desk))


# --8<-- [end:close-desk]


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
