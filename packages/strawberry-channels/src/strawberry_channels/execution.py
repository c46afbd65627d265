"""Running GraphQL operations: see :mod:`strawberry_channels.document_cache`."""

from __future__ import annotations

from .document_cache import DEFAULT_DOCUMENT_CACHE_SIZE, DocumentCache, install_document_cache

__all__ = ["DEFAULT_DOCUMENT_CACHE_SIZE", "DocumentCache", "install_document_cache"]
