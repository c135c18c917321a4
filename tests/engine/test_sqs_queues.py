"""Queues: create, look up, list, attributes, delete, purge (Amazon SQS API Reference:
CreateQueue, GetQueueUrl, ListQueues, Get/SetQueueAttributes, DeleteQueue, PurgeQueue;
Developer Guide, "Amazon SQS standard queue quotas")."""

import json

import pytest

from engine import Simulation
from engine.sqs import SQSError
from engine.sqs.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
    PurgeQueueInProgress,
    QueueDeletedRecently,
    QueueDoesNotExist,
    QueueNameExists,
)

URL = "https://sqs.us-east-1.amazonaws.com/000000000000/"


@pytest.fixture
def sim():
    return Simulation()


def test_create_queue_returns_its_url_and_arn_is_an_attribute(sim):
    response = sim.sqs.create_queue(QueueName="orders")
    assert response == {"QueueUrl": URL + "orders"}
    arn = sim.sqs.get_queue_attributes(QueueUrl=URL + "orders", AttributeNames=["QueueArn"])
    assert arn == {"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:000000000000:orders"}}


def test_default_attributes_as_documented(sim):
    sim.sqs.create_queue(QueueName="orders")
    attributes = sim.sqs.get_queue_attributes(QueueUrl=URL + "orders",
                                              AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert attributes["MessageRetentionPeriod"] == "345600"
    assert attributes["MaximumMessageSize"] == "1048576"
    assert attributes["DelaySeconds"] == "0"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert "FifoQueue" not in attributes


def test_create_again_with_same_attributes_returns_the_same_queue(sim):
    first = sim.sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "60"})
    again = sim.sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "60"})
    assert first == again
    assert list(sim.sqs.queues) == ["orders"]


def test_create_again_with_different_attributes_is_queue_name_exists(sim):
    sim.sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "60"})
    with pytest.raises(QueueNameExists) as error:
        sim.sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "61"})
    assert "orders" in error.value.message


@pytest.mark.parametrize("name", ["", "a" * 81, "has space", "dot.name", "plain.fifo"])
def test_invalid_queue_names_are_refused(sim, name):
    with pytest.raises(InvalidParameterValue):
        sim.sqs.create_queue(QueueName=name)
    assert sim.sqs.queues == {}


def test_queue_name_of_80_characters_is_allowed_and_names_are_case_sensitive(sim):
    sim.sqs.create_queue(QueueName="a" * 80)
    sim.sqs.create_queue(QueueName="Test-queue")
    sim.sqs.create_queue(QueueName="test-queue")
    assert len(sim.sqs.queues) == 3


@pytest.mark.parametrize(("name", "value"), [
    ("VisibilityTimeout", "43201"), ("DelaySeconds", "901"), ("MessageRetentionPeriod", "59"),
    ("MessageRetentionPeriod", "1209601"), ("MaximumMessageSize", "1023"),
    ("MaximumMessageSize", "1048577"), ("ReceiveMessageWaitTimeSeconds", "21"),
    ("VisibilityTimeout", "-1"), ("VisibilityTimeout", "1.5"),
])
def test_attribute_values_outside_the_documented_range_are_refused(sim, name, value):
    with pytest.raises(InvalidAttributeValue) as error:
        sim.sqs.create_queue(QueueName="q", Attributes={name: value})
    assert name in error.value.message
    assert sim.sqs.queues == {}


@pytest.mark.parametrize(("name", "value"), [
    ("VisibilityTimeout", "43200"), ("DelaySeconds", "900"), ("MessageRetentionPeriod", "60"),
    ("MessageRetentionPeriod", "1209600"), ("MaximumMessageSize", "1024"),
    ("ReceiveMessageWaitTimeSeconds", "20"),
])
def test_attribute_values_at_the_documented_limits_are_accepted(sim, name, value):
    url = sim.sqs.create_queue(QueueName="q", Attributes={name: value})["QueueUrl"]
    assert sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name]) == {
        "Attributes": {name: value}}


def test_attribute_values_must_be_strings(sim):
    with pytest.raises(InvalidAttributeValue) as error:
        sim.sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": 30})
    assert "'30'" in error.value.message


def test_unknown_and_read_only_attribute_names_are_invalid_attribute_name(sim):
    with pytest.raises(InvalidAttributeName):
        sim.sqs.create_queue(QueueName="q", Attributes={"Visibility": "3"})
    url = sim.sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(InvalidAttributeName):
        sim.sqs.set_queue_attributes(QueueUrl=url, Attributes={"QueueArn": "x"})
    with pytest.raises(InvalidAttributeName):
        sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nope"])


