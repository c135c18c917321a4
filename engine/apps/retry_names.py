"""Names of the extra queues and topics a retrying consumer needs, per broker.

RabbitMQ: one delay queue per attempt, ``<queue>.retry.<n>``, whose expired messages are
dead-lettered back to ``<queue>``. Kafka: one retry topic per retry, ``<topic>-retry-0``,
``-retry-1``, ... (max attempts - 1 of them) and a dead-letter topic ``<topic>-dlt``: Spring for
Apache Kafka's default names for its non-blocking retries
(https://docs.spring.io/spring-kafka/reference/retrytopic/topic-naming.html).
SQS needs none: the message stays in its queue, invisible for the backoff, and the queue's
redrive policy moves it to the DLQ.
"""

from __future__ import annotations


def retry_queue(queue: str, attempt: int) -> str:
    """The delay queue a message waits in after failed attempt ``attempt`` (1-based)."""
    return f"{queue}.retry.{attempt}"


def retry_topic(topic: str, attempt: int) -> str:
    """The topic a record goes to after failed attempt ``attempt`` (1-based): index from 0."""
    return f"{topic}-retry-{attempt - 1}"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}-dlt"
