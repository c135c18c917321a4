"""Real AMQP 0-9-1 clients in a RabbitMQ room: the journaled ``amqp`` command.

``mqlab.amqp`` (the listener) turns each method a client sends into one ``amqp`` command of
the room: ``{"connection": <client node id>, "channel": <the client's channel number>,
"method": "queue.declare", "args": {...}}``. The command runs the simulated RabbitMQ's
pika-shaped API (``engine.rabbitmq``) on an explicit connection per client and a channel per
client channel, so it enters the room's log and a replay rebuilds the same state. The
answer waits in ``Clients.last`` for the listener (as ``lab.last_call`` does for SQS).

What the broker sends on its own — deliveries, publisher confirms, returned messages,
consumer cancellations, connection.blocked/unblocked, and channel or connection closes — is
put in the client's ``outbox`` as the engine does it (a consumer callback, a return callback,
a ``confirmed`` or ``channel-closed`` event), and the listener writes it to the socket. A
replay has no sockets: nothing is collected then (``notify`` is None).

Message bodies are kept in the log as text when they are UTF-8, else as base64; header values
that JSON cannot hold (bytes, timestamps, decimals) become text or numbers.

Confirm order: RabbitMQ sends a mandatory message's basic.return before its basic.ack
("Consumer Acknowledgements and Publisher Confirms", "When Will Published Messages Be
Confirmed by the Broker?"); the engine calls return callbacks a step later, so the ack of a
returned message waits here until its return has gone out.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Callable
from typing import Any

from engine import events as ev
from engine.errors import InvalidArgument
from engine.rabbitmq import (
    BasicProperties,
    ChannelClosedByBroker,
    DuplicateConsumerTag,
    NackError,
    UnroutableError,
)
from engine.rabbitmq.errors import PublishRefused
from mqlab.commands import ArgumentError, Field

#: AMQP reply codes RabbitMQ uses (AMQP 0-9-1 reference, "Constants").
CONNECTION_FORCED, PRECONDITION_FAILED, NOT_ALLOWED, RESOURCE_ERROR = 320, 406, 530, 506


class RealChannel:
    def __init__(self, number: int, channel: Any) -> None:
        self.number = number
        self.channel = channel
        #: message ids returned (basic.return pending), oldest first, and their stashed acks
        self.returning: deque[str] = deque()
        self.stashed: dict[str, tuple[int, bool]] = {}
        self.closing = False


class RealConnection:
    """One client's connection: its engine connection, channels and what waits to be sent."""

    def __init__(self, key: str, label: str, connection: Any, capabilities: dict) -> None:
        self.key = key
        self.label = label
        self.connection = connection
        self.capabilities = capabilities
        self.channels: dict[int, RealChannel] = {}
        self.outbox: deque[tuple[Any, ...]] = deque()
        #: wakes the listener (thread-safe); None in a replay: nothing is collected then
        self.notify: Callable[[], None] | None = None
        self.closing = False
        self.closed_by_broker = False

    def push(self, *item: Any) -> None:
        if self.notify is not None:
            self.outbox.append(item)
            self.notify()


class Call:
    """The answer to the latest ``amqp`` command: ``reply`` (the method's -ok fields)."""

    def __init__(self) -> None:
        self.reply: dict[str, Any] | None = None


