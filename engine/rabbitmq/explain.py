"""Causes of RabbitMQ movements (``engine.causes``): which binding routed a copy, which did
not, why this consumer got the delivery, why a copy left its queue.

Only called while someone listens. Matching one binding repeats the exchange type's rule
("Exchanges" guide): direct compares keys, fanout takes all, topic matches ``*``/``#`` word
patterns, headers compares binding arguments with ``x-match`` (``exchanges.headers_match``).
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from ..causes import MAX_LISTED, listed
from .dead_letter import DELIVERY_LIMIT, EXPIRED, MAXLEN
from .exchanges import binding_text, headers_match

if TYPE_CHECKING:
    from .channel import Consumer
    from .exchanges import Binding, Exchange
    from .message import Message
    from .queues import Queue

#: bindings of an exchange judged, at most, to list those a message did not match
MAX_EXAMINED = 16
#: bindings of one queue judged, at most, to name the one that matched
MAX_EXAMINED_MINE = 64
#: routing answers an exchange keeps (routing keys x destinations) before starting afresh
MAX_EXPLAINED = 256
#: dead-letter reason ("Dead Letter Exchanges") → the cause rule of leaving a queue for it
LEAVING_RULES = {EXPIRED: "ttl", MAXLEN: "max-length", DELIVERY_LIMIT: "delivery-limit"}


def topic_words_match(pattern: list[str], words: list[str]) -> bool:
    """Topic matching of one binding ("Exchanges" guide, topic exchange): ``*`` is exactly
    one word, ``#`` zero or more. A small dynamic programme over (pattern, word) positions."""
    reachable = {0}
    for part in pattern:
        following: set[int] = set()
        for at in reachable:
            if part == "#":
                following.update(range(at, len(words) + 1))
            elif at < len(words) and (part == "*" or part == words[at]):
                following.add(at + 1)
        if not following:
            return False
        reachable = following
    return len(words) in reachable


def binding_matches(exchange: Exchange, binding: Binding, routing_key: str,
                    headers: dict[str, Any] | None) -> bool:
    kind = exchange.type
    if kind == "fanout":
        return True
    if kind == "headers":
        return headers_match(binding.arguments, headers or {})
    if kind == "topic":
        return topic_words_match(binding.routing_key.split("."), routing_key.split("."))
    return binding.routing_key == routing_key


def label(exchange: Exchange, binding: Binding) -> str:
    """A binding as the diagram labels it: its key, or a headers binding's arguments."""
    return binding_text(exchange.type, binding.routing_key, binding.arguments)


def split_bindings(exchange: Exchange, routing_key: str, headers: dict[str, Any] | None,
                   destination: Any = None) -> tuple[list[str], list[str], int]:
    """(matched bindings to ``destination``, unmatched bindings, how many bindings are not
    listed). Bounded whatever the exchange's size: the matched ones come from the first
    ``MAX_EXAMINED_MINE`` of the queue's own bindings, only the first ``MAX_EXAMINED`` of the
    exchange are judged for the list of those that did not match (the rest are counted), and
    an answer is kept per routing key and destination until the bindings change (a headers
    exchange, whose headers are no key, works it out each time)."""
    if exchange.type == "headers":
        return _split(exchange, routing_key, headers, destination)
    key = (routing_key, destination)
    known = exchange.explained.get(key)
    if known is None:
        if len(exchange.explained) >= MAX_EXPLAINED:
            exchange.explained.clear()
        known = exchange.explained[key] = _split(exchange, routing_key, headers, destination)
    return known


def _split(exchange: Exchange, routing_key: str, headers: dict[str, Any] | None,
           destination: Any) -> tuple[list[str], list[str], int]:
    matched: list[str] = []
    if destination is not None:
        mine = (destination.bindings.values() if destination.KIND == "queue"
                else [b for b in exchange.bindings.values() if b.destination is destination])
        matched = [label(exchange, b) for b in islice(mine, MAX_EXAMINED_MINE)
                   if b.source is exchange
                   and binding_matches(exchange, b, routing_key, headers)]
    unmatched: list[str] = []
    examined = 0
    for binding in exchange.bindings.values():
        if examined == MAX_EXAMINED or len(unmatched) == MAX_LISTED:
            break
        examined += 1
        if not binding_matches(exchange, binding, routing_key, headers):
            text = label(exchange, binding)
            if text not in unmatched:
                unmatched.append(text)
    return list(dict.fromkeys(matched)), unmatched, len(exchange.bindings) - examined


