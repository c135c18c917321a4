"""Delivery and acknowledgement: from a queue's head to a consumer, and back or out.

A queue with ready messages and consumers with room pushes messages to them, taking turns
("Consumers" guide: round-robin among competing consumers; a consumer at its prefetch limit
is skipped, "Consumer Prefetch"). Deliveries run as soon as the clock runs
(``sim.call_soon``), so ``sim.advance(0)`` delivers.

A delivered copy stays unacked until ``basic.ack`` removes it, or ``basic.nack``/
``basic.reject`` requeue it (back to its original position, ``redelivered=True``) or, with
``requeue=false``, dead-letter or drop it ("Consumer Acknowledgements and Publisher
Confirms"). An unknown delivery tag closes the channel with ``406 PRECONDITION_FAILED -
unknown delivery tag N`` (same guide, "acknowledging on the wrong channel or twice").
Redelivery is immediate: a callback that always requeues (or rejects into a dead-letter loop
back to its own queue) spins forever at one instant, as the real broker would spin; simulated
apps that fail should take processing time (``sim.call_later``). Quorum queues count failed
deliveries (``x-delivery-count``) and dead-letter a message
returned more times than ``x-delivery-limit`` with reason ``delivery_limit``
("Quorum Queues", poison message handling).

TTL ("TTL" guide, "Per-Message TTL and Dead Lettering"): a classic queue removes (or
dead-letters) an expired message only when it reaches the head; a quorum queue does so shortly
after it expires, wherever it is. An unacked message does not expire, a requeued message keeps
its original expiry time, and TTL 0 means "deliver now to a waiting consumer or expire".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .. import events as ev
from .dead_letter import DELIVERY_LIMIT, EXPIRED, REJECTED, dead_lettered_properties, is_cycle
from .errors import PreconditionFailed
from .explain import death_count, delivery_cause, leaving_cause
from .properties import Deliver, GetOk
from .queues import DROP_HEAD, QUORUM, let_go

if TYPE_CHECKING:
    from .channel import Channel, Consumer
    from .message import Message
    from .queues import Queue

BROKER = "rabbitmq"
AUTO_ACK = {"rule": "auto-ack"}
#: seconds between two acknowledgement-timeout checks of a channel
ACK_CHECK_EVERY = 60


class Delivery:
    """Mixin of ``RabbitMQ``: dispatch, basic.get, settle, requeue, expiry, dead-lettering."""

    # -- dispatch ----------------------------------------------------------------------------
    def _kick(self, queue: Queue) -> None:
        if queue.ready and queue.consumers and not queue.dispatching:
            queue.dispatching = True
            self.sim.call_soon(self._dispatch, queue)

    def _dispatch(self, queue: Queue) -> None:
        """Deliver while there are ready messages and consumers with room. Callbacks run
        inside; an ack they send frees room that this same loop uses."""
        try:
            ready = queue.ready
            consumers = queue.consumers
            now = self.sim.now
            while ready and consumers:
                consumer = _next_consumer(queue, consumers)
                if consumer is None:
                    break
                message = ready.popleft()
                queue.bytes -= message.size
                expires = message.expires_at
                if expires is not None and expires < now:
                    self._dead_letter(queue, message, EXPIRED, queue.node, _expired_why(queue))
                    continue
                self._deliver(consumer, message)
        finally:
            queue.dispatching = False
        if self.alarm:  # auto-ack deliveries free memory as they go: it may clear
            self.check_memory()
        if queue.expiry_timer is not None or (queue.ready
                                              and queue.ready[0].expires_at is not None):
            self._arm_expiry(queue)

    def _deliver(self, consumer: Consumer, message: Message) -> None:
        channel = consumer.channel
        channel.next_tag += 1
        tag = channel.next_tag
        queue = message.queue
        if message.delivery_count:
            _count_header(message)
        sim = self.sim
        listening = sim.listening
        if consumer.auto_ack:
            cause = delivery_cause(queue, consumer, message) if listening else None
            let_go(message)
            sim.emit(ev.DELIVERED, BROKER, message.id, queue.node, consumer.node,
                     _delivered_why(queue, consumer, message) if listening else "",
                     message.inspect(delivery_tag=tag, consumer_tag=consumer.tag)
                     if listening else None, cause)
            sim.emit(ev.ACKED, BROKER, message.id, consumer.node, None,
                     "auto-ack: acknowledged as it was sent", None, AUTO_ACK)
        else:
            cause = delivery_cause(queue, consumer, message) if listening else None
            message.consumer = consumer
            message.channel = channel
            message.delivery_tag = tag
            message.delivered_at = sim.now
            channel.unacked[tag] = message
            consumer.unacked += 1
            queue.unacked += 1
            if channel.ack_timer is None:
                self._watch_acks(channel)
            if listening:
                sim.emit(ev.DELIVERED, BROKER, message.id, queue.node, consumer.node,
                         _delivered_why(queue, consumer, message),
                         message.inspect(delivery_tag=tag, consumer_tag=consumer.tag), cause)
            else:
                sim.emit(ev.DELIVERED, BROKER, message.id, queue.node, consumer.node)
        consumer.callback(channel, Deliver(consumer.tag, tag, message.redelivered,
                                           message.exchange, message.routing_key),
                          message.properties, message.body)

    def get(self, channel: Channel, queue_name: str, auto_ack: bool) -> Any:
        """basic.get: the head message, or (None, None, None) when the queue is empty."""
        queue = self._queue(channel, queue_name)
        self._touch(queue)
        self._expire_head(queue)
        if not queue.ready:
            return None, None, None
        if not channel.used_get:
            channel.used_get = True
            self._emit_topology(ev.CONSUMER_ADDED, source=queue.node, target=channel.getter_node,
                                reason=f"channel {channel.channel_number} uses basic.get")
        message = queue.pop()
        if message.delivery_count:
            _count_header(message)
        channel.next_tag += 1
        tag = channel.next_tag
        self.sim.emit(ev.DELIVERED, BROKER, message.id, queue.node, channel.getter_node,
                      f"basic.get from '{queue.name}'" + (" (auto-ack)" if auto_ack else ""),
                      message.inspect(delivery_tag=tag),
                      {"rule": "basic-get", "queue": queue.name,
                       "consumer": f"channel {channel.channel_number}",
                       "redelivered": message.redelivered})
        if auto_ack:
            let_go(message)
            self.sim.emit(ev.ACKED, BROKER, message.id, channel.getter_node, None,
                          "auto-ack: acknowledged as it was sent", None, AUTO_ACK)
        else:
            message.channel = channel
            message.delivery_tag = tag
            message.delivered_at = self.sim.now
            channel.unacked[tag] = message
            queue.unacked += 1
            if channel.ack_timer is None:
                self._watch_acks(channel)
        # rabbit_amqqueue_process drops the expired messages that the fetch brought to the
        # head before it counts what is left for get-ok's message_count (RabbitMQ 3.10).
        self._expire_head(queue)
        return (GetOk(tag, message.redelivered, message.exchange, message.routing_key,
                      len(queue.ready)), message.properties, message.body)

    # -- acknowledgements --------------------------------------------------------------------
    def settle(self, channel: Channel, tag: int, multiple: bool, how: str,
               requeue: bool) -> None:
        """basic.ack / basic.nack / basic.reject of ``tag`` (and every earlier tag when
        ``multiple``; tag 0 with ``multiple`` means all outstanding)."""
        unacked = channel.unacked
        if not multiple:
            message = unacked.pop(tag, None)
            if message is None:
                raise self._fail(channel, PreconditionFailed(f"unknown delivery tag {tag}"))
            consumer = message.consumer
            queue = message.queue
            if how == "ack" and consumer is not None and queue is not None:
                self._ack_fast(channel, consumer, queue, message)
            else:
                self._settle_one(channel, message, how, requeue)
            return
        if tag != 0 and tag not in unacked:
            raise self._fail(channel, PreconditionFailed(f"unknown delivery tag {tag}"))
        for each in [t for t in unacked if tag == 0 or t <= tag]:
            self._settle_one(channel, unacked.pop(each), how, requeue)

    def _ack_fast(self, channel: Channel, consumer: Consumer, queue: Queue,
                  message: Message) -> None:
        """The hot path of a work queue: one consumer's ack of one delivery."""
        consumer.unacked -= 1
        queue.unacked -= 1
        message.consumer = message.channel = None
        let_go(message)
        sim = self.sim
        if sim.listening:
            sim.emit(ev.ACKED, BROKER, message.id, consumer.node, None,
                     f"basic.ack of delivery tag {message.delivery_tag}", None,
                     {"rule": "ack", "tag": message.delivery_tag})
        else:
            sim.emit(ev.ACKED, BROKER, message.id)
        self._room_freed(channel, queue)

    def _settle_one(self, channel: Channel, message: Message, how: str, requeue: bool) -> None:
        holder = _release(channel, message)
        queue = message.queue
        if queue is None:
            return  # its queue was deleted meanwhile: nothing left to settle
        sim = self.sim
        if how == "ack":
            let_go(message)
            sim.emit(ev.ACKED, BROKER, message.id, holder, None,
                     f"basic.ack of delivery tag {message.delivery_tag}", None,
                     {"rule": "ack", "tag": message.delivery_tag})
        elif requeue:
            self._requeue(queue, message, holder,
                          f"basic.{how} with requeue=true")
        else:
            self._dead_letter(queue, message, REJECTED, holder,
                              f"basic.{how} with requeue=false")
        self._room_freed(channel, queue)

    def _room_freed(self, channel: Channel, queue: Queue) -> None:
        """A settled delivery frees prefetch room: dispatch again where it may help."""
        if queue.ready and queue.consumers and not queue.dispatching:
            queue.dispatching = True
            self.sim.call_soon(self._dispatch, queue)
        if channel.global_prefetch:
            for other in channel.consumers.values():
                self._kick(other.queue)

    def recover(self, channel: Channel, why: str = "basic.recover") -> None:
        """Requeue every unacked delivery of ``channel`` (channel close, basic.recover)."""
        for tag in list(channel.unacked):
            message = channel.unacked.pop(tag)
            holder = _release(channel, message)
            queue = message.queue
            if queue is None:
                continue
            self._requeue(queue, message, holder, why)
            self._kick(queue)

    def _requeue(self, queue: Queue, message: Message, holder: str, why: str) -> None:
        message.redelivered = True
        if queue.delivery_limit is not None:
            message.delivery_count += 1
            if message.delivery_count > queue.delivery_limit:
                self._dead_letter(queue, message, DELIVERY_LIMIT, holder,
                                  f"{why}, but it has now failed {message.delivery_count} "
                                  f"deliveries (x-delivery-limit={queue.delivery_limit})")
                return
        queue.put_back(message)
        back = queue.type == QUORUM and queue.delivery_limit is None
        place = "the back of" if back else "its original place in"
        sim = self.sim
        if sim.listening:
            at = "back" if back else "head" if queue.ready[0] is message else "original"
            sim.emit(ev.REQUEUED, BROKER, message.id, holder, queue.node,
                     f"{why} → back to {place} '{queue.name}', redelivered=true",
                     message.inspect(), {"rule": "requeue", "how": why, "queue": queue.name,
                                         "place": at})
        else:
            sim.emit(ev.REQUEUED, BROKER, message.id)
        if queue.limited and queue.overflow == DROP_HEAD:
            # rabbit_amqqueue_process:requeue_and_run applies drop-head after a requeue too
            # (reject-publish modes let a requeue exceed the limit).
            self._drop_head(queue)
        self._arm_expiry(queue)

    # -- acknowledgement timeout -------------------------------------------------------------
    def _watch_acks(self, channel: Channel) -> None:
        """Check the channel's oldest unacked delivery when its timeout may have run out.

        "Consumers" guide, delivery acknowledgement timeout: a delivery unacked for longer
        than the timeout (30 minutes by default, x-consumer-timeout per queue) closes its
        channel with PRECONDITION_FAILED and requeues every outstanding delivery. The check
        runs once a minute, so the channel closes at the first whole minute past the
        deadline; RabbitMQ looks at the oldest delivery only (``rabbit_channel``).
        """
        oldest = _oldest_unacked(channel)
        if oldest is None or not channel.is_open:
            channel.ack_timer = None
            return
        deadline = oldest.delivered_at + oldest.queue.consumer_timeout / 1000
        check = math.ceil(deadline / ACK_CHECK_EVERY) * ACK_CHECK_EVERY
        channel.ack_timer = self.sim.call_at(check, self._check_acks, channel)

    def _check_acks(self, channel: Channel) -> None:
        channel.ack_timer = None
        oldest = _oldest_unacked(channel)
        if oldest is None or not channel.is_open:
            return
        timeout = oldest.queue.consumer_timeout
        if self.sim.now >= oldest.delivered_at + timeout / 1000:
            self.close_channel(channel, PreconditionFailed(
                f"delivery acknowledgement on channel {channel.channel_number} timed out. "
                f"Timeout value used: {timeout} ms. This timeout value can be configured, "
                "see consumers doc guide to learn more").args[0], error=406)
        else:
            self._watch_acks(channel)

    # -- expiry ------------------------------------------------------------------------------
    def _arm_expiry(self, queue: Queue) -> None:
        """Keep one timer per queue, due when its next message may expire."""
        due = _next_expiry(queue)
        timer = queue.expiry_timer
        if timer is not None:
            if timer.at == due:
                return
            timer.cancel()
            queue.expiry_timer = None
        if due is not None:
            queue.expiry_timer = self.sim.call_at(due, self._on_expiry_timer, queue)

    def _on_expiry_timer(self, queue: Queue) -> None:
        queue.expiry_timer = None
        if self._queues.get(queue.name) is queue:
            self._expire_head(queue)

    def _expire_head(self, queue: Queue) -> None:
        """Remove the messages whose TTL ran out: from the head only for a classic queue,
        anywhere for a quorum queue ("TTL" guide, per-message TTL and dead lettering)."""
        now = self.sim.now
        ready = queue.ready
        if queue.type == QUORUM:
            for message in [m for m in ready if m.expires_at is not None and m.expires_at <= now]:
                ready.remove(message)
                queue.bytes -= message.size
                self._dead_letter(queue, message, EXPIRED, queue.node, _expired_why(queue))
        while ready and ready[0].expires_at is not None and ready[0].expires_at <= now:
            self._dead_letter(queue, queue.pop(), EXPIRED, queue.node, _expired_why(queue))
        self._arm_expiry(queue)
        self.check_memory()

    # -- dead-lettering ----------------------------------------------------------------------
    def _dead_letter(self, queue: Queue, message: Message, reason: str, source: str,
                     why: str) -> None:
        """Send a copy that leaves ``queue`` for ``reason`` to the queue's dead-letter
        exchange, or discard it when there is none ("Dead Letter Exchanges")."""
        let_go(message)
        dlx_name = queue.dead_letter_exchange
        sim = self.sim
        leaving = leaving_cause(queue, message, reason, why) if sim.listening else None
        if dlx_name is None:
            kind = ev.EXPIRED if reason == EXPIRED else ev.DROPPED
            sim.emit(kind, BROKER, message.id, source, None,
                     f"{why}; '{queue.name}' has no dead-letter exchange → discarded", None,
                     leaving)
            return
        dlx = self._exchanges.get(dlx_name)
        if dlx is not None and not dlx.used:
            self._show_builtin(dlx)
        key = queue.dead_letter_routing_key
        if key is None:
            key = message.routing_key
        properties = message.properties
        if queue.type == QUORUM and "x-delivery-count" in (properties.headers or {}):
            # the quorum queue's count is written on each delivery, not kept in the message:
            # a dead-lettered copy leaves without it (seen on RabbitMQ 3.10)
            properties = properties.copy(headers={
                k: v for k, v in properties.headers.items() if k != "x-delivery-count"})
        message.rewrite(dead_lettered_properties(
            properties, queue.name, reason, message.exchange, [message.routing_key],
            int(sim.now)))
        sim.emit(ev.DEAD_LETTERED, BROKER, message.id, source, None if dlx is None else dlx.node,
                 f"{why} → dead-letter exchange {dlx_name or '(default)'}",
                 message.inspect(reason=reason),
                 {"rule": "dead-letter", "reason": reason, "dlx": dlx_name,
                  "count": death_count(message), "because": leaving} if leaving else None)
        if dlx is None:
            sim.emit(ev.DROPPED, BROKER, message.id, source, None,
                     f"dead-letter exchange '{dlx_name}' does not exist → discarded", None,
                     {"rule": "dead-letter-dropped", "dlx": dlx_name, "why": "missing"})
            return
        message.rewrite(message.properties, dlx_name, key)
        message.redelivered = False
        message.delivery_count = 0
        self._route_dead_letter(dlx, message, reason)

    def _route_dead_letter(self, dlx: Any, message: Message, reason: str) -> None:
        routes = self._route(dlx, message.routing_key, message.properties.headers, message.id)
        kept = [(q, via) for q, via in routes
                if not is_cycle(q.name, reason, message.properties.headers)]
        if not kept:
            why = ("it would loop back to a queue it already died in, with no rejection in "
                   "between (dead-letter cycle)" if routes else
                   f"no queue is bound to it for key '{message.routing_key}'")
            self.sim.emit(ev.DROPPED, BROKER, message.id, dlx.node, None,
                          f"dead-letter exchange {dlx.name or '(default)'}: {why} → discarded",
                          None, {"rule": "dead-letter-dropped", "dlx": dlx.name,
                                 "why": "cycle" if routes else "no-binding",
                                 "routing_key": message.routing_key})
            return
        self._enqueue_all(message, kept)


