"""One copy of a message inside the broker.

A message routed to three queues becomes three copies that live separate lives (acked in
one queue, dead-lettered from another). Each copy has its own id: the first keeps the publish
id (``m7``), later copies get ``m7.2``, ``m7.3`` ... so every event and every place names one
copy, which is what the conservation check counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .properties import BasicProperties

if TYPE_CHECKING:
    from .channel import Channel, Consumer
    from .queues import Queue

PREVIEW_CHARS = 200


class Message:
    __slots__ = (
        "id", "body", "properties", "exchange", "routing_key", "persistent", "size",
        "priority", "position", "expires_at", "redelivered", "delivery_count", "queue",
        "consumer", "channel", "delivery_tag", "delivered_at", "family", "_info",
    )

    def __init__(self, message_id: str, body: bytes | str, properties: BasicProperties,
                 exchange: str, routing_key: str, size: int) -> None:
        self.id = message_id
        self.body = body
        self.properties = properties
        self.exchange = exchange
        self.routing_key = routing_key
        self.persistent = properties.delivery_mode == 2
        self.size = size
        self.priority = properties.priority or 0
        #: order of arrival in its queue; a requeued copy goes back to this place
        self.position = 0
        self.expires_at: float | None = None
        self.redelivered = False
        #: failed deliveries so far (quorum queues' x-delivery-count)
        self.delivery_count = 0
        #: the queue that holds this copy, ready or unacked; None once it has left (set by
        #: ``Queue.push``, cleared by ``queues.let_go`` so the room's account follows)
        self.queue: Queue | None = None
        #: while unacked: who holds it (consumer is None for basic_get) and under which tag
        self.consumer: Consumer | None = None
        self.channel: Channel | None = None
        self.delivery_tag = 0
        self.delivered_at = 0.0
        #: copies made so far of this publish, shared by all copies (for ids m7.2, m7.3 ...)
        self.family: list[int] | None = None
        #: the JSON-safe description of what does not change between events (built lazily)
        self._info: dict[str, Any] | None = None

    def copy(self) -> Message:
        """Another copy for another queue, with the next copy id and its own headers."""
        if self.family is None:
            self.family = [1]
        self.family[0] += 1
        root = self.id.split(".", 1)[0]
        twin = Message(f"{root}.{self.family[0]}", self.body, self.properties.copy(),
                       self.exchange, self.routing_key, self.size)
        twin.family = self.family
        twin.redelivered = self.redelivered
        twin.delivery_count = self.delivery_count
        return twin

    def preview(self) -> str:
        body = self.body
        text = body if isinstance(body, str) else body.decode("utf-8", "replace")
        return text[:PREVIEW_CHARS]

    def rewrite(self, properties: BasicProperties, exchange: str | None = None,
                routing_key: str | None = None) -> None:
        """New properties (and, when dead-lettered, a new exchange and routing key)."""
        self.properties = properties
        if exchange is not None:
            self.exchange = exchange
        if routing_key is not None:
            self.routing_key = routing_key
        self._info = None

    def inspect(self, **extra: Any) -> dict[str, Any]:
        """What an inspector shows about this copy (JSON-safe), plus ``extra``."""
        info = self._info
        if info is None:
            info = self._info = self._describe()
        details = dict(info)
        details["redelivered"] = self.redelivered
        if self.channel is not None:  # unacked: the tag a user acks it by
            details["delivery_tag"] = self.delivery_tag
        if self.delivery_count:
            details["delivery_count"] = self.delivery_count
        if extra:
            details.update(extra)
        return details

    def _describe(self) -> dict[str, Any]:
        headers = self.properties.headers or {}
        info: dict[str, Any] = {
            "id": self.id, "body": self.preview(), "exchange": self.exchange,
            "routing_key": self.routing_key, "properties": json_safe(self.properties.as_dict()),
            "persistent": self.persistent,
        }
        if "x-death" in headers:
            info["x_death"] = json_safe(headers["x-death"])
        return info


_PLAIN = (str, int, float, bool, type(None))


def json_safe(value: Any) -> Any:
    """Plain JSON data for an inspector (bytes decoded, anything unknown as its repr)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)
