"""SNS subscription filter policies. Each case names its page of the Amazon SNS Developer
Guide: "Amazon SNS subscription filter policies", "Filter policy scope", "Filter policy
constraints in Amazon SNS", and the operator pages under "Amazon SNS message filtering
operators" (string value matching, numeric value matching, key matching, AND/OR logic)."""

import json

import pytest

from engine import Simulation
from engine.sqs import filter_policy
from engine.sqs.sns_errors import InvalidParameterException


def attrs(**values):
    out = {}
    for name, value in values.items():
        if isinstance(value, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, int | float):
            out[name] = {"DataType": "Number", "StringValue": str(value)}
        elif isinstance(value, bytes):
            out[name] = {"DataType": "Binary", "BinaryValue": value}
        else:
            out[name] = {"DataType": "String", "StringValue": value}
    return out


def matches(policy, **values):
    parsed = filter_policy.parse(json.dumps(policy), "MessageAttributes")
    return filter_policy.matches_attributes(parsed, attrs(**values))


@pytest.mark.parametrize(("policy", "values", "expected"), [
    # String value matching: exact, case-sensitive
    ({"color": ["red"]}, {"color": "red"}, True),
    ({"color": ["red"]}, {"color": "Red"}, False),
    # OR across one key's values
    ({"color": ["red", "blue"]}, {"color": "blue"}, True),
    # AND across keys
    ({"color": ["red"], "size": ["L"]}, {"color": "red", "size": "M"}, False),
    ({"color": ["red"], "size": ["L"]}, {"color": "red", "size": "L"}, True),
    # a key absent from the message does not match (except exists: false)
    ({"color": ["red"]}, {}, False),
    # prefix, suffix, equals-ignore-case
    ({"event": [{"prefix": "order-"}]}, {"event": "order-created"}, True),
    ({"event": [{"prefix": "order-"}]}, {"event": "payment-created"}, False),
    ({"file": [{"suffix": ".png"}]}, {"file": "a.png"}, True),
    ({"color": [{"equals-ignore-case": "RED"}]}, {"color": "red"}, True),
    # anything-but: values, one value, prefix; absent key does not match
    ({"color": [{"anything-but": ["red", "blue"]}]}, {"color": "green"}, True),
    ({"color": [{"anything-but": ["red", "blue"]}]}, {"color": "red"}, False),
    ({"color": [{"anything-but": "red"}]}, {"color": "red"}, False),
    ({"color": [{"anything-but": {"prefix": "re"}}]}, {"color": "red"}, False),
    ({"color": [{"anything-but": {"prefix": "re"}}]}, {"color": "blue"}, True),
    ({"color": [{"anything-but": ["red"]}]}, {}, False),
    # Numeric value matching: exact and ranges, on Number attributes
    ({"price": [100]}, {"price": 100}, True),
    ({"price": [100]}, {"price": 100.000001}, True),  # five digits after the point
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": 150}, True),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": 150.5}, False),
    ({"price": [{"numeric": ["<", 0]}]}, {"price": -3}, True),
    ({"price": [{"numeric": ["=", 7]}]}, {"price": 7}, True),
    ({"price": [{"numeric": [">", 5]}]}, {"price": "10"}, False),  # a String is no number
    # Key matching: exists
    ({"store": [{"exists": True}]}, {"store": "x"}, True),
    ({"store": [{"exists": True}]}, {}, False),
    ({"store": [{"exists": False}]}, {}, True),
    ({"store": [{"exists": False}]}, {"store": "x"}, False),
    # String.Array: any element matches
    ({"sport": ["rugby"]}, {"sport": ["soccer", "rugby"]}, True),
    ({"sport": ["rugby"]}, {"sport": ["soccer"]}, False),
    # Binary attributes are ignored: the key counts as absent
    ({"blob": [{"exists": True}]}, {"blob": b"\x01"}, False),
    # $or across keys
    ({"$or": [{"color": ["red"]}, {"size": ["L"]}]}, {"size": "L"}, True),
    ({"$or": [{"color": ["red"]}, {"size": ["L"]}]}, {"size": "M"}, False),
])
def test_attribute_policy(policy, values, expected):
    assert matches(policy, **values) is expected


