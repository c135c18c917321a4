"""Sending and receiving: responses, MD5s, message attributes, limits, delays, retention and
batches (SendMessage, ReceiveMessage and batch API Reference; Developer Guide "Amazon SQS
message quotas", "Amazon SQS message attributes", "Amazon SQS delay queues", "Amazon SQS
message timers")."""

import hashlib
import struct

import pytest

from engine import Simulation
from engine.sqs.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
    TooManyEntriesInBatchRequest,
)


def make(attributes=None):
    sim = Simulation()
    events = []
    sim.subscribe(events.append)
    url = sim.sqs.create_queue(QueueName="orders", Attributes=attributes)["QueueUrl"]
    return sim, sim.sqs, url, events


def bodies(response):
    return [m["Body"] for m in response.get("Messages", [])]


def counts(sqs, url):
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
            int(attributes["ApproximateNumberOfMessagesDelayed"]))


def test_send_answers_message_id_and_md5_of_the_body():
    sim, sqs, url, _ = make()
    response = sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert response["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"  # md5("hello")
    assert set(response) == {"MessageId", "MD5OfMessageBody"}


def test_md5_of_message_attributes_follows_the_documented_encoding():
    # "Calculating the MD5 message digest for message attributes": sorted by name; name, type
    # and value each with a 4-byte big-endian length; transport byte 1 for String/Number.
    sim, sqs, url, _ = make()
    response = sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={
        "b": {"DataType": "Number", "StringValue": "42"},
        "a": {"DataType": "String", "StringValue": "hi"},
    })
    encoded = (b"\x00\x00\x00\x01a" b"\x00\x00\x00\x06String" b"\x01" b"\x00\x00\x00\x02hi"
               b"\x00\x00\x00\x01b" b"\x00\x00\x00\x06Number" b"\x01" b"\x00\x00\x00\x0242")
    assert response["MD5OfMessageAttributes"] == hashlib.md5(encoded).hexdigest()


def test_binary_attribute_uses_transport_type_2():
    sim, sqs, url, _ = make()
    response = sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    encoded = (struct.pack(">I", 4) + b"blob" + struct.pack(">I", 6) + b"Binary" + b"\x02"
               + struct.pack(">I", 2) + b"\x00\x01")
    assert response["MD5OfMessageAttributes"] == hashlib.md5(encoded).hexdigest()


def test_receive_returns_message_attributes_only_when_asked():
    sim, sqs, url, _ = make()
    # "bar.*" selects the attributes whose names start with "bar." (ReceiveMessage API).
    attributes = {"color.primary": {"DataType": "String", "StringValue": "red"},
                  "colors": {"DataType": "Number", "StringValue": "3"}}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    plain = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    assert "MessageAttributes" not in plain and "Attributes" not in plain
    chosen = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0,
                                 MessageAttributeNames=["color.*"])["Messages"][0]
    assert chosen["MessageAttributes"] == {"color.primary": attributes["color.primary"]}
    every = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert every["MessageAttributes"] == attributes
    assert every["MD5OfBody"] == hashlib.md5(b"x").hexdigest()


def test_message_of_1_mib_is_accepted_and_one_byte_more_refused():
    # MaximumMessageSize default and maximum: 1,048,576 bytes (1 MiB), body and attributes.
    sim, sqs, url, _ = make()
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_576)
    with pytest.raises(InvalidParameterValue) as error:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
    assert "1048576" in error.value.message
    with pytest.raises(InvalidParameterValue):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_570, MessageAttributes={
            "k": {"DataType": "String", "StringValue": "v"}})
    assert counts(sqs, url) == (1, 0, 0)


def test_queue_maximum_message_size_applies():
    sim, sqs, url, _ = make({"MaximumMessageSize": "1024"})
    sqs.send_message(QueueUrl=url, MessageBody="é" * 512)  # 1024 bytes in UTF-8
    with pytest.raises(InvalidParameterValue):
        sqs.send_message(QueueUrl=url, MessageBody="é" * 512 + "x")