def _next_consumer(queue: Queue, consumers: list[Consumer]) -> Consumer | None:
    """The next consumer with room, in turn after the one served last."""
    if queue.single_active:  # only the first registered consumer, even when it is busy
        first = consumers[0]
        return first if first.has_room() else None
    count = len(consumers)
    start = queue.next_consumer
    if queue.ranked_consumers:
        return _next_by_priority(queue, consumers)
    if start < count:  # fast path: the one whose turn it is has room
        consumer = consumers[start]
        if (consumer.prefetch == 0 or consumer.unacked < consumer.prefetch) and \
                not consumer.channel.global_prefetch:
            queue.next_consumer = start + 1 if start + 1 < count else 0
            return consumer
    for step in range(count):
        index = (start + step) % count
        consumer = consumers[index]
        if consumer.has_room():
            queue.next_consumer = (index + 1) % count
            return consumer
    return None


def _next_by_priority(queue: Queue, consumers: list[Consumer]) -> Consumer | None:
    """"Consumer Priorities": the highest-priority consumers with room take turns; lower ones
    get messages only while every higher one is blocked by its prefetch."""
    count = len(consumers)
    start = queue.next_consumer % count
    best, best_index = None, 0
    for step in range(count):
        index = (start + step) % count
        consumer = consumers[index]
        if consumer.has_room() and (best is None or consumer.priority > best.priority):
            best, best_index = consumer, index
    if best is not None:
        queue.next_consumer = (best_index + 1) % count
    return best


