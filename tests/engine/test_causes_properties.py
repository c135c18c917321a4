"""Hypothesis: every movement event carries a cause a learner can read, and a message's trace
(its events' causes, said as sentences) is the same for the same seed and operations.

Reuses the worlds of the broker property tests (the RabbitMQ world with consumers from the
start and operations that deliver, settle, requeue, expire and dead-letter; the Kafka state
machine; the SQS operation lists) with fewer examples: those tests already check
conservation; these add the cause on every event that names a message, and compare the
traces of a replay.
"""

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant

from engine.causes import SAYINGS, say
from tests.engine import test_kafka_properties as kafka_sessions
from tests.engine import test_rabbitmq_properties as rabbit_sessions
from tests.engine import test_sqs_properties as sqs_sessions


def uncaused(events, start=0):
    """Events that move a message (they name one) without a readable cause."""
    bad = []
    for event in events[start:]:
        if event.message_id is None:
            continue
        cause = event.cause
        if not cause or cause.get("rule") not in SAYINGS or not say(cause):
            bad.append((event.kind, event.message_id, cause, event.reason))
    return bad


def traces(events):
    """Each message's steps: (virtual time, sentence), by message id."""
    steps = {}
    for event in events:
        if event.message_id is not None:
            steps.setdefault(event.message_id, []).append((event.at, say(event.cause)))
    return steps


#: consumers from the start, so that random publishes are delivered, settled and requeued
RABBIT_PREFIX = [("consume", 0, "q1", "retry-once", False, 1, 0),
                 ("consume", 1, "q1", "hold", False, 1, 0),
                 ("consume", 0, "q2", "reject", False, 2, 0),
                 ("consume", 1, "dead", "ack", True, 0, 0)]
rabbit_ops = st.one_of(
    st.tuples(st.just("publish"), rabbit_sessions.CH, st.sampled_from(rabbit_sessions.EXCHANGES),
              st.sampled_from(rabbit_sessions.KEYS), st.none(),
              st.sampled_from([None, "0", "500"]), st.booleans(), st.booleans(),
              st.integers(1, 4)),
    st.tuples(st.just("settle"), rabbit_sessions.CH, st.integers(0, 5),
              st.sampled_from(["ack", "nack", "reject"]), st.booleans(), st.booleans(),
              st.just(False)),
    st.tuples(st.just("get"), rabbit_sessions.CH, st.sampled_from(["q1", "q2", "dead"]),
              st.booleans()),
    st.tuples(st.just("advance"), st.sampled_from([0, 0.25, 1, 3])),
    st.tuples(st.just("crash"), st.integers(0, 3)),
    st.tuples(st.just("purge"), rabbit_sessions.CH, st.sampled_from(["q1", "q2"])),
    st.tuples(st.just("delete_queue"), rabbit_sessions.CH, st.sampled_from(["q2", "dead"])),
    st.tuples(st.just("watermark"), st.none() | st.integers(1, 6)),
)


def rabbit_run(seed, ops):
    world = rabbit_sessions.World(seed)
    for op in [*RABBIT_PREFIX, *ops]:
        world.perform(op)
    return world.events


@settings(max_examples=60, deadline=None)
@given(st.lists(rabbit_ops, max_size=30), st.integers(0, 3))
def test_rabbitmq_movements_carry_causes_and_traces_replay(ops, seed):
    events = rabbit_run(seed, ops)
    assert uncaused(events) == []
    assert traces(rabbit_run(seed, ops)) == traces(events)


class KafkaCauses(kafka_sessions.KafkaSessions):
    checked = 0

    @invariant()
    def every_movement_carries_a_cause(self):
        events = self.world.events
        assert uncaused(events, self.checked) == []
        self.checked = len(events)

    def teardown(self):
        replay = kafka_sessions.World(self.seed)
        for op in self.ops:
            replay.perform(op)
        assert traces(replay.events) == traces(self.world.events)


KafkaCauses.TestCase.settings = settings(max_examples=30, stateful_step_count=30,
                                         deadline=None)
test_kafka_movements_carry_causes_and_traces_replay = KafkaCauses.TestCase


@settings(max_examples=40, deadline=None)
@given(st.lists(sqs_sessions.operations, max_size=40), st.booleans(), st.integers(0, 3))
def test_sqs_movements_carry_causes_and_traces_replay(ops, realism, seed):
    seen = []
    sqs_sessions.run(seed, realism, ops, check=lambda sim, events: seen.append(events))
    events = seen[-1] if seen else []
    assert uncaused(events) == []
    replay = []
    sqs_sessions.run(seed, realism, ops, check=lambda sim, events: replay.append(events))
    assert traces(replay[-1] if replay else []) == traces(events)
