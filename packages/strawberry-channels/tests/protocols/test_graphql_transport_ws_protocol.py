"""The graphql-transport-ws state machine, without Channels."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from strawberry import UNSET

from strawberry_channels.protocols.graphql_transport_ws import (
    Authenticate,
    CancelOperation,
    Close,
    GraphQLTransportWSProtocol,
    Send,
    StartKeepAlive,
    StartOperation,
)


def acked(**options: object) -> GraphQLTransportWSProtocol:
    protocol = GraphQLTransportWSProtocol(**options)  # type: ignore[arg-type]
    assert protocol.receive({"type": "connection_init"}) == [Authenticate(None)]
    protocol.accept(UNSET)
    return protocol


def subscribe(id: str = "1", query: str = "{ a }") -> dict[str, object]:
    return {"type": "subscribe", "id": id, "payload": {"query": query}}


def close_code(actions: Sequence[object]) -> int:
    closes = [a for a in actions if isinstance(a, Close)]
    assert len(closes) == 1, actions
    return closes[0].code


def test_init_then_ack_without_payload() -> None:
    protocol = GraphQLTransportWSProtocol()
    assert protocol.receive({"type": "connection_init", "payload": {"t": 1}}) == [
        Authenticate({"t": 1})
    ]
    assert protocol.accept(UNSET) == [Send({"type": "connection_ack"})]
    assert protocol.acknowledged


@pytest.mark.parametrize(("payload", "sent"), [(None, None), ({"hi": 1}, {"hi": 1})])
def test_ack_payload_none_and_dict_are_sent(payload: object, sent: object) -> None:
    protocol = GraphQLTransportWSProtocol()
    protocol.receive({"type": "connection_init"})
    assert protocol.accept(payload) == [Send({"type": "connection_ack", "payload": sent})]  # type: ignore[arg-type]


def test_keep_alive_starts_after_ack() -> None:
    protocol = GraphQLTransportWSProtocol(keep_alive=True)
    protocol.receive({"type": "connection_init"})
    assert protocol.accept(UNSET) == [Send({"type": "connection_ack"}), StartKeepAlive()]
    assert protocol.keep_alive_message() == {"type": "ping"}


def test_rejection_closes_4403() -> None:
    protocol = GraphQLTransportWSProtocol()
    protocol.receive({"type": "connection_init"})
    assert protocol.reject({"reason": "x"}) == [Close(4403, "Forbidden")]
    assert protocol.receive(subscribe()) == []


def test_second_init_closes_4429() -> None:
    protocol = acked()
    assert close_code(protocol.receive({"type": "connection_init"})) == 4429


def test_second_init_while_authenticating_closes_4429() -> None:
    protocol = GraphQLTransportWSProtocol()
    protocol.receive({"type": "connection_init"})
    assert close_code(protocol.receive({"type": "connection_init"})) == 4429


def test_subscribe_before_ack_closes_4401() -> None:
    protocol = GraphQLTransportWSProtocol()
    assert close_code(protocol.receive(subscribe())) == 4401
    protocol = GraphQLTransportWSProtocol()
    protocol.receive({"type": "connection_init"})
    assert close_code(protocol.receive(subscribe())) == 4401


def test_init_timeout_closes_4408_unless_acknowledged() -> None:
    assert close_code(GraphQLTransportWSProtocol().init_timeout()) == 4408
    assert acked().init_timeout() == []


def test_ping_pong_echoes_payload_also_before_init() -> None:
    protocol = GraphQLTransportWSProtocol()
    assert protocol.receive({"type": "ping"}) == [Send({"type": "pong"})]
    assert protocol.receive({"type": "ping", "payload": {"n": 1}}) == [
        Send({"type": "pong", "payload": {"n": 1}})
    ]
    assert protocol.receive({"type": "pong"}) == []
    assert protocol.receive({"type": "pong", "payload": {"n": 2}}) == []


@pytest.mark.parametrize(
    "message",
    [
        "text",
        [],
        {"id": "1"},
        {"type": 3},
        {"type": "unknown"},
        {"type": "next", "id": "1", "payload": {}},
        {"type": "connection_ack"},
        {"type": "subscribe", "payload": {"query": "{ a }"}},
        {"type": "subscribe", "id": "", "payload": {"query": "{ a }"}},
        {"type": "subscribe", "id": 1, "payload": {"query": "{ a }"}},
        {"type": "subscribe", "id": "1"},
        {"type": "subscribe", "id": "1", "payload": {"query": 1}},
        {"type": "subscribe", "id": "1", "payload": {"query": "{ a }", "variables": []}},
        {"type": "subscribe", "id": "1", "payload": {"query": "{ a }", "operationName": 1}},
        {"type": "subscribe", "id": "1", "payload": {"query": "{ a }", "extensions": 1}},
        {"type": "complete"},
        {"type": "ping", "payload": "x"},
        {"type": "connection_init", "payload": "x"},
    ],
)
def test_malformed_messages_close_4400(message: object) -> None:
    assert close_code(acked().receive(message)) == 4400


def test_invalid_binary_and_oversized_frames() -> None:
    assert close_code(acked().receive_invalid("not JSON")) == 4400
    assert close_code(acked().receive_binary()) == 4400
    assert close_code(acked().receive_too_large(10)) == 1009


def test_subscribe_runs_and_duplicate_active_id_closes_4409() -> None:
    protocol = acked()
    [start] = protocol.receive(
        {
            "type": "subscribe",
            "id": "a",
            "payload": {"query": "{ a }", "variables": {"v": 1}, "operationName": "Q"},
        }
    )
    assert isinstance(start, StartOperation)
    operation = start.operation
    assert (operation.id, operation.query, operation.variables) == ("a", "{ a }", {"v": 1})
    assert operation.operation_name == "Q"
    actions = protocol.receive(subscribe("a"))
    assert close_code(actions) == 4409
    assert Close(4409, "Subscriber for a already exists") in actions
    assert CancelOperation(operation) in actions


def test_results_then_complete_and_id_reuse() -> None:
    protocol = acked()
    [start] = protocol.receive(subscribe("a"))
    assert isinstance(start, StartOperation)
    operation = start.operation
    assert protocol.result(operation, {"data": 1}) == {
        "type": "next",
        "id": "a",
        "payload": {"data": 1},
    }
    assert protocol.finished(operation) == [Send({"type": "complete", "id": "a"})]
    assert protocol.result(operation, {"data": 2}) is None
    assert protocol.finished(operation) == []
    [again] = protocol.receive(subscribe("a"))
    assert isinstance(again, StartOperation)


def test_errors_end_the_operation_without_complete() -> None:
    protocol = acked()
    [start] = protocol.receive(subscribe("a"))
    assert isinstance(start, StartOperation)
    errors = [{"message": "bad"}]
    assert protocol.errors(start.operation, errors) == [
        Send({"type": "error", "id": "a", "payload": errors})
    ]
    assert protocol.finished(start.operation) == []


def test_client_complete_cancels_and_silences() -> None:
    protocol = acked()
    [start] = protocol.receive(subscribe("a"))
    assert isinstance(start, StartOperation)
    assert protocol.receive({"type": "complete", "id": "a"}) == [CancelOperation(start.operation)]
    assert protocol.result(start.operation, {"data": 1}) is None
    assert protocol.finished(start.operation) == []
    # Unknown ids are ignored.
    assert protocol.receive({"type": "complete", "id": "zzz"}) == []


def test_operation_limit_answers_error() -> None:
    protocol = acked(max_operations=1)
    protocol.receive(subscribe("a"))
    [error] = protocol.receive(subscribe("b"))
    assert isinstance(error, Send)
    assert error.message["type"] == "error"
    assert error.message["id"] == "b"
    assert "limit 1" in error.message["payload"][0]["message"]


def test_internal_error_closes_4500_and_hides_text_unless_debug() -> None:
    assert acked().internal_error(ValueError("secret")) == [Close(4500, "Internal server error")]
    [close] = acked(debug=True).internal_error(ValueError("secret"))
    assert isinstance(close, Close)
    assert "secret" in close.reason


def test_long_close_reason_fits_the_frame() -> None:
    protocol = acked()
    protocol.receive(subscribe("x" * 300))
    [*_, close] = protocol.receive(subscribe("x" * 300))
    assert isinstance(close, Close)
    assert len(close.reason.encode()) <= 123


def test_closed_protocol_ignores_input() -> None:
    protocol = acked()
    protocol.receive("garbage")
    assert protocol.receive({"type": "ping"}) == []
    assert protocol.keep_alive_message() is None
