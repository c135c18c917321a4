"""The checks a JSON Schema cannot make: every name a scenario uses must exist, with the
JSON path of the culprit and the names that do exist."""

import copy

import pytest

from engine.scenario import check
from tests.specs import replaced

BASE = {
    "title": "t", "description": "d", "duration": 60,
    "rabbitmq": {
        "exchanges": [{"name": "orders", "type": "topic"}, {"name": "dlx", "type": "fanout"}],
        "queues": [{"name": "work", "arguments": {"x-dead-letter-exchange": "dlx"}},
                   {"name": "work.dlq", "dlq": True}],
        "bindings": [{"queue": "work", "exchange": "orders", "routing_key": "order.*"},
                     {"queue": "work.dlq", "exchange": "dlx"}],
    },
    "sqs": {"queues": [{"name": "jobs-dlq"},
                       {"name": "jobs", "redrive": {"dlq": "jobs-dlq", "max_receive_count": 3}}]},
    "kafka": {"topics": [{"name": "events", "partitions": 2}]},
    "producers": [{"name": "shop", "broker": "rabbitmq", "exchange": "orders",
                   "routing_key": "order.{key}"},
                  {"name": "feeder", "broker": "kafka", "topic": "events"}],
    "consumers": [{"name": "worker", "broker": "rabbitmq", "queue": "work",
                   "on_failure": "retry", "retry": {"max_attempts": 3}},
                  {"name": "reader", "broker": "kafka", "topic": "events", "group": "g",
                   "on_failure": "dead-letter"},
                  {"name": "poller", "broker": "sqs", "queue": "jobs"}],
}


def changed(path, value):
    """A copy of BASE with the value at ``path`` (a list of keys / indexes) replaced."""
    return replaced(BASE, path, value)


def test_a_consistent_scenario_has_no_problems():
    assert check(BASE) == []


def test_names_created_by_retrying_consumers_can_be_referenced():
    spec = changed(["expect"], [
        {"metric": "depth", "of": "work.retry.2", "op": "==", "value": 0},
        {"metric": "depth", "of": "events-dlt", "op": "==", "value": 0},
        {"metric": "lag", "of": "g", "op": "==", "value": 0}])
    spec["alerts"] = [{"broker": "kafka", "queue": "events-dlt"}]
    assert check(spec) == []


@pytest.mark.parametrize(("path", "value", "where", "says"), [
    (["rabbitmq", "bindings", 0, "queue"], "nope", "$.rabbitmq.bindings[0].queue",
     "unknown queue 'nope'; defined: 'work', 'work.dlq'"),
    (["rabbitmq", "bindings", 1, "exchange"], "nope", "$.rabbitmq.bindings[1].exchange",
     "unknown exchange 'nope'; defined: 'orders', 'dlx'"),
    (["rabbitmq", "queues", 0, "arguments"], {"x-dead-letter-exchange": "gone"},
     "$.rabbitmq.queues[0].arguments.x-dead-letter-exchange", "unknown exchange 'gone'"),
    (["rabbitmq", "queues", 1, "name"], "work", "$.rabbitmq.queues[1].name",
     "queue 'work' is defined twice"),
    (["sqs", "queues", 1, "redrive"], {"dlq": "missing", "max_receive_count": 2},
     "$.sqs.queues[1].redrive.dlq", "unknown queue 'missing'; defined: 'jobs-dlq', 'jobs'"),
    (["sqs", "queues", 1, "name"], "jobs.fifo", "$.sqs.queues[1].redrive.dlq",
     "must both be FIFO (.fifo) or both standard"),
    (["producers", 0, "exchange"], "nope", "$.producers[0].exchange",
     "unknown exchange 'nope'; defined: '', 'orders', 'dlx'"),
    (["producers", 0, "routing_key"], "order.{region}", "$.producers[0].routing_key",
     "allowed: {key}"),
    (["producers", 0, "body"], "order {colour}", "$.producers[0].body",
     "unknown field {colour}"),
    (["producers", 0, "body"], "order {", "$.producers[0].body", "malformed template"),
    (["producers", 0, "backpressure"], {"queue": "nope", "threshold": 3},
     "$.producers[0].backpressure.queue", "unknown queue 'nope'"),
    (["producers", 0, "rate"], {"kind": "spike", "peak": 9, "start": 10, "end": 5},
     "$.producers[0].rate.end", "end > start"),
    (["producers", 1, "topic"], "nope", "$.producers[1].topic",
     "unknown topic 'nope'; defined: 'events', 'events-dlt'"),
    (["producers", 0, "options"], {"partition": 1}, "$.producers[0].options.partition",
     "'partition' is not a rabbitmq option; allowed: priority, persistent, expiration,"
     " reply_to"),
    (["producers", 0, "options"], {"reply_to": "replies"}, "$.producers[0].options.reply_to",
     "unknown queue 'replies'"),
    (["producers", 1, "options"], {"dedup_id": "x"}, "$.producers[1].options.dedup_id",
     "'dedup_id' is not a kafka option; allowed: partition"),
    (["consumers", 0, "queue"], "nope", "$.consumers[0].queue", "unknown queue 'nope'"),
    (["consumers", 2, "on_failure"], "dead-letter", "$.consumers[2].on_failure",
     "SQS moves a message to its DLQ by itself"),
    (["consumers", 2, "retry"], {"max_attempts": 2}, "$.consumers[2].retry",
     "only apply with on_failure: 'retry'"),
    (["consumers", 2, "name"], "shop", "$.consumers[2].name", "also a producer's name"),
])
def test_each_bad_reference_is_named_with_its_path(path, value, where, says):
    problems = check(changed(path, value))
    assert [p for p in problems if p[0] == where and says in p[1]], problems


