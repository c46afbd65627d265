"""The room page's own WebSocket consumer, from the Channels tutorial.

The one change for GraphQL: every message sent to the room group carries a
``room_id``, the group name, so that the ``joinChatRooms`` subscription can
tell which room a message belongs to.
"""

# --8<-- [start:consumer]
import json
import os
import threading
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer


class ChatConsumer(AsyncWebsocketConsumer):
    """Relays what one browser posts to everyone in the room, GraphQL subscribers included."""

    room_group_name: str

    async def connect(self) -> None:
        room_name = self.scope["url_route"]["kwargs"]["room_name"]
        self.room_group_name = f"chat_{room_name}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = parse_message(text_data)
        if message is None:
            return  # not {"message": "<text>"}: nothing to relay
        await self.channel_layer.group_send(
            self.room_group_name,
            {
                "type": "chat.message",
                "room_id": self.room_group_name,  # what joinChatRooms filters on
                "message": f"process: {os.getpid()} thread: {threading.current_thread().name}"
                f" -> {message}",
            },
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        """A message for the room, from this page, another page or a GraphQL client."""
        await self.send(text_data=json.dumps({"message": event["message"]}))


def parse_message(text_data: str | None) -> str | None:
    """The text of a ``{"message": "..."}`` frame, or None for anything else."""
    if text_data is None:
        return None
    try:
        data = json.loads(text_data)
    except ValueError:
        return None
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) and message else None


# --8<-- [end:consumer]
