"""The memory alarm: RabbitMQ blocks the connections that publish until memory use drops.

RabbitMQ docs, "Memory and Disk Alarms" (https://www.rabbitmq.com/docs/alarms): when a node's
memory use goes above its high watermark, RabbitMQ raises a broker-wide alarm and blocks the
connections that publish; connections that only consume are not blocked (they are what brings
memory back down). A connection that has not published yet is "blocking": it carries on until
it publishes, then it is blocked too. Publishes are not lost: the broker stops reading them,
and they go through, in order, once the alarm clears.

RabbitMQ docs, "Blocked Connection Notifications"
(https://www.rabbitmq.com/docs/connection-blocked): each publishing connection is told
``connection.blocked`` (with a reason such as "low on memory") once, and
``connection.unblocked`` when the alarm has cleared.

Real RabbitMQ measures the node's whole memory (``vm_memory_high_watermark``); mqlab stands in
for it with the messages the broker holds: ``set_memory_high_watermark(messages=, bytes=)``
counts ready and unacked messages (and their body bytes) across every queue. The alarm is
raised when use goes above a limit and cleared when it is back within it.

The room's budget (``engine/limits.py``) drives the same alarm: it goes off when the room
holds more than ``watermark`` (0.6) of its messages or bytes, counting every broker and the
publishes held here; the rest of the budget is the room for held publishes. Those are bounded
too: past ``max_held_publishes``, or when one more would not fit the budget, ``basic_publish``
raises ``PublishRefused`` instead of holding it (real RabbitMQ would leave it in the socket
buffer, and pika's ``blocked_connection_timeout`` is what eventually gives up); nothing is
dropped unseen.

Not modelled: real RabbitMQ blocks by no longer reading the connection's socket, so anything
else sent on a blocked connection (acks included) waits too, which is why the docs advise
separate connections for publishing and consuming; here only the publishes wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..errors import InvalidArgument
from ..limits import Account, full, over
from .errors import ChannelClosedByBroker, NackError, PublishRefused, UnroutableError

if TYPE_CHECKING:
    from ..simulation import Simulation
    from .channel import Channel, Connection
    from .queues import Queue

BROKER = "rabbitmq"
ALARM_RAISED = "alarm-raised"
ALARM_CLEARED = "alarm-cleared"
CONNECTION_BLOCKED = "connection-blocked"
CONNECTION_UNBLOCKED = "connection-unblocked"
#: a publish the broker has not read yet because its connection is blocked
PUBLISH_HELD = "publish-held"
#: the reason RabbitMQ gives in connection.blocked for the memory alarm
LOW_ON_MEMORY = "low on memory"
#: seconds between the memory monitor's samples (rabbitmq.conf memory_monitor_interval,
#: 2500 ms): while the alarm is up, memory freed elsewhere in the room (Kafka retention,
#: SQS deletes) is noticed this way
MEMORY_MONITOR_INTERVAL = 2.5


class HeldPublish:
    """A basic.publish waiting on a blocked connection (already given its message id)."""

    __slots__ = ("id", "channel", "args")

    def __init__(self, message_id: str, channel: Channel, args: tuple[Any, ...]) -> None:
        self.id = message_id
        self.channel = channel
        self.args = args


class Alarms:
    """Mixin of ``RabbitMQ``: the memory high watermark and blocked connections."""

    if TYPE_CHECKING:
        sim: Simulation
        _queues: dict[str, Queue]
        _channels: dict[int, Channel]
        _connections: list[Connection]
        stored: Account
        waiting: Account

        def publish(self, channel: Channel, exchange_name: str, routing_key: str,
                    body: bytes | str, properties: Any, mandatory: bool, size: int,
                    message_id: str | None = None) -> str: ...

    #: (messages, bytes) limits, or None when no watermark is set
    watermark: tuple[int | None, int | None] | None = None
    alarm = False
    _monitor: Any = None

    def set_memory_high_watermark(self, messages: int | None = None,
                                  bytes: int | None = None) -> None:  # noqa: A002
        """Set (or, with no argument, remove) the broker-wide limit on held messages: the
        stand-in for ``vm_memory_high_watermark``. Usage is ready + unacked messages (and
        their body bytes) across all queues; going above a limit raises the memory alarm."""
        for name, value in (("messages", messages), ("bytes", bytes)):
            if value is not None and (type(value) is not int or value < 1):
                raise InvalidArgument(f"{name}={value!r}: give a whole number >= 1, or None")
        self.watermark = None if messages is None and bytes is None else (messages, bytes)
        self.check_memory()

    def memory_use(self) -> dict[str, int]:
        """What the watermark compares: ready + unacked messages and their bytes (a running
        count kept by ``Queue.push`` and ``queues.let_go``)."""
        return {"messages": self.stored.messages, "bytes": self.stored.bytes}

    def check_memory(self) -> None:
        """Raise or clear the alarm after memory use may have changed (cheap while the room
        is under its watermark: it runs after every publish and ack)."""
        if not self.alarm and self.watermark is None:
            room, limits = self.sim.room, self.sim.limits
            if room.messages <= limits.alarm_messages and room.bytes <= limits.alarm_bytes:
                return
        over_by = self._over_watermarks()
        if over_by and not self.alarm:
            self._raise_alarm("; ".join(over_by), self.memory_use())
        elif not over_by and self.alarm:
            use = self.memory_use()
            self._clear_alarm(f"memory use is back within the watermark ({use['messages']} "
                              f"messages, {use['bytes']} bytes)")

    def _over_watermarks(self) -> list[str]:
        """Why memory is too high: the watermark set on this broker, or the room's budget."""
        found = []
        if self.watermark is not None:
            use = self.memory_use()
            found = [f"{use[unit]} {unit} > watermark {limit}"
                     for unit, limit in zip(("messages", "bytes"), self.watermark, strict=True)
                     if limit is not None and use[unit] > limit]
        messages, size = self.sim.held()
        limits = self.sim.limits
        for unit, used, limit, budget in (
                ("messages", messages, limits.alarm_messages, limits.max_messages),
                ("bytes", size, limits.alarm_bytes, limits.max_bytes)):
            if used > limit:
                found.append(f"the room holds {used} {unit} > {limit} ({limits.watermark:g} of "
                             f"this room's budget of {budget} {unit})")
        return found

    def _sample_memory(self) -> None:
        self._monitor = None
        self.check_memory()
        if self.alarm:
            self._monitor = self.sim.call_later(MEMORY_MONITOR_INTERVAL, self._sample_memory)

    def _raise_alarm(self, why: str, use: dict[str, int]) -> None:
        self.alarm = True
        if self._monitor is None:
            self._monitor = self.sim.call_later(MEMORY_MONITOR_INTERVAL, self._sample_memory)
        self.sim.emit(ALARM_RAISED, BROKER, reason=f"memory alarm: {why}; connections that "
                      "publish are blocked, consumers carry on", details=dict(use))
        # "Blocked Connection Notifications": sent to the connections that publish.
        for connection in self._connections:
            if connection.is_open and connection.published and not connection.blocked:
                self._block(connection)

    def _clear_alarm(self, why: str) -> None:
        self.alarm = False
        if self._monitor is not None:
            self._monitor.cancel()
            self._monitor = None
        self.sim.emit(ALARM_CLEARED, BROKER, reason=f"memory alarm cleared: {why}")
        for connection in list(self._connections):
            if connection.blocked and connection.is_open and not self.alarm:
                self._unblock(connection)

    def _block(self, connection: Connection) -> None:
        connection.blocked = True
        self.sim.emit(CONNECTION_BLOCKED, BROKER, reason=f"connection {connection.number} "
                      f"blocked ({LOW_ON_MEMORY}): its publishes wait until the alarm clears",
                      details={"connection": connection.number, "reason": LOW_ON_MEMORY})
        for callback in list(connection.blocked_callbacks):
            self.sim.call_soon(callback, connection, LOW_ON_MEMORY)

    def _unblock(self, connection: Connection) -> None:
        """connection.unblocked, then the held publishes go through in order (a release may
        raise the alarm again: the rest then stay held)."""
        connection.blocked = False
        self.sim.emit(CONNECTION_UNBLOCKED, BROKER, reason=f"connection {connection.number} "
                      f"unblocked: {len(connection.held)} held publishes go through",
                      details={"connection": connection.number, "held": len(connection.held)})
        for callback in list(connection.unblocked_callbacks):
            self.sim.call_soon(callback, connection)
        while connection.held and not connection.blocked:
            self._release(connection.held.pop(0))

    def hold_if_blocked(self, channel: Channel, args: tuple[Any, ...]) -> str | None:
        """Hold a publish on a blocked connection and return its message id; None lets it
        through. A "blocking" connection (no publish yet) is blocked by its first publish."""
        connection = channel.connection
        if not self.alarm and not connection.blocked:
            connection.published = True
            return None
        size = args[5]
        self._check_room_to_hold(size)
        if not connection.blocked:
            connection.published = True
            self._block(connection)
        held = HeldPublish(self.sim.new_id("m"), channel, args)
        connection.held.append(held)
        self.waiting.add(size)
        exchange, routing_key = args[0], args[1]
        self.sim.emit(PUBLISH_HELD, BROKER, held.id, channel.node, None,
                      f"connection {connection.number} is blocked ({LOW_ON_MEMORY}): the publish "
                      f"to '{exchange}' with routing key '{routing_key}' waits",
                      {"position": len(connection.held), "exchange": exchange,
                       "routing_key": routing_key},
                      {"rule": "memory-alarm", "why": f"connection {connection.number} is "
                       "blocked by the memory alarm; the publish waits"})
        return held.id

    def _check_room_to_hold(self, size: int) -> None:
        """Held publishes count toward the room's budget and are bounded themselves."""
        limits = self.sim.limits
        if self.waiting.messages >= limits.max_held_publishes:
            raise PublishRefused(
                "the broker is blocking publishers (memory alarm) and already holds "
                f"{self.waiting.messages} publishes; "
                + over("publishes held while blocked", limits.max_held_publishes)
                + "; wait for consumers to drain the queues, then publish again")
        if not self.sim.fits(size):
            raise PublishRefused(
                "the broker is blocking publishers (memory alarm) and one more held publish "
                "would not fit: " + full(limits)
                + "; wait for consumers to drain the queues, then publish again")

    def _release(self, held: HeldPublish) -> None:
        channel = held.channel
        exchange, routing_key, body, properties, mandatory, size = held.args
        if not channel.is_open:
            self.drop_held(held, f"channel {channel.channel_number} closed before the held "
                           "publish was read")
            return
        self.waiting.remove(size)  # first: the publish itself checks the room's budget
        try:
            self.publish(channel, exchange, routing_key, body, properties,
                         mandatory, size, message_id=held.id)
        except (NackError, UnroutableError):
            pass  # the confirm (basic.nack / basic.return) events already tell the publisher
        except ChannelClosedByBroker as error:
            self._emit_dropped(held, f"the held publish failed: {error}")

    def drop_held(self, held: HeldPublish, why: str) -> None:
        self.waiting.remove(held.args[5])
        self._emit_dropped(held, why)

    def _emit_dropped(self, held: HeldPublish, why: str) -> None:
        self.sim.emit(ev.DROPPED, BROKER, held.id, held.channel.node, None, why, None,
                      {"rule": "memory-alarm", "why": why})

    def drop_held_of(self, channel: Channel, why: str) -> None:
        """A closing channel loses the publishes the broker had not read yet."""
        connection = channel.connection
        lost = [h for h in connection.held if h.channel is channel]
        if lost:
            connection.held = [h for h in connection.held if h.channel is not channel]
            for each in lost:
                self.drop_held(each, why)
