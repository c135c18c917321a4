"""Amazon SQS in the playground: the commands a room offers, the simulated apps they start,
and the SQS presets.

Every command is one boto3 call on ``sim.sqs`` (create_queue, send_message, receive_message,
delete_message, change_message_visibility, purge_queue, start_message_move_task...), with the
form's friendly fields turned into SQS's string attributes. A learner who sends, receives and
deletes by hand does what an SQS client does; simulated consumers (``engine.apps``, through
the SQS adapter) run a receive loop with long polling, take a processing time, fail on a
*poison* body or at a failure rate, and delete after processing (or on receipt).

Receives by hand show up on a receiver node (``you`` by default: the model's ``consumer``
extension) so the message visibly leaves the queue and comes back when its visibility
timeout expires. A receive with a wait is a long poll: it resolves in virtual time through
``receive_message_async`` (see ``engine.sqs.polling``), so it returns as soon as a message
is receivable, or ends empty after the wait. Empty answers are reported as
``empty-receive`` events, and every receiver counts its requests and the empty ones: a
short-polling consumer's stream of them is what long polling saves (SQS Developer Guide,
"Amazon SQS short and long polling").

``Lab.contents()`` adds to each receiver's node what the model cannot know: its request
counts and the messages the app still works on, with whether its receipt handle went stale
(the message was received again meanwhile, so its delete will delete nothing).
"""

from __future__ import annotations

import inspect
import json
from dataclasses import replace
from typing import Any

from engine import EngineError, Simulation
from engine.apps.adapters.base import Delivery
from engine.apps.adapters.sqs import SqsConsumer, SqsProducer
from engine.apps.consumer import Consumer, FailurePolicy
from engine.apps.failures import FailureRule
from engine.apps.ledger import Ledger
from engine.events import CONSUMER_REMOVED
from engine.sqs.attributes import MAX_DELAY, MAX_VISIBILITY_TIMEOUT, MAX_WAIT
from engine.sqs.kinds import DUPLICATE_IGNORED as DUPLICATE
from engine.topology import node_id
from mqlab.commands import ArgumentError, BrokerKit, Command, Field, Preset
from mqlab.commands import _producers as producers
from mqlab.commands import _sns as sns

#: An mqlab event kind: a receive answered with no message (a short poll with nothing to
#: return, or a long poll whose wait ended). SQS bills every such request.
EMPTY_RECEIVE = "empty-receive"
#: An mqlab event kind: a consumer app starts (its node's counters start from zero).
APP_STARTED = "app-started"
#: An mqlab event kind: a long poll made by hand starts; it waits in the queue until a
#: message is receivable or its wait ends (the queue's WaitingReceives counts it meanwhile).
LONG_POLL_STARTED = "long-poll-started"
#: SQS receives at most 10 messages per call (ReceiveMessage API Reference).
MAX_RECEIVE = 10
DELETE_WHEN = (("after-processing", "after processing (at-least-once)"),
               ("on-receipt", "on receipt, before the work (at-most-once)"))
ON_FAILURE = (("wait", "leave it: it reappears when its visibility timeout ends"),
              ("release", "release it now (ChangeMessageVisibility 0)"))


class Requests:
    """ReceiveMessage requests a receiver made, and how many came back empty: the cost that
    long polling cuts (SQS bills each request, empty or not)."""

    def __init__(self) -> None:
        self.made = 0
        self.empty = 0

    def count(self, messages: list | None) -> int:
        """Count one answered request; returns how many messages it brought."""
        self.made += 1
        self.empty += not messages
        return len(messages or ())

    def counters(self) -> dict[str, int]:
        return {"receives": self.made, "empty_receives": self.empty}


class PollingConsumer(SqsConsumer):
    """The adapter's receive loop, reporting each empty answer so short polling shows.

    A graceful stop cannot take back a long poll already waiting in the queue; if that poll
    is answered with messages after the stop, the stopping app releases them at once
    (ChangeMessageVisibility 0) rather than leave them invisible for a whole timeout. A crash
    releases nothing: SQS only finds out when the visibility timeout ends."""

    stopping = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Receipt handle -> the delivery the app holds (in its buffer or working on it).
        self.in_hand: dict[str, Delivery] = {}
        #: ReceiveMessage requests answered, and how many of them were empty.
        self.requests = Requests()

    def open(self, app: Any, early_ack: bool) -> None:
        self.stopping = False
        super().open(app, early_ack)

    def close(self) -> None:
        self.stopping = True
        super().close()

    def crash(self) -> None:
        self.in_hand.clear()
        super().crash()

    def _delivery(self, message: dict[str, Any]) -> Delivery:
        delivery = super()._delivery(message)
        if not self.early_ack:  # deleted on receipt: the app never says when it is done
            self.in_hand[delivery.handle] = delivery
        return delivery

    def _settled(self, delivery: Delivery) -> None:
        self.in_hand.pop(delivery.handle, None)

    def ack(self, delivery: Delivery) -> None:
        self._settled(delivery)
        super().ack(delivery)

    def requeue(self, delivery: Delivery) -> None:
        self._settled(delivery)
        super().requeue(delivery)

    def retry(self, delivery: Delivery, delay: float) -> None:
        self._settled(delivery)
        super().retry(delivery, delay)

    def dead_letter(self, delivery: Delivery) -> None:
        self._settled(delivery)
        super().dead_letter(delivery)

    def _answered(self, life: int, response: dict[str, Any]) -> None:
        messages = response.get("Messages")
        current = life == self._life
        if current:
            self.requests.count(messages)
        elif self.stopping:
            for message in messages or []:
                self._set_visibility(message["ReceiptHandle"], 0)
        if not messages:
            # Also for a poll the app made before it went down: SQS answers (and bills) it
            # all the same, and the queue stops counting it as waiting.
            how = f"long poll ended after {self.wait} s" if self.wait else "short poll"
            before = "" if current else " (a poll made before the app went down)"
            self.sim.emit(EMPTY_RECEIVE, "sqs", source=node_id("sqs", "queue", self.queue),
                          target=self.node, reason=f"{how}: no message (an empty, billed "
                          f"ReceiveMessage request){before}", details={"consumer": self.name})
        super()._answered(life, response)