class Clients:
    """The room's real AMQP connections (``lab.amqp``), by client node id."""

    def __init__(self, lab: Any) -> None:
        self.lab = lab
        self.connections: dict[str, RealConnection] = {}
        self.by_channel: dict[int, tuple[RealConnection, RealChannel]] = {}
        #: the channel publishing now, and publishes a blocked connection holds (by message id)
        self.publishing: tuple[RealConnection, RealChannel] | None = None
        self.held: dict[str, tuple[RealConnection, RealChannel]] = {}
        self.last = Call()
        lab.sim.subscribe(self._on_event)

    # -- what the engine does on its own -------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        kind = event.kind
        if kind == ev.CHANNEL_CLOSED:
            self._channel_closed(event)
        elif kind in (ev.PUBLISHED, ev.DROPPED) and event.message_id in self.held:
            # A held publish went through (only a confirm still needs its channel), or its
            # channel closed before it was read (nothing will need it).
            engine = self.held[event.message_id][1].channel
            if (kind == ev.PUBLISHED and not engine.confirming) or not engine.is_open:
                del self.held[event.message_id]
        elif kind in (ev.CONFIRMED, ev.RETURNED):
            message_id = event.message_id or event.details.get("message_id")
            # A held publish's confirm comes when the alarm clears, its return just before.
            owner = (self.held.pop(message_id, None) if kind == ev.CONFIRMED
                     else self.held.get(message_id)) or self.publishing
            if owner is None:
                return
            real, channel = owner
            if kind == ev.RETURNED:
                channel.returning.append(event.message_id)
                return
            details = event.details
            confirm = (details["delivery_tag"], details["ack"])
            if details["message_id"] in channel.returning:
                channel.stashed[details["message_id"]] = confirm
            else:
                real.push("confirm", channel.number, *confirm)

    def _channel_closed(self, event: Any) -> None:
        found = self.by_channel.pop(event.details.get("channel"), None)
        if found is None:
            return
        real, channel = found
        real.channels.pop(channel.number, None)
        if real.closing or channel.closing:
            return  # the client asked
        code = event.details.get("reply_code") or 0
        if not real.connection.is_open:
            if not real.closed_by_broker:
                real.closed_by_broker = True
                text = event.reason if code else "CONNECTION_FORCED - broker forced " \
                    f"connection closure with reason '{event.reason}'"
                real.push("connection.close", code or CONNECTION_FORCED, text)
            return
        real.push("channel.close", channel.number, code or PRECONDITION_FAILED, event.reason)

    # -- the client's connections -------------------------------------------------------------
    def connection(self, key: str) -> RealConnection:
        real = self.connections.get(key)
        if real is None or not real.connection.is_open:
            raise ArgumentError("connection", f"no open AMQP connection {key!r}")
        return real

    def channel(self, real: RealConnection, number: int) -> RealChannel:
        channel = real.channels.get(number)
        if channel is None:
            raise ArgumentError("channel", f"channel {number} is not open")
        return channel


def clients(lab: Any) -> Clients:
    found = getattr(lab, "amqp", None)
    if found is None:
        found = lab.amqp = Clients(lab)
    return found


# -- the methods ----------------------------------------------------------------------------

Method = Callable[[Clients, RealConnection, RealChannel, dict], dict | None]


def _open(lab: Any, key: str, args: dict) -> str:
    found = clients(lab)
    label = args.get("label") or key
    connection = lab.sim.rabbitmq.connection()
    real = RealConnection(key, label, connection, dict(args.get("capabilities") or {}))
    found.connections[key] = real
    # A fact of the log like any other: every viewer's picture gains the client's node.
    lab.sim.emit(ev.DECLARED, "rabbitmq", source=key, reason=f"{label} connected over AMQP "
                 "0-9-1", details={"client": label})
    if real.capabilities.get("connection.blocked"):
        connection.add_on_connection_blocked_callback(
            lambda _connection, reason: real.push("blocked", reason))
        connection.add_on_connection_unblocked_callback(lambda _connection: real.push("unblocked"))
    return f"{label} connected"


def _close(lab: Any, key: str, args: dict) -> str:
    """The client closed its connection (or its socket went away), or the listener closes
    it for a protocol error (``code``, ``text``): unacked messages requeue."""
    real = clients(lab).connections.pop(key, None)
    if real is None:
        return f"{key} was already closed"
    real.closing = True
    code, text = args.get("code", 0), args.get("text") or "connection closed by the client"
    lab.sim.rabbitmq.close_connection(real.connection, f"{real.label}: {text}", code)
    lab.sim.emit(ev.REMOVED, "rabbitmq", source=key, reason=f"{real.label} disconnected "
                 f"({text})", details={"client": real.label})
    return f"{real.label} disconnected ({text})"


