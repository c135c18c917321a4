"""Queues: ordered ready messages, their consumers, and the arguments that shape them.

A queue hands out its ready messages oldest first ("Queues" guide, ordering). Each message
remembers its arrival position; a requeued message goes back to that position, which for a
message taken from the head means the head again ("Consumer Acknowledgements and Publisher
Confirms", redeliveries: "placed back in its original position in the queue if possible").
With ``x-max-priority`` higher-priority messages go first, FIFO within a priority
("Priority Queue Support"). The length and TTL rules live in the model, which sees time and
events; this module only keeps order and counts.

Queue arguments are checked the way RabbitMQ checks them at declare time (``arguments.py``):
a bad value closes the channel with ``406 PRECONDITION_FAILED - invalid arg ...``.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..limits import Account
from .arguments import check_queue_arguments

if TYPE_CHECKING:
    from .channel import Channel, Consumer
    from .exchanges import Binding
    from .message import Message

CLASSIC, QUORUM = "classic", "quorum"
DROP_HEAD, REJECT_PUBLISH, REJECT_PUBLISH_DLX = "drop-head", "reject-publish", "reject-publish-dlx"
#: "Priority Queue Support": x-max-priority is between 1 and 255.
MAX_PRIORITY = 255
#: "Consumers" guide, delivery acknowledgement timeout: 30 minutes unless the queue's
#: x-consumer-timeout (RabbitMQ 3.12+) says otherwise.
CONSUMER_TIMEOUT = 1_800_000
#: "Quorum Queues", poison message handling: since RabbitMQ 4.0 a quorum queue has a delivery
#: limit of 20 unless x-delivery-limit says otherwise (rabbitmq-server PR #11937); -1 lifts it.
QUORUM_DELIVERY_LIMIT = 20


def _position(message: Message) -> int:
    return message.position


class PriorityReady:
    """Ready messages of a priority queue: one FIFO per priority, highest served first."""

    __slots__ = ("levels", "top")

    def __init__(self, max_priority: int) -> None:
        self.top = max_priority
        self.levels: list[deque[Message]] = [deque() for _ in range(max_priority + 1)]

    def level(self, message: Message) -> deque[Message]:
        # "Priority Queue Support": a priority above the maximum counts as the maximum.
        return self.levels[min(message.priority, self.top)]

    def append(self, message: Message) -> None:
        self.level(message).append(message)

    def popleft(self) -> Message:
        for level in reversed(self.levels):
            if level:
                return level.popleft()
        raise IndexError("pop from an empty queue")

    def __getitem__(self, index: int) -> Message:
        if index != 0:
            raise IndexError("only the head is addressable")
        for level in reversed(self.levels):
            if level:
                return level[0]
        raise IndexError("empty queue")

    def remove(self, message: Message) -> None:
        self.level(message).remove(message)

    def clear(self) -> None:
        for level in self.levels:
            level.clear()

    def __len__(self) -> int:
        return sum(len(level) for level in self.levels)

    def __bool__(self) -> bool:
        return any(self.levels)

    def __iter__(self) -> Iterator[Message]:
        for level in reversed(self.levels):
            yield from level


def let_go(message: Message) -> None:
    """A copy leaves its queue for good (acked, dropped, expired, purged, dead-lettered, its
    queue deleted): the room's budget (engine/limits.py) no longer counts it. Every way out
    comes through here, so the account is kept without a scan."""
    queue = message.queue
    if queue is not None:
        message.queue = None
        queue.account.remove(message.size)


def insert_by_position(ready: deque[Message], message: Message) -> None:
    """Put a requeued message back at its original place among the ready ones."""
    if not ready or message.position < ready[0].position:
        ready.appendleft(message)
    elif message.position > ready[-1].position:
        ready.append(message)
    else:
        ready.insert(bisect.bisect_left(ready, message.position, key=_position), message)


class Queue:
    KIND = "queue"
    __slots__ = (
        "name", "node", "durable", "exclusive", "owner", "auto_delete", "arguments", "type",
        "max_length", "max_length_bytes", "overflow", "message_ttl", "max_priority",
        "dead_letter_exchange", "dead_letter_routing_key", "delivery_limit", "ready", "bytes",
        "consumers", "next_consumer", "unacked", "dispatching", "expiry_timer", "arrivals",
        "had_consumer", "bindings", "limited", "single_active", "expires", "last_used",
        "expires_timer", "consumer_timeout", "ranked_consumers", "account",
    )

    def __init__(self, name: str, node: str, *, durable: bool, exclusive: bool,
                 auto_delete: bool, arguments: dict[str, Any], owner: Channel | None) -> None:
        self.name = name
        self.node = node
        self.durable = durable
        self.exclusive = exclusive
        self.owner = owner
        self.auto_delete = auto_delete
        self.arguments = dict(arguments)
        settings = parse_arguments(name, arguments)
        self.type: str = settings["type"]
        self.max_length: int | None = settings["max_length"]
        self.max_length_bytes: int | None = settings["max_length_bytes"]
        self.overflow: str = settings["overflow"]
        self.message_ttl: int | None = settings["message_ttl"]
        self.max_priority: int | None = settings["max_priority"]
        self.dead_letter_exchange: str | None = settings["dead_letter_exchange"]
        self.dead_letter_routing_key: str | None = settings["dead_letter_routing_key"]
        self.delivery_limit: int | None = settings["delivery_limit"]
        self.limited = self.max_length is not None or self.max_length_bytes is not None
        #: "Consumers" guide, single active consumer: only the first registered consumer
        #: gets messages; the next one takes over when it goes.
        self.single_active: bool = settings["single_active"]
        #: "TTL" guide, queue TTL: delete the queue after this many ms unused
        self.expires: int | None = settings["expires"]
        self.last_used = 0.0
        self.expires_timer: Any = None
        #: ms a delivery may stay unacked before its channel is closed
        self.consumer_timeout: int = settings["consumer_timeout"]
        self.ready: Any = deque() if self.max_priority is None else PriorityReady(self.max_priority)
        self.bytes = 0
        self.consumers: list[Consumer] = []
        #: how many consumers have an x-priority other than 0 (then turns go by priority)
        self.ranked_consumers = 0
        self.next_consumer = 0
        #: copies delivered and not yet acked, over all consumers and basic_get
        self.unacked = 0
        self.dispatching = False
        self.expiry_timer: Any = None
        self.arrivals = 0
        #: auto-delete queues go away when their last consumer leaves, not before the first
        self.had_consumer = False
        self.bindings: dict[tuple[Any, ...], Binding] = {}
        #: the broker's running count of held messages (set by the broker on declare)
        self.account: Account = Account()

    def push(self, message: Message) -> None:
        """A copy arrives (a requeue is ``put_back``): from now on the room counts it."""
        self.arrivals += 1
        message.position = self.arrivals
        message.queue = self
        self.ready.append(message)
        self.bytes += message.size
        self.account.add(message.size)

    def pop(self, index: int = 0) -> Message:
        """The head, or the ``index``-th ready message (plain queues only)."""
        if index:
            message = self.ready[index]
            del self.ready[index]
        else:
            message = self.ready.popleft()
        self.bytes -= message.size
        return message

    def put_back(self, message: Message) -> None:
        if self.type == QUORUM and self.delivery_limit is None:
            # "Quorum Queues", repeated requeues: without a delivery limit a returned message
            # goes to the back of the queue (3.10's default; since 4.0 the default limit of
            # 20, rabbitmq-server PR #11937, puts it back in its place).
            self.arrivals += 1
            message.position = self.arrivals
            self.ready.append(message)
        elif self.max_priority is None:
            insert_by_position(self.ready, message)
        else:
            insert_by_position(self.ready.level(message), message)
        self.bytes += message.size

    def head(self) -> Message | None:
        return self.ready[0] if self.ready else None

    def over_limit(self, taken: int = 0) -> bool:
        """Only ready messages count toward max-length ("Queue Length Limit"), less the
        ``taken`` oldest that consumers are about to take."""
        size = self.bytes
        if taken and self.max_length_bytes is not None:
            size -= sum(self.ready[i].size for i in range(min(taken, len(self.ready))))
        return ((self.max_length is not None and len(self.ready) - taken > self.max_length)
                or (self.max_length_bytes is not None and size > self.max_length_bytes))

    def would_overflow(self, size: int) -> bool:
        """Would one more message of ``size`` bytes break a limit?"""
        return ((self.max_length is not None and len(self.ready) + 1 > self.max_length)
                or (self.max_length_bytes is not None
                    and self.bytes + size > self.max_length_bytes))

    def settings(self) -> dict[str, Any]:
        return {"durable": self.durable, "exclusive": self.exclusive,
                "auto_delete": self.auto_delete, "arguments": dict(self.arguments)}


def parse_arguments(queue: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Read the x-arguments RabbitMQ understands, once ``arguments.py`` has refused a bad one
    with RabbitMQ's own reply text."""
    check_queue_arguments(queue, arguments)
    get = arguments.get
    queue_type = get("x-queue-type") or CLASSIC
    max_priority = get("x-max-priority")
    overflow = get("x-overflow") or DROP_HEAD
    if queue_type == QUORUM:
        # "Quorum Queues" feature matrix (3.x): no message priorities; we keep one FIFO.
        # RabbitMQ 4.0 gave quorum queues a simpler built-in priority ("Priority Support in
        # Queues"); mqlab does not model it yet, so a quorum queue here stays FIFO.
        max_priority = None
        if overflow == REJECT_PUBLISH_DLX:
            # rabbit_quorum_queue:overflow/3 logs "Invalid overflow strategy" and falls back
            # to drop-head: the declare succeeds (seen on RabbitMQ 3.10).
            overflow = DROP_HEAD
    return {
        "type": queue_type,
        "max_length": get("x-max-length"),
        "max_length_bytes": get("x-max-length-bytes"),
        "overflow": overflow,
        "message_ttl": get("x-message-ttl"),
        "max_priority": max_priority,
        "dead_letter_exchange": get("x-dead-letter-exchange"),
        "dead_letter_routing_key": get("x-dead-letter-routing-key"),
        "delivery_limit": _delivery_limit(queue_type, get("x-delivery-limit")),
        "single_active": get("x-single-active-consumer", False),
        "expires": get("x-expires"),
        "consumer_timeout": get("x-consumer-timeout") or CONSUMER_TIMEOUT,
    }


def _delivery_limit(queue_type: str, given: int | None) -> int | None:
    """Classic queues have no delivery limit ("Quorum Queues" feature matrix); on a quorum
    queue -1 turns it off (rabbitmq-website PR #2057)."""
    if queue_type != QUORUM or given == -1:
        return None
    return QUORUM_DELIVERY_LIMIT if given is None else given