class Lab:
    """A room's SQS: the simulated consumer and producer apps, and the user's receiver."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.consumers: dict[str, Consumer] = {}
        self.producers: dict[str, Any] = {}
        #: Receive requests made by hand, per receiver name.
        self.hand: dict[str, Requests] = {}
        #: One side-effect ledger per queue: consumers of one queue stand for one service,
        #: so a message processed by two of them shows as a duplicate side effect.
        self.ledgers: dict[str, Ledger] = {}
        #: Lambda-style batch consumers and outbox services (``mqlab.commands._sns``)
        self.lambdas: dict[str, Any] = {}
        #: processed-ids stores of the deduplicating functions, one per queue (one service)
        self.stores: dict[str, Any] = {}
        self.outboxes: dict[str, Any] = {}
        #: The answer to the latest ``api`` command (a real client's request).
        self.last_call: ApiCall | None = None

    @property
    def sqs(self) -> Any:
        return self.sim.sqs

    def queue_names(self) -> list[str]:
        return list(self.sqs.queues)

    def queue(self, name: str, field: str = "queue") -> Any:
        queue = self.sqs.queues.get(name)
        if queue is None:
            known = ", ".join(self.queue_names()) or "none yet: create one first"
            raise ArgumentError(field, f"no queue {name!r}; queues: {known}")
        return queue

    def url(self, name: str, field: str = "queue") -> str:
        return self.queue(name, field).url

    def contents(self) -> dict[str, dict[str, Any]]:
        """What each consumer app holds, on its node: a message it still works on may have
        been received again by another consumer, so the receipt handle it holds is stale
        and its delete will delete nothing (the lesson of a visibility timeout too short)."""
        nodes: dict[str, dict[str, Any]] = {
            node_id("sqs", "consumer", name): {"counters": requests.counters()}
            for name, requests in self.hand.items()}
        for app in self.consumers.values():
            nodes[app.node] = {
                "counters": app.adapter.requests.counters(),
                "working": [self._work(app.adapter.queue, delivery)
                            for delivery in app.adapter.in_hand.values()]}
        nodes.update(sns.lab_contents(self))
        return nodes

    def _work(self, queue: str, delivery: Delivery) -> dict[str, Any]:
        message_id = delivery.handle.split("/")[1]
        message = self.sqs.queues[queue].messages.get(message_id) \
            if queue in self.sqs.queues else None
        return {"id": message_id, "body": delivery.body[:200], "attempt": delivery.attempt,
                "receipt_handle": delivery.handle,
                "stale": message is None or message.receipt != delivery.handle}

    def consumer(self, name: str) -> Consumer:
        app = self.consumers.get(name)
        if app is None:
            known = ", ".join(sorted(self.consumers)) or "none yet"
            raise ArgumentError("consumer", f"no consumer {name!r}; consumers: {known}")
        return app

    def receipt(self, queue: str, receipt_handle: str | None, message_id: str | None) -> str:
        """The receipt handle given, or the latest one of the message named by its id."""
        if receipt_handle:
            return receipt_handle
        if not message_id:
            raise ArgumentError("receipt_handle", "give a receipt handle (a receive returns "
                                "one) or the id of a received message")
        message = self.queue(queue).messages.get(message_id)
        if message is None:
            raise ArgumentError("message_id", f"no message {message_id!r} in queue {queue!r}")
        if message.receipt is None:
            raise ArgumentError("message_id", f"message {message_id} was never received: "
                                "only a receive gives a receipt handle")
        return message.receipt


# -- suggestions for the forms ---------------------------------------------------------------

def _queues(lab: Lab) -> list[str]:
    return lab.queue_names()


def _main_queue(lab: Lab) -> str:
    """The queue a send, receive or new consumer form starts with: the room's first queue
    that is no other queue's dead-letter queue (issue 11: a form's defaults work in its
    preset, as RabbitMQ's routing key does)."""
    queues = lab.sqs.queues
    dead_letter = {policy.target_arn for policy in
                   (queue.redrive for queue in queues.values()) if policy is not None}
    return next((name for name, queue in queues.items() if queue.arn not in dead_letter),
                next(iter(queues), ""))


def _main_group(lab: Lab) -> str:
    """A FIFO main queue needs a MessageGroupId: the form starts with one."""
    queue = lab.sqs.queues.get(_main_queue(lab))
    return "group-1" if queue is not None and queue.fifo else ""


