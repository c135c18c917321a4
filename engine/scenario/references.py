"""Checks a schema cannot express: every name a scenario uses must be defined in it.

The JSON Schema says a consumer has a ``queue``; only these checks know whether that queue is
declared. Each problem is ``(path, message)`` where ``path`` is the JSON path of the culprit
(``$.consumers[1].queue``) and the message says what is allowed (the names that exist).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.apps.bodies import template_fields, unknown_fields
from engine.apps.retry_names import dead_letter_topic, retry_queue, retry_topic

Problem = tuple[str, str]
#: Names listed in an "unknown name" message; an uploaded file may define thousands, and
#: listing them all in each of thousands of problems made a reply of megabytes.
LISTED_NAMES = 20


class Defined(tuple[str, ...]):
    """Names in their order, with set-speed ``in`` and ``index``: an uploaded scenario may
    hold thousands, and every check must stay linear in the file's size."""

    def __new__(cls, names: Any) -> Defined:
        self = super().__new__(cls, names)
        self._first = {}
        for index, name in enumerate(self):
            self._first.setdefault(name, index)
        return self

    def __contains__(self, name: object) -> bool:
        try:
            return name in self._first
        except TypeError:  # an unhashable value from a file the schema already rejected
            return False

    def index(self, name: Any, *_: Any) -> int:
        return self._first[name]


def _names(items: list[dict[str, Any]] | None) -> list[str]:
    return [item["name"] for item in items or ()]


def _unknown(path: str, what: str, name: str, known: tuple[str, ...]) -> Problem:
    shown = ", ".join(repr(k) for k in known[:LISTED_NAMES]) if known else "none is defined"
    more = len(known) - LISTED_NAMES
    allowed = f"{shown} and {more} more" if more > 0 else shown
    return path, f"unknown {what} {name!r}; defined: {allowed}"


