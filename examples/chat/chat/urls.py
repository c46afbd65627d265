"""Pages of the chat app: the room picker and one page per room."""

# --8<-- [start:urls]
from django.urls import path, re_path

from chat import views

urlpatterns = [
    path("", views.index, name="index"),
    # Room names become channel-layer group names: ASCII letters, digits, - and _.
    re_path(r"^(?P<room_name>[-a-zA-Z0-9_]{1,64})/$", views.room, name="room"),
]
# --8<-- [end:urls]