def _consumers(lab: Lab) -> list[str]:
    return sorted(lab.consumers)


def _in_flight(lab: Lab) -> list[str]:
    return [m.receipt for q in lab.sqs.queues.values() for m in q.messages.values()
            if m.state == "in-flight"][:50]


# -- queues ----------------------------------------------------------------------------------

#: Form fields -> the queue attributes they set (CreateQueue API Reference, "Attributes").
ATTRIBUTES = {
    "visibility_timeout": "VisibilityTimeout", "delay_seconds": "DelaySeconds",
    "retention_period": "MessageRetentionPeriod",
    "receive_wait_time": "ReceiveMessageWaitTimeSeconds",
}


def _attributes(lab: Lab, values: dict[str, Any], fifo: bool | None = None,
                content_based_deduplication: bool = False) -> dict[str, str]:
    """SQS's string attributes from the form's values (blank ones are left to SQS)."""
    attributes = {ATTRIBUTES[k]: str(v) for k, v in values.items()
                  if k in ATTRIBUTES and v is not None}
    if fifo:
        attributes["FifoQueue"] = "true"
    if content_based_deduplication:
        attributes["ContentBasedDeduplication"] = "true"
    dlq, count = values.get("dead_letter_queue"), values.get("max_receive_count")
    if dlq:
        policy: dict[str, Any] = {"deadLetterTargetArn": lab.queue(dlq, "dead_letter_queue").arn}
        if count is not None:
            policy["maxReceiveCount"] = count
        attributes["RedrivePolicy"] = json.dumps(policy)
    elif count is not None:
        raise ArgumentError("dead_letter_queue", "maxReceiveCount needs a dead-letter queue "
                            "to move messages to")
    return attributes


def _described(attributes: dict[str, str]) -> str:
    if not attributes:
        return ""
    shown = []
    for key, value in attributes.items():
        if key == "RedrivePolicy":
            policy = json.loads(value)
            value = (f"DLQ {policy['deadLetterTargetArn'].rsplit(':', 1)[-1]}, maxReceiveCount "
                     f"{policy.get('maxReceiveCount', 10)}")
        shown.append(f"{key}={value}")
    return f" with {', '.join(shown)}"


def create_queue(lab: Lab, name: str, fifo: bool, content_based_deduplication: bool,
                 **values: Any) -> str:
    attributes = _attributes(lab, values, fifo, content_based_deduplication)
    lab.sqs.create_queue(QueueName=name, Attributes=attributes)
    return f"created {'FIFO' if fifo else 'standard'} queue {name!r}{_described(attributes)}"


def set_queue_attributes(lab: Lab, queue: str, content_based_deduplication: bool,
                         **values: Any) -> str:
    attributes = _attributes(lab, values, None, content_based_deduplication)
    if not attributes:
        raise ArgumentError("visibility_timeout", "nothing to change: fill in at least one "
                            "attribute")
    lab.sqs.set_queue_attributes(QueueUrl=lab.url(queue), Attributes=attributes)
    return f"queue {queue!r} now has{_described(attributes)[5:]}"


def delete_queue(lab: Lab, queue: str) -> str:
    lab.sqs.delete_queue(QueueUrl=lab.url(queue))
    return f"deleted queue {queue!r} and every message in it"


def purge_queue(lab: Lab, queue: str) -> str:
    held = len(lab.queue(queue).messages)
    lab.sqs.purge_queue(QueueUrl=lab.url(queue))
    return f"purged {held} message(s) from {queue!r}"


def start_redrive(lab: Lab, dead_letter_queue: str, destination: str | None,
                  per_second: int | None) -> str:
    arguments: dict[str, Any] = {"SourceArn": lab.queue(dead_letter_queue,
                                                        "dead_letter_queue").arn}
    if destination:
        arguments["DestinationArn"] = lab.queue(destination, "destination").arn
    if per_second is not None:
        arguments["MaxNumberOfMessagesPerSecond"] = per_second
    lab.sqs.start_message_move_task(**arguments)
    where = destination or "the queues they came from"
    return f"redrive started: messages of {dead_letter_queue!r} move back to {where}"


# -- messages --------------------------------------------------------------------------------