def _channel_open(found: Clients, real: RealConnection, number: int) -> str:
    if number in real.channels:
        raise _connection_error(found, real, 504, "CHANNEL_ERROR - second 'channel.open' seen")
    engine = real.connection.channel()
    engine.node = real.key  # the client's node: its publishes animate from it
    engine.client_name = real.label
    channel = RealChannel(number, engine)
    real.channels[number] = channel
    found.by_channel[engine.channel_number] = (real, channel)
    engine.add_on_return_callback(lambda _ch, method, properties, body:
                                  _returned(real, channel, method, properties, body))
    if real.capabilities.get("consumer_cancel_notify"):
        engine.add_on_cancel_callback(lambda method: real.push("cancel", number,
                                                               method.consumer_tag))
    return f"{real.label} opened channel {number}"


def _returned(real: RealConnection, channel: RealChannel, method: Any, properties: Any,
              body: Any) -> None:
    real.push("return", channel.number, method, properties, body)
    if channel.returning:
        stashed = channel.stashed.pop(channel.returning.popleft(), None)
        if stashed is not None:
            real.push("confirm", channel.number, *stashed)


def _connection_error(found: Clients, real: RealConnection, code: int, text: str) -> Exception:
    """A hard error: the engine closes the connection, the client hears connection.close."""
    real.closed_by_broker = True
    real.push("connection.close", code, text)
    found.connections.pop(real.key, None)
    found.lab.sim.rabbitmq.close_connection(real.connection, text, code)
    return ChannelClosedByBroker(text)


def _fail_channel(channel: RealChannel, code: int, text: str) -> Exception:
    engine = channel.channel
    engine._broker.close_channel(engine, text, code)
    return ChannelClosedByBroker(text)


def _body(args: dict) -> bytes | str:
    if "body_b64" in args:
        return base64.b64decode(args["body_b64"])
    return args.get("body", "")


def _publish(found: Clients, real: RealConnection, channel: RealChannel, args: dict) -> None:
    engine = channel.channel
    properties = BasicProperties(**(args.get("properties") or {}))
    found.publishing = (real, channel)
    try:
        message_id = engine.basic_publish(args.get("exchange", ""), args.get("routing_key", ""),
                                          _body(args), properties,
                                          mandatory=bool(args.get("mandatory")))
    except (UnroutableError, NackError):
        return  # the confirm and the return are on their way (``Clients._on_event``)
    except PublishRefused as error:
        raise _fail_channel(channel, RESOURCE_ERROR, f"RESOURCE_ERROR - {error}") from None
    finally:
        found.publishing = None
    if any(held.id == message_id for held in engine.connection.held):
        found.held[message_id] = (real, channel)


def _consume(found: Clients, real: RealConnection, channel: RealChannel, args: dict) -> dict:
    number = channel.number

    def deliver(_channel: Any, method: Any, properties: Any, body: Any) -> None:
        real.push("deliver", number, method, properties, body)

    try:
        tag = channel.channel.basic_consume(
            args["queue"], deliver, auto_ack=bool(args.get("no_ack")),
            exclusive=bool(args.get("exclusive")), consumer_tag=args.get("consumer_tag") or None,
            arguments=args.get("arguments") or None)
    except DuplicateConsumerTag:  # rabbit_channel: a connection error
        raise _connection_error(found, real, NOT_ALLOWED, "NOT_ALLOWED - attempt to reuse "
                                f"consumer tag '{args.get('consumer_tag')}'") from None
    return {"consumer_tag": tag}


def _get(found: Clients, real: RealConnection, channel: RealChannel, args: dict) -> dict:
    method, properties, body = channel.channel.basic_get(args["queue"],
                                                         auto_ack=bool(args.get("no_ack")))
    if method is None:
        return {"empty": True}
    return {"empty": False, "delivery_tag": method.delivery_tag,
            "redelivered": method.redelivered, "exchange": method.exchange,
            "routing_key": method.routing_key, "message_count": method.message_count,
            "properties": properties, "body": body}


