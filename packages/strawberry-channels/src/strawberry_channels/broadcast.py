"""Publishing to subscriptions, and ending them, from any server code.

:func:`broadcast` sends a channel-layer message to a group, in the shape
:meth:`~strawberry_channels.ChannelsConsumer.listen_to_channel` reads;
:func:`unsubscribe` ends every subscription listening on a group. Both reach
every process that shares the channel layer. Each has a synchronous twin for
code without an event loop (Django signals, Celery tasks, management
commands, threads).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import BaseChannelLayer, get_channel_layer

from .base import UNSUBSCRIBE_MESSAGE_TYPE, ChannelLayerMissingError

__all__ = ["broadcast", "broadcast_sync", "unsubscribe", "unsubscribe_sync"]


def _layer(alias: str) -> BaseChannelLayer:
    layer = get_channel_layer(alias)
    if layer is None:
        raise ChannelLayerMissingError(alias)
    return layer


def _message(message: Mapping[str, Any], type: str | None) -> dict[str, Any]:
    outgoing = dict(message)
    if type is not None:
        outgoing["type"] = type
    kind = outgoing.get("type")
    if not isinstance(kind, str) or not kind:
        raise ValueError(
            "A broadcast message needs a 'type' (the type listen_to_channel waits for): "
            "put it in the message or pass type=..."
        )
    if kind == UNSUBSCRIBE_MESSAGE_TYPE:
        raise ValueError(f"{UNSUBSCRIBE_MESSAGE_TYPE!r} is reserved: call unsubscribe() instead")
    return outgoing


async def broadcast(
    group: str,
    message: Mapping[str, Any],
    *,
    type: str | None = None,
    alias: str = DEFAULT_CHANNEL_LAYER,
) -> None:
    """Send ``message`` to every listener of ``group``, in every process.

    A subscription that runs
    ``async with ws.listen_to_channel("chat.message", groups=["room"]) as listener``
    receives ``broadcast("room", {"type": "chat.message", ...})`` as one of
    ``listener``'s messages, whichever server process it runs in.

    Args:
        group: the channel-layer group (letters, digits, ``-``, ``_`` and
            ``.``; fewer than 100 characters).
        message: the message; its values must be serializable by the channel
            layer (for Redis and RabbitMQ: msgpack, so str, bytes, numbers,
            booleans, None, lists and dicts).
        type: the message type, if ``message`` has no ``"type"`` key (or to
            override it).
        alias: the channel layer of ``CHANNEL_LAYERS`` to send through.

    Raises:
        ValueError: the message has no type, or uses the type reserved for
            :func:`unsubscribe`.
        ChannelLayerMissingError: no channel layer is configured for ``alias``.
    """
    outgoing = _message(message, type)
    await _layer(alias).group_send(group, outgoing)


def broadcast_sync(
    group: str,
    message: Mapping[str, Any],
    *,
    type: str | None = None,
    alias: str = DEFAULT_CHANNEL_LAYER,
) -> None:
    """:func:`broadcast` for synchronous code: signals, Celery tasks, commands, threads.

    Not for code running in an event loop's thread (an ``async def``):
    ``await broadcast(...)`` there.

    Args:
        group: the channel-layer group.
        message: the message (see :func:`broadcast`).
        type: the message type, if ``message`` has no ``"type"`` key.
        alias: the channel layer of ``CHANNEL_LAYERS`` to send through.

    Raises:
        ValueError: the message has no type, or uses the reserved type.
        ChannelLayerMissingError: no channel layer is configured for ``alias``.
    """
    outgoing = _message(message, type)
    async_to_sync(_layer(alias).group_send)(group, outgoing)


async def unsubscribe(group: str, *, alias: str = DEFAULT_CHANNEL_LAYER) -> None:
    """End every subscription listening on ``group``, in every process.

    Each listener that joined ``group`` (through ``listen_to_channel(...,
    groups=[group])``, or by ``group_add`` on its operation's channel) stops
    iterating as if its block had ended; a subscription resolver that returns
    then ends normally: ``complete`` on graphql-transport-ws and graphql-ws,
    the ``complete`` event on SSE, the closing boundary on multipart.
    Messages the listener had buffered but not yet read are dropped.

    This is a server-side call (for example when a user loses access to a
    room): expose it to clients only behind your own authorization.

    Args:
        group: the channel-layer group whose listeners end.
        alias: the channel layer of ``CHANNEL_LAYERS`` to send through.

    Raises:
        ChannelLayerMissingError: no channel layer is configured for ``alias``.
    """
    await _layer(alias).group_send(group, {"type": UNSUBSCRIBE_MESSAGE_TYPE, "group": group})


def unsubscribe_sync(group: str, *, alias: str = DEFAULT_CHANNEL_LAYER) -> None:
    """:func:`unsubscribe` for synchronous code (signals, tasks, commands, threads).

    Args:
        group: the channel-layer group whose listeners end.
        alias: the channel layer of ``CHANNEL_LAYERS`` to send through.

    Raises:
        ChannelLayerMissingError: no channel layer is configured for ``alias``.
    """
    layer = _layer(alias)
    async_to_sync(layer.group_send)(group, {"type": UNSUBSCRIBE_MESSAGE_TYPE, "group": group})