def _message_attributes(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """{"tenant": "acme", "priority": 3} -> SQS's typed attributes; a full
    {"DataType": ..., "StringValue": ...} value passes through."""
    if not raw:
        return None
    typed = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            typed[name] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            typed[name] = {"DataType": "Number", "StringValue": str(value)}
        else:
            typed[name] = {"DataType": "String", "StringValue": str(value)}
    return typed


def send_message(lab: Lab, queue: str, body: str, group_id: str | None,
                 deduplication_id: str | None, delay_seconds: int | None,
                 attributes: dict[str, Any] | None, count: int) -> str:
    url = lab.url(queue)
    ids: list[str] = []
    # A duplicate FIFO send is answered like any other; only its event tells it apart.
    duplicates: list[str] = []
    unsubscribe = lab.sim.subscribe(
        lambda event: duplicates.append(event.kind) if event.kind == DUPLICATE else None)
    try:
        for _ in range(count):
            answer = lab.sqs.send_message(
                QueueUrl=url, MessageBody=body.replace("{n}", str(producers.next_number(lab))),
                DelaySeconds=delay_seconds, MessageAttributes=_message_attributes(attributes),
                MessageGroupId=group_id, MessageDeduplicationId=deduplication_id)
            ids.append(answer["MessageId"])
    finally:
        unsubscribe()
    sent = ids[0] if count == 1 else f"{count} messages ({ids[0]} .. {ids[-1]})"
    note = ""
    if duplicates:
        note = (f"; {len(duplicates)} accepted as duplicate(s) within the 5-minute deduplication "
                "window: answered with success, never delivered")
    return f"sent {sent} to {queue!r}{note}"


def receive_message(lab: Lab, queue: str, max_messages: int, visibility_timeout: int | None,
                    wait_time: int | None, receiver: str) -> str:
    url = lab.url(queue)
    wait = lab.queue(queue).wait if wait_time is None else wait_time
    arguments = {"QueueUrl": url, "MaxNumberOfMessages": max_messages,
                 "VisibilityTimeout": visibility_timeout, "WaitTimeSeconds": wait_time,
                 "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"],
                 "consumer": receiver or None}
    if wait:
        lab.sqs.receive_message_async(lambda response: _answered(lab, queue, receiver, wait,
                                                                 response), **arguments)
        lab.sim.emit(LONG_POLL_STARTED, "sqs", source=node_id("sqs", "queue", queue),
                     target=node_id("sqs", "consumer", receiver) if receiver else None,
                     reason=f"ReceiveMessage with WaitTimeSeconds={wait}: waits up to {wait} s "
                     "for a message", details={"consumer": receiver})
        return (f"long poll on {queue!r}: answered as soon as a message is receivable, or "
                f"empty after {wait} s")
    response = lab.sqs.receive_message(**arguments)
    _answered(lab, queue, receiver, 0, response)
    messages = response.get("Messages", [])
    if not messages:
        return f"short poll on {queue!r}: nothing receivable now"
    return f"received {len(messages)} message(s): " + "; ".join(
        f"{m['MessageId']} (receive count {m['Attributes']['ApproximateReceiveCount']}, "
        f"receipt handle {m['ReceiptHandle']})" for m in messages)


def _answered(lab: Lab, queue: str, receiver: str, wait: int, response: dict) -> None:
    if receiver:
        lab.hand.setdefault(receiver, Requests()).count(response.get("Messages"))
    if response.get("Messages"):
        return  # the model reported each message as received
    how = f"long poll ended after {wait} s" if wait else "short poll"
    lab.sim.emit(EMPTY_RECEIVE, "sqs", source=node_id("sqs", "queue", queue),
                 target=node_id("sqs", "consumer", receiver) if receiver else None,
                 reason=f"{how}: no message", details={"consumer": receiver})


def delete_message(lab: Lab, queue: str, receipt_handle: str | None,
                   message_id: str | None) -> str:
    handle = lab.receipt(queue, receipt_handle, message_id)
    lab.sqs.delete_message(QueueUrl=lab.url(queue), ReceiptHandle=handle)
    deleted_id = handle.split("/")[1] if handle.count("/") == 2 else handle
    if deleted_id in lab.queue(queue).messages:
        # DeleteMessage API Reference: an outdated handle "succeeds, but the message will
        # not be deleted".
        return (f"request succeeded, but {handle} is not the message's latest receipt "
                "handle: nothing was deleted")
    return f"deleted message {deleted_id}"


def change_visibility(lab: Lab, queue: str, visibility_timeout: int, receipt_handle: str | None,
                      message_id: str | None) -> str:
    handle = lab.receipt(queue, receipt_handle, message_id)
    lab.sqs.change_message_visibility(QueueUrl=lab.url(queue), ReceiptHandle=handle,
                                      VisibilityTimeout=visibility_timeout)
    if visibility_timeout == 0:
        return f"{handle}: visible again now"
    return f"{handle}: hidden for {visibility_timeout} s from now"


def start_producer(lab: Lab, name: str, queue: str, rate: float, body: str,
                   group_id: str | None, limit: int | None) -> str:
    producers.check_new(lab, name, body)
    lab.url(queue)
    producers.start(lab, name, SqsProducer(lab.sim, name, queue), rate, body, limit,
                    options={"group": group_id} if group_id else None)
    return f"producer {name!r} sends {rate:g} message(s)/s to {queue!r}"


# -- consumers -------------------------------------------------------------------------------

