"""The ``Host`` of a request checked against Django's ``ALLOWED_HOSTS``.

The WebSocket consumer's same-origin check compares ``Origin`` with ``Host``;
a DNS-rebinding page controls both (``Host: evil.example``, ``Origin:
http://evil.example``). Django refuses such requests for its views through
``ALLOWED_HOSTS``; the consumers here do not pass through Django's request
handling, so they check it themselves: a WebSocket handshake is refused with
close code 4403 and an HTTP request with ``400``.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http.request import split_domain_port, validate_host

__all__ = ["host_allowed"]


def host_allowed(host: str | None) -> bool:
    """Whether ``host`` (a ``Host`` header value) matches ``ALLOWED_HOSTS``.

    Like Django: when ``DEBUG`` is on and ``ALLOWED_HOSTS`` is empty, the
    local names (``localhost``, ``127.0.0.1``, ``[::1]``) are allowed. A
    request without a ``Host`` header (not a browser) is not refused here.
    """
    if host is None or not settings.configured:
        return True
    return _allowed(host, tuple(settings.ALLOWED_HOSTS), bool(settings.DEBUG))


@functools.lru_cache(maxsize=256)
def _allowed(host: str, allowed_hosts: tuple[str, ...], debug: bool) -> bool:
    # Remembered per host and settings: every request of a client asks again.
    allowed = list(allowed_hosts)
    if debug and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)
