"""Kafka's errors, under the names Kafka itself uses.

Each error's ``code`` is the Java class name the Kafka client raises (or the broker's error
name turned into one), e.g. ``UnknownTopicOrPartitionException``; a learner can look it up in
Kafka's documentation as it is. Source: org.apache.kafka.common.errors (apache/kafka,
clients/src/main/java/org/apache/kafka/common/errors/) and the client's own
IllegalStateException / IllegalArgumentException uses in KafkaConsumer.java.
"""

from __future__ import annotations

from ..errors import EngineError, InvalidArgument, NotFound


class KafkaException(EngineError):
    """Base of every Kafka error; ``code`` is the subclass's own (Kafka) name."""

    code = "KafkaException"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = cls.__name__


class IllegalArgumentException(KafkaException, InvalidArgument):
    """A call's argument is not allowed (the Java client throws IllegalArgumentException)."""


class IllegalStateException(KafkaException):
    """The call is not allowed in the client's current state (closed, crashed, not assigned)."""


class SerializationException(KafkaException, InvalidArgument):
    """A key that no string/bytes serializer could turn into bytes."""


class InvalidTopicException(KafkaException, InvalidArgument):
    """A topic name breaks Kafka's naming rules."""


class TopicExistsException(KafkaException):
    """create_topic for a name that is taken."""


class UnknownTopicOrPartitionException(KafkaException, NotFound):
    """The topic, or that partition of it, does not exist."""


class InvalidPartitionsException(KafkaException, InvalidArgument):
    """A partition count that is not allowed (zero, or shrinking a topic)."""


class InvalidReplicationFactorException(KafkaException, InvalidArgument):
    """A replication factor below 1 or above the number of live brokers."""


class InvalidConfigurationException(KafkaException, InvalidArgument):
    """A topic config name or value the broker does not accept."""


class ConfigException(InvalidConfigurationException):
    """A producer or consumer setting has a value the client refuses. (In Java the two are
    unrelated classes; here catching InvalidConfigurationException catches both kinds of bad
    configuration, while ``code`` still says which one Kafka would raise.)"""


class NotEnoughReplicasException(KafkaException):
    """acks=all write while the in-sync replicas are fewer than min.insync.replicas."""


class InvalidRecordException(KafkaException, InvalidArgument):
    """A record the broker refuses, e.g. a keyless record for a compacted topic."""


class LeaderNotAvailableException(KafkaException):
    """The partition has no leader (every in-sync replica is down)."""


class BrokerNotAvailableException(KafkaException, NotFound):
    """No broker with that id in the cluster."""


class OffsetOutOfRangeException(KafkaException):
    """A fetch position outside the log and auto.offset.reset is none."""


class NoOffsetForPartitionException(KafkaException):
    """No committed offset for a partition and auto.offset.reset is none."""


class InvalidGroupIdException(KafkaException, InvalidArgument):
    """Group operations (subscribe, commit) on a consumer that has no group.id."""


class GroupIdNotFoundException(KafkaException, NotFound):
    """No consumer group with that id."""


class InconsistentGroupProtocolException(KafkaException):
    """A member whose assignment strategy no member of the group shares."""


class CommitFailedException(KafkaException):
    """A commit from a consumer that is no longer a member of its group."""


class PolicyViolationException(KafkaException):
    """A CreateTopics / CreatePartitions request the broker's create.topic.policy refuses
    (POLICY_VIOLATION; org.apache.kafka.server.policy.CreateTopicPolicy, javadoc
    https://kafka.apache.org/38/javadoc/org/apache/kafka/common/errors/PolicyViolationException.html:
    "thrown if a create topics request does not satisfy the configured policy for a topic").
    mqlab's policy is the room's cap on topics and partitions."""


class KafkaStorageException(KafkaException):
    """The broker could not store the records (KAFKA_STORAGE_ERROR, error code 56; the Java
    client's org.apache.kafka.common.errors.KafkaStorageException is an
    InvalidMetadataException, so retriable: the producer retries it after retry.backoff.ms).
    mqlab raises it when the room's budget of held messages is full."""


class GroupMaxSizeReachedException(KafkaException):
    """A member would take a group past group.max.size (GROUP_MAX_SIZE_REACHED). mqlab's
    bound is the room's cap on consumers."""


class BufferExhaustedException(KafkaException):
    """The producer's buffer (buffer.memory) is full of records it could not send yet."""


class ProducerFencedException(KafkaException):
    """Another producer with the same transactional.id called initTransactions, or the
    coordinator aborted this producer's transaction (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH,
    KIP-98 "Fencing"): this producer's epoch is stale and every later transactional call is
    refused. Fatal: the only way on is to close it (kafka-python: ProducerFencedError)."""


class TransactionAbortedException(KafkaException):
    """A record still waiting in the producer's batches when its transaction was aborted:
    it is never sent (org.apache.kafka.common.errors.TransactionAbortedException)."""