def add_consumer(lab: Lab, name: str, queue: str, processing_time: float, failure_rate: float,
                 poison: str | None, on_failure: str, delete_when: str, batch: int,
                 wait_time: int) -> str:
    if name in lab.consumers and lab.consumers[name].running:
        raise ArgumentError("name", f"a consumer named {name!r} is already running; pick "
                            "another name")
    lab.url(queue)
    if name in lab.consumers:  # a stopped app of that name gives its place up
        lab.consumers[name].retire()
    adapter = PollingConsumer(lab.sim, name, queue, batch=batch, wait=wait_time)
    app = Consumer(
        lab.sim, name, adapter, processing=lambda rng: processing_time,
        guarantee="at-most-once" if delete_when == "on-receipt" else "at-least-once",
        failures=FailureRule(rate=failure_rate, poison=(poison,) if poison else (),
                             match="contains"),
        policy=FailurePolicy(on_failure="dead-letter" if on_failure == "release"
                             else "requeue"),
        ledger=lab.ledgers.setdefault(queue, Ledger(f"{queue} processed")))
    lab.consumers[name] = app
    polling = f"long polls of {wait_time} s" if wait_time else "short polls every 1 s"
    # Said first: SQS itself says nothing of a receiver it already knows (a name reused).
    lab.sim.emit(APP_STARTED, "sqs", source=app.node, reason=f"consumer app {name!r} "
                 f"started on {queue!r} ({polling})", details={"consumer": name})
    app.start()
    return (f"consumer {name!r} receives from {queue!r} ({polling}, {processing_time:g} s per "
            f"message, deletes {delete_when.replace('-', ' ')})")


def remove_consumer(lab: Lab, consumer: str) -> str:
    app = lab.consumer(consumer)
    app.retire()
    del lab.consumers[consumer]
    # Its node keeps the messages it received (SQS remembers no receivers) but loses the
    # app's counters and work in hand; the event tells viewers, even when the app was already
    # down and its stop said nothing.
    lab.sim.emit(CONSUMER_REMOVED, "sqs", source=app.node,
                 reason=f"consumer app {consumer!r} removed")
    return (f"consumer {consumer!r} stopped; messages it held stay in flight until their "
            "visibility timeout ends")


def crash_consumer(lab: Lab, consumer: str) -> str:
    """SQS never hears of a crash: the messages it held reappear when their visibility
    timeout expires ("Amazon SQS visibility timeout")."""
    app = lab.consumer(consumer)
    if not app.running:
        raise ArgumentError("consumer", f"consumer {consumer!r} is already down; restart it")
    app.crash()
    return (f"consumer {consumer!r} crashed; what it held reappears when its visibility "
            "timeout ends")


def restart_consumer(lab: Lab, consumer: str) -> str:
    app = lab.consumer(consumer)
    if app.running:
        raise ArgumentError("consumer", f"consumer {consumer!r} is running")
    app.restart()
    return f"consumer {consumer!r} restarted and polls again"


def realism(lab: Lab, enabled: bool) -> str:
    lab.sqs.realism.enabled = enabled
    if enabled:
        return ("realism on: standard queues now and then deliver a duplicate, shuffle a "
                "receive, and short polls sample servers (seeded: replays the same)")
    return "realism off: standard queues behave exactly"


# -- real clients (mqlab.sqs_api) --------------------------------------------------------------

#: The model's actions a real client may call, by their API name.
API_ACTIONS = {
    "CreateQueue": "create_queue", "GetQueueUrl": "get_queue_url", "ListQueues": "list_queues",
    "GetQueueAttributes": "get_queue_attributes",
    "SetQueueAttributes": "set_queue_attributes", "DeleteQueue": "delete_queue",
    "PurgeQueue": "purge_queue", "ListQueueTags": "list_queue_tags",
    "SendMessage": "send_message", "SendMessageBatch": "send_message_batch",
    "ReceiveMessage": "receive_message", "DeleteMessage": "delete_message",
    "DeleteMessageBatch": "delete_message_batch",
    "ChangeMessageVisibility": "change_message_visibility",
    "ChangeMessageVisibilityBatch": "change_message_visibility_batch",
    "ListDeadLetterSourceQueues": "list_dead_letter_source_queues",
    "StartMessageMoveTask": "start_message_move_task",
    "ListMessageMoveTasks": "list_message_move_tasks",
    "CancelMessageMoveTask": "cancel_message_move_task",
}


class ApiCall:
    """What a real client's request came to: ``response`` once ``done``, or ``error`` (an
    EngineError). A long poll is done later, in virtual time."""

    def __init__(self) -> None:
        self.done = False
        self.response: dict[str, Any] | None = None
        self.error: Exception | None = None

    def answer(self, response: dict[str, Any]) -> None:
        self.response, self.done = response, True


def api(lab: Lab, action: str, params: dict[str, Any], client: str | None) -> str:
    """One request of a real client (boto3, the AWS CLI...): the model's method of that
    action with the request's parameters (queue URLs already the model's). The answer waits
    in ``lab.last_call`` for the HTTP view; receives show on the client's receiver node."""
    call = lab.last_call = ApiCall()
    try:
        return _api(lab, call, action, params, client)
    except EngineError as error:  # the client hears SQS's own code
        call.error = error
        raise


