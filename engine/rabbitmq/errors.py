"""RabbitMQ's errors, named by its AMQP reply codes.

When RabbitMQ refuses a channel-level command it closes the channel with a reply code and a
text such as ``NOT_FOUND - no exchange 'x' in vhost '/'`` (AMQP 0-9-1 reference, "Constants";
RabbitMQ's ``rabbit_channel`` builds the texts). The simulated channel closes the same way and
raises ``ChannelClosedByBroker`` (pika's name) carrying ``reply_code`` and ``reply_text``.
Bad Python arguments that pika itself would refuse raise ``InvalidArgument`` and change nothing.
"""

from __future__ import annotations

from ..errors import EngineError, InvalidArgument

__all__ = [
    "AccessRefused",
    "ChannelClosedByBroker",
    "ChannelWrongState",
    "CommandInvalid",
    "ConnectionClosedByBroker",
    "DuplicateConsumerTag",
    "InvalidArgument",
    "NackError",
    "NotFound",
    "NotImplementedByBroker",
    "PreconditionFailed",
    "PublishRefused",
    "RabbitMQError",
    "ResourceLocked",
    "ShortStringTooLong",
    "UnroutableError",
]


class ShortStringTooLong(InvalidArgument):
    """A name, key or property longer than an AMQP short string's 255 bytes (pika's name:
    ``pika.exceptions.ShortStringTooLong``, raised while encoding, so nothing is sent)."""

    code = "ShortStringTooLong"


class RabbitMQError(EngineError):
    """Base of every RabbitMQ-model error."""

    code = "RabbitMQError"


class ChannelClosedByBroker(RabbitMQError):
    """The broker closed the channel; ``reply_code``/``reply_text`` are what RabbitMQ sends."""

    reply_code = 0

    def __init__(self, detail: str) -> None:
        self.reply_text = _short_string(f"{self.code} - {detail}")
        super().__init__(self.reply_text)


def _short_string(text: str) -> str:
    """reply-text is an AMQP short string: RabbitMQ cuts a longer one to 255 bytes, the last
    three being "..." (``rabbit_channel``'s ``truncate_text``; seen on RabbitMQ 3.10)."""
    raw = text.encode()
    if len(raw) <= 255:
        return text
    return raw[:252].decode(errors="ignore") + "..."


class NotFound(ChannelClosedByBroker):
    code = "NOT_FOUND"
    reply_code = 404


class AccessRefused(ChannelClosedByBroker):
    code = "ACCESS_REFUSED"
    reply_code = 403


class ResourceLocked(ChannelClosedByBroker):
    code = "RESOURCE_LOCKED"
    reply_code = 405


class PreconditionFailed(ChannelClosedByBroker):
    code = "PRECONDITION_FAILED"
    reply_code = 406


class ConnectionClosedByBroker(ChannelClosedByBroker):
    """A hard error: RabbitMQ closes the whole connection, and every channel on it (AMQP
    0-9-1 reference, "connection exceptions"; pika's ``ConnectionClosedByBroker``)."""


class NotImplementedByBroker(ConnectionClosedByBroker):
    """540: a feature the queue type lacks (e.g. global QoS on a quorum queue)."""

    code = "NOT_IMPLEMENTED"
    reply_code = 540


class CommandInvalid(ConnectionClosedByBroker):
    code = "COMMAND_INVALID"
    reply_code = 503


class ChannelWrongState(RabbitMQError):
    """A command on a channel that is already closed (pika's ``ChannelWrongStateError``)."""

    code = "CHANNEL_ERROR"


class UnroutableError(RabbitMQError):
    """In confirm mode a ``mandatory`` message that no queue took came back (pika's name)."""

    code = "NO_ROUTE"


class NackError(RabbitMQError):
    """In confirm mode the broker nacked the message (pika's name), e.g. a full queue with
    ``x-overflow: reject-publish``."""

    code = "NACK"


class PublishRefused(RabbitMQError):
    """A publish the blocked broker will not hold: the room's cap on held publishes, or its
    budget, is reached (``alarms.py``). AMQP 0-9-1's RESOURCE_ERROR (506) is the reply code
    for "lacked sufficient resources"; the channel stays open, so the caller may retry."""

    code = "RESOURCE_ERROR"
    reply_code = 506


class DuplicateConsumerTag(InvalidArgument):
    """pika's name: ``basic_consume`` with a consumer tag already in use on the channel. pika
    refuses it before sending, so nothing changes and the channel stays open."""
