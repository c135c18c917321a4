"""SNS topics, Lambda-style batch consumers and the outbox service in the SQS playground.

The commands of ``mqlab/commands/sqs.py`` beside the queues (a module whose name starts with
"_" is not a broker). Each SNS command is one boto3 call on ``sim.sns`` (create_topic,
subscribe, publish, set_subscription_attributes, unsubscribe, delete_topic) with the form's
friendly fields turned into SNS's string attributes; a subscription names its queue and the
command finds the queue's ARN. ``add_lambda`` starts ``engine.apps.lambda_sqs.LambdaConsumer``
(BatchSize, MaximumBatchingWindowInSeconds, ReportBatchItemFailures); ``add_outbox`` starts
``engine.apps.outbox.OutboxService`` and ``place_order`` / ``crash_outbox`` /
``restart_outbox`` drive it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.idempotency import ProcessedIds
from engine.apps.lambda_sqs import MAX_BATCH, MAX_WINDOW, LambdaConsumer
from engine.apps.ledger import Ledger
from engine.apps.outbox import MODES, OutboxService
from engine.events import CONSUMER_REMOVED
from mqlab.commands import ArgumentError, Command, Field
from mqlab.commands import _producers as producers

SCOPES = (("MessageAttributes", "message attributes"), ("MessageBody", "message body (JSON)"))
OUTBOX_MODES = (("outbox", "transactional outbox + relay"),
                ("commit-first", "naive dual write: commit, then publish"),
                ("publish-first", "naive dual write: publish, then commit"))
assert tuple(mode for mode, _ in OUTBOX_MODES) == MODES


def _topics(lab: Any) -> list[str]:
    return list(lab.sim.sns.topics)


def _subscriptions(lab: Any) -> list[str]:
    return [arn for topic in lab.sim.sns.topics.values() for arn in topic.subscriptions]


def _lambdas(lab: Any) -> list[str]:
    return sorted(lab.lambdas)


def _outboxes(lab: Any) -> list[str]:
    return sorted(lab.outboxes)


def topic_arn(lab: Any, name: str, field: str = "topic") -> str:
    topic = lab.sim.sns.topics.get(name)
    if topic is None:
        known = ", ".join(lab.sim.sns.topics) or "none yet: create one first"
        raise ArgumentError(field, f"no topic {name!r}; topics: {known}")
    return topic.arn


# -- SNS -------------------------------------------------------------------------------------

def create_topic(lab: Any, name: str, fifo: bool, content_based_deduplication: bool) -> str:
    attributes = {}
    if fifo:
        attributes["FifoTopic"] = "true"
    if content_based_deduplication:
        attributes["ContentBasedDeduplication"] = "true"
    arn = lab.sim.sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    return f"created {'FIFO' if fifo else 'standard'} SNS topic {name!r} ({arn})"


def subscribe(lab: Any, topic: str, queue: str, raw_message_delivery: bool,
              filter_policy: dict[str, Any] | None, filter_policy_scope: str) -> str:
    attributes = {"RawMessageDelivery": "true" if raw_message_delivery else "false"}
    if filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(filter_policy)
        attributes["FilterPolicyScope"] = filter_policy_scope
    arn = lab.sim.sns.subscribe(TopicArn=topic_arn(lab, topic), Protocol="sqs",
                                Endpoint=lab.queue(queue).arn,
                                Attributes=attributes)["SubscriptionArn"]
    how = "raw messages" if raw_message_delivery else "JSON envelopes"
    policy = f", filtered on {filter_policy_scope}" if filter_policy is not None else ""
    return f"{queue!r} subscribed to {topic!r}: gets {how}{policy} ({arn})"


def set_filter_policy(lab: Any, subscription: str, filter_policy: dict[str, Any] | None,
                      filter_policy_scope: str | None) -> str:
    sns = lab.sim.sns
    if filter_policy_scope:
        sns.set_subscription_attributes(SubscriptionArn=subscription,
                                        AttributeName="FilterPolicyScope",
                                        AttributeValue=filter_policy_scope)
    sns.set_subscription_attributes(
        SubscriptionArn=subscription, AttributeName="FilterPolicy",
        AttributeValue="" if filter_policy is None else json.dumps(filter_policy))
    if filter_policy is None:
        return f"{subscription}: no filter policy, every message is delivered"
    return f"{subscription}: filter policy set"


def unsubscribe(lab: Any, subscription: str) -> str:
    lab.sim.sns.unsubscribe(SubscriptionArn=subscription)
    return f"unsubscribed {subscription}"


def delete_topic(lab: Any, topic: str) -> str:
    lab.sim.sns.delete_topic(TopicArn=topic_arn(lab, topic))
    return f"deleted SNS topic {topic!r} and its subscriptions"


def publish(lab: Any, topic: str, message: str, subject: str | None,
            attributes: dict[str, Any] | None, group_id: str | None,
            deduplication_id: str | None, count: int) -> str:
    from mqlab.commands.sqs import _message_attributes

    arn = topic_arn(lab, topic)
    ids = []
    for n in range(1, count + 1):
        answer = lab.sim.sns.publish(
            TopicArn=arn, Message=message.replace("{n}", str(n)), Subject=subject or None,
            MessageAttributes=_message_attributes(attributes), MessageGroupId=group_id,
            MessageDeduplicationId=deduplication_id)
        ids.append(answer["MessageId"])
    sent = ids[0] if count == 1 else f"{count} messages ({ids[0]} .. {ids[-1]})"
    subscribers = len(lab.sim.sns.topics[topic].subscriptions)
    return f"published {sent} to {topic!r} ({subscribers} subscription(s))"


# -- Lambda-style consumers ------------------------------------------------------------------

def add_lambda(lab: Any, name: str, queue: str, batch_size: int, batching_window: float,
               report_batch_item_failures: bool, processing_time: float, failure_rate: float,
               poison: str | None, deduplicate: bool) -> str:
    lab.queue(queue)
    if name in lab.lambdas or name in lab.consumers:
        raise ArgumentError("name", f"a consumer named {name!r} exists; pick another name")
    app = LambdaConsumer(
        lab.sim, name, queue, processing=duration_from_spec(processing_time),
        batch_size=batch_size, batching_window=batching_window,
        report_batch_item_failures=report_batch_item_failures,
        failures=FailureRule(rate=failure_rate, poison=(poison,) if poison else (),
                             match="contains"),
        ledger=lab.ledgers.setdefault(queue, Ledger(f"{queue} processed")),
        store=lab.stores.setdefault(queue, ProcessedIds()) if deduplicate else None)
    lab.lambdas[name] = app
    app.start()
    reports = "reports batchItemFailures" if report_batch_item_failures else \
        "fails whole batches"
    return (f"function {name!r} consumes {queue!r} in batches of up to {batch_size} "
            f"(window {batching_window:g} s, {reports})")


def _named(apps: dict[str, Any], name: str, field: str, what: str) -> Any:
    app = apps.get(name)
    if app is None:
        known = ", ".join(sorted(apps)) or "none yet"
        raise ArgumentError(field, f"no {what} {name!r}; {what}s: {known}")
    return app


def _lambda(lab: Any, name: str) -> LambdaConsumer:
    return _named(lab.lambdas, name, "function", "function")


def _switch(app: Any, field: str, what: str, up: bool) -> None:
    """Crash a running app (``up`` False) or restart a crashed one (``up`` True)."""
    if app.running is not up:
        app.restart() if up else app.crash()
        return
    raise ArgumentError(field, f"{what} is {'running' if up else 'already down'}")


def crash_lambda(lab: Any, function: str) -> str:
    _switch(_lambda(lab, function), "function", f"function {function!r}", up=False)
    return f"function {function!r} crashed; its records return after the visibility timeout"


def restart_lambda(lab: Any, function: str) -> str:
    _switch(_lambda(lab, function), "function", f"function {function!r}", up=True)
    return f"function {function!r} polls again"


def remove_lambda(lab: Any, function: str) -> str:
    app = _lambda(lab, function)
    app.retire()
    del lab.lambdas[function]
    lab.sim.emit(CONSUMER_REMOVED, "sqs", source=app.node,
                 reason=f"function {function!r} removed")
    return f"function {function!r} removed"


# -- the outbox ------------------------------------------------------------------------------

def add_outbox(lab: Any, name: str, mode: str, queue: str | None, topic: str | None,
               step: float, relay_interval: float) -> str:
    if name in lab.outboxes:
        raise ArgumentError("name", f"a service named {name!r} exists; pick another name")
    if bool(queue) == bool(topic):
        raise ArgumentError("queue", "give a queue or a topic to publish to (one of them)")
    if queue:
        lab.queue(queue)
    else:
        topic_arn(lab, str(topic))
    lab.outboxes[name] = OutboxService(lab.sim, name, mode=mode,  # type: ignore[arg-type]
                                       queue=queue or None, topic=topic or None, step=step,
                                       relay_interval=relay_interval)
    return f"service {name!r} writes rows and publishes them ({dict(OUTBOX_MODES)[mode]})"


def _outbox(lab: Any, name: str) -> OutboxService:
    return _named(lab.outboxes, name, "service", "service")


def place_order(lab: Any, service: str, key: str, count: int) -> str:
    app = _outbox(lab, service)
    if not app.running:
        raise ArgumentError("service", f"service {service!r} is down: restart it first")
    keys = [key.replace("{n}", str(app.placed + n)) for n in range(1, count + 1)]
    for one in keys:
        app.place(one)
    return f"{service!r} handled {', '.join(keys)}"


def crash_outbox(lab: Any, service: str) -> str:
    _switch(_outbox(lab, service), "service", f"service {service!r}", up=False)
    return f"service {service!r} crashed; its database stays"


def restart_outbox(lab: Any, service: str) -> str:
    _switch(_outbox(lab, service), "service", f"service {service!r}", up=True)
    return f"service {service!r} restarted"


# -- the registry ----------------------------------------------------------------------------

TOPIC = Field("topic", "Topic", required=True, suggest=_topics)
SUBSCRIPTION = Field("subscription", "SubscriptionArn", required=True, suggest=_subscriptions)
FUNCTION = Field("function", "Function", required=True, suggest=_lambdas)
SERVICE = Field("service", "Service", required=True, suggest=_outboxes)
POLICY = Field("filter_policy", "FilterPolicy", "json",
               placeholder='{"kind": ["created"], "total": [{"numeric": [">", 100]}]}',
               help="Exact values, numeric, prefix, anything-but, exists; AND across keys, "
                    "OR across a key's values. Blank: every message.")


def commands(queue_field: Field,
             main_queue: Callable[[Any], str] | None = None) -> tuple[Command, ...]:
    return (
        Command("create_topic", "Create SNS topic", "SNS", create_topic, (
            Field("name", "Name", required=True, placeholder="orders",
                  help="FIFO topic names end in .fifo."),
            Field("fifo", "FifoTopic", "bool", default=False),
            Field("content_based_deduplication", "ContentBasedDeduplication (FIFO)", "bool",
                  default=False),
        ), help="CreateTopic: a topic holds nothing; it copies each message to its "
                "subscriptions.", fresh=True),
        Command("subscribe", "Subscribe a queue", "SNS", subscribe, (
            TOPIC, queue_field,
            Field("raw_message_delivery", "RawMessageDelivery", "bool", default=False,
                  help="On: the body is the message itself. Off: a JSON envelope."),
            POLICY,
            Field("filter_policy_scope", "FilterPolicyScope", "choice",
                  default="MessageAttributes", choices=SCOPES),
        ), help="Subscribe with Protocol sqs: the queue gets a copy of each message its "
                "filter policy lets through.", fresh=True),
        Command("publish", "Publish to topic", "SNS", publish, (
            TOPIC, Field("message", "Message", "textarea", default="order {n}",
                         max_length=producers.BODY_CHARS),
            Field("subject", "Subject"),
            Field("attributes", "Message attributes", "json",
                  placeholder='{"kind": "created", "total": 120}'),
            Field("group_id", "MessageGroupId (FIFO)"),
            Field("deduplication_id", "MessageDeduplicationId (FIFO)"),
            producers.COUNT,
        ), help="Publish: one copy per matching subscription, each a new SQS message."),
        Command("set_filter_policy", "Set filter policy", "SNS", set_filter_policy, (
            SUBSCRIPTION, POLICY,
            Field("filter_policy_scope", "FilterPolicyScope", "choice", choices=SCOPES),
        ), help="SetSubscriptionAttributes FilterPolicy (blank removes it)."),
        Command("unsubscribe", "Unsubscribe", "SNS", unsubscribe, (SUBSCRIPTION,)),
        Command("delete_topic", "Delete topic", "SNS", delete_topic, (TOPIC,), danger=True),
        Command("add_lambda", "Add Lambda function", "Consumers", add_lambda, (
            Field("name", "Name", required=True, placeholder="fn-1"), queue_field,
            Field("batch_size", "BatchSize", "int", default=10, minimum=1, maximum=MAX_BATCH),
            Field("batching_window", "MaximumBatchingWindowInSeconds", "float", default=0,
                  minimum=0, maximum=MAX_WINDOW),
            Field("report_batch_item_failures", "ReportBatchItemFailures", "bool",
                  default=False, help="On: only failed records return. Off: one failure "
                                      "returns the whole batch."),
            Field("processing_time", "Processing time per record (s)", "float", default=1.0,
                  minimum=0, maximum=900),
            Field("failure_rate", "Failure rate", "float", default=0.0, minimum=0, maximum=1),
            Field("poison", "Poison text", default="poison",
                  help="A record whose body contains this fails every time."),
            Field("deduplicate", "Idempotency store", "bool", default=False,
                  help="Skip a record whose idempotency key was processed already."),
        ), help="An SQS event source mapping: batches, one invocation per batch."),
        Command("crash_lambda", "Crash function", "Faults", crash_lambda, (FUNCTION,),
                danger=True),
        Command("restart_lambda", "Restart function", "Consumers", restart_lambda,
                (FUNCTION,)),
        Command("remove_lambda", "Remove function", "Consumers", remove_lambda, (FUNCTION,)),
        Command("add_outbox", "Add outbox service", "Outbox", add_outbox, (
            Field("name", "Name", required=True, default="shop"),
            Field("mode", "Writes", "choice", default="outbox", choices=OUTBOX_MODES),
            Field("queue", "Queue", suggest=lambda lab: list(lab.sim.sqs.queues),
                  prefill=main_queue),
            Field("topic", "or Topic", suggest=_topics),
            Field("step", "Time between the two writes (s)", "float", default=0.5,
                  minimum=0.01, maximum=3600),
            Field("relay_interval", "Relay polls every (s)", "float", default=1.0,
                  minimum=0.01, maximum=3600),
        ), help="A service writing a database row and telling the world about it."),
        Command("place_order", "Place order", "Outbox", place_order, (
            SERVICE, Field("key", "Order key", default="order-{n}"), producers.COUNT,
        )),
        Command("crash_outbox", "Crash service", "Faults", crash_outbox, (SERVICE,),
                danger=True, help="Between its two writes: what does each mode lose?"),
        Command("restart_outbox", "Restart service", "Outbox", restart_outbox, (SERVICE,)),
    )


def lab_contents(lab: Any) -> dict[str, dict[str, Any]]:
    """Counters of the functions on their nodes."""
    return {app.node: {"counters": {"invocations": app.invocations,
                                    "failed_invocations": app.failed_invocations,
                                    "running": app.running}}
            for app in lab.lambdas.values()}