def _api(lab: Lab, call: ApiCall, action: str, params: dict[str, Any],
         client: str | None) -> str:
    from mqlab import sqs_shapes

    method = API_ACTIONS.get(action)
    if method is None:
        raise ArgumentError("action", f"SQS has no action {action!r} here; known: "
                            f"{', '.join(sorted(API_ACTIONS))}")
    op = sqs_shapes.operation(action)
    arguments = sqs_shapes.decode_blobs(op.input_shape if op else None, params)
    # Parameters the model does not take (ReceiveRequestAttemptId, X-Ray's
    # MessageSystemAttributes) change nothing it simulates: left out.
    accepted = inspect.signature(getattr(lab.sqs, method)).parameters
    arguments = {k: v for k, v in arguments.items() if k in accepted}
    who = f" by {client}" if client else ""
    if action == "ReceiveMessage":
        queue = lab.sqs._queue(arguments.get("QueueUrl"))
        wait = arguments.get("WaitTimeSeconds")
        wait = queue.wait if wait is None else wait
        lab.sqs.receive_message_async(call.answer, consumer=client, **arguments)
        if wait:
            lab.sim.emit(LONG_POLL_STARTED, "sqs", source=node_id("sqs", "queue", queue.name),
                         target=node_id("sqs", "consumer", client) if client else None,
                         reason=f"ReceiveMessage{who} with WaitTimeSeconds={wait}",
                         details={"consumer": client})
        return f"ReceiveMessage{who} on {queue.name!r}"
    try:
        call.answer(getattr(lab.sqs, method)(**arguments))
    except TypeError as error:  # a parameter the action does not take
        raise ArgumentError("params", f"{action}: {error}") from None
    return f"{action}{who}"


# -- the registry ----------------------------------------------------------------------------

QUEUE = Field("queue", "Queue", required=True, suggest=_queues)
#: Where messages are sent and received: the form starts with the room's main queue.
MAIN_QUEUE = replace(QUEUE, prefill=_main_queue)
CONSUMER = Field("consumer", "Consumer", required=True, suggest=_consumers)
RECEIPT = Field("receipt_handle", "Receipt handle", suggest=_in_flight,
                help="From a receive (shown on each message in flight).")
MESSAGE_ID = Field("message_id", "or message id",
                   help="A received message's id: its latest receipt handle is used.")
DEAD_LETTER_QUEUE = Field("dead_letter_queue", "Dead-letter queue", suggest=_queues,
                          help="RedrivePolicy: where messages go after maxReceiveCount "
                               "receives. Create it first.")
MAX_RECEIVE_COUNT = Field("max_receive_count", "maxReceiveCount", "int", minimum=1,
                          maximum=1000, placeholder="10",
                          help="Receives before the next one moves the message to the DLQ.")


def _attribute_fields() -> tuple[Field, ...]:
    """The queue attributes a form sets; blank keeps SQS's default (or current value)."""
    return (
        Field("visibility_timeout", "VisibilityTimeout (s)", "int", minimum=0,
              maximum=MAX_VISIBILITY_TIMEOUT, placeholder="30",
              help="How long a received message stays hidden."),
        DEAD_LETTER_QUEUE, MAX_RECEIVE_COUNT,
        Field("delay_seconds", "DelaySeconds", "int", minimum=0, maximum=MAX_DELAY,
              placeholder="0", help="New messages stay hidden this long first."),
        Field("retention_period", "MessageRetentionPeriod (s)", "int", minimum=60,
              maximum=1_209_600, placeholder="345600"),
        Field("receive_wait_time", "ReceiveMessageWaitTimeSeconds", "int", minimum=0,
              maximum=MAX_WAIT, placeholder="0",
              help="Default wait of receives: above 0, they long-poll."),
        Field("content_based_deduplication", "ContentBasedDeduplication (FIFO)", "bool",
              default=False, help="Deduplicate by the body's SHA-256."),
    )