def _queue_declare(found: Clients, real: RealConnection, channel: RealChannel,
                   args: dict) -> dict:
    name = channel.channel.queue_declare(
        args.get("queue", ""), durable=bool(args.get("durable")),
        exclusive=bool(args.get("exclusive")), auto_delete=bool(args.get("auto_delete")),
        arguments=args.get("arguments") or None, passive=bool(args.get("passive")))
    queue = found.lab.sim.rabbitmq.queues[name]
    return {"queue": name, "message_count": queue["ready"],
            "consumer_count": len(queue["consumers"])}


def _channel_method(name: str) -> Method:
    """A method that is one call of the engine's channel with the frame's fields."""
    def run(found: Clients, real: RealConnection, channel: RealChannel, args: dict) -> dict:
        result = getattr(channel.channel, name)(**args)
        return {"message_count": result} if isinstance(result, int) else {}
    return run


METHODS: dict[str, Method] = {
    "exchange.declare": _channel_method("exchange_declare"),
    "exchange.delete": _channel_method("exchange_delete"),
    "exchange.bind": _channel_method("exchange_bind"),
    "exchange.unbind": _channel_method("exchange_unbind"),
    "queue.declare": _queue_declare,
    "queue.bind": _channel_method("queue_bind"),
    "queue.unbind": _channel_method("queue_unbind"),
    "queue.purge": _channel_method("queue_purge"),
    "queue.delete": _channel_method("queue_delete"),
    "basic.qos": _channel_method("basic_qos"),
    "basic.consume": _consume,
    "basic.cancel": _channel_method("basic_cancel"),
    "basic.publish": _publish,
    "basic.get": _get,
    "basic.ack": _channel_method("basic_ack"),
    "basic.nack": _channel_method("basic_nack"),
    "basic.reject": _channel_method("basic_reject"),
    "basic.recover": _channel_method("basic_recover"),
    "confirm.select": _channel_method("confirm_delivery"),
}


def amqp(lab: Any, connection: str, channel: int, method: str, args: dict) -> str:
    """One method of a real AMQP client (``mqlab.amqp``); its -ok fields wait in
    ``clients(lab).last.reply``."""
    found = clients(lab)
    found.last = call = Call()
    if method == "connection.open":
        said = _open(lab, connection, args)
    elif method == "connection.close":
        said = _close(lab, connection, args)
    else:
        said = _on_channel(found, connection, channel, method, args, call)
    call.reply = call.reply or {}
    return said


def _on_channel(found: Clients, key: str, number: int, method: str, args: dict,
                call: Call) -> str:
    real = found.connection(key)
    if method == "channel.open":
        return _channel_open(found, real, number)
    channel = found.channel(real, number)
    if method == "channel.close":
        channel.closing = True
        channel.channel.close()
        return f"{real.label} closed channel {number}"
    if method == "channel.fail":  # the listener found a channel error (a frame's field)
        raise _fail_channel(channel, args["code"], args["text"])
    run = METHODS.get(method)
    if run is None:
        raise ArgumentError("method", f"no AMQP method {method!r} here; known: "
                            f"{', '.join(sorted(METHODS))}")
    try:
        call.reply = run(found, real, channel, args)
    except InvalidArgument as error:  # what pika refuses before sending: the broker's 406
        if not channel.channel.is_open:
            raise
        raise _fail_channel(channel, PRECONDITION_FAILED,
                            f"PRECONDITION_FAILED - {error}") from None
    return f"{real.label}: {method} on channel {number}"


FIELDS = (
    Field("connection", "Connection", required=True),
    Field("channel", "Channel", "int", default=0, minimum=0, maximum=65535),
    Field("method", "Method", required=True),
    Field("args", "Arguments", "json", default={}),
)
