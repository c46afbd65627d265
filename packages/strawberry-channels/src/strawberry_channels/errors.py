"""Infrastructure errors reach clients as a generic message with an error id.

A resolver that fails because Redis, RabbitMQ or the database is unreachable
raises an exception whose text names hosts, ports and drivers
(``Error 111 connecting to 127.0.0.1:6391``). Such an error is replaced, in
every result on every transport, by ``Internal server error (error id
<id>)``; the full exception is logged under the same id on the
``strawberry_channels.errors`` logger, so an operator can find it. With
``debug=True`` on the WebSocket consumer the detail is sent unchanged.

Errors a resolver raises on purpose (``ValueError("Not allowed")``,
``PermissionError``, :class:`graphql.GraphQLError`) keep their message, as in
Strawberry's own integrations; add Strawberry's ``MaskErrors`` extension to hide
those too.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from .document_cache import DocumentCacheExtension

if TYPE_CHECKING:
    from strawberry import Schema

__all__ = ["INFRASTRUCTURE_MODULES", "install_error_masking", "is_infrastructure_error"]

logger = logging.getLogger("strawberry_channels.errors")

#: Top-level modules whose exceptions describe infrastructure, not the request.
INFRASTRUCTURE_MODULES = frozenset(
    {
        "redis",
        "channels_redis",
        "channels_rabbitmq",
        "aio_pika",
        "aiormq",
        "pamqp",
        "asyncpg",
        "psycopg",
        "psycopg2",
        "MySQLdb",
        "sqlite3",
        "django.db",
    }
)


def is_infrastructure_error(error: BaseException) -> bool:
    """An OS-level error (connections, timeouts, files) or one raised by a
    channel layer, broker or database driver. ``PermissionError``, an
    ``OSError`` that resolvers raise to refuse a request, is not one."""
    if isinstance(error, PermissionError):
        return False
    if isinstance(error, (OSError, EOFError)):
        return True
    for cls in type(error).__mro__:
        module = cls.__module__ or ""
        top = module.split(".", 1)[0]
        if top in INFRASTRUCTURE_MODULES or module.startswith("django.db"):
            return True
    return False


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and is_infrastructure_error(original)


class InfrastructureErrorMask(MaskErrors):
    """Replaces infrastructure errors by a generic message with an error id."""

    #: Send the detail unchanged (set by :func:`install_error_masking`).
    debug = False

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._mask, error_message="Internal server error")

    def _mask(self, error: GraphQLError) -> bool:
        return not type(self).debug and _should_mask(error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        error_id = uuid.uuid4().hex[:12]
        original = error.original_error
        logger.error(
            "Error id %s: %s",
            error_id,
            error.message,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        return GraphQLError(
            message=f"{self.error_message} (error id {error_id})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"error_id": error_id},
        )


def install_error_masking(schema: Schema, debug: bool = False) -> None:
    """Mask infrastructure errors in every result of ``schema``.

    Idempotent; ``debug=True`` (from any consumer serving the schema) turns
    the masking off for the schema. The extension goes before the document
    cache, which must stay the last extension.
    """
    for extension in schema.extensions:
        if isinstance(extension, type) and issubclass(extension, InfrastructureErrorMask):
            extension.debug = extension.debug or debug
            return
    bound: type[InfrastructureErrorMask] = type(
        "BoundInfrastructureErrorMask", (InfrastructureErrorMask,), {"debug": debug}
    )
    extensions = list(schema.extensions)
    position = next(
        (
            index
            for index, extension in enumerate(extensions)
            if isinstance(extension, type) and issubclass(extension, DocumentCacheExtension)
        ),
        len(extensions),
    )
    extensions.insert(position, bound)
    schema.extensions = tuple(extensions)
