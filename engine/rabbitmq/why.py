""""Why didn't it...?" for RabbitMQ: why a message did not reach a queue, and how each binding
of an exchange judges a message.

The answers apply the exchange type's rule ("Exchanges" guide) to the exchange's bindings as
they are now. When no binding to the queue matches, the closest one is named: closest by a
word-level edit distance over topic patterns, where ``*`` stands for any one word and ``#``
for any run of words at no cost, changing a literal word costs 2 and adding or removing a
wildcard costs 1 (so ``order.*.shipped`` is closer to ``order.shipped`` than ``*.created``
is). A headers binding says which of its arguments failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..causes import code
from .exchanges import MATCH_MODES, same_value
from .explain import binding_matches, label

if TYPE_CHECKING:
    from .exchanges import Binding, Exchange
    from .model import RabbitMQ

LITERAL, WILDCARD = 2, 1
#: a routing key or pattern longer than this many words is cut (bounds the distance table)
MAX_WORDS = 64


def word_distance(pattern: str, routing_key: str) -> int:
    """How far a topic ``pattern`` is from matching ``routing_key`` (0: it matches)."""
    want = pattern.split(".")[:MAX_WORDS]
    words = routing_key.split(".")[:MAX_WORDS]
    width = len(words) + 1
    previous = [j * LITERAL for j in range(width)]
    for part in want:
        drop = 0 if part == "#" else WILDCARD if part == "*" else LITERAL
        current = [previous[0] + drop] + [0] * len(words)
        for j in range(1, width):
            if part == "#":
                current[j] = min(previous[j], current[j - 1])
                continue
            step = 0 if part in ("*", words[j - 1]) else LITERAL
            current[j] = min(previous[j - 1] + step, previous[j] + drop,
                             current[j - 1] + LITERAL)
        previous = current
    return previous[-1]


def closest(patterns: list[str], routing_key: str) -> str | None:
    """The pattern nearest to matching ``routing_key`` (the first of equals)."""
    return min(patterns, key=lambda p: word_distance(p, routing_key), default=None)


def header_failure(arguments: dict[str, Any], headers: dict[str, Any]) -> str:
    """Which argument of a headers binding the message's headers fail ("Exchanges" guide,
    headers exchange: ``x-match`` all/any, ``x-`` arguments compared only in ``-with-x``)."""
    mode = arguments.get("x-match", "all")
    if mode not in MATCH_MODES:
        mode = "all"
    with_x = mode.endswith("-with-x")
    failures = []
    for key, value in arguments.items():
        if key == "x-match" or (key.startswith("x-") and not with_x):
            continue
        if key not in headers:
            failures.append(f"header {code(key)} is missing")
        elif value is not None and not same_value(headers[key], value):
            failures.append(f"header {code(key)} is {code(headers[key])}, the binding wants "
                            f"{code(value)}")
    if not failures:
        return "every argument matches"
    if mode.startswith("any"):
        return f"x-match {mode} needs one argument to match, and none does: " + "; ".join(
            failures)
    return failures[0]


def binding_report(model: RabbitMQ, exchange_name: str, routing_key: str,
                   headers: dict[str, Any] | None, limit: int = 50) -> list[dict[str, Any]]:
    """Each binding of the exchange (at most ``limit``) and whether it matches the message."""
    exchange = model._exchanges.get(exchange_name)
    if exchange is None or not exchange_name:
        return []
    report = []
    for binding in list(exchange.bindings.values())[:limit]:
        matched = binding_matches(exchange, binding, routing_key, headers)
        row = {"exchange": exchange.node, "target": binding.destination.node,
               "label": label(exchange, binding), "matched": matched}
        if exchange.type == "headers" and not matched:
            row["why"] = header_failure(binding.arguments, headers or {})
        report.append(row)
    return report


def why_not_queue(model: RabbitMQ, queue_name: str, exchange_name: str, routing_key: str,
                  headers: dict[str, Any] | None) -> str:
    """Why a message published to ``exchange_name`` with ``routing_key``/``headers`` did not
    reach ``queue_name``, from the bindings as they are now."""
    queue = model._queues.get(queue_name)
    if queue is None:
        return f"there is no queue {code(queue_name)} (now)"
    if not exchange_name:
        return (f"it was published to the default exchange, which routes only to the queue "
                f"named by the routing key: {code(routing_key)} is not {code(queue_name)}")
    exchange = model._exchanges.get(exchange_name)
    if exchange is None:
        return f"exchange {code(exchange_name)} does not exist (now)"
    to_queue = [b for b in exchange.bindings.values() if b.destination is queue]
    if not to_queue:
        return _not_bound(model, exchange, queue_name)
    matching = [b for b in to_queue if binding_matches(exchange, b, routing_key, headers)]
    if matching:
        return (f"binding {code(label(exchange, matching[0]))} of {code(exchange_name)} to "
                f"{code(queue_name)} matches now, so a message published now would reach it; "
                "the binding was not there (or the queue was full) when this one was routed")
    if exchange.type == "headers":
        return "; ".join(f"binding {code(label(exchange, b))}: "
                         f"{header_failure(b.arguments, headers or {})}" for b in to_queue[:4])
    nearest = closest([b.routing_key for b in to_queue], routing_key)
    return (f"no binding of {code(exchange_name)} to {code(queue_name)} matches "
            f"{code(routing_key)}; the closest binding is {code(nearest)}")


def _not_bound(model: RabbitMQ, exchange: Exchange, queue_name: str) -> str:
    sources = sorted({b.source.name for b in _bindings_to(model, queue_name)})
    text = f"{code(queue_name)} has no binding from {code(exchange.name)}"
    if sources:
        text += f"; it is bound to {', '.join(code(s or '(default)') for s in sources)}"
    else:
        text += "; it has no bindings at all (only the default exchange reaches it)"
    return text


def _bindings_to(model: RabbitMQ, queue_name: str) -> list[Binding]:
    queue = model._queues.get(queue_name)
    return [] if queue is None else list(queue.bindings.values())
