"""Cases: SNS topics fanning out to SQS queues (``sim.sns`` against moto's SNS), raw delivery,
the JSON envelope, filter policies on attributes and on the body, FIFO topics, errors."""

from __future__ import annotations

import json
from typing import Any

from .cases import case
from .kit import arn, bodies, make, make_fifo, receive
from .sides import Side

#: The envelope's fields a case compares (the signature's are placeholders in the model).
ENVELOPE = ("Type", "TopicArn", "Subject", "Message", "MessageAttributes")


def topic(side: Side, name: str = "orders", **attributes: str) -> str:
    return side.sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]


def subscribe(side: Side, topic_arn: str, url: str, **attributes: str) -> str:
    return side.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn(side, url),
                              Attributes=attributes)["SubscriptionArn"]


def envelope(body: str) -> dict[str, Any]:
    document = json.loads(body)
    return {key: document.get(key) for key in ENVELOPE} | {"keys": sorted(document)}


def delivered(side: Side, policies: dict[str, Any], messages: list[tuple[str, Any]],
              scope: str = "MessageAttributes") -> dict[str, list[str]]:
    """One raw subscription per policy; each message published; what each queue got."""
    topic_arn = topic(side)
    urls = {}
    for name, policy in policies.items():
        urls[name] = make(side, name)
        subscribe(side, topic_arn, urls[name], RawMessageDelivery="true",
                  FilterPolicy=json.dumps(policy), FilterPolicyScope=scope)
    for body, attributes in messages:
        params = {"MessageAttributes": attributes} if attributes else {}
        side.sns.publish(TopicArn=topic_arn, Message=body, **params)
    return {name: sorted(bodies(receive(side, url))) for name, url in urls.items()}


def string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def number(value: float) -> dict[str, str]:
    return {"DataType": "Number", "StringValue": str(value)}


@case
def sns_fan_out_gives_each_queue_a_copy(s):
    topic_arn = topic(s)
    raw, wrapped = make(s, "raw"), make(s, "wrapped")
    subscribe(s, topic_arn, raw, RawMessageDelivery="true")
    subscribe(s, topic_arn, wrapped)
    s.sns.publish(TopicArn=topic_arn, Message="order 1", Subject="new",
                  MessageAttributes={"kind": string("created"), "total": number(12)})
    got_raw = receive(s, raw, MessageAttributeNames=["All"])
    got_wrapped = receive(s, wrapped, MessageAttributeNames=["All"])
    return ([(m["Body"], m.get("MessageAttributes")) for m in got_raw],
            [envelope(m["Body"]) for m in got_wrapped],
            [m.get("MessageAttributes") for m in got_wrapped])


@case
def sns_list_subscriptions_by_topic(s):
    topic_arn = topic(s)
    subscribe(s, topic_arn, make(s, "a"))
    subscribe(s, topic_arn, make(s, "b"))
    answer = s.sns.list_subscriptions_by_topic(TopicArn=topic_arn)
    return sorted((x["Protocol"], x["Endpoint"], x["TopicArn"], x["SubscriptionArn"])
                  for x in answer["Subscriptions"])


@case
def sns_unsubscribe_stops_delivery(s):
    topic_arn = topic(s)
    url = make(s, "a")
    subscription = subscribe(s, topic_arn, url, RawMessageDelivery="true")
    s.sns.publish(TopicArn=topic_arn, Message="one")
    s.sns.unsubscribe(SubscriptionArn=subscription)
    s.sns.publish(TopicArn=topic_arn, Message="two")
    return bodies(receive(s, url))


@case
def sns_subscription_attributes(s):
    topic_arn = topic(s)
    subscription = subscribe(s, topic_arn, make(s, "a"), RawMessageDelivery="true",
                             FilterPolicy='{"kind": ["a"]}')
    s.sns.set_subscription_attributes(SubscriptionArn=subscription,
                                      AttributeName="FilterPolicyScope",
                                      AttributeValue="MessageBody")
    values = s.sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
    return {k: values.get(k) for k in ("RawMessageDelivery", "FilterPolicy",
                                       "FilterPolicyScope", "Protocol", "TopicArn")}


@case
def sns_filter_exact_or_and(s):
    return delivered(s, {
        "red": {"colour": ["red"]},
        "red-or-blue": {"colour": ["red", "blue"]},
        "red-and-big": {"colour": ["red"], "size": ["big"]},
    }, [("m1", {"colour": string("red")}),
        ("m2", {"colour": string("blue"), "size": string("big")}),
        ("m3", {"colour": string("red"), "size": string("big")}),
        ("m4", None)])


@case
def sns_filter_numeric(s):
    return delivered(s, {
        "exact": {"price": [100]},
        "range": {"price": [{"numeric": [">", 0, "<=", 150]}]},
        "below": {"price": [{"numeric": ["<", 10]}]},
    }, [("p5", {"price": number(5)}), ("p100", {"price": number(100)}),
        ("p150", {"price": number(150)}), ("p151", {"price": number(151)}),
        ("text", {"price": string("100")})])


@case
def sns_filter_prefix_anything_but_exists(s):
    return delivered(s, {
        "prefix": {"event": [{"prefix": "order-"}]},
        "not-red": {"colour": [{"anything-but": ["red"]}]},
        "has-store": {"store": [{"exists": True}]},
        "no-store": {"store": [{"exists": False}]},
    }, [("a", {"event": string("order-created"), "colour": string("red")}),
        ("b", {"event": string("payment"), "colour": string("blue"),
               "store": string("s1")}),
        ("c", None)])


