"""The RabbitMQ model: ``sim.rabbitmq`` with pika-shaped channels.

Exchanges route (``exchanges.py``, topic patterns through ``topic_trie.py``), queues hold
messages in order (``queues.py``), channels are the client API (``channel.py``), the model
ties them together (``model.py``: registry, connections and restart; ``routing.py``: publish
and enqueue; ``delivery.py``: dispatch, acks, TTL; ``dead_letter.py``: x-death; ``views.py``:
topology, contents, locations and read-only views; ``amqp_values.py``: 255-byte short strings
and table nesting, checked before anything is sent). Each rule names the
RabbitMQ document or source it follows. The behaviour modelled is RabbitMQ 4.0-4.2's (4.3
refuses transient non-exclusive queues and global QoS, which this model still accepts).
"""

from .channel import Channel, Connection, Consumer
from .errors import (
    AccessRefused,
    ChannelClosedByBroker,
    ChannelWrongState,
    CommandInvalid,
    ConnectionClosedByBroker,
    DuplicateConsumerTag,
    InvalidArgument,
    NackError,
    NotFound,
    NotImplementedByBroker,
    PreconditionFailed,
    RabbitMQError,
    ResourceLocked,
    ShortStringTooLong,
    UnroutableError,
)
from .model import RabbitMQ
from .properties import BasicProperties, Cancel, Deliver, GetOk, Return
from .topic_trie import TopicTrie, topic_matches

#: RabbitMQ adds no topology kinds of its own beyond engine.events.TOPOLOGY_KINDS.
TOPOLOGY_KINDS: frozenset[str] = frozenset()

__all__ = [
    "TOPOLOGY_KINDS", "AccessRefused", "BasicProperties", "Cancel", "Channel",
    "ChannelClosedByBroker", "ChannelWrongState", "CommandInvalid", "Connection",
    "ConnectionClosedByBroker", "Consumer", "Deliver", "DuplicateConsumerTag", "GetOk",
    "InvalidArgument", "NackError", "NotFound", "NotImplementedByBroker", "PreconditionFailed",
    "RabbitMQ", "RabbitMQError", "ResourceLocked", "Return", "ShortStringTooLong", "TopicTrie",
    "UnroutableError", "topic_matches",
]
