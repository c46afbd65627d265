"""Any decoded JSON fed to either protocol gets actions back, never an exception."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry import UNSET

from strawberry_channels.protocols.graphql_transport_ws import (
    Action,
    Close,
    GraphQLTransportWSProtocol,
    Send,
    StartOperation,
)
from strawberry_channels.protocols.graphql_ws import GraphQLWSProtocol

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
TYPES = [
    "connection_init",
    "ping",
    "pong",
    "subscribe",
    "complete",
    "start",
    "stop",
    "connection_terminate",
    "next",
]
messages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"type": st.sampled_from(TYPES)},
        optional={"id": st.one_of(st.text(max_size=3), json_values), "payload": json_values},
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["subscribe", "start"]),
            "id": st.text(min_size=1, max_size=2),
            "payload": st.fixed_dictionaries(
                {"query": st.text(max_size=5)},
                optional={"variables": json_values, "operationName": json_values},
            ),
        }
    ),
)


def check(actions: list[Action]) -> None:
    assert isinstance(actions, list)
    for action in actions:
        if isinstance(action, Send):
            assert isinstance(action.message, dict)
            assert isinstance(action.message["type"], str)
        if isinstance(action, Close):
            assert 1000 <= action.code < 5000
            assert len(action.reason.encode()) <= 123


@settings(max_examples=300, deadline=None)
@given(st.lists(messages, max_size=8), st.booleans())
def test_any_message_sequence(sequence: list[Any], legacy: bool) -> None:
    protocol = GraphQLWSProtocol() if legacy else GraphQLTransportWSProtocol()
    started = 0
    for message in sequence:
        actions = protocol.receive(message)
        check(actions)
        if any(type(a).__name__ == "Authenticate" for a in actions):
            check(protocol.accept(UNSET))
        for action in actions:
            if isinstance(action, StartOperation):
                started += 1
                operation = action.operation
                assert isinstance(operation.query, str)
                assert operation.variables is None or isinstance(operation.variables, dict)
                payload = protocol.result(operation, {"data": None})
                assert payload is None or payload["id"] == operation.id
                check(protocol.finished(operation))
    assert len(protocol.operations) <= started
