"""``sim.sns``: Amazon SNS topics fanning out to SQS queues, in boto3's words.

A topic holds nothing: ``publish`` hands the message to every subscription at once, and each
SQS subscription whose filter policy matches gets its own copy, a new SQS message with its own
MessageId ("Fanout to Amazon SQS queues"). So one published message ends at the topic
(``fanned-out``) and starts again as N queue messages (``sent`` from the topic's node): the
conservation check follows each copy on its own.

It lives inside the SQS package because it only delivers to SQS queues here: one clock, one
event stream (broker ``"sqs"``), one drawing (topics in the routers' column, subscriptions as
edges to their queues). ``sns = sim.sns`` stands where ``boto3.client("sns")`` stood.

Rules and sources (Amazon SNS Developer Guide unless said otherwise):
- Topic names: 1 to 256 letters, digits, hyphens and underscores; a FIFO topic's name ends in
  ``.fifo`` and it is created with ``Attributes={"FifoTopic": "true"}`` (CreateTopic API
  Reference). CreateTopic is idempotent: the same name returns the same ARN; DeleteTopic of a
  topic that does not exist is no error (DeleteTopic API Reference).
- Only the ``sqs`` protocol is modelled. An SQS subscription is confirmed at once. A standard
  topic cannot deliver to a FIFO queue, and a FIFO topic only to FIFO queues ("Message
  delivery for FIFO topics"; Subscribe answers InvalidParameter).
- Delivery: without ``RawMessageDelivery`` the queue receives a JSON envelope (Type
  ``Notification``, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion,
  Signature, SigningCertURL, UnsubscribeURL, MessageAttributes as ``{"Type", "Value"}``;
  "Parsing message formats", "Amazon SNS raw message delivery"). With it, the body is the
  message itself and the message attributes become SQS message attributes.
- Filter policies: ``engine.sqs.filter_policy``; a message no filter policy lets through is
  simply not delivered to that subscription.
- FIFO topics: Publish needs MessageGroupId and, unless ContentBasedDeduplication is on, a
  MessageDeduplicationId; a repeated id within 5 minutes is accepted and not delivered again
  ("Message deduplication for FIFO topics"). Copies keep both ids, so the FIFO queue orders
  them per group and deduplicates them too. Standard topics refuse a MessageDeduplicationId.
- Publish: Message up to 262,144 bytes with its attributes (Publish API Reference); message
  attributes are checked as SQS checks them (String, String.Array, Number, Binary; at most 10,
  the limit for raw delivery to SQS).
- Errors: ``NotFound`` (unknown topic or subscription), ``InvalidParameter`` (bad names,
  policies, protocols) and ``ParameterValueInvalid`` (message attributes), as boto3's
  ``sns.exceptions.NotFoundException`` ... (``engine.sqs.sns_errors``).

Not modelled: other protocols (Lambda, HTTP, email, SMS), delivery retries and subscription
dead-letter queues (a copy a queue refuses is reported ``delivery-failed`` and dropped),
delivery latency (copies arrive in the instant of the publish), access policies, signatures
(a placeholder string), throughput quotas. The room's budget: SNS topics count against
``max_topics``, subscriptions against ``max_bindings``, and every copy against the held
messages (a publish whose copies would not fit is refused whole).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..limits import full, over
from ..topology import ROUTERS, TopologyBuilder, node_id
from . import filter_policy, kinds, sns_errors
from .errors import SQSError
from .messages import check_message_attributes, message_size
from .queue import ACCOUNT, ARN_PREFIX, REGION
from .sns_errors import (
    InvalidParameterException,
    InvalidParameterValueException,
    NotFoundException,
    SubscriptionLimitExceededException,
    ThrottledException,
    TopicLimitExceededException,
)

if TYPE_CHECKING:
    from .model import SQS

Response = dict[str, Any]

TOPIC_ARN_PREFIX = f"arn:aws:sns:{REGION}:{ACCOUNT}:"
MAX_MESSAGE_SIZE = 262_144
DEDUPLICATION_WINDOW = 300.0
PAGE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
TOPIC_ATTRIBUTES = {"FifoTopic", "ContentBasedDeduplication", "DisplayName", "Policy",
                    "DeliveryPolicy", "KmsMasterKeyId", "TracingConfig", "SignatureVersion",
                    "ArchivePolicy", "FifoThroughputScope"}
SUBSCRIPTION_ATTRIBUTES = {"RawMessageDelivery", "FilterPolicy", "FilterPolicyScope"}
SCOPES = ("MessageAttributes", "MessageBody")


class Subscription:
    def __init__(self, topic: Topic, arn: str, endpoint: str) -> None:
        self.topic = topic
        self.arn = arn
        self.endpoint = endpoint
        self.raw = False
        self.policy: dict[str, Any] | None = None
        self.policy_text: str | None = None
        self.scope = "MessageAttributes"

    @property
    def queue_name(self) -> str:
        return self.endpoint[len(ARN_PREFIX):]

    def attributes(self) -> dict[str, str]:
        values = {"SubscriptionArn": self.arn, "TopicArn": self.topic.arn, "Owner": ACCOUNT,
                  "Protocol": "sqs", "Endpoint": self.endpoint,
                  "ConfirmationWasAuthenticated": "true", "PendingConfirmation": "false",
                  "RawMessageDelivery": "true" if self.raw else "false"}
        if self.policy_text is not None:
            values.update(FilterPolicy=self.policy_text, FilterPolicyScope=self.scope)
        return values

    def wants(self, message: str, attributes: dict[str, dict[str, Any]]) -> bool:
        if self.policy is None:
            return True
        if self.scope == "MessageBody":
            return filter_policy.matches_body(self.policy, message)
        return filter_policy.matches_attributes(self.policy, attributes)

    def summary(self) -> dict[str, str]:
        return {"SubscriptionArn": self.arn, "Owner": ACCOUNT, "Protocol": "sqs",
                "Endpoint": self.endpoint, "TopicArn": self.topic.arn}


class Topic:
    def __init__(self, name: str, attributes: dict[str, str]) -> None:
        self.name = name
        self.arn = TOPIC_ARN_PREFIX + name
        self.node = node_id("sqs", "topic", name)
        self.fifo = attributes.get("FifoTopic") == "true"
        self.attributes = attributes
        self.subscriptions: dict[str, Subscription] = {}
        self.published = 0
        self._dedup: dict[str, tuple[str, str]] = {}
        self._dedup_times: deque[tuple[float, str]] = deque()
        self._sequence = 10**19

    def next_sequence_number(self) -> str:
        self._sequence += 1
        return str(self._sequence)

    def duplicate_of(self, dedup_id: str, now: float) -> tuple[str, str] | None:
        while self._dedup_times and now - self._dedup_times[0][0] >= DEDUPLICATION_WINDOW:
            _, old = self._dedup_times.popleft()
            self._dedup.pop(old, None)
        return self._dedup.get(dedup_id)

    def remember(self, dedup_id: str, message_id: str, sequence: str, now: float) -> None:
        self._dedup[dedup_id] = (message_id, sequence)
        self._dedup_times.append((now, dedup_id))


class SNS:
    """The SNS client; ``sim.sns``. Its state sits beside the SQS model it delivers to."""

    exceptions = sns_errors

    def __init__(self, sqs: SQS) -> None:
        self.sqs = sqs
        self.sim = sqs.sim
        self.topics: dict[str, Topic] = {}
        self._subscriptions: dict[str, Subscription] = {}
        self._count = 0

    def _new_id(self) -> str:
        self._count += 1
        return f"5e5e5e5e-0000-4000-8000-{self._count:012d}"

    def _topic(self, arn: object) -> Topic:
        if arn is None:
            raise InvalidParameterException("Invalid parameter: TopicArn is required")
        topic = self.topics.get(arn[len(TOPIC_ARN_PREFIX):]) \
            if isinstance(arn, str) and arn.startswith(TOPIC_ARN_PREFIX) else None
        if topic is None:
            raise NotFoundException(f"Topic does not exist: {arn!r} (topic ARNs look like "
                                    f"{TOPIC_ARN_PREFIX}<name>; create_topic returns them)")
        return topic

    def _subscription(self, arn: object) -> Subscription:
        subscription = self._subscriptions.get(arn) if isinstance(arn, str) else None
        if subscription is None:
            raise NotFoundException(f"Subscription does not exist: {arn!r}")
        return subscription

    # -- topics ----------------------------------------------------------------------------
    def create_topic(self, Name: str, Attributes: dict[str, str] | None = None,
                     Tags: list[dict[str, str]] | None = None) -> Response:
        attributes = _check_topic_attributes(Attributes)
        fifo = attributes.get("FifoTopic") == "true"
        if not isinstance(Name, str):
            raise InvalidParameterException("Invalid parameter: Topic Name")
        base = Name[:-5] if Name.endswith(".fifo") else Name
        if fifo != Name.endswith(".fifo") or not _TOPIC_NAME.fullmatch(base) or len(Name) > 256:
            raise InvalidParameterException(
                f"Invalid parameter: Topic Name {Name!r}: 1 to 256 letters, digits, hyphens "
                "and underscores; a FIFO topic (FifoTopic 'true') ends in .fifo, and only it")
        existing = self.topics.get(Name)
        if existing is not None:
            if any(existing.attributes.get(k, "false" if k in _BOOLEANS else None) != v
                   for k, v in attributes.items()):
                raise InvalidParameterException(
                    "Invalid parameter: Attributes Reason: Topic already exists with different "
                    "attributes")
            return {"TopicArn": existing.arn}
        cap = self.sim.limits.max_topics
        if len(self.topics) >= cap:
            raise TopicLimitExceededException(f"Topic {Name!r} is refused: "
                                              + over("SNS topics", cap))
        if fifo:
            attributes.setdefault("ContentBasedDeduplication", "false")
        topic = self.topics[Name] = Topic(Name, attributes)
        self.sim.emit(kinds.DECLARED, "sqs", target=topic.node,
                      reason=f"{'FIFO' if fifo else 'standard'} SNS topic {Name} created")
        return {"TopicArn": topic.arn}

    def delete_topic(self, TopicArn: str) -> Response:
        try:
            topic = self._topic(TopicArn)
        except NotFoundException:
            return {}  # "deleting a topic that does not exist does not result in an error"
        for arn in list(topic.subscriptions):
            self._drop_subscription(topic.subscriptions[arn])
        del self.topics[topic.name]
        self.sim.emit(kinds.REMOVED, "sqs", source=topic.node,
                      reason=f"SNS topic {topic.name} deleted with its subscriptions")
        return {}

    def list_topics(self, NextToken: str | None = None) -> Response:
        arns = [{"TopicArn": t.arn} for t in self.topics.values()]
        return _page(arns, "Topics", NextToken)

    def get_topic_attributes(self, TopicArn: str) -> Response:
        topic = self._topic(TopicArn)
        values = dict(topic.attributes, TopicArn=topic.arn, Owner=ACCOUNT,
                      SubscriptionsConfirmed=str(len(topic.subscriptions)),
                      SubscriptionsPending="0", SubscriptionsDeleted="0")
        return {"Attributes": values}

    # -- subscriptions ---------------------------------------------------------------------
    def subscribe(self, TopicArn: str, Protocol: str, Endpoint: str | None = None,
                  Attributes: dict[str, str] | None = None,
                  ReturnSubscriptionArn: bool = False) -> Response:
        topic = self._topic(TopicArn)
        if Protocol != "sqs":
            raise InvalidParameterException(
                f"Invalid parameter: Protocol {Protocol!r}: only 'sqs' is modelled here")
        if not isinstance(Endpoint, str) or not Endpoint.startswith(ARN_PREFIX) or \
                not Endpoint[len(ARN_PREFIX):]:
            raise InvalidParameterException(
                f"Invalid parameter: Endpoint {Endpoint!r}: give the queue's ARN "
                f"({ARN_PREFIX}<queue>, from get_queue_attributes QueueArn)")
        queue_fifo = Endpoint.endswith(".fifo")
        if topic.fifo != queue_fifo:
            raise InvalidParameterException(
                "Invalid parameter: Endpoint Reason: "
                + ("a FIFO topic delivers only to FIFO queues" if topic.fifo else
                   "FIFO SQS Queues can not be subscribed to standard SNS topics"))
        checked = _check_subscription_attributes(Attributes or {})
        for subscription in topic.subscriptions.values():
            if subscription.endpoint == Endpoint:
                # Subscribe is idempotent; with other attributes SNS refuses it.
                current = {"FilterPolicyScope": "MessageAttributes"} | subscription.attributes()
                if any(current.get(k) != v for k, v in (Attributes or {}).items()):
                    raise InvalidParameterException(
                        "Invalid parameter: Attributes Reason: Subscription already exists "
                        "with different attributes")
                return {"SubscriptionArn": subscription.arn}
        cap = self.sim.limits.max_bindings
        if len(self._subscriptions) >= cap:
            raise SubscriptionLimitExceededException(
                f"Subscription to {topic.name} is refused: " + over("SNS subscriptions", cap))
        subscription = Subscription(topic, f"{topic.arn}:{self._new_id()}", Endpoint)
        _apply(subscription, checked)
        topic.subscriptions[subscription.arn] = subscription
        self._subscriptions[subscription.arn] = subscription
        self.sim.emit(kinds.BOUND, "sqs", source=topic.node,
                      target=node_id("sqs", "queue", subscription.queue_name),
                      reason=f"{subscription.queue_name} subscribed to {topic.name}"
                             + _describe(subscription),
                      details={"SubscriptionArn": subscription.arn})
        return {"SubscriptionArn": subscription.arn}

    def unsubscribe(self, SubscriptionArn: str) -> Response:
        self._drop_subscription(self._subscription(SubscriptionArn))
        return {}

    def _drop_subscription(self, subscription: Subscription) -> None:
        del subscription.topic.subscriptions[subscription.arn]
        del self._subscriptions[subscription.arn]
        self.sim.emit(kinds.UNBOUND, "sqs", source=subscription.topic.node,
                      target=node_id("sqs", "queue", subscription.queue_name),
                      reason=f"{subscription.queue_name} unsubscribed from "
                             f"{subscription.topic.name}",
                      details={"SubscriptionArn": subscription.arn})

    def list_subscriptions_by_topic(self, TopicArn: str,
                                    NextToken: str | None = None) -> Response:
        topic = self._topic(TopicArn)
        items = [s.summary() for s in topic.subscriptions.values()]
        return _page(items, "Subscriptions", NextToken)

    def list_subscriptions(self, NextToken: str | None = None) -> Response:
        return _page([s.summary() for s in self._subscriptions.values()], "Subscriptions",
                     NextToken)

    def get_subscription_attributes(self, SubscriptionArn: str) -> Response:
        return {"Attributes": self._subscription(SubscriptionArn).attributes()}

    def set_subscription_attributes(self, SubscriptionArn: str, AttributeName: str,
                                    AttributeValue: str | None = None) -> Response:
        subscription = self._subscription(SubscriptionArn)
        if AttributeName == "FilterPolicy" and not AttributeValue:
            # An empty policy removes the filter: the subscription gets every message.
            subscription.policy = subscription.policy_text = None
        else:
            request: dict[str, Any] = {AttributeName: AttributeValue}
            if AttributeName == "FilterPolicy":
                request["FilterPolicyScope"] = subscription.scope
            elif AttributeName == "FilterPolicyScope" and subscription.policy_text is not None:
                request["FilterPolicy"] = subscription.policy_text  # checked in the new scope
            _apply(subscription, _check_subscription_attributes(request))
        self.sim.emit(kinds.SUBSCRIPTION_UPDATED, "sqs", source=subscription.topic.node,
                      target=node_id("sqs", "queue", subscription.queue_name),
                      reason=f"subscription of {subscription.queue_name}: {AttributeName} "
                             f"set{_describe(subscription)}",
                      details={"SubscriptionArn": subscription.arn})
        return {}

    # -- publishing ------------------------------------------------------------------------
    def publish(self, TopicArn: str | None = None, Message: str | None = None,
                Subject: str | None = None, MessageAttributes: dict[str, Any] | None = None,
                MessageGroupId: str | None = None,
                MessageDeduplicationId: str | None = None,
                MessageStructure: str | None = None, TargetArn: str | None = None) -> Response:
        topic = self._topic(TopicArn if TopicArn is not None else TargetArn)
        if not isinstance(Message, str) or not Message:
            raise InvalidParameterException("Invalid parameter: Message: give a non-empty "
                                            "string")
        if MessageStructure is not None:
            raise InvalidParameterException(
                "Invalid parameter: MessageStructure: per-protocol messages are not modelled")
        if Subject is not None and (not isinstance(Subject, str) or not Subject
                                    or len(Subject) > 100):
            raise InvalidParameterException("Invalid parameter: Subject: 1 to 100 characters")
        try:
            attributes = check_message_attributes(MessageAttributes)
        except SQSError as error:
            raise InvalidParameterValueException(str(error)) from None
        size = message_size(Message, attributes)
        if size > MAX_MESSAGE_SIZE:
            raise InvalidParameterException(
                f"Invalid parameter: Message too long: {size} bytes with its attributes; at "
                f"most {MAX_MESSAGE_SIZE}")
        self._check_fifo(topic, MessageGroupId, MessageDeduplicationId)
        sequence: str | None = None
        message_id = self._new_id()
        if topic.fifo:
            dedup = MessageDeduplicationId or hashlib.sha256(Message.encode()).hexdigest()
            original = topic.duplicate_of(dedup, self.sim.now)
            if original is not None:
                self.sim.emit(kinds.DUPLICATE_IGNORED, "sqs", target=topic.node,
                              reason=f"MessageDeduplicationId {dedup} was published less than "
                                     "5 minutes ago: answered with success, not delivered",
                              details={"MessageId": original[0],
                                       "MessageDeduplicationId": dedup})
                return {"MessageId": original[0], "SequenceNumber": original[1]}
            sequence = topic.next_sequence_number()
            topic.remember(dedup, message_id, sequence, self.sim.now)
            MessageDeduplicationId = dedup
        envelope = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic.arn,
                    "Subject": Subject, "Message": Message, "Timestamp": self._timestamp(),
                    "SequenceNumber": sequence, "attributes": attributes}
        chosen = [(s, *_copy(s, envelope)) for s in topic.subscriptions.values()
                  if s.wants(Message, attributes)]
        copies = len(chosen)
        size = sum(len(body.encode()) for _, body, _ in chosen)
        if copies and not self.sim.fits(size, copies):
            raise ThrottledException(
                f"Publish to {topic.name} ({copies} copies) is refused: {full(self.sim.limits)}")
        topic.published += 1
        self.sim.emit(kinds.PUBLISHED, "sqs", message_id, self.sqs.producer_node, topic.node,
                      f"published to SNS topic {topic.name}",
                      {"MessageId": message_id, "body": Message[:200],
                       "subscriptions": len(topic.subscriptions), "copies": copies},
                      {"rule": "sns-publish", "topic": topic.name})
        delivered = {subscription.arn for subscription, _, _ in chosen}
        for subscription in topic.subscriptions.values():
            if subscription.arn not in delivered:
                self.sim.emit(kinds.FILTERED_OUT, "sqs", source=topic.node,
                              target=node_id("sqs", "queue", subscription.queue_name),
                              reason=f"{subscription.queue_name}'s filter policy "
                                     f"({subscription.scope}) does not match: not delivered",
                              details={"MessageId": message_id,
                                       "SubscriptionArn": subscription.arn})
        for subscription, body, queue_attributes in chosen:
            self._deliver(subscription, message_id, topic.arn, body, queue_attributes,
                          MessageGroupId, MessageDeduplicationId)
        self.sim.emit(kinds.FANNED_OUT, "sqs", message_id, topic.node, None,
                      f"fanned out into {copies} cop{'y' if copies == 1 else 'ies'}",
                      {"MessageId": message_id, "copies": copies},
                      {"rule": "fan-out", "topic": topic.name, "copies": copies,
                       "filtered": len(topic.subscriptions) - copies})
        response: Response = {"MessageId": message_id}
        if sequence is not None:
            response["SequenceNumber"] = sequence
        return response

    def _check_fifo(self, topic: Topic, group: object,
                    dedup: object) -> None:
        if not topic.fifo:
            if dedup is not None:
                raise InvalidParameterException(
                    "Invalid parameter: MessageDeduplicationId: only for FIFO topics")
            return
        if not isinstance(group, str) or not group:
            raise InvalidParameterException(
                "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        if dedup is None and topic.attributes.get("ContentBasedDeduplication") != "true":
            raise InvalidParameterException(
                "Invalid parameter: The topic should either have ContentBasedDeduplication "
                "enabled or MessageDeduplicationId provided explicitly")

    def _timestamp(self) -> str:
        """ISO 8601 in UTC; virtual time counts from the epoch, as SentTimestamp does."""
        at = _EPOCH + timedelta(milliseconds=int(self.sim.now * 1000))
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

    def _deliver(self, subscription: Subscription, message_id: str, topic_arn: str,
                 body: str, attributes: dict[str, Any], group: str | None,
                 dedup: str | None) -> None:
        queue = self.sqs.queues.get(subscription.queue_name)
        try:
            if queue is None:
                raise NotFoundException(f"queue {subscription.queue_name} does not exist")
            self.sqs.deliver(queue, body, attributes, group, dedup, topic_arn, message_id)
        except (SQSError, NotFoundException) as error:
            self.sim.emit(kinds.DELIVERY_FAILED, "sqs",
                          source=subscription.topic.node,
                          target=node_id("sqs", "queue", subscription.queue_name),
                          reason=f"delivery to {subscription.queue_name} failed: "
                                 f"[{error.code}] {error}; the copy is dropped (SNS's retries "
                                 "and subscription dead-letter queues are not modelled)",
                          details={"MessageId": message_id, "code": error.code})

    # -- what the simulation asks ----------------------------------------------------------
    def topology(self, into: TopologyBuilder) -> None:
        for topic in self.topics.values():
            into.node(topic.node, broker="sqs", kind="topic", name=topic.name, column=ROUTERS,
                      fifo=topic.fifo, arn=topic.arn, attributes=dict(topic.attributes))
            into.edge(self.sqs.producer_node, topic.node, kind="publishes")
            for subscription in topic.subscriptions.values():
                target = self.sqs.queues.get(subscription.queue_name)
                if target is None:
                    continue
                label = "raw" if subscription.raw else ""
                if subscription.policy_text is not None:
                    label = (label + " " if label else "") + "filtered"
                into.edge(topic.node, target.node, kind="subscription", label=label,
                          arn=subscription.arn, raw=subscription.raw,
                          filter_policy=subscription.policy_text,
                          filter_policy_scope=subscription.scope)

    def contents(self) -> dict[str, dict[str, Any]]:
        return {topic.node: {"messages": [], "counters": {
            "Published": topic.published, "Subscriptions": len(topic.subscriptions)}}
            for topic in self.topics.values()}


_BOOLEANS = {"FifoTopic", "ContentBasedDeduplication"}


def _check_topic_attributes(attributes: object) -> dict[str, str]:
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise InvalidParameterException("Invalid parameter: Attributes must be a dict")
    for name, value in attributes.items():
        if name not in TOPIC_ATTRIBUTES:
            raise InvalidParameterException(f"Invalid parameter: Attributes Reason: Unknown "
                                            f"attribute {name!r}")
        if not isinstance(value, str):
            raise InvalidParameterException(f"Invalid parameter: Attributes Reason: {name} "
                                            "must be a string ('true', not True)")
        if name in _BOOLEANS and value not in ("true", "false"):
            raise InvalidParameterException(
                f"Invalid parameter: Attributes Reason: {name} must be 'true' or 'false'")
    if attributes.get("ContentBasedDeduplication") == "true" and \
            attributes.get("FifoTopic") != "true":
        raise InvalidParameterException("Invalid parameter: Attributes Reason: "
                                        "ContentBasedDeduplication is only for FIFO topics")
    return {k: v for k, v in attributes.items() if not (k == "FifoTopic" and v == "false")}


def _check_subscription_attributes(attributes: object) -> dict[str, Any]:
    """Checked values: raw (bool), policy (parsed or None), text, scope."""
    if not isinstance(attributes, dict):
        raise InvalidParameterException("Invalid parameter: Attributes must be a dict")
    for name, value in attributes.items():
        if name not in SUBSCRIPTION_ATTRIBUTES:
            raise InvalidParameterException(
                f"Invalid parameter: Attributes Reason: {name!r} is not modelled; settable: "
                + ", ".join(sorted(SUBSCRIPTION_ATTRIBUTES)))
        if not isinstance(value, str):
            raise InvalidParameterException(f"Invalid parameter: {name} must be a string")
    checked: dict[str, Any] = {}
    if "RawMessageDelivery" in attributes:
        if attributes["RawMessageDelivery"] not in ("true", "false"):
            raise InvalidParameterException(
                "Invalid parameter: RawMessageDelivery must be 'true' or 'false'")
        checked["raw"] = attributes["RawMessageDelivery"] == "true"
    scope = attributes.get("FilterPolicyScope")
    if scope is not None:
        if scope not in SCOPES:
            raise InvalidParameterException(
                f"Invalid parameter: FilterPolicyScope: {scope!r}; allowed "
                "MessageAttributes or MessageBody")
        checked["scope"] = scope
    if "FilterPolicy" in attributes:
        text = attributes["FilterPolicy"]
        checked["policy"] = filter_policy.parse(text, scope or "MessageAttributes")
        checked["text"] = text
    return checked


def _apply(subscription: Subscription, checked: dict[str, Any]) -> None:
    if "raw" in checked:
        subscription.raw = checked["raw"]
    if "scope" in checked:
        subscription.scope = checked["scope"]
    if "policy" in checked:
        subscription.policy, subscription.policy_text = checked["policy"], checked["text"]


def _describe(subscription: Subscription) -> str:
    parts = []
    if subscription.raw:
        parts.append("raw message delivery")
    if subscription.policy_text is not None:
        parts.append(f"filter policy on {subscription.scope}: {subscription.policy_text}")
    return f" ({'; '.join(parts)})" if parts else ""


def _copy(subscription: Subscription,
          envelope: dict[str, Any]) -> tuple[str, dict[str, dict[str, Any]]]:
    """The body and SQS message attributes of one subscription's copy."""
    if subscription.raw:
        return envelope["Message"], envelope["attributes"]
    return _envelope(envelope, subscription), {}


