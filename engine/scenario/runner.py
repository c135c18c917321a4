"""Running a scenario: build the simulation from a validated dict, play it, measure it.

``Run(spec, seed)`` declares the topology, builds the apps, schedules the timeline and the
checkpoints, then ``run.play(until)`` advances virtual time to the end (``duration`` unless
``until`` says otherwise) and returns a ``Result``: the summary (published, delivered, side
effects, duplicates, lost, dead-lettered, max depth, max lag, per app) and every
expectation with its actual value. Listeners given to ``Run`` see every event from the first
declaration on, so ``--jsonl`` output is the whole story. The same spec and seed always give
the same events and the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from engine.apps.adapters import depth_function
from engine.apps.consumer import Consumer
from engine.apps.lambda_sqs import LambdaConsumer
from engine.apps.outbox import OutboxService
from engine.apps.producer import Producer
from engine.events import Event
from engine.limits import Limits
from engine.simulation import Simulation
from engine.topology import node_id

from . import timeline
from .cast import Services, build_alert, build_consumer, build_outbox, build_producer
from .expectations import Outcome, judge
from .metrics import Recorder
from .references import Names
from .topology import declare


@dataclass
class Result:
    summary: dict[str, Any]
    outcomes: list[Outcome]
    #: expectations whose checkpoint lies after the time the run stopped (``until``)
    unchecked: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return all(outcome.met for outcome in self.outcomes)


class Run:
    def __init__(self, spec: dict[str, Any], seed: int | None = None,
                 listeners: Iterable[Callable[[Event], Any]] = (),
                 limits: Limits | None = None) -> None:
        self.spec = spec
        self.sim = Simulation(spec.get("seed", 0) if seed is None else seed, limits)
        names = Names(spec)
        self.group_topics = names.group_topics
        self.locate = {**dict.fromkeys(names.rabbit_queues, "rabbitmq"),
                       **dict.fromkeys(names.sqs_queues, "sqs"),
                       **dict.fromkeys(names.topics, "kafka")}
        self.recorder = Recorder(self.sim, self._dlq_nodes(spec), self._dlq_topics(names))
        self.sim.subscribe(self.recorder)
        for listener in listeners:
            self.sim.subscribe(listener)
        declare(self.sim, spec)
        self.services = Services()
        self.producers: dict[str, Producer] = {
            p["name"]: build_producer(self.sim, p) for p in spec.get("producers", ())}
        self.consumers: dict[str, Consumer | LambdaConsumer] = {
            c["name"]: build_consumer(self.sim, c, self.services, spec)
            for c in spec.get("consumers", ())}
        self.outboxes: dict[str, OutboxService] = {
            o["name"]: build_outbox(self.sim, o) for o in spec.get("outboxes", ())}
        self.alerts = [build_alert(self.sim, a, depth_function(self.sim, a["broker"]))
                       for a in spec.get("alerts", ())]
        self._checkpoints: list[Outcome] = []
        self._start()

    # -- set-up ------------------------------------------------------------------------------
    @staticmethod
    def _dlq_nodes(spec: dict[str, Any]) -> set[str]:
        nodes = {node_id("rabbitmq", "queue", q["name"])
                 for q in spec.get("rabbitmq", {}).get("queues", ()) if q.get("dlq")}
        nodes |= {node_id("sqs", "queue", q["redrive"]["dlq"])
                  for q in spec.get("sqs", {}).get("queues", ()) if "redrive" in q}
        return nodes

    @staticmethod
    def _dlq_topics(names: Names) -> set[str]:
        return {t for t in names.topics if t.endswith("-dlt")}

    def _start(self) -> None:
        sim = self.sim
        # Queue depth is the backlog of a queue; a Kafka topic keeps what was read, so its
        # backlog is the group's lag (sampled below), not its size.
        for name, broker in self.locate.items():
            if broker != "kafka":
                self.recorder.watch_depth(name, depth_function(sim, broker))
        for group in self.group_topics:
            self.recorder.watch_lag(group, self._lag)
        self.recorder.start_sampling(self.spec.get("sample_every", 1.0))
        for spec in self.spec.get("consumers", ()):
            sim.call_at(spec.get("start", 0.0), self.consumers[spec["name"]].start)
        for producer in self.producers.values():
            producer.start()
        for alert in self.alerts:
            alert.start()
        timeline.schedule(self, self.spec.get("timeline", []))
        for expectation in self.spec.get("expect", ()):
            if "at" in expectation:
                sim.call_at(expectation["at"], self._checkpoint, expectation)

    @property
    def checked(self) -> list[Outcome]:
        """The timed expectations judged so far, each at its own ``at``."""
        return list(self._checkpoints)

    def _checkpoint(self, expectation: dict[str, Any]) -> None:
        self.recorder.sample()
        self._checkpoints.append(judge(expectation, self.measure(expectation["metric"],
                                                                 expectation.get("of"))))

    # -- playing -----------------------------------------------------------------------------
    def play(self, until: float | None = None) -> Result:
        end = self.spec["duration"] if until is None else until
        self.sim.advance(max(0.0, end - self.sim.now))
        self.recorder.sample()
        outcomes = list(self._checkpoints)
        outcomes += [judge(e, self.measure(e["metric"], e.get("of")))
                     for e in self.spec.get("expect", ()) if "at" not in e]
        unchecked = [e for e in self.spec.get("expect", ()) if e.get("at", 0) > self.sim.now]
        return Result(self.summary(), outcomes, unchecked)

    # -- measuring ---------------------------------------------------------------------------
    def depth(self, name: str) -> int:
        return depth_function(self.sim, self.locate[name])(name)

    def _lag(self, group: str) -> int:
        from engine.apps.adapters.kafka import group_lag
        return group_lag(self.sim, group, self.group_topics.get(group, []))

    def _ledgers(self, of: str | None) -> list[Any]:
        if of is not None:
            return [self.consumers[of].ledger]
        return list(self.services.ledgers.values())

    def measure(self, metric: str, of: str | None = None) -> float:
        recorder = self.recorder
        producers = [self.producers[of]] if of in self.producers else \
            list(self.producers.values())
        consumers = [self.consumers[of]] if of in self.consumers else \
            list(self.consumers.values())
        if of in self.outboxes and metric in ("published", "rows"):
            outbox = self.outboxes[of]
            return len(outbox.published) if metric == "published" else len(outbox.rows)
        if metric in ("published", "rejected", "throttled"):
            field = {"published": "accepted"}.get(metric, metric)
            return sum(getattr(p, field) for p in producers)
        if metric in ("delivered", "received"):
            return sum(c.received for c in consumers)
        if metric == "side_effects" and of in self.producers:
            # Side effects of the messages this producer sent (keys are "<producer>-<n>").
            prefix = f"{of}-"
            return sum(count for ledger in self._ledgers(None)
                       for key, count in ledger.performed.items() if key.startswith(prefix))
        if metric == "side_effects":
            return sum(ledger.total for ledger in self._ledgers(of))
        if metric == "duplicates":
            return sum(ledger.duplicates for ledger in self._ledgers(of))
        if metric == "lost":
            lost = sum(len(ledger.lost) for ledger in self._ledgers(of))
            if of is not None:
                return lost
            nacked = sum(getattr(p.adapter, "nacked", 0) for p in self.producers.values())
            return lost + recorder.broker_losses - nacked
        if metric in APP_COUNTS:
            kind = APP_COUNTS[metric]
            if of is None:
                return recorder.kinds[kind]
            return recorder.by_consumer[(kind, of)]
        if metric == "out_of_order":
            return sum(c.out_of_order for c in consumers)
        if metric == "dead_lettered":
            return recorder.dead_lettered
        if metric == "alerts":
            return recorder.kinds["alert"]
        if metric == "depth":
            return self.depth(of or "")
        if metric == "max_depth":
            return recorder.max_depth.get(of or "", 0)
        if metric == "lag":
            return self._lag(of or "")
        if metric == "max_lag":
            return recorder.max_lag.get(of or "", 0)
        return recorder.kinds[of or ""]  # "events": how many events of kind ``of``

    def summary(self) -> dict[str, Any]:
        recorder = self.recorder
        deepest = max(recorder.max_depth.items(), key=lambda item: item[1],
                      default=(None, 0))
        laggiest = max(recorder.max_lag.items(), key=lambda item: item[1], default=(None, 0))
        return {
            "title": self.spec["title"], "seed": self.sim.seed, "until": self.sim.now,
            "events": self.sim.seq,
            "published": self.measure("published"), "rejected": self.measure("rejected"),
            "delivered": self.measure("delivered"),
            "side_effects": self.measure("side_effects"),
            "duplicates": self.measure("duplicates"), "lost": self.measure("lost"),
            "dead_lettered": self.measure("dead_lettered"),
            "max_depth": {"queue": deepest[0], "depth": deepest[1]},
            "max_lag": {"group": laggiest[0], "lag": laggiest[1]},
            "depths": dict(recorder.max_depth), "lags": dict(recorder.max_lag),
            "producers": {name: {"published": p.accepted, "rejected": p.rejected,
                                 "throttled": p.throttled}
                          for name, p in self.producers.items()},
            "consumers": {name: self._consumer_summary(c) for name, c in self.consumers.items()},
            "outboxes": {name: {"rows": len(o.rows), "published": len(o.published)}
                         for name, o in self.outboxes.items()},
            "alerts": recorder.kinds["alert"],
        }

    def _consumer_summary(self, consumer: Consumer | LambdaConsumer) -> dict[str, Any]:
        ledger = consumer.ledger
        return {"guarantee": consumer.guarantee, "received": consumer.received,
                "side_effect": ledger.label, "side_effects": ledger.total,
                "duplicates": ledger.duplicates, "lost": len(ledger.lost),
                "failures": consumer.failed, "out_of_order": consumer.out_of_order}


#: Metrics that count one app event kind.
APP_COUNTS = {"skipped_duplicates": "duplicate-skipped", "failures": "processing-failed",
              "retries": "retry-scheduled"}


def run(spec: dict[str, Any], seed: int | None = None, until: float | None = None,
        listeners: Iterable[Callable[[Event], Any]] = ()) -> Result:
    """Build and play a scenario in one call."""
    return Run(spec, seed, listeners).play(until)
