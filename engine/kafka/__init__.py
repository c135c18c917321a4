"""The Kafka model: partitions, keys, consumer groups, rebalancing, replay and replication.

``sim.kafka`` is a ``Kafka`` cluster (3 brokers). Public helpers exact to Kafka's Java client:
``murmur2``, ``partition_for_key`` and ``assign`` (range / roundrobin / cooperative-sticky).
Modules, one concept each: partitioner, assignors, log, topic, cluster (brokers, replicas,
ISR, leaders), producer, transactions (KIP-98: transactional producers, markers, the last
stable offset), consumer, coordinator (groups), cleaner (retention, compaction),
events (kinds and node ids), errors, model (the ``sim.kafka`` facade).
"""

from .assignors import STRATEGIES, TopicPartition, assign
from .consumer import Consumer
from .errors import (
    BrokerNotAvailableException,
    CommitFailedException,
    ConfigException,
    GroupIdNotFoundException,
    IllegalArgumentException,
    IllegalStateException,
    InconsistentGroupProtocolException,
    InvalidConfigurationException,
    InvalidGroupIdException,
    InvalidPartitionsException,
    InvalidRecordException,
    InvalidReplicationFactorException,
    InvalidTopicException,
    KafkaException,
    LeaderNotAvailableException,
    NoOffsetForPartitionException,
    NotEnoughReplicasException,
    OffsetOutOfRangeException,
    ProducerFencedException,
    SerializationException,
    TopicExistsException,
    TransactionAbortedException,
    UnknownTopicOrPartitionException,
)
from .events import TERMINAL_KINDS, TOPOLOGY_KINDS
from .log import Record
from .model import Kafka
from .partitioner import murmur2, partition_for_key
from .producer import FutureRecordMetadata, Producer, RecordMetadata

__all__ = [
    "STRATEGIES", "TERMINAL_KINDS", "TOPOLOGY_KINDS",
    "BrokerNotAvailableException", "CommitFailedException", "ConfigException", "Consumer",
    "GroupIdNotFoundException",
    "IllegalArgumentException", "IllegalStateException", "InconsistentGroupProtocolException",
    "InvalidConfigurationException", "InvalidGroupIdException", "InvalidPartitionsException",
    "InvalidRecordException", "InvalidReplicationFactorException", "InvalidTopicException",
    "Kafka", "KafkaException", "LeaderNotAvailableException", "NoOffsetForPartitionException",
    "NotEnoughReplicasException", "OffsetOutOfRangeException", "Producer",
    "ProducerFencedException", "Record",
    "RecordMetadata", "SerializationException", "TopicExistsException", "TopicPartition",
    "TransactionAbortedException", "FutureRecordMetadata",
    "UnknownTopicOrPartitionException", "assign", "murmur2", "partition_for_key",
]