def test_fifo_only_attributes_are_refused_on_a_standard_queue(sim):
    with pytest.raises(InvalidAttributeName):
        sim.sqs.create_queue(QueueName="q", Attributes={"ContentBasedDeduplication": "true"})


def test_set_queue_attributes_changes_behaviour_and_emits_an_update(sim):
    events = []
    sim.subscribe(events.append)
    url = sim.sqs.create_queue(QueueName="q")["QueueUrl"]
    sim.advance(5)
    sim.sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "7"})
    attributes = sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "7"
    assert attributes["LastModifiedTimestamp"] == "5"
    assert attributes["CreatedTimestamp"] == "0"
    assert [e.kind for e in events] == ["declared", "queue-updated"]
    assert "VisibilityTimeout=7" in events[-1].reason


def test_get_queue_url_of_a_missing_queue_is_queue_does_not_exist(sim):
    with pytest.raises(QueueDoesNotExist) as error:
        sim.sqs.get_queue_url(QueueName="nope")
    assert error.value.code == "QueueDoesNotExist"
    assert isinstance(error.value, SQSError)


def test_unknown_queue_url_is_queue_does_not_exist(sim):
    with pytest.raises(QueueDoesNotExist):
        sim.sqs.send_message(QueueUrl=URL + "nope", MessageBody="x")


def test_list_queues_filters_by_prefix_and_pages(sim):
    for name in ["orders", "orders-dlq", "payments"]:
        sim.sqs.create_queue(QueueName=name)
    assert sim.sqs.list_queues(QueueNamePrefix="ord") == {
        "QueueUrls": [URL + "orders", URL + "orders-dlq"]}
    first = sim.sqs.list_queues(MaxResults=2)
    assert first == {"QueueUrls": [URL + "orders", URL + "orders-dlq"], "NextToken": "2"}
    assert sim.sqs.list_queues(MaxResults=2, NextToken="2") == {"QueueUrls": [URL + "payments"]}
    assert sim.sqs.list_queues(QueueNamePrefix="zzz") == {}


def test_delete_queue_deletes_its_messages_and_the_name_waits_60_seconds(sim):
    events = []
    sim.subscribe(events.append)
    url = sim.sqs.create_queue(QueueName="q")["QueueUrl"]
    sent = sim.sqs.send_message(QueueUrl=url, MessageBody="x")
    sim.sqs.delete_queue(QueueUrl=url)
    assert [(e.kind, e.message_id) for e in events[-2:]] == [
        ("deleted", sent["MessageId"]), ("removed", None)]
    assert list(sim.locations()) == []
    with pytest.raises(QueueDoesNotExist):
        sim.sqs.get_queue_url(QueueName="q")
    sim.advance(59)
    with pytest.raises(QueueDeletedRecently):
        sim.sqs.create_queue(QueueName="q")
    sim.advance(1)
    assert sim.sqs.create_queue(QueueName="q") == {"QueueUrl": url}


def test_purge_deletes_every_message_and_only_once_per_60_seconds(sim):
    events = []
    sim.subscribe(events.append)
    url = sim.sqs.create_queue(QueueName="q")["QueueUrl"]
    ids = [sim.sqs.send_message(QueueUrl=url, MessageBody=str(i))["MessageId"] for i in range(3)]
    sim.sqs.receive_message(QueueUrl=url)
    sim.sqs.purge_queue(QueueUrl=url)
    assert [(e.kind, e.message_id) for e in events if e.kind == "purged"] == [
        ("purged", i) for i in ids]
    assert sim.sqs.receive_message(QueueUrl=url) == {}
    sim.advance(59.9)
    with pytest.raises(PurgeQueueInProgress):
        sim.sqs.purge_queue(QueueUrl=url)
    sim.advance(0.1)
    assert sim.sqs.purge_queue(QueueUrl=url) == {}


def test_tags_given_at_creation_are_listed(sim):
    url = sim.sqs.create_queue(QueueName="q", tags={"team": "billing"})["QueueUrl"]
    assert sim.sqs.list_queue_tags(QueueUrl=url) == {"Tags": {"team": "billing"}}


def test_redrive_policy_reads_back_as_compact_json_with_a_numeric_count(sim):
    sim.sqs.create_queue(QueueName="dlq")
    url = sim.sqs.create_queue(QueueName="q", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq",
         "maxReceiveCount": "5"})})["QueueUrl"]
    policy = sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    assert policy["Attributes"]["RedrivePolicy"] == (
        '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":5}')
