"""What the Kafka model emits, and the node ids its events point at.

Records are never removed by consuming them: a record stays in its partition's log (one place,
the partition node) until retention, compaction, topic deletion or a leader change truncates
it, each of which is a terminal event. Record ids name the partition and offset,
``"orders/0@5"``; an offset reused after a truncation gets a suffix (``"orders/0@5.2"``), and
a topic deleted and created again marks its records ``"orders/0~2@5"``.

Kinds (besides the shared ones in engine.events):
- bound (shared kind): a producer sends to a topic for the first time (a new edge).
- produced: a producer sent a record (producer -> topic); appended: the leader wrote it
  (topic -> partition); replicated: a follower copied it (broker -> broker); retried: the
  producer re-sent after a lost response.
- delivered: a consumer's poll returned the record (partition -> consumer); its details say
  ``again`` when the group had read that offset before (a replay, or an at-least-once
  duplicate after a crash). committed: a group's committed offset for a partition moved
  (consumer -> partition, no record).
- rebalance-started, revoked, assigned, rebalance-completed: a group's rebalance, step by step;
  joined / left: a consumer entered or left its group (consumer -> group); consumer-crashed.
- producer-added / producer-removed, consumer-added / consumer-removed (shared): a client was
  created or closed (a crashed consumer is removed once its group notices).
- offset-reset: a consumer's position was outside the log (or unknown) and auto.offset.reset
  moved it; seeked: the application moved a consumer's position.
- leader-elected, broker-down, broker-up, isr-shrunk, isr-expanded: the cluster changing.
- retention-deleted, compacted: the log cleaner removed a record (terminal).
- transaction-begun, transaction-committed, transaction-aborted (producer -> topic of its
  first partition, or none): a transactional producer's transaction changed state;
  marker-written (producer -> partition, the marker's record id): the coordinator wrote a
  COMMIT or ABORT control record, which takes an offset like any record and is never
  delivered; producer-fenced: a newer producer with the same transactional.id (or the
  transaction timeout) fenced an older one; transaction-offsets: offsets sent to a
  transaction, committed to the group only when the transaction commits (KIP-98);
  transaction-failed: the broker refused a send inside a transaction, which can now only be
  aborted.
- Shared terminal kinds: lost (truncated by a new leader that never had it), deleted (its
  topic was deleted), dropped (an acks=0 send to a partition without a leader).
"""

from __future__ import annotations

from typing import Any

from ..events import (
    BOUND,
    CONSUMER_ADDED,
    CONSUMER_REMOVED,
    DECLARED,
    DELETED,
    DELIVERED,
    DROPPED,
    LOST,
    REMOVED,
    TERMINAL,
)
from ..topology import node_id

PRODUCED = "produced"
APPENDED = "appended"
REPLICATED = "replicated"
RETRIED = "retried"
COMMITTED = "committed"
REBALANCE_STARTED = "rebalance-started"
REVOKED = "revoked"
ASSIGNED = "assigned"
REBALANCE_COMPLETED = "rebalance-completed"
OFFSET_RESET = "offset-reset"
SEEKED = "seeked"
LEADER_ELECTED = "leader-elected"
BROKER_DOWN = "broker-down"
BROKER_UP = "broker-up"
ISR_SHRUNK = "isr-shrunk"
ISR_EXPANDED = "isr-expanded"
RETENTION_DELETED = "retention-deleted"
COMPACTED = "compacted"
PARTITIONS_ADDED = "partitions-added"
PRODUCER_ADDED = "producer-added"
PRODUCER_REMOVED = "producer-removed"
JOINED = "joined"
LEFT = "left"
CONSUMER_CRASHED = "consumer-crashed"
TRANSACTION_BEGUN = "transaction-begun"
TRANSACTION_COMMITTED = "transaction-committed"
TRANSACTION_ABORTED = "transaction-aborted"
TRANSACTION_OFFSETS = "transaction-offsets"
TRANSACTION_FAILED = "transaction-failed"
MARKER_WRITTEN = "marker-written"
PRODUCER_FENCED = "producer-fenced"

#: Kafka's own kinds after which the web client redraws (the shared ones are in
#: engine.events.TOPOLOGY_KINDS: declared, removed, consumer-added, consumer-removed).
TOPOLOGY_KINDS = frozenset({
    PARTITIONS_ADDED, PRODUCER_ADDED, PRODUCER_REMOVED, JOINED, LEFT, CONSUMER_CRASHED, REVOKED,
    ASSIGNED, REBALANCE_COMPLETED, LEADER_ELECTED, BROKER_DOWN, BROKER_UP, ISR_SHRUNK,
    ISR_EXPANDED,
})

#: After one of these a record is in no log any more (pass to conservation_violations).
TERMINAL_KINDS = TERMINAL | {RETENTION_DELETED, COMPACTED}

__all__ = [
    "APPENDED", "ASSIGNED", "BOUND", "BROKER_DOWN", "BROKER_UP", "COMMITTED", "COMPACTED",
    "CONSUMER_ADDED", "CONSUMER_CRASHED", "CONSUMER_REMOVED", "DECLARED", "DELETED",
    "DELIVERED", "DROPPED", "ISR_EXPANDED", "ISR_SHRUNK", "JOINED", "LEADER_ELECTED", "LEFT",
    "LOST", "MARKER_WRITTEN", "OFFSET_RESET", "PARTITIONS_ADDED", "PRODUCED", "PRODUCER_ADDED",
    "PRODUCER_FENCED", "PRODUCER_REMOVED",
    "REBALANCE_COMPLETED", "REBALANCE_STARTED", "REMOVED", "REPLICATED", "RETENTION_DELETED",
    "RETRIED", "REVOKED", "SEEKED", "TERMINAL_KINDS", "TOPOLOGY_KINDS", "TRANSACTION_ABORTED",
    "TRANSACTION_BEGUN", "TRANSACTION_COMMITTED", "TRANSACTION_FAILED", "TRANSACTION_OFFSETS",
]

BROKER = "kafka"


def topic_node(topic: str) -> str:
    return node_id(BROKER, "topic", topic)


def partition_node(topic: str, partition: int) -> str:
    return node_id(BROKER, "partition", f"{topic}/{partition}")


def broker_node(broker_id: int) -> str:
    return node_id(BROKER, "broker", str(broker_id))


def producer_node(client_id: str) -> str:
    return node_id(BROKER, "producer", client_id)


def consumer_node(client_id: str) -> str:
    return node_id(BROKER, "consumer", client_id)


def group_node(group_id: str) -> str:
    return node_id(BROKER, "group", group_id)


def preview(value: object, limit: int = 200) -> str | None:
    """A short text of a key or value for an inspector (bytes decoded leniently)."""
    if value is None:
        return None
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_view(record: Any, committed: bool = True) -> dict[str, Any]:
    """A record as an inspector shows it (``committed``: below the high watermark)."""
    view = {"id": record.id, "offset": record.offset, "key": preview(record.key),
            "body": preview(record.value),
            "headers": {name: preview(value) for name, value in record.headers},
            "timestamp": record.timestamp, "size": record.size, "committed": committed}
    if record.transactional:
        view["transactional"] = True
        view["producer_id"] = record.producer_id
    if record.control is not None:
        view["marker"] = record.control  # a COMMIT or ABORT control record
    return view