def _release(channel: Channel, message: Message) -> str:
    """Undo the bookkeeping of an unacked copy; return the node that held it."""
    consumer = message.consumer
    if consumer is not None:
        consumer.unacked -= 1
    message.consumer = None
    message.channel = None
    if message.queue is not None:
        message.queue.unacked -= 1
    return channel.getter_node if consumer is None else consumer.node


def _oldest_unacked(channel: Channel) -> Message | None:
    """The earliest delivery still outstanding (its queue not deleted meanwhile)."""
    return next((m for m in channel.unacked.values() if m.queue is not None), None)


def _next_expiry(queue: Queue) -> float | None:
    """Classic queues look at the head only; quorum queues at every ready message."""
    if queue.type == QUORUM:
        return min((m.expires_at for m in queue.ready if m.expires_at is not None), default=None)
    return queue.ready[0].expires_at if queue.ready else None


def _count_header(message: Message) -> None:
    """"Quorum Queues": a redelivered message carries x-delivery-count (failed deliveries).
    The model follows the 4.x guide and writes it from the first return on; RabbitMQ 3.10
    also writes 0 on a first delivery (tests/conformance/rabbitmq, quorum-* cases)."""
    headers = dict(message.properties.headers or {})
    headers["x-delivery-count"] = message.delivery_count
    message.rewrite(message.properties.copy(headers=headers))


def _expired_why(queue: Queue) -> str:
    where = "in" if queue.type == QUORUM else "at the head of"
    return f"its TTL ran out {where} '{queue.name}'"


def _delivered_why(queue: Queue, consumer: Consumer, message: Message) -> str:
    again = " again (redelivered=true)" if message.redelivered else ""
    return f"'{queue.name}' delivered it to {consumer.tag}{again}"
