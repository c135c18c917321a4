"""The comparison table: Kafka, RabbitMQ (classic, quorum, streams), SQS standard, SQS FIFO and
SNS+SQS, row by row. Every figure names its source (a key of ``SOURCES``: the documentation
page it comes from). Rows marked ``rough`` are orders of magnitude, not documented limits.
"""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS: tuple[tuple[str, str], ...] = (
    ("kafka", "Kafka"),
    ("rabbit-classic", "RabbitMQ classic queue"),
    ("rabbit-quorum", "RabbitMQ quorum queue"),
    ("rabbit-stream", "RabbitMQ stream"),
    ("sqs-standard", "SQS standard"),
    ("sqs-fifo", "SQS FIFO"),
    ("sns-sqs", "SNS + SQS"),
)

#: key -> (what the page is, its address)
SOURCES: dict[str, tuple[str, str]] = {
    "kafka-consumer": ("Apache Kafka documentation: consumer configs",
                       "https://kafka.apache.org/documentation/#consumerconfigs"),
    "kafka-producer": ("Apache Kafka documentation: producer configs",
                       "https://kafka.apache.org/documentation/#producerconfigs"),
    "kafka-broker": ("Apache Kafka documentation: broker configs",
                     "https://kafka.apache.org/documentation/#brokerconfigs"),
    "kafka-design": ("Apache Kafka documentation: design (semantics, replication)",
                     "https://kafka.apache.org/documentation/#design"),
    "rmq-queues": ("RabbitMQ docs: queues (ordering, durability)",
                   "https://www.rabbitmq.com/docs/queues"),
    "rmq-quorum": ("RabbitMQ docs: quorum queues (delivery limit, replication)",
                   "https://www.rabbitmq.com/docs/quorum-queues"),
    "rmq-streams": ("RabbitMQ docs: streams (retention, offsets)",
                    "https://www.rabbitmq.com/docs/streams"),
    "rmq-configure": ("RabbitMQ docs: configuration, max_message_size",
                      "https://www.rabbitmq.com/docs/configure#config-items"),
    "rmq-max-size-pr": ("rabbitmq-server PR 11455: default max message size 16 MiB from 4.0",
                        "https://github.com/rabbitmq/rabbitmq-server/pull/11455"),
    "rmq-consumers": ("RabbitMQ docs: consumers, delivery acknowledgement timeout",
                      "https://www.rabbitmq.com/docs/consumers#acknowledgement-timeout"),
    "rmq-exchanges": ("RabbitMQ docs: exchanges",
                      "https://www.rabbitmq.com/docs/exchanges"),
    "rmq-confirms": ("RabbitMQ docs: consumer acknowledgements and publisher confirms",
                     "https://www.rabbitmq.com/docs/confirms"),
    "rmq-priority": ("RabbitMQ docs: priority queues",
                     "https://www.rabbitmq.com/docs/priority"),
    "sqs-quotas": ("Amazon SQS developer guide: message quotas",
                   "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
                   "quotas-messages.html"),
    "sqs-visibility": ("Amazon SQS developer guide: visibility timeout",
                       "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/"
                       "SQSDeveloperGuide/sqs-visibility-timeout.html"),
    "sqs-fifo-eo": ("Amazon SQS developer guide: exactly-once processing in FIFO queues",
                    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/"
                    "SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html"),
    "sqs-fifo-throttle": ("Amazon SQS developer guide: troubleshoot FIFO throttling",
                          "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/"
                          "SQSDeveloperGuide/troubleshooting-fifo-throttling-issues.html"),
    "sqs-standard": ("Amazon SQS developer guide: standard queues",
                     "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/"
                     "SQSDeveloperGuide/standard-queues.html"),
    "sqs-api": ("Amazon SQS API reference: SetQueueAttributes (MaximumMessageSize, "
                "DelaySeconds, ReceiveMessageWaitTimeSeconds)",
                "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/"
                "API_SetQueueAttributes.html"),
    "sns-quotas": ("Amazon SNS endpoints and quotas",
                   "https://docs.aws.amazon.com/general/latest/gr/sns.html"),
    "sns-large": ("Amazon SNS developer guide: publishing large messages",
                  "https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html"),
    "sns-filter": ("Amazon SNS developer guide: message filtering",
                   "https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html"),
    "sns-fifo": ("Amazon SNS developer guide: FIFO topics",
                 "https://docs.aws.amazon.com/sns/latest/dg/sns-fifo-topics.html"),
}


