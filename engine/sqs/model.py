"""``sim.sqs``: Amazon SQS with boto3's method names, parameter names and response shapes.

A learner's boto3 code maps to it one-to-one: ``sqs = sim.sqs`` stands where
``sqs = boto3.client("sqs")`` stood. Attribute values are strings as in the real API; responses
are the dicts boto3 returns (without ResponseMetadata); errors are ``SQSError`` subclasses named
and coded as SQS's own (``sim.sqs.exceptions.QueueDoesNotExist``). Queue URLs look like
``https://sqs.us-east-1.amazonaws.com/000000000000/orders`` and ARNs like
``arn:aws:sqs:us-east-1:000000000000:orders``. MessageIds are UUID-shaped and deterministic;
receipt handles are readable (``orders/<MessageId>/<receive number>``) where AWS's are opaque.

Time is the simulation's virtual clock: timestamps (SentTimestamp, CreatedTimestamp, ...) count
from the start of the simulation.

Long polling: a synchronous call cannot block, so ``receive_message`` with WaitTimeSeconds
returns at once with what is receivable now (asking every server, as a long poll does) or
``{}``. Simulated consumers use ``receive_message_async(callback, QueueUrl=..., ...)`` with the
same parameters: the request waits in virtual time and ``callback(response)`` runs as soon as a
message becomes receivable (send, delay end, visibility timeout expiry, visibility set to 0,
dead-letter or redrive arrival) or, when WaitTimeSeconds ends, with ``{}`` (details in
``engine.sqs.polling``). The optional
``consumer`` argument of the receives is an mqlab extension (boto3 has no receiver identity):
it draws a consumer node holding the messages it received.

Not modelled: permissions and policies (stored, not enforced), encryption (accepted, shown),
throughput quotas, tags beyond storage; the approximate counters are exact. The queue-type
behaviour lives in ``queue``, ``fifo``, ``redrive``, ``realism``; this module checks requests
and shapes answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..broker import BrokerModel
from ..limits import full, over
from ..topology import CONSUMERS, PRODUCERS, STORES, TopologyBuilder, node_id
from . import errors, kinds
from .attributes import (
    MAX_DELAY,
    MAX_MESSAGE_SIZE,
    MAX_VISIBILITY_TIMEOUT,
    MAX_WAIT,
    READABLE,
    check_attributes,
    check_names,
    check_queue_name,
)
from .errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameterValue,
    MissingParameter,
    OverLimit,
    PurgeQueueInProgress,
    QueueDeletedRecently,
    QueueDoesNotExist,
    QueueNameExists,
    ResourceNotFoundException,
    SQSError,
    TooManyEntriesInBatchRequest,
    UnsupportedOperation,
)
from .fifo import FifoQueue
from .messages import (
    IN_FLIGHT,
    Message,
    attributes_md5,
    body_md5,
    check_body,
    check_message_attributes,
    message_size,
)
from .polling import Response, Waiter
from .queue import ACCOUNT, ARN_PREFIX, IN_FLIGHT_LIMIT, URL_PREFIX, Queue, StandardQueue
from .realism import Realism
from .redrive import (
    DEFAULT_MAX_RECEIVE_COUNT,
    MoveTask,
    RedrivePolicy,
    check_move_task,
    check_redrive_allow_policy,
    parse_redrive_policy,
)
from .sns import SNS

PRODUCER = node_id("sqs", "producer", "producers")
#: "After you delete a queue, you must wait at least 60 seconds before creating a queue with
#: the same name" (DeleteQueue API Reference).
NAME_REUSE_DELAY = 60.0
#: "Only one PurgeQueue operation on a queue is allowed every 60 seconds" (PurgeQueue API).
PURGE_INTERVAL = 60.0
#: Batch actions take 1 to 10 entries, Ids of up to 80 letters, digits, - and _
#: ("Amazon SQS message quotas": batched message ID, message batch).
MAX_BATCH = 10
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
#: MessageGroupId / MessageDeduplicationId: up to 128 alphanumerics and punctuation
#: (SendMessage API Reference).
_TOKEN = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")
SYSTEM_ATTRIBUTES = frozenset({
    "All", "SenderId", "SentTimestamp", "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp", "SequenceNumber", "MessageDeduplicationId",
    "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
})


class ReceiveRequest:
    """A checked ReceiveMessage request."""

    __slots__ = ("limit", "visibility", "wait", "system", "wanted", "consumer")

    def __init__(self, limit: int, visibility: int, wait: int, system: frozenset[str],
                 wanted: list[str], consumer: str | None) -> None:
        self.limit = limit
        self.visibility = visibility
        self.wait = wait
        self.system = system
        self.wanted = wanted
        self.consumer = consumer

    def wants(self, name: str) -> bool:
        for pattern in self.wanted:
            if pattern in ("All", ".*") or pattern == name or (
                    pattern.endswith(".*") and name.startswith(pattern[:-1])):
                return True
        return False


class SQS(BrokerModel):
    name = "sqs"
    exceptions = errors

    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.queues: dict[str, Queue] = {}
        self._by_url: dict[str, Queue] = {}
        self.consumers: dict[str, set[str]] = {}
        self.move_tasks: list[MoveTask] = []
        #: The opt-in realism setting (``sim.sqs.realism.enabled = True``); see realism.py.
        self.realism = Realism(sim.random)
        self._deleted_at: dict[str, float] = {}
        self._order = 0
        self._message_count = 0
        #: the room's budget: messages the queues hold (stored, delayed and in flight)
        self.stored = sim.account()
        #: the producers' node, where sends and SNS publishes come from
        self.producer_node = PRODUCER
        #: SNS topics fanning out to these queues (``sim.sns``; ``engine.sqs.sns``)
        self.sns = SNS(self)
        #: simulated apps drawn beside the queues (the outbox service: ``engine.apps.outbox``);
        #: each has ``node``, ``topology(into)`` and ``contents()``
        self.apps: list[Any] = []

    # -- ids and events --------------------------------------------------------------------
    def next_order(self) -> int:
        self._order += 1
        return self._order

    def new_message_id(self) -> str:
        self._message_count += 1
        return f"00000000-0000-4000-8000-{self._message_count:012d}"

    def consumer_node(self, consumer: str | None) -> str | None:
        return None if consumer is None else node_id("sqs", "consumer", consumer)

    def emit_message(self, kind: str, message: Message, source: str | None,
                     target: str | None, reason: str,
                     extra: dict[str, Any] | None = None,
                     cause: dict[str, Any] | None = None) -> None:
        if not self.sim.listening:
            self.sim.emit(kind, "sqs", message.id)
            return
        details = describe(message)
        if extra:
            details.update(extra)
        self.sim.emit(kind, "sqs", message.id, source, target, reason, details, cause)

    def attach(self, app: Any) -> None:
        """Draw a simulated app that is no consumer of its own (see ``self.apps``)."""
        self.apps.append(app)

    # -- queues ----------------------------------------------------------------------------
    def queue_by_arn(self, arn: str) -> Queue | None:
        if not isinstance(arn, str) or not arn.startswith(ARN_PREFIX):
            return None
        return self.queues.get(arn[len(ARN_PREFIX):])

    def _queue(self, url: object) -> Queue:
        queue = self._by_url.get(url) if isinstance(url, str) else None
        if queue is None:
            if url is None:
                raise MissingParameter("QueueUrl is required")
            raise QueueDoesNotExist(
                f"The specified queue does not exist: {url!r} (queue URLs look like "
                f"{URL_PREFIX}<name>; create_queue returns them)")
        return queue

    def create_queue(self, QueueName: str, Attributes: dict[str, str] | None = None,
                     tags: dict[str, str] | None = None) -> Response:
        attributes = dict(Attributes or {})
        fifo = attributes.get("FifoQueue") == "true"
        check_queue_name(QueueName, fifo)
        attributes = check_attributes(attributes, fifo, creating=True)
        if attributes.get("FifoQueue") == "false":
            del attributes["FifoQueue"]
        existing = self.queues.get(QueueName)
        if existing is not None:
            # CreateQueue API: same name and same attributes returns the existing queue.
            if all(existing.attributes.get(k) == v
                   for k, v in _comparable(attributes).items()):
                return {"QueueUrl": existing.url}
            raise QueueNameExists(
                f"A queue named {QueueName!r} already exists with different attributes")
        deleted_at = self._deleted_at.get(QueueName)
        if deleted_at is not None and self.sim.now - deleted_at < NAME_REUSE_DELAY:
            raise QueueDeletedRecently(
                f"Queue {QueueName!r} was deleted {self.sim.now - deleted_at:g} s ago: wait "
                f"{NAME_REUSE_DELAY:g} s after deleting a queue before creating one of the same "
                "name")
        cap = self.sim.limits.max_queues
        if len(self.queues) >= cap:
            # AWS has no practical queue quota; OverLimit is SQS's code for "The specified
            # action violates a limit" (API reference, OverLimit; boto3's
            # docs.aws.amazon.com/botocore/latest/reference/services/sqs/client/exceptions/
            # OverLimit.html), here the room's.
            raise OverLimit(f"Queue {QueueName!r} is refused: {over('queues', cap)}")
        redrive = self._check_policies(ARN_PREFIX + QueueName, fifo, attributes)
        queue = (FifoQueue if fifo else StandardQueue)(self, QueueName, attributes, tags)
        self.queues[QueueName] = queue
        self._by_url[queue.url] = queue
        self._set_redrive(queue, redrive)
        self.sim.emit(kinds.DECLARED, "sqs", target=queue.node,
                      reason=f"{'FIFO' if fifo else 'standard'} queue {QueueName} created")
        return {"QueueUrl": queue.url}

    def _check_policies(self, arn: str, fifo: bool,
                        attributes: dict[str, str]) -> tuple[str, int] | None | bool:
        """The parsed RedrivePolicy (None to remove it, False when not given)."""
        if "RedriveAllowPolicy" in attributes:
            check_redrive_allow_policy(attributes["RedriveAllowPolicy"])
        if "RedrivePolicy" not in attributes:
            return False
        return parse_redrive_policy(self, arn, fifo, attributes["RedrivePolicy"])

    def _set_redrive(self, queue: Queue, redrive: tuple[str, int] | None | bool) -> None:
        if redrive is False:
            return
        if redrive is None:
            queue.redrive = None
            queue.attributes.pop("RedrivePolicy", None)
        else:
            queue.redrive = RedrivePolicy(queue, *redrive)
            # GetQueueAttributes answers the policy as compact JSON with a numeric count.
            queue.attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": redrive[0], "maxReceiveCount": redrive[1]},
                separators=(",", ":"))

    def list_queue_tags(self, QueueUrl: str) -> Response:
        queue = self._queue(QueueUrl)
        return {"Tags": dict(queue.tags)} if queue.tags else {}

    def get_queue_url(self, QueueName: str, QueueOwnerAWSAccountId: str | None = None) -> Response:
        queue = self.queues.get(QueueName)
        if queue is None or QueueOwnerAWSAccountId not in (None, ACCOUNT):
            raise QueueDoesNotExist(f"The specified queue does not exist: {QueueName!r}")
        return {"QueueUrl": queue.url}

    def list_queues(self, QueueNamePrefix: str | None = None, NextToken: str | None = None,
                    MaxResults: int | None = None) -> Response:
        urls = [q.url for name, q in self.queues.items()
                if QueueNamePrefix is None or name.startswith(QueueNamePrefix)]
        return _page(urls, "QueueUrls", NextToken, MaxResults)

    def get_queue_attributes(self, QueueUrl: str,
                             AttributeNames: list[str] | None = None) -> Response:
        queue = self._queue(QueueUrl)
        names = check_names(AttributeNames, READABLE, "GetQueueAttributes")
        if not names:
            return {}
        values = dict(queue.attributes)
        values.update({k: str(v) for k, v in queue.counts().items()})
        values.update(QueueArn=queue.arn, CreatedTimestamp=str(int(queue.created)),
                      LastModifiedTimestamp=str(int(queue.modified)))
        if "All" not in names:
            values = {k: v for k, v in values.items() if k in names}
        return {"Attributes": values}

    def set_queue_attributes(self, QueueUrl: str, Attributes: dict[str, str]) -> Response:
        queue = self._queue(QueueUrl)
        attributes = check_attributes(Attributes, queue.fifo, creating=False)
        redrive = self._check_policies(queue.arn, queue.fifo, attributes)
        queue.attributes.update(attributes)
        self._set_redrive(queue, redrive)
        queue.modified = self.sim.now
        queue.configure()
        changes = ", ".join(f"{k}={v}" for k, v in attributes.items())
        self.sim.emit(kinds.QUEUE_UPDATED, "sqs", target=queue.node,
                      reason=f"attributes set: {changes}")
        return {}

    def delete_queue(self, QueueUrl: str) -> Response:
        queue = self._queue(QueueUrl)
        queue.purge(kinds.DELETED, f"queue {queue.name} deleted",
                    {"rule": "queue-deleted", "queue": queue.name, "how": "DeleteQueue"})
        del self.queues[queue.name]
        del self._by_url[queue.url]
        queue.close()  # last: its waiting polls' callbacks see the queue gone
        self._deleted_at[queue.name] = self.sim.now
        self.sim.emit(kinds.REMOVED, "sqs", source=queue.node,
                      reason=f"queue {queue.name} deleted")
        return {}

    def purge_queue(self, QueueUrl: str) -> Response:
        queue = self._queue(QueueUrl)
        last = queue.last_purge
        if last is not None and self.sim.now - last < PURGE_INTERVAL:
            raise PurgeQueueInProgress(
                f"Queue {queue.name} was purged {self.sim.now - last:g} s ago: only one "
                f"PurgeQueue per {PURGE_INTERVAL:g} s is allowed")
        queue.last_purge = self.sim.now
        queue.purge(kinds.PURGED, f"queue {queue.name} purged",
                    {"rule": "purge", "queue": queue.name})
        return {}

    # -- sending ---------------------------------------------------------------------------
    def send_message(self, QueueUrl: str, MessageBody: str | None = None,
                     DelaySeconds: int | None = None,
                     MessageAttributes: dict[str, Any] | None = None,
                     MessageGroupId: str | None = None,
                     MessageDeduplicationId: str | None = None) -> Response:
        # MessageBody defaults to None so a request without one answers MissingParameter, as
        # SQS does, rather than Python's TypeError.
        queue = self._queue(QueueUrl)
        return self._send(queue, MessageBody, DelaySeconds, MessageAttributes, MessageGroupId,
                          MessageDeduplicationId)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Response:
        queue = self._queue(QueueUrl)
        entries = _check_batch(Entries)
        total = sum(_entry_size(entry) for entry in entries)
        if total > MAX_MESSAGE_SIZE:
            raise BatchRequestTooLong(
                f"The messages of this batch add up to {total} bytes; a batch may carry at "
                f"most {MAX_MESSAGE_SIZE} bytes in all")
        return _run_batch(entries, lambda entry: self._send(
            queue, entry.get("MessageBody"), entry.get("DelaySeconds"),
            entry.get("MessageAttributes"), entry.get("MessageGroupId"),
            entry.get("MessageDeduplicationId")))

    def deliver(self, queue: Queue, body: str, attributes: dict[str, Any],
                group_id: str | None, dedup_id: str | None, topic_arn: str,
                sns_message_id: str) -> Response:
        """An SNS topic's copy of a published message, sent to ``queue`` (``engine.sqs.sns``);
        SQS's own checks apply, and a refusal raises as a send would."""
        topic = topic_arn.rsplit(":", 1)[-1]
        return self._send(queue, body, None, attributes, group_id,
                          dedup_id if queue.fifo else None,
                          source=node_id("sqs", "topic", topic),
                          via=f" by SNS topic {topic} (a copy of {sns_message_id})")

    def _send(self, queue: Queue, body: object, delay: object, attributes: object,
              group_id: object, dedup_id: object, source: str = PRODUCER,
              via: str = "") -> Response:
        body = check_body(body)
        attributes = check_message_attributes(attributes)
        size = message_size(body, attributes)
        if size > queue.max_size:
            raise InvalidParameterValue(
                f"Message of {size} bytes (body and attributes) is too long: queue "
                f"{queue.name} takes at most {queue.max_size} bytes (MaximumMessageSize)")
        if not self.sim.fits(len(body.encode())):
            # SQS's OverLimit (API reference: "The specified action violates a limit"); AWS
            # stores any number of messages, so this is the room's budget speaking.
            raise OverLimit(f"Message to {queue.name} is refused: {full(self.sim.limits)}")
        if group_id is not None:
            _check_token("MessageGroupId", group_id)
        if queue.fifo:
            delay, dedup_id, key = self._fifo_send(queue, body, delay, group_id, dedup_id)
            original = queue.duplicate_of(key)
            if original is not None:
                return self._duplicate(queue, body, attributes, dedup_id, original)
        else:
            if dedup_id is not None:
                raise InvalidParameterValue(
                    "MessageDeduplicationId is only for FIFO queues; "
                    f"{queue.name} is a standard queue")
            delay = queue.delay if delay is None else _integer("DelaySeconds", delay, MAX_DELAY)
        message = Message(self.new_message_id(), body, attributes, self.sim.now)
        message.group_id = group_id
        message.server = self.realism.server()
        if queue.fifo:
            message.dedup_id = dedup_id
            message.sequence_number = queue.next_sequence_number()
            queue.remember(key, message)
        queue.enqueue(message, delay)
        self.emit_message(kinds.SENT, message, source, queue.node, f"sent to {queue.name}{via}",
                          None, {"rule": "send", "queue": queue.name})
        if delay:
            self.emit_message(kinds.DELAYED, message, queue.node, queue.node,
                              f"hidden for a delivery delay of {delay} s", None,
                              {"rule": "delay", "seconds": delay})
        return _send_response(message)

    def _fifo_send(self, queue: FifoQueue, body: str, delay: object, group_id: object,
                   dedup_id: object) -> tuple[int, str, Any]:
        if group_id is None:
            raise MissingParameter(
                f"The request must contain the parameter MessageGroupId: {queue.name} is a "
                "FIFO queue")
        if delay is not None:
            raise InvalidParameterValue(
                f"Value {delay} for parameter DelaySeconds is invalid: FIFO queues take no "
                "per-message delay; set the queue's DelaySeconds attribute instead")
        if dedup_id is None:
            dedup_id = queue.content_dedup_id(body)
            if dedup_id is None:
                raise InvalidParameterValue(
                    f"The queue should either have ContentBasedDeduplication enabled or "
                    f"MessageDeduplicationId provided explicitly ({queue.name})")
        else:
            _check_token("MessageDeduplicationId", dedup_id)
        return queue.delay, dedup_id, queue.dedup_key(group_id, dedup_id)

    def _duplicate(self, queue: FifoQueue, body: str, attributes: dict[str, Any],
                   dedup_id: str, original: tuple[str, str | None]) -> Response:
        message_id, sequence_number = original
        self.sim.emit(kinds.DUPLICATE_IGNORED, "sqs", source=PRODUCER, target=queue.node,
                      reason=f"MessageDeduplicationId {dedup_id} was accepted less than 5 "
                             f"minutes ago: answered with success, not delivered",
                      details={"MessageId": message_id, "MessageDeduplicationId": dedup_id})
        response: Response = {"MessageId": message_id, "MD5OfMessageBody": body_md5(body)}
        if attributes:
            response["MD5OfMessageAttributes"] = attributes_md5(attributes)
        if sequence_number is not None:
            response["SequenceNumber"] = sequence_number
        return response

    # -- receiving -------------------------------------------------------------------------
    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int = 1,
                        VisibilityTimeout: int | None = None,
                        WaitTimeSeconds: int | None = None,
                        AttributeNames: list[str] | None = None,
                        MessageSystemAttributeNames: list[str] | None = None,
                        MessageAttributeNames: list[str] | None = None,
                        consumer: str | None = None) -> Response:
        """Return what is receivable now, never waiting (see engine.sqs.polling)."""
        queue, request = self._receive_request(
            QueueUrl, MaxNumberOfMessages, VisibilityTimeout, WaitTimeSeconds, AttributeNames,
            MessageSystemAttributeNames, MessageAttributeNames, consumer)
        return self._receive_now(queue, request, strict=True)

    def receive_message_async(self, callback: Callable[[Response], Any], QueueUrl: str,
                              MaxNumberOfMessages: int = 1,
                              VisibilityTimeout: int | None = None,
                              WaitTimeSeconds: int | None = None,
                              AttributeNames: list[str] | None = None,
                              MessageSystemAttributeNames: list[str] | None = None,
                              MessageAttributeNames: list[str] | None = None,
                              consumer: str | None = None) -> None:
        """A receive for simulated consumers: ``callback(response)`` runs in virtual time when
        a message is receivable or the wait ends (see engine.sqs.polling). Bad requests raise
        here, at once."""
        queue, request = self._receive_request(
            QueueUrl, MaxNumberOfMessages, VisibilityTimeout, WaitTimeSeconds, AttributeNames,
            MessageSystemAttributeNames, MessageAttributeNames, consumer)
        waiter = Waiter(lambda: self._receive_now(queue, request, strict=False), callback)
        if request.wait == 0:
            self.sim.call_soon(lambda: waiter.finish(waiter.attempt()))
            return
        waiter.timer = self.sim.call_later(request.wait, self._poll_ended, queue, waiter)
        queue.waiters.append(waiter)
        queue.wake()

    def _poll_ended(self, queue: Queue, waiter: Waiter) -> None:
        waiter.timer = None
        if waiter in queue.waiters:
            queue.waiters.remove(waiter)
            waiter.finish(waiter.attempt())

    def _receive_request(self, url: object, limit: object, visibility: object, wait: object,
                         attribute_names: object, system_names: object,
                         message_attribute_names: object,
                         consumer: str | None) -> tuple[Queue, ReceiveRequest]:
        queue = self._queue(url)
        limit = _integer("MaxNumberOfMessages", limit, 10, low=1)
        visibility = queue.visibility_timeout if visibility is None \
            else _integer("VisibilityTimeout", visibility, MAX_VISIBILITY_TIMEOUT)
        wait = queue.wait if wait is None else _integer("WaitTimeSeconds", wait, MAX_WAIT)
        system = set(check_names(attribute_names, SYSTEM_ATTRIBUTES, "ReceiveMessage"))
        system |= set(check_names(system_names, SYSTEM_ATTRIBUTES, "ReceiveMessage"))
        wanted = [] if message_attribute_names is None else list(message_attribute_names)
        if consumer is not None:
            self._add_consumer(consumer, queue)
        return queue, ReceiveRequest(limit, visibility, wait, frozenset(system), wanted,
                                     consumer)

    def _add_consumer(self, consumer: str, queue: Queue) -> None:
        queues = self.consumers.get(consumer)
        if queues is None:
            queues = self.consumers[consumer] = set()
        if queue.name not in queues:
            queues.add(queue.name)
            self.sim.emit(kinds.CONSUMER_ADDED, "sqs", source=queue.node,
                          target=self.consumer_node(consumer),
                          reason=f"{consumer} receives from {queue.name}")

    def _receive_now(self, queue: Queue, request: ReceiveRequest, strict: bool) -> Response:
        if self.queues.get(queue.name) is not queue:
            return {}
        if queue.in_flight >= IN_FLIGHT_LIMIT:
            if strict and not queue.fifo and request.wait == 0:
                raise OverLimit(f"Queue {queue.name} has {queue.in_flight} messages in flight,"
                                f" the most a standard queue allows ({IN_FLIGHT_LIMIT})")
            return {}
        sampled = self.realism.sampled(queue, long_poll=request.wait > 0)
        taken = queue.receive(request.limit, request.visibility, request.consumer, sampled)
        if not taken:
            return {}
        self.realism.reorder(queue, taken)
        return {"Messages": [_received(queue, m, request) for m in taken]}

    # -- receipt handles -------------------------------------------------------------------
    # ReceiptHandle and VisibilityTimeout default to None so that a request without them
    # answers MissingParameter, as SQS does, rather than Python's TypeError.
    def delete_message(self, QueueUrl: str, ReceiptHandle: str | None = None) -> Response:
        queue = self._queue(QueueUrl)
        queue.delete(_required("ReceiptHandle", ReceiptHandle))
        return {}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Response:
        queue = self._queue(QueueUrl)
        return _run_batch(_check_batch(Entries), lambda entry: queue.delete(
            _required("ReceiptHandle", entry.get("ReceiptHandle"))))

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str | None = None,
                                  VisibilityTimeout: int | None = None) -> Response:
        queue = self._queue(QueueUrl)
        self._change_visibility(queue, ReceiptHandle, VisibilityTimeout)
        return {}

    def change_message_visibility_batch(self, QueueUrl: str,
                                        Entries: list[dict[str, Any]]) -> Response:
        queue = self._queue(QueueUrl)
        return _run_batch(_check_batch(Entries), lambda entry: self._change_visibility(
            queue, entry.get("ReceiptHandle"), entry.get("VisibilityTimeout")))

    def _change_visibility(self, queue: Queue, handle: object, visibility: object) -> None:
        handle = _required("ReceiptHandle", handle)
        visibility = _integer("VisibilityTimeout", _required("VisibilityTimeout", visibility),
                              MAX_VISIBILITY_TIMEOUT)
        queue.change_visibility(handle, visibility)

    # -- dead-letter queues ----------------------------------------------------------------
    def list_dead_letter_source_queues(self, QueueUrl: str, NextToken: str | None = None,
                                       MaxResults: int | None = None) -> Response:
        target = self._queue(QueueUrl)
        urls = [q.url for q in self.queues.values()
                if q.redrive is not None and q.redrive.target_arn == target.arn]
        page = _page(urls, "queueUrls", NextToken, MaxResults)
        page.setdefault("queueUrls", [])  # a required member of this response
        return page

    def start_message_move_task(self, SourceArn: str, DestinationArn: str | None = None,
                                MaxNumberOfMessagesPerSecond: int | None = None) -> Response:
        source = check_move_task(self, SourceArn, DestinationArn, MaxNumberOfMessagesPerSecond)
        handle = f"{source.arn}#task-{len(self.move_tasks) + 1}"
        self.sim.emit(kinds.MOVE_TASK_STARTED, "sqs", source=source.node,
                      target=None if DestinationArn is None
                      else self.queue_by_arn(DestinationArn).node,
                      reason=f"message move task started from {source.name} to "
                             f"{'each source queue' if DestinationArn is None else DestinationArn}")
        self.move_tasks.append(MoveTask(self, handle, source, DestinationArn,
                                        MaxNumberOfMessagesPerSecond))
        return {"TaskHandle": handle}

    def list_message_move_tasks(self, SourceArn: str, MaxResults: int = 1) -> Response:
        source = self.queue_by_arn(SourceArn)
        if source is None:
            raise ResourceNotFoundException(f"SourceArn {SourceArn!r} is not a queue's ARN")
        limit = _integer("MaxResults", MaxResults, 10, low=1)
        tasks = [t for t in reversed(self.move_tasks) if t.source is source][:limit]
        return {"Results": [task.describe() for task in tasks]}

    def cancel_message_move_task(self, TaskHandle: str) -> Response:
        task = next((t for t in self.move_tasks if t.handle == TaskHandle), None)
        if task is None:
            raise ResourceNotFoundException(f"No message move task has handle {TaskHandle!r}")
        if task.status != "RUNNING":
            raise UnsupportedOperation(f"The message move task is {task.status}, not RUNNING")
        task.cancel()
        return {"ApproximateNumberOfMessagesMoved": task.moved}

    def redrive_message(self, source: Queue, message: Message, destination: Queue) -> None:
        """Re-send a DLQ message to ``destination`` as a new message (new MessageId)."""
        copy = Message(self.new_message_id(), message.body, message.attributes, self.sim.now)
        copy.group_id = message.group_id
        copy.server = self.realism.server()
        if isinstance(destination, FifoQueue):
            copy.dedup_id = copy.id
            copy.sequence_number = destination.next_sequence_number()
        source.remove(message, kinds.REDRIVEN,
                      f"redriven to {destination.name} as new message {copy.id}",
                      destination.node, {"new_message_id": copy.id},
                      {"rule": "move-task", "from": source.name, "to": destination.name,
                       "new": copy.id})
        destination.enqueue(copy, destination.delay)
        self.emit_message(kinds.ENQUEUED, copy, source.node, destination.node,
                          f"redriven from {source.name} (was {message.id}): a new message",
                          None, {"rule": "move-task", "from": source.name,
                                 "to": destination.name, "was": message.id})
        if destination.delay:
            self.emit_message(kinds.DELAYED, copy, destination.node, destination.node,
                              f"hidden for a delivery delay of {destination.delay} s", None,
                              {"rule": "delay", "seconds": destination.delay})

    # -- what the simulation asks ----------------------------------------------------------
    def topology(self, into: TopologyBuilder) -> None:
        if self.queues or self.sns.topics:
            into.node(PRODUCER, broker="sqs", kind="producer", name="producers",
                      column=PRODUCERS)
        self.sns.topology(into)
        for app in self.apps:
            app.topology(into)
        for queue in self.queues.values():
            into.node(queue.node, broker="sqs", kind="queue", name=queue.name, column=STORES,
                      fifo=queue.fifo, url=queue.url, arn=queue.arn,
                      attributes=dict(queue.attributes))
            into.edge(PRODUCER, queue.node, kind="sends")
            if queue.redrive is not None:
                target = self.queue_by_arn(queue.redrive.target_arn)
                if target is not None:
                    into.edge(queue.node, target.node, kind="dead-letter",
                              label=f"maxReceiveCount {queue.redrive.max_receive_count}")
        for task in self.move_tasks:
            if task.status == "RUNNING" and task.destination_arn:
                destination = self.queue_by_arn(task.destination_arn)
                if destination is not None:
                    into.edge(task.source.node, destination.node, kind="redrive")
        for consumer, queues in self.consumers.items():
            into.node(self.consumer_node(consumer), broker="sqs", kind="consumer",
                      name=consumer, column=CONSUMERS)
            for name in sorted(queues):
                if name in self.queues:
                    into.edge(self.queues[name].node, self.consumer_node(consumer),
                              kind="receives")

    def contents(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = self.sns.contents()
        for app in self.apps:
            result[app.node] = app.contents()
        held: dict[str, list[dict[str, Any]]] = {name: [] for name in self.consumers}
        for queue in self.queues.values():
            messages = []
            for message in queue.messages.values():
                entry = None
                if len(messages) < 100:
                    entry = _content(message)
                    messages.append(entry)
                if message.consumer is not None and message.state == IN_FLIGHT \
                        and len(held[message.consumer]) < 100:
                    held[message.consumer].append(entry or _content(message))
            counters: dict[str, Any] = dict(queue.counts(), WaitingReceives=len(queue.waiters))
            node: dict[str, Any] = {"messages": messages, "counters": counters}
            if isinstance(queue, FifoQueue):
                node["locked_groups"] = queue.locked_groups()
            result[queue.node] = node
        for consumer, messages in held.items():
            result[self.consumer_node(consumer)] = {
                "messages": messages, "counters": {"in_flight": len(messages)}}
        return result

    def locations(self) -> Iterable[tuple[str, str]]:
        for queue in self.queues.values():
            for message in queue.messages.values():
                yield message.id, f"{queue.node}#{message.state}"


# -- shaping answers -----------------------------------------------------------------------
def describe(message: Message) -> dict[str, Any]:
    """What an inspector shows about a message, in an event's details."""
    details: dict[str, Any] = {
        "MessageId": message.id, "body": message.preview(), "state": message.state,
        "receive_count": message.receive_count,
    }
    if message.queue is not None:
        details["queue"] = message.queue.name
    if message.group_id is not None:
        details["group_id"] = message.group_id
    if message.dedup_id is not None:
        details["deduplication_id"] = message.dedup_id
    if message.attributes:
        details["attributes"] = _attribute_values(message)
    if message.state in ("in-flight", "delayed"):
        details["visible_at"] = message.visible_at
    if message.receipt is not None:
        details["receipt_handle"] = message.receipt
    return details


def _content(message: Message) -> dict[str, Any]:
    entry = describe(message)
    entry["id"] = entry.pop("MessageId")
    entry["sent_timestamp"] = message.sent_ms
    if message.consumer is not None:
        entry["consumer"] = message.consumer
    return entry


def _attribute_values(message: Message) -> dict[str, Any]:
    return {name: a.get("StringValue", "<binary>") for name, a in message.attributes.items()}


def _send_response(message: Message) -> Response:
    response: Response = {"MessageId": message.id, "MD5OfMessageBody": message.md5}
    if message.attributes_md5 is not None:
        response["MD5OfMessageAttributes"] = message.attributes_md5
    if message.sequence_number is not None:
        response["SequenceNumber"] = message.sequence_number
    return response


def _received(queue: Queue, message: Message, request: ReceiveRequest) -> Response:
    out: Response = {"MessageId": message.id, "ReceiptHandle": message.receipt,
                     "MD5OfBody": message.md5, "Body": message.body}
    if request.system:
        out["Attributes"] = _system_attributes(message, request.system)
    if request.wanted and message.attributes:
        chosen = {n: dict(a) for n, a in message.attributes.items() if request.wants(n)}
        if chosen:
            out["MD5OfMessageAttributes"] = attributes_md5(chosen)
            out["MessageAttributes"] = chosen
    return out


def _system_attributes(message: Message, names: frozenset[str]) -> dict[str, str]:
    values = {
        "SenderId": ACCOUNT,
        "SentTimestamp": str(message.sent_ms),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms),
    }
    if message.sequence_number is not None:
        values["SequenceNumber"] = message.sequence_number
    if message.dedup_id is not None:
        values["MessageDeduplicationId"] = message.dedup_id
    if message.group_id is not None:
        values["MessageGroupId"] = message.group_id
    if message.source_arn is not None:
        values["DeadLetterQueueSourceArn"] = message.source_arn
    if "All" in names:
        return values
    return {k: v for k, v in values.items() if k in names}


