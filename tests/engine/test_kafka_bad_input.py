"""Hypothesis: any argument to any public call either works or raises an EngineError (never a
TypeError or KeyError from inside the model), and a refused call emits nothing."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import EngineError, Simulation
from engine.kafka import SerializationException

JUNK = st.sampled_from([None, -1, 0, 1, 2, 99, 1.5, "", "orders", "nope", "all", b"k", True,
                        [], ["orders"], {}, {"retention.ms": "x"}, ("orders", 0),
                        ("orders", "0"), ("nope", 1), [("orders", 0)], {("orders", 0): -1}])

# call -> (how to get it, fewest and most positional arguments it takes)
CALLS = {
    "create_topic": (lambda k, c, p: k.create_topic, 1, 4),
    "delete_topic": (lambda k, c, p: k.delete_topic, 1, 1),
    "create_partitions": (lambda k, c, p: k.create_partitions, 2, 2),
    "describe_topic": (lambda k, c, p: k.describe_topic, 1, 1),
    "describe_group": (lambda k, c, p: k.describe_group, 1, 1),
    "lag": (lambda k, c, p: k.lag, 2, 2),
    "kill_broker": (lambda k, c, p: k.kill_broker, 1, 1),
    "restore_broker": (lambda k, c, p: k.restore_broker, 1, 1),
    "lose_produce_responses": (lambda k, c, p: k.lose_produce_responses, 0, 1),
    "producer": (lambda k, c, p: k.producer, 0, 4),
    "consumer": (lambda k, c, p: k.consumer, 0, 7),
    "send": (lambda k, c, p: p.send, 1, 5),
    "send_batch": (lambda k, c, p: p.send_batch, 2, 2),
    "subscribe": (lambda k, c, p: c.subscribe, 1, 1),
    "poll": (lambda k, c, p: c.poll, 0, 2),
    "commit": (lambda k, c, p: c.commit, 0, 1),
    "committed": (lambda k, c, p: c.committed, 1, 1),
    "seek": (lambda k, c, p: c.seek, 2, 2),
    "seek_to_beginning": (lambda k, c, p: c.seek_to_beginning, 0, 1),
    "position": (lambda k, c, p: c.position, 1, 1),
}


@settings(max_examples=500, deadline=None)
@given(call=st.sampled_from(sorted(CALLS)), data=st.data())
def test_every_call_works_or_raises_an_engine_error_and_refusals_emit_nothing(call, data):
    make, fewest, most = CALLS[call]
    args = data.draw(st.lists(JUNK, min_size=fewest, max_size=most))
    sim = Simulation()
    kafka = sim.kafka
    kafka.create_topic("orders", num_partitions=2)
    consumer = kafka.consumer(group_id="g", client_id="c1")
    consumer.subscribe(["orders"])
    consumer.poll()
    producer = kafka.producer(client_id="p1")
    events = []
    sim.subscribe(events.append)
    try:
        make(kafka, consumer, producer)(*args)
    except EngineError:
        assert events == []


def test_a_value_or_header_nested_without_bound_is_refused_not_a_recursion_error():
    """Sizing and showing a record calls str() on it: 5,000 levels raised RecursionError."""
    deep: object = "leaf"
    for _ in range(5000):
        deep = [deep]
    sim = Simulation()
    sim.kafka.create_topic("orders")
    producer = sim.kafka.producer()
    with pytest.raises(SerializationException, match="more than 16 levels"):
        producer.send("orders", value=deep)
    with pytest.raises(SerializationException):
        producer.send("orders", value=b"x", headers=[("h", deep)])
    producer.send("orders", value={"a": [1, {"b": 2}]})  # a shallow one is still fine
