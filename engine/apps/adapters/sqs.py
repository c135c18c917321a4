"""The apps on Amazon SQS, through boto3's calls (``sim.sqs``).

* Consuming is a receive loop: ``receive_message`` with ``WaitTimeSeconds`` (long polling;
  in virtual time the model answers the request as soon as a message is receivable or the
  wait ends, see ``engine.sqs.polling``), at most ``MaxNumberOfMessages`` at a time. Every
  received message goes invisible for the queue's visibility timeout and comes with a fresh
  receipt handle and its ``ApproximateReceiveCount``, which is the app's attempt number.
* Settling is ``delete_message``. At-most-once deletes on receipt, before the work.
* Failures: SQS has no nack. ``requeue`` does nothing: the message reappears when its
  visibility timeout ends. ``retry`` is ``change_message_visibility`` to the backoff (from the
  moment of the call; whole seconds). The DLQ step is SQS's own: once a message has been
  received ``maxReceiveCount`` times the redrive policy moves it on the next receive ("Using
  dead-letter queues in Amazon SQS"); giving up sets the visibility to 0 so that happens now.
* A crash just stops the loop: whatever it held stays in flight until the visibility timeout.
* Producing is ``send_message`` / ``send_message_batch`` (10 entries at most). On a FIFO queue
  the message key is the ``MessageGroupId`` and the idempotency key the
  ``MessageDeduplicationId`` unless the scenario gives its own. ``SnsProducer`` publishes to
  an SNS topic instead (``sim.sns.publish``, one call per message), with the same attributes
  and, on a FIFO topic, the same group and deduplication ids.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from engine.errors import EngineError
from engine.topology import node_id

from .. import kinds
from ..consumer import RECONNECT_EVERY
from .base import (
    Delivery,
    Outgoing,
    header_int,
    report_receive_failure,
    report_refusal,
)

if TYPE_CHECKING:
    from engine.simulation import Simulation

    from ..consumer import Consumer

BROKER = "sqs"
#: SendMessageBatch takes at most 10 entries ("Amazon SQS quotas", batch requests).
MAX_BATCH = 10


def queue_url(sim: Simulation, name: str) -> str:
    return sim.sqs.get_queue_url(QueueName=name)["QueueUrl"]


def queue_depth(sim: Simulation, name: str) -> int:
    """ApproximateNumberOfMessages: visible messages waiting (in flight ones not counted)."""
    try:
        answer = sim.sqs.get_queue_attributes(QueueUrl=queue_url(sim, name),
                                              AttributeNames=["ApproximateNumberOfMessages"])
    except EngineError:
        return 0
    return int(answer["Attributes"]["ApproximateNumberOfMessages"])


def _string_attribute(value: object) -> dict[str, str]:
    return {"DataType": "String", "StringValue": str(value)}


class SqsConsumer:
    broker = BROKER

    def __init__(self, sim: Simulation, name: str, queue: str, *, batch: int = 1,
                 wait: int = 20, poll_interval: float = 1.0) -> None:
        self.sim = sim
        self.name = name
        self.queue = queue
        self.batch = batch
        self.wait = wait
        self.poll_interval = poll_interval
        self.node = node_id(BROKER, "consumer", name)
        self.app: Consumer | None = None
        self.early_ack = False
        #: bumped by each open and crash: answers to an older poll are not for this life
        self._life = 0
        self._polling = False

    def open(self, app: Consumer, early_ack: bool) -> None:
        self.app = app
        self.early_ack = early_ack
        self._life += 1
        self._polling = False
        self.want_more()

    def want_more(self) -> None:
        if self._polling or self.app is None or not self.app.running:
            return
        self._polling = True
        life = self._life
        try:
            self.sim.sqs.receive_message_async(
                lambda response: self._answered(life, response),
                queue_url(self.sim, self.queue),
                MaxNumberOfMessages=self.batch, WaitTimeSeconds=self.wait,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
                MessageAttributeNames=["All"], consumer=self.name)
        except EngineError as error:
            # QueueDoesNotExist (the queue was deleted under us): boto3 raises it; the loop
            # logs it and polls again later, so a re-created queue is picked up. _polling
            # stays set until then: one loop, never one more per finished message.
            report_receive_failure(self.sim, BROKER, self.node, self.name, error,
                                   RECONNECT_EVERY)
            self.sim.call_later(RECONNECT_EVERY, self._retry, life)

    def _retry(self, life: int) -> None:
        if life == self._life:
            self._polling = False
            self.want_more()

    def _answered(self, life: int, response: dict[str, Any]) -> None:
        if life != self._life:
            return  # the app died while this receive waited: the messages stay in flight
        self._polling = False
        messages = response.get("Messages", [])
        if not messages:
            # A long poll that ended empty asks again at once; a short poll waits a bit.
            delay = 0.0 if self.wait else self.poll_interval
            self.sim.call_later(delay, self._again, life)
            return
        assert self.app is not None
        for message in messages:
            if self.early_ack:
                self._delete(message["ReceiptHandle"])
            self.app.receive(self._delivery(message))

    def _again(self, life: int) -> None:
        if life == self._life:
            self.want_more()

    def _delivery(self, message: dict[str, Any]) -> Delivery:
        attributes = message.get("MessageAttributes", {})

        def attribute(name: str) -> str | None:
            # SQS checked the types at send; a Binary attribute has no StringValue.
            value = attributes.get(name)
            return value.get("StringValue") if value is not None else None

        seq = attribute(kinds.SEQ_HEADER)
        return Delivery(
            attribute(kinds.KEY_HEADER) or message["MessageId"], message["Body"],
            int(message["Attributes"]["ApproximateReceiveCount"]), self.queue,
            handle=message["ReceiptHandle"], ordering_key=attribute("ordering-key"),
            seq=header_int(seq, None))

    def _delete(self, handle: str) -> None:
        try:
            self.sim.sqs.delete_message(QueueUrl=queue_url(self.sim, self.queue),
                                        ReceiptHandle=handle)
        except EngineError as error:
            report_refusal(self.sim, BROKER, self.node, self.name, "delete_message", error)

    def _set_visibility(self, handle: str, seconds: int) -> None:
        try:
            self.sim.sqs.change_message_visibility(
                QueueUrl=queue_url(self.sim, self.queue), ReceiptHandle=handle,
                VisibilityTimeout=seconds)
        except EngineError as error:
            report_refusal(self.sim, BROKER, self.node, self.name, "change_message_visibility",
                           error)

    def ack(self, delivery: Delivery) -> None:
        self._delete(delivery.handle)

    def requeue(self, delivery: Delivery) -> None:
        """Nothing to do: the visibility timeout will bring the message back."""

    def retry(self, delivery: Delivery, delay: float) -> None:
        self._set_visibility(delivery.handle, math.ceil(delay))

    def dead_letter(self, delivery: Delivery) -> None:
        self._set_visibility(delivery.handle, 0)

    def held(self) -> list[Delivery]:
        """Nothing: every message received is handed to the app at once."""
        return []

    def committed(self, deliveries: list[Delivery]) -> list[Delivery]:
        """Nothing: a message is settled only by the app's ack or delete."""
        return []

    def crash(self) -> None:
        self._life += 1
        self._polling = False

    def close(self) -> None:
        self.crash()

    def depth(self, name: str) -> int:
        return queue_depth(self.sim, name)