COMMANDS = (
    Command("send_message", "Send message", "Messages", send_message, (
        MAIN_QUEUE, Field("body", "Body", "textarea", default="order {n}",
                     help="{n} becomes the message's number when sending several.",
                     max_length=producers.BODY_CHARS),
        Field("group_id", "MessageGroupId", help="FIFO queues: messages of one group are "
              "received in order, one group member in flight at a time.", prefill=_main_group),
        Field("deduplication_id", "MessageDeduplicationId",
              help="FIFO: a second send with this id within 5 minutes is accepted and "
                   "never delivered."),
        Field("delay_seconds", "DelaySeconds", "int", minimum=0, maximum=MAX_DELAY,
              help="Standard queues: hide this message for a while first."),
        Field("attributes", "Message attributes", "json", placeholder='{"tenant": "acme"}'),
        producers.COUNT,
    ), help="SendMessage. Put 'poison' in the body to make consumers fail on it."),
    Command("receive_message", "Receive", "Messages", receive_message, (
        MAIN_QUEUE, Field("max_messages", "MaxNumberOfMessages", "int", default=1, minimum=1,
                     maximum=MAX_RECEIVE),
        Field("wait_time", "WaitTimeSeconds", "int", minimum=0, maximum=MAX_WAIT,
              help="Above 0: a long poll that waits for a message. Blank: the queue's "
                   "ReceiveMessageWaitTimeSeconds."),
        Field("visibility_timeout", "VisibilityTimeout (s)", "int", minimum=0,
              maximum=MAX_VISIBILITY_TIMEOUT, help="Blank: the queue's own."),
        Field("receiver", "Received by", default="you",
              help="The receiver drawn holding the messages."),
    ), help="ReceiveMessage by hand: the messages go invisible but stay in the queue until "
            "deleted."),
    Command("delete_message", "Delete message", "Messages", delete_message,
            (QUEUE, RECEIPT, MESSAGE_ID),
            help="DeleteMessage with the latest receipt handle."),
    Command("change_visibility", "Change visibility", "Messages", change_visibility, (
        QUEUE, Field("visibility_timeout", "VisibilityTimeout (s)", "int", required=True,
                     default=0, minimum=0, maximum=MAX_VISIBILITY_TIMEOUT,
                     help="From now; 0 makes it visible at once."),
        RECEIPT, MESSAGE_ID,
    ), help="ChangeMessageVisibility on a message in flight."),
    Command("start_producer", "Start a producer", "Messages", start_producer, (
        producers.NAME, MAIN_QUEUE, producers.RATE,
        producers.BODY, Field("group_id", "MessageGroupId (FIFO)",
                              help="Blank: one group 'all'."), producers.LIMIT,
    ), help="A simulated service sending at a steady rate."),
    Command("stop_producer", "Stop a producer", "Messages", producers.stop, (
        Field("producer", "Producer", required=True,
              suggest=lambda lab: sorted(lab.producers)),
    )),
    Command("create_queue", "Create queue", "Queues", create_queue, (
        Field("name", "QueueName", required=True, placeholder="orders",
              help="FIFO queue names end in .fifo."),
        Field("fifo", "FifoQueue", "bool", default=False),
        *_attribute_fields(),
    ), fresh=True),
    Command("set_queue_attributes", "Set queue attributes", "Queues", set_queue_attributes, (
        QUEUE, *_attribute_fields(),
    ), help="Blank fields keep their current value."),
    Command("purge_queue", "Purge queue", "Queues", purge_queue, (QUEUE,),
            help="Deletes every message; once per 60 s.", danger=True),
    Command("delete_queue", "Delete queue", "Queues", delete_queue, (QUEUE,), danger=True),
    Command("start_redrive", "Start a DLQ redrive", "Queues", start_redrive, (
        Field("dead_letter_queue", "Dead-letter queue", required=True, suggest=_queues),
        Field("destination", "Destination", suggest=_queues,
              help="Blank: each message back to the queue it came from."),
        Field("per_second", "Messages per second", "int", minimum=1, maximum=500),
    ), help="StartMessageMoveTask: the messages return as new messages (new MessageIds)."),
    Command("add_consumer", "Add consumer", "Consumers", add_consumer, (
        Field("name", "Name", required=True, placeholder="worker-1",
              prefill=lambda lab: producers.free_name(lab, "worker", lab.consumers)), MAIN_QUEUE,
        Field("processing_time", "Processing time (s)", "float", default=2.0, minimum=0,
              maximum=3600),
        Field("failure_rate", "Failure rate", "float", default=0.0, minimum=0, maximum=1,
              help="Chance each attempt fails (seeded)."),
        Field("poison", "Poison text", default="poison",
              help="A body containing this fails every time."),
        Field("on_failure", "On failure", "choice", default="wait", choices=ON_FAILURE),
        Field("delete_when", "Deletes", "choice", default="after-processing",
              choices=DELETE_WHEN),
        Field("batch", "MaxNumberOfMessages", "int", default=1, minimum=1,
              maximum=MAX_RECEIVE),
        Field("wait_time", "WaitTimeSeconds", "int", default=20, minimum=0, maximum=MAX_WAIT,
              help="20: long polling; 0: short polls every second."),
    ), help="A simulated service running a receive loop."),
    Command("remove_consumer", "Stop consumer", "Consumers", remove_consumer, (CONSUMER,),
            help="It stops polling; what it held reappears after the visibility timeout."),
    Command("restart_consumer", "Restart consumer", "Consumers", restart_consumer,
            (CONSUMER,)),
    Command("crash_consumer", "Crash consumer", "Faults", crash_consumer, (CONSUMER,),
            help="It dies mid-work: SQS only notices when the visibility timeout ends.",
            danger=True),
    Command("realism", "Realism (standard queues)", "Faults", realism, (
        Field("enabled", "Enabled", "bool", default=True),
    ), help="Occasional duplicates, shuffled receives, sampled short polls — seeded."),
    *sns.commands(QUEUE, _main_queue),
    Command("api", "SQS API request", "API", api, (
        Field("action", "Action", required=True), Field("params", "Parameters", "json",
                                                        default={}, max_length=2_000_000),
        Field("client", "Client"),
    ), help="A request of a real SQS client (boto3, the AWS CLI) to the room's endpoint.",
            hidden=True),
)


def _queue(name: str, **attributes: Any) -> tuple[str, dict[str, Any]]:
    return ("create_queue", {"name": name, **attributes})


def _consumer(name: str, queue: str, **settings: Any) -> tuple[str, dict[str, Any]]:
    return ("add_consumer", {"name": name, "queue": queue, **settings})