@case
def sns_filter_string_array(s):
    return delivered(s, {"rugby": {"sport": ["rugby"]}}, [
        ("both", {"sport": {"DataType": "String.Array",
                            "StringValue": json.dumps(["soccer", "rugby"])}}),
        ("soccer", {"sport": {"DataType": "String.Array",
                              "StringValue": json.dumps(["soccer"])}})])


@case
def sns_filter_on_the_body(s):
    return delivered(s, {
        "paid": {"order": {"status": ["paid"]}},
        "big": {"total": [{"numeric": [">=", 100]}]},
    }, [(json.dumps({"order": {"status": "paid"}, "total": 5}), None),
        (json.dumps({"order": {"status": "new"}, "total": 500}), None),
        ("not json", None)], scope="MessageBody")


@case
def sns_invalid_filter_policies(s):
    topic_arn = topic(s)
    url = make(s, "a")
    out = {}
    # (moto's server answers a policy that is not JSON with a 500: not compared here)
    for name, policy in {"not-array": '{"a": "b"}',
                         "six-keys": json.dumps({k: ["1"] for k in "abcdef"}),
                         "nested-attributes": '{"a": {"b": ["c"]}}'}.items():
        answer = s.attempt(s.sns.subscribe, TopicArn=topic_arn, Protocol="sqs",
                           Endpoint=arn(s, url), Attributes={"FilterPolicy": policy})
        out[name] = answer.get("Error", "subscribed")
    return out


@case(aws={"publish-missing-topic": {"Error": "NotFound"},
           "fifo-without-group": {"Error": "InvalidParameter"},
           "fifo-name-without-attribute": {"Error": "InvalidParameter"},
           "standard-dedup-id": {"Error": "InvalidParameter"}},
      moto="moto answers a FIFO publish without MessageGroupId with MissingParameter",
      source="AWS answers 'InvalidParameter: The MessageGroupId parameter is required for "
             "FIFO topics' (quoted from AWS in erlcloud/erlcloud#785); Publish API "
             "Reference, MessageGroupId: required for FIFO topics")
def sns_errors(s):
    missing = "arn:aws:sns:us-east-1:123456789012:nope"
    topic_arn = topic(s)
    fifo_arn = topic(s, "orders.fifo", FifoTopic="true")
    return {
        "publish-missing-topic": s.attempt(s.sns.publish, TopicArn=missing, Message="m"),
        "fifo-without-group": s.attempt(s.sns.publish, TopicArn=fifo_arn, Message="m",
                                        MessageDeduplicationId="d"),
        "fifo-name-without-attribute": s.attempt(s.sns.create_topic, Name="x.fifo"),
        "standard-dedup-id": s.attempt(s.sns.publish, TopicArn=topic_arn, Message="m",
                                       MessageDeduplicationId="d"),
    }


@case
def sns_fifo_topic_to_fifo_queue_keeps_order_and_deduplicates(s):
    topic_arn = topic(s, "orders.fifo", FifoTopic="true", ContentBasedDeduplication="true")
    # The queue deduplicates by content too: moto does not hand the topic's content-based
    # id on to the queue (AWS does; "Message deduplication for FIFO topics").
    url = make_fifo(s, "billing.fifo", ContentBasedDeduplication="true")
    subscribe(s, topic_arn, url, RawMessageDelivery="true")
    # (which MessageId a duplicate publish answers is not documented: not compared)
    for body in ("a", "a", "b"):
        s.sns.publish(TopicArn=topic_arn, Message=body, MessageGroupId="g")
    got = receive(s, url, AttributeNames=["MessageGroupId"])
    return bodies(got), [m["Attributes"]["MessageGroupId"] for m in got]


@case(aws={"png": ["a"], "red-any-case": ["a"], "or": ["b", "c"], "not-re": ["a", "b", "c"],
           "not-numbers": ["c"]},
      moto="moto does not match equals-ignore-case (delivers nothing to red-any-case)",
      source="Amazon SNS Developer Guide, 'String value matching': equals-ignore-case "
             "matches a string whatever its case")
def sns_filter_suffix_ignore_case_or_and_anything_but_prefix(s):
    return delivered(s, {
        "png": {"file": [{"suffix": ".png"}]},
        "red-any-case": {"colour": [{"equals-ignore-case": "RED"}]},
        "or": {"$or": [{"colour": ["blue"]}, {"size": ["big"]}]},
        "not-re": {"colour": [{"anything-but": {"prefix": "re"}}]},
        "not-numbers": {"price": [{"anything-but": [100, 200]}]},
    }, [("a", {"file": string("a.png"), "colour": string("Red")}),
        ("b", {"colour": string("blue"), "price": number(100)}),
        ("c", {"size": string("big"), "colour": string("green"), "price": number(150)})])


@case
def sns_filter_body_exists_and_arrays(s):
    return delivered(s, {
        "no-coupon": {"coupon": [{"exists": False}]},
        "vip": {"tags": ["vip"]},
        "nested-range": {"order": {"total": [{"numeric": [">", 10, "<", 100]}]}},
    }, [(json.dumps({"tags": ["vip", "new"], "order": {"total": 50}}), None),
        (json.dumps({"coupon": "x", "order": {"total": 500}}), None)], scope="MessageBody")
