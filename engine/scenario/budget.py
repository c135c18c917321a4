"""A scenario checked against a room's budget before it runs (``engine/limits.py``).

An imported scenario is as much a command as a form is, so it meets the same caps: the number
of queues, exchanges, bindings, topics, partitions, producers and consumers, each producer's
rate and the producers' rate together, the count of a publish action, and body sizes. Each
problem is ``(JSON path, message)``, as the schema's problems are, naming the room's limit and
its value; the loader (``mqlab/scenarios/loader.py``) reports them with the schema's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..apps.rates import highest, rate_from_spec
from ..limits import Limits

Problem = tuple[str, str]
#: the field of a rate that sets its highest messages per second
RATE_FIELD = {"bursts": "size", "spike": "peak"}


def check(spec: dict[str, Any], limits: Limits) -> list[Problem]:
    """Every place where ``spec`` (already valid against the schema) is over a cap."""
    return [*_nodes(spec, limits), *_kafka(spec, limits), *_apps(spec, limits),
            *_timeline(spec, limits)]


def _over(path: str, value: float, limit: int, what: str) -> Problem:
    return (path, f"{value:g} is over this room's limit of {limit} {what}")


def _count(spec: dict[str, Any], path: str, limit: int, what: str) -> Iterator[Problem]:
    section, _, key = path.removeprefix("$.").partition(".")
    items = spec.get(section, {}).get(key, ()) if key else spec.get(section, ())
    if len(items) > limit:
        yield _over(path, len(items), limit, what)


def _nodes(spec: dict[str, Any], limits: Limits) -> Iterator[Problem]:
    yield from _count(spec, "$.rabbitmq.queues", limits.max_queues, "queues")
    yield from _count(spec, "$.rabbitmq.exchanges", limits.max_exchanges, "exchanges")
    yield from _count(spec, "$.rabbitmq.bindings", limits.max_bindings, "bindings")
    yield from _count(spec, "$.sqs.queues", limits.max_queues, "queues")
    yield from _count(spec, "$.sqs.topics", limits.max_topics, "SNS topics")
    subscriptions = sum(len(t.get("subscriptions", ()))
                        for t in spec.get("sqs", {}).get("topics", ()))
    if subscriptions > limits.max_bindings:
        yield _over("$.sqs.topics", subscriptions, limits.max_bindings, "SNS subscriptions")
    yield from _count(spec, "$.kafka.topics", limits.max_topics, "topics")
    yield from _count(spec, "$.producers", limits.max_producers, "simulated producers")
    # An outbox service counts as a producer in the room's census (engine/apps/outbox.py).
    senders = len(spec.get("producers", ())) + len(spec.get("outboxes", ()))
    if spec.get("outboxes") and senders > limits.max_producers:
        yield _over("$.outboxes", senders, limits.max_producers,
                    "simulated producers (outbox services included)")
    yield from _count(spec, "$.consumers", limits.max_consumers, "simulated consumers")


def _kafka(spec: dict[str, Any], limits: Limits) -> Iterator[Problem]:
    total = 0
    for i, topic in enumerate(spec.get("kafka", {}).get("topics", ())):
        partitions = topic.get("partitions", 1)
        total += partitions
        if partitions > limits.max_partitions_per_topic:
            yield _over(f"$.kafka.topics[{i}].partitions", partitions,
                        limits.max_partitions_per_topic, "partitions per topic")
    if total > limits.max_partitions:
        yield _over("$.kafka.topics", total, limits.max_partitions, "partitions in all")


def _apps(spec: dict[str, Any], limits: Limits) -> Iterator[Problem]:
    total = 0.0
    for i, producer in enumerate(spec.get("producers", ())):
        path = f"$.producers[{i}]"
        if len(producer.get("body", "")) > limits.max_body_bytes:
            yield _over(f"{path}.body", len(producer["body"]), limits.max_body_bytes,
                        "characters in a body")
        rate = producer.get("rate")
        if rate is None:
            continue
        per_second = highest(rate_from_spec(rate))
        field = RATE_FIELD.get(rate["kind"], "per_second")
        total += per_second
        if per_second > limits.max_rate:
            yield _over(f"{path}.rate.{field}", per_second, limits.max_rate,
                        "messages per second for one producer")
    if total > limits.max_total_rate:
        yield _over("$.producers", total, limits.max_total_rate,
                    "messages per second for all producers together")


def _timeline(spec: dict[str, Any], limits: Limits) -> Iterator[Problem]:
    for i, action in enumerate(spec.get("timeline", ())):
        if action.get("do") == "add-partitions" and \
                action["partitions"] > limits.max_partitions_per_topic:
            yield _over(f"$.timeline[{i}].partitions", action["partitions"],
                        limits.max_partitions_per_topic, "partitions per topic")
        if action.get("do") == "place" and action.get("count", 1) > limits.max_publish_count:
            yield _over(f"$.timeline[{i}].count", action["count"], limits.max_publish_count,
                        "requests in one place action")
        if action.get("do") != "publish":
            continue
        count = action.get("count", 1)
        if count > limits.max_publish_count:
            yield _over(f"$.timeline[{i}].count", count, limits.max_publish_count,
                        "messages in one publish")
        body = action.get("body", "")
        if len(body) > limits.max_body_bytes:
            yield _over(f"$.timeline[{i}].body", len(body), limits.max_body_bytes,
                        "characters in a body")