# -- checking requests ---------------------------------------------------------------------
def _comparable(attributes: dict[str, str]) -> dict[str, str]:
    """Attributes as the queue stores them (a RedrivePolicy in its compact form)."""
    text = attributes.get("RedrivePolicy")
    try:
        policy = json.loads(text) if text else None
        count = int(policy.get("maxReceiveCount", DEFAULT_MAX_RECEIVE_COUNT))
        compact = json.dumps({"deadLetterTargetArn": policy["deadLetterTargetArn"],
                              "maxReceiveCount": count}, separators=(",", ":"))
    except (ValueError, TypeError, KeyError, AttributeError):
        return attributes
    return dict(attributes, RedrivePolicy=compact)


def _integer(name: str, value: object, high: int, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterValue(
            f"Value {value!r} for parameter {name} is invalid: allowed an integer from {low} to "
            f"{high}")
    return value


def _required(name: str, value: Any) -> Any:
    if value is None:
        raise MissingParameter(f"The request must contain the parameter {name}")
    return value


def _check_token(name: str, value: object) -> None:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise InvalidParameterValue(
            f"Value {value!r} for parameter {name} is invalid: 1 to 128 letters, digits and "
            "punctuation")


def _check_batch(entries: object) -> list[dict[str, Any]]:
    if not entries:
        raise EmptyBatchRequest("The batch request does not contain any entries")
    if not isinstance(entries, list | tuple) or not all(isinstance(e, dict) for e in entries):
        raise InvalidParameterValue("Entries must be a list of dicts, each with an 'Id'")
    if len(entries) > MAX_BATCH:
        raise TooManyEntriesInBatchRequest(
            f"The batch request has {len(entries)} entries; at most {MAX_BATCH} are allowed")
    ids = [entry.get("Id") for entry in entries]
    for entry_id in ids:
        if not isinstance(entry_id, str) or not _BATCH_ID.fullmatch(entry_id):
            raise InvalidBatchEntryId(
                f"Batch entry Id {entry_id!r} is invalid: 1 to 80 letters, digits, hyphens and "
                "underscores")
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise BatchEntryIdsNotDistinct(f"Two batch entries share the Id {duplicate!r}")
    return list(entries)


def _entry_size(entry: dict[str, Any]) -> int:
    body, attributes = entry.get("MessageBody"), entry.get("MessageAttributes")
    if not isinstance(body, str):
        return 0
    try:
        return message_size(body, check_message_attributes(attributes))
    except SQSError:
        return len(body.encode())  # the entry itself fails later, on its own


def _run_batch(entries: list[dict[str, Any]],
               action: Callable[[dict[str, Any]], Response | None]) -> Response:
    """Each entry succeeds or fails on its own, as SQS batch actions do."""
    successful, failed = [], []
    for entry in entries:
        try:
            result = action(entry)
        except SQSError as error:
            failed.append({"Id": entry["Id"], "SenderFault": True, "Code": error.code,
                           "Message": error.message})
        else:
            successful.append({"Id": entry["Id"], **(result or {})})
    return {"Successful": successful, "Failed": failed}


def _page(items: list[str], key: str, token: object, limit: object) -> Response:
    start = 0
    if token is not None:
        if not isinstance(token, str) or not token.isdigit() or int(token) > len(items):
            raise InvalidParameterValue(f"NextToken {token!r} is invalid")
        start = int(token)
    if limit is not None:
        limit = _integer("MaxResults", limit, 1000, low=1)
    end = len(items) if limit is None else min(len(items), start + limit)
    page: Response = {key: items[start:end]} if items[start:end] else {}
    if limit is not None and end < len(items):
        page["NextToken"] = str(end)
    return page