class SqsProducer:
    broker = BROKER

    def __init__(self, sim: Simulation, name: str, queue: str) -> None:
        self.sim = sim
        self.name = name
        self.queue = queue
        self.fifo = queue.endswith(".fifo")
        self.node = node_id(BROKER, "producer", "producers")

    def publish(self, messages: list[Outgoing]) -> list[str | None]:
        if len(messages) == 1:
            return [self._send_one(messages[0])]
        refusals: list[str | None] = []
        for start in range(0, len(messages), MAX_BATCH):
            refusals += self._send_batch(messages[start:start + MAX_BATCH])
        return refusals

    def _parameters(self, message: Outgoing) -> dict[str, Any]:
        options = message.options
        attributes = {kinds.KEY_HEADER: _string_attribute(message.key)}
        if message.ordering_key is not None:
            attributes["ordering-key"] = _string_attribute(message.ordering_key)
            attributes[kinds.SEQ_HEADER] = {"DataType": "Number",
                                            "StringValue": str(message.seq)}
        parameters: dict[str, Any] = {"MessageBody": message.body,
                                      "MessageAttributes": attributes}
        if "delay" in options:
            parameters["DelaySeconds"] = options["delay"]
        if self.fifo:
            parameters["MessageGroupId"] = options.get("group", message.ordering_key or "all")
            parameters["MessageDeduplicationId"] = options.get("dedup_id", message.key)
        elif "group" in options:
            parameters["MessageGroupId"] = options["group"]
        return parameters

    def _send_one(self, message: Outgoing) -> str | None:
        return self._call(lambda: self.sim.sqs.send_message(
            QueueUrl=queue_url(self.sim, self.queue), **self._parameters(message)))

    @staticmethod
    def _call(send: Any) -> str | None:
        try:
            send()
        except EngineError as error:
            return f"[{error.code}] {error}"
        return None

    def _send_batch(self, messages: list[Outgoing]) -> list[str | None]:
        entries = [{"Id": str(i), **self._parameters(m)} for i, m in enumerate(messages)]
        try:
            answer = self.sim.sqs.send_message_batch(QueueUrl=queue_url(self.sim, self.queue),
                                                     Entries=entries)
        except EngineError as error:
            return [f"[{error.code}] {error}"] * len(messages)
        refusals: list[str | None] = [None] * len(messages)
        for failed in answer.get("Failed", []):
            refusals[int(failed["Id"])] = f"[{failed['Code']}] {failed.get('Message', '')}"
        return refusals

    def depth(self, name: str) -> int:
        return queue_depth(self.sim, name)


class SnsProducer(SqsProducer):
    """Publishes to SNS topic ``topic`` (``sim.sns``) with the parameters a queue would get."""

    def __init__(self, sim: Simulation, name: str, topic: str) -> None:
        super().__init__(sim, name, topic)
        self.node = node_id(BROKER, "producer", "producers")

    def publish(self, messages: list[Outgoing]) -> list[str | None]:
        from engine.sqs.sns import TOPIC_ARN_PREFIX

        arn = TOPIC_ARN_PREFIX + self.queue
        refusals = []
        for message in messages:
            parameters = self._parameters(message)
            parameters.pop("DelaySeconds", None)  # SNS has no per-message delay
            body = parameters.pop("MessageBody")
            refusals.append(self._call(lambda: self.sim.sns.publish(
                TopicArn=arn, Message=body, **parameters)))  # noqa: B023 (called at once)
        return refusals

    def depth(self, name: str) -> int:
        return queue_depth(self.sim, name)
