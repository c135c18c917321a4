"""A room's budget: how much one simulation may hold, and how many things it may have.

mqlab runs rooms for classrooms and the public, so every room gets a budget. ``Limits`` says
how much: messages and bytes held across every broker (RabbitMQ ready + unacked messages and
the publishes its memory alarm holds, Kafka log records, SQS stored and in-flight messages),
and caps on the nodes (queues, exchanges, bindings, topics, partitions, consumers, producers)
and on the simulated producers' total rate. ``Simulation(seed, limits)`` keeps one; None
means these defaults.

Past a cap each broker refuses its own way (the rule and its source sit in the broker's
module): RabbitMQ raises its memory alarm and refuses declares as a vhost limit does
(``406 PRECONDITION_FAILED``), SQS answers ``OverLimit``, Kafka ``PolicyViolationException``
on CreateTopics and ``KafkaStorageException`` on produce. Every refusal says it is the room's
limit and gives the value (``over`` builds that text), since the real brokers' own limits are
usually far higher.

``Account`` is the running count of what a broker holds, kept as messages come and go (a
broker adds and removes as it stores and lets go), so checking the budget never scans.
The same numbers bound the web forms and imported scenarios (``mqlab/commands``,
``engine/scenario/budget.py``): they read ``DEFAULTS`` or the room's ``Limits``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .errors import LimitReached

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """The budget of one room. Every value is a whole number >= 1 (``watermark`` a fraction)."""

    #: messages held at once, all brokers together
    max_messages: int = 50_000
    #: bytes of message bodies held at once, all brokers together
    max_bytes: int = 64 * MIB
    #: RabbitMQ's memory alarm goes off at this share of the budget; the rest is the room
    #: for publishes it holds ("Memory and Disk Alarms": vm_memory_high_watermark, 0.6 of RAM
    #: by default since RabbitMQ 3.13)
    watermark: float = 0.6
    #: publishes RabbitMQ may hold on blocked connections; past it basic_publish is refused
    max_held_publishes: int = 1_000
    #: queues per broker (RabbitMQ's vhost max-queues; SQS queues)
    max_queues: int = 100
    #: exchanges a user may declare in RabbitMQ (the amq.* built-ins are not counted)
    max_exchanges: int = 50
    #: RabbitMQ bindings (queue and exchange-to-exchange); SNS subscriptions (counted apart)
    max_bindings: int = 500
    #: Kafka topics; SNS topics (counted apart)
    max_topics: int = 50
    #: Kafka partitions, all topics together
    max_partitions: int = 200
    #: partitions of one Kafka topic (forms and scenarios)
    max_partitions_per_topic: int = 24
    #: consumers per broker: RabbitMQ consumers, Kafka consumers, SQS simulated consumers
    max_consumers: int = 200
    #: simulated producer apps in the room
    max_producers: int = 100
    #: messages per second of one simulated producer
    max_rate: int = 1_000
    #: messages per second of every simulated producer together
    max_total_rate: int = 2_000
    #: messages one publish command (or scenario publish action) sends
    max_publish_count: int = 1_000
    #: characters of one message body typed into a form or a scenario
    max_body_bytes: int = 10_000

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "watermark":
                if not (isinstance(value, float | int) and 0 < value < 1):
                    raise ValueError(f"watermark={value!r}: give a fraction between 0 and 1")
            elif type(value) is not int or value < 1:
                raise ValueError(f"{item.name}={value!r}: give a whole number >= 1")

    @property
    def alarm_messages(self) -> int:
        return max(1, int(self.max_messages * self.watermark))

    @property
    def alarm_bytes(self) -> int:
        return max(1, int(self.max_bytes * self.watermark))


DEFAULTS = Limits()


def over(what: str, limit: int) -> str:
    """The words every refusal of a cap ends with: it is the room's limit, and its value."""
    return (f"this room's limit of {limit} {what} is reached (a limit of mqlab, not of the "
            "broker)")


def full(limits: Limits) -> str:
    """The words of a refusal because the room holds all its budget allows."""
    return (f"this room's budget of {limits.max_messages} messages / {limits.max_bytes} bytes "
            "held is full (a limit of mqlab, not of the broker)")


class Account:
    """Messages and bytes a broker holds now, kept as they come and go (never by scanning).
    Each also adds into its room's ``total``, so the room's use is one read."""

    __slots__ = ("messages", "bytes", "total")

    def __init__(self, total: Account | None = None) -> None:
        self.messages = 0
        self.bytes = 0
        self.total = total

    def add(self, size: int, count: int = 1) -> None:
        self.messages += count
        self.bytes += size
        total = self.total
        if total is not None:
            total.messages += count
            total.bytes += size

    def remove(self, size: int, count: int = 1) -> None:
        self.messages -= count
        self.bytes -= size
        total = self.total
        if total is not None:
            total.messages -= count
            total.bytes -= size


class Census:
    """The simulated apps (``engine/apps``) running in a room, for its caps on producers,
    consumers and the producers' total rate. An app is admitted when it is created or started
    and leaves when it stops."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.producers: dict[object, float] = {}
        self.consumers: set[object] = set()

    def admit_producer(self, app: object, name: str, per_second: float) -> None:
        if app in self.producers:
            return
        limits = self.limits
        if len(self.producers) >= limits.max_producers:
            raise LimitReached(f"producer {name!r} is refused: "
                               + over("simulated producers", limits.max_producers))
        if per_second > limits.max_rate:
            raise LimitReached(f"producer {name!r} at {per_second:g} messages/s is refused: "
                               + over("messages per second for one producer", limits.max_rate))
        total = sum(self.producers.values()) + per_second
        if total > limits.max_total_rate:
            raise LimitReached(
                f"producer {name!r} would bring the room's producers to {total:g} messages/s: "
                + over("messages per second for all producers together",
                       limits.max_total_rate))
        self.producers[app] = per_second

    def admit_consumer(self, app: object, name: str) -> None:
        if app in self.consumers:
            return
        if len(self.consumers) >= self.limits.max_consumers:
            raise LimitReached(f"consumer {name!r} is refused: "
                               + over("simulated consumers", self.limits.max_consumers))
        self.consumers.add(app)

    def leave(self, app: object) -> None:
        self.producers.pop(app, None)
        self.consumers.discard(app)
