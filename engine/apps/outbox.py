"""The transactional outbox: a database row and its outgoing message, committed together.

A service that must both change its database ("order 7 placed") and tell the world (a
message on a queue or topic) cannot do both atomically: the broker is not in the database's
transaction. A *naive dual write* does one after the other, and a crash between them breaks
the pair:

* ``commit-first``: the row is committed, the process dies before the publish: the order
  exists and nobody hears of it (the event is *lost*);
* ``publish-first``: the message is out, the process dies before the commit: the world hears of
  an order the database does not have (an *orphan* event); the client's retry publishes again.

The *outbox pattern* writes the row and an "outbox row" holding the message in **one local
transaction**; a relay reads unpublished outbox rows later, publishes each, then marks it
published. A crash between commit and publish loses nothing: the outbox row waits for the
relay after the restart. A crash between the relay's publish and its mark makes it publish
that row again on restart: the relay is at-least-once, so consumers deduplicate by the
message's idempotency key (``engine.apps.idempotency``). Sources: Chris Richardson,
microservices.io, "Pattern: Transactional outbox"; AWS Prescriptive Guidance, "Transactional
outbox pattern".

``OutboxService`` is small and deterministic: ``place(key)`` handles one request now. The
database (orders and outbox rows) survives ``crash()``, as a database does; the process's
pending steps and the relay stop until ``restart()``. Messages go to an SQS queue
(``send_message``) or an SNS topic (``publish``) with the key as the ``idempotency-key``
message attribute. The service draws as one node (``sqs:outbox:<name>``) with an edge to
where it publishes; its contents are the database's counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from engine.errors import EngineError, InvalidArgument
from engine.events import DECLARED, REMOVED
from engine.sqs.sns import TOPIC_ARN_PREFIX
from engine.topology import PRODUCERS, TopologyBuilder, node_id

from . import kinds
from .adapters.sqs import queue_url

if TYPE_CHECKING:
    from engine.clock import Timer
    from engine.simulation import Simulation

Mode = Literal["outbox", "commit-first", "publish-first"]
MODES = ("outbox", "commit-first", "publish-first")
BROKER = "sqs"


@dataclass
class OutboxRow:
    key: str
    body: str
    published: bool = False


class OutboxService:
    def __init__(self, sim: Simulation, name: str, *, mode: Mode = "outbox",
                 queue: str | None = None, topic: str | None = None,
                 step: float = 0.5, relay_interval: float = 1.0) -> None:
        if mode not in MODES:
            raise InvalidArgument(f"mode {mode!r}: choose one of {', '.join(MODES)}")
        if (queue is None) == (topic is None):
            raise InvalidArgument("give where the messages go: queue=... or topic=...")
        for label, value in (("step", step), ("relay_interval", relay_interval)):
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not 0 < value <= 3600:
                raise InvalidArgument(f"{label} {value!r}: give seconds above 0, at most 3600")
        self.sim = sim
        self.name = name
        self.mode = mode
        self.queue = queue
        self.topic = topic
        self.step = float(step)
        self.relay_interval = float(relay_interval)
        self.node = node_id(BROKER, "outbox", name)
        #: the database: committed rows, and the outbox table
        self.rows: dict[str, str] = {}
        self.outbox: list[OutboxRow] = []
        #: keys published (each publish, duplicates included), for the lesson's counts
        self.published: list[str] = []
        #: requests handled so far
        self.placed = 0
        self.running = True
        self._timers: list[Timer] = []
        self._in_hand: dict[str, str] = {}  # key -> what is done ("committed"/"published")
        # The room's cap on simulated producers (engine/limits.py); it sends on request only.
        sim.census.admit_producer(self, name, 0.0)
        sim.sqs.attach(self)
        sim.emit(DECLARED, BROKER, source=self.node, target=self.target_node,
                 reason=f"service {name} started ({mode})")
        self._relay_timer: Timer | None = None
        if mode == "outbox":
            self._schedule_relay()

    # -- requests ----------------------------------------------------------------------------
    def place(self, key: str, body: str | None = None) -> None:
        """Handle one request: store row ``key`` and tell the world, as the mode says."""
        if not self.running:
            raise InvalidArgument(f"{self.name} is down: restart it first")
        body = body if body is not None else f"{self.name} {key}"
        self.placed += 1
        if self.mode == "outbox":
            self.rows[key] = body
            self.outbox.append(OutboxRow(key, body))
            self._emit(kinds.DB_COMMITTED, f"{key}: row and outbox row committed in one "
                       "transaction", key)
        elif self.mode == "commit-first":
            self.rows[key] = body
            self._in_hand[key] = "committed"
            self._emit(kinds.DB_COMMITTED, f"{key}: row committed; the publish comes next",
                       key)
            self._later(self._publish_after_commit, key, body)
        else:
            self._in_hand[key] = "published"
            self._publish(key, body)
            self._later(self._commit_after_publish, key, body)

    def _later(self, call: Any, *args: Any) -> None:
        self._timers.append(self.sim.call_later(self.step, call, *args))

    def _publish_after_commit(self, key: str, body: str) -> None:
        self._in_hand.pop(key, None)
        self._publish(key, body)

    def _commit_after_publish(self, key: str, body: str) -> None:
        self._in_hand.pop(key, None)
        self.rows[key] = body
        self._emit(kinds.DB_COMMITTED, f"{key}: row committed after its publish", key)

    # -- the relay ---------------------------------------------------------------------------
    def _schedule_relay(self) -> None:
        self._relay_timer = self.sim.call_later(self.relay_interval, self._relay)

    def _relay(self) -> None:
        self._relay_timer = None
        if not self.running:
            return
        row = next((r for r in self.outbox if not r.published), None)
        if row is None:
            self._schedule_relay()
            return
        self._publish(row.key, row.body)
        # Marking the row published is the relay's second step: a crash before it means the
        # row is published again after the restart (at-least-once).
        self._timers.append(self.sim.call_later(self.step, self._mark, row))

    def _mark(self, row: OutboxRow) -> None:
        row.published = True
        self._emit(kinds.OUTBOX_RELAYED, f"{row.key}: outbox row marked published", row.key)
        self._relay()

    # -- crash and restart -------------------------------------------------------------------
    def crash(self) -> None:
        """The process dies: the database stays, pending steps and the relay stop."""
        if not self.running:
            return
        self.running = False
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._relay_timer is not None:
            self._relay_timer.cancel()
            self._relay_timer = None
        self._emit(kinds.CONSUMER_CRASHED, f"{self.name} crashed", None)
        for key, done in sorted(self._in_hand.items()):
            if done == "committed":
                self._emit(kinds.WORK_LOST, f"{key}: committed, and its event will never be "
                           "sent (naive dual write, commit first)", key)
            else:
                self._emit(kinds.ORPHAN_EVENT, f"{key}: its event was sent, and the row was never "
                           "committed (naive dual write, publish first)", key)
        self._in_hand.clear()

    def restart(self) -> None:
        if self.running:
            return
        self.running = True
        waiting = sum(1 for r in self.outbox if not r.published)
        self._emit(kinds.CONSUMER_RESTARTED, f"{self.name} restarted"
                   + (f"; the relay finds {waiting} unpublished outbox row(s)"
                      if self.mode == "outbox" else ""), None)
        if self.mode == "outbox":
            self._relay()

    def retire(self) -> None:
        """Gone for good: no longer drawn, no longer counted toward the room's producers."""
        self.crash()
        self.sim.census.leave(self)
        if self in self.sim.sqs.apps:
            self.sim.sqs.apps.remove(self)
            self.sim.emit(REMOVED, BROKER, source=self.node, reason=f"service {self.name} "
                          "removed")

    # -- publishing --------------------------------------------------------------------------
    def _publish(self, key: str, body: str) -> None:
        attributes = {kinds.KEY_HEADER: {"DataType": "String", "StringValue": key}}
        try:
            if self.queue is not None:
                self.sim.sqs.send_message(QueueUrl=queue_url(self.sim, self.queue),
                                          MessageBody=body, MessageAttributes=attributes)
            else:
                self.sim.sns.publish(TopicArn=TOPIC_ARN_PREFIX + str(self.topic), Message=body,
                                     MessageAttributes=attributes)
        except EngineError as error:
            self._emit(kinds.PUBLISH_REJECTED, f"{key}: publish refused: [{error.code}] "
                       f"{error}", key)
            return
        self.published.append(key)

    # -- drawing -----------------------------------------------------------------------------
    @property
    def target_node(self) -> str:
        return node_id(BROKER, "queue", str(self.queue)) if self.queue is not None \
            else node_id(BROKER, "topic", str(self.topic))

    def topology(self, into: TopologyBuilder) -> None:
        into.node(self.node, broker=BROKER, kind="outbox", name=self.name, column=PRODUCERS,
                  mode=self.mode)
        into.edge(self.node, self.target_node, kind="publishes",
                  label="relay" if self.mode == "outbox" else self.mode)

    def contents(self) -> dict[str, Any]:
        return {"messages": [], "counters": {
            "rows": len(self.rows), "outbox_unpublished": sum(
                1 for r in self.outbox if not r.published),
            "published": len(self.published), "running": self.running}}

    def _emit(self, kind: str, reason: str, key: str | None) -> None:
        details: dict[str, Any] = {"consumer": self.name, "mode": self.mode}
        if key is not None:
            details["key"] = key
        self.sim.emit(kind, BROKER, source=self.node, target=self.target_node, reason=reason,
                      details=details)
