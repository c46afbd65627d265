"""Views of the chat app: plain Django, rendered by templates."""

# --8<-- [start:views]
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    """Ask for a room name, then go to that room's page."""
    return render(request, "chat/index.html")


def room(request: HttpRequest, room_name: str) -> HttpResponse:
    """A room: a log of messages and a form that posts to the room's WebSocket."""
    return render(request, "chat/room.html", {"room_name": room_name})


# --8<-- [end:views]
