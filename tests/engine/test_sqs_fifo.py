"""FIFO queues: message groups, ordering, locking, deduplication, sequence numbers
(SQS Developer Guide, "Amazon SQS FIFO queues", "Exactly-once processing", "FIFO queue key
terms"; SendMessage API Reference)."""

import hashlib

import pytest

from engine import Simulation
from engine.sqs.errors import InvalidParameterValue, MissingParameter


def make(attributes=None, name="orders.fifo"):
    sim = Simulation()
    events = []
    sim.subscribe(events.append)
    url = sim.sqs.create_queue(QueueName=name,
                               Attributes={"FifoQueue": "true", **(attributes or {})})["QueueUrl"]
    return sim, sim.sqs, url, events


def send(sqs, url, body, group="g", dedup=None):
    return sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group,
                            MessageDeduplicationId=dedup or body)


def bodies(response):
    return [m["Body"] for m in response.get("Messages", [])]


def test_fifo_queue_name_must_end_with_fifo():
    sim = Simulation()
    with pytest.raises(InvalidParameterValue):
        sim.sqs.create_queue(QueueName="orders", Attributes={"FifoQueue": "true"})
    url = sim.sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})
    attributes = sim.sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["All"])
    assert attributes["Attributes"]["FifoQueue"] == "true"
    assert attributes["Attributes"]["ContentBasedDeduplication"] == "false"


def test_send_needs_a_message_group_id():
    sim, sqs, url, _ = make()
    with pytest.raises(MissingParameter) as error:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert "MessageGroupId" in error.value.message


def test_send_needs_a_deduplication_id_unless_content_based():
    sim, sqs, url, _ = make()
    with pytest.raises(InvalidParameterValue) as error:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert "ContentBasedDeduplication" in error.value.message


def test_per_message_delay_is_refused_on_fifo_but_the_queue_delay_applies():
    sim, sqs, url, _ = make({"DelaySeconds": "10"})
    with pytest.raises(InvalidParameterValue):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g",
                         MessageDeduplicationId="d", DelaySeconds=5)
    send(sqs, url, "x")
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(10)
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["x"]


def test_sequence_numbers_increase_in_send_order():
    sim, sqs, url, _ = make()
    numbers = [send(sqs, url, f"m{i}", group=f"g{i % 2}")["SequenceNumber"] for i in range(4)]
    assert all(len(n) == 20 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 4


def test_messages_of_a_group_come_in_send_order():
    sim, sqs, url, _ = make()
    for i in range(5):
        send(sqs, url, f"m{i}")
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)) == ["m0", "m1", "m2"]


def test_group_with_a_message_in_flight_is_locked_other_groups_go_on():
    sim, sqs, url, _ = make()
    send(sqs, url, "a1", group="a")
    send(sqs, url, "a2", group="a")
    send(sqs, url, "b1", group="b")
    first = sqs.receive_message(QueueUrl=url)
    assert bodies(first) == ["a1"]
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["b1"]
    assert sqs.receive_message(QueueUrl=url) == {}
    assert sim.snapshot()["contents"]["sqs:queue:orders.fifo"]["locked_groups"] == ["a", "b"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["Messages"][0]["ReceiptHandle"])
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["a2"]


def test_receive_returns_as_many_of_one_group_as_it_can_then_other_groups():
    sim, sqs, url, _ = make()
    for body, group in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("b2", "b"), ("c1", "c")]:
        send(sqs, url, body, group=group)
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)) == ["a1", "a2", "b1"]
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)) == ["c1"]


def test_message_back_from_visibility_timeout_comes_before_later_ones_of_its_group():
    sim, sqs, url, events = make({"VisibilityTimeout": "5"})
    send(sqs, url, "m1")
    sqs.receive_message(QueueUrl=url)
    send(sqs, url, "m2")
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(5)
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["m1", "m2"]


def test_delete_with_a_handle_whose_timeout_expired_is_refused_on_fifo():
    # FIFO queues reject an expired receipt handle (verified against AWS in
    # localstack/localstack#12442); the message stays.
    sim, sqs, url, _ = make({"VisibilityTimeout": "5"})
    send(sqs, url, "m1")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sim.advance(5)
    with pytest.raises(InvalidParameterValue) as error:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert "expired" in error.value.message
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["m1"]


def test_duplicate_within_5_minutes_is_accepted_with_the_same_id_and_never_delivered():
    sim, sqs, url, events = make()
    first = send(sqs, url, "pay 10", dedup="order-1")
    sim.advance(299)
    again = send(sqs, url, "pay 10", dedup="order-1")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    ignored = [e for e in events if e.kind == "duplicate-ignored"]
    assert len(ignored) == 1 and ignored[0].message_id is None
    assert ignored[0].details["MessageId"] == first["MessageId"]
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["pay 10"]


def test_duplicate_is_ignored_even_after_the_original_was_deleted():
    sim, sqs, url, _ = make()
    send(sqs, url, "x", dedup="d")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    send(sqs, url, "x", dedup="d")
    assert sqs.receive_message(QueueUrl=url) == {}


def test_same_deduplication_id_after_5_minutes_is_a_new_message():
    sim, sqs, url, _ = make()
    first = send(sqs, url, "x", dedup="d")
    sim.advance(300)
    second = send(sqs, url, "x", dedup="d")
    assert second["MessageId"] != first["MessageId"]


def test_content_based_deduplication_uses_sha256_of_the_body():
    sim, sqs, url, _ = make({"ContentBasedDeduplication": "true"})
    first = sqs.send_message(QueueUrl=url, MessageBody="hello", MessageGroupId="g")
    same = sqs.send_message(QueueUrl=url, MessageBody="hello", MessageGroupId="g",
                            MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    other = sqs.send_message(QueueUrl=url, MessageBody="hello!", MessageGroupId="g")
    assert same["MessageId"] == first["MessageId"] != other["MessageId"]
    message = sqs.receive_message(QueueUrl=url, AttributeNames=["MessageDeduplicationId"])
    assert message["Messages"][0]["Attributes"]["MessageDeduplicationId"] == \
        hashlib.sha256(b"hello").hexdigest()


def test_deduplication_scope_message_group_keeps_one_window_per_group():
    sim, sqs, url, _ = make({"DeduplicationScope": "messageGroup",
                             "FifoThroughputLimit": "perMessageGroupId"})
    a = send(sqs, url, "x", group="a", dedup="d")
    b = send(sqs, url, "x", group="b", dedup="d")
    assert a["MessageId"] != b["MessageId"]
    assert send(sqs, url, "x", group="a", dedup="d")["MessageId"] == a["MessageId"]


def test_fifo_receive_answers_group_sequence_and_deduplication_attributes():
    sim, sqs, url, _ = make()
    sent = send(sqs, url, "x", group="g1", dedup="d1")
    message = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])
    attributes = message["Messages"][0]["Attributes"]
    assert attributes["MessageGroupId"] == "g1"
    assert attributes["MessageDeduplicationId"] == "d1"
    assert attributes["SequenceNumber"] == sent["SequenceNumber"]


def test_new_queue_delay_is_retroactive_on_fifo():
    # "Amazon SQS delay queues": for FIFO queues the per-queue delay setting is retroactive.
    sim, sqs, url, events = make({"DelaySeconds": "100"})
    send(sqs, url, "x")
    sim.advance(10)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "30"})
    sim.advance(19.9)
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(0.1)
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["x"]