def _send(queue: str, body: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    return ("send_message", {"queue": queue, "body": body, **extra})


PRESETS = (
    Preset("sqs", "sqs-visibility-timeout", "Visibility timeout vs a slow consumer",
           "VisibilityTimeout is 10 s but each worker takes 15 s: the report reappears before "
           "it is deleted, another worker receives it again (receive count 2), and the first "
           "one's delete uses a stale receipt handle. Beside it, receipts is set right (30 s "
           "for 2 s of work): each message is received once. Raise reports' timeout to fix it.", (
               _queue("reports", visibility_timeout=10),
               _consumer("worker-1", "reports", processing_time=15),
               _consumer("worker-2", "reports", processing_time=15),
               _send("reports", "report {n}"),
               # Something moves from the start, as in the other presets (issue 11), and
               # shows the timeout set right: longer than the work.
               _queue("receipts", visibility_timeout=30),
               _consumer("fast-worker", "receipts", processing_time=2),
               ("start_producer", {"name": "receipt-feed", "queue": "receipts", "rate": 0.4,
                                   "body": "receipt {n}"}),
           )),
    Preset("sqs", "sqs-dlq-redrive", "Dead-letter queue and redrive",
           "The worker fails on the poison order and leaves it: after maxReceiveCount 3 "
           "receives, the 4th moves it to orders-dlq. Redrive it back with 'Start a DLQ "
           "redrive' (stop the worker first, or it fails again).", (
               _queue("orders-dlq"),
               _queue("orders", visibility_timeout=5, dead_letter_queue="orders-dlq",
                      max_receive_count=3),
               _consumer("worker", "orders", processing_time=1),
               _send("orders", "order {n}", count=2), _send("orders", "poison order"),
           )),
    Preset("sqs", "sqs-fifo-groups", "FIFO message groups and deduplication",
           "orders.fifo keeps order within each MessageGroupId: while a message of a group is "
           "in flight its group is locked, other groups go on. ContentBasedDeduplication: "
           "sending the same body again within 5 minutes is accepted and never delivered. That "
           "dedups sends only: a message not deleted within its visibility timeout comes back.", (
               _queue("orders.fifo", fifo=True, content_based_deduplication=True,
                      visibility_timeout=20),
               _consumer("worker-1", "orders.fifo", processing_time=4),
               _consumer("worker-2", "orders.fifo", processing_time=4),
               _send("orders.fifo", "alice order {n}", group_id="alice", count=3),
               _send("orders.fifo", "bob order {n}", group_id="bob", count=2),
           )),
    Preset("sqs", "sqs-long-polling", "Long vs short polling",
           "Two queues fed every 5 s. The long poller (WaitTimeSeconds 20) gets each message "
           "the moment it arrives with one request; the short poller asks every second and "
           "mostly gets empty answers (see empty-receive in the log).", (
               _queue("long-polled"), _queue("short-polled"),
               _consumer("long-poller", "long-polled", processing_time=0.5, wait_time=20),
               _consumer("short-poller", "short-polled", processing_time=0.5, wait_time=0),
               ("start_producer", {"name": "feed-long", "queue": "long-polled", "rate": 0.2}),
               ("start_producer", {"name": "feed-short", "queue": "short-polled",
                                   "rate": 0.2}),
           )),
    Preset("sqs", "sns-fan-out", "SNS fan-out with a filter policy",
           "One topic, three queues. billing gets every order as the raw message; audit gets "
           "JSON envelopes; refunds only what its filter policy lets through (kind refund). "
           "Publish with attributes {\"kind\": \"refund\"} and watch the copies.", (
               _queue("billing"), _queue("audit"), _queue("refunds"),
               ("create_topic", {"name": "orders"}),
               ("subscribe", {"topic": "orders", "queue": "billing",
                              "raw_message_delivery": True}),
               ("subscribe", {"topic": "orders", "queue": "audit"}),
               ("subscribe", {"topic": "orders", "queue": "refunds",
                              "raw_message_delivery": True,
                              "filter_policy": {"kind": ["refund"]}}),
               ("publish", {"topic": "orders", "message": "order {n}", "count": 2,
                            "attributes": {"kind": "sale"}}),
               ("publish", {"topic": "orders", "message": "refund 1",
                            "attributes": {"kind": "refund"}}),
           )),
    Preset("sqs", "sqs-lambda-batches", "Lambda batches and partial failures",
           "Two functions on two queues get the same orders in batches of 5; one order is "
           "poison. 'whole-batch' fails the invocation, so the whole batch returns after the "
           "visibility timeout and the good orders run again (duplicates); 'partial' reports "
           "batchItemFailures and only the poison order returns.", (
               _queue("whole-batch", visibility_timeout=10),
               _queue("partial", visibility_timeout=10),
               _send("whole-batch", "order {n}", count=4), _send("whole-batch", "poison"),
               _send("partial", "order {n}", count=4), _send("partial", "poison"),
               ("add_lambda", {"name": "fn-whole", "queue": "whole-batch", "batch_size": 5}),
               ("add_lambda", {"name": "fn-partial", "queue": "partial", "batch_size": 5,
                               "report_batch_item_failures": True}),
           )),
    Preset("sqs", "sqs-outbox", "Outbox vs dual write",
           "Two services place orders into one queue. Crash both between their two writes "
           "(Faults → Crash service), restart them, and compare: the outbox's relay still "
           "publishes the order; the commit-first dual write lost its event.", (
               _queue("orders"),
               ("add_outbox", {"name": "outbox", "mode": "outbox", "queue": "orders",
                               "relay_interval": 5}),
               ("add_outbox", {"name": "dual-write", "mode": "commit-first",
                               "queue": "orders", "step": 5}),
           )),
)

KIT = BrokerKit(broker="sqs", new_lab=Lab, commands=COMMANDS, presets=PRESETS,
                groups=("Messages", "Queues", "SNS", "Consumers", "Outbox", "Faults"))
