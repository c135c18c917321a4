"""Dead-letter queues, redrive policy and message move tasks (SQS Developer Guide, "Using
dead-letter queues", "Setting-up dead-letter queue retention", "Learn how to configure a
dead-letter queue redrive"; CreateQueue and StartMessageMoveTask API Reference)."""

import json

import pytest

from engine import Simulation
from engine.sqs.errors import (
    InvalidParameterValue,
    ResourceNotFoundException,
    UnsupportedOperation,
)

ARN = "arn:aws:sqs:us-east-1:000000000000:"


def make(max_receive_count=3, fifo=False, dlq_attributes=None, source_attributes=None):
    sim = Simulation()
    events = []
    sim.subscribe(events.append)
    suffix = ".fifo" if fifo else ""
    base = {"FifoQueue": "true"} if fifo else {}
    dlq = sim.sqs.create_queue(QueueName="orders-dlq" + suffix,
                               Attributes={**base, **(dlq_attributes or {})})["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": ARN + "orders-dlq" + suffix,
                         "maxReceiveCount": max_receive_count})
    source = sim.sqs.create_queue(QueueName="orders" + suffix, Attributes={
        **base, "RedrivePolicy": policy, "VisibilityTimeout": "10",
        **(source_attributes or {})})["QueueUrl"]
    return sim, sim.sqs, source, dlq, events


def fail_receives(sim, sqs, url, times):
    """Receive the queue's message ``times`` times without deleting it."""
    for _ in range(times):
        assert sqs.receive_message(QueueUrl=url)["Messages"]
        sim.advance(10)


def test_message_moves_to_the_dlq_when_a_receive_would_exceed_max_receive_count():
    sim, sqs, source, dlq, events = make(max_receive_count=3)
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison")
    fail_receives(sim, sqs, source, 3)
    assert sqs.receive_message(QueueUrl=source) == {}  # the 4th receive moves it instead
    moved = [e for e in events if e.kind == "dead-lettered"]
    assert len(moved) == 1
    assert moved[0].message_id == sent["MessageId"]
    assert moved[0].reason == ("receive 4 > maxReceiveCount 3: moved to dead-letter queue "
                               "orders-dlq (received 3 times)")
    assert (moved[0].source, moved[0].target) == ("sqs:queue:orders", "sqs:queue:orders-dlq")
    message = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])
    message = message["Messages"][0]
    assert message["MessageId"] == sent["MessageId"]  # "with its original message ID"
    assert message["Body"] == "poison"
    assert message["Attributes"]["DeadLetterQueueSourceArn"] == ARN + "orders"
    assert message["Attributes"]["ApproximateReceiveCount"] == "4"


def test_deleted_in_time_never_moves():
    sim, sqs, source, dlq, events = make(max_receive_count=1)
    sqs.send_message(QueueUrl=source, MessageBody="ok")
    handle = sqs.receive_message(QueueUrl=source)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=source, ReceiptHandle=handle)
    assert sqs.receive_message(QueueUrl=dlq) == {}
    assert not [e for e in events if e.kind == "dead-lettered"]


def test_other_messages_are_still_received_in_the_same_receive():
    sim, sqs, source, dlq, _ = make(max_receive_count=1)
    sqs.send_message(QueueUrl=source, MessageBody="poison")
    fail_receives(sim, sqs, source, 1)
    sqs.send_message(QueueUrl=source, MessageBody="fine")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=source)["Messages"]] == ["fine"]


def test_standard_dlq_keeps_the_original_enqueue_time_for_retention():
    # "a message spends 1 day in the original queue ... DLQ retention 4 days ... deleted from
    # the dead-letter queue after 3 days"; scaled to seconds here.
    sim, sqs, source, dlq, events = make(max_receive_count=1,
                                         dlq_attributes={"MessageRetentionPeriod": "400"})
    sent = sqs.send_message(QueueUrl=source, MessageBody="x")
    sqs.receive_message(QueueUrl=source)
    sim.advance(100)
    sqs.receive_message(QueueUrl=source)  # moves it at t=100
    sim.advance(299.9)
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "1"
    sim.advance(0.1)
    assert [(e.at, e.kind) for e in events if e.message_id == sent["MessageId"]][-1] == (
        400.0, "expired")