def _duplicates(path: str, what: str, names: Sequence[str]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, name in enumerate(names):
        if name in seen:
            problems.append((f"{path}[{index}].name", f"{what} {name!r} is defined twice;"
                             " names must be unique"))
        seen.add(name)
    return problems


def _retry_names(consumers: Any) -> tuple[list[str], list[str]]:
    """Retrying consumers create their retry queues / topics and Kafka DLT themselves."""
    queues: list[str] = []
    topics: list[str] = []
    for consumer in consumers:
        action = consumer.get("on_failure")
        if action not in ("retry", "dead-letter"):
            continue
        attempts = consumer.get("retry", {}).get("max_attempts", 3)
        if consumer["broker"] == "rabbitmq" and action == "retry" and "queue" in consumer:
            queues += [retry_queue(consumer["queue"], n) for n in range(1, attempts)]
        elif consumer["broker"] == "kafka":
            topic = consumer["topic"]
            if action == "retry":
                topics += [retry_topic(topic, n) for n in range(1, attempts)]
            topics.append(dead_letter_topic(topic))
    return queues, topics


def _group_topics(consumers: Any) -> dict[str, dict[str, None]]:
    groups: dict[str, dict[str, None]] = {}
    for consumer in consumers:
        if "group" in consumer:
            groups.setdefault(consumer["group"], {})[consumer["topic"]] = None
    return groups


class Names:
    """Every name a scenario defines, by broker."""

    def __init__(self, spec: dict[str, Any]) -> None:
        rabbit = spec.get("rabbitmq", {})
        self.declared_exchanges = Defined(_names(rabbit.get("exchanges")))
        self.exchanges = Defined(["", *self.declared_exchanges])
        rabbit_queues = _names(rabbit.get("queues"))
        self.sqs_queues = Defined(_names(spec.get("sqs", {}).get("queues")))
        self.sns_topics = Defined(_names(spec.get("sqs", {}).get("topics")))
        topics = _names(spec.get("kafka", {}).get("topics"))
        retry_queues, retry_topics = _retry_names(spec.get("consumers", ()))
        self.rabbit_queues = Defined(dict.fromkeys([*rabbit_queues, *retry_queues]))
        self.topics = Defined(dict.fromkeys([*topics, *retry_topics]))
        self.producers = Defined(_names(spec.get("producers")))
        self.consumers = Defined(_names(spec.get("consumers")))
        self.outboxes = Defined(_names(spec.get("outboxes")))
        self.apps = Defined([*self.consumers, *self.producers])
        self.all_queues = Defined(sorted({*self.rabbit_queues, *self.sqs_queues, *self.topics}))
        #: Kafka consumer group -> the topics its members read (retry topics included)
        self.group_topics = {group: list(topics_read) for group, topics_read
                             in _group_topics(spec.get("consumers", ())).items()}
        self.groups = Defined(sorted(self.group_topics))
        self.brokers = {name for name in ("rabbitmq", "kafka", "sqs") if name in spec}

    def queues(self, broker: str) -> Defined:
        if broker == "rabbitmq":
            return self.rabbit_queues
        if broker == "sqs":
            return self.sqs_queues
        return self.topics


def check(spec: dict[str, Any]) -> list[Problem]:
    """Every reference problem in a schema-valid scenario (empty when all is well)."""
    names = Names(spec)
    problems = _check_definitions(spec, names)
    for index, producer in enumerate(spec.get("producers", ())):
        problems += _check_producer(f"$.producers[{index}]", producer, names)
    for index, consumer in enumerate(spec.get("consumers", ())):
        problems += _check_consumer(f"$.consumers[{index}]", consumer, names)
    for index, outbox in enumerate(spec.get("outboxes", ())):
        problems += _check_outbox(f"$.outboxes[{index}]", outbox, names)
    for index, alert in enumerate(spec.get("alerts", ())):
        problems += _check_queue(f"$.alerts[{index}].queue", alert["broker"], alert["queue"],
                                 names)
    for index, action in enumerate(spec.get("timeline", ())):
        problems += _check_action(f"$.timeline[{index}]", action, spec, names)
    for index, expectation in enumerate(spec.get("expect", ())):
        problems += _check_expectation(f"$.expect[{index}]", expectation, spec, names)
    return problems


def _check_definitions(spec: dict[str, Any], names: Names) -> list[Problem]:
    problems = []
    problems += _duplicates("$.rabbitmq.exchanges", "exchange", names.declared_exchanges)
    problems += _duplicates("$.rabbitmq.queues", "queue",
                            _names(spec.get("rabbitmq", {}).get("queues")))
    problems += _duplicates("$.sqs.queues", "queue", names.sqs_queues)
    problems += _duplicates("$.kafka.topics", "topic", _names(spec.get("kafka", {}).get("topics")))
    problems += _duplicates("$.producers", "producer", names.producers)
    problems += _duplicates("$.consumers", "consumer", names.consumers)
    problems += _duplicates("$.outboxes", "outbox", names.outboxes)
    for index, name in enumerate(names.consumers):
        if name in names.producers:
            problems.append((f"$.consumers[{index}].name", f"{name!r} is also a producer's"
                             " name; apps need distinct names"))
    for index, name in enumerate(names.outboxes):
        if name in names.apps:
            problems.append((f"$.outboxes[{index}].name", f"{name!r} is also an app's name;"
                             " apps need distinct names"))
    for index, binding in enumerate(spec.get("rabbitmq", {}).get("bindings", ())):
        path = f"$.rabbitmq.bindings[{index}]"
        if binding["queue"] not in names.rabbit_queues:
            problems.append(_unknown(f"{path}.queue", "queue", binding["queue"],
                                     names.rabbit_queues))
        if binding["exchange"] not in names.declared_exchanges:
            problems.append(_unknown(f"{path}.exchange", "exchange", binding["exchange"],
                                     names.declared_exchanges))
    for index, queue in enumerate(spec.get("rabbitmq", {}).get("queues", ())):
        dlx = queue.get("arguments", {}).get("x-dead-letter-exchange")
        if isinstance(dlx, str) and dlx not in names.exchanges:
            problems.append(_unknown(f"$.rabbitmq.queues[{index}].arguments"
                                     ".x-dead-letter-exchange", "exchange", dlx,
                                     names.exchanges))
    topics = spec.get("sqs", {}).get("topics", ())
    problems += _duplicates("$.sqs.topics", "SNS topic", names.sns_topics)
    for index, topic in enumerate(topics):
        for number, subscription in enumerate(topic.get("subscriptions", ())):
            path = f"$.sqs.topics[{index}].subscriptions[{number}].queue"
            if subscription["queue"] not in names.sqs_queues:
                problems.append(_unknown(path, "queue", subscription["queue"],
                                         names.sqs_queues))
    for index, queue in enumerate(spec.get("sqs", {}).get("queues", ())):
        redrive = queue.get("redrive")
        if redrive is None:
            continue
        path = f"$.sqs.queues[{index}].redrive.dlq"
        if redrive["dlq"] not in names.sqs_queues:
            problems.append(_unknown(path, "queue", redrive["dlq"], names.sqs_queues))
        elif queue["name"].endswith(".fifo") != redrive["dlq"].endswith(".fifo"):
            # "Amazon SQS dead-letter queues": the DLQ of a FIFO queue must be a FIFO queue
            # (and of a standard queue a standard queue).
            problems.append((path, f"{queue['name']!r} and its DLQ {redrive['dlq']!r} must both"
                             " be FIFO (.fifo) or both standard"))
    return problems


def _check_broker_used(path: str, broker: str, names: Names) -> list[Problem]:
    if broker in names.brokers:
        return []
    return [(path, f"broker {broker!r} has no topology: add a top-level {broker!r} section")]


def _check_queue(path: str, broker: str, name: str, names: Names) -> list[Problem]:
    known = names.queues(broker)
    if name in known:
        return []
    return [_unknown(path, "topic" if broker == "kafka" else "queue", name, known)]


#: Per-message options each broker understands (see the schema's ``options``).
OPTIONS = {"rabbitmq": ("priority", "persistent", "expiration", "reply_to"),
           "sqs": ("delay", "group", "dedup_id"), "kafka": ("partition",)}


def _check_options(path: str, broker: str, options: dict[str, Any],
                   names: Names) -> list[Problem]:
    allowed = OPTIONS[broker]
    problems = [(f"{path}.{name}", f"{name!r} is not a {broker} option; allowed: "
                 f"{', '.join(allowed)}") for name in options if name not in allowed]
    if broker == "rabbitmq" and "reply_to" in options and \
            options["reply_to"] not in names.rabbit_queues:
        problems.append(_unknown(f"{path}.reply_to", "queue", options["reply_to"],
                                 names.rabbit_queues))
    return problems


def _check_producer(path: str, producer: dict[str, Any], names: Names) -> list[Problem]:
    broker = producer["broker"]
    problems = _check_broker_used(f"{path}.broker", broker, names)
    problems += _check_options(f"{path}.options", broker, producer.get("options", {}), names)
    if broker == "rabbitmq":
        exchange = producer.get("exchange", "")
        if exchange not in names.exchanges:
            problems.append(_unknown(f"{path}.exchange", "exchange", exchange,
                                     names.exchanges))
        key = producer.get("routing_key", "")
        bad = [field for field in _fields(key) if field != "key"]
        if bad:
            problems.append((f"{path}.routing_key", f"unknown field {{{bad[0]}}} in routing key"
                             " template; allowed: {key}"))
    elif broker == "sqs" and "topic" in producer:
        if producer["topic"] not in names.sns_topics:
            problems.append(_unknown(f"{path}.topic", "SNS topic", producer["topic"],
                                     names.sns_topics))
    elif broker == "sqs":
        problems += _check_queue(f"{path}.queue", broker, producer["queue"], names)
    else:
        problems += _check_queue(f"{path}.topic", broker, producer["topic"], names)
    body = producer.get("body")
    if body is not None:
        problems += _check_template(f"{path}.body", body)
    pressure = producer.get("backpressure")
    if pressure is not None:
        problems += _check_queue(f"{path}.backpressure.queue", broker, pressure["queue"],
                                 names)
    rate = producer.get("rate", {})
    if rate.get("kind") == "spike" and rate["end"] <= rate["start"]:
        problems.append((f"{path}.rate.end", "a spike must end after it starts (end > start)"))
    return problems


def _fields(template: str) -> list[str]:
    try:
        return template_fields(template)
    except ValueError:
        return ["<malformed>"]


def _check_template(path: str, template: str) -> list[Problem]:
    try:
        bad = unknown_fields(template)
    except ValueError as error:
        return [(path, f"malformed template ({error}); use {{n}}, {{key}}, {{seq}},"
                 " {producer}, {t}, and {{ }} for literal braces")]
    if bad:
        return [(path, f"unknown field {{{bad[0]}}} in body template; allowed: {{n}}, {{key}},"
                 " {seq}, {producer}, {t}")]
    return []


def _check_outbox(path: str, outbox: dict[str, Any], names: Names) -> list[Problem]:
    if "queue" in outbox and "topic" in outbox:
        return [(f"{path}.topic", "give 'queue' (an SQS queue) or 'topic' (an SNS topic),"
                 " not both")]
    problems = _check_broker_used(f"{path}.queue" if "queue" in outbox else f"{path}.topic",
                                  "sqs", names)
    if problems:
        return problems
    if "queue" in outbox:
        return _check_queue(f"{path}.queue", "sqs", outbox["queue"], names)
    if outbox["topic"] not in names.sns_topics:
        return [_unknown(f"{path}.topic", "SNS topic", outbox["topic"], names.sns_topics)]
    return []


def _check_transactional_consumer(path: str, consumer: dict[str, Any]) -> list[Problem]:
    """Read-process-write commits the input offsets inside the transaction, when the work is
    done: committing them any other way would defeat it."""
    problems = []
    if consumer.get("guarantee") == "at-most-once":
        problems.append((f"{path}.guarantee", "a read-process-write consumer commits its"
                         " offsets in the transaction after the work; use 'at-least-once' or"
                         " 'effectively-once'"))
    if consumer.get("auto_commit"):
        problems.append((f"{path}.auto_commit", "a read-process-write consumer commits its"
                         " offsets in the transaction (send_offsets_to_transaction); turn"
                         " auto_commit off"))
    return problems


def _check_consumer(path: str, consumer: dict[str, Any], names: Names) -> list[Problem]:
    broker = consumer["broker"]
    problems = _check_broker_used(f"{path}.broker", broker, names)
    if broker == "kafka":
        problems += _check_queue(f"{path}.topic", broker, consumer["topic"], names)
        output = consumer.get("transactional_output")
        if output is not None:
            problems += _check_queue(f"{path}.transactional_output.topic", broker,
                                     output["topic"], names)
            problems += _check_transactional_consumer(path, consumer)
    elif "subscribe" in consumer and "queue" in consumer:
        problems.append((f"{path}.subscribe", "give 'queue' (a declared queue) or 'subscribe'"
                         " (an exclusive queue of its own), not both"))
    elif "subscribe" in consumer:
        exchange = consumer["subscribe"]["exchange"]
        if exchange not in names.declared_exchanges:
            problems.append(_unknown(f"{path}.subscribe.exchange", "exchange", exchange,
                                     names.declared_exchanges))
        if consumer.get("on_failure") == "retry":
            problems.append((f"{path}.on_failure", "a subscriber's queue is server-named and"
                             " new at each connection, so no delay queue can route back to"
                             " it; use 'requeue', 'dead-letter' or 'drop'"))
    else:
        problems += _check_queue(f"{path}.queue", broker, consumer["queue"], names)
    if broker == "sqs" and consumer.get("on_failure") == "dead-letter":
        problems.append((f"{path}.on_failure", "SQS moves a message to its DLQ by itself (the"
                         " queue's redrive policy, after maxReceiveCount receives): use"
                         " 'requeue' (wait out the visibility timeout), 'retry' (change the"
                         " visibility with backoff) or 'drop'"))
    if "retry" in consumer and consumer.get("on_failure") != "retry":
        problems.append((f"{path}.retry", "retry settings only apply with on_failure: 'retry'"))
    return problems


def _check_action(path: str, action: dict[str, Any], spec: dict[str, Any],
                  names: Names) -> list[Problem]:
    problems: list[Problem] = []
    if action["at"] > spec["duration"]:
        problems.append((f"{path}.at", f"at {action['at']:g} is after the end of the scenario"
                         f" (duration {spec['duration']:g})"))
    if "producer" in action and action["producer"] not in names.producers:
        problems.append(_unknown(f"{path}.producer", "producer", action["producer"],
                                 names.producers))
    elif "options" in action:
        producer = spec["producers"][names.producers.index(action["producer"])]
        problems += _check_options(f"{path}.options", producer["broker"], action["options"],
                                   names)
    if "consumer" in action and action["consumer"] not in names.consumers:
        problems.append(_unknown(f"{path}.consumer", "consumer", action["consumer"],
                                 names.consumers))
    if "outbox" in action and action["outbox"] not in names.outboxes:
        problems.append(_unknown(f"{path}.outbox", "outbox", action["outbox"], names.outboxes))
    do = action["do"]
    if do in ("lose-produce-response", "abort-transaction") and \
            action["producer"] in names.producers:
        problems += _check_kafka_producer(path, action, spec, names)
    if do in ("kill-broker", "restore-broker"):
        problems += _check_broker_used(f"{path}.do", "kafka", names)
    elif do == "restart-broker":
        problems += _check_broker_used(f"{path}.do", "rabbitmq", names)
    elif do == "add-partitions":
        problems += _check_broker_used(f"{path}.do", "kafka", names) or \
            _check_queue(f"{path}.topic", "kafka", action["topic"], names)
    elif do in ("redrive", "purge"):
        problems += _check_queue(f"{path}.queue", action["broker"], action["queue"], names)
        if do == "redrive" and action["broker"] != "sqs":
            problems.append((f"{path}.broker", "redrive (start_message_move_task) is an SQS"
                             " action; allowed: 'sqs'"))
        if do == "purge" and action["broker"] == "kafka":
            problems.append((f"{path}.broker", "a Kafka topic cannot be purged (records leave"
                             " by retention); allowed: 'rabbitmq', 'sqs'"))
    elif do == "seek-to-beginning" and action.get("consumer") in names.consumers:
        consumer = spec["consumers"][names.consumers.index(action["consumer"])]
        if consumer["broker"] != "kafka":
            problems.append((f"{path}.consumer", f"seek-to-beginning replays a Kafka log;"
                             f" {action['consumer']!r} is a {consumer['broker']} consumer"))
    return problems


def _check_kafka_producer(path: str, action: dict[str, Any], spec: dict[str, Any],
                          names: Names) -> list[Problem]:
    """lose-produce-response needs a Kafka producer; abort-transaction a transactional one."""
    producer = spec["producers"][names.producers.index(action["producer"])]
    if producer["broker"] != "kafka":
        return [(f"{path}.producer", f"{action['do']} acts on a Kafka producer;"
                 f" {action['producer']!r} is a {producer['broker']} producer")]
    if action["do"] == "abort-transaction" and "transactions" not in producer:
        return [(f"{path}.producer", f"{action['producer']!r} is not transactional: give it"
                 " 'transactions' (a transactional_id)")]
    return []


#: Which kind of name each metric's ``of`` refers to (None: no ``of`` allowed).
METRIC_SUBJECTS = {
    "published": "producer or outbox", "rows": "outbox", "rejected": "producer",
    "throttled": "producer",
    "delivered": None, "received": "consumer", "side_effects": "consumer or producer",
    "duplicates": "consumer", "skipped_duplicates": "consumer", "lost": "consumer",
    "failures": "consumer", "retries": "consumer", "out_of_order": "consumer",
    "dead_lettered": None, "alerts": None,
    "depth": "queue", "max_depth": "queue", "lag": "group", "max_lag": "group",
    "events": "kind",
}
#: Metrics that need an ``of``.
NEEDS_SUBJECT = {"depth", "max_depth", "lag", "max_lag", "events", "rows"}


def _check_expectation(path: str, expectation: dict[str, Any], spec: dict[str, Any],
                       names: Names) -> list[Problem]:
    metric = expectation["metric"]
    subject = METRIC_SUBJECTS[metric]
    if subject == "producer or outbox" and not names.outboxes:
        subject = "producer"  # name only what the scenario can have
    of = expectation.get("of")
    problems: list[Problem] = []
    if "at" in expectation and expectation["at"] > spec["duration"]:
        problems.append((f"{path}.at", f"at {expectation['at']:g} is after the end of the"
                         f" scenario (duration {spec['duration']:g})"))
    if of is None:
        if metric in NEEDS_SUBJECT:
            problems.append((path, f"metric {metric!r} needs 'of': the {subject} to measure"))
        return problems
    if subject is None:
        problems.append((f"{path}.of", f"metric {metric!r} is a total and takes no 'of'"))
        return problems
    known = {
        "producer": names.producers, "consumer": names.consumers, "group": names.groups,
        "consumer or producer": names.apps, "queue": names.all_queues,
        "outbox": names.outboxes,
        "producer or outbox": Defined([*names.producers, *names.outboxes]),
    }.get(subject)
    if known is not None and of not in known:
        problems.append(_unknown(f"{path}.of", subject, of, known))
    elif metric == "max_depth" and of in names.topics and of not in names.rabbit_queues \
            and of not in names.sqs_queues:
        problems.append((f"{path}.of", f"{of!r} is a Kafka topic: it keeps records after they"
                         " are read, so its backlog is a group's lag; use max_lag of the group"
                         " (depth of a topic counts the records it retains)"))
    return problems
