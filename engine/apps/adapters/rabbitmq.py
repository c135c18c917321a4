"""The apps on RabbitMQ, through the pika-shaped channel API (``sim.rabbitmq.channel()``).

* Consuming: ``basic_qos(prefetch)`` then ``basic_consume`` with the app's name as consumer
  tag (so the diagram's consumer node is the app). At-most-once is ``auto_ack=True``: the
  broker forgets the message as it sends it, and prefetch no longer applies ("Consumer
  Acknowledgements and Publisher Confirms", automatic acknowledgement mode).
* Failures: ``requeue`` is ``basic_nack(requeue=True)`` (straight back, redelivered flag set);
  ``dead-letter`` is ``basic_reject(requeue=False)``, which sends the message to the queue's
  ``x-dead-letter-exchange`` or, without one, drops it ("Dead Letter Exchanges").
  ``retry`` uses delay queues: the message is republished to ``<queue>.retry.<n>`` with a
  per-message ``expiration`` (the backoff), the original acked; that queue has no consumers and
  dead-letters expired messages back to ``<queue>`` through the default exchange. Per-message
  TTL expires only at the head of a queue ("Time-To-Live and Expiration": expired messages are
  removed when they reach the head), so each attempt level gets its own queue to keep
  similar delays together.
* A crash drops the client's connection (``sim.rabbitmq.crash_connection``): its unacked
  messages go back to the queue, redelivered.
* A subscriber (``subscribe``: an exchange and a binding key) declares its own exclusive,
  server-named queue each time it connects (``queue_declare("", exclusive=True)`` then
  ``queue_bind``), as pub/sub clients do. RabbitMQ deletes an exclusive queue when its
  declaring connection closes ("Queues" guide, "Exclusive Queues" and "Server-named
  Queues"): whatever is published while the subscriber is away reaches no queue of its.
* Publishing uses publisher confirms: a ``reject-publish`` queue that is full nacks, and pika
  raises ``NackError`` ("Queue Length Limit", overflow behaviour).
* The producer watches its connection with pika's ``add_on_connection_blocked_callback`` /
  ``add_on_connection_unblocked_callback`` and pauses while the memory alarm blocks it
  ("Blocked Connection Notifications").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.errors import EngineError
from engine.rabbitmq import BasicProperties
from engine.rabbitmq.errors import NackError, UnroutableError
from engine.topology import node_id

from .. import kinds
from ..consumer import RECONNECT_EVERY
from ..retry_names import retry_queue
from .base import (
    Delivery,
    Outgoing,
    header_int,
    header_text,
    report_receive_failure,
    report_refusal,
)

if TYPE_CHECKING:
    from engine.rabbitmq.channel import Channel
    from engine.simulation import Simulation

    from ..consumer import Consumer

BROKER = "rabbitmq"
#: Where RabbitMQ's quorum queues count failed deliveries ("Quorum Queues", poison message
#: handling: the x-delivery-count header).
DELIVERY_COUNT = "x-delivery-count"


def queue_depth(sim: Simulation, name: str) -> int:
    """Ready messages in queue ``name`` (0 when it does not exist, e.g. before declare)."""
    queue = sim.rabbitmq.queues.get(name)
    return 0 if queue is None else queue["ready"]


class RabbitConsumer:
    broker = BROKER

    def __init__(self, sim: Simulation, name: str, queue: str, *, prefetch: int | None = None,
                 retry_levels: int = 0, reply: bool = False,
                 subscribe: dict[str, str] | None = None) -> None:
        self.sim = sim
        self.name = name
        self.queue = queue
        #: a subscriber's exchange and binding key: its queue is exclusive and server-named
        self.subscribe = subscribe
        self.prefetch = prefetch
        self.retry_levels = retry_levels
        self.reply = reply
        self.node = node_id(BROKER, "consumer", name)
        self.channel: Channel | None = None
        self.app: Consumer | None = None
        self.early_ack = False

    def open(self, app: Consumer, early_ack: bool) -> None:
        self.app = app
        self.early_ack = early_ack
        channel = self.channel = self.sim.rabbitmq.channel()
        channel.add_on_cancel_callback(lambda method: self._cancelled(channel, method))
        if self.subscribe is not None:
            self.queue = channel.queue_declare("", exclusive=True)
            channel.queue_bind(self.queue, self.subscribe["exchange"],
                               self.subscribe.get("routing_key", ""))
        for attempt in range(1, self.retry_levels + 1):
            channel.queue_declare(retry_queue(self.queue, attempt), arguments={
                "x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.queue})
        if self.prefetch is not None:
            channel.basic_qos(prefetch_count=self.prefetch)
        channel.basic_consume(self.queue, self._on_message, auto_ack=early_ack,
                              consumer_tag=self.name)

    def _cancelled(self, channel: Channel, method: Any) -> None:
        """basic.cancel: the queue was deleted under us. The app logs it and subscribes again
        every RECONNECT_EVERY seconds, so a re-declared queue is picked up."""
        if channel is not self.channel:
            return  # a channel the app already left
        self.sim.emit(kinds.CONNECT_FAILED, BROKER, source=self.node,
                      reason=f"{self.name}: the broker cancelled consumer {method.consumer_tag}"
                      f" (basic.cancel: queue '{self.queue}' was deleted); subscribing again"
                      f" in {RECONNECT_EVERY:g}s",
                      details={"consumer": self.name, "code": "basic.cancel"})
        self.sim.call_later(RECONNECT_EVERY, self._resubscribe, channel)

    def _resubscribe(self, channel: Channel) -> None:
        if channel is not self.channel or self.app is None or not self.app.running:
            return  # crashed, stopped or reopened meanwhile
        if channel.is_open:
            channel.close()
        try:
            self.open(self.app, self.early_ack)
        except EngineError as error:  # still no queue: NOT_FOUND closed the new channel
            report_receive_failure(self.sim, BROKER, self.node, self.name, error,
                                   RECONNECT_EVERY)
            self.sim.call_later(RECONNECT_EVERY, self._resubscribe, self.channel)

    def _on_message(self, channel: Channel, method: Any, properties: BasicProperties,
                    body: bytes | str) -> None:
        headers = properties.headers or {}
        text = body if isinstance(body, str) else body.decode("utf-8", "replace")
        attempt = header_int(headers.get(kinds.ATTEMPT_HEADER), 1) or 1
        count = header_int(headers.get(DELIVERY_COUNT), None)
        if count is not None:
            attempt = max(attempt, count + 1)
        key = properties.message_id or f"{self.queue}#{method.delivery_tag}"
        assert self.app is not None
        self.app.receive(Delivery(
            key, text, attempt, self.queue, handle=(channel, method.delivery_tag, properties),
            ordering_key=header_text(headers.get("ordering-key")),
            seq=header_int(headers.get(kinds.SEQ_HEADER), None),
            headers=dict(headers)))

    def want_more(self) -> None:
        """Push-based: the broker sends as prefetch allows."""

    def ack(self, delivery: Delivery) -> None:
        channel, tag, properties = delivery.handle
        if self.reply and properties.reply_to:
            # The RPC server answers on the caller's queue, then acks the request
            # (RabbitMQ tutorial six, "Remote procedure call").
            self._settle("basic_publish", channel.basic_publish, "", properties.reply_to,
                         f"reply to {delivery.body}",
                         BasicProperties(correlation_id=properties.correlation_id,
                                         message_id=delivery.key))
        self._settle("basic_ack", channel.basic_ack, tag)

    def requeue(self, delivery: Delivery) -> None:
        channel, tag, _ = delivery.handle
        self._settle("basic_nack", channel.basic_nack, tag, requeue=True)

    def dead_letter(self, delivery: Delivery) -> None:
        channel, tag, _ = delivery.handle
        self._settle("basic_reject", channel.basic_reject, tag, requeue=False)

    def retry(self, delivery: Delivery, delay: float) -> None:
        channel, tag, properties = delivery.handle
        level = min(delivery.attempt, self.retry_levels)
        headers = {**(properties.headers or {}), kinds.ATTEMPT_HEADER: delivery.attempt + 1}
        # Publish the copy first, then ack: a crash in between duplicates, never loses.
        if self._settle("basic_publish", channel.basic_publish, "",
                        retry_queue(self.queue, level), delivery.body,
                        properties.copy(headers=headers,
                                        expiration=str(max(0, round(delay * 1000))))):
            self._settle("basic_ack", channel.basic_ack, tag)

    def _settle(self, name: str, call: Any, *args: Any, **kwargs: Any) -> bool:
        """Run a channel call; if RabbitMQ refuses it (the channel closed under us), report
        it as the client library would raise it, and carry on: the broker redelivers."""
        try:
            call(*args, **kwargs)
        except EngineError as error:
            report_refusal(self.sim, BROKER, self.node, self.name, name, error)
            return False
        return True

    def held(self) -> list[Delivery]:
        """Nothing: every message received is handed to the app at once."""
        return []

    def committed(self, deliveries: list[Delivery]) -> list[Delivery]:
        """Nothing: a message is settled only by the app's ack or delete."""
        return []

    def crash(self) -> None:
        if self.channel is not None and self.channel.is_open:
            self.sim.rabbitmq.crash_connection(self.name)
        self.channel = None

    def close(self) -> None:
        if self.channel is not None and self.channel.is_open:
            self.channel.close()
        self.channel = None

    def depth(self, name: str) -> int:
        return queue_depth(self.sim, name)


