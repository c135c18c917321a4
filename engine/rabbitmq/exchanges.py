"""Exchanges: where publishers send messages and bindings decide which queues get a copy.

The exchange types are RabbitMQ's ("Exchanges" guide, https://www.rabbitmq.com/docs/exchanges):
direct (binding key equals the routing key), fanout (every binding, key ignored), topic
(``*``/``#`` patterns, see ``topic_trie``) and headers (binding arguments against message
headers with ``x-match`` all/any). The default exchange ``""`` is a direct exchange every
queue is implicitly bound to by its own name; it cannot be bound, unbound or deleted.

A binding's destination is a queue or, for exchange-to-exchange bindings (RabbitMQ's
"Exchange to Exchange Bindings" extension), another exchange. ``route`` answers only this
exchange's own bindings; following exchange destinations is the model's job.
"""

from __future__ import annotations

from typing import Any

from .topic_trie import TopicTrie

DEFAULT = ""
DEFAULT_NODE_NAME = "amq.default"
TYPES = ("direct", "fanout", "topic", "headers")
#: Exchanges every vhost has (AMQP 0-9-1 reference; "Exchanges" guide, pre-declared exchanges).
PREDECLARED = {
    "amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic",
    "amq.headers": "headers", "amq.match": "headers",
}


class Binding:
    """``source`` routes to ``destination`` (a Queue or an Exchange) under ``routing_key``."""

    __slots__ = ("source", "destination", "routing_key", "arguments", "key")

    def __init__(self, source: Exchange, destination: Any, routing_key: str,
                 arguments: dict[str, Any]) -> None:
        self.source = source
        self.destination = destination
        self.routing_key = routing_key
        self.arguments = arguments
        self.key = binding_key(source.name, destination, routing_key, arguments)

    @property
    def durable(self) -> bool:
        """A binding survives a restart when both its ends do (AMQP 0-9-1 queue.bind)."""
        return self.source.durable and self.destination.durable


def binding_key(source: str, destination: Any, routing_key: str,
                arguments: dict[str, Any]) -> tuple[Any, ...]:
    """Bindings are equal when source, destination, key and arguments are (a re-bind is a
    no-op, AMQP 0-9-1 queue.bind)."""
    args = tuple(sorted((str(k), repr(v)) for k, v in arguments.items()))
    return (source, destination.KIND, destination.name, routing_key, args)


class Exchange:
    """Base: bookkeeping shared by every type; subclasses keep a routing index."""

    KIND = "exchange"
    __slots__ = ("name", "type", "durable", "auto_delete", "internal", "arguments", "bindings",
                 "node", "used", "explained")

    def __init__(self, name: str, exchange_type: str, node: str, *, durable: bool,
                 auto_delete: bool = False, internal: bool = False,
                 arguments: dict[str, Any] | None = None) -> None:
        self.name = name
        self.type = exchange_type
        self.durable = durable
        self.auto_delete = auto_delete
        self.internal = internal
        self.arguments = dict(arguments or {})
        #: bindings whose source is this exchange, in the order they were made
        self.bindings: dict[tuple[Any, ...], Binding] = {}
        self.node = node
        #: drawn in the diagram: declared by the user, or a built-in one something used
        self.used = False
        #: causes of routing already worked out (``explain.py``), until the bindings change
        self.explained: dict[Any, Any] = {}

    def settings(self) -> dict[str, Any]:
        """What a re-declare must repeat exactly (AMQP 0-9-1 exchange.declare)."""
        return {"type": self.type, "durable": self.durable, "auto_delete": self.auto_delete,
                "internal": self.internal, "arguments": dict(self.arguments)}

    def add(self, binding: Binding) -> None:
        self.bindings[binding.key] = binding
        self._index(binding, +1)
        self.explained.clear()

    def remove(self, binding: Binding) -> None:
        del self.bindings[binding.key]
        self._index(binding, -1)
        self.explained.clear()

    def _index(self, binding: Binding, change: int) -> None:
        raise NotImplementedError

    def route(self, routing_key: str, headers: dict[str, Any] | None) -> list[Any]:
        raise NotImplementedError


