"""The legacy graphql-ws state machine, without Channels."""

from __future__ import annotations

import pytest
from strawberry import UNSET

from strawberry_channels.protocols.graphql_transport_ws import (
    Authenticate,
    CancelOperation,
    Close,
    Send,
    StartKeepAlive,
    StartOperation,
)
from strawberry_channels.protocols.graphql_ws import GraphQLWSProtocol


def acked(**options: object) -> GraphQLWSProtocol:
    protocol = GraphQLWSProtocol(**options)  # type: ignore[arg-type]
    assert protocol.receive({"type": "connection_init"}) == [Authenticate(None)]
    protocol.accept(UNSET)
    return protocol


def start(id: str = "1", query: str = "{ a }") -> dict[str, object]:
    return {"type": "start", "id": id, "payload": {"query": query}}


@pytest.mark.parametrize("payload", [UNSET, None])
def test_ack_without_payload_for_unset_and_none(payload: object) -> None:
    protocol = GraphQLWSProtocol()
    protocol.receive({"type": "connection_init", "payload": {"a": 1}})
    assert protocol.accept(payload) == [Send({"type": "connection_ack"})]  # type: ignore[arg-type]


def test_ack_with_payload_and_keep_alive() -> None:
    protocol = GraphQLWSProtocol(keep_alive=True)
    protocol.receive({"type": "connection_init"})
    assert protocol.accept({"x": 1}) == [
        Send({"type": "connection_ack", "payload": {"x": 1}}),
        Send({"type": "ka"}),
        StartKeepAlive(),
    ]
    assert protocol.keep_alive_message() == {"type": "ka"}


def test_start_before_init_is_refused() -> None:
    protocol = GraphQLWSProtocol()
    assert protocol.receive(start()) == [Close(4401, "Unauthorized")]
    protocol = GraphQLWSProtocol()
    protocol.receive({"type": "connection_init"})  # not yet acknowledged
    assert protocol.receive(start()) == [Close(4401, "Unauthorized")]


def test_rejection_sends_connection_error_with_payload_then_closes() -> None:
    protocol = GraphQLWSProtocol()
    protocol.receive({"type": "connection_init"})
    assert protocol.reject({"reason": "no"}) == [
        Send({"type": "connection_error", "payload": {"reason": "no"}}),
        Close(4403, "Forbidden"),
    ]


def test_invalid_init_payload() -> None:
    actions = GraphQLWSProtocol().receive({"type": "connection_init", "payload": 3})
    assert actions[0] == Send(
        {
            "type": "connection_error",
            "payload": {"message": "The connection_init payload must be an object"},
        }
    )
    assert actions[-1] == Close(4400, "Invalid connection_init payload")


def test_query_result_then_complete() -> None:
    protocol = acked()
    [action] = protocol.receive(start("q"))
    assert isinstance(action, StartOperation)
    assert protocol.result(action.operation, {"data": {"a": 1}}) == {
        "type": "data",
        "id": "q",
        "payload": {"data": {"a": 1}},
    }
    assert protocol.finished(action.operation) == [Send({"type": "complete", "id": "q"})]


def test_errors_send_first_error() -> None:
    protocol = acked()
    [action] = protocol.receive(start("q"))
    assert isinstance(action, StartOperation)
    assert protocol.errors(action.operation, [{"message": "a"}, {"message": "b"}]) == [
        Send({"type": "error", "id": "q", "payload": {"message": "a"}})
    ]


def test_stop_cancels_and_completes_unknown_ignored() -> None:
    protocol = acked()
    [action] = protocol.receive(start("s"))
    assert isinstance(action, StartOperation)
    assert protocol.receive({"type": "stop", "id": "s"}) == [
        CancelOperation(action.operation),
        Send({"type": "complete", "id": "s"}),
    ]
    assert protocol.result(action.operation, {}) is None
    assert protocol.receive({"type": "stop", "id": "s"}) == []


def test_restart_with_active_id_replaces_the_operation() -> None:
    protocol = acked()
    [first] = protocol.receive(start("s"))
    assert isinstance(first, StartOperation)
    cancel, second = protocol.receive(start("s"))
    assert cancel == CancelOperation(first.operation)
    assert isinstance(second, StartOperation)
    assert second.operation is not first.operation


@pytest.mark.parametrize(
    ("message", "expected_type"),
    [
        ("text", "connection_error"),
        ({"payload": {}}, "connection_error"),
        ({"type": "start", "payload": {"query": "{ a }"}}, "connection_error"),
        ({"type": "stop"}, "connection_error"),
        ({"type": "unknown", "id": "1"}, "error"),
        ({"type": "start", "id": "1", "payload": {"query": 5}}, "error"),
        ({"type": "start", "id": "1"}, "error"),
    ],
)
def test_malformed_messages_are_answered_and_connection_stays(
    message: object, expected_type: str
) -> None:
    protocol = acked()
    [answer] = protocol.receive(message)
    assert isinstance(answer, Send)
    assert answer.message["type"] == expected_type
    assert isinstance(answer.message["payload"]["message"], str)
    assert not protocol.closed


def test_frames_binary_oversized_invalid() -> None:
    assert acked().receive_binary()[-1] == Close(1003, "Binary frames are not supported")
    assert acked().receive_too_large(5)[-1].code == 1009  # type: ignore[union-attr]
    [answer] = acked().receive_invalid("not JSON")
    assert isinstance(answer, Send)
    assert answer.message["type"] == "connection_error"


def test_terminate_closes_normally_and_init_timeout() -> None:
    assert acked().receive({"type": "connection_terminate"}) == [Close(1000, "")]
    assert GraphQLWSProtocol().init_timeout()[-1].code == 4408  # type: ignore[union-attr]
    assert acked().init_timeout() == []


def test_operation_limit() -> None:
    protocol = acked(max_operations=1)
    protocol.receive(start("a"))
    [error] = protocol.receive(start("b"))
    assert isinstance(error, Send)
    assert error.message["type"] == "error"
