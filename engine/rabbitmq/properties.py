"""What a client sees of a message: pika's ``BasicProperties`` and the method frames.

``BasicProperties`` carries the AMQP 0-9-1 content header fields (AMQP 0-9-1 reference,
``basic`` class properties; pika's ``pika.spec.BasicProperties``). A consumer callback gets
``(channel, method, properties, body)`` as pika passes them, where ``method`` is a
``Deliver`` (``basic.deliver``); ``basic_get`` returns a ``GetOk``; a returned message comes
with a ``Return`` (``basic.return``).
"""

from __future__ import annotations

from typing import Any

PROPERTY_NAMES = (
    "content_type", "content_encoding", "headers", "delivery_mode", "priority",
    "correlation_id", "reply_to", "expiration", "message_id", "timestamp", "type", "user_id",
    "app_id", "cluster_id",
)

#: Properties that are AMQP short strings (AMQP 0-9-1 reference, basic class properties;
#: pika's ``BasicProperties.encode`` writes each with ``encode_short_string``).
SHORTSTR_PROPERTIES = (
    "content_type", "content_encoding", "correlation_id", "reply_to", "expiration",
    "message_id", "type", "user_id", "app_id", "cluster_id",
)

#: delivery_mode 2 marks a message persistent (AMQP 0-9-1 reference, basic.delivery-mode).
PERSISTENT = 2


class BasicProperties:
    """Message properties, as pika names them. Unset fields are None."""

    __slots__ = PROPERTY_NAMES

    def __init__(self, content_type: str | None = None, content_encoding: str | None = None,
                 headers: dict[str, Any] | None = None, delivery_mode: int | None = None,
                 priority: int | None = None, correlation_id: str | None = None,
                 reply_to: str | None = None, expiration: str | None = None,
                 message_id: str | None = None, timestamp: int | None = None,
                 type: str | None = None, user_id: str | None = None,
                 app_id: str | None = None, cluster_id: str | None = None) -> None:
        self.content_type = content_type
        self.content_encoding = content_encoding
        self.headers = headers
        self.delivery_mode = delivery_mode
        self.priority = priority
        self.correlation_id = correlation_id
        self.reply_to = reply_to
        self.expiration = expiration
        self.message_id = message_id
        self.timestamp = timestamp
        self.type = type
        self.user_id = user_id
        self.app_id = app_id
        self.cluster_id = cluster_id

    def copy(self, **changes: Any) -> BasicProperties:
        """A new object with ``changes`` applied (headers copied, never shared)."""
        values = {name: getattr(self, name) for name in PROPERTY_NAMES}
        if values["headers"] is not None:
            values["headers"] = dict(values["headers"])
        values.update(changes)
        return BasicProperties(**values)

    def as_dict(self) -> dict[str, Any]:
        """The fields that are set, for inspectors."""
        found = {}
        for name in PROPERTY_NAMES:
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BasicProperties):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in PROPERTY_NAMES)

    __hash__ = None  # type: ignore[assignment]  # mutable, like pika's

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"BasicProperties({fields})"


class Deliver:
    """``basic.deliver``: the ``method`` argument of a consumer callback."""

    __slots__ = ("consumer_tag", "delivery_tag", "redelivered", "exchange", "routing_key")
    NAME = "Basic.Deliver"

    def __init__(self, consumer_tag: str, delivery_tag: int, redelivered: bool, exchange: str,
                 routing_key: str) -> None:
        self.consumer_tag = consumer_tag
        self.delivery_tag = delivery_tag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routing_key = routing_key

    def __repr__(self) -> str:
        return (f"Deliver(consumer_tag={self.consumer_tag!r}, delivery_tag={self.delivery_tag},"
                f" redelivered={self.redelivered}, exchange={self.exchange!r},"
                f" routing_key={self.routing_key!r})")


class GetOk:
    """``basic.get-ok``: what ``basic_get`` returns first when a message was there."""

    __slots__ = ("delivery_tag", "redelivered", "exchange", "routing_key", "message_count")
    NAME = "Basic.GetOk"

    def __init__(self, delivery_tag: int, redelivered: bool, exchange: str, routing_key: str,
                 message_count: int) -> None:
        self.delivery_tag = delivery_tag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routing_key = routing_key
        self.message_count = message_count


class Cancel:
    """``basic.cancel`` from the broker: consumer ``consumer_tag`` was cancelled (its queue was
    deleted), what a cancel callback gets."""

    __slots__ = ("consumer_tag",)
    NAME = "Basic.Cancel"

    def __init__(self, consumer_tag: str) -> None:
        self.consumer_tag = consumer_tag


class Return:
    """``basic.return``: an unroutable ``mandatory`` message sent back to its publisher."""

    __slots__ = ("reply_code", "reply_text", "exchange", "routing_key")
    NAME = "Basic.Return"

    def __init__(self, reply_code: int, reply_text: str, exchange: str, routing_key: str) -> None:
        self.reply_code = reply_code
        self.reply_text = reply_text
        self.exchange = exchange
        self.routing_key = routing_key