@dataclass(frozen=True)
class Cell:
    text: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    label: str
    cells: dict[str, Cell]
    #: An order of magnitude from experience, not a documented figure.
    rough: bool = False


def _row(label: str, rough: bool = False, **cells: tuple[str, ...] | str) -> Row:
    built = {}
    for key, value in cells.items():
        text, *refs = (value,) if isinstance(value, str) else value
        built[key.replace("_", "-")] = Cell(text, tuple(refs))
    return Row(label, built, rough)


ROWS: tuple[Row, ...] = (
    _row("Model",
         kafka=("Partitioned, replicated log; consumers keep offsets", "kafka-design"),
         rabbit_classic=("Queue; a message is removed when acknowledged", "rmq-queues"),
         rabbit_quorum=("Replicated queue (Raft), removed when acknowledged", "rmq-quorum"),
         rabbit_stream=("Replicated append-only log read by offset", "rmq-streams"),
         sqs_standard=("Managed queue; receive hides, delete removes", "sqs-visibility"),
         sqs_fifo=("Managed queue ordered per message group", "sqs-fifo-eo"),
         sns_sqs=("Topic pushes a copy to each subscribed queue", "sns-filter")),
    _row("Ordering",
         kafka=("Per partition (so per key)", "kafka-design"),
         rabbit_classic=("FIFO per queue; requeues and competing consumers reorder",
                         "rmq-queues"),
         rabbit_quorum=("FIFO per queue; redeliveries reorder", "rmq-quorum"),
         rabbit_stream=("Per stream, by offset", "rmq-streams"),
         sqs_standard=("Best effort: may arrive out of order", "sqs-standard"),
         sqs_fifo=("Strict within a MessageGroupId", "sqs-fifo-eo"),
         sns_sqs=("Standard topic: none; FIFO topic to FIFO queues: per group", "sns-fifo")),
    _row("Delivery",
         kafka=("At-least-once by default (acks=all and idempotence on since 3.0); "
                "transactions for exactly-once within Kafka", "kafka-design", "kafka-producer"),
         rabbit_classic=("At-least-once with manual acks and publisher confirms",
                         "rmq-confirms"),
         rabbit_quorum=("At-least-once; replicated before confirm", "rmq-quorum"),
         rabbit_stream=("At-least-once; consumer tracks its offset", "rmq-streams"),
         sqs_standard=("At-least-once: occasional duplicates", "sqs-standard"),
         sqs_fifo=("Sends deduplicated for 5 min; a consumer can still see a redelivery",
                   "sqs-fifo-eo"),
         sns_sqs=("At-least-once to each subscription", "sns-filter")),
    _row("Replay",
         kafka=("Yes: seek or reset a group's offsets within retention", "kafka-consumer"),
         rabbit_classic=("No: gone once acknowledged", "rmq-queues"),
         rabbit_quorum=("No", "rmq-quorum"),
         rabbit_stream=("Yes: attach at any offset or timestamp", "rmq-streams"),
         sqs_standard=("No (a DLQ can be redriven)", "sqs-quotas"),
         sqs_fifo=("No (a DLQ can be redriven)", "sqs-quotas"),
         sns_sqs=("No (SNS FIFO topics can archive and replay)", "sns-fifo")),
    _row("Retention",
         kafka=("log.retention.hours 168 (7 days) by default, per topic; or compaction",
                "kafka-broker"),
         rabbit_classic=("Until consumed (optional TTL, max-length)", "rmq-queues"),
         rabbit_quorum=("Until consumed (optional TTL, max-length)", "rmq-quorum"),
         rabbit_stream=("Unbounded unless max-age or max-length-bytes is set", "rmq-streams"),
         sqs_standard=("4 days by default; 60 s to 14 days", "sqs-quotas"),
         sqs_fifo=("4 days by default; 60 s to 14 days", "sqs-quotas"),
         sns_sqs=("SNS does not store (retries delivery); the queue keeps 4 d / 14 d max",
                  "sqs-quotas")),
    _row("Routing",
         kafka=("By topic; partition by key hash", "kafka-design"),
         rabbit_classic=("Exchanges: direct, fanout, topic, headers", "rmq-exchanges"),
         rabbit_quorum=("Exchanges: direct, fanout, topic, headers", "rmq-exchanges"),
         rabbit_stream=("Exchanges, or publish to the stream", "rmq-streams"),
         sqs_standard=("None: one queue URL", "sqs-standard"),
         sqs_fifo=("None: one queue URL", "sqs-fifo-eo"),
         sns_sqs=("Fan-out with subscription filter policies", "sns-filter")),
    _row("Throughput (order of magnitude)", rough=True,
         kafka="10⁵–10⁶ msg/s per cluster; scales with partitions",
         rabbit_classic="10⁴ msg/s per queue (one queue is one process)",
         rabbit_quorum="10³–10⁴ msg/s per queue (replication costs)",
         rabbit_stream="10⁵+ msg/s per stream",
         sqs_standard=("Nearly unlimited API calls per second", "sqs-quotas"),
         sqs_fifo=("300 TPS per API action; 3,000 msg/s with batches of 10; more in "
                   "high-throughput mode", "sqs-fifo-throttle"),
         sns_sqs="As the topic and queues allow; region-level quotas"),
    _row("Latency (order of magnitude)", rough=True,
         kafka="Milliseconds (batching with linger.ms trades latency for throughput)",
         rabbit_classic="Sub-millisecond to milliseconds",
         rabbit_quorum="Milliseconds (a majority must write)",
         rabbit_stream="Milliseconds",
         sqs_standard="Tens of milliseconds per call; long polling up to 20 s",
         sqs_fifo="Tens of milliseconds per call",
         sns_sqs="Tens to hundreds of milliseconds end to end"),
    _row("Message size",
         kafka=("message.max.bytes 1,048,588 bytes (about 1 MB) by default", "kafka-broker"),
         rabbit_classic=("max_message_size 16 MiB by default since 4.0 (128 MiB in 3.x); "
                         "hard cap 512 MiB", "rmq-configure", "rmq-max-size-pr"),
         rabbit_quorum=("Same node setting (16 MiB by default in 4.x)", "rmq-configure"),
         rabbit_stream=("Same node setting (16 MiB by default in 4.x)", "rmq-configure"),
         sqs_standard=("256 KiB by default; MaximumMessageSize can be raised to 1 MiB",
                       "sqs-api", "sqs-quotas"),
         sqs_fifo=("256 KiB by default; up to 1 MiB", "sqs-api", "sqs-quotas"),
         sns_sqs=("256 KiB by default; a topic's MaximumMessageSize up to 1 MiB (SQS, Lambda "
                  "and Firehose subscribers only)", "sns-large")),
    _row("Failure detection",
         kafka=("session.timeout.ms 45 s (since 3.0); max.poll.interval.ms 5 min",
                "kafka-consumer"),
         rabbit_classic=("Connection loss requeues unacked; consumer_timeout 30 min",
                         "rmq-consumers"),
         rabbit_quorum=("Same; plus delivery-limit (20 by default in 4.x)", "rmq-quorum"),
         rabbit_stream=("Consumer restarts from its stored offset", "rmq-streams"),
         sqs_standard=("Visibility timeout 30 s by default, up to 12 h", "sqs-visibility"),
         sqs_fifo=("Visibility timeout 30 s by default, up to 12 h", "sqs-visibility"),
         sns_sqs=("Per queue, as SQS", "sqs-visibility")),
    _row("Poison messages",
         kafka=("No built-in DLQ: the application writes a dead-letter topic", "kafka-design"),
         rabbit_classic=("Reject without requeue to a dead-letter exchange", "rmq-queues"),
         rabbit_quorum=("delivery-limit then dead-letter (at-least-once DLX available)",
                        "rmq-quorum"),
         rabbit_stream=("None: the consumer decides", "rmq-streams"),
         sqs_standard=("Redrive policy: maxReceiveCount then DLQ", "sqs-quotas"),
         sqs_fifo=("Redrive policy to a FIFO DLQ", "sqs-quotas"),
         sns_sqs=("SNS delivery DLQ per subscription, plus each queue's own", "sns-filter")),
    _row("Delays and priorities",
         kafka=("Neither built in", "kafka-design"),
         rabbit_classic=("x-max-priority up to 255 (1 to 5 strongly advised); TTL + DLX delays",
                         "rmq-priority"),
         rabbit_quorum=("Priorities: normal and high in 4.0–4.2, up to 32 levels from 4.3",
                        "rmq-quorum", "rmq-priority"),
         rabbit_stream=("None", "rmq-streams"),
         sqs_standard=("DelaySeconds up to 15 min; no priorities", "sqs-api"),
         sqs_fifo=("Queue-level delay only; no priorities", "sqs-api"),
         sns_sqs=("Per queue, as SQS", "sqs-api")),
)


def cited() -> set[str]:
    """Every source key the table uses (a test checks each is defined)."""
    return {ref for row in ROWS for cell in row.cells.values() for ref in cell.sources}
