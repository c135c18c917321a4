"""The RabbitMQ broker model: one vhost ("/") of exchanges, queues and channels.

``sim.rabbitmq`` is a ``RabbitMQ``; clients talk to it through channels
(``sim.rabbitmq.channel()``, see ``channel.py``). This module owns the registry (declare,
bind, delete), consumers and channel closing, and the broker restart. Publishing and routing
live in ``routing.py``, delivery and acknowledgements in ``delivery.py``, the memory alarm
and blocked connections in ``alarms.py``, and what the
simulation asks of every broker model (topology, contents, locations) in ``views.py``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..broker import BrokerModel
from ..errors import InvalidArgument
from ..limits import over
from ..topology import node_id
from .alarms import Alarms
from .arguments import DECLARE_ARGS, Text, amqp_type, erlang_text, inequivalent
from .channel import Channel, Connection, Consumer
from .delivery import Delivery
from .errors import (
    AccessRefused,
    ChannelClosedByBroker,
    CommandInvalid,
    ConnectionClosedByBroker,
    DuplicateConsumerTag,
    NotFound,
    NotImplementedByBroker,
    PreconditionFailed,
    ResourceLocked,
)
from .exchanges import (
    CLASSES,
    DEFAULT,
    DEFAULT_NODE_NAME,
    MATCH_MODES,
    PREDECLARED,
    TYPES,
    Binding,
    DirectExchange,
    Exchange,
    binding_key,
    binding_text,
)
from .message import json_safe
from .properties import Cancel
from .queues import QUORUM, Queue, let_go
from .routing import Routing
from .views import Views, holder

if TYPE_CHECKING:
    from ..simulation import Simulation

BROKER = "rabbitmq"
VHOST = "'/'"
#: consumer arguments only stream queues take (rabbit_stream_queue capabilities)
STREAM_CONSUMER_ARGS = frozenset({"x-stream-offset", "x-stream-filter",
                                  "x-stream-match-unfiltered"})
#: Server-named queues look like RabbitMQ's: "amq.gen-" and 22 url-safe base64 characters.
GENERATED_CHARS = string.ascii_letters + string.digits + "-_"


def _node(kind: str, name: str) -> str:
    return node_id(BROKER, kind, DEFAULT_NODE_NAME if kind == "exchange" and not name else name)


#: The broker restarted (message_id None); its details say what survived and what was lost.
BROKER_RESTARTED = "broker-restarted"


@dataclass(frozen=True, slots=True)
class RestartReport:
    """What a restart kept and lost (RabbitMQ.restart's answer)."""

    #: durable queues that came back, and the messages each holds now
    kept_queues: dict[str, int]
    #: transient (non-durable) queues deleted, with their messages
    lost_queues: tuple[str, ...]
    #: exclusive queues deleted because their connection dropped
    exclusive_queues: tuple[str, ...]
    lost_exchanges: tuple[str, ...]
    #: transient messages lost, in durable queues and with the transient queues
    lost_messages: int

    def summary(self) -> str:
        kept = ", ".join(f"'{n}' ({c} message(s))" for n, c in self.kept_queues.items())
        parts = [f"broker restarted: kept {kept or 'no queue'}"]
        gone = [*self.lost_queues, *self.exclusive_queues]
        if gone:
            parts.append(f"transient or exclusive queue(s) gone: "
                         f"{', '.join(repr(n) for n in gone)}")
        parts.append(f"{self.lost_messages} transient message(s) lost")
        return "; ".join(parts)


class RabbitMQ(Routing, Delivery, Alarms, Views, BrokerModel):
    """A simulated RabbitMQ broker (one vhost)."""

    name = BROKER

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._exchanges: dict[str, Exchange] = {}
        self._queues: dict[str, Queue] = {}
        self._channels: dict[int, Channel] = {}
        self._connections: list[Connection] = []
        self._connection_numbers = 0
        self._channel_numbers = 0
        self._consumer_numbers = 0
        #: the room's budget: copies in queues (ready + unacked), and publishes held while
        #: the memory alarm blocks their connections (``alarms.py``)
        self.stored = sim.account()
        self.waiting = sim.account()
        self._declare_builtins()

    def _declare_builtins(self) -> None:
        self._exchanges[DEFAULT] = DirectExchange(DEFAULT, "direct", _node("exchange", DEFAULT),
                                                  durable=True)
        for name, kind in PREDECLARED.items():
            self._exchanges[name] = CLASSES[kind](name, kind, _node("exchange", name),
                                                  durable=True)

    # -- connections and channels ------------------------------------------------------------
    def connection(self) -> Connection:
        """Open a client connection; open channels on it with ``connection.channel()``."""
        return self._new_connection(implicit=False)

    def channel(self) -> Channel:
        """Open a new channel, on a connection of its own."""
        return self.open_channel(self._new_connection(implicit=True))

    def _new_connection(self, *, implicit: bool) -> Connection:
        self._connection_numbers += 1
        connection = Connection(self, self._connection_numbers, implicit=implicit)
        self._connections.append(connection)
        return connection

    def open_channel(self, connection: Connection) -> Channel:
        self._channel_numbers += 1
        channel = Channel(self, self._channel_numbers, connection)
        self._channels[channel.channel_number] = channel
        connection.channels.append(channel)
        return channel

    def crash_connection(self, consumer_tag: str) -> None:
        """Simulate the crash of the client behind ``consumer_tag``: its connection drops,
        so its channels close and their unacked messages return to their queues."""
        for channel in self._channels.values():
            if consumer_tag in channel.consumers:
                self.close_connection(
                    channel.connection, f"connection of consumer {consumer_tag} crashed; its "
                    "unacked messages go back to their queues")
                return
        raise InvalidArgument(f"no consumer '{consumer_tag}' on any open channel; open "
                              f"consumers: {', '.join(self.consumers) or 'none'}")

    def close_connection(self, connection: Connection, reason: str, error: int = 0) -> None:
        """Close every channel of ``connection``, then delete its exclusive queues."""
        if not connection.is_open:
            return
        connection.is_open = False
        for channel in connection.channels:
            self._close_one_channel(channel, reason, error)
        for queue in list(self._queues.values()):
            if queue.exclusive and queue.owner is connection:
                self._remove_queue(queue, f"exclusive queue '{queue.name}' deleted: its "
                                   "connection closed", ev.DELETED)

    def _fail(self, channel: Channel, error: ChannelClosedByBroker) -> Exception:
        """Close ``channel`` (its connection, for a hard error) as RabbitMQ does; return the
        error to raise."""
        if isinstance(error, ConnectionClosedByBroker):
            self.close_connection(channel.connection, error.reply_text, error.reply_code)
        else:
            self.close_channel(channel, error.reply_text, error.reply_code)
        return error

    # -- the room's caps ---------------------------------------------------------------------
    def _check_cap(self, channel: Channel, kind: str, name: str, count: int,
                   limit: int) -> None:
        """Refuse one more ``kind`` past the room's cap, as a vhost limit refuses a queue:
        rabbit_channel's check_vhost_queue_limit answers queue.declare with
        ``406 PRECONDITION_FAILED - cannot declare queue 'q': queue limit in vhost '/' (N) is
        reached`` ("Virtual Hosts" guide, max-queues). RabbitMQ has no such limit on
        exchanges, bindings or consumers; mqlab words those caps the same way."""
        if count >= limit:
            raise self._fail(channel, PreconditionFailed(
                f"cannot declare {kind} '{name}': {kind} limit in vhost {VHOST} ({limit}) is "
                f"reached; " + over(f"{kind}s", limit)))

    def _user_exchanges(self) -> int:
        return len(self._exchanges) - 1 - len(PREDECLARED)  # the default and amq.* built-ins

    def consumer_count(self) -> int:
        return sum(len(queue.consumers) for queue in self._queues.values())

    # -- exchanges ---------------------------------------------------------------------------
    def exchange_declare(self, channel: Channel, name: str, exchange_type: str, *,
                         durable: bool, auto_delete: bool, internal: bool,
                         arguments: dict[str, Any], passive: bool) -> None:
        existing = self._exchanges.get(name)
        if passive:
            if not name:  # rabbit_channel refuses the default exchange even passively
                raise self._fail(channel, AccessRefused(
                    "operation not permitted on the default exchange"))
            if existing is None:
                raise self._fail(channel, NotFound(f"no exchange '{name}' in vhost {VHOST}"))
            return
        # rabbit_channel's order: the type (a connection error), the default exchange, then
        # an existing exchange must be equivalent (so re-declaring amq.topic as it is works)
        # and only a new name is checked for the reserved amq. prefix ("Exchanges" guide).
        if exchange_type not in TYPES:
            raise self._fail(channel, CommandInvalid(
                f"unknown exchange type '{exchange_type}'"))
        if not name:
            raise self._fail(channel, AccessRefused(
                "operation not permitted on the default exchange"))
        wanted = {"type": exchange_type, "durable": durable, "auto_delete": auto_delete,
                  "internal": internal, "arguments": arguments}
        if existing is not None:
            self._check_equivalent(channel, "exchange", name, existing.settings(),
                                   wanted)
            return
        if name.startswith("amq."):
            raise self._fail(channel, AccessRefused(
                f"exchange name '{name}' contains reserved prefix 'amq.*'"))
        self._check_cap(channel, "exchange", name, self._user_exchanges(),
                        self.sim.limits.max_exchanges)
        exchange = CLASSES[exchange_type](name, exchange_type, _node("exchange", name),
                                          durable=durable, auto_delete=auto_delete,
                                          internal=internal, arguments=arguments)
        exchange.used = True  # declared by the user: drawn from the start
        self._exchanges[name] = exchange
        self._emit_topology(ev.DECLARED, source=exchange.node,
                            reason=f"exchange '{name}' declared ({exchange_type}"
                            f"{', durable' if durable else ''})",
                            details={"type": exchange_type, "durable": durable,
                                     "auto_delete": auto_delete, "internal": internal,
                                     "arguments": arguments})

    def exchange_delete(self, channel: Channel, name: str, *, if_unused: bool) -> None:
        exchange = self._exchanges.get(name)
        if name == DEFAULT or name in PREDECLARED:
            raise self._fail(channel, AccessRefused(
                "operation not permitted on the default exchange" if not name
                else f"deletion of system exchange '{name}' in vhost {VHOST} not allowed"))
        if exchange is None:
            return  # exchange.delete of a missing exchange succeeds (idempotent since 3.x)
        # rabbit_exchange: "in use" means bindings from it; being a destination does not count
        if if_unused and exchange.bindings:
            raise self._fail(channel, PreconditionFailed(
                f"exchange '{name}' in vhost {VHOST} in use"))
        self._remove_exchange(exchange, f"exchange '{name}' deleted")

    def _remove_exchange(self, exchange: Exchange, reason: str) -> None:
        for binding in list(exchange.bindings.values()) + self._bindings_to(exchange):
            self._drop_binding(binding, f"{reason}, so its binding goes too")
        del self._exchanges[exchange.name]
        self._emit_topology(ev.REMOVED, source=exchange.node, reason=reason)

    def _bindings_to(self, exchange: Exchange) -> list[Binding]:
        return [b for x in self._exchanges.values() for b in x.bindings.values()
                if b.destination is exchange]

    # -- queues ------------------------------------------------------------------------------
    def queue_declare(self, channel: Channel, name: str, *, durable: bool, exclusive: bool,
                      auto_delete: bool, arguments: dict[str, Any], passive: bool) -> str:
        named = bool(name)
        if not name and not passive:
            name = self._generated_name()
        existing = self._queues.get(name)
        if passive:
            if existing is None:
                raise self._fail(channel, NotFound(f"no queue '{name}' in vhost {VHOST}"))
            self._check_exclusive(channel, existing)
            if existing.type != QUORUM:  # a passive re-declare renews the x-expires lease too
                self._touch(existing)  # (seen on RabbitMQ 3.10)
            return name
        if named and name.startswith("amq.") and existing is None:  # even "amq.gen-..."
            raise self._fail(channel, AccessRefused(
                f"queue name '{name}' contains reserved prefix 'amq.*'"))
        if existing is not None:
            self._check_exclusive(channel, existing, strict=exclusive)
            self._check_equivalent(channel, "queue", name, existing.settings(),
                                   {"durable": durable, "exclusive": exclusive,
                                    "auto_delete": auto_delete, "arguments": arguments})
            if existing.type != QUORUM:  # "Quorum Queues": re-declaring renews no lease
                self._touch(existing)
            return name
        self._check_cap(channel, "queue", name, len(self._queues), self.sim.limits.max_queues)
        try:
            queue = Queue(name, _node("queue", name), durable=durable, exclusive=exclusive,
                          auto_delete=auto_delete, arguments=arguments,
                          owner=channel.connection if exclusive else None)
        except PreconditionFailed as error:
            raise self._fail(channel, error) from None
        if queue.type == QUORUM and (not durable or exclusive or auto_delete):
            # "Quorum Queues": they are always durable, never exclusive nor auto-delete;
            # rabbit_queue_type_util checks in this order, with these words.
            what = ("auto-delete" if auto_delete else "exclusive-owner" if exclusive
                    else "non-durable")
            raise self._fail(channel, PreconditionFailed(
                f"invalid property '{what}' for queue '{name}' in vhost {VHOST}"))
        queue.account = self.stored
        self._queues[name] = queue
        self._touch(queue)
        self._emit_topology(ev.DECLARED, source=queue.node,
                            reason=f"queue '{name}' declared ({_queue_traits(queue)})",
                            details={"queue_type": queue.type, **queue.settings()})
        return name

    def _generated_name(self) -> str:
        while True:
            suffix = "".join(self.sim.random.choice(GENERATED_CHARS) for _ in range(22))
            name = f"amq.gen-{suffix}"
            if name not in self._queues:
                return name

    def _touch(self, queue: Queue) -> None:
        """The queue was used: its x-expires countdown starts again ("TTL" guide, queue TTL:
        unused means no consumers, no basic.get and no re-declare for the whole period)."""
        queue.last_used = self.sim.now
        if queue.expires is not None and queue.expires_timer is None and not queue.consumers:
            queue.expires_timer = self.sim.call_at(queue.last_used + queue.expires / 1000,
                                                   self._on_queue_expiry, queue)

    def _on_queue_expiry(self, queue: Queue) -> None:
        queue.expires_timer = None
        if self._queues.get(queue.name) is not queue or queue.consumers:
            return  # gone already, or in use: the last consumer leaving re-arms it
        due = queue.last_used + queue.expires / 1000
        if self.sim.now < due:
            queue.expires_timer = self.sim.call_at(due, self._on_queue_expiry, queue)
            return
        # "Dead Letter Exchanges": messages of an expired queue are not dead-lettered.
        self._remove_queue(queue, f"queue '{queue.name}' expired: unused for "
                           f"{queue.expires} ms (x-expires)", ev.DELETED)

    def _check_exclusive(self, channel: Channel, queue: Queue, strict: bool | None = None
                         ) -> None:
        """"Queues" guide, exclusive queues: only the declaring connection may use one. A
        re-declare is ``strict`` (``rabbit_amqqueue:check_exclusive_access``): its exclusive
        flag must match too, else the same 405 (not an "inequivalent arg" 406)."""
        owner = None if strict is None else channel.connection if strict else None
        locked = (queue.owner is not owner if strict is not None
                  else queue.exclusive and queue.owner is not channel.connection)
        if locked:
            raise self._fail(channel, ResourceLocked(
                f"cannot obtain exclusive access to locked queue '{queue.name}' in vhost "
                f"{VHOST}. It could be originally declared on another connection or the "
                "exclusive property value does not match that of the original declaration."))

    def _check_equivalent(self, channel: Channel, what: str, name: str,
                          current: dict[str, Any], wanted: dict[str, Any]) -> None:
        """Re-declaring with other properties is refused (AMQP 0-9-1 exchange.declare /
        queue.declare: "inequivalent arg"). Only the arguments RabbitMQ knows are compared
        (``arguments.py``), and a classic queue's missing x-queue-type means "classic"."""
        for key, value in wanted.items():
            if key == "arguments":
                known = DECLARE_ARGS if what == "queue" else ("alternate-exchange",)
                for arg in known:
                    have, want = current[key].get(arg), value.get(arg)
                    default = "classic" if arg == "x-queue-type" else None
                    if (default if have is None else have) != (default if want is None
                                                                else want):
                        raise self._fail(channel, inequivalent(
                            what, name, arg, have, want, typed=have is None or want is None))
            elif current[key] != value:
                raise self._fail(channel, PreconditionFailed(
                    f"inequivalent arg '{key}' for {what} '{name}' in vhost {VHOST}: "
                    f"received {_amqp(value)} but current is {_amqp(current[key])}"))

    def _queue(self, channel: Channel, name: str) -> Queue:
        queue = self._queues.get(name)
        if queue is None:
            raise self._fail(channel, NotFound(f"no queue '{name}' in vhost {VHOST}"))
        self._check_exclusive(channel, queue)
        return queue

    def _exchange(self, channel: Channel, name: str) -> Exchange:
        exchange = self._exchanges.get(name)
        if exchange is None:
            raise self._fail(channel, NotFound(f"no exchange '{name}' in vhost {VHOST}"))
        return exchange

    def queue_purge(self, channel: Channel, name: str) -> int:
        queue = self._queue(channel, name)
        messages = list(queue.ready)
        queue.ready.clear()
        queue.bytes = 0
        for message in messages:
            let_go(message)
            self.sim.emit(ev.PURGED, BROKER, message.id, queue.node, None,
                          f"queue '{name}' purged", None, {"rule": "purge", "queue": name})
        self._arm_expiry(queue)
        self.check_memory()
        return len(messages)

    def queue_delete(self, channel: Channel, name: str, *, if_unused: bool,
                     if_empty: bool) -> int:
        queue = self._queues.get(name)
        if queue is None:
            return 0  # queue.delete of a missing queue succeeds (idempotent since 3.x)
        self._check_exclusive(channel, queue)
        if if_unused and queue.consumers:
            raise self._fail(channel, PreconditionFailed(
                f"queue '{name}' in vhost {VHOST} in use"))
        if if_empty and queue.ready:
            raise self._fail(channel, PreconditionFailed(
                f"queue '{name}' in vhost {VHOST} not empty"))
        return self._remove_queue(queue, f"queue '{name}' deleted", ev.DELETED)

    def _remove_queue(self, queue: Queue, reason: str, fate: str) -> int:
        """Delete a queue: consumers cancelled, bindings gone, every copy it held ``fate``.

        It leaves the vhost first, so cancelling its last consumer does not auto-delete it a
        second time under us ("Queues" guide: queue.delete cancels the consumers, which get
        basic.cancel when they announced the ``consumer_cancel_notify`` capability, as pika
        does; an auto-delete queue is deleted once, here)."""
        del self._queues[queue.name]
        for consumer in list(queue.consumers):
            self.cancel(consumer, f"{reason}; the broker cancels its consumers")
            self._notify_cancel(consumer)
        for binding in list(queue.bindings.values()):
            self._drop_binding(binding, f"{reason}, so its binding goes too")
        count = len(queue.ready)
        cause = {"rule": "queue-deleted", "queue": queue.name, "how": reason}
        for message in list(queue.ready):
            let_go(message)
            self.sim.emit(fate, BROKER, message.id, queue.node, None, reason, None, cause)
        queue.ready.clear()
        for channel in self._channels.values():
            for message in channel.unacked.values():
                if message.queue is queue:  # the tag stays valid: acking it later is harmless
                    let_go(message)
                    self.sim.emit(fate, BROKER, message.id, holder(message), None, reason,
                                  None, cause)
        for timer in (queue.expiry_timer, queue.expires_timer):
            if timer is not None:
                timer.cancel()
        self._emit_topology(ev.REMOVED, source=queue.node, reason=reason)
        self.check_memory()
        return count

    # -- bindings ----------------------------------------------------------------------------
    def bind(self, channel: Channel, source: str, destination: tuple[str, str],
             routing_key: str, arguments: dict[str, Any]) -> None:
        exchange, target = self._binding_ends(channel, source, destination)
        _check_match_mode(self, channel, exchange, arguments)
        binding = Binding(exchange, target, routing_key, arguments)
        if binding.key in exchange.bindings:
            return  # binding twice is a no-op
        self._check_cap(channel, "binding", f"{source} -> {target.name}",
                        sum(len(x.bindings) for x in self._exchanges.values()),
                        self.sim.limits.max_bindings)
        exchange.add(binding)
        exchange.used = True
        if isinstance(target, Queue):
            target.bindings[binding.key] = binding
        if exchange.type == "headers":  # "Exchanges" guide: the key is ignored, headers match
            matching = f"matching headers ({binding_text('headers', routing_key, arguments)})"
        else:
            matching = f"with key '{routing_key}'"
        self._emit_topology(ev.BOUND, source=exchange.node, target=target.node,
                            reason=f"{target.KIND} '{target.name}' bound to {exchange.type} "
                            f"exchange '{source}' {matching}",
                            details={"routing_key": routing_key, "arguments": arguments})

    def unbind(self, channel: Channel, source: str, destination: tuple[str, str],
               routing_key: str, arguments: dict[str, Any]) -> None:
        exchange, target = self._binding_ends(channel, source, destination)
        binding = exchange.bindings.get(binding_key(source, target, routing_key, arguments))
        if binding is None:
            return  # unbinding a missing binding succeeds (RabbitMQ 3.x+)
        self._drop_binding(binding, f"{target.KIND} '{target.name}' unbound from exchange "
                           f"'{source}' (key '{routing_key}')")

    def _binding_ends(self, channel: Channel, source: str,
                      destination: tuple[str, str]) -> tuple[Exchange, Any]:
        """Both ends must exist; the default exchange takes no explicit bindings ("Exchanges"
        guide, default exchange)."""
        exchange = self._exchange(channel, source)
        kind, name = destination
        target = self._queue(channel, name) if kind == "queue" else self._exchange(channel, name)
        if not source or (kind == "exchange" and not name):
            raise self._fail(channel, AccessRefused(
                "operation not permitted on the default exchange"))
        return exchange, target

    def _drop_binding(self, binding: Binding, reason: str) -> None:
        exchange = binding.source
        if binding.key not in exchange.bindings:
            return
        exchange.remove(binding)
        if isinstance(binding.destination, Queue):
            binding.destination.bindings.pop(binding.key, None)
        self._emit_topology(ev.UNBOUND, source=exchange.node, target=binding.destination.node,
                            reason=reason, details={"routing_key": binding.routing_key})
        # AMQP 0-9-1 exchange.declare auto-delete: gone once its last binding is removed.
        if (exchange.auto_delete and not exchange.bindings
                and self._exchanges.get(exchange.name) is exchange):
            self._remove_exchange(exchange, f"exchange '{exchange.name}' auto-deleted: its "
                                  "last binding was removed")

    # -- consumers ---------------------------------------------------------------------------
    def qos(self, channel: Channel, prefetch_count: int, global_qos: bool) -> None:
        if global_qos:
            channel.global_prefetch = prefetch_count
            for consumer in channel.consumers.values():
                self._kick(consumer.queue)
        else:
            channel.prefetch_count = prefetch_count

    def consume(self, channel: Channel, queue_name: str, callback: Any, auto_ack: bool,
                exclusive: bool, tag: str | None, arguments: dict[str, Any] | None = None
                ) -> str:
        queue = self._queue(channel, queue_name)
        priority = self._consumer_priority(channel, queue, arguments or {})
        if tag is None or tag == "":
            channel.next_consumer += 1
            tag = f"ctag{channel.channel_number}.{channel.next_consumer}"
        if tag in channel.consumers:
            # pika refuses a tag in use on the channel before sending (DuplicateConsumerTag),
            # so the channel stays open; RabbitMQ itself would close the connection with
            # 530 NOT_ALLOWED "attempt to reuse consumer tag" (rabbit_channel).
            raise DuplicateConsumerTag(f"consumer tag '{tag}' is already in use on channel "
                                       f"{channel.channel_number}")
        # "Consumers" guide: an exclusive consumer needs the queue to itself, and a single
        # active consumer queue refuses exclusive consumers.
        if (exclusive and (queue.consumers or queue.single_active)
                or any(c.exclusive for c in queue.consumers)):
            raise self._fail(channel, AccessRefused(
                f"queue '{queue_name}' in vhost {VHOST} in exclusive use"))
        if queue.type == QUORUM and channel.global_prefetch:
            # "Quorum Queues" feature matrix: no global QoS (rabbit_quorum_queue:consume).
            raise self._fail(channel, NotImplementedByBroker(
                f"queue '{queue_name}' in vhost {VHOST} does not support global qos"))
        self._check_cap(channel, "consumer", tag, self.consumer_count(),
                        self.sim.limits.max_consumers)
        consumer = Consumer(tag, channel, queue, callback, auto_ack, exclusive,
                            channel.prefetch_count, priority)
        channel.consumers[tag] = consumer
        standby = queue.single_active and bool(queue.consumers)
        queue.consumers.append(consumer)
        queue.ranked_consumers += priority != 0
        queue.had_consumer = True
        self._emit_topology(ev.CONSUMER_ADDED, source=queue.node, target=consumer.node,
                            reason=f"{tag} consumes from '{queue_name}'"
                            f"{' with auto-ack' if auto_ack else ''}"
                            f"{f', prefetch {consumer.prefetch}' if consumer.prefetch else ''}"
                            f"{' (standby: single active consumer)' if standby else ''}"
                            f"{f', x-priority {priority}' if priority else ''}",
                            details={"auto_ack": auto_ack, "prefetch": consumer.prefetch,
                                     "priority": priority,
                                     "exclusive": exclusive, "channel": channel.channel_number,
                                     "active": not standby})
        self._kick(queue)
        return tag

    def _consumer_priority(self, channel: Channel, queue: Queue,
                           arguments: dict[str, Any]) -> int:
        """basic.consume arguments: only x-priority ("Consumer Priorities") is simulated.
        RabbitMQ ignores arguments no queue type knows, refuses one that only another queue
        type takes (a stream offset), and checks x-priority as an integer argument (all seen
        on RabbitMQ 3.10)."""
        where = f"queue '{queue.name}' in vhost {VHOST}"
        foreign = sorted(set(arguments) & STREAM_CONSUMER_ARGS)
        if foreign:
            raise self._fail(channel, PreconditionFailed(
                f"invalid arg '{foreign[0]}' for {where} of queue type rabbit_{queue.type}_queue"))
        priority = arguments.get("x-priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise self._fail(channel, PreconditionFailed(
                f"invalid arg 'x-priority' for {where}: "
                f"{erlang_text(Text(f'expected integer, got {amqp_type(priority)}'))}"))
        return priority

    def cancel(self, consumer: Consumer, reason: str) -> None:
        """Stop a consumer. Its unacked messages stay unacked on the channel (basic.cancel
        does not requeue them; closing the channel does)."""
        queue = consumer.queue
        channel = consumer.channel
        channel.consumers.pop(consumer.tag, None)
        was_active = bool(queue.consumers) and queue.consumers[0] is consumer
        if consumer in queue.consumers:
            index = queue.consumers.index(consumer)
            queue.consumers.remove(consumer)
            queue.ranked_consumers -= consumer.priority != 0
            if index < queue.next_consumer:
                queue.next_consumer -= 1
            if queue.next_consumer >= len(queue.consumers):
                queue.next_consumer = 0
        if queue.single_active and was_active and queue.consumers:
            reason += f"; {queue.consumers[0].tag} becomes the single active consumer"
        self._emit_topology(ev.CONSUMER_REMOVED, source=queue.node, target=consumer.node,
                            reason=reason)
        self._kick(queue)
        if not queue.consumers:
            self._touch(queue)
        # "Queues" guide: an auto-delete queue is deleted when its last consumer is cancelled.
        if (queue.auto_delete and queue.had_consumer and not queue.consumers
                and self._queues.get(queue.name) is queue):
            self._remove_queue(queue, f"queue '{queue.name}' auto-deleted: its last consumer "
                               "left", ev.DELETED)

    def _notify_cancel(self, consumer: Consumer) -> None:
        """"Consumer Cancel Notification": a client that announced consumer_cancel_notify
        (pika does) gets basic.cancel for a consumer the broker cancelled."""
        channel = consumer.channel
        if channel.is_open:
            for callback in list(channel.cancel_callbacks):
                self.sim.call_soon(callback, Cancel(consumer.tag))

    def confirm_select(self, channel: Channel) -> None:
        channel.confirming = True

    def close_channel(self, channel: Channel, reason: str, error: int = 0) -> None:
        """Close a channel: consumers cancelled, unacked messages requeued ("Consumer
        Acknowledgements": on channel closure unacked deliveries are requeued). A channel
        from ``sim.rabbitmq.channel()`` takes its implicit connection with it."""
        if channel.connection.implicit:
            channel.connection.is_open = False
        self._close_one_channel(channel, reason, error)
        if channel.connection.implicit:
            for queue in list(self._queues.values()):
                if queue.exclusive and queue.owner is channel.connection:
                    self._remove_queue(queue, f"exclusive queue '{queue.name}' deleted: its "
                                       "connection closed", ev.DELETED)

    def _close_one_channel(self, channel: Channel, reason: str, error: int) -> None:
        if not channel.is_open:
            return
        channel.is_open = False
        self.drop_held_of(channel, f"{reason}: a publish it held was never read")
        for consumer in list(channel.consumers.values()):
            self.cancel(consumer, f"channel {channel.channel_number} closed")
        self.recover(channel, why="channel closed")
        self._emit_topology(ev.CHANNEL_CLOSED, source=channel.node, reason=reason,
                            details={"channel": channel.channel_number, "reply_code": error,
                                     "connection": channel.connection.number})

    # -- restart -----------------------------------------------------------------------------
    def restart(self) -> RestartReport:
        """Stop and start the broker. Connections drop (their unacked messages requeue, and
        their exclusive queues are deleted); durable exchanges, queues and bindings come back
        with the persistent messages of durable queues; everything else is lost, each loss an
        event, and a closing ``broker-restarted`` event (and the returned report) sums it up.

        "Queues" guide, durability: transient queues are deleted on node boot; messages
        published as transient are discarded on restart even in a durable queue. Quorum
        queues keep every message ("Quorum Queues": all data is written to disk).
        "Reliability Guide": to survive a restart a message must be published as persistent
        (delivery_mode 2) to a durable queue.
        """
        exclusive = [q.name for q in self._queues.values() if q.exclusive]
        for connection in list(self._connections):
            self.close_connection(connection, "broker restarted: the connection was lost")
        lost_queues, lost_messages = [], 0
        for queue in list(self._queues.values()):
            if not queue.durable:
                lost_queues.append(queue.name)
                lost_messages += len(queue.ready)
                self._remove_queue(queue, f"broker restarted: transient queue '{queue.name}' "
                                   "is gone", ev.LOST)
            elif queue.type != QUORUM:
                lost_messages += self._lose_transient(queue)
        lost_exchanges = []
        for exchange in list(self._exchanges.values()):
            if not exchange.durable:
                lost_exchanges.append(exchange.name)
                self._remove_exchange(exchange, f"broker restarted: transient exchange "
                                      f"'{exchange.name}' is gone")
        self.check_memory()
        report = RestartReport(
            kept_queues={name: len(q.ready) for name, q in self._queues.items()},
            lost_queues=tuple(lost_queues), exclusive_queues=tuple(exclusive),
            lost_exchanges=tuple(lost_exchanges), lost_messages=lost_messages)
        self.sim.emit(BROKER_RESTARTED, BROKER, None, None, None, report.summary(),
                      {"kept_queues": dict(report.kept_queues),
                       "lost_queues": list(report.lost_queues),
                       "exclusive_queues": list(report.exclusive_queues),
                       "lost_exchanges": list(report.lost_exchanges),
                       "lost_messages": report.lost_messages})
        return report

    def _lose_transient(self, queue: Queue) -> int:
        """Drop the transient messages of a durable queue; how many there were."""
        kept = [m for m in queue.ready if m.persistent]
        for message in queue.ready:
            if not message.persistent:
                let_go(message)
                self.sim.emit(ev.LOST, BROKER, message.id, queue.node, None,
                              f"broker restarted: transient message (delivery_mode 1) in "
                              f"'{queue.name}' is gone", None,
                              {"rule": "restart", "queue": queue.name})
        lost = len(queue.ready) - len(kept)
        queue.ready.clear()
        queue.bytes = 0
        for message in kept:
            queue.put_back(message)
        self._arm_expiry(queue)
        return lost

    def _emit_topology(self, kind: str, *, source: str, target: str | None = None,
                       reason: str, details: dict[str, Any] | None = None) -> None:
        self.sim.emit(kind, BROKER, None, source, target, reason,
                      None if details is None else json_safe(details))


def _queue_traits(queue: Queue) -> str:
    traits = [queue.type]
    traits += [t for t, on in (("durable", queue.durable), ("exclusive", queue.exclusive),
                                ("auto-delete", queue.auto_delete)) if on]
    return ", ".join(traits)


def _amqp(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    return f"'{value}'"


def _check_match_mode(broker: RabbitMQ, channel: Channel, exchange: Exchange,
                      arguments: dict[str, Any]) -> None:
    mode = arguments.get("x-match")
    if exchange.type == "headers" and mode is not None and mode not in MATCH_MODES:
        # rabbit_exchange_type_headers:validate_binding prints the value as an Erlang binary
        raise broker._fail(channel, PreconditionFailed(
            f'Invalid x-match field value <<"{mode}">>; expected all, any, all-with-x, or '
            "any-with-x"))
