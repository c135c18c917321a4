"""Event kinds the simulated applications emit, beside the brokers' own.

The brokers report what happens to messages; the apps report what happens to the *work*: a
side effect performed once or a second time, a duplicate skipped thanks to an idempotency
store, work lost because the message was acknowledged before it was processed, a retry
scheduled, an alert raised. These events carry no ``message_id`` (they would confuse the
conservation check, which follows broker copies); ``details["key"]`` names the message's
idempotency key and ``source`` the app's node (``rabbitmq:consumer:billing``).
"""

from __future__ import annotations

SIDE_EFFECT = "side-effect"
DUPLICATE_SIDE_EFFECT = "duplicate-side-effect"
DUPLICATE_SKIPPED = "duplicate-skipped"
PROCESSING_STARTED = "processing-started"
PROCESSING_FAILED = "processing-failed"
WORK_LOST = "work-lost"
RETRY_SCHEDULED = "retry-scheduled"
GAVE_UP = "gave-up"
OUT_OF_ORDER = "out-of-order"
RATE_LIMITED = "rate-limited"
CONSUMER_CRASHED = "app-crashed"
CONSUMER_RESTARTED = "app-restarted"
PUBLISH_REJECTED = "publish-rejected"
PRODUCER_THROTTLED = "producer-throttled"
#: the broker blocked the producer's connection (RabbitMQ's memory alarm) / unblocked it
PRODUCER_BLOCKED = "producer-blocked"
PRODUCER_RESUMED = "producer-resumed"
ALERT = "alert"
SETTLE_FAILED = "settle-failed"
CONNECT_FAILED = "connect-failed"
ACTION_FAILED = "action-failed"
#: A Lambda-style batch consumer (``lambda_sqs``): an invocation started with a batch, and how
#: it returned: all deleted, some reported as batchItemFailures, or the whole batch failed.
BATCH_INVOKED = "batch-invoked"
BATCH_SUCCEEDED = "batch-succeeded"
BATCH_ITEM_FAILURES = "batch-item-failures"
BATCH_FAILED = "batch-failed"
#: The outbox pattern (``outbox``): a local transaction committed (the row, and maybe its
#: outbox row), a relay marked an outbox row published, and an event sent for a row the
#: database never committed (a naive dual write that published first).
DB_COMMITTED = "db-committed"
OUTBOX_RELAYED = "outbox-relayed"
ORPHAN_EVENT = "orphan-event"

APP_KINDS = frozenset({
    SIDE_EFFECT, DUPLICATE_SIDE_EFFECT, DUPLICATE_SKIPPED, PROCESSING_STARTED,
    PROCESSING_FAILED, WORK_LOST, RETRY_SCHEDULED, GAVE_UP, OUT_OF_ORDER, RATE_LIMITED,
    CONSUMER_CRASHED, CONSUMER_RESTARTED, PUBLISH_REJECTED, PRODUCER_THROTTLED, ALERT,
    SETTLE_FAILED, CONNECT_FAILED, ACTION_FAILED, PRODUCER_BLOCKED, PRODUCER_RESUMED,
    BATCH_INVOKED, BATCH_SUCCEEDED, BATCH_ITEM_FAILURES, BATCH_FAILED, DB_COMMITTED,
    OUTBOX_RELAYED, ORPHAN_EVENT,
})

#: Header / attribute name that carries a message's idempotency key from producer to consumer.
KEY_HEADER = "idempotency-key"
#: Header / attribute carrying the per-key sequence number (to check ordering per key).
SEQ_HEADER = "key-seq"
#: Header / attribute carrying how many times the app has already tried this message.
ATTEMPT_HEADER = "x-attempt"
