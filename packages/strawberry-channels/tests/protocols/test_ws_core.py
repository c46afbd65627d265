"""The core both WebSocket protocols share: the state enum, its guards, the common entry points."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import UNSET

from strawberry_channels.protocols.graphql_transport_ws import GraphQLTransportWSProtocol
from strawberry_channels.protocols.graphql_ws import GraphQLWSProtocol
from strawberry_channels.protocols.operations import (
    Authenticate,
    CancelOperation,
    Close,
    CloseCode,
    Send,
    StartKeepAlive,
    StartOperation,
)
from strawberry_channels.protocols.ws_core import OPEN, State, WebSocketProtocol

PROTOCOLS = [GraphQLTransportWSProtocol, GraphQLWSProtocol]
START = {GraphQLTransportWSProtocol: "subscribe", GraphQLWSProtocol: "start"}


def ready(protocol_class: type[WebSocketProtocol], **options: Any) -> WebSocketProtocol:
    protocol = protocol_class(**options)
    assert protocol.receive({"type": "connection_init"}) == [Authenticate(None)]
    protocol.accept(UNSET)
    return protocol


def state_of(protocol: WebSocketProtocol) -> State:
    """The state, read through a call (so a type checker does not pin it)."""
    return protocol.state


def start(protocol: WebSocketProtocol, id: str = "1") -> StartOperation:
    message = {"type": START[type(protocol)], "id": id, "payload": {"query": "{ a }"}}
    actions = protocol.receive(message)
    assert len(actions) == 1
    assert isinstance(actions[0], StartOperation)
    return actions[0]


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_states_from_init_to_closed(protocol_class: type[WebSocketProtocol]) -> None:
    protocol = protocol_class()
    assert state_of(protocol) is State.AWAITING_INIT
    assert not protocol.init_received
    protocol.receive({"type": "connection_init"})
    assert state_of(protocol) is State.AUTHENTICATING
    assert protocol.init_received
    assert not protocol.acknowledged
    protocol.accept(UNSET)
    assert state_of(protocol) is State.READY
    assert protocol.acknowledged
    operation = start(protocol).operation
    actions = protocol.receive_too_large(10)
    assert actions == [
        CancelOperation(operation),
        Close(CloseCode.MESSAGE_TOO_BIG, "Message too big (limit 10)"),
    ]
    assert state_of(protocol) is State.CLOSING
    assert protocol.closed
    assert not operation.active
    assert protocol.connection_lost() == []
    assert state_of(protocol) is State.CLOSED


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
@pytest.mark.parametrize("state", [State.CLOSING, State.CLOSED])
def test_every_entry_point_answers_nothing_once_closing(
    protocol_class: type[WebSocketProtocol], state: State
) -> None:
    protocol = ready(protocol_class, keep_alive=True)
    operation = start(protocol).operation
    protocol.internal_error()
    if state is State.CLOSED:
        protocol.connection_lost()
    assert protocol.state is state
    assert protocol.receive({"type": "connection_init"}) == []
    assert protocol.receive("not an object") == []
    assert protocol.receive_invalid() == []
    assert protocol.receive_binary() == []
    assert protocol.receive_too_large(1) == []
    assert protocol.accept(UNSET) == []
    assert protocol.reject({"x": 1}) == []
    assert protocol.init_timeout() == []
    assert protocol.internal_error() == []
    assert protocol.keep_alive_tick() == []
    assert protocol.keep_alive_message() is None
    assert protocol.send_result(operation, {"data": 1}) == []
    assert protocol.errors(operation, [{"message": "x"}]) == []
    assert protocol.finished(operation) == []


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_init_timeout_only_before_ack(protocol_class: type[WebSocketProtocol]) -> None:
    protocol = ready(protocol_class)
    assert protocol.init_timeout() == []
    waiting = protocol_class()
    [close] = waiting.init_timeout()
    assert close == Close(
        CloseCode.CONNECTION_INITIALISATION_TIMEOUT, "Connection initialisation timeout"
    )
    assert waiting.state is State.CLOSING


@pytest.mark.parametrize(
    ("protocol_class", "message"),
    [(GraphQLTransportWSProtocol, {"type": "ping"}), (GraphQLWSProtocol, {"type": "ka"})],
)
def test_keep_alive_tick_sends_the_protocol_s_message(
    protocol_class: type[WebSocketProtocol], message: dict[str, Any]
) -> None:
    protocol = ready(protocol_class, keep_alive=True)
    assert protocol.keep_alive_tick() == [Send(message)]
    assert protocol.keep_alive_message() == message


@pytest.mark.parametrize(
    ("protocol_class", "accepted"),
    [
        (GraphQLTransportWSProtocol, [Send({"type": "connection_ack"}), StartKeepAlive()]),
        (
            GraphQLWSProtocol,
            [Send({"type": "connection_ack"}), Send({"type": "ka"}), StartKeepAlive()],
        ),
    ],
)
def test_accept_with_keep_alive(
    protocol_class: type[WebSocketProtocol], accepted: list[object]
) -> None:
    protocol = protocol_class(keep_alive=True)
    protocol.receive({"type": "connection_init"})
    assert protocol.accept(UNSET) == accepted
    assert protocol.accept(UNSET) == []  # only once


@pytest.mark.parametrize(
    ("protocol_class", "result_type"),
    [(GraphQLTransportWSProtocol, "next"), (GraphQLWSProtocol, "data")],
)
def test_send_result_and_finished(
    protocol_class: type[WebSocketProtocol], result_type: str
) -> None:
    protocol = ready(protocol_class)
    operation = start(protocol, "7").operation
    assert protocol.send_result(operation, {"data": 1}) == [
        Send({"type": result_type, "id": "7", "payload": {"data": 1}})
    ]
    assert protocol.finished(operation) == [Send({"type": "complete", "id": "7"})]
    assert protocol.send_result(operation, {"data": 2}) == []
    assert protocol.finished(operation) == []
    assert protocol.operations == {}


@pytest.mark.parametrize(
    ("protocol_class", "payload"),
    [
        (
            GraphQLTransportWSProtocol,
            [{"message": "Too many operations on this connection (limit 1)"}],
        ),
        (GraphQLWSProtocol, {"message": "Too many operations on this connection (limit 1)"}),
    ],
)
def test_operation_limit_error(protocol_class: type[WebSocketProtocol], payload: object) -> None:
    protocol = ready(protocol_class, max_operations=1)
    start(protocol, "a")
    message = {"type": START[protocol_class], "id": "b", "payload": {"query": "{ a }"}}
    assert protocol.receive(message) == [Send({"type": "error", "id": "b", "payload": payload})]
    assert list(protocol.operations) == ["a"]


@pytest.mark.parametrize(
    ("protocol_class", "code"),
    [
        (GraphQLTransportWSProtocol, CloseCode.BAD_REQUEST),
        (GraphQLWSProtocol, CloseCode.UNSUPPORTED_DATA),
    ],
)
def test_binary_frames_close(protocol_class: type[WebSocketProtocol], code: int) -> None:
    protocol = ready(protocol_class)
    operation = start(protocol).operation
    assert protocol.receive_binary() == [
        CancelOperation(operation),
        Close(code, "Binary frames are not supported"),
    ]


@pytest.mark.parametrize("protocol_class", PROTOCOLS)
def test_connection_lost_cancels_running_operations(
    protocol_class: type[WebSocketProtocol],
) -> None:
    protocol = ready(protocol_class)
    operation = start(protocol).operation
    assert protocol.connection_lost() == [CancelOperation(operation)]
    assert protocol.state is State.CLOSED
    assert protocol.state not in OPEN
    assert not operation.active


@pytest.mark.parametrize(
    ("protocol_class", "sent"),
    [
        (GraphQLTransportWSProtocol, []),
        (GraphQLWSProtocol, [Send({"type": "connection_error", "payload": {"why": "no"}})]),
    ],
)
def test_reject(protocol_class: type[WebSocketProtocol], sent: list[object]) -> None:
    protocol = protocol_class()
    protocol.receive({"type": "connection_init"})
    assert protocol.reject({"why": "no"}) == [*sent, Close(CloseCode.FORBIDDEN, "Forbidden")]
    assert protocol.state is State.CLOSING