def test_characters_outside_the_allowed_set_are_invalid_message_contents():
    sim, sqs, url, _ = make()
    with pytest.raises(InvalidMessageContents) as error:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 byte")
    assert "U+0001" in error.value.message
    sqs.send_message(QueueUrl=url, MessageBody="tab\tnewline\n emoji \U0001F600")


def test_empty_or_missing_body_is_refused():
    sim, sqs, url, _ = make()
    with pytest.raises(InvalidParameterValue):
        sqs.send_message(QueueUrl=url, MessageBody="")
    with pytest.raises(MissingParameter):
        sqs.send_message(QueueUrl=url, MessageBody=None)


def test_at_most_10_message_attributes():
    sim, sqs, url, _ = make()
    ten = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ten)
    eleven = dict(ten, a10={"DataType": "String", "StringValue": "v"})
    with pytest.raises(InvalidParameterValue) as error:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=eleven)
    assert "11" in error.value.message


@pytest.mark.parametrize("name", ["AWS.trace", "amazon.x", ".start", "end.", "a..b", "sp ace"])
def test_reserved_or_malformed_attribute_names_are_refused(name):
    sim, sqs, url, _ = make()
    with pytest.raises(InvalidParameterValue):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={
            name: {"DataType": "String", "StringValue": "v"}})


@pytest.mark.parametrize("attribute", [
    {"DataType": "Number", "StringValue": "twelve"},
    {"DataType": "Number", "StringValue": "1" * 39},
    {"DataType": "Number", "StringValue": "1e127"},
    {"DataType": "Text", "StringValue": "v"},
    {"DataType": "String", "StringValue": ""},
    {"DataType": "Binary", "StringValue": "v"},
])
def test_malformed_attribute_values_are_refused(attribute):
    sim, sqs, url, _ = make()
    with pytest.raises(InvalidParameterValue):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={"k": attribute})
    assert counts(sqs, url) == (0, 0, 0)


def test_custom_number_type_with_38_digits_is_accepted():
    sim, sqs, url, _ = make()
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={
        "price": {"DataType": "Number.float", "StringValue": "1" * 38}})


def test_receive_takes_1_to_10_messages_oldest_first():
    sim, sqs, url, _ = make()
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["m0"]
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == [
        f"m{i}" for i in range(1, 11)]
    for bad in (0, 11):
        with pytest.raises(InvalidParameterValue):
            sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=bad)
    assert counts(sqs, url) == (1, 11, 0)


def test_delay_queue_hides_new_messages_for_its_delay_seconds():
    sim, sqs, url, events = make({"DelaySeconds": "45"})
    sent = sqs.send_message(QueueUrl=url, MessageBody="x")
    assert counts(sqs, url) == (0, 0, 1)
    sim.advance(44.9)
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(0.1)
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["x"]
    assert [(e.at, e.kind) for e in events if e.message_id == sent["MessageId"]] == [
        (0.0, "sent"), (0.0, "delayed"), (45.0, "visible"), (45.0, "received")]


def test_message_timer_overrides_the_queue_delay_up_to_900_seconds():
    sim, sqs, url, _ = make({"DelaySeconds": "45"})
    sqs.send_message(QueueUrl=url, MessageBody="now", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                      VisibilityTimeout=43200)) == ["now"]
    with pytest.raises(InvalidParameterValue):
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    sim.advance(900)
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["later"]


