"""Names of the extra queues and topics a retrying consumer needs, per broker.

RabbitMQ: one delay queue per attempt, ``<queue>.retry.<n>``, whose expired messages are
dead-lettered back to ``<queue>``. Kafka: one retry topic per attempt, ``<topic>-retry-<n>``,
and a dead-letter topic ``<topic>-dlt`` (the suffixes Spring for Apache Kafka uses for its
non-blocking retries). SQS needs none: the message stays in its queue, invisible for the
backoff, and the queue's redrive policy moves it to the DLQ.
"""

from __future__ import annotations


def retry_queue(queue: str, attempt: int) -> str:
    return f"{queue}.retry.{attempt}"


def retry_topic(topic: str, attempt: int) -> str:
    return f"{topic}-retry-{attempt}"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}-dlt"
