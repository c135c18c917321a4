"""Drills: "what happens if…" predictions (multiple choice) that a simulation answers, and flash
cards for the defaults. The browser schedules both with Leitner boxes
(``static/js/interview-leitner.js``); the server only supplies the deck.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Drill:
    slug: str
    prompt: str
    options: tuple[str, ...]
    #: Index of the right option.
    answer: int
    explanation: str
    lesson: str
    #: Where in the lesson the answer shows.
    watch: str

    def __post_init__(self) -> None:
        if not 0 <= self.answer < len(self.options) or len(self.options) < 2:
            raise ValueError(f"{self.slug}: the answer must be one of at least two options")


@dataclass(frozen=True)
class Card:
    slug: str
    front: str
    back: str
    #: A key of ``compare.SOURCES``.
    source: str


DRILLS: tuple[Drill, ...] = (
    Drill(
        slug="more-consumers-than-partitions",
        prompt="A topic has 3 partitions. You run 4 consumers in one group. What happens?",
        options=("Each consumer gets three quarters of a partition's records",
                 "One consumer gets no partition and stays idle",
                 "Kafka adds a fourth partition",
                 "Two consumers share one partition and split its records"),
        answer=1,
        explanation="A partition is assigned to at most one member of a group, so the fourth "
                    "member has nothing to read until another leaves.",
        lesson="scenario:kafka-more-consumers-than-partitions",
        watch="The consumer without a partition.",
    ),
    Drill(
        slug="visibility-shorter-than-work",
        prompt="SQS visibility timeout 10 s, each report takes 12 s, two consumers. What "
               "happens to a report?",
        options=("It is processed once; SQS waits for the delete",
                 "It may be processed twice: it reappears before it is deleted",
                 "It goes straight to the dead-letter queue",
                 "The consumer's receive fails after 10 s"),
        answer=1,
        explanation="After 10 s the message is visible again and a free consumer receives it; "
                    "the first consumer's delete comes too late to prevent the second copy.",
        lesson="scenario:sqs-visibility-timeout",
        watch="A report emailed twice.",
    ),
    Drill(
        slug="ack-before-work-crash",
        prompt="A consumer acknowledges each message as soon as it receives it, then crashes "
               "mid-work. What happens to that message?",
        options=("It is redelivered to another consumer",
                 "It is lost",
                 "It is dead-lettered",
                 "It is processed twice"),
        answer=1,
        explanation="The broker already forgot it: acknowledging before the work is "
                    "at-most-once.",
        lesson="scenario:delivery-guarantees",
        watch="The at-most-once copy after the crash.",
    ),
    Drill(
        slug="ack-after-work-crash",
        prompt="A consumer sends the email, then crashes before acknowledging. What happens?",
        options=("The email is never sent",
                 "The message is redelivered and the email may be sent again",
                 "The broker sees the email was sent and drops the message",
                 "The message waits until the same consumer restarts"),
        answer=1,
        explanation="Unacknowledged messages are redelivered when the consumer's connection "
                    "closes: at-least-once, so the work can happen twice.",
        lesson="scenario:delivery-guarantees",
        watch="The at-least-once copy sends one order twice.",
    ),
    Drill(
        slug="fanout-new-queue-history",
        prompt="A new queue is bound to a fanout exchange that has published 1,000 messages. "
               "How many of them does it receive?",
        options=("All 1,000", "None: only messages published after the binding",
                 "The last one", "As many as the other queues still hold"),
        answer=1,
        explanation="An exchange stores nothing; it copies each message to the queues bound at "
                    "the moment of publishing. A new Kafka consumer group, by contrast, can "
                    "read the retained history.",
        lesson="walkthrough:kafka-or-rabbitmq",
        watch="A new team arrives.",
    ),
    Drill(
        slug="poison-requeue-classic",
        prompt="A classic queue's consumer nacks a poison message with requeue=true each time. "
               "What happens?",
        options=("RabbitMQ dead-letters it after 20 attempts",
                 "It loops for ever, redelivered again and again",
                 "RabbitMQ drops it after the TTL",
                 "The consumer is disconnected"),
        answer=1,
        explanation="A classic queue has no delivery limit: the message goes back and is "
                    "delivered again. A quorum queue counts deliveries and dead-letters past "
                    "its delivery-limit.",
        lesson="scenario:poison-quorum-delivery-limit",
        watch="The classic queue's loop against the quorum queue's limit.",
    ),
    Drill(
        slug="hot-key-add-consumers",
        prompt="80% of records share one key and its partition lags. You double the consumers. "
               "What happens to that lag?",
        options=("It halves", "Nothing: one consumer still reads that partition",
                 "The key is spread across partitions", "Lag moves to other partitions"),
        answer=1,
        explanation="All records of a key hash to one partition and one partition has one "
                    "consumer per group.",
        lesson="scenario:kafka-hot-key",
        watch="The overloaded partition while others idle.",
    ),
    Drill(
        slug="fifo-duplicate-within-window",
        prompt="A producer sends the same deposit twice to an SQS FIFO queue, 30 s apart, with "
               "the same deduplication id. How many are delivered?",
        options=("Two", "One", "None: the second send fails", "Two, in separate groups"),
        answer=1,
        explanation="Within the 5-minute deduplication interval the second send is accepted but "
                    "not delivered.",
        lesson="scenario:sqs-fifo-groups-dedup",
        watch="dave's deposit sent twice, delivered once.",
    ),
    Drill(
        slug="prefetch-unlimited-slow-worker",
        prompt="20 tasks, a fast and a slow worker, no prefetch limit. Who does most tasks?",
        options=("The fast worker", "They each get 10 and the batch waits for the slow one",
                 "The slow worker", "Whoever connected first gets all 20"),
        answer=1,
        explanation="RabbitMQ pushes round-robin up front; without prefetch the slow worker holds "
                    "half of the tasks. With prefetch 1 the fast worker takes the most.",
        lesson="scenario:work-queue-prefetch",
        watch="The unlimited queue against the prefetch-1 queue.",
    ),
    Drill(
        slug="broker-dies-acks-all",
        prompt="A Kafka broker that leads some partitions dies. Producers use acks=all. What "
               "happens to acknowledged records?",
        options=("Records on that broker are lost",
                 "A follower in sync becomes leader; acknowledged records survive",
                 "Producers must wait until the broker returns",
                 "Consumers re-read the topic from the beginning"),
        answer=1,
        explanation="acks=all acknowledges only once the in-sync replicas have the record, so "
                    "the new leader, chosen among them, has it.",
        lesson="scenario:kafka-broker-failure",
        watch="Leadership moving while writes continue.",
    ),
    Drill(
        slug="topic-star-vs-hash",
        prompt="A queue is bound with 'order.*'. Is 'order.eu.created' delivered to it?",
        options=("Yes", "No: '*' matches exactly one word", "Only if no other queue matches",
                 "Yes, but only once per consumer"),
        answer=1,
        explanation="'*' stands for exactly one word; 'order.#' would match, since '#' stands "
                    "for zero or more.",
        lesson="scenario:topic-routing",
        watch="Which queues receive the three-word keys.",
    ),
    Drill(
        slug="maxreceivecount-3",
        prompt="An SQS queue's redrive policy has maxReceiveCount 3 and the handler always "
               "fails. When does the message reach the DLQ?",
        options=("After the first failure", "After it has been received 3 times",
                 "After 14 days", "Never: SQS retries for ever"),
        answer=1,
        explanation="Each receive increments ApproximateReceiveCount; once it exceeds "
                    "maxReceiveCount the message is moved to the dead-letter queue.",
        lesson="scenario:sqs-dlq-redrive",
        watch="The third receive and the move to the DLQ.",
    ),
)


CARDS: tuple[Card, ...] = (
    Card("sqs-visibility", "SQS default visibility timeout (and maximum)?",
         "30 seconds; up to 12 hours.", "sqs-visibility"),
    Card("sqs-retention", "SQS message retention: default, minimum, maximum?",
         "4 days by default; from 60 seconds to 14 days.", "sqs-quotas"),
    Card("sqs-dedup", "SQS FIFO deduplication interval?", "5 minutes.", "sqs-fifo-eo"),
    Card("sqs-fifo-tps", "SQS FIFO throughput without high-throughput mode?",
         "300 transactions per second per API action; 3,000 messages/s with batches of 10.",
         "sqs-fifo-throttle"),
    Card("sqs-size", "SQS maximum message size?",
         "256 KiB by default; the MaximumMessageSize attribute goes up to 1 MiB.", "sqs-api"),
    Card("sqs-delay", "SQS maximum delivery delay?", "15 minutes (900 s).", "sqs-api"),
    Card("sqs-long-poll", "SQS longest long-poll wait?", "20 seconds.", "sqs-api"),
    Card("sqs-batch", "Most messages in one SQS receive or send batch?", "10.", "sqs-quotas"),
    Card("kafka-session", "Kafka consumer session.timeout.ms default?",
         "45 seconds (since Kafka 3.0; 10 s before).", "kafka-consumer"),
    Card("kafka-poll", "Kafka max.poll.interval.ms default?", "5 minutes (300,000 ms).",
         "kafka-consumer"),
    Card("kafka-heartbeat", "Kafka heartbeat.interval.ms default?", "3 seconds.",
         "kafka-consumer"),
    Card("kafka-size", "Kafka broker message.max.bytes default?",
         "1,048,588 bytes, about 1 MB.", "kafka-broker"),
    Card("kafka-retention", "Kafka log retention default?", "168 hours (7 days).",
         "kafka-broker"),
    Card("kafka-acks", "Kafka producer acks default (3.0 and later)?",
         "acks=all, with enable.idempotence=true.", "kafka-producer"),
    Card("kafka-reset", "Kafka auto.offset.reset default?",
         "latest: a new group starts at the end of the log.", "kafka-consumer"),
    Card("rmq-size", "RabbitMQ 4.x default max_message_size?",
         "16 MiB (it was 128 MiB in 3.x).", "rmq-configure"),
    Card("rmq-delivery-limit", "RabbitMQ 4.x quorum queue default delivery limit?", "20.",
         "rmq-quorum"),
    Card("rmq-consumer-timeout", "RabbitMQ consumer delivery acknowledgement timeout default?",
         "30 minutes.", "rmq-consumers"),
    Card("rmq-priority", "RabbitMQ classic queue: highest x-max-priority?",
         "255, though 1 to 5 levels are strongly advised.", "rmq-priority"),
)
