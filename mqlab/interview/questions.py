"""The question bank: system-design questions about messaging, each with a model answer of a
few paragraphs, its trade-offs, the follow-ups an interviewer asks, and the lesson (a room
source slug) that shows it happening.

The answers are written for this kit; broker behaviour in them follows the brokers' own
documentation, whose pages the comparison table (``compare.py``) names.
"""

from __future__ import annotations

from dataclasses import dataclass

TOPICS = {
    "foundations": "Foundations",
    "delivery": "Delivery guarantees",
    "ordering": "Ordering and scaling",
    "failure": "Failures and retries",
    "design": "System designs",
}


@dataclass(frozen=True)
class Question:
    slug: str
    topic: str
    title: str
    prompt: str
    answer: tuple[str, ...]
    tradeoffs: tuple[str, ...]
    followups: tuple[str, ...]
    lesson: str
    #: What to look at in the lesson.
    watch: str

    def __post_init__(self) -> None:
        if self.topic not in TOPICS:
            raise ValueError(f"{self.slug}: unknown topic {self.topic!r}")
        if len(self.answer) < 2 or not self.tradeoffs or not self.followups:
            raise ValueError(f"{self.slug}: needs an answer of paragraphs, trade-offs, follow-ups")


QUESTIONS: tuple[Question, ...] = (
    Question(
        slug="why-a-queue",
        topic="foundations",
        title="Why put a queue between the web tier and the workers?",
        prompt="Your checkout calls the invoicing service synchronously. Black Friday is coming. "
               "Why and how would you put a message queue in between?",
        answer=(
            "A queue decouples the rate at which work arrives from the rate at which it is done. "
            "The web tier only has to hand the order to the broker, which is fast and rarely "
            "fails, and can answer the customer at once; the invoicing workers drain the queue "
            "at the pace they can sustain. A spike becomes a backlog that shrinks later instead "
            "of timeouts and dropped requests (load levelling).",
            "It also decouples availability: if the invoicing service is down for ten minutes, "
            "orders wait in the queue rather than failing, and a crashed worker's unacknowledged "
            "message is delivered to another worker. Scaling becomes adding consumers to the same "
            "queue (competing consumers).",
            "The price is that the call becomes asynchronous: the customer is told 'your invoice "
            "will follow', the system must tolerate duplicates (at-least-once delivery), and "
            "someone must watch queue depth and the age of the oldest message, because a queue "
            "hides an outage until it is large.",
        ),
        tradeoffs=(
            "Latency of a single request rises a little; throughput under spikes rises a lot.",
            "Errors can no longer be returned to the caller: you need a status the user can poll, "
            "or a notification.",
            "One more system to operate, monitor and secure.",
        ),
        followups=(
            "How do you tell the user that the invoice failed?",
            "What metric would page you: depth, age of the oldest message, or consumer errors?",
            "How many workers do you need to drain a 30-minute backlog in 10 minutes?",
        ),
        lesson="walkthrough:why-use-a-queue",
        watch="The flash sale: the queue grows, nothing is lost, and the workers drain it.",
    ),
    Question(
        slug="notification-fanout",
        topic="design",
        title="Design notification fan-out",
        prompt="When a user signs up, email, analytics and the CRM must all hear about it, and "
               "next quarter a fourth team will too. Design it.",
        answer=(
            "Publish one event, 'user signed up', and give every interested service its own "
            "queue subscribed to it. In RabbitMQ that is a fanout (or topic) exchange with one "
            "queue bound per service; on AWS an SNS topic with an SQS queue subscribed per "
            "service; in Kafka one topic read by one consumer group per service. The publisher "
            "does not know its subscribers, so the fourth team only adds a binding or a group.",
            "Each subscriber having its own queue matters: a slow or broken analytics service "
            "builds up its own backlog without delaying emails, and each can retry and "
            "dead-letter independently. Sharing one queue between different services would make "
            "them compete for messages, so each event would reach only one of them.",
            "Filtering belongs near the broker when possible: topic-exchange binding patterns or "
            "SNS filter policies let a service receive only the events it wants, rather than "
            "discarding most of what it reads.",
        ),
        tradeoffs=(
            "A copy per subscriber multiplies storage and traffic (RabbitMQ, SNS+SQS); Kafka "
            "stores one log that every group reads.",
            "Kafka lets a new subscriber read history; an exchange or SNS only delivers what is "
            "published after the queue was bound.",
            "Event payload design becomes a contract between teams (see schema evolution).",
        ),
        followups=(
            "The CRM is down for an hour: what happens to the others?",
            "How does a new subscriber get the users who signed up last month?",
            "How would you avoid sending a welcome email twice?",
        ),
        lesson="scenario:fanout-pub-sub",
        watch="One publish, three queues, each drained at its own pace.",
    ),
    Question(
        slug="kafka-rabbitmq-sqs",
        topic="foundations",
        title="Kafka, RabbitMQ or SQS?",
        prompt="Which would you choose for this system, and why not the other two?",
        answer=(
            "Kafka is a replicated, partitioned log: records stay for the retention period "
            "whether or not they were read, every consumer group keeps its own offset, and a "
            "group can rewind. Choose it for event streams that several teams read, for replay "
            "and reprocessing, for very high throughput, and when per-key ordering across many "
            "partitions is what you need.",
            "RabbitMQ is a broker of queues: a message is routed by exchanges and bindings to "
            "queues and is gone once acknowledged. Choose it for task distribution with "
            "per-message acknowledgements, flexible routing (direct, topic, headers), priorities, "
            "request-reply and low latency. Quorum queues give replicated queues and a delivery "
            "limit; streams add a Kafka-like replayable log to RabbitMQ.",
            "SQS is a managed queue with nothing to run: it scales without capacity planning, "
            "has a visibility timeout instead of acknowledgements on a connection, dead-letter "
            "queues and (FIFO) deduplication and message groups. Choose it on AWS when you want "
            "a work queue and no broker operations; pair it with SNS for fan-out.",
        ),
        tradeoffs=(
            "Replay and multiple independent readers (Kafka) against per-message routing, "
            "priorities and acknowledgements (RabbitMQ).",
            "Operating a cluster (Kafka, RabbitMQ) against per-request pricing and quotas (SQS).",
            "Kafka's parallelism is capped by the partition count; a queue's by consumers only.",
        ),
        followups=(
            "A new team needs last week's events: which of the three can give them?",
            "What happens to ordering when you add consumers in each?",
            "What does each do with a message that fails forever?",
        ),
        lesson="walkthrough:kafka-or-rabbitmq",
        watch="A new team arrives: the Kafka group reads the history, the new queue does not.",
    ),
    Question(
        slug="delivery-semantics",
        topic="delivery",
        title="At-most-once, at-least-once, exactly-once",
        prompt="Explain the three delivery guarantees and where each comes from in practice.",
        answer=(
            "The guarantee is decided by when the consumer acknowledges (or commits its offset) "
            "relative to doing the work. Acknowledge first, then work: a crash in between loses "
            "the message — at-most-once. Work first, then acknowledge: a crash in between makes "
            "the broker deliver it again — at-least-once, with duplicates.",
            "Exactly-once delivery over a network is not something a broker can promise about "
            "your side effects. What systems offer is effectively-once processing: at-least-once "
            "delivery plus an idempotent consumer (a processed-ids table or a natural key that "
            "makes the second attempt a no-op), or, inside Kafka, transactions that commit the "
            "output records and the consumed offsets atomically.",
            "In an interview, say which failure each choice tolerates: at-most-once for metrics "
            "you can afford to lose, at-least-once plus idempotency for almost everything else.",
        ),
        tradeoffs=(
            "At-most-once is simplest and fastest but loses data on every crash.",
            "At-least-once needs idempotent handlers or a dedup store.",
            "Dedup state must be kept as long as a duplicate can still arrive.",
        ),
        followups=(
            "Where exactly can a duplicate appear in your pipeline?",
            "How long must you remember processed ids?",
            "What does auto-commit in Kafka give you?",
        ),
        lesson="scenario:delivery-guarantees",
        watch="The three copies crash together: one loses orders, one sends an email twice, "
              "one sends each exactly once.",
    ),
    Question(
        slug="exactly-once",
        topic="delivery",
        title="How do you get exactly-once processing?",
        prompt="Each order must produce exactly one confirmation email, even across crashes and "
               "redeliveries. How?",
        answer=(
            "Start from at-least-once: acknowledge only after the work, so nothing is lost. Then "
            "make the work idempotent. Give each order an id that the producer sets (not the "
            "broker's message id, which changes if the producer retries), and record 'email sent "
            "for order 42' in the same transaction as whatever else the handler writes, or use a "
            "unique constraint so the second attempt fails harmlessly.",
            "Inside Kafka, an idempotent producer removes duplicates caused by producer retries "
            "(per partition, per producer session), and transactions let a read-process-write "
            "job commit its output records and its input offsets together; consumers with "
            "isolation.level=read_committed never see aborted output. That covers Kafka-to-Kafka "
            "pipelines only.",
            "An email or a card payment is outside the broker, so no broker setting can make it "
            "exactly-once: the external call needs an idempotency key the provider honours, or a "
            "record of what was sent that is checked before sending. SQS FIFO deduplicates "
            "sends within 5 minutes, but a consumer that outlives its visibility timeout can "
            "still receive the message twice.",
        ),
        tradeoffs=(
            "A dedup table costs a write per message and must be pruned.",
            "Kafka transactions add latency (commit markers) and only cover Kafka.",
            "Idempotency keys at the provider depend on the provider's retention of those keys.",
        ),
        followups=(
            "The email provider timed out: did it send? What do you do?",
            "Why is the broker's message id a poor idempotency key?",
            "What does read_committed cost a consumer?",
        ),
        lesson="walkthrough:exactly-once-whole-answer",
        watch=("Each crash: which mailer sends an email twice although Kafka and SQS FIFO both "
               "offer exactly-once."),
    ),
    Question(
        slug="idempotency-keys",
        topic="delivery",
        title="Idempotency keys",
        prompt="Where does an idempotency key come from, where is it stored, and how long?",
        answer=(
            "The key must identify the intent, not the attempt: the client or the first producer "
            "creates it (an order id, a UUID generated when the user pressed 'pay') and every "
            "retry carries the same value. A key generated by the broker or on each retry "
            "defeats the purpose.",
            "The consumer stores the keys it has completed, ideally in the same database "
            "transaction as the effect (insert into processed(key) with a unique constraint, "
            "then the business write, then commit). If the effect is an external call, pass the "
            "key to the provider, many payment APIs accept one, and store the outcome so a retry "
            "returns the first result.",
            "Keep keys at least as long as a duplicate can arrive: the broker's redelivery "
            "window, the producer's retry horizon and any replay you might run. For a replay of "
            "last month's events you either keep keys that long or make the handler naturally "
            "idempotent (upserts keyed by entity and version).",
        ),
        tradeoffs=(
            "Stored keys cost space; a TTL that is too short lets late duplicates through.",
            "Natural idempotency (set state = X) is cheaper than a key table but not always "
            "possible (add 10 to a balance).",
            "A key check and the effect in different stores reopen the race.",
        ),
        followups=(
            "Two copies of the same message are processed at the same moment by two consumers: "
            "what stops both?",
            "How does SQS FIFO's deduplication id differ from your own key?",
            "How do you make 'add 10 to the balance' idempotent?",
        ),
        lesson="scenario:delivery-guarantees",
        watch="The 'effectively-once' copy skips the order it had already handled.",
    ),
    Question(
        slug="outbox",
        topic="delivery",
        title="The transactional outbox",
        prompt="The order service writes the order to its database and publishes OrderPlaced. "
               "How do you make sure the two never disagree?",
        answer=(
            "Writing to the database and then publishing is a dual write: a crash between the "
            "two, or a broker timeout, leaves an order with no event or, the other way round, an "
            "event for an order that was rolled back. There is no transaction spanning both.",
            "The outbox pattern puts the event in the same database transaction as the order: "
            "insert the order and a row in an outbox table, commit once. A relay process then "
            "reads unsent outbox rows (by polling, or by tailing the database's change log with a "
            "CDC tool), publishes them, and marks them sent. A crash of the relay means the row "
            "is published again, so delivery is at-least-once and consumers must be idempotent.",
            "Order follows the outbox's order if the relay publishes rows in sequence (per "
            "aggregate, use the aggregate id as the message key). Clean up sent rows, and watch "
            "the age of the oldest unsent row as the relay's health signal.",
        ),
        tradeoffs=(
            "Exact agreement between state and events, at the cost of an extra table and a relay.",
            "Events leave with a small delay (the polling interval or CDC lag).",
            "Polling is simple; CDC is lower latency but another system to run.",
        ),
        followups=(
            "Why not publish first and then write the order?",
            "The relay publishes, crashes before marking the row: what happens?",
            "How is this different from Kafka transactions?",
        ),
        lesson="walkthrough:exactly-once-whole-answer",
        watch="The last step: three services crash between storing an order and announcing "
              "it; only the one with an outbox loses no event and sends no phantom one.",
    ),
    Question(
        slug="payment-pipeline",
        topic="design",
        title="Design a payment pipeline",
        prompt="Payments are submitted by an API, authorised by a provider, then ledgered and "
               "notified. Design the messaging.",
        answer=(
            "The API validates, writes a payment row in state 'pending' with a client-supplied "
            "idempotency key, and emits PaymentRequested through an outbox. A worker consumes it, "
            "calls the provider passing the same key, and records the result; the ledger and "
            "notification services subscribe to PaymentAuthorised or PaymentFailed.",
            "Per-payment ordering matters (authorise before capture before refund), so key the "
            "messages by payment id: a Kafka partition key or an SQS FIFO message group. "
            "Different payments still proceed in parallel. Every consumer is idempotent, "
            "because every hop is at-least-once.",
            "Failures are split: transient errors (timeouts, 5xx) are retried with exponential "
            "backoff and jitter; permanent ones (card declined, malformed) are not retried but "
            "recorded as outcomes; a message that crashes the handler goes to a dead-letter "
            "queue with an alert, and a reconciliation job compares the ledger with the "
            "provider's report daily.",
        ),
        tradeoffs=(
            "Strict per-payment ordering limits parallelism to the number of keys in flight.",
            "Retrying a timed-out provider call risks a double charge unless the provider honours "
            "the idempotency key.",
            "Synchronous authorisation gives the user an answer now; asynchronous scales better.",
        ),
        followups=(
            "The provider timed out: was the card charged?",
            "How do you refund a payment whose authorisation is still in the retry queue?",
            "How do you prove to finance that every payment was ledgered once?",
        ),
        lesson="walkthrough:poison-messages",
        watch="The malformed payment retried with backoff and then dead-lettered.",
    ),
    Question(
        slug="ordering-vs-parallelism",
        topic="ordering",
        title="Ordering versus parallelism",
        prompt="Events for one customer must be processed in order, but one consumer is too "
               "slow. How do you scale?",
        answer=(
            "Global order and parallelism are incompatible; what is usually needed is order per "
            "entity. Partition the stream by that entity: in Kafka, use the customer id as the "
            "record key, so every event of a customer lands in one partition and is read by one "
            "consumer of the group, in order, while other partitions proceed in parallel.",
            "On SQS, a FIFO queue with MessageGroupId = customer id gives the same: one group's "
            "messages are delivered in order and not to two consumers at once, while different "
            "groups are processed concurrently. In RabbitMQ a single queue with one consumer is "
            "ordered; several competing consumers break the order, so you shard into several "
            "queues by key (the consistent-hash exchange does this) or use single active consumer.",
            "Parallelism is then bounded by the number of partitions (Kafka) or of active keys. "
            "Within one consumer you can still parallelise across keys, as long as one key's "
            "events are handled one at a time.",
        ),
        tradeoffs=(
            "More partitions means more parallelism, but adding partitions later moves keys to "
            "other partitions and breaks ordering across the change.",
            "A hot key cannot be spread: its partition is as slow as its consumer.",
            "Retrying one event in order blocks that key's later events (head-of-line blocking).",
        ),
        followups=(
            "What happens to ordering when you add partitions?",
            "One event for a customer keeps failing: do you block the customer or skip it?",
            "Can a RabbitMQ requeue reorder messages?",
        ),
        lesson="scenario:kafka-ordering-per-key",
        watch="Each customer's events in order although the topic as a whole is not.",
    ),
    Question(
        slug="hot-partitions",
        topic="ordering",
        title="Hot keys and hot partitions",
        prompt="One tenant produces 80% of the traffic and its partition lags while the others "
               "idle. What do you do?",
        answer=(
            "The default partitioner hashes the key, so all records of one key land in one "
            "partition, and one partition is consumed by one member of a group. More consumers "
            "or more partitions do not help that key: its throughput is bounded by one consumer.",
            "Options, by cost: make the consumer of that partition faster (batching, async I/O); "
            "split the key when strict order is only needed at a finer grain (tenant + order id, "
            "or a salted key tenant#0..N with a merge step); give the big tenant its own topic "
            "with more partitions; or, if order does not matter for those events, drop the key "
            "and let the partitioner spread them.",
            "Detect it by watching lag per partition rather than for the group as a whole: one "
            "partition's growing lag with others at zero is the signature of skew.",
        ),
        tradeoffs=(
            "Salting keys restores parallelism but loses per-key order unless merged.",
            "A dedicated topic isolates the tenant but adds routing logic in producers.",
            "Dropping keys gives even load and no ordering.",
        ),
        followups=(
            "How would you spot the hot key from metrics?",
            "Does the sticky partitioner help keyed records?",
            "How would you handle the same problem with SQS FIFO groups?",
        ),
        lesson="scenario:kafka-hot-key",
        watch="One partition's lag grows while the other consumers idle.",
    ),
    Question(
        slug="consumer-lag",
        topic="ordering",
        title="Consumer lag is growing",
        prompt="A consumer group's lag keeps growing. You add more consumers. What happens, and "
               "what else could you do?",
        answer=(
            "Lag is the distance between the log end offset and the group's committed offset, "
            "per partition. Adding consumers helps only until there is one per partition: a "
            "partition is assigned to at most one member of a group, so extra members sit idle. "
            "Each addition also triggers a rebalance during which the affected partitions are "
            "not consumed.",
            "First find where time goes. If processing per record is the bottleneck, process in "
            "batches, make I/O asynchronous, or parallelise within the consumer across keys. If "
            "the partition count is the limit, add partitions (knowing keys move). If one "
            "partition lags, it is skew, not capacity.",
            "Alert on lag expressed as time (how old is the oldest unconsumed record) rather than "
            "a record count, since the same count means minutes at night and seconds at noon; "
            "and make sure retention is longer than the worst lag, or records are deleted before "
            "they are read.",
        ),
        tradeoffs=(
            "More partitions raise the ceiling but cost broker resources and reorder keys.",
            "Parallel processing inside a consumer complicates offset commits.",
            "Bigger batches raise throughput and latency together.",
        ),
        followups=(
            "What is the maximum useful group size?",
            "What happens if lag exceeds retention?",
            "How does SQS express the same problem?",
        ),
        lesson="scenario:kafka-more-consumers-than-partitions",
        watch="The fourth consumer gets no partition and sits idle.",
    ),
    Question(
        slug="rebalancing",
        topic="ordering",
        title="Consumer group rebalancing",
        prompt="What happens when a consumer joins or crashes in a Kafka group, and how do you "
               "keep the pause short?",
        answer=(
            "The group coordinator reassigns partitions whenever membership changes: a member "
            "joins, leaves cleanly, misses heartbeats for session.timeout.ms (45 s by default "
            "since Kafka 3.0), or does not call poll within max.poll.interval.ms (5 minutes). "
            "With the classic eager protocol every member gives up all partitions and stops "
            "until the new assignment; cooperative-sticky moves only the partitions that must "
            "move.",
            "A partition that moves is resumed from the last committed offset, so anything "
            "processed but not committed is processed again by its new owner: rebalances are a "
            "source of duplicates, which is why commits should follow processing and handlers be "
            "idempotent. A crashed member's partitions wait for the session timeout to expire.",
            "To keep rebalances cheap: use the cooperative-sticky assignor (or the newer "
            "consumer group protocol of KIP-848), static membership (group.instance.id) so a "
            "restart within the timeout does not rebalance, commit in the revocation callback, "
            "and keep poll loops short so max.poll.interval.ms is never exceeded.",
        ),
        tradeoffs=(
            "A short session timeout detects crashes sooner and rebalances more on hiccups.",
            "Static membership avoids churn on restarts but delays reassignment of a dead member.",
            "Cooperative rebalancing takes more rounds but stops less of the group.",
        ),
        followups=(
            "A consumer stalls on a slow call for 6 minutes: what happens?",
            "Why would records be processed twice after a rebalance?",
            "What does a rolling deploy of 20 consumers cost?",
        ),
        lesson="walkthrough:kafka-rebalancing",
        watch="The join and the crash: who gets which partition, and what is read again.",
    ),
    Question(
        slug="poison-messages",
        topic="failure",
        title="Poison messages",
        prompt="A message crashes your consumer every time it is processed. What happens, and "
               "what do you do?",
        answer=(
            "Left alone, a poison message is redelivered for ever: a RabbitMQ consumer that "
            "nacks with requeue gets it straight back, an SQS message reappears after each "
            "visibility timeout, and a Kafka consumer that does not commit past it never moves "
            "on, blocking its whole partition.",
            "Bound the attempts, then set it aside. SQS: a redrive policy with maxReceiveCount "
            "moves it to a dead-letter queue. RabbitMQ: reject without requeue to a dead-letter "
            "exchange, or a quorum queue's delivery limit (20 by default since 4.0) dead-letters "
            "it. Kafka has no built-in DLQ: the consumer catches the failure, writes the record "
            "to a dead-letter topic and commits past it.",
            "Distinguish transient failures (retry with backoff) from permanent ones (no point "
            "retrying). Alert on the DLQ, keep the original payload and the error with the "
            "message, and have a tested way to replay it once the bug is fixed.",
        ),
        tradeoffs=(
            "Dead-lettering unblocks the stream but breaks that key's ordering.",
            "Too few attempts dead-letter messages that a transient outage failed; too many "
            "waste capacity.",
            "A DLQ nobody watches is data loss with extra steps.",
        ),
        followups=(
            "How do you tell a poison message from a downstream outage?",
            "How do you replay the DLQ after the fix?",
            "What happens to ordering for that key?",
        ),
        lesson="walkthrough:poison-messages",
        watch="Retry with backoff, then give up into the dead-letter queue.",
    ),
    Question(
        slug="retry-topics",
        topic="failure",
        title="Retry topics and backoff",
        prompt="A downstream API fails for minutes at a time. How do you retry without blocking "
               "the stream or hammering the API?",
        answer=(
            "Retrying in place blocks: the consumer sleeps and everything behind the message "
            "waits. Instead move the failed message out of the main path with a delay. In Kafka, "
            "write it to retry topics with increasing delays (retry-1m, retry-10m), each read by "
            "a consumer that waits until the record is due; after the last, a dead-letter topic.",
            "In RabbitMQ, publish to a delay queue whose message TTL expires into a dead-letter "
            "exchange that routes back to the work queue, one queue per backoff level (or the "
            "delayed-message plugin). In SQS, change the message's visibility timeout to the "
            "backoff, or send it again with DelaySeconds (at most 15 minutes).",
            "Backoff should be exponential with jitter, so that thousands of failed messages do "
            "not all retry at the same instant, and bounded by a total retry budget. A circuit "
            "breaker in front of the API stops all consumers at once when it is clearly down.",
        ),
        tradeoffs=(
            "Retry topics keep the main partition flowing but reorder the failed key's events.",
            "More backoff levels mean more topics or queues to operate.",
            "Long delays keep messages in flight and visible in nobody's dashboard.",
        ),
        followups=(
            "Why jitter?",
            "How do you keep order for a key while one of its events waits in retry?",
            "What is the maximum SQS delay?",
        ),
        lesson="scenario:poison-message-retries",
        watch="Exponential delays with jitter through the delay queues.",
    ),
    Question(
        slug="dlq-handling",
        topic="failure",
        title="Dead-letter queue handling",
        prompt="Your DLQ has 40,000 messages after a bad deploy. What now?",
        answer=(
            "First stop the bleeding and classify: sample messages and their error reasons "
            "(keep them as headers or attributes when dead-lettering). A deploy bug means the "
            "messages are good and the code was wrong; malformed payloads mean the producer "
            "needs a fix and the messages may need repair or discarding.",
            "Once the fix is deployed, redrive: SQS moves messages from a DLQ back to the source "
            "queue (StartMessageMoveTask, or the console's redrive), optionally at a capped rate; "
            "in RabbitMQ, a shovel or a small script consumes from the dead-letter queue and "
            "republishes; in Kafka, replay the dead-letter topic into the main topic or point a "
            "consumer at it.",
            "Redrive slowly enough not to overload the downstream again, expect handlers to see "
            "duplicates, and watch SQS retention: for a standard queue a dead-lettered message "
            "keeps its original enqueue timestamp, so it can expire sooner than you think — set "
            "the DLQ's retention longer than the source queue's.",
        ),
        tradeoffs=(
            "Automatic redrive is fast but can replay a still-broken path.",
            "Manual triage is safe but slow at 40,000 messages.",
            "Redriving reorders messages relative to ones processed in the meantime.",
        ),
        followups=(
            "How would you redrive only some of them?",
            "Why did some dead-lettered SQS messages disappear before the redrive?",
            "What alert should have fired, and when?",
        ),
        lesson="scenario:sqs-dlq-redrive",
        watch="After three receives SQS moves the order to the DLQ; the redrive sends it back.",
    ),
    Question(
        slug="visibility-timeout",
        topic="failure",
        title="SQS visibility timeout versus slow work",
        prompt="Some reports are emailed twice. The work takes up to 12 s and the queue's "
               "visibility timeout is 10 s. Explain and fix.",
        answer=(
            "Receiving an SQS message does not remove it: it hides it for the visibility timeout "
            "(30 s by default, up to 12 hours). If the consumer has not deleted it by then, the "
            "message becomes visible again and another consumer, or the same one, receives it. "
            "Work that takes longer than the timeout is therefore done twice.",
            "Fixes: set the visibility timeout comfortably above the worst-case processing time; "
            "for variable work, extend it while working with ChangeMessageVisibility (a "
            "heartbeat); and make the handler idempotent, because even with a good timeout a "
            "crash between the work and DeleteMessage produces a duplicate.",
            "Too long a timeout has a cost too: a consumer that crashed keeps its message hidden "
            "for the whole timeout before anyone retries it. With a redrive policy, every "
            "expiry counts as a receive towards maxReceiveCount.",
        ),
        tradeoffs=(
            "A long timeout delays recovery from crashes; a short one causes duplicates.",
            "Heartbeating the timeout adds API calls and code.",
            "Lambda sets its own rules: the queue timeout should be several times the function "
            "timeout.",
        ),
        followups=(
            "What is the maximum visibility timeout?",
            "How does a receive count reach maxReceiveCount without any error?",
            "How does RabbitMQ detect a stuck consumer instead?",
        ),
        lesson="walkthrough:sqs-visibility-timeout",
        watch="The report becomes visible again before it is deleted and is emailed twice.",
    ),
    Question(
        slug="replay-after-bug",
        topic="failure",
        title="Replaying after a bug",
        prompt="A bug in the search indexer corrupted a week of documents. How do you rebuild?",
        answer=(
            "With Kafka, if the topic still retains the week (or is compacted so it holds the "
            "latest value per key), fix the consumer and reset its group's offsets to the start "
            "of the bad period, by timestamp (kafka-consumer-groups --reset-offsets --to-datetime) "
            "or to the earliest offset, then let it reprocess. Other groups are unaffected, since "
            "each keeps its own offsets.",
            "A queue cannot do that: once acknowledged, a message is gone. With RabbitMQ or SQS "
            "you replay from somewhere else — a RabbitMQ stream, an archive the producer or a "
            "'tap' consumer wrote to object storage, or the source database. Plan for replay at "
            "design time if you use queues.",
            "Replaying must be safe: handlers must be idempotent (upserts by id and version), "
            "side effects such as emails must be suppressed during replay, and the replay must "
            "not starve live traffic — often it runs as a separate consumer group into a new "
            "index, and traffic is switched once it has caught up.",
        ),
        tradeoffs=(
            "Long retention makes replay possible and costs storage.",
            "Rebuilding into a new index is safer and needs double capacity for a while.",
            "Compacted topics replay the latest state, not the history of changes.",
        ),
        followups=(
            "How do you avoid re-sending emails during replay?",
            "The events are older than retention: now what?",
            "How does the consumer know where the bad period started?",
        ),
        lesson="scenario:kafka-replay",
        watch="The indexer seeks back to the beginning; a new group reads all the history.",
    ),
    Question(
        slug="backpressure",
        topic="failure",
        title="Backpressure",
        prompt="Producers can outpace consumers for hours. What stops the broker from filling "
               "up, and who slows down?",
        answer=(
            "A queue absorbs short spikes; a sustained imbalance only moves the problem into the "
            "broker's memory and disk. Decide what should happen when the buffer is full: block "
            "the producer, reject new messages, or drop old ones.",
            "RabbitMQ has mechanisms for each: a max-length queue with x-overflow reject-publish "
            "nacks the excess (publisher confirms let the producer see it), drop-head discards "
            "the oldest, and broker-wide memory and disk alarms block publishing connections. "
            "Consumers are protected by prefetch (basic.qos), which caps unacknowledged messages "
            "per consumer. Kafka producers block when buffer.memory is full; SQS only limits "
            "requests, so producers must watch depth themselves.",
            "End to end, push the pressure back to the edge: the API returns 429 or 503 with "
            "Retry-After when depth or lag crosses a threshold, and autoscaling of consumers "
            "acts on queue age. Shedding low-value work early is better than timing out "
            "everything.",
        ),
        tradeoffs=(
            "Blocking producers keeps every message but spreads the slowdown upstream.",
            "Rejecting or dropping protects the system and loses or defers work.",
            "Autoscaling consumers only helps if the downstream can take the extra load.",
        ),
        followups=(
            "What does the producer do when RabbitMQ nacks a publish?",
            "What is prefetch and what happens with prefetch unlimited?",
            "Which metric drives your autoscaler?",
        ),
        lesson="scenario:rate-limit-backpressure",
        watch="The capped queue nacks the excess; the other producer slows down.",
    ),
    Question(
        slug="rate-limit-consumers",
        topic="failure",
        title="Rate-limiting consumers",
        prompt="A partner API allows 100 requests per second across all your workers. How do "
               "you consume a queue without breaking that limit?",
        answer=(
            "The limit is global, so per-worker sleeps are wrong as soon as the number of workers "
            "changes. Use a shared token bucket (in Redis, or the partner's own 429 responses as "
            "the signal) that every worker takes a token from before calling, or run exactly as "
            "many consumers as the rate allows with a fixed rate each.",
            "Keep the broker from pushing more than the worker can hold: prefetch of a few "
            "messages in RabbitMQ, small ReceiveMessage batches in SQS, max.poll.records in Kafka. "
            "Messages waiting for a token should still be inside their visibility timeout or "
            "poll interval.",
            "When the partner answers 429, back off with jitter rather than retrying at once, and "
            "let the queue absorb the backlog; that is what it is for.",
        ),
        tradeoffs=(
            "A central token bucket is exact and is one more dependency.",
            "Fixed consumer counts are simple and waste capacity when the limit changes.",
            "Holding messages while waiting risks visibility timeouts and session timeouts.",
        ),
        followups=(
            "How do you share the budget between a high- and a low-priority queue?",
            "What happens to SQS messages a worker holds while waiting for tokens?",
            "Where do you put the limit in a Lambda + SQS design?",
        ),
        lesson="scenario:rate-limit-backpressure",
        watch="Consumers held to 2 messages/s by a token bucket.",
    ),
    Question(
        slug="competing-consumers-prefetch",
        topic="ordering",
        title="Work queues and prefetch",
        prompt="Two workers share a queue; one is eight times slower. Why does the work finish "
               "late, and what setting fixes it?",
        answer=(
            "RabbitMQ pushes messages to consumers round-robin. Without a prefetch limit the "
            "broker sends as many messages as it can, so the slow worker receives half of the "
            "backlog up front and sits on it while the fast worker runs out of work.",
            "basic.qos with a prefetch count bounds how many unacknowledged messages a consumer "
            "holds. With prefetch 1 each worker gets a new message only after acknowledging the "
            "last, so work goes to whoever is free. Larger values (tens to a few hundred) keep "
            "fast consumers busy across network round-trips and are the usual production choice.",
            "Kafka and SQS are pull-based, so the equivalent knobs are max.poll.records and the "
            "number of messages per ReceiveMessage; in Kafka the unit of distribution is still "
            "the partition, not the message.",
        ),
        tradeoffs=(
            "Prefetch 1 is fair and slow over a high-latency link.",
            "High prefetch is fast and unfair, and a crash redelivers more messages.",
            "Prefetch also bounds the memory a consumer needs.",
        ),
        followups=(
            "What happens to the prefetched messages when a worker crashes?",
            "How would you pick the prefetch value?",
            "Is there an equivalent in SQS?",
        ),
        lesson="walkthrough:work-queue",
        watch="With prefetch 1 the fast worker takes more tasks and the batch finishes sooner.",
    ),
    Question(
        slug="priority-work",
        topic="design",
        title="Priority work",
        prompt="Password-reset emails wait behind a backlog of 30,000 monthly reports. Fix it.",
        answer=(
            "The simplest robust answer is separate queues: one for urgent, one for bulk, each "
            "with its own consumers (or consumers that always drain the urgent queue first). "
            "Bulk can never starve urgent work of workers, and each queue has its own metrics.",
            "RabbitMQ classic queues also support priorities: declare x-max-priority (255 at "
            "most; 1 to 5 levels are strongly advised) and publish with a priority; a "
            "consumer receives higher-priority messages first among those not yet delivered. "
            "Keep prefetch low, since messages already sent to a consumer cannot be overtaken. "
            "Quorum queues have two levels (normal and high) in 4.0 to 4.2 and up to 32 from 4.3.",
            "Kafka and SQS have no per-message priority: use separate topics or queues and give "
            "the urgent ones more consumers, or have each worker poll the urgent queue first and "
            "fall back to the bulk queue only when the urgent one is empty.",
        ),
        tradeoffs=(
            "Priority queues are one queue to run but can starve low priorities.",
            "Separate queues are explicit and need capacity planning per class.",
            "Many priority levels cost CPU and memory in RabbitMQ.",
        ),
        followups=(
            "Can a low-priority message starve for ever?",
            "Why does prefetch matter for priorities?",
            "How do you do priorities on SQS?",
        ),
        lesson="scenario:priorities",
        watch="The five urgent messages overtake the backlog.",
    ),
    Question(
        slug="delayed-jobs",
        topic="design",
        title="Delayed and scheduled jobs",
        prompt="Send a reminder 24 hours after signup, to millions of users. How?",
        answer=(
            "Brokers are poor schedulers for long delays. SQS delays a message by at most 15 "
            "minutes (DelaySeconds); RabbitMQ can delay with per-queue message TTL plus a "
            "dead-letter exchange, or with the delayed-message plugin, both of which hold every "
            "pending message in the broker; Kafka has no delay at all.",
            "For 24 hours, store the job in a database (due_at, user_id, status) with an index on "
            "due_at, and have a scheduler poll due rows and publish them to a work queue; "
            "managed options are EventBridge Scheduler on AWS. Short delays (retry backoff of "
            "seconds to minutes) are fine in the broker.",
            "Make the reminder idempotent and re-check its condition at send time (the user may "
            "have already completed what the reminder asks for), and spread due times with a "
            "little jitter so midnight does not become a spike.",
        ),
        tradeoffs=(
            "Broker delays are simple and limited (15 min in SQS) or memory-hungry.",
            "A scheduler table is durable, queryable and cancellable, at the cost of a poller.",
            "Polling precision against database load.",
        ),
        followups=(
            "How do you cancel a scheduled reminder?",
            "The scheduler runs twice by accident: what happens?",
            "What is SQS's maximum delay and visibility timeout?",
        ),
        lesson="scenario:poison-message-retries",
        watch="Messages parked in delay queues until their TTL sends them back.",
    ),
    Question(
        slug="request-reply",
        topic="design",
        title="Request-reply over a broker",
        prompt="Service A needs an answer from service B, but they talk through RabbitMQ. How?",
        answer=(
            "The client declares a reply queue (often exclusive and server-named, or the "
            "direct reply-to pseudo-queue), publishes the request with reply_to set to it and a "
            "unique correlation_id, and waits. The server consumes the request queue and "
            "publishes the answer to the reply_to queue with the same correlation_id; the "
            "client matches answers to requests by that id.",
            "The client needs a timeout, since the server may be down or slow, and must ignore "
            "late answers whose correlation id it no longer waits for. Requests should be "
            "idempotent, because a timeout followed by a retry can run the request twice.",
            "Ask whether it should be a message at all: if the caller blocks for the answer, "
            "plain HTTP or gRPC is simpler. Request-reply over a broker pays off when the "
            "server side is a pool of workers that benefit from queueing and load balancing.",
        ),
        tradeoffs=(
            "Load balancing and buffering of requests, at the cost of latency and complexity.",
            "Per-client reply queues are simple; a shared reply queue needs routing.",
            "Timeouts turn into duplicates unless requests are idempotent.",
        ),
        followups=(
            "What does the client do with a reply that arrives after its timeout?",
            "Why an exclusive queue for replies?",
            "When would you use HTTP instead?",
        ),
        lesson="scenario:request-reply-rpc",
        watch="Each answer matched to its request by correlation_id.",
    ),
    Question(
        slug="fan-in-aggregation",
        topic="design",
        title="Fan-in and aggregation",
        prompt="A quote request goes to five insurers; you must answer with the best quote "
               "within 2 s. Design the fan-out and the fan-in.",
        answer=(
            "Scatter-gather: publish the request once with a correlation id and a reply "
            "address (a reply queue or a results topic), let each insurer adapter answer with "
            "that id, and have an aggregator collect replies by correlation id until it has all "
            "five or the deadline passes.",
            "The aggregator's state is per request: which replies arrived, when the deadline "
            "is. Keep it in memory if losing in-flight requests on a crash is acceptable, or in "
            "a store (Redis, a database) keyed by correlation id if not. With Kafka, key the "
            "replies by correlation id so one aggregator instance sees all of a request's "
            "replies.",
            "Decide the completion rule explicitly (all replies, a quorum, or the deadline), "
            "ignore replies that arrive after completion, and make the aggregator idempotent "
            "towards duplicate replies.",
        ),
        tradeoffs=(
            "Waiting for all replies gives the best answer and the worst latency.",
            "Stateful aggregation needs a partitioning key or a shared store.",
            "A deadline means some answers are always thrown away.",
        ),
        followups=(
            "One insurer always answers at 1.9 s: how do you protect your p99?",
            "The aggregator crashes mid-request: what does the user see?",
            "How do you scale aggregators horizontally?",
        ),
        lesson="scenario:request-reply-rpc",
        watch="The correlation id that joins a reply to its request.",
    ),
    Question(
        slug="routing-selective",
        topic="design",
        title="Selective subscriptions and routing",
        prompt="The EU fraud team wants only EU order-created events; the audit team wants "
               "everything. How do you route?",
        answer=(
            "Give the routing information a structure and let the broker filter. In RabbitMQ, "
            "publish with routing keys such as order.eu.created to a topic exchange: the fraud "
            "queue binds order.eu.created, the audit queue binds '#' (zero or more words), and "
            "'*' matches exactly one word. A direct exchange matches the key exactly.",
            "On AWS, SNS subscription filter policies match message attributes or the body, so "
            "each SQS queue subscribed to the topic receives only what its policy selects. Kafka "
            "does not filter on the broker: either consumers filter what they read, or a stream "
            "processor splits the topic into narrower topics.",
            "Plan for events that match nothing: a message routed to no queue is dropped unless "
            "the publisher uses the mandatory flag or the exchange has an alternate exchange.",
        ),
        tradeoffs=(
            "Broker-side routing saves consumers from reading what they discard.",
            "Routing keys become a naming contract that is hard to change.",
            "Consumer-side filtering in Kafka is simple and reads more data.",
        ),
        followups=(
            "What happens to a message whose key no binding matches?",
            "How would you add a region without breaking consumers?",
            "How does an SNS filter policy differ from a topic binding?",
        ),
        lesson="walkthrough:topic-routing",
        watch="Keys such as order.eu.created reach the queues whose patterns match.",
    ),
    Question(
        slug="fifo-groups",
        topic="ordering",
        title="SQS FIFO: message groups and deduplication",
        prompt="On AWS, per-account events must be applied in order, and a client sometimes "
               "sends the same deposit twice. What does SQS FIFO give you?",
        answer=(
            "A FIFO queue orders messages within a MessageGroupId and does not hand out a "
            "group's next message while an earlier one is in flight, so one account's events "
            "are processed one at a time, in order, while different accounts proceed in "
            "parallel across consumers.",
            "A send carrying a MessageDeduplicationId already seen in the last 5 minutes is "
            "accepted but not delivered again; content-based deduplication derives the id from "
            "a SHA-256 hash of the body. That removes producer-side duplicates, such as a retry "
            "after a network timeout, within that window only.",
            "It does not remove consumer-side duplicates: a consumer that exceeds the visibility "
            "timeout or crashes before deleting will see the message again. Throughput is "
            "bounded per API action (300 transactions/s, 3,000 messages/s with batches of 10, "
            "more in high-throughput mode), and a group whose head message keeps failing is "
            "blocked until it is dead-lettered.",
        ),
        tradeoffs=(
            "Order per group and dedup, with lower throughput than standard queues.",
            "A failing message blocks its whole group.",
            "Few distinct groups limit parallelism and, in high-throughput mode, partition spread.",
        ),
        followups=(
            "The duplicate arrives 6 minutes later: what happens?",
            "How many consumers can work on one group at once?",
            "Why can a FIFO consumer still see a message twice?",
        ),
        lesson="walkthrough:sqs-fifo-groups",
        watch="Two consumers never work on one account at once; dave's repeated deposit is "
              "delivered once.",
    ),
    Question(
        slug="durability",
        topic="failure",
        title="Durable versus transient",
        prompt="A broker node restarts. Which messages survive, and what would you configure so "
               "that acknowledged orders are never lost?",
        answer=(
            "In RabbitMQ, a queue declared durable survives a restart, and a message survives "
            "only if it was published persistent (delivery_mode 2) to a durable queue; transient "
            "messages and non-durable queues are lost. Exclusive queues disappear with their "
            "connection. A single node's disk is still a single point of failure: quorum queues "
            "replicate each message to a majority of nodes with Raft before confirming it.",
            "The producer must know the broker has it: RabbitMQ publisher confirms, Kafka "
            "acks=all with min.insync.replicas=2 on a replication factor of 3 (acks=all is the "
            "producer default since Kafka 3.0), and a successful SendMessage response from SQS, "
            "which stores messages redundantly across several servers.",
            "Then the consumer side: acknowledge after processing. Durability buys latency "
            "(fsyncs, replication round-trips), so transient queues are still right for data "
            "you can recompute, such as live dashboards.",
        ),
        tradeoffs=(
            "Replication and confirms cost latency and throughput.",
            "min.insync.replicas=2 refuses writes when too few replicas are in sync: "
            "availability traded for durability.",
            "Transient messaging is faster and loses data on every restart.",
        ),
        followups=(
            "What does unclean leader election trade?",
            "Why is a persistent message in a non-durable queue still lost?",
            "How many node failures does a 3-node quorum queue tolerate?",
        ),
        lesson="walkthrough:durability",
        watch="The restart: only the durable queue with persistent messages keeps its orders.",
    ),
    Question(
        slug="multi-region",
        topic="design",
        title="Multi-region messaging",
        prompt="The business wants the order pipeline to survive the loss of a whole region. "
               "What changes?",
        answer=(
            "A cluster stretched across regions pays cross-region latency on every replicated "
            "write, so the usual design is a cluster per region plus asynchronous replication "
            "between them: Kafka MirrorMaker 2 (or a managed equivalent) copies topics and "
            "translates consumer offsets; RabbitMQ uses federation or shovels; on AWS, SNS can "
            "deliver to SQS queues in other regions, or producers write to both.",
            "Asynchronous replication means a failover can lose the last seconds of data (RPO "
            "above zero) and, after failback, duplicates. Offsets do not map one-to-one between "
            "clusters, so consumers resume from translated or timestamp-based positions and "
            "must be idempotent.",
            "Decide active-passive (one region writes, simpler, slower failover) or "
            "active-active (each region writes its own topics, consumers read both, avoid "
            "replication loops by naming topics per source region). Ordering across regions is "
            "rarely guaranteed; keep each entity's writes homed in one region.",
        ),
        tradeoffs=(
            "Synchronous cross-region replication: no data loss, high write latency.",
            "Asynchronous: fast writes, some loss and duplicates on failover.",
            "Active-active doubles capacity use and complicates ordering and conflicts.",
        ),
        followups=(
            "What is your RPO and RTO, and what sets them?",
            "How do consumers find their position after failover?",
            "How do you stop events looping between regions?",
        ),
        lesson="scenario:kafka-broker-failure",
        watch="Within one region: leader election keeps the cluster writing when a broker dies.",
    ),
    Question(
        slug="schema-evolution",
        topic="design",
        title="Schema evolution",
        prompt="Ten services consume OrderPlaced. You need to rename a field and add another. "
               "How do you change the event without breaking anyone?",
        answer=(
            "Producers and consumers deploy independently, and with Kafka old records are read "
            "again on replay, so every change must be compatible. Adding an optional field "
            "with a default is backward and forward compatible; renaming or removing a field, "
            "or changing its type, is not. A rename is done as add the new field, write both, "
            "migrate consumers, stop writing the old one.",
            "Use a schema format with explicit rules (Avro, Protobuf, JSON Schema) and a schema "
            "registry that checks each new version against the configured compatibility mode "
            "before producers may use it; carry the schema id or a version in each message "
            "header so consumers know what they read.",
            "For a truly breaking change, publish a new event type or topic (OrderPlaced.v2), "
            "run both during the migration, and retire the old one when its consumer groups "
            "have moved.",
        ),
        tradeoffs=(
            "Strict compatibility checks slow down changes and prevent outages.",
            "Versioned topics make breaking changes possible and double the streams for a while.",
            "Binary formats are compact and need tooling to read.",
        ),
        followups=(
            "Which is harder to keep: backward or forward compatibility?",
            "What happens when you replay last year's events with today's consumer?",
            "Where does the schema version travel?",
        ),
        lesson="scenario:kafka-replay",
        watch="A new group reads the whole history: every old record must still parse.",
    ),
    Question(
        slug="saga-choreography",
        topic="design",
        title="Sagas: choreography or orchestration",
        prompt="Placing an order reserves stock, charges the card and books delivery, each in a "
               "different service. How do you keep them consistent?",
        answer=(
            "There is no distributed transaction across the three, so use a saga: a sequence of "
            "local transactions, each publishing an event, with a compensating action for each "
            "step (release stock, refund) run when a later step fails.",
            "In choreography, services react to each other's events (StockReserved triggers the "
            "charge, PaymentFailed triggers the stock release); nothing is central, but the flow "
            "exists only implicitly across services and is hard to follow. In orchestration, a "
            "saga orchestrator sends commands and tracks the state of each order, which makes "
            "the flow explicit and testable at the cost of a central component.",
            "Either way each step must be idempotent and publish its event atomically with its "
            "state change (the outbox), and compensations must be safe to run twice. The system "
            "is eventually consistent: the UI shows 'processing' rather than a final answer.",
        ),
        tradeoffs=(
            "Choreography: loose coupling, hidden flow, cyclic dependencies creep in.",
            "Orchestration: explicit flow and timeouts, one more service that owns logic.",
            "Compensation is not rollback: a refund is visible to the customer.",
        ),
        followups=(
            "The refund fails: what now?",
            "How do you see where a given order is stuck?",
            "Which steps can run in parallel?",
        ),
        lesson="walkthrough:publish-subscribe",
        watch="One event, several services reacting on their own.",
    ),
    Question(
        slug="event-sourcing-vs-messaging",
        topic="foundations",
        title="Event sourcing versus messaging",
        prompt="Is Kafka an event store? When would you use event sourcing, and when just "
               "events on a bus?",
        answer=(
            "Event-driven messaging uses events to notify other services; the source of truth "
            "stays in each service's database. Event sourcing makes the events themselves the "
            "source of truth: an entity's state is rebuilt by replaying its events, and new "
            "read models can be derived from the full history.",
            "Kafka can keep events for ever (retention -1 or compaction) and replays well, but "
            "an event store also needs to load one entity's events quickly and to append with "
            "optimistic concurrency (expected version), which Kafka does not offer per key. "
            "Teams often keep the event store in a database and publish its events to Kafka for "
            "other consumers.",
            "Choose event sourcing where history is the product (ledgers, audit, undo) and the "
            "team can handle versioned events and projections; otherwise publish events from a "
            "state-based service with an outbox.",
        ),
        tradeoffs=(
            "Full history and replayable read models against complexity and event versioning.",
            "Rebuilding state from events needs snapshots as histories grow.",
            "Deleting personal data from an immutable log needs a plan (crypto-shredding).",
        ),
        followups=(
            "How do you enforce that an account never goes negative with event sourcing?",
            "How do you correct a wrong event?",
            "What is a compacted topic good for here?",
        ),
        lesson="scenario:kafka-replay",
        watch="A brand-new group reads the whole retained history.",
    ),
)


def by_slug(slug: str) -> Question | None:
    return next((q for q in QUESTIONS if q.slug == slug), None)