def _count(index: dict[Any, int], destination: Any, change: int) -> None:
    left = index.get(destination, 0) + change
    if left > 0:
        index[destination] = left
    else:
        index.pop(destination, None)


class DirectExchange(Exchange):
    """Routes to bindings whose key equals the routing key exactly."""

    __slots__ = ("_by_key",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._by_key: dict[str, dict[Any, int]] = {}

    def _index(self, binding: Binding, change: int) -> None:
        index = self._by_key.setdefault(binding.routing_key, {})
        _count(index, binding.destination, change)
        if not index:
            del self._by_key[binding.routing_key]

    def route(self, routing_key: str, headers: dict[str, Any] | None) -> list[Any]:
        index = self._by_key.get(routing_key)
        return list(index) if index else []


class FanoutExchange(Exchange):
    """Routes to every binding; the routing key is ignored."""

    __slots__ = ("_all",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._all: dict[Any, int] = {}

    def _index(self, binding: Binding, change: int) -> None:
        _count(self._all, binding.destination, change)

    def route(self, routing_key: str, headers: dict[str, Any] | None) -> list[Any]:
        return list(self._all)


class TopicExchange(Exchange):
    """Routes by pattern through one trie of all its binding keys."""

    __slots__ = ("_trie",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._trie = TopicTrie()

    def _index(self, binding: Binding, change: int) -> None:
        if change > 0:
            self._trie.bind(binding.routing_key, binding.destination)
        else:
            self._trie.unbind(binding.routing_key, binding.destination)

    def route(self, routing_key: str, headers: dict[str, Any] | None) -> list[Any]:
        return self._trie.match(routing_key)


class HeadersExchange(Exchange):
    """Routes by message headers against binding arguments; the routing key is ignored.

    "Exchanges" guide, headers exchange: ``x-match: all`` (the default) needs every binding
    argument to match, ``any`` needs one; arguments starting with ``x-`` are not compared
    unless ``x-match`` is ``all-with-x``/``any-with-x``. A binding argument with no value
    (None, AMQP void) matches when the header is present (``rabbit_exchange_type_headers``).
    """

    __slots__ = ()

    def _index(self, binding: Binding, change: int) -> None:
        """Headers routing scans ``bindings`` itself; nothing else to keep."""

    def route(self, routing_key: str, headers: dict[str, Any] | None) -> list[Any]:
        found: dict[Any, None] = {}
        for binding in self.bindings.values():
            if headers_match(binding.arguments, headers or {}):
                found[binding.destination] = None
        return list(found)


MATCH_MODES = ("all", "any", "all-with-x", "any-with-x")


def headers_match(arguments: dict[str, Any], headers: dict[str, Any]) -> bool:
    mode = arguments.get("x-match", "all")
    with_x = mode.endswith("-with-x")
    wanted = [(k, v) for k, v in arguments.items()
              if k != "x-match" and (with_x or not k.startswith("x-"))]
    hits = (k in headers and (v is None or same_value(headers[k], v)) for k, v in wanted)
    if mode.startswith("any"):
        return any(hits)
    return all(hits)


def same_value(a: Any, b: Any) -> bool:
    """Erlang's ``==`` on AMQP values: a bool is never equal to a number (``true`` is an
    atom), numbers compare by value (seen on RabbitMQ 3.10: ``a: true`` does not match 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


CLASSES: dict[str, type[Exchange]] = {
    "direct": DirectExchange, "fanout": FanoutExchange, "topic": TopicExchange,
    "headers": HeadersExchange,
}


def binding_text(exchange_type: str, routing_key: str, arguments: dict[str, Any]) -> str:
    """What a binding matches on, as the diagram labels it: the key, or for a headers
    exchange (which ignores the key) its match mode and arguments, "any: format=pdf"."""
    if exchange_type != "headers":
        return routing_key
    wanted = {k: v for k, v in arguments.items() if k != "x-match"}
    return f"{arguments.get('x-match', 'all')}: {pairs_text(wanted) or '(no arguments)'}"


def pairs_text(values: dict[str, Any] | None) -> str:
    """``type=memo, format=pdf``: headers or binding arguments as a learner reads them (a
    name alone when it has no value)."""
    return ", ".join(k if v is None else f"{k}={v}" for k, v in (values or {}).items())
