"""The GraphQL types of the chat: a room to join and a message received in it."""

# --8<-- [start:types]
import strawberry


@strawberry.input
class ChatRoom:
    room_name: str


@strawberry.type
class ChatRoomMessage:
    room_name: str
    current_user: str
    message: str


# --8<-- [end:types]