class RabbitProducer:
    broker = BROKER

    def __init__(self, sim: Simulation, name: str, exchange: str = "",
                 routing_key: str = "{key}") -> None:
        self.sim = sim
        self.name = name
        self.exchange = exchange
        self.routing_key = routing_key
        self._channel: Channel | None = None
        #: publishes the broker took in and refused (nacked); each also shows as a broker
        #: ``dropped`` event, which is a refusal the producer knows of, not a silent loss
        self.nacked = 0
        self._flow: tuple[Any, Any] | None = None

    def watch_flow(self, on_blocked: Any, on_unblocked: Any) -> None:
        """``on_blocked(reason)`` / ``on_unblocked()`` when the broker (un)blocks us."""
        self._flow = (on_blocked, on_unblocked)

    @property
    def channel(self) -> Channel:
        if self._channel is None or not self._channel.is_open:
            self._channel = self.sim.rabbitmq.channel()
            self._channel.client_name = self.name  # drawn under the app's own name
            self._channel.confirm_delivery()
            if self._flow is not None:
                on_blocked, on_unblocked = self._flow
                connection = self._channel.connection
                connection.add_on_connection_blocked_callback(
                    lambda _connection, reason: on_blocked(reason))
                connection.add_on_connection_unblocked_callback(
                    lambda _connection: on_unblocked())
        return self._channel

    @property
    def node(self) -> str:
        return self.channel.node

    def publish(self, messages: list[Outgoing]) -> list[str | None]:
        return [self._publish_one(message) for message in messages]

    def _publish_one(self, message: Outgoing) -> str | None:
        options = message.options
        headers: dict[str, Any] = {}
        if message.ordering_key is not None:
            headers["ordering-key"] = message.ordering_key
            headers[kinds.SEQ_HEADER] = message.seq
        properties = BasicProperties(
            message_id=message.key, headers=headers or None,
            priority=options.get("priority"),
            delivery_mode=2 if options.get("persistent") else None,
            expiration=str(options["expiration"]) if "expiration" in options else None,
            reply_to=options.get("reply_to"),
            correlation_id=message.key if "reply_to" in options else None)
        routing_key = self.routing_key.format(key=message.ordering_key or "")
        try:
            self.channel.basic_publish(self.exchange, routing_key, message.body, properties)
        except NackError as error:
            self.nacked += 1
            return f"broker refused the publish: {error}"
        except UnroutableError as error:
            return f"broker returned the publish: {error}"
        except EngineError as error:
            # The channel closed (e.g. the exchange was deleted); the next publish reopens.
            return f"publish failed: {error}"
        return None

    def depth(self, name: str) -> int:
        return queue_depth(self.sim, name)
