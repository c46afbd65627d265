"""The chat schema served at /graphql."""

# --8<-- [start:schema]
import os

import strawberry

from gqlchat.mutation import Mutation
from gqlchat.subscription import Subscription


@strawberry.type
class Query:
    @strawberry.field
    def process_id(self) -> int:
        """The id of the server process that answered: tells instances apart."""
        return os.getpid()


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
# --8<-- [end:schema]