def test_fifo_dlq_resets_the_enqueue_time_and_takes_the_message_id_as_dedup_id():
    sim, sqs, source, dlq, events = make(max_receive_count=1, fifo=True,
                                         dlq_attributes={"MessageRetentionPeriod": "400"})
    sent = sqs.send_message(QueueUrl=source, MessageBody="x", MessageGroupId="g",
                            MessageDeduplicationId="d")
    sqs.receive_message(QueueUrl=source)
    sim.advance(100)
    sqs.receive_message(QueueUrl=source)
    sim.advance(399.9)
    message = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])
    assert message["Messages"][0]["Attributes"]["MessageDeduplicationId"] == sent["MessageId"]
    assert message["Messages"][0]["Attributes"]["MessageGroupId"] == "g"
    sim.advance(0.1)
    assert [(e.at, e.kind) for e in events if e.message_id == sent["MessageId"]][-1] == (
        500.0, "expired")


def test_fifo_group_goes_on_after_its_head_moved_to_the_dlq():
    sim, sqs, source, dlq, _ = make(max_receive_count=1, fifo=True)
    for body in ("m1", "m2"):
        sqs.send_message(QueueUrl=source, MessageBody=body, MessageGroupId="g",
                         MessageDeduplicationId=body)
    fail_receives(sim, sqs, source, 1)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=source)["Messages"]] == ["m2"]


@pytest.mark.parametrize(("policy", "words"), [
    ({"deadLetterTargetArn": ARN + "nope", "maxReceiveCount": 3}, "does not exist"),
    ({"deadLetterTargetArn": ARN + "dlq", "maxReceiveCount": 0}, "1 to 1000"),
    ({"deadLetterTargetArn": ARN + "dlq", "maxReceiveCount": 1001}, "1 to 1000"),
    ({"deadLetterTargetArn": ARN + "fifo-dlq.fifo", "maxReceiveCount": 3}, "standard"),
    ({"maxReceiveCount": 3}, "deadLetterTargetArn"),
])
def test_invalid_redrive_policies_are_refused(policy, words):
    sim = Simulation()
    sim.sqs.create_queue(QueueName="dlq")
    sim.sqs.create_queue(QueueName="fifo-dlq.fifo", Attributes={"FifoQueue": "true"})
    with pytest.raises(InvalidParameterValue) as error:
        sim.sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": json.dumps(policy)})
    assert words in error.value.message
    assert "src" not in sim.sqs.queues


def test_fifo_queue_dlq_must_be_fifo():
    sim = Simulation()
    sim.sqs.create_queue(QueueName="dlq")
    policy = json.dumps({"deadLetterTargetArn": ARN + "dlq", "maxReceiveCount": 3})
    with pytest.raises(InvalidParameterValue) as error:
        sim.sqs.create_queue(QueueName="src.fifo", Attributes={
            "FifoQueue": "true", "RedrivePolicy": policy})
    assert "FIFO" in error.value.message


def test_max_receive_count_may_be_a_string_as_the_console_writes_it():
    sim = Simulation()
    sim.sqs.create_queue(QueueName="dlq")
    policy = json.dumps({"deadLetterTargetArn": ARN + "dlq", "maxReceiveCount": "5"})
    sim.sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": policy})
    assert sim.sqs.queues["src"].redrive.max_receive_count == 5


def test_redrive_allow_policy_deny_all_and_by_queue():
    sim = Simulation()
    sim.sqs.create_queue(QueueName="closed", Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
    sim.sqs.create_queue(QueueName="picky", Attributes={"RedriveAllowPolicy": json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": [ARN + "allowed"]})})
    for target in ("closed", "picky"):
        with pytest.raises(InvalidParameterValue):
            sim.sqs.create_queue(QueueName="other", Attributes={"RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": ARN + target, "maxReceiveCount": 3})})
    sim.sqs.create_queue(QueueName="allowed", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": ARN + "picky", "maxReceiveCount": 3})})


def test_removing_the_redrive_policy_stops_moves():
    sim, sqs, source, dlq, events = make(max_receive_count=1)
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})
    sqs.send_message(QueueUrl=source, MessageBody="x")
    fail_receives(sim, sqs, source, 3)
    assert not [e for e in events if e.kind == "dead-lettered"]
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq) == {"queueUrls": []}