def enqueue_cause(queue: Queue, message: Message, via: Exchange) -> dict[str, Any]:
    """``binding`` (or ``default-exchange``): how ``via`` picked ``queue``, and where the
    copy now sits."""
    place: dict[str, Any] = {"queue": queue.name}
    if queue.max_priority is None:
        place["position"] = len(queue.ready)
    else:
        place["priority"] = message.priority
    if not via.name:
        return {"rule": "default-exchange", "exchange": "", **place}
    matched, unmatched, more = split_bindings(via, message.routing_key,
                                              message.properties.headers, queue)
    # copies: the lists are kept for the next message with this routing key
    return {"rule": "binding", "exchange": via.name, "type": via.type,
            "routing_key": message.routing_key, "matched": list(matched),
            "unmatched": list(unmatched), "more": more, **place}


def forward_cause(exchange: Exchange, destination: Exchange, routing_key: str,
                  headers: dict[str, Any] | None) -> dict[str, Any]:
    matched, _, _ = split_bindings(exchange, routing_key, headers, destination)
    return {"rule": "exchange-binding", "exchange": exchange.name, "to": destination.name,
            "matched": list(matched)}


def unroutable_cause(exchange: Exchange, message: Message, mandatory: bool) -> dict[str, Any]:
    _, unmatched, more = split_bindings(exchange, message.routing_key,
                                        message.properties.headers)
    return {"rule": "unroutable", "exchange": exchange.name, "type": exchange.type,
            "routing_key": message.routing_key, "unmatched": list(unmatched), "more": more,
            "mandatory": mandatory}


def delivery_cause(queue: Queue, consumer: Consumer, message: Message) -> dict[str, Any]:
    """Why this consumer: "Consumers" guide (round-robin among competing consumers, single
    active consumer, consumer priorities) and "Consumer Prefetch" (a consumer at its limit
    is skipped). Called before the delivery counts against ``consumer``."""
    cause: dict[str, Any] = {"consumer": consumer.tag, "queue": queue.name,
                             "redelivered": message.redelivered,
                             "consumers": len(queue.consumers), "prefetch": consumer.prefetch}
    if queue.single_active:
        cause["rule"] = "single-active"
        return cause
    if queue.ranked_consumers:
        cause["rule"] = "priority"
        cause["priority"] = consumer.priority
        return cause
    busy, more = listed(c.tag for c in queue.consumers
                        if c is not consumer and not c.has_room())
    if busy:
        cause.update(rule="prefetch", busy=busy, more=more)
    else:
        cause["rule"] = "round-robin"
    return cause


def leaving_cause(queue: Queue, message: Message, reason: str, how: str) -> dict[str, Any]:
    """Why a copy left ``queue`` for a dead-letter ``reason`` ("Dead Letter Exchanges")."""
    rule = LEAVING_RULES.get(reason, "rejected")
    cause: dict[str, Any] = {"rule": rule, "queue": queue.name}
    if rule == "ttl":
        cause["ttl"] = _ttl(queue, message)
    elif rule == "max-length":
        limits = [f"x-max-length={queue.max_length}"] if queue.max_length is not None else []
        if queue.max_length_bytes is not None:
            limits.append(f"x-max-length-bytes={queue.max_length_bytes}")
        cause.update(limits=", ".join(limits), overflow=queue.overflow,
                     refused=queue.overflow != "drop-head")
    elif rule == "delivery-limit":
        cause["limit"] = queue.delivery_limit
    else:
        cause["how"] = how
    return cause


def _ttl(queue: Queue, message: Message) -> int | None:
    expiration = message.properties.expiration
    ttl = queue.message_ttl
    if expiration is not None and expiration.isdigit():
        ttl = int(expiration) if ttl is None else min(ttl, int(expiration))
    return ttl


def death_count(message: Message) -> int:
    """The count of the newest ``x-death`` entry (just written by the dead-lettering)."""
    deaths = (message.properties.headers or {}).get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        count = deaths[0].get("count")
        return count if type(count) is int else 1
    return 1