@pytest.mark.parametrize(("policy", "body", "expected"), [
    ({"order": {"status": ["paid"]}}, {"order": {"status": "paid"}}, True),
    ({"order": {"status": ["paid"]}}, {"order": {"status": "new"}}, False),
    ({"total": [{"numeric": [">=", 100]}]}, {"total": 250}, True),
    ({"tags": ["vip"]}, {"tags": ["new", "vip"]}, True),
    ({"flag": [True]}, {"flag": True}, True),
    ({"missing": [{"exists": False}]}, {"other": 1}, True),
])
def test_body_policy(policy, body, expected):
    parsed = filter_policy.parse(json.dumps(policy), "MessageBody")
    assert filter_policy.matches_body(parsed, json.dumps(body)) is expected


def test_body_policy_matches_nothing_when_the_body_is_not_a_json_object():
    parsed = filter_policy.parse('{"a": ["b"]}', "MessageBody")
    assert not filter_policy.matches_body(parsed, "plain text")
    assert not filter_policy.matches_body(parsed, "[1, 2]")


@pytest.mark.parametrize(("text", "scope", "why"), [
    ("not json", "MessageAttributes", "not valid JSON"),
    ("[]", "MessageAttributes", "JSON object"),
    ('{"a": "b"}', "MessageAttributes", "array"),
    ('{"a": []}', "MessageAttributes", "array"),
    ('{"a": {"b": ["c"]}}', "MessageAttributes", "does not nest"),
    ('{"a": [{"regex": "x"}]}', "MessageAttributes", "unknown operator"),
    ('{"a": [{"numeric": ["<", 5, ">", 1]}]}', "MessageAttributes", "range"),
    ('{"a": [{"numeric": [">", 2000000000]}]}', "MessageAttributes", "10\\^9"),
    ('{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}', "MessageAttributes",
     "at most 5"),
    (json.dumps({"a": list("abcdefghij"), "b": list("abcdefghij"), "c": list("ab")}),
     "MessageAttributes", "at most 150"),
])
def test_invalid_policies_are_refused_with_invalid_parameter(text, scope, why):
    with pytest.raises(InvalidParameterException, match=why) as error:
        filter_policy.parse(text, scope)
    assert error.value.code == "InvalidParameter"


def test_subscription_filter_delivers_only_matching_messages_and_reports_the_rest():
    sim = Simulation()
    events = []
    sim.subscribe(events.append)
    topic = sim.sns.create_topic(Name="orders")["TopicArn"]
    urls = {}
    for name, policy in (("big", {"total": [{"numeric": [">=", 100]}]}),
                         ("eu", {"region": [{"prefix": "eu-"}]})):
        url = sim.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        sim.sns.subscribe(TopicArn=topic, Protocol="sqs",
                          Endpoint=arn["Attributes"]["QueueArn"],
                          Attributes={"FilterPolicy": json.dumps(policy),
                                      "RawMessageDelivery": "true"})
        urls[name] = url
    sim.sns.publish(TopicArn=topic, Message="small eu", MessageAttributes=attrs(
        total=5, region="eu-west-1"))
    sim.sns.publish(TopicArn=topic, Message="big us", MessageAttributes=attrs(
        total=500, region="us-east-1"))

    def got(name):
        answer = sim.sqs.receive_message(QueueUrl=urls[name], MaxNumberOfMessages=10)
        return [m["Body"] for m in answer.get("Messages", [])]

    assert got("big") == ["big us"] and got("eu") == ["small eu"]
    assert len([e for e in events if e.kind == "filtered-out"]) == 2


def test_set_subscription_attributes_changes_scope_and_an_empty_policy_removes_the_filter():
    sim = Simulation()
    topic = sim.sns.create_topic(Name="t")["TopicArn"]
    url = sim.sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    sub = sim.sns.subscribe(TopicArn=topic, Protocol="sqs",
                            Endpoint=arn["Attributes"]["QueueArn"],
                            Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    sim.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                        AttributeValue='{"kind": ["paid"]}')
    sim.sns.set_subscription_attributes(SubscriptionArn=sub,
                                        AttributeName="FilterPolicyScope",
                                        AttributeValue="MessageBody")
    assert sim.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"][
        "FilterPolicyScope"] == "MessageBody"
    sim.sns.publish(TopicArn=topic, Message='{"kind": "paid"}')
    sim.sns.publish(TopicArn=topic, Message='{"kind": "new"}')
    with pytest.raises(InvalidParameterException):
        sim.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                            AttributeValue="{bad")
    sim.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                        AttributeValue="")
    sim.sns.publish(TopicArn=topic, Message="anything")
    answer = sim.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in answer["Messages"]] == ['{"kind": "paid"}', "anything"]
