"""Visibility timeouts and receipt handles (SQS Developer Guide, "Amazon SQS visibility
timeout"; DeleteMessage and ChangeMessageVisibility API Reference)."""

import pytest

from engine import Simulation
from engine.sqs.errors import (
    InvalidParameterValue,
    MessageNotInflight,
    ReceiptHandleIsInvalid,
)


def make(attributes=None, seed=0):
    sim = Simulation(seed)
    events = []
    sim.subscribe(events.append)
    url = sim.sqs.create_queue(QueueName="orders", Attributes=attributes)["QueueUrl"]
    return sim, sim.sqs, url, events


def receive_one(sqs, url, **kwargs):
    response = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"], **kwargs)
    assert len(response["Messages"]) == 1
    return response["Messages"][0]


def kinds_of(events, message_id):
    return [(e.at, e.kind) for e in events if e.message_id == message_id]


def test_received_message_is_hidden_for_the_default_30_seconds_then_visible_again():
    sim, sqs, url, events = make()
    sent = sqs.send_message(QueueUrl=url, MessageBody="order 1")
    first = receive_one(sqs, url)
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(29.999)
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(0.001)
    second = receive_one(sqs, url)
    assert second["MessageId"] == sent["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert first["ReceiptHandle"] != second["ReceiptHandle"]
    assert kinds_of(events, sent["MessageId"]) == [
        (0.0, "sent"), (0.0, "received"), (30.0, "visible"), (30.0, "received")]


def test_queue_visibility_timeout_attribute_sets_the_default():
    sim, sqs, url, _ = make({"VisibilityTimeout": "5"})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    receive_one(sqs, url)
    sim.advance(5)
    assert receive_one(sqs, url)["Attributes"]["ApproximateReceiveCount"] == "2"


def test_receive_visibility_timeout_overrides_the_queue_default():
    sim, sqs, url, _ = make()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    receive_one(sqs, url, VisibilityTimeout=2)
    sim.advance(2)
    receive_one(sqs, url)


def test_visibility_timeout_zero_at_receive_leaves_the_message_visible():
    sim, sqs, url, _ = make()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    receive_one(sqs, url, VisibilityTimeout=0)
    assert receive_one(sqs, url)["Attributes"]["ApproximateReceiveCount"] == "2"


def test_delete_with_latest_handle_removes_the_message():
    sim, sqs, url, events = make()
    sent = sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_one(sqs, url)
    assert sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"]) == {}
    sim.advance(60)
    assert sqs.receive_message(QueueUrl=url) == {}
    assert kinds_of(events, sent["MessageId"])[-1] == (0.0, "deleted")
    assert list(sim.locations()) == []


def test_delete_with_an_older_receipt_handle_succeeds_but_deletes_nothing():
    # DeleteMessage API: "you must provide the most recently received ReceiptHandle for the
    # message (otherwise, the request succeeds, but the message will not be deleted)".
    sim, sqs, url, _ = make({"VisibilityTimeout": "10"})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    old = receive_one(sqs, url)["ReceiptHandle"]
    sim.advance(10)
    receive_one(sqs, url)
    assert sqs.delete_message(QueueUrl=url, ReceiptHandle=old) == {}
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_delete_with_an_older_receipt_handle_emits_delete_ignored_naming_the_receive():
    # DeleteMessage API Reference: an outdated handle gets success and deletes nothing; the
    # learner sees that as a delete-ignored event with no message id (not a message's end).
    sim, sqs, url, events = make({"VisibilityTimeout": "10"})
    sent = sqs.send_message(QueueUrl=url, MessageBody="x")
    old = receive_one(sqs, url)["ReceiptHandle"]
    sim.advance(10)
    receive_one(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old)
    ignored = [e for e in events if e.kind == "delete-ignored"]
    assert len(ignored) == 1 and ignored[0].message_id is None
    assert ignored[0].reason == ("receipt handle from receive 1 is outdated (the message was "
                                 "received again, 2 times in all): SQS accepts the delete and "
                                 "keeps the message")
    assert ignored[0].details["MessageId"] == sent["MessageId"]
    assert kinds_of(events, sent["MessageId"])[-1] == (10.0, "received")


def test_delete_with_the_handle_of_a_deleted_message_is_ignored_and_ends_nothing_twice():
    sim, sqs, url, events = make()
    sent = sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_one(sqs, url)["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert [e.kind for e in events][-2:] == ["deleted", "delete-ignored"]
    assert "no longer in orders (already deleted" in events[-1].reason
    assert kinds_of(events, sent["MessageId"])[-1] == (0.0, "deleted")


def test_standard_queue_deletes_with_latest_handle_after_the_timeout_expired():
    sim, sqs, url, _ = make({"VisibilityTimeout": "10"})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_one(sqs, url)["ReceiptHandle"]
    sim.advance(15)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert sqs.receive_message(QueueUrl=url) == {}


def test_delete_with_a_malformed_handle_is_receipt_handle_is_invalid():
    sim, sqs, url, _ = make()
    with pytest.raises(ReceiptHandleIsInvalid) as error:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert error.value.code == "ReceiptHandleIsInvalid"
    assert "not-a-handle" in error.value.message


def test_change_visibility_counts_from_the_moment_of_the_call():
    # Developer Guide: timeout 60 s, 15 s elapsed, ChangeMessageVisibility(10): the 10 s count
    # from the call, so the message is visible again at 25 s.
    sim, sqs, url, events = make({"VisibilityTimeout": "60"})
    sent = sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_one(sqs, url)["ReceiptHandle"]
    sim.advance(15)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10)
    sim.advance(9.9)
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(0.1)
    receive_one(sqs, url)
    assert kinds_of(events, sent["MessageId"]) == [
        (0.0, "sent"), (0.0, "received"), (15.0, "visibility-changed"), (25.0, "visible"),
        (25.0, "received")]


def test_change_visibility_to_zero_releases_the_message_at_once():
    sim, sqs, url, _ = make()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_one(sqs, url)["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert receive_one(sqs, url)["Attributes"]["ApproximateReceiveCount"] == "2"


def test_change_visibility_may_extend_to_12_hours_from_the_receive_and_no_further():
    # ChangeMessageVisibility API: 5 min timeout, after 3 min set 10 min => 13 min in all;
    # extending beyond 12 hours (43200 s) in total is rejected.
    sim, sqs, url, _ = make({"VisibilityTimeout": "300"})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_one(sqs, url)["ReceiptHandle"]
    sim.advance(180)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=600)
    sim.advance(599)
    assert sqs.receive_message(QueueUrl=url) == {}
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle,
                                  VisibilityTimeout=43200 - 779)
    with pytest.raises(InvalidParameterValue) as error:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle,
                                      VisibilityTimeout=43200 - 778)
    assert "43200" in error.value.message
    sim.advance(43200 - 779 - 0.001)
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(0.001)
    receive_one(sqs, url)


def test_change_visibility_of_a_message_not_in_flight_is_message_not_inflight():
    sim, sqs, url, _ = make({"VisibilityTimeout": "10"})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_one(sqs, url)["ReceiptHandle"]
    sim.advance(10)
    with pytest.raises(MessageNotInflight) as error:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=5)
    assert error.value.code == "MessageNotInflight"


def test_change_visibility_out_of_range_is_invalid_and_changes_nothing():
    sim, sqs, url, _ = make()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_one(sqs, url)["ReceiptHandle"]
    with pytest.raises(InvalidParameterValue):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=-1)
    sim.advance(30)
    receive_one(sqs, url)


def test_receive_count_and_first_receive_timestamp_in_virtual_milliseconds():
    sim, sqs, url, _ = make({"VisibilityTimeout": "1"})
    sim.advance(2.5)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sim.advance(1)
    first = receive_one(sqs, url)
    sim.advance(1)
    second = receive_one(sqs, url)
    assert first["Attributes"]["SentTimestamp"] == "2500"
    assert first["Attributes"]["ApproximateFirstReceiveTimestamp"] == "3500"
    assert second["Attributes"]["ApproximateFirstReceiveTimestamp"] == "3500"
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
