"""SNS → SQS fan-out (``sim.sns``): topics, subscriptions, the envelope, raw delivery, FIFO
topics, errors. Sources: Amazon SNS Developer Guide ("Fanout to Amazon SQS queues", "Amazon
SNS raw message delivery", "Message delivery for FIFO topics", "Message deduplication for
FIFO topics") and the SNS API Reference (CreateTopic, Subscribe, Publish, DeleteTopic)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Simulation
from engine.invariants import budget_violations, conservation_violations
from engine.limits import Limits
from engine.sqs import TERMINAL, SQSError
from engine.sqs.queue import ARN_PREFIX, URL_PREFIX
from engine.sqs.sns_errors import (
    InvalidParameterException,
    InvalidParameterValueException,
    NotFoundException,
    ThrottledException,
    TopicLimitExceededException,
)


def queue(sim, name, **attributes):
    url = sim.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def bodies(sim, url):
    answer = sim.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                     MessageAttributeNames=["All"])
    return answer.get("Messages", [])


def fan_out(raw=False):
    sim = Simulation(seed=3)
    events = []
    sim.subscribe(events.append)
    topic = sim.sns.create_topic(Name="orders")["TopicArn"]
    urls = []
    for name in ("billing", "shipping"):
        url, arn = queue(sim, name)
        attributes = {"RawMessageDelivery": "true"} if raw else {}
        sim.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        urls.append(url)
    return sim, topic, urls, events


def test_publish_gives_each_subscribed_queue_its_own_copy_with_its_own_message_id():
    sim, topic, urls, events = fan_out()
    answer = sim.sns.publish(TopicArn=topic, Message="order 1", Subject="new order")
    copies = [bodies(sim, url) for url in urls]
    assert [len(c) for c in copies] == [1, 1]
    assert copies[0][0]["MessageId"] != copies[1][0]["MessageId"]
    for (message,) in copies:
        envelope = json.loads(message["Body"])
        assert envelope["Type"] == "Notification"
        assert envelope["MessageId"] == answer["MessageId"]
        assert envelope["TopicArn"] == topic
        assert envelope["Message"] == "order 1" and envelope["Subject"] == "new order"
        assert envelope["Timestamp"] == "1970-01-01T00:00:00.000Z"
        assert "UnsubscribeURL" in envelope and envelope["SignatureVersion"] == "1"
    kinds = [e.kind for e in events if e.message_id is not None]
    assert kinds == ["published", "sent", "sent", "fanned-out", "received", "received"]
    sent = [e for e in events if e.kind == "sent"]
    assert {e.source for e in sent} == {"sqs:topic:orders"}


def test_fan_out_keeps_conservation_and_the_budget():
    sim, topic, urls, events = fan_out()
    for n in range(5):
        sim.sns.publish(TopicArn=topic, Message=f"order {n}")
    assert conservation_violations(events, sim.locations(), TERMINAL) == []
    assert budget_violations(sim) == []
    assert sim.held()[0] == 10


def test_raw_message_delivery_sends_the_message_itself_with_its_attributes():
    sim, topic, urls, _ = fan_out(raw=True)
    attributes = {"kind": {"DataType": "String", "StringValue": "created"},
                  "total": {"DataType": "Number.int", "StringValue": "42"}}
    sim.sns.publish(TopicArn=topic, Message="order 1", MessageAttributes=attributes)
    (message,) = bodies(sim, urls[0])
    assert message["Body"] == "order 1"
    assert message["MessageAttributes"] == attributes


def test_envelope_carries_message_attributes_as_type_and_value_and_the_queue_gets_none():
    sim, topic, urls, _ = fan_out()
    sim.sns.publish(TopicArn=topic, Message="x", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "created"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    (message,) = bodies(sim, urls[0])
    assert "MessageAttributes" not in message
    assert json.loads(message["Body"])["MessageAttributes"] == {
        "kind": {"Type": "String", "Value": "created"},
        "blob": {"Type": "Binary", "Value": "AAE="}}


def test_topology_draws_the_topic_and_each_subscription_as_an_edge_to_its_queue():
    sim, topic, urls, _ = fan_out()
    topology = sim.topology()
    assert {"id": "sqs:topic:orders", "kind": "topic", "column": 1}.items() <= {
        k: v for n in topology["nodes"] if n["id"] == "sqs:topic:orders"
        for k, v in n.items()}.items()
    edges = {(e["source"], e["target"], e["kind"]) for e in topology["edges"]}
    assert ("sqs:topic:orders", "sqs:queue:billing", "subscription") in edges
    assert ("sqs:topic:orders", "sqs:queue:shipping", "subscription") in edges


def test_unsubscribe_stops_delivery_and_delete_topic_removes_its_subscriptions():
    sim, topic, urls, events = fan_out()
    subscriptions = sim.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["Protocol"] for s in subscriptions] == ["sqs", "sqs"]
    sim.sns.unsubscribe(SubscriptionArn=subscriptions[0]["SubscriptionArn"])
    sim.sns.publish(TopicArn=topic, Message="m")
    assert [len(bodies(sim, url)) for url in urls] == [0, 1]
    sim.sns.delete_topic(TopicArn=topic)
    assert sim.sns.list_subscriptions()["Subscriptions"] == []
    sim.sns.delete_topic(TopicArn=topic)  # idempotent (DeleteTopic API Reference)
    with pytest.raises(NotFoundException):
        sim.sns.publish(TopicArn=topic, Message="m")
    assert [e.kind for e in events if e.kind in ("bound", "unbound")] == [
        "bound", "bound", "unbound", "unbound"]


def test_create_topic_and_subscribe_are_idempotent():
    sim, topic, urls, _ = fan_out()
    assert sim.sns.create_topic(Name="orders")["TopicArn"] == topic
    arn = queue(sim, "billing")[1]
    first = sim.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]
    again = sim.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    assert again["SubscriptionArn"] == first["SubscriptionArn"]
    with pytest.raises(InvalidParameterException, match="different attributes"):
        sim.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                          Attributes={"RawMessageDelivery": "true"})


def test_fifo_topic_needs_group_id_deduplicates_and_delivers_to_fifo_queues_in_order():
    sim = Simulation(seed=1)
    topic = sim.sns.create_topic(Name="orders.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, arn = queue(sim, "billing.fifo", FifoQueue="true")
    sim.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                      Attributes={"RawMessageDelivery": "true"})
    with pytest.raises(InvalidParameterException, match="MessageGroupId"):
        sim.sns.publish(TopicArn=topic, Message="a")
    first = sim.sns.publish(TopicArn=topic, Message="a", MessageGroupId="o1")
    assert "SequenceNumber" in first
    again = sim.sns.publish(TopicArn=topic, Message="a", MessageGroupId="o1")
    assert again["MessageId"] == first["MessageId"]
    sim.sns.publish(TopicArn=topic, Message="b", MessageGroupId="o1")
    received = sim.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in received] == ["a", "b"]
    assert received[0]["Attributes"]["MessageGroupId"] == "o1"
    sim.advance(301)  # the 5-minute deduplication window is over
    assert sim.sns.publish(TopicArn=topic, Message="a", MessageGroupId="o1")["MessageId"] \
        != first["MessageId"]


def test_fifo_topics_deliver_only_to_fifo_queues_and_standard_topics_not_to_fifo_queues():
    sim = Simulation()
    fifo = sim.sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    standard = sim.sns.create_topic(Name="t")["TopicArn"]
    _, plain = queue(sim, "plain")
    _, ordered = queue(sim, "ordered.fifo", FifoQueue="true")
    with pytest.raises(InvalidParameterException) as error:
        sim.sns.subscribe(TopicArn=fifo, Protocol="sqs", Endpoint=plain)
    assert error.value.code == "InvalidParameter"
    with pytest.raises(InvalidParameterException):
        sim.sns.subscribe(TopicArn=standard, Protocol="sqs", Endpoint=ordered)
    with pytest.raises(InvalidParameterException, match="ContentBasedDeduplication"):
        sim.sns.publish(TopicArn=fifo, Message="x", MessageGroupId="g")
    with pytest.raises(InvalidParameterException, match="only for FIFO"):
        sim.sns.publish(TopicArn=standard, Message="x", MessageDeduplicationId="d")


@pytest.mark.parametrize(("name", "attributes"), [
    ("bad name!", None), ("x.fifo", None), ("x", {"FifoTopic": "true"}), ("", None),
    ("x", {"FifoTopic": True}), ("x", {"Unknown": "1"}),
])
def test_create_topic_refuses_bad_names_and_attributes(name, attributes):
    sim = Simulation()
    with pytest.raises(InvalidParameterException):
        sim.sns.create_topic(Name=name, Attributes=attributes)
    assert sim.sns.topics == {}


def test_errors_carry_sns_codes_and_change_nothing():
    sim, topic, urls, _ = fan_out()
    with pytest.raises(NotFoundException) as error:
        sim.sns.publish(TopicArn=topic + "x", Message="m")
    assert error.value.code == "NotFound"
    with pytest.raises(NotFoundException):
        sim.sns.unsubscribe(SubscriptionArn="arn:aws:sns:us-east-1:000000000000:orders:nope")
    with pytest.raises(InvalidParameterException):
        sim.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="https://example.com")
    with pytest.raises(InvalidParameterException):
        sim.sns.publish(TopicArn=topic, Message="")
    with pytest.raises(InvalidParameterValueException) as error:
        sim.sns.publish(TopicArn=topic, Message="m", MessageAttributes={
            f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)})
    assert error.value.code == "ParameterValueInvalid"
    with pytest.raises(InvalidParameterException, match="too long"):
        sim.sns.publish(TopicArn=topic, Message="x" * 262_145)
    assert sim.held() == (0, 0)
    assert len(sim.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 2


def test_a_copy_the_queue_refuses_is_reported_and_the_others_still_arrive():
    sim, topic, urls, events = fan_out()
    sim.sqs.delete_queue(QueueUrl=urls[0])
    sim.sns.publish(TopicArn=topic, Message="m")
    assert [e.kind for e in events if e.kind == "delivery-failed"] == ["delivery-failed"]
    assert len(bodies(sim, urls[1])) == 1


def test_room_caps_on_topics_subscriptions_and_held_copies():
    sim = Simulation(limits=Limits(max_topics=1, max_bindings=1, max_messages=3))
    topic = sim.sns.create_topic(Name="a")["TopicArn"]
    with pytest.raises(TopicLimitExceededException, match="room's limit"):
        sim.sns.create_topic(Name="b")
    _, one = queue(sim, "one")
    _, two = queue(sim, "two")
    sim.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=one)
    with pytest.raises(Exception, match="room's limit"):
        sim.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=two)
    for _ in range(3):
        sim.sns.publish(TopicArn=topic, Message="m")
    with pytest.raises(ThrottledException, match="budget"):
        sim.sns.publish(TopicArn=topic, Message="m")
    assert sim.held()[0] == 3


# -- properties ----------------------------------------------------------------------------

OPERATIONS = st.lists(st.tuples(
    st.sampled_from(["publish", "subscribe", "unsubscribe", "receive", "delete", "wait",
                     "delete-queue", "filter"]),
    st.integers(0, 2)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(OPERATIONS)
def test_any_sequence_keeps_conservation_and_the_budget(operations):
    sim = Simulation(seed=7, limits=Limits(max_messages=20))
    events = []
    sim.subscribe(events.append)
    topic = sim.sns.create_topic(Name="t")["TopicArn"]
    names = ["a", "b", "c"]
    for name in names:
        queue(sim, name, VisibilityTimeout="3")
    held = []
    for operation, n in operations:
        name = names[n]
        arn = ARN_PREFIX + name
        url = URL_PREFIX + name
        subscriptions = sim.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        try:
            if operation == "publish":
                sim.sns.publish(TopicArn=topic, Message=f"m{n}", MessageAttributes={
                    "n": {"DataType": "Number", "StringValue": str(n)}})
            elif operation == "subscribe" and name in sim.sqs.queues:
                sim.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                                  Attributes={"RawMessageDelivery": str(n == 1).lower()})
            elif operation == "unsubscribe" and subscriptions:
                sim.sns.unsubscribe(SubscriptionArn=subscriptions[0]["SubscriptionArn"])
            elif operation == "filter" and subscriptions:
                sim.sns.set_subscription_attributes(
                    SubscriptionArn=subscriptions[-1]["SubscriptionArn"],
                    AttributeName="FilterPolicy",
                    AttributeValue=json.dumps({"n": [{"numeric": [">=", n]}]}))
            elif operation == "receive" and name in sim.sqs.queues:
                held += sim.sqs.receive_message(QueueUrl=url).get("Messages", [])
            elif operation == "delete" and held and name in sim.sqs.queues:
                sim.sqs.delete_message(QueueUrl=url, ReceiptHandle=held.pop()["ReceiptHandle"])
            elif operation == "delete-queue" and name in sim.sqs.queues:
                sim.sqs.delete_queue(QueueUrl=url)
            elif operation == "wait":
                sim.advance(n + 1)
        except (ThrottledException, SQSError):
            pass
        assert conservation_violations(events, sim.locations(), TERMINAL) == []
        assert budget_violations(sim) == []
