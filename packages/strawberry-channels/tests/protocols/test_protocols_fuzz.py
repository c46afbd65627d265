"""Any decoded JSON fed to either protocol gets actions back, never an exception."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from strawberry import UNSET

from strawberry_channels.protocols.graphql_transport_ws import (
    Action,
    Authenticate,
    CancelOperation,
    Close,
    GraphQLTransportWSProtocol,
    Operation,
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
# Well-formed messages over two ids, so that sequences often start, repeat and stop
# operations. "@start"/"@stop" become the protocol's own message types in the test.
IDS = st.sampled_from(["1", "2"])
INIT = {"type": "connection_init"}
START_1 = {"type": "@start", "id": "1", "payload": {"query": "{ a }"}}
STOP_1 = {"type": "@stop", "id": "1"}
well_formed = st.one_of(
    st.just({"type": "connection_init"}),
    st.builds(lambda id_: {"type": "@start", "id": id_, "payload": {"query": "{ a }"}}, IDS),
    st.builds(lambda id_: {"type": "@stop", "id": id_}, IDS),
)
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
@given(
    st.lists(st.tuples(well_formed | well_formed | messages, st.booleans()), max_size=10),
    st.booleans(),
)
# The paths every run must take, whatever the fuzzer draws: start, stop, restart an id.
@example(steps=[(INIT, False), (START_1, False), (STOP_1, False), (START_1, True)], legacy=False)
@example(steps=[(INIT, False), (START_1, False), (STOP_1, False), (START_1, True)], legacy=True)
@example(steps=[(INIT, False), (START_1, False), (START_1, False)], legacy=False)
@example(steps=[(INIT, False), (START_1, False), (START_1, False)], legacy=True)
def test_any_message_sequence(steps: list[tuple[Any, bool]], legacy: bool) -> None:
    """The protocol's actions agree with a model of the connection built from them alone.

    The model tracks what the actions say (operations started, cancelled, the socket
    closed) and what the test reports back (acknowledged, finished); after every step
    the protocol's running operations must be exactly the model's.
    """
    protocol = GraphQLWSProtocol() if legacy else GraphQLTransportWSProtocol()
    result_type = "data" if legacy else "next"
    running: dict[str, Operation] = {}
    acknowledged = closed = False
    dialect = (
        {"@start": "start", "@stop": "stop"}
        if legacy
        else {"@start": "subscribe", "@stop": "complete"}
    )
    for message, finish_one in steps:
        if isinstance(message, dict) and message.get("type") in dialect:
            message = {**message, "type": dialect[message["type"]]}
        actions = protocol.receive(message)
        check(actions)
        if closed:
            assert actions == [], "actions after the socket was closed"
        for index, action in enumerate(actions):
            if isinstance(action, Close):
                assert index == len(actions) - 1, "a Close is the last action"
                closed = True
            elif isinstance(action, CancelOperation):
                assert running.pop(action.operation.id) is action.operation
                assert protocol.result(action.operation, {"data": None}) is None
            elif isinstance(action, StartOperation):
                operation = action.operation
                assert acknowledged, "an operation started before connection_ack"
                assert operation.id not in running, "an id started twice"
                assert isinstance(operation.query, str)
                assert operation.variables is None or isinstance(operation.variables, dict)
                running[operation.id] = operation
            elif isinstance(action, Authenticate):
                accepted = protocol.accept(UNSET)
                check(accepted)
                assert accepted[0] == Send({"type": "connection_ack"})
                acknowledged = True
        if closed:
            running.clear()  # the Close came with a CancelOperation for each
        if running and finish_one:
            operation = next(iter(running.values()))
            assert protocol.result(operation, {"data": 1}) == {
                "type": result_type,
                "id": operation.id,
                "payload": {"data": 1},
            }
            assert protocol.finished(operation) == [Send({"type": "complete", "id": operation.id})]
            assert protocol.finished(operation) == []  # only once
            del running[operation.id]
        assert protocol.operations == running
