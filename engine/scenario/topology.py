"""Declaring a scenario's broker topology through each broker's own client API.

The scenario's ``rabbitmq`` section becomes ``exchange_declare`` / ``queue_declare`` /
``queue_bind`` calls on one admin channel, ``kafka`` becomes ``create_topic`` calls and
``sqs`` becomes ``create_queue`` calls (DLQs first, so a redrive policy can name their ARN),
then its SNS ``topics`` ``create_topic`` and ``subscribe`` calls (``sim.sns``).
Declaring through the public API means a scenario can never build a topology the broker
itself would refuse: the broker's own error is raised, naming the culprit.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.simulation import Simulation


def declare(sim: Simulation, spec: dict[str, Any]) -> None:
    if "rabbitmq" in spec:
        _declare_rabbitmq(sim, spec["rabbitmq"])
    if "kafka" in spec:
        _declare_kafka(sim, spec["kafka"])
    if "sqs" in spec:
        _declare_sqs(sim, spec["sqs"])


def _declare_rabbitmq(sim: Simulation, section: dict[str, Any]) -> None:
    channel = sim.rabbitmq.channel()
    for exchange in section.get("exchanges", ()):
        channel.exchange_declare(exchange["name"], exchange.get("type", "direct"),
                                 durable=exchange.get("durable", False),
                                 arguments=exchange.get("arguments"))
    for queue in section.get("queues", ()):
        channel.queue_declare(queue["name"], durable=queue.get("durable", False),
                              arguments=queue.get("arguments"))
    for binding in section.get("bindings", ()):
        channel.queue_bind(binding["queue"], binding["exchange"],
                           routing_key=binding.get("routing_key", ""),
                           arguments=binding.get("arguments"))
    channel.close()


def _declare_kafka(sim: Simulation, section: dict[str, Any]) -> None:
    kafka = sim.kafka
    for topic in section.get("topics", ()):
        kafka.create_topic(topic["name"], num_partitions=topic.get("partitions", 1),
                           replication_factor=topic.get("replication_factor", 1),
                           config=topic.get("config"))


def _declare_sqs(sim: Simulation, section: dict[str, Any]) -> None:
    sqs = sim.sqs
    queues = section.get("queues", [])
    targets = {q["redrive"]["dlq"] for q in queues if "redrive" in q}
    # DLQs first: a redrive policy names its DLQ by ARN, which must exist.
    for queue in sorted(queues, key=lambda q: q["name"] not in targets):
        attributes = dict(queue.get("attributes", {}))
        if queue["name"].endswith(".fifo"):
            attributes.setdefault("FifoQueue", "true")
        redrive = queue.get("redrive")
        if redrive is not None:
            dlq_url = sqs.get_queue_url(QueueName=redrive["dlq"])["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
            attributes["RedrivePolicy"] = json.dumps({
                "deadLetterTargetArn": arn["Attributes"]["QueueArn"],
                "maxReceiveCount": redrive["max_receive_count"]})
        sqs.create_queue(QueueName=queue["name"], Attributes=attributes)
    for topic in section.get("topics", ()):
        _declare_topic(sim, topic)


def _declare_topic(sim: Simulation, topic: dict[str, Any]) -> None:
    attributes = dict(topic.get("attributes", {}))
    if topic["name"].endswith(".fifo"):
        attributes.setdefault("FifoTopic", "true")
    arn = sim.sns.create_topic(Name=topic["name"], Attributes=attributes)["TopicArn"]
    for subscription in topic.get("subscriptions", ()):
        queue = sim.sqs.queues[subscription["queue"]]  # references.py checked the name
        settings = {"RawMessageDelivery": "true" if subscription.get("raw") else "false"}
        if "filter_policy" in subscription:
            settings["FilterPolicy"] = json.dumps(subscription["filter_policy"])
            settings["FilterPolicyScope"] = subscription.get("filter_policy_scope",
                                                             "MessageAttributes")
        sim.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue.arn,
                          Attributes=settings)
