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

if TYPE_CHECKING:
    from strawberry import Schema
    from strawberry.types.execution import ExecutionResult

__all__ = [
    "INFRASTRUCTURE_MODULES",
    "ErrorMasking",
    "install_error_masking",
    "is_infrastructure_error",
    "mask_errors",
]

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


class ErrorMasking:
    """The infrastructure-error masking of one schema (see :func:`install_error_masking`).

    Applied by :mod:`strawberry_channels.execution` to every result it returns
    or streams, after Strawberry is done with it: a result without errors
    costs one test, and no schema extension runs per operation or per event.
    """

    __slots__ = ("debug", "message")

    def __init__(self, debug: bool = False, message: str = "Internal server error") -> None:
        #: Send the detail unchanged.
        self.debug = debug
        #: The generic message of a masked error (its error id is appended).
        self.message = message

    def apply(self, result: ExecutionResult) -> None:
        """Replace the infrastructure errors of ``result``, in place."""
        errors = result.errors
        if not errors or self.debug or not any(_should_mask(error) for error in errors):
            return
        result.errors = [self.anonymise(e) if _should_mask(e) else e for e in errors]

    def anonymise(self, error: GraphQLError) -> GraphQLError:
        """The generic error sent instead of ``error``; ``error`` is logged with its id."""
        error_id = uuid.uuid4().hex[:12]
        original = error.original_error
        logger.error(
            "Error id %s: %s",
            error_id,
            error.message,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        return GraphQLError(
            message=f"{self.message} (error id {error_id})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"error_id": error_id},
        )


def install_error_masking(schema: Schema, debug: bool = False) -> ErrorMasking:
    """Mask infrastructure errors in every result of ``schema`` that a consumer sends.

    Idempotent; ``debug=True`` (from any consumer serving the schema) turns
    the masking off for the schema. Returns the schema's masking.
    """
    masking: ErrorMasking | None = getattr(schema, "_strawberry_channels_masking", None)
    if masking is None:
        masking = ErrorMasking(debug)
        schema._strawberry_channels_masking = masking  # type: ignore[attr-defined]
    else:
        masking.debug = masking.debug or debug
    return masking


def mask_errors(schema: Schema, result: ExecutionResult) -> None:
    """Apply ``schema``'s masking (if installed) to ``result``, in place."""
    if result.errors:
        masking: ErrorMasking | None = getattr(schema, "_strawberry_channels_masking", None)
        if masking is not None:
            masking.apply(result)
