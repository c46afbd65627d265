"""``joinChatRooms`` again, confirming with a first ``null`` result that it has started.

A variant of ``gqlchat.subscription`` with a schema of its own, ``confirming_schema``:
the subscription's type becomes ``ChatRoomMessage | None`` and it yields ``None``
as soon as it listens to the channel layer.
"""

# --8<-- [start:subscription]
import os
import threading
from collections.abc import AsyncGenerator

import strawberry

from gqlchat.mutation import Mutation
from gqlchat.schema import Query
from gqlchat.types import ChatRoom, ChatRoomMessage


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def join_chat_rooms(
        self,
        info: strawberry.Info,
        rooms: list[ChatRoom],
        user: str,
    ) -> AsyncGenerator[ChatRoomMessage | None, None]:
        """Like joinChatRooms, with a first null result once it is listening."""
        ws = info.context["ws"]
        channel_layer = ws.channel_layer

        room_ids = [f"chat_{room.room_name}" for room in rooms]

        for room in room_ids:
            # Join the room's group
            await channel_layer.group_add(room, ws.channel_name)

        for room in room_ids:
            await channel_layer.group_send(
                room,
                {
                    "type": "chat.message",
                    "room_id": room,
                    "message": f"process: {os.getpid()} thread: {threading.current_thread().name}"
                    f" -> Hello my name is {user}!",
                },
            )

        async with ws.listen_to_channel("chat.message", groups=room_ids) as cm:
            yield None  # listening: the client may now send messages
            async for message in cm:
                if message["room_id"] in room_ids:
                    yield ChatRoomMessage(
                        room_name=message["room_id"],
                        message=message["message"],
                        current_user=user,
                    )


confirming_schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
# --8<-- [end:subscription]
