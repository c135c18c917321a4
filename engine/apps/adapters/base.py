"""What a simulated app needs from a broker, and the one shape a received message takes.

Producers and consumers are written once; an adapter per broker turns their few intentions
(publish, ack, requeue, retry later, dead-letter, crash) into that broker's own calls, the
way a real client library would be used. ``Delivery`` is a received message as the app sees
it, whatever the broker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .. import kinds

if TYPE_CHECKING:
    from engine.errors import EngineError
    from engine.simulation import Simulation

    from ..consumer import Consumer


@dataclass
class Delivery:
    #: the message's idempotency key (the producer's id for the work, same on every copy)
    key: str
    body: str
    #: 1 on the first attempt; counted by the broker (SQS receive count, quorum
    #: x-delivery-count) or by the app's own retry header
    attempt: int
    #: where it came from (queue or topic name), for events
    source: str
    #: broker-specific handle: delivery tag, receipt handle, record
    handle: Any = None
    #: ordering key and its per-key sequence number, when the producer set them
    ordering_key: str | None = None
    seq: int | None = None
    headers: dict[str, Any] = field(default_factory=dict)


class ConsumerAdapter(Protocol):
    broker: str
    #: diagram node id the app's events name as their source
    node: str

    def open(self, app: Consumer, early_ack: bool) -> None:
        """Start receiving; each message goes to ``app.receive``. With ``early_ack`` the
        message is settled as soon as it arrives (at-most-once)."""

    def want_more(self) -> None:
        """The app has room for more work (pull-based brokers poll now)."""

    def ack(self, delivery: Delivery) -> None: ...

    def requeue(self, delivery: Delivery) -> None: ...

    def retry(self, delivery: Delivery, delay: float) -> None:
        """Have the broker hand the message back after ``delay`` seconds."""

    def dead_letter(self, delivery: Delivery) -> None: ...

    def held(self) -> list[Delivery]:
        """Messages received from the broker and not handed to the app yet."""

    def committed(self, deliveries: list[Delivery]) -> list[Delivery]:
        """Those of ``deliveries`` the broker counts as settled already (a Kafka offset
        auto-committed before the work was done)."""

    def crash(self) -> None:
        """Die without saying goodbye; the broker finds out its own way."""

    def close(self) -> None:
        """Leave cleanly (close the channel, leave the group, stop polling)."""

    def depth(self, name: str) -> int:
        """Messages waiting in queue (or records not consumed of topic) ``name``."""


class ProducerAdapter(Protocol):
    broker: str
    node: str

    def publish(self, messages: list[Outgoing]) -> list[str | None]:
        """Send a batch; per message None when accepted, else the broker's refusal."""

    def depth(self, name: str) -> int: ...


@dataclass
class Outgoing:
    key: str
    body: str
    ordering_key: str | None = None
    seq: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


def header_int(value: Any, default: int | None) -> int | None:
    """A whole number from a header or attribute another client wrote (the producer, or a
    user's publish): anything else (text, None, a float, infinity) counts as absent. A
    ValueError here ran inside a delivery, out of the clock, and broke the room."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str | bytes):
        try:
            return int(value)
        except ValueError:  # also for more digits than int() reads (4,300)
            return default
    return default


def header_text(value: Any) -> str | None:
    """An ordering key from a header: text or nothing (a list would not hash)."""
    return value if isinstance(value, str) else None


def report_refusal(sim: Simulation, broker: str, node: str, consumer: str, call: str,
                   error: EngineError) -> None:
    """A settle call the broker refused (a closed channel, an expired receipt handle, a commit
    after a rebalance): the client library would raise; the app logs it and carries on."""
    sim.emit(kinds.SETTLE_FAILED, broker, source=node,
             reason=f"{call} failed: [{error.code}] {error}",
             details={"consumer": consumer, "code": error.code})


def report_receive_failure(sim: Simulation, broker: str, node: str, consumer: str,
                           error: EngineError, retry_in: float | None) -> None:
    """The receive loop's own call failed (its queue or topic was deleted, its client closed
    under it): the client library raises, the app's loop logs it and, when ``retry_in`` is
    given, tries again that much later, as a polling loop with a sleep on error does."""
    then = f"; retrying in {retry_in:g}s" if retry_in is not None else "; the loop stops"
    sim.emit(kinds.CONNECT_FAILED, broker, source=node,
             reason=f"{consumer} could not receive: [{error.code}] {error}{then}",
             details={"consumer": consumer, "code": error.code})
