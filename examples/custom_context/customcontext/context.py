"""Context objects handed to resolvers as ``info.context``, one per transport."""

# --8<-- [start:scope-helpers]
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase

from strawberry_channels import ChannelsConsumer, ChannelsRequest, TemporalResponse


def user_from_scope(scope: dict[str, Any]) -> AbstractBaseUser | AnonymousUser:
    """The user Channels' AuthMiddlewareStack put in the scope, or an anonymous one."""
    return scope.get("user") or AnonymousUser()


def session_from_scope(scope: dict[str, Any]) -> SessionBase | None:
    """The session SessionMiddlewareStack put in the scope, if that middleware runs."""
    return scope.get("session")


# --8<-- [end:scope-helpers]


# --8<-- [start:http-context]
@dataclass
class HTTPContext:
    request: ChannelsRequest
    response: TemporalResponse

    @property
    def user(self) -> AbstractBaseUser | AnonymousUser:
        return user_from_scope(self.request.consumer.scope)

    @property
    def session(self) -> SessionBase | None:
        return session_from_scope(self.request.consumer.scope)


# --8<-- [end:http-context]


# --8<-- [start:ws-context]
@dataclass
class WebSocketContext:
    request: ChannelsConsumer
    connection_params: dict[str, Any] | None = None

    @property
    def ws(self) -> ChannelsConsumer:
        """The consumer of this WebSocket, the name the tutorial's resolvers use."""
        return self.request

    @property
    def user(self) -> AbstractBaseUser | AnonymousUser:
        return user_from_scope(self.request.scope)

    @property
    def session(self) -> SessionBase | None:
        return session_from_scope(self.request.scope)


# --8<-- [end:ws-context]
