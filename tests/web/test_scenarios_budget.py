"""An imported scenario meets the room's caps (engine/scenario/budget.py via the loader): a
scenario over each cap is refused with a problem naming its JSON path and the limit. The
forms take their maxima from the same Limits, so the two cannot drift."""

import pytest

from engine.limits import DEFAULTS, Limits
from mqlab.commands import _producers as producers
from mqlab.commands import kafka, rabbitmq, sqs
from mqlab.limits import room_limits, setting_name
from mqlab.scenarios import problems_in

SMALL = Limits(max_queues=1, max_exchanges=1, max_bindings=1, max_topics=1,
               max_partitions=3, max_partitions_per_topic=2, max_producers=1,
               max_consumers=1, max_rate=10, max_total_rate=15, max_publish_count=5,
               max_body_bytes=4)


def producer(name, per_second=1, **more):
    return {"name": name, "broker": "rabbitmq", "routing_key": "q",
            "rate": {"kind": "steady", "per_second": per_second}, **more}


def consumer(name):
    return {"name": name, "broker": "rabbitmq", "queue": "q", "processing": 0.5}


def scenario(**sections):
    return {"title": "t", "description": "d", "duration": 10,
            "rabbitmq": {"queues": [{"name": "q"}]}, **sections}


def bound(path, value, limit, what):
    return (path, f"{value:g} is over this room's limit of {limit} {what}")


@pytest.mark.parametrize(("data", "expected"), [
    (scenario(rabbitmq={"queues": [{"name": "q"}, {"name": "r"}]}),
     bound("$.rabbitmq.queues", 2, 1, "queues")),
    (scenario(rabbitmq={"queues": [{"name": "q"}],
                        "exchanges": [{"name": "a"}, {"name": "b"}]}),
     bound("$.rabbitmq.exchanges", 2, 1, "exchanges")),
    (scenario(rabbitmq={"queues": [{"name": "q"}], "exchanges": [{"name": "a"}],
                        "bindings": [{"queue": "q", "exchange": "a", "routing_key": k}
                                     for k in "xy"]}),
     bound("$.rabbitmq.bindings", 2, 1, "bindings")),
    (scenario(sqs={"queues": [{"name": "a"}, {"name": "b"}]}),
     bound("$.sqs.queues", 2, 1, "queues")),
    (scenario(kafka={"topics": [{"name": "a"}, {"name": "b"}]}),
     bound("$.kafka.topics", 2, 1, "topics")),
    (scenario(kafka={"topics": [{"name": "a", "partitions": 3}]}),
     bound("$.kafka.topics[0].partitions", 3, 2, "partitions per topic")),
    (scenario(producers=[producer("a"), producer("b")]),
     bound("$.producers", 2, 1, "simulated producers")),
    (scenario(consumers=[consumer("a"), consumer("b")]),
     bound("$.consumers", 2, 1, "simulated consumers")),
    (scenario(producers=[producer("a", 11)]),
     bound("$.producers[0].rate.per_second", 11, 10, "messages per second for one producer")),
    (scenario(producers=[producer("a", body="12345")]),
     bound("$.producers[0].body", 5, 4, "characters in a body")),
    (scenario(producers=[producer("a")],
              timeline=[{"at": 1, "do": "publish", "producer": "a", "count": 6}]),
     bound("$.timeline[0].count", 6, 5, "messages in one publish")),
])
def test_a_scenario_over_a_cap_is_refused_at_its_path(data, expected):
    assert expected in problems_in(data, SMALL)


def test_the_producers_rates_together_and_a_bursts_rate_are_bounded():
    limits = Limits(max_rate=10, max_total_rate=15)
    data = scenario(producers=[producer("a", 10), producer("b", 10),
                               {**producer("c"), "rate": {"kind": "bursts", "size": 50,
                                                          "every": 2}}])
    problems = problems_in(data, limits)
    assert bound("$.producers[2].rate.size", 25, 10,
                 "messages per second for one producer") in problems
    assert bound("$.producers", 45, 15,
                 "messages per second for all producers together") in problems


def test_partitions_in_all_are_bounded():
    data = scenario(kafka={"topics": [{"name": "a", "partitions": 2},
                                      {"name": "b", "partitions": 2}]})
    assert problems_in(data, Limits(max_partitions=3)) == [
        bound("$.kafka.topics", 4, 3, "partitions in all")]


def test_the_rate_of_the_measured_abuse_is_refused_with_the_room_defaults():
    data = scenario(producers=[producer("flood", 1_000_000)])
    assert bound("$.producers[0].rate.per_second", 1_000_000, DEFAULTS.max_rate,
                 "messages per second for one producer") in problems_in(data)


def test_forms_take_their_maxima_from_the_same_limits():
    def field(kit, command, name):
        spec = next(c for c in kit.COMMANDS if c.name == command)
        return next(f for f in spec.fields if f.name == name)

    assert producers.RATE.maximum == DEFAULTS.max_rate
    for kit, command in ((rabbitmq, "publish"), (kafka, "produce"), (sqs, "send_message")):
        assert field(kit, command, "count").maximum == DEFAULTS.max_publish_count
    assert field(rabbitmq, "publish", "body").max_length == DEFAULTS.max_body_bytes
    assert field(kafka, "create_topic", "partitions").maximum == \
        DEFAULTS.max_partitions_per_topic


def test_room_limits_come_from_the_settings(settings):
    assert room_limits() == DEFAULTS
    settings.MQLAB_MAX_MESSAGES = 123
    settings.MQLAB_MAX_QUEUES = 7
    limits = room_limits()
    assert (limits.max_messages, limits.max_queues) == (123, 7)
    assert setting_name("max_bytes") == "MQLAB_MAX_BYTES"
