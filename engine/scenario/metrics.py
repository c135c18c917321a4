"""What a scenario run measured: counts from the event stream, depth and lag samples.

The recorder listens to every event. App events (side effects, duplicates, failures, ...)
are counted per consumer; a broker's arrival event whose target is a dead-letter queue counts
as dead-lettered; a broker's loss event (dropped, expired without a DLX, lost on restart)
counts as lost. Queue depth and consumer-group lag are sampled every ``sample_every`` virtual
seconds (and at the end), so "max depth" is the highest sampled value.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from engine.apps import kinds
from engine.events import Event

if TYPE_CHECKING:
    from engine.simulation import Simulation

#: Per broker, the event kinds that mean a message arrived in a queue / partition.
ARRIVALS = {"rabbitmq": {"enqueued"}, "kafka": {"appended"},
            "sqs": {"sent", "dead-lettered", "enqueued"}}
#: Per broker, the event kinds that mean a message vanished without being processed.
#: (Kafka: "dropped" is an acks=0 send to a partition without a leader, "lost" a record
#: truncated by a leader change; retention deletes are not losses, the record was readable.)
LOSSES = {"rabbitmq": {"dropped", "lost", "expired"}, "kafka": {"dropped", "lost"},
          "sqs": {"expired", "lost"}}


class Recorder:
    def __init__(self, sim: Simulation, dlq_nodes: set[str], dlq_topics: set[str]) -> None:
        self.sim = sim
        self.dlq_nodes = dlq_nodes
        self.dlq_topics = dlq_topics
        self.kinds: Counter[str] = Counter()
        self.by_consumer: Counter[tuple[str, str]] = Counter()
        self.dead_lettered = 0
        self.broker_losses = 0
        self.max_depth: dict[str, int] = {}
        self.max_lag: dict[str, int] = {}
        self.samplers: list[Any] = []

    def __call__(self, event: Event) -> None:
        self.kinds[event.kind] += 1
        consumer = event.details.get("consumer") if event.kind in kinds.APP_KINDS else None
        if consumer is not None:
            self.by_consumer[(event.kind, consumer)] += 1
        if event.kind in ARRIVALS.get(event.broker, ()) and self._to_dlq(event.target):
            self.dead_lettered += 1
        elif event.kind in LOSSES.get(event.broker, ()):
            self.broker_losses += 1

    def _to_dlq(self, target: str | None) -> bool:
        if target is None:
            return False
        if target in self.dlq_nodes:
            return True
        # Kafka partitions are "kafka:partition:<topic>/<n>".
        return target.startswith("kafka:partition:") and \
            target[len("kafka:partition:"):].rsplit("/", 1)[0] in self.dlq_topics

    # -- sampling ----------------------------------------------------------------------------
    def watch_depth(self, name: str, depth: Any) -> None:
        self.max_depth.setdefault(name, 0)
        self.samplers.append(("depth", name, depth))

    def watch_lag(self, group: str, lag: Any) -> None:
        self.max_lag.setdefault(group, 0)
        self.samplers.append(("lag", group, lag))

    def sample(self) -> None:
        for what, name, read in self.samplers:
            value = read(name)
            table = self.max_depth if what == "depth" else self.max_lag
            if value > table[name]:
                table[name] = value

    def start_sampling(self, every: float) -> None:
        def tick() -> None:
            self.sample()
            self.sim.call_later(every, tick)
        self.sim.call_soon(tick)
