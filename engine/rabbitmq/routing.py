"""Publishing and routing: from ``basic.publish`` to copies sitting in queues.

A publish goes to one exchange, which picks destinations by its bindings (``exchanges.py``);
a destination that is an exchange routes further (exchange-to-exchange bindings, each exchange
visited once). Every matched queue gets its own copy, once even if several bindings matched.
A message no queue takes is unroutable: an exchange's ``alternate-exchange`` gets it if set
("Alternate Exchanges"), else it is returned to the publisher when ``mandatory`` (basic.return
312 NO_ROUTE) or dropped ("Publishers" guide, unroutable messages).

Entering a queue applies its limits: with ``x-max-length``/``x-max-length-bytes`` full,
``drop-head`` (the default) pushes the oldest ready message out (dead-lettered ``maxlen``),
``reject-publish`` refuses the new one (nacked under confirms) and ``reject-publish-dlx`` also
dead-letters it ("Queue Length Limit"). TTL: a copy's expiry is the lower of the queue's
``x-message-ttl`` and the message's ``expiration`` ("TTL" guide).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..limits import full
from .arguments import expiration_error
from .dead_letter import MAXLEN
from .errors import AccessRefused, NackError, NotFound, PreconditionFailed, UnroutableError
from .exchanges import pairs_text
from .explain import enqueue_cause, forward_cause, leaving_cause, unroutable_cause
from .message import Message
from .properties import BasicProperties, Return
from .queues import DROP_HEAD, REJECT_PUBLISH_DLX, Queue

if TYPE_CHECKING:
    from .channel import Channel
    from .exchanges import Exchange

BROKER = "rabbitmq"
#: AMQP 0-9-1 reply code of basic.return for an unroutable mandatory message.
NO_ROUTE = 312

Routes = list[tuple[Queue, "Exchange"]]


class Routing:
    """Mixin of ``RabbitMQ``: publish, route, enqueue, confirm."""

    def publish(self, channel: Channel, exchange_name: str, routing_key: str,
                body: bytes | str, properties: BasicProperties, mandatory: bool,
                size: int, message_id: str | None = None) -> str:
        """Route one publish; ``message_id`` is given to a publish held while its connection
        was blocked (``alarms.py``)."""
        exchange = self._exchanges.get(exchange_name)
        if exchange is None:
            raise self._fail(channel, NotFound(f"no exchange '{exchange_name}' in vhost '/'"))
        if exchange.internal:
            # "Exchanges" guide: an internal exchange only takes exchange-to-exchange traffic.
            raise self._fail(channel, AccessRefused(
                f"cannot publish to internal exchange '{exchange_name}' in vhost '/'"))
        expiration = properties.expiration
        if expiration is not None and not expiration.isdigit():
            # "TTL" guide: the broker only accepts the string form of a whole number of ms.
            error = expiration_error(expiration)
            if error is not None:
                raise self._fail(channel, PreconditionFailed(
                    f"invalid expiration '{expiration}': {error}"))
        mode = properties.delivery_mode
        if mode is not None and mode not in (1, 2):  # rabbit_basic:message/3
            raise self._fail(channel, PreconditionFailed(
                f"invalid message: {{delivery_mode_unknown,{mode}}}"))
        sim = self.sim
        if exchange_name not in channel.published_to:
            self._first_publish(channel, exchange)
        message = Message(message_id or sim.new_id("m"), body, properties, exchange_name,
                          routing_key, size)
        if sim.listening:
            sim.emit(ev.PUBLISHED, BROKER, message.id, channel.node, exchange.node,
                     f"published to {_exchange_label(exchange_name)} with routing key "
                     f"'{routing_key}'", message.inspect(mandatory=mandatory),
                     {"rule": "publish", "exchange": exchange_name, "routing_key": routing_key,
                      "mandatory": mandatory})
        else:
            sim.emit(ev.PUBLISHED, BROKER, message.id, channel.node, exchange.node)
        routes = self._route(exchange, routing_key, properties.headers, message.id)
        accepted = returned = True
        if len(routes) == 1:  # the common case, without the copy bookkeeping
            queue, via = routes[0]
            accepted = self._enqueue(queue, message, via)
            returned = False
        elif routes:
            accepted = self._enqueue_all(message, routes)
            returned = False
        elif mandatory:
            self._return(channel, exchange, message)
        else:
            returned = False
            self._drop_unroutable(exchange, message)
        self.check_memory()
        if channel.confirming:
            self._confirm(channel, exchange, message, accepted, returned)
        return message.id

    def _first_publish(self, channel: Channel, exchange: Exchange) -> None:
        """The producer node (and a built-in exchange) appear in the diagram."""
        channel.published_to[exchange.name] = None
        exchange.used = True
        self._emit_topology(ev.DECLARED, source=channel.node, target=exchange.node,
                            reason=f"channel {channel.channel_number} publishes to "
                            f"{_exchange_label(exchange.name)}")

    def _show_builtin(self, exchange: Exchange) -> None:
        """A built-in exchange used as a dead-letter target appears in the diagram."""
        exchange.used = True
        self._emit_topology(ev.DECLARED, source=exchange.node,
                            reason=f"{_exchange_label(exchange.name)} is used as a "
                            "dead-letter exchange")

    def _route(self, exchange: Exchange, routing_key: str, headers: dict[str, Any] | None,
               message_id: str) -> Routes:
        """Queues a message reaches from ``exchange`` (each once), with the exchange that
        handed it over."""
        if not exchange.name:  # the default exchange: the queue named by the routing key
            queue = self._queues.get(routing_key)
            return [] if queue is None else [(queue, exchange)]
        found: dict[Queue, Exchange] = {}
        pending = [exchange]
        seen = {exchange.name}
        while pending:
            current = pending.pop(0)
            destinations = current.route(routing_key, headers)
            if not destinations:
                self._try_alternate(current, seen, pending, message_id)
            for destination in destinations:
                if isinstance(destination, Queue):
                    found.setdefault(destination, current)
                elif destination.name not in seen:
                    seen.add(destination.name)
                    pending.append(destination)
                    sim = self.sim
                    sim.emit(ev.ROUTED, BROKER, message_id, current.node, destination.node,
                             f"exchange-to-exchange binding {current.name} → "
                             f"{destination.name}", None,
                             forward_cause(current, destination, routing_key, headers)
                             if sim.listening else None)
        return list(found.items())

    def _try_alternate(self, exchange: Exchange, seen: set[str], pending: list[Exchange],
                       message_id: str) -> None:
        """"Alternate Exchanges": what an exchange cannot route goes to its AE, if it exists."""
        name = exchange.arguments.get("alternate-exchange")
        alternate = self._exchanges.get(name) if isinstance(name, str) else None
        if alternate is None or alternate.name in seen:
            return
        seen.add(alternate.name)
        pending.append(alternate)
        self.sim.emit(ev.ROUTED, BROKER, message_id, exchange.node, alternate.node,
                      f"no binding of {exchange.name} matched → alternate exchange "
                      f"{alternate.name}", None, {"rule": "alternate-exchange",
                                                  "exchange": exchange.name,
                                                  "to": alternate.name})

    def _enqueue_all(self, message: Message, routes: Routes) -> bool:
        """One copy per queue; False if a queue refused its copy (reject-publish)."""
        copies = [message] + [message.copy() for _ in range(len(routes) - 1)]
        accepted = True
        for (queue, via), copy in zip(routes, copies, strict=True):
            if not self._enqueue(queue, copy, via):
                accepted = False
        return accepted

    def _enqueue(self, queue: Queue, message: Message, via: Exchange) -> bool:
        if not self.sim.fits(message.size):
            self._refuse_over_budget(queue, message, via)
            return False
        limited = queue.limited
        if limited and queue.overflow != DROP_HEAD and queue.would_overflow(message.size):
            self._refuse(queue, message, via)
            return False
        if queue.message_ttl is not None or message.properties.expiration is not None:
            self._set_expiry(queue, message)
        else:
            message.expires_at = None
        queue.push(message)
        sim = self.sim
        if sim.listening:
            sim.emit(ev.ENQUEUED, BROKER, message.id, via.node, queue.node,
                     f"{_exchange_label(via.name)} routed it to queue '{queue.name}'",
                     message.inspect(), enqueue_cause(queue, message, via))
        else:
            sim.emit(ev.ENQUEUED, BROKER, message.id, via.node, queue.node)
        if limited:
            self._drop_head(queue)
        if queue.consumers and not queue.dispatching:
            queue.dispatching = True
            sim.call_soon(self._dispatch, queue)
        if message.expires_at is not None:
            self._arm_expiry(queue)
        return True

    def _set_expiry(self, queue: Queue, message: Message) -> None:
        ttl = queue.message_ttl
        expiration = message.properties.expiration
        if expiration is not None:
            ttl = int(expiration) if ttl is None else min(ttl, int(expiration))
        message.expires_at = None if ttl is None else self.sim.now + ttl / 1000

    def _drop_head(self, queue: Queue) -> None:
        """"Queue Length Limit", drop-head: the oldest ready messages make room. Messages a
        waiting consumer takes at once never count: RabbitMQ hands a message to a consumer
        with room before it enqueues (``rabbit_amqqueue_process:deliver_or_enqueue``), so even
        x-max-length 0 reaches a waiting consumer (seen on RabbitMQ 3.10)."""
        taken = consumer_room(queue)
        if taken is None:
            return
        while queue.over_limit(taken):
            oldest = queue.pop(taken)
            self._dead_letter(queue, oldest, MAXLEN, queue.node,
                              f"queue '{queue.name}' is over its length limit "
                              f"({_limits(queue)}, drop-head): the oldest message goes")
        self._arm_expiry(queue)

    def _refuse(self, queue: Queue, message: Message, via: Exchange) -> None:
        """"Queue Length Limit", reject-publish(-dlx): the newest message is turned away."""
        why = (f"queue '{queue.name}' is full ({_limits(queue)}, {queue.overflow}): the new "
               "message is refused")
        if queue.overflow == REJECT_PUBLISH_DLX:
            self._dead_letter(queue, message, MAXLEN, via.node, why)
        else:
            sim = self.sim
            sim.emit(ev.DROPPED, BROKER, message.id, via.node, None, why, None,
                     leaving_cause(queue, message, MAXLEN, "") if sim.listening else None)

    def _refuse_over_budget(self, queue: Queue, message: Message, via: Exchange) -> None:
        """The room's budget is the hard stop behind the memory alarm (``alarms.py``): a copy
        that would not fit is refused as "Queue Length Limit" reject-publish refuses one
        (dropped, and basic.nack under confirms), with the reason in the event."""
        self.sim.emit(ev.DROPPED, BROKER, message.id, via.node, None,
                      f"the copy for queue '{queue.name}' is refused: {full(self.sim.limits)}",
                      None, {"rule": "budget", "queue": queue.name})

    def _return(self, channel: Channel, exchange: Exchange, message: Message) -> None:
        text = "NO_ROUTE"
        self.sim.emit(ev.RETURNED, BROKER, message.id, exchange.node, channel.node,
                      f"{_no_route(exchange, message)} and mandatory=true"
                      f" → basic.return {NO_ROUTE} {text}", message.inspect(),
                      unroutable_cause(exchange, message, True))
        method = Return(NO_ROUTE, text, message.exchange, message.routing_key)
        for callback in list(channel.return_callbacks):
            self.sim.call_soon(callback, channel, method, message.properties, message.body)

    def _drop_unroutable(self, exchange: Exchange, message: Message) -> None:
        sim = self.sim
        sim.emit(ev.DROPPED, BROKER, message.id, exchange.node, None,
                 f"{_no_route(exchange, message)} → unroutable, discarded", None,
                 unroutable_cause(exchange, message, False) if sim.listening else None)

    def _confirm(self, channel: Channel, exchange: Exchange, message: Message, accepted: bool,
                 returned: bool) -> None:
        """"Consumer Acknowledgements and Publisher Confirms": every publish on a confirm
        channel gets basic.ack, or basic.nack when a queue refused it ("Queue Length Limit",
        reject-publish); an unroutable message is acked once the exchange finds no queue,
        and a mandatory one gets its basic.return before that basic.ack."""
        channel.publish_seq += 1
        verb = "basic.ack" if accepted else "basic.nack"
        self.sim.emit(ev.CONFIRMED, BROKER, None, exchange.node, channel.node,
                      f"{verb} for publish {channel.publish_seq} ({message.id})",
                      {"message_id": message.id, "delivery_tag": channel.publish_seq,
                       "ack": accepted})
        if returned:
            raise UnroutableError(
                f"message {message.id} was returned: no queue matched routing key "
                f"'{message.routing_key}' on {_exchange_label(exchange.name)}")
        if not accepted:
            raise NackError(f"message {message.id} was nacked: a queue refused it (full)")


def _exchange_label(name: str) -> str:
    return f"exchange '{name}'" if name else "the default exchange"


def _no_route(exchange: Exchange, message: Message) -> str:
    """Why nothing matched, in the terms the exchange type routes by ("Exchanges" guide): a
    fanout exchange ignores the routing key and a headers exchange reads the headers."""
    label = _exchange_label(exchange.name)
    if exchange.type == "fanout":
        return f"{label} (fanout) has no bindings"
    if exchange.type == "headers":
        return (f"no binding of headers {label} matches the message's headers "
                f"({pairs_text(message.properties.headers) or 'none'})")
    return f"no binding of {label} matches routing key '{message.routing_key}'"


def _limits(queue: Queue) -> str:
    limits = []
    if queue.max_length is not None:
        limits.append(f"x-max-length={queue.max_length}")
    if queue.max_length_bytes is not None:
        limits.append(f"x-max-length-bytes={queue.max_length_bytes}")
    return ", ".join(limits)


def consumer_room(queue: Queue) -> int | None:
    """How many ready messages the queue's consumers can take right now (None: all)."""
    consumers = queue.consumers[:1] if queue.single_active else queue.consumers
    room = 0
    for consumer in consumers:
        if not consumer.has_room():
            continue
        limits = [consumer.prefetch - consumer.unacked] if consumer.prefetch else []
        channel = consumer.channel
        if channel.global_prefetch:
            limits.append(channel.global_prefetch - len(channel.unacked))
        if not limits:
            return None
        room += min(limits)
    # a priority queue's ready messages are only addressable at the head
    return room if isinstance(queue.ready, deque) else 0
