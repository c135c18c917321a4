"""Events: the only output of the engine.

Every state change emits one ``Event``: a frozen record with an increasing sequence number,
the virtual time, a kind, the message it concerns (if any), the topology nodes it moved from
and to, and a short human reason. The web layer animates them; tests compare whole traces.
A movement also carries its ``cause``: a small dict of data naming the rule that moved the
message and its inputs (``engine.causes`` lists the rules and says them in sentences). It is
built only while someone listens, so an unobserved simulation pays nothing for it.

Kinds are plain lowercase strings, past tense, hyphenated (``"dead-lettered"``). The shared
vocabulary is below; a broker may add kinds of its own and documents them in its module.
``TERMINAL`` kinds end a message's life: after one of them the message is nowhere. Conservation
(tested with Hypothesis) says every message is in exactly one place or its last event is
terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Message movements shared by the brokers.
PUBLISHED = "published"
ROUTED = "routed"
ENQUEUED = "enqueued"
DELIVERED = "delivered"
ACKED = "acked"
NACKED = "nacked"
REJECTED = "rejected"
REQUEUED = "requeued"
DEAD_LETTERED = "dead-lettered"
EXPIRED = "expired"
DROPPED = "dropped"
RETURNED = "returned"
PURGED = "purged"
DELETED = "deleted"
LOST = "lost"
CONFIRMED = "confirmed"

# Topology and lifecycle changes (message_id is None). A client redraws the diagram on these.
DECLARED = "declared"
REMOVED = "removed"
BOUND = "bound"
UNBOUND = "unbound"
CONSUMER_ADDED = "consumer-added"
CONSUMER_REMOVED = "consumer-removed"
CHANNEL_CLOSED = "channel-closed"
TOPOLOGY_KINDS = frozenset(
    {DECLARED, REMOVED, BOUND, UNBOUND, CONSUMER_ADDED, CONSUMER_REMOVED, CHANNEL_CLOSED}
)

#: After one of these, the message (this copy of it) is in no place any more.
TERMINAL = frozenset({ACKED, DROPPED, RETURNED, PURGED, DELETED, LOST, EXPIRED})


@dataclass(frozen=True, slots=True)
class Event:
    """One state change. Compares equal by value; ``details`` holds JSON-safe extras."""

    seq: int
    at: float
    kind: str
    broker: str
    message_id: str | None = None
    source: str | None = None
    target: str | None = None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict, hash=False)
    #: why it moved: ``{"rule": ..., ...}`` (``engine.causes``), None for non-movements
    cause: dict[str, Any] | None = field(default=None, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data, the shape the wire format sends."""
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "broker": self.broker,
            "message_id": self.message_id,
            "source": self.source,
            "target": self.target,
            "reason": self.reason,
            "details": self.details,
            "cause": self.cause,
        }
