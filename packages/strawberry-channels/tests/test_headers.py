"""The one Headers helper both consumers read ASGI scopes with."""

from __future__ import annotations

from strawberry_channels.headers import Headers


def test_names_are_lower_cased_and_repeats_joined_with_comma_space() -> None:
    headers = Headers.from_scope(
        {
            "headers": [
                (b"X-Custom", b"one"),
                (b"host", b"h"),
                (b"x-custom", b"two"),
                (b"X-CUSTOM", b"three"),
            ]
        }
    )
    assert headers == {"x-custom": "one, two, three", "host": "h"}


def test_values_are_latin_1() -> None:
    assert Headers.from_raw([(b"x-name", "caf\u00e9".encode("latin-1"))]) == {"x-name": "caf\u00e9"}


def test_a_scope_without_headers() -> None:
    assert Headers.from_scope({}) == {}