def test_a_broker_without_topology_is_reported_where_it_is_used():
    spec = copy.deepcopy(BASE)
    del spec["kafka"]
    problems = check(spec)
    assert ("$.producers[1].broker", "broker 'kafka' has no topology: add a top-level"
            " 'kafka' section") in problems


@pytest.mark.parametrize(("action", "where", "says"), [
    ({"at": 99, "do": "crash", "consumer": "worker"}, "$.timeline[0].at",
     "after the end of the scenario (duration 60)"),
    ({"at": 1, "do": "crash", "consumer": "ghost"}, "$.timeline[0].consumer",
     "unknown consumer 'ghost'; defined: 'worker', 'reader', 'poller'"),
    ({"at": 1, "do": "publish", "producer": "ghost"}, "$.timeline[0].producer",
     "unknown producer 'ghost'; defined: 'shop', 'feeder'"),
    ({"at": 1, "do": "publish", "producer": "feeder", "options": {"delay": 3}},
     "$.timeline[0].options.delay", "'delay' is not a kafka option; allowed: partition"),
    ({"at": 1, "do": "redrive", "broker": "rabbitmq", "queue": "work.dlq"},
     "$.timeline[0].broker", "allowed: 'sqs'"),
    ({"at": 1, "do": "purge", "broker": "kafka", "queue": "events"}, "$.timeline[0].broker",
     "allowed: 'rabbitmq', 'sqs'"),
    ({"at": 1, "do": "seek-to-beginning", "consumer": "worker"}, "$.timeline[0].consumer",
     "'worker' is a rabbitmq consumer"),
])
def test_timeline_actions_must_name_what_exists(action, where, says):
    problems = check(changed(["timeline"], [action]))
    assert [p for p in problems if p[0] == where and says in p[1]], problems


@pytest.mark.parametrize(("expectation", "where", "says"), [
    ({"metric": "depth", "op": "==", "value": 0}, "$.expect[0]",
     "metric 'depth' needs 'of': the queue to measure"),
    ({"metric": "dead_lettered", "of": "work", "op": "==", "value": 0}, "$.expect[0].of",
     "metric 'dead_lettered' is a total and takes no 'of'"),
    ({"metric": "duplicates", "of": "nobody", "op": "==", "value": 0}, "$.expect[0].of",
     "unknown consumer 'nobody'"),
    ({"metric": "lag", "of": "nogroup", "op": "==", "value": 0}, "$.expect[0].of",
     "unknown group 'nogroup'; defined: 'g'"),
    ({"metric": "published", "of": "worker", "op": "==", "value": 0}, "$.expect[0].of",
     "unknown producer 'worker'"),
    ({"metric": "side_effects", "of": "nobody", "op": "==", "value": 0}, "$.expect[0].of",
     "unknown consumer or producer 'nobody'"),
    ({"metric": "max_depth", "of": "events", "op": "<", "value": 9}, "$.expect[0].of",
     "'events' is a Kafka topic: it keeps records after they are read"),
    ({"metric": "alerts", "op": "==", "value": 0, "at": 61}, "$.expect[0].at",
     "after the end of the scenario"),
])
def test_expectations_must_measure_something_that_exists(expectation, where, says):
    problems = check(changed(["expect"], [expectation]))
    assert [p for p in problems if p[0] == where and says in p[1]], problems
