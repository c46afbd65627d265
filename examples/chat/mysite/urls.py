"""HTTP routes served by Django: the chat pages (GraphQL is routed in asgi.py)."""

# --8<-- [start:urls]
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/chat/", permanent=False)),
    path("chat/", include("chat.urls")),
]
# --8<-- [end:urls]