def test_list_dead_letter_source_queues():
    sim, sqs, source, dlq, _ = make()
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq) == {"queueUrls": [source]}


def test_move_task_redrives_to_the_source_as_new_messages_oldest_first():
    sim, sqs, source, dlq, events = make(max_receive_count=1)
    ids = [sqs.send_message(QueueUrl=source, MessageBody=b)["MessageId"] for b in ("a", "b")]
    sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=2)
    sim.advance(10)
    sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=2)  # both move to the DLQ
    handle = sqs.start_message_move_task(SourceArn=ARN + "orders-dlq",
                                         MaxNumberOfMessagesPerSecond=2)["TaskHandle"]
    assert sqs.list_message_move_tasks(SourceArn=ARN + "orders-dlq")["Results"][0][
        "TaskHandle"] == handle
    sim.advance(0)
    sim.advance(0.5)
    redriven = [e for e in events if e.kind == "redriven"]
    assert [(e.at, e.message_id) for e in redriven] == [(10.0, ids[0]), (10.5, ids[1])]
    back = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10,
                               MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert [m["Body"] for m in back["Messages"]] == ["a", "b"]
    assert not {m["MessageId"] for m in back["Messages"]} & set(ids)  # new MessageIds
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in back["Messages"]} == {"1"}
    sim.advance(1)
    task = sqs.list_message_move_tasks(SourceArn=ARN + "orders-dlq")["Results"][0]
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 2
    assert "TaskHandle" not in task


def test_move_task_to_a_chosen_destination():
    sim, sqs, source, dlq, events = make(max_receive_count=1)
    other = sqs.create_queue(QueueName="retry")["QueueUrl"]
    sqs.send_message(QueueUrl=source, MessageBody="x")
    fail_receives(sim, sqs, source, 1)
    sqs.receive_message(QueueUrl=source)
    sqs.start_message_move_task(SourceArn=ARN + "orders-dlq", DestinationArn=ARN + "retry")
    sim.advance(0)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=other)["Messages"]] == ["x"]


def test_move_task_source_must_be_a_dead_letter_queue_and_one_task_at_a_time():
    sim, sqs, source, dlq, _ = make(max_receive_count=1)
    with pytest.raises(UnsupportedOperation):
        sqs.start_message_move_task(SourceArn=ARN + "orders")
    with pytest.raises(ResourceNotFoundException):
        sqs.start_message_move_task(SourceArn=ARN + "nope")
    with pytest.raises(InvalidParameterValue):
        sqs.start_message_move_task(SourceArn=ARN + "orders-dlq",
                                    MaxNumberOfMessagesPerSecond=501)
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=source, MessageBody=body)
    sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=3)
    sim.advance(10)
    sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=3)
    handle = sqs.start_message_move_task(SourceArn=ARN + "orders-dlq",
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    with pytest.raises(UnsupportedOperation):
        sqs.start_message_move_task(SourceArn=ARN + "orders-dlq")
    sim.advance(0)
    assert sqs.cancel_message_move_task(TaskHandle=handle) == {
        "ApproximateNumberOfMessagesMoved": 1}
    sim.advance(5)
    assert sqs.list_message_move_tasks(SourceArn=ARN + "orders-dlq")["Results"][0][
        "Status"] == "CANCELLED"
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_create_again_with_the_same_redrive_policy_written_differently_is_the_same_queue():
    sim, sqs, source, dlq, _ = make(max_receive_count=3)
    again = sqs.create_queue(QueueName="orders", Attributes={
        "VisibilityTimeout": "10", "RedrivePolicy": json.dumps(
            {"maxReceiveCount": "3", "deadLetterTargetArn": ARN + "orders-dlq"}, indent=2)})
    assert again == {"QueueUrl": source}
