"""Property tests: whatever a learner does, every SQS message is in exactly one state of one
queue (visible, in flight or delayed) until it is deleted, expired, purged or redriven; its last
event says which; and the same seed with the same calls replays the same events."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Simulation
from engine.invariants import budget_violations, conservation_violations
from engine.sqs import TERMINAL, SQSError

ARN = "arn:aws:sqs:us-east-1:000000000000:"
QUEUES = ["std", "std-dlq", "fifo.fifo", "fifo-dlq.fifo"]
#: The state a message is in after each kind of event about it.
STATE_AFTER = {"sent": "visible", "delayed": "delayed", "visible": "visible",
               "received": "in-flight", "visibility-changed": "in-flight",
               "dead-lettered": "visible", "enqueued": "visible"}

operations = st.one_of(
    st.tuples(st.just("send"), st.sampled_from(QUEUES), st.integers(0, 4),
              st.sampled_from([None, 0, 5]), st.sampled_from(["a", "b"])),
    st.tuples(st.just("receive"), st.sampled_from(QUEUES), st.integers(1, 10),
              st.sampled_from([None, 0, 3, 50]), st.sampled_from([None, "w1", "w2"])),
    st.tuples(st.just("poll"), st.sampled_from(QUEUES), st.integers(0, 20)),
    st.tuples(st.just("delete"), st.sampled_from(QUEUES), st.integers(0, 30)),
    st.tuples(st.just("change"), st.sampled_from(QUEUES), st.integers(0, 30),
              st.sampled_from([0, 4, 100])),
    st.tuples(st.just("advance"), st.sampled_from([0, 0.5, 3, 10, 31, 70])),
    st.tuples(st.just("purge"), st.sampled_from(QUEUES)),
    st.tuples(st.just("redrive"), st.sampled_from(["std-dlq", "fifo-dlq.fifo"])),
    st.tuples(st.just("set-delay"), st.sampled_from(QUEUES), st.sampled_from(["0", "2", "8"])),
)


def setup(seed, realism):
    sim = Simulation(seed)
    events = []
    sim.subscribe(events.append)
    sqs = sim.sqs
    sqs.realism.enabled = realism
    sqs.create_queue(QueueName="std-dlq")
    sqs.create_queue(QueueName="fifo-dlq.fifo", Attributes={"FifoQueue": "true"})
    sqs.create_queue(QueueName="std", Attributes={
        "VisibilityTimeout": "5", "MessageRetentionPeriod": "60", "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": ARN + "std-dlq", "maxReceiveCount": 2})})
    sqs.create_queue(QueueName="fifo.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "5",
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": ARN + "fifo-dlq.fifo", "maxReceiveCount": 2})})
    return sim, events


def run(seed, realism, ops, check=None):
    sim, events = setup(seed, realism)
    sqs = sim.sqs
    handles = {name: [] for name in QUEUES}
    answers = []

    def keep(name, response):
        answers.append(response)
        handles[name] += [m["ReceiptHandle"] for m in response.get("Messages", [])]

    for op in ops:
        kind, rest = op[0], op[1:]
        try:
            answers.append(apply(sqs, sim, kind, rest, handles, keep))
        except SQSError as error:
            answers.append(error.code)
        if check:
            check(sim, events)
    return [e.to_dict() for e in events], answers


def apply(sqs, sim, kind, rest, handles, keep):
    url = "https://sqs.us-east-1.amazonaws.com/000000000000/"
    if kind == "advance":
        return sim.advance(rest[0])
    if kind == "redrive":
        return sqs.start_message_move_task(SourceArn=ARN + rest[0])
    name = rest[0]
    if kind == "send":
        fifo = name.endswith(".fifo")
        extra = {"MessageGroupId": rest[3]} if fifo else {"DelaySeconds": rest[2]}
        if fifo and name.startswith("fifo-dlq"):
            extra["MessageDeduplicationId"] = f"d{rest[1]}"
        return sqs.send_message(QueueUrl=url + name, MessageBody=f"body {rest[1]}", **extra)
    if kind == "receive":
        response = sqs.receive_message(QueueUrl=url + name, MaxNumberOfMessages=rest[1],
                                       VisibilityTimeout=rest[2], consumer=rest[3])
        keep(name, response)
        return None
    if kind == "poll":
        return sqs.receive_message_async(lambda r: keep(name, r), QueueUrl=url + name,
                                         WaitTimeSeconds=rest[1])
    if kind == "purge":
        return sqs.purge_queue(QueueUrl=url + name)
    if kind == "set-delay":
        return sqs.set_queue_attributes(QueueUrl=url + name, Attributes={"DelaySeconds": rest[1]})
    if not handles[name]:
        return None
    handle = handles[name][rest[1] % len(handles[name])]
    if kind == "delete":
        return sqs.delete_message(QueueUrl=url + name, ReceiptHandle=handle)
    return sqs.change_message_visibility(QueueUrl=url + name, ReceiptHandle=handle,
                                         VisibilityTimeout=rest[2])


def check_places(sim, events):
    locations = list(sim.locations())
    assert conservation_violations(events, locations, TERMINAL) == []
    assert budget_violations(sim) == []
    last = {}
    for event in events:
        if event.message_id is not None:
            last[event.message_id] = event
    for message_id, place in locations:
        queue, state = place.split("#")
        assert state == STATE_AFTER[last[message_id].kind], (message_id, place)
        event = last[message_id]
        assert queue == (event.source if event.kind == "received" else event.target)
    for queue in sim.sqs.queues.values():
        counts = queue.counts()
        assert sum(counts.values()) == len(queue.messages)
        assert min(counts.values()) >= 0


@settings(max_examples=150, deadline=None)
@given(st.lists(operations, max_size=60), st.booleans(), st.integers(0, 3))
def test_every_message_is_in_exactly_one_state_or_ended(ops, realism, seed):
    run(seed, realism, ops, check=check_places)


@settings(max_examples=60, deadline=None)
@given(st.lists(operations, max_size=60), st.booleans(), st.integers(0, 3))
def test_same_seed_and_calls_replay_the_same_events(ops, realism, seed):
    assert run(seed, realism, ops) == run(seed, realism, ops)
