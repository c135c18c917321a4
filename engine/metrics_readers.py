"""How each broker's state reads as metrics (``engine.metrics`` says what each series means).

One reader per broker: ``reader(model, recorder)`` yields ``(node_id, {series: value})`` for
every node that holds or moves messages. Readers only look: they never change a model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .metrics import Recorder

Reading = Iterator[tuple[str, dict[str, float]]]


def _rates(recorder: Recorder, node: str) -> dict[str, float]:
    return {"publish_rate": recorder.rate(node, "publish_rate"),
            "deliver_rate": recorder.rate(node, "deliver_rate"),
            "ack_rate": recorder.rate(node, "ack_rate")}


# -- RabbitMQ ----------------------------------------------------------------------------------
def rabbitmq(model: Any, recorder: Recorder) -> Reading:
    for queue in model._queues.values():
        values = {**_rates(recorder, queue.node), "depth": len(queue.ready),
                  "in_flight": queue.unacked, "consumers": len(queue.consumers)}
        dlq = _rabbitmq_dlq(model, queue)
        if dlq is not None:
            values["dlq"] = dlq
        yield queue.node, values


def _rabbitmq_dlq(model: Any, queue: Any) -> int | None:
    """Messages in the queues bound to the queue's dead-letter exchange ("Dead Letter
    Exchanges": a dead letter is republished there)."""
    exchange = model._exchanges.get(queue.dead_letter_exchange) \
        if queue.dead_letter_exchange is not None else None
    if exchange is None:
        return None
    targets = {b.destination.node: b.destination for b in exchange.bindings.values()
               if getattr(b.destination, "KIND", "") == "queue"}
    return sum(len(q.ready) + q.unacked for q in targets.values())


# -- SQS ---------------------------------------------------------------------------------------
def sqs(model: Any, recorder: Recorder) -> Reading:
    readers: dict[str, int] = {}
    for queues in model.consumers.values():
        for name in queues:
            readers[name] = readers.get(name, 0) + 1
    for queue in model.queues.values():
        counts = queue.counts()
        values = {**_rates(recorder, queue.node),
                  "depth": counts["ApproximateNumberOfMessages"],
                  "in_flight": counts["ApproximateNumberOfMessagesNotVisible"],
                  "consumers": readers.get(queue.name, 0)}
        policy = queue.redrive
        target = model.queue_by_arn(policy.target_arn) if policy is not None else None
        if target is not None:
            values["dlq"] = len(target.messages)
        yield queue.node, values


# -- Kafka -------------------------------------------------------------------------------------
def kafka(model: Any, recorder: Recorder) -> Reading:
    owners: dict[Any, int] = {}
    for consumer in model.consumers.values():
        for tp in consumer.assignment():
            owners[tp] = owners.get(tp, 0) + 1
    group_lag: dict[str, int] = dict.fromkeys(model.groups, 0)
    group_acks: dict[str, float] = dict.fromkeys(model.groups, 0.0)
    for name, topic in model.topics.items():
        totals = dict.fromkeys(("depth", "lag", "publish_rate", "deliver_rate", "ack_rate",
                                "consumers"), 0.0)
        for partition in topic.partitions:
            values = _partition(model, recorder, partition, owners, group_lag, group_acks)
            for key in totals:
                totals[key] += values[key]
            yield partition.node, values
        yield f"kafka:topic:{name}", totals
    for group_id, group in model.groups.items():
        yield group.node, {"lag": group_lag[group_id], "ack_rate": group_acks[group_id],
                           "consumers": len(group.members)}


def _partition(model: Any, recorder: Recorder, partition: Any, owners: dict[Any, int],
               group_lag: dict[str, int], group_acks: dict[str, float]) -> dict[str, float]:
    tp, node = partition.tp, partition.node
    slowest = 0
    acked = 0.0
    for group_id, group in model.groups.items():
        lag = group.lag(tp)
        if lag is not None:
            lag = max(0, lag)  # committed past the end: nothing behind (see engine.metrics)
            slowest = max(slowest, lag)
            group_lag[group_id] += lag
        committed = group.committed.get(tp)
        if committed is not None:
            rate = recorder.committed_rate(f"{node}@{group_id}", committed)
            group_acks[group_id] += rate
            acked += rate
    return {**_rates(recorder, node), "depth": len(partition.log), "lag": slowest,
            "ack_rate": acked, "consumers": owners.get(tp, 0)}


READERS: dict[str, Callable[[Any, Recorder], Reading]] = {
    "rabbitmq": rabbitmq, "sqs": sqs, "kafka": kafka}
