"""WebSocket routes of the chat app, mounted by the ASGI application."""

# --8<-- [start:routing]
from django.urls import re_path

from chat import consumers

websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<room_name>[-a-zA-Z0-9_]{1,64})/$", consumers.ChatConsumer.as_asgi()),
]
# --8<-- [end:routing]
