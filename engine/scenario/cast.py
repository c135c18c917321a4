"""Building a scenario's simulated apps (producers, consumers, outbox services, DLQ alerts)
from their specs.
An SQS consumer of ``kind: "lambda"`` is a Lambda-style batch consumer (``lambda_sqs``).

Consumers that share a ``side_effect`` label are instances of one service: they share one
side-effect ledger and one idempotency store, so a message processed by instance A and
redelivered to instance B still counts (or is skipped) as a duplicate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.apps.adapters import consumer_adapter, producer_adapter
from engine.apps.alerts import DlqAlert
from engine.apps.backoff import Backoff
from engine.apps.backpressure import Backpressure
from engine.apps.consumer import Consumer, FailurePolicy
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.idempotency import ProcessedIds
from engine.apps.keys import keys_from_spec
from engine.apps.lambda_sqs import LambdaConsumer
from engine.apps.ledger import Ledger
from engine.apps.outbox import OutboxService
from engine.apps.producer import Producer
from engine.apps.rates import rate_from_spec
from engine.apps.token_bucket import TokenBucket
from engine.topology import node_id

if TYPE_CHECKING:
    from engine.simulation import Simulation

DEFAULT_PROCESSING = 0.1


def build_producer(sim: Simulation, spec: dict[str, Any]) -> Producer:
    broker = spec["broker"]
    if broker == "rabbitmq":
        settings = {"exchange": spec.get("exchange", ""),
                    "routing_key": spec.get("routing_key", "{key}")}
    elif broker == "kafka":
        settings = _kafka_producer_settings(spec)
    elif "topic" in spec:
        settings = {"topic": spec["topic"]}
    else:
        settings = {"queue": spec["queue"]}
    adapter = producer_adapter(sim, broker, spec["name"], **settings)
    pressure = spec.get("backpressure")
    return Producer(
        sim, spec["name"], adapter,
        rate=rate_from_spec(spec["rate"]) if "rate" in spec else None,
        keys=keys_from_spec(spec.get("keys")), body=spec.get("body", "{producer}-{n}"),
        start=spec.get("start", 0.0), stop=spec.get("stop"), limit=spec.get("count"),
        batch=spec.get("batch", 1), options=spec.get("options"),
        backpressure=Backpressure(pressure["queue"], pressure["threshold"],
                                  pressure.get("action", "slow"), pressure.get("pause", 1.0))
        if pressure else None)


def _kafka_producer_settings(spec: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {"topic": spec["topic"],
                                "enable_idempotence": spec.get("enable_idempotence", True)}
    transaction = spec.get("transactions")
    if transaction is not None:
        settings.update(transactional_id=transaction["transactional_id"],
                        transaction_size=transaction.get("size", 1),
                        abort_every=transaction.get("abort_every"))
    return settings


class Services:
    """Ledgers and idempotency stores by side-effect label."""

    def __init__(self) -> None:
        self.ledgers: dict[str, Ledger] = {}
        self.stores: dict[str, ProcessedIds] = {}

    def ledger(self, label: str) -> Ledger:
        return self.ledgers.setdefault(label, Ledger(label))

    def store(self, label: str) -> ProcessedIds:
        return self.stores.setdefault(label, ProcessedIds())


def _adapter_settings(spec: dict[str, Any], policy: FailurePolicy) -> dict[str, Any]:
    broker = spec["broker"]
    retry_levels = policy.max_attempts - 1 if policy.on_failure == "retry" else 0
    if broker == "rabbitmq":
        return {"queue": spec.get("queue", ""), "prefetch": spec.get("prefetch"),
                "retry_levels": retry_levels, "reply": spec.get("reply", False),
                "subscribe": spec.get("subscribe")}
    if broker == "kafka":
        return {"topic": spec["topic"], "group": spec["group"],
                # Kafka's own default (ConsumerConfig auto.offset.reset = latest).
                "auto_offset_reset": spec.get("auto_offset_reset", "latest"),
                "assignment": spec.get("assignment", "range"),
                "isolation_level": spec.get("isolation_level", "read_uncommitted"),
                "auto_commit": spec.get("auto_commit", False),
                "max_records": spec.get("batch", 10),
                "poll_interval": spec.get("poll_interval", 0.5),
                "retry_levels": retry_levels,
                "dead_letter": policy.on_failure in ("retry", "dead-letter"),
                "output": spec.get("transactional_output")}
    return {"queue": spec["queue"], "batch": spec.get("batch", 1),
            "wait": spec.get("wait", 20), "poll_interval": spec.get("poll_interval", 1.0)}


def _default_attempts(spec: dict[str, Any], scenario: dict[str, Any]) -> int:
    """On SQS the queue's redrive policy decides when a message goes to the DLQ, so the app
    gives up after maxReceiveCount receives; elsewhere 3 attempts."""
    if spec["broker"] == "sqs":
        for queue in scenario.get("sqs", {}).get("queues", ()):
            if queue["name"] == spec["queue"] and "redrive" in queue:
                return queue["redrive"]["max_receive_count"]
    return 3


def build_consumer(sim: Simulation, spec: dict[str, Any], services: Services,
                   scenario: dict[str, Any]) -> Consumer | LambdaConsumer:
    if spec.get("kind") == "lambda":
        return LambdaConsumer(
            sim, spec["name"], spec["queue"],
            processing=duration_from_spec(spec.get("processing", DEFAULT_PROCESSING)),
            batch_size=spec.get("batch", 10), batching_window=spec.get("batching_window", 0),
            report_batch_item_failures=spec.get("report_batch_item_failures", False),
            failures=FailureRule(spec.get("failure_rate", 0.0), tuple(spec.get("poison", ())),
                                 spec.get("poison_match", "equals")),
            ledger=services.ledger(spec.get("side_effect", spec["name"])),
            concurrency=spec.get("concurrency", 1),
            store=services.store(spec.get("side_effect", spec["name"]))
            if spec.get("guarantee") == "effectively-once" else None)
    retry = spec.get("retry", {})
    policy = FailurePolicy(
        on_failure=spec.get("on_failure", "requeue"),
        backoff=Backoff(retry.get("base", 1.0), retry.get("factor", 2.0),
                        retry.get("cap", 60.0), retry.get("jitter", "full")),
        max_attempts=retry.get("max_attempts", _default_attempts(spec, scenario)))
    adapter = consumer_adapter(sim, spec["broker"], spec["name"],
                               **_adapter_settings(spec, policy))
    label = spec.get("side_effect", spec["name"])
    limit = spec.get("rate_limit")
    return Consumer(
        sim, spec["name"], adapter,
        processing=duration_from_spec(spec.get("processing", DEFAULT_PROCESSING)),
        guarantee=spec.get("guarantee", "at-least-once"),
        failures=FailureRule(spec.get("failure_rate", 0.0), tuple(spec.get("poison", ())),
                             spec.get("poison_match", "equals")),
        policy=policy, ledger=services.ledger(label), store=services.store(label),
        side_effect_at=spec.get("side_effect_at", 1.0),
        concurrency=spec.get("concurrency", 1),
        limiter=TokenBucket(limit["per_second"], limit.get("burst", 1.0))
        if limit else None)


def build_outbox(sim: Simulation, spec: dict[str, Any]) -> OutboxService:
    """A service that stores a row and tells the world (``engine.apps.outbox``)."""
    return OutboxService(sim, spec["name"], mode=spec.get("mode", "outbox"),
                         queue=spec.get("queue"), topic=spec.get("topic"),
                         step=spec.get("step", 0.5),
                         relay_interval=spec.get("relay_interval", 1.0))


def build_alert(sim: Simulation, spec: dict[str, Any], depth: Any) -> DlqAlert:
    broker = spec["broker"]
    kind = "topic" if broker == "kafka" else "queue"
    return DlqAlert(sim, broker, spec["queue"], node_id(broker, kind, spec["queue"]), depth,
                    threshold=spec.get("threshold", 1), every=spec.get("every", 5.0))
