"""The ``sendChatMessage`` mutation: post a message to a room through the channel layer."""

# --8<-- [start:mutation]
import strawberry
from channels.layers import get_channel_layer

from gqlchat.types import ChatRoom


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def send_chat_message(
        self,
        info: strawberry.Info,
        room: ChatRoom,
        message: str,
    ) -> None:
        channel_layer = get_channel_layer()
        await channel_layer.group_send(
            f"chat_{room.room_name}",
            {
                "type": "chat.message",
                "room_id": f"chat_{room.room_name}",
                "message": message,
            },
        )


# --8<-- [end:mutation]
