"""No Django views: the GraphQL endpoint is routed in ``newsroom.asgi``."""

urlpatterns: list[object] = []