def test_retention_period_expires_messages_in_any_state():
    sim, sqs, url, events = make({"MessageRetentionPeriod": "60", "VisibilityTimeout": "600"})
    waiting = sqs.send_message(QueueUrl=url, MessageBody="waiting")["MessageId"]
    held = sqs.send_message(QueueUrl=url, MessageBody="held")["MessageId"]
    sqs.receive_message(QueueUrl=url)  # takes "waiting"
    sim.advance(30)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    sim.advance(30)
    expired = [(e.at, e.message_id) for e in events if e.kind == "expired"]
    assert expired == [(60.0, waiting), (60.0, held)]
    assert "MessageRetentionPeriod 60" in next(e.reason for e in events if e.kind == "expired")
    assert counts(sqs, url) == (1, 0, 0)


def test_default_retention_is_4_days():
    sim, sqs, url, events = make()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sim.advance(345_599)
    assert counts(sqs, url) == (1, 0, 0)
    sim.advance(1)
    assert counts(sqs, url) == (0, 0, 0)
    assert events[-1].kind == "expired"


def test_shorter_retention_set_later_applies_to_messages_already_there():
    sim, sqs, url, events = make()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sim.advance(100)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})
    sim.advance(0)
    assert [(e.at, e.kind) for e in events][-1] == (100.0, "expired")


def test_deduplication_id_is_refused_on_a_standard_queue():
    sim, sqs, url, _ = make()
    with pytest.raises(InvalidParameterValue):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")


def test_message_group_id_on_a_standard_queue_is_kept_for_fair_queues():
    # "Amazon SQS message quotas": in standard queues, MessageGroupId enables fair queues.
    sim, sqs, url, _ = make()
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="tenant-1")
    message = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"])
    assert message["Messages"][0]["Attributes"] == {"MessageGroupId": "tenant-1"}


def test_send_batch_reports_each_entry_on_its_own():
    sim, sqs, url, _ = make()
    response = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok", "MessageBody": "hello"},
        {"Id": "bad", "MessageBody": "x", "DelaySeconds": 1000},
    ])
    assert [entry["Id"] for entry in response["Successful"]] == ["ok"]
    assert response["Successful"][0]["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    failed = response["Failed"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in failed] == [
        ("bad", "InvalidParameterValue", True)]
    assert counts(sqs, url) == (1, 0, 0)


@pytest.mark.parametrize(("entries", "error"), [
    ([], EmptyBatchRequest),
    ([{"Id": str(i), "MessageBody": "x"} for i in range(11)], TooManyEntriesInBatchRequest),
    ([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
     BatchEntryIdsNotDistinct),
    ([{"Id": "has space", "MessageBody": "x"}], InvalidBatchEntryId),
    ([{"Id": "a", "MessageBody": "x" * 600_000}, {"Id": "b", "MessageBody": "y" * 600_000}],
     BatchRequestTooLong),
])
def test_malformed_batches_fail_whole_and_send_nothing(entries, error):
    sim, sqs, url, _ = make()
    with pytest.raises(error):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert counts(sqs, url) == (0, 0, 0)


def test_delete_and_change_visibility_batches():
    sim, sqs, url, _ = make()
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    handles = [m["ReceiptHandle"] for m in
               sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]]
    changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": handles[0], "VisibilityTimeout": 0},
        {"Id": "b", "ReceiptHandle": "junk", "VisibilityTimeout": 0},
    ])
    assert [e["Id"] for e in changed["Successful"]] == ["a"]
    assert [(e["Id"], e["Code"]) for e in changed["Failed"]] == [("b", "ReceiptHandleIsInvalid")]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "b", "ReceiptHandle": handles[1]}, {"Id": "c", "ReceiptHandle": handles[2]}])
    assert deleted == {"Successful": [{"Id": "b"}, {"Id": "c"}], "Failed": []}
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["m0"]


def test_new_queue_delay_is_not_retroactive_on_a_standard_queue():
    # "Amazon SQS delay queues": for standard queues the per-queue delay is not retroactive.
    sim, sqs, url, _ = make({"DelaySeconds": "100"})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sim.advance(10)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "30"})
    sim.advance(89.9)
    assert sqs.receive_message(QueueUrl=url) == {}
    sim.advance(0.1)
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["x"]