def _envelope(envelope: dict[str, Any], subscription: Subscription) -> str:
    document: dict[str, Any] = {"Type": "Notification", "MessageId": envelope["MessageId"]}
    if envelope["SequenceNumber"] is not None:
        document["SequenceNumber"] = envelope["SequenceNumber"]
    document["TopicArn"] = envelope["TopicArn"]
    if envelope["Subject"] is not None:
        document["Subject"] = envelope["Subject"]
    document.update(
        Message=envelope["Message"], Timestamp=envelope["Timestamp"], SignatureVersion="1",
        Signature="(not signed in the simulation)",
        SigningCertURL=f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService.pem",
        UnsubscribeURL=f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&"
                       f"SubscriptionArn={subscription.arn}")
    attributes = envelope["attributes"]
    if attributes:
        document["MessageAttributes"] = {
            name: {"Type": a["DataType"],
                   "Value": base64.b64encode(bytes(a["BinaryValue"])).decode()
                   if a["DataType"].startswith("Binary") else a["StringValue"]}
            for name, a in attributes.items()}
    return json.dumps(document)


def _page(items: list[Any], key: str, token: object) -> Response:
    start = 0
    if token is not None:
        if not isinstance(token, str) or not token.isdigit() or int(token) > len(items):
            raise InvalidParameterException(f"Invalid parameter: NextToken {token!r}")
        start = int(token)
    page: Response = {key: items[start:start + PAGE]}
    if start + PAGE < len(items):
        page["NextToken"] = str(start + PAGE)
    return page
