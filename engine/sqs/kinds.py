"""The event kinds the SQS model emits, in SQS's own words.

A message's life: ``sent`` (producer → queue), then ``delayed`` if a delay hides it, ``visible``
whenever a receive may return it (delay ended, visibility timeout expired, visibility set to 0),
``received`` (it goes in flight), ``visibility-changed``; and one end: ``deleted``, ``expired``
(retention period), ``purged``, or a move: ``dead-lettered`` (to the DLQ; same MessageId, so
not an end) or ``redriven`` (a move task re-sends it to another queue as a new message with a
new MessageId: the old id ends there, the new one starts with ``enqueued``).
``duplicate-ignored`` reports a FIFO send inside the deduplication window: no message is
created, so it carries no message id (the original's id is in ``details``).
``delete-ignored`` reports a DeleteMessage with an outdated receipt handle: SQS answers with
success and deletes nothing (DeleteMessage API Reference). It carries no message id either (the
message may already have ended; its id is in ``details``), so it is never a message's end.
"""

from __future__ import annotations

from ..events import (
    BOUND,
    CONSUMER_ADDED,
    DEAD_LETTERED,
    DECLARED,
    DELETED,
    ENQUEUED,
    EXPIRED,
    PUBLISHED,
    PURGED,
    REMOVED,
    UNBOUND,
)
from ..events import (
    TERMINAL as SHARED_TERMINAL,
)

SENT = "sent"
DELAYED = "delayed"
VISIBLE = "visible"
RECEIVED = "received"
VISIBILITY_CHANGED = "visibility-changed"
REDRIVEN = "redriven"
DUPLICATE_IGNORED = "duplicate-ignored"
DELETE_IGNORED = "delete-ignored"
#: A queue's attributes changed (redrive policy, timeouts): the drawing may change.
QUEUE_UPDATED = "queue-updated"
#: A message move task started or ended.
MOVE_TASK_STARTED = "move-task-started"
MOVE_TASK_ENDED = "move-task-ended"

#: SNS (``engine.sqs.sns``): a message ``published`` to a topic ends there, ``fanned-out``
#: into one new SQS message per matching subscription (each starts with ``sent`` from the
#: topic's node); ``filtered-out`` (a subscription's filter policy said no) and
#: ``delivery-failed`` (the queue refused the copy) carry no message id. A topic is
#: ``declared``/``removed``, a subscription ``bound``/``unbound``/``subscription-updated``.
FANNED_OUT = "fanned-out"
FILTERED_OUT = "filtered-out"
DELIVERY_FAILED = "delivery-failed"
SUBSCRIPTION_UPDATED = "subscription-updated"

#: Kinds after which the diagram must be redrawn (engine.events.TOPOLOGY_KINDS covers
#: declared, removed and consumer-added).
TOPOLOGY_KINDS = frozenset({QUEUE_UPDATED, MOVE_TASK_STARTED, MOVE_TASK_ENDED,
                            SUBSCRIPTION_UPDATED})

#: After one of these a message id is in no queue: the shared ends plus ``redriven`` and
#: ``fanned-out`` (an SNS message is held nowhere: its copies are new messages).
TERMINAL = SHARED_TERMINAL | {REDRIVEN, FANNED_OUT}

__all__ = [
    "BOUND", "CONSUMER_ADDED", "DEAD_LETTERED", "DECLARED", "DELAYED", "DELETE_IGNORED",
    "DELETED", "DELIVERY_FAILED", "DUPLICATE_IGNORED", "ENQUEUED", "EXPIRED", "FANNED_OUT",
    "FILTERED_OUT", "MOVE_TASK_ENDED", "MOVE_TASK_STARTED", "PUBLISHED", "PURGED",
    "QUEUE_UPDATED", "RECEIVED", "REDRIVEN", "REMOVED", "SENT", "SUBSCRIPTION_UPDATED",
    "TERMINAL", "TOPOLOGY_KINDS", "UNBOUND", "VISIBILITY_CHANGED", "VISIBLE",
]
