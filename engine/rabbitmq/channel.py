"""The channel: pika's ``BlockingChannel`` API over the simulated broker.

A channel lives on a connection (``Connection``); ``sim.rabbitmq.channel()`` gives a channel
on a connection of its own, so closing that channel closes its connection too (what a crashed
single-channel client looks like).

Commands check their Python arguments first: a value pika itself would refuse raises
``InvalidArgument`` and changes nothing. What RabbitMQ refuses (an unknown exchange, an
unknown delivery tag, ...) closes the channel, as RabbitMQ does, and raises
``ChannelClosedByBroker``; any later command raises ``ChannelWrongState``.

Delivery tags count up from 1 per channel ("Consumer Acknowledgements and Publisher
Confirms", delivery tags are channel-scoped). Prefetch: ``basic_qos(n)`` limits each consumer
started afterwards to ``n`` unacked deliveries; ``global_qos=True`` shares ``n`` among the
channel's consumers ("Consumer Prefetch"; 0 means no limit).
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument
from ..topology import node_id
from .amqp_values import check_shortstr, check_table
from .errors import ChannelWrongState, NotImplementedByBroker
from .properties import SHORTSTR_PROPERTIES, BasicProperties, GetOk

if TYPE_CHECKING:
    from .model import RabbitMQ
    from .queues import Queue

Callback = Callable[..., Any]
#: basic.qos prefetch-count is an AMQP short (AMQP 0-9-1 reference, basic.qos).
MAX_PREFETCH = 65535


class Consumer:
    """One ``basic.consume`` subscription."""

    __slots__ = ("tag", "channel", "queue", "callback", "auto_ack", "exclusive", "prefetch",
                 "unacked", "node", "priority")

    def __init__(self, tag: str, channel: Channel, queue: Queue, callback: Callback,
                 auto_ack: bool, exclusive: bool, prefetch: int, priority: int = 0) -> None:
        self.tag = tag
        self.channel = channel
        self.queue = queue
        self.callback = callback
        self.auto_ack = auto_ack
        self.exclusive = exclusive
        # "Consumer Prefetch": the limit is ignored for automatic-acknowledgement consumers.
        self.prefetch = 0 if auto_ack else prefetch
        self.unacked = 0
        self.node = node_id("rabbitmq", "consumer", tag)
        #: "Consumer Priorities": x-priority; higher gets messages first, default 0
        self.priority = priority

    def has_room(self) -> bool:
        channel = self.channel
        return ((self.prefetch == 0 or self.unacked < self.prefetch)
                and (channel.global_prefetch == 0
                     or len(channel.unacked) < channel.global_prefetch))


class Connection:
    """A client connection (pika's ``BlockingConnection``): ``connection.channel()`` opens
    channels on it. Exclusive queues belong to a connection and go when it closes ("Queues"
    guide, exclusive queues). ``sim.rabbitmq.channel()`` makes an implicit connection with
    that one channel, which closes with it."""

    def __init__(self, broker: RabbitMQ, number: int, *, implicit: bool) -> None:
        self._broker = broker
        self.number = number
        self.implicit = implicit
        self.is_open = True
        self.channels: list[Channel] = []
        #: "Memory and Disk Alarms": a connection is blocked by an alarm only once it publishes
        self.published = False
        self.blocked = False
        #: publishes waiting while blocked, oldest first (``alarms.HeldPublish``)
        self.held: list[Any] = []
        self.blocked_callbacks: list[Callback] = []
        self.unblocked_callbacks: list[Callback] = []

    @property
    def is_closed(self) -> bool:
        return not self.is_open

    def channel(self) -> Channel:
        if not self.is_open:
            raise ChannelWrongState(f"connection {self.number} is closed; open a new one with "
                                    "sim.rabbitmq.connection()")
        return self._broker.open_channel(self)

    @property
    def is_blocked(self) -> bool:
        return self.blocked

    def add_on_connection_blocked_callback(self, callback: Callback) -> None:
        """pika's name: ``callback(connection, reason)`` when the broker blocks this
        connection (pika passes the connection.blocked method frame; here its reason, e.g.
        "low on memory"). "Blocked Connection Notifications"."""
        if not callable(callback):
            raise InvalidArgument(f"callback={callback!r} is not callable")
        self.blocked_callbacks.append(callback)

    def add_on_connection_unblocked_callback(self, callback: Callback) -> None:
        """pika's name: ``callback(connection)`` when the broker unblocks this connection."""
        if not callable(callback):
            raise InvalidArgument(f"callback={callback!r} is not callable")
        self.unblocked_callbacks.append(callback)

    def close(self) -> None:
        """Closes every channel on it (their unacked messages requeue) and deletes the
        exclusive queues it declared."""
        if self.is_open:
            self._broker.close_connection(self, f"connection {self.number} closed by the "
                                                "client")

    def __repr__(self) -> str:
        return f"<Connection {self.number} {'open' if self.is_open else 'closed'}>"


class Channel:
    """A pika-shaped channel. Create it with ``sim.rabbitmq.channel()`` (or on an explicit
    ``sim.rabbitmq.connection()``)."""

    def __init__(self, broker: RabbitMQ, number: int, connection: Connection) -> None:
        self._broker = broker
        self.channel_number = number
        self.connection = connection
        #: The application's name for its connection (pika's ``client_properties``
        #: ``connection_name``, which the management UI shows): the diagram draws it.
        self.client_name: str | None = None
        self.is_open = True
        self.prefetch_count = 0
        self.global_prefetch = 0
        self.consumers: dict[str, Consumer] = {}
        #: delivery tag -> message copy, in tag order
        self.unacked: dict[int, Any] = {}
        self.next_tag = 0
        self.next_consumer = 0
        self.confirming = False
        self.publish_seq = 0
        self.return_callbacks: list[Callback] = []
        self.cancel_callbacks: list[Callback] = []
        # Drawn as a producer node once it publishes, but a consumer's channel too: the id says
        # channel, so a log line about an undrawn one does not call it a producer.
        self.node = node_id("rabbitmq", "channel", f"ch{number}")
        self.getter_node = node_id("rabbitmq", "consumer", f"ch{number}.get")
        #: exchanges this channel published to (drawn as producer -> exchange edges)
        self.published_to: dict[str, None] = {}
        self.used_get = False
        #: checks that the oldest unacked delivery is acked in time ("Consumers" guide)
        self.ack_timer: Any = None

    @property
    def is_closed(self) -> bool:
        return not self.is_open

    def __repr__(self) -> str:
        return f"<Channel {self.channel_number} {'open' if self.is_open else 'closed'}>"

    def _check_open(self) -> RabbitMQ:
        if not self.is_open:
            raise ChannelWrongState(
                f"channel {self.channel_number} is closed; open a new one with "
                "sim.rabbitmq.channel()")
        return self._broker

    # -- exchanges ---------------------------------------------------------------------------
    def exchange_declare(self, exchange: str, exchange_type: str = "direct",
                         durable: bool = False, auto_delete: bool = False,
                         arguments: dict[str, Any] | None = None, *, passive: bool = False,
                         internal: bool = False) -> None:
        broker = self._check_open()
        _name("exchange", exchange)
        _text("exchange_type", exchange_type)
        broker.exchange_declare(self, exchange, exchange_type, durable=bool(durable),
                                auto_delete=bool(auto_delete), internal=bool(internal),
                                arguments=_table("arguments", arguments), passive=passive)

    def exchange_delete(self, exchange: str, if_unused: bool = False) -> None:
        broker = self._check_open()
        _name("exchange", exchange)
        broker.exchange_delete(self, exchange, if_unused=bool(if_unused))

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: dict[str, Any] | None = None) -> None:
        """Exchange-to-exchange binding: ``source`` routes on to ``destination``."""
        args = self._binding("exchange", destination, source, routing_key, arguments)
        self._broker.bind(self, *args)

    def exchange_unbind(self, destination: str, source: str, routing_key: str = "",
                        arguments: dict[str, Any] | None = None) -> None:
        args = self._binding("exchange", destination, source, routing_key, arguments)
        self._broker.unbind(self, *args)

    def _binding(self, kind: str, destination: str, source: str, routing_key: str | None,
                 arguments: dict[str, Any] | None) -> tuple[Any, ...]:
        """Checked (source, (kind, destination), key, arguments) of a (un)bind command."""
        self._check_open()
        _name(kind, destination)
        _name("exchange" if kind == "queue" else "source", source)
        # pika: a missing routing key binds with the queue's name (AMQP 0-9-1 queue.bind).
        key = destination if routing_key is None else routing_key
        _name("routing_key", key)
        return source, (kind, destination), key, _table("arguments", arguments)

    # -- queues ------------------------------------------------------------------------------
    def queue_declare(self, queue: str, durable: bool = False, exclusive: bool = False,
                      auto_delete: bool = False, arguments: dict[str, Any] | None = None, *,
                      passive: bool = False) -> str:
        """Returns the queue's name (a server-named ``amq.gen-...`` one when ``queue=""``)."""
        broker = self._check_open()
        _name("queue", queue)
        return broker.queue_declare(self, queue, durable=bool(durable),
                                    exclusive=bool(exclusive), auto_delete=bool(auto_delete),
                                    arguments=_table("arguments", arguments), passive=passive)

    def queue_bind(self, queue: str, exchange: str, routing_key: str | None = None,
                   arguments: dict[str, Any] | None = None) -> None:
        self._broker.bind(self, *self._binding("queue", queue, exchange, routing_key, arguments))

    def queue_unbind(self, queue: str, exchange: str, routing_key: str | None = None,
                     arguments: dict[str, Any] | None = None) -> None:
        self._broker.unbind(self, *self._binding("queue", queue, exchange, routing_key,
                                                 arguments))

    def queue_purge(self, queue: str) -> int:
        """Removes the ready messages; returns how many (unacked ones stay)."""
        broker = self._check_open()
        _name("queue", queue)
        return broker.queue_purge(self, queue)

    def queue_delete(self, queue: str, if_unused: bool = False, if_empty: bool = False) -> int:
        """Deletes the queue and its messages; returns how many ready messages it had."""
        broker = self._check_open()
        _name("queue", queue)
        return broker.queue_delete(self, queue, if_unused=bool(if_unused),
                                   if_empty=bool(if_empty))

    # -- consuming ---------------------------------------------------------------------------
    def basic_qos(self, prefetch_count: int = 0, global_qos: bool = False, *,
                  prefetch_size: int = 0) -> None:
        broker = self._check_open()
        if prefetch_size:
            # "Consumer Prefetch": RabbitMQ does not implement prefetch-size; it closes the
            # connection (rabbit_channel: 540 "prefetch_size!=0 (N)").
            raise broker._fail(self, NotImplementedByBroker(f"prefetch_size!=0 ({prefetch_size})"))
        if (not isinstance(prefetch_count, int) or isinstance(prefetch_count, bool)
                or not 0 <= prefetch_count <= MAX_PREFETCH):
            raise InvalidArgument(
                f"prefetch_count={prefetch_count!r}: give a whole number from 0 (no limit) "
                f"to {MAX_PREFETCH}")
        self._broker.qos(self, prefetch_count, bool(global_qos))

    def basic_consume(self, queue: str, on_message_callback: Callback, auto_ack: bool = False,
                      exclusive: bool = False, consumer_tag: str | None = None,
                      arguments: dict[str, Any] | None = None) -> str:
        """Subscribes ``on_message_callback(channel, method, properties, body)``; returns
        the consumer tag."""
        broker = self._check_open()
        _name("queue", queue)
        if not callable(on_message_callback):
            raise InvalidArgument(
                f"on_message_callback={on_message_callback!r} is not callable; give a function "
                "taking (channel, method, properties, body)")
        if consumer_tag is not None:
            _name("consumer_tag", consumer_tag)
        return broker.consume(self, queue, on_message_callback, bool(auto_ack), bool(exclusive),
                              consumer_tag, _table("arguments", arguments))

    def basic_cancel(self, consumer_tag: str) -> None:
        broker = self._check_open()
        _name("consumer_tag", consumer_tag)
        consumer = self.consumers.get(consumer_tag)
        if consumer is not None:  # cancelling an unknown tag is a no-op in RabbitMQ
            broker.cancel(consumer, f"basic.cancel by channel {self.channel_number}")

    def basic_get(self, queue: str, auto_ack: bool = False
                  ) -> tuple[GetOk, BasicProperties, bytes | str] | tuple[None, None, None]:
        """One message from the head of ``queue``, or ``(None, None, None)`` when empty."""
        broker = self._check_open()
        _name("queue", queue)
        return broker.get(self, queue, bool(auto_ack))

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        broker = self._check_open()
        if type(delivery_tag) is not int or delivery_tag < 0:
            _tag(delivery_tag)
        broker.settle(self, delivery_tag, bool(multiple), "ack", requeue=False)
        if broker.alarm:  # an ack only frees memory: it can clear an alarm, never raise one
            broker.check_memory()

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        broker = self._check_open()
        _tag(delivery_tag)
        broker.settle(self, delivery_tag, bool(multiple), "nack", requeue=bool(requeue))
        broker.check_memory()

    def basic_reject(self, delivery_tag: int, requeue: bool = True) -> None:
        broker = self._check_open()
        _tag(delivery_tag)
        broker.settle(self, delivery_tag, False, "reject", requeue=bool(requeue))
        broker.check_memory()

    def basic_recover(self, requeue: bool = True) -> None:
        """Requeue every unacked delivery of this channel (basic.recover requeue=true)."""
        broker = self._check_open()
        if not requeue:  # rabbit_channel: a connection error, 540 NOT_IMPLEMENTED
            raise broker._fail(self, NotImplementedByBroker("requeue=false"))
        broker.recover(self)

    # -- publishing --------------------------------------------------------------------------
    def basic_publish(self, exchange: str, routing_key: str, body: bytes | str,
                      properties: BasicProperties | None = None,
                      mandatory: bool = False) -> str:
        """Publishes; returns the message id mqlab gives it (pika returns None).

        In confirm mode, as with pika, a returned ``mandatory`` message raises
        ``UnroutableError`` and a nacked one raises ``NackError``.
        """
        broker = self._check_open()
        _name("exchange", exchange)
        _name("routing_key", routing_key)
        if type(body) is bytes:
            size = len(body)
        elif type(body) is str:
            size = len(body.encode())
        else:
            raise InvalidArgument(f"body={body!r}: give bytes or str")
        if properties is None:
            properties = BasicProperties()
        elif not isinstance(properties, BasicProperties):
            raise InvalidArgument(
                f"properties={properties!r}: give an engine.rabbitmq.BasicProperties")
        else:
            _check_properties(properties)
        if broker.alarm or self.connection.blocked or not self.connection.published:
            # "Memory and Disk Alarms": a blocked connection's publishes wait, in order.
            held = broker.hold_if_blocked(
                self, (exchange, routing_key, body, properties, mandatory, size))
            if held is not None:
                return held
        return broker.publish(self, exchange, routing_key, body, properties, mandatory, size)

    def confirm_delivery(self) -> None:
        """Publisher confirms: each publish is acked (or nacked) by the broker."""
        self._check_open()
        self._broker.confirm_select(self)

    def add_on_return_callback(self, callback: Callback) -> None:
        """``callback(channel, method, properties, body)`` for each returned message."""
        if not callable(callback):
            raise InvalidArgument(f"callback={callback!r} is not callable")
        self.return_callbacks.append(callback)

    def add_on_cancel_callback(self, callback: Callback) -> None:
        """``callback(method)`` when the broker cancels one of this channel's consumers (its
        queue was deleted); ``method`` is a ``Cancel`` (pika passes the Basic.Cancel method
        frame). pika announces the ``consumer_cancel_notify`` capability, so RabbitMQ always
        sends it ("Consumer Cancel Notification", https://www.rabbitmq.com/docs/consumer-cancel)."""
        if not callable(callback):
            raise InvalidArgument(f"callback={callback!r} is not callable")
        self.cancel_callbacks.append(callback)

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Closes the channel; its unacked messages go back to their queues."""
        if self.is_open:
            self._broker.close_channel(
                self, f"channel {self.channel_number} closed by the client ({reply_code} "
                f"{reply_text})")


_name = check_shortstr


def _text(what: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidArgument(f"{what}={value!r}: give a string")


def _table(what: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InvalidArgument(
            f"{what}={reprlib.repr(value)}: give a dict with string keys, or None")
    check_table(what, value)
    return dict(value)


def _tag(delivery_tag: Any) -> None:
    if not isinstance(delivery_tag, int) or isinstance(delivery_tag, bool) or delivery_tag < 0:
        raise InvalidArgument(f"delivery_tag={delivery_tag!r}: give a whole number >= 0")


def _check_properties(properties: BasicProperties) -> None:
    priority = properties.priority
    if priority is not None and (not isinstance(priority, int) or not 0 <= priority <= 255):
        raise InvalidArgument(f"priority={priority!r}: give a whole number from 0 to 255")
    mode = properties.delivery_mode
    if mode is not None and (not isinstance(mode, int) or not 0 <= mode <= 255):
        # an AMQP octet, as pika encodes it; the broker refuses other octets than 1 and 2
        raise InvalidArgument(f"delivery_mode={mode!r}: give 1 (transient) or 2 (persistent)")
    expiration = properties.expiration
    if expiration is not None and not isinstance(expiration, str):
        raise InvalidArgument(
            f"expiration={expiration!r}: give a string of whole milliseconds, e.g. '60000'")
    headers = properties.headers
    if headers is not None:
        _table("headers", headers)
    for name in SHORTSTR_PROPERTIES:
        value = getattr(properties, name)
        if value is not None:
            check_shortstr(name, value)
