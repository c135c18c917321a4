"""Causes: each movement says the broker rule that made it, with that rule's inputs, and the
sentence a learner reads in the trace. One test per cause kind, named after its rule and its
source; "why didn't it...?" answers at the end."""

from __future__ import annotations

import json

from engine import Simulation
from engine.causes import say
from engine.kafka import partition_for_key
from engine.rabbitmq import BasicProperties
from engine.rabbitmq.why import closest, header_failure, why_not_queue, word_distance
from engine.sqs.why import why_not_received


def listen(sim: Simulation) -> list:
    events: list = []
    sim.subscribe(events.append)
    return events


def causes(events, message_id=None, kind=None):
    return [e.cause for e in events if (message_id is None or e.message_id == message_id)
            and (kind is None or e.kind == kind)]


def orders_world(prefetch=1):
    """Topic exchange ``orders``: ``billing`` by ``order.*`` and ``*.created``, ``audit`` by
    ``order.*.shipped``; ``billing`` dead-letters to fanout ``dlx`` → ``parked``."""
    sim = Simulation(seed=1)
    events = listen(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("orders", "topic")
    ch.exchange_declare("dlx", "fanout")
    ch.queue_declare("parked")
    ch.queue_bind("parked", "dlx")
    ch.queue_declare("billing", arguments={"x-dead-letter-exchange": "dlx"})
    ch.queue_declare("audit")
    for queue, key in (("billing", "order.*"), ("billing", "*.created"),
                       ("audit", "order.*.shipped")):
        ch.queue_bind(queue, "orders", key)
    return sim, events, ch


def held_consumer(sim, queue, tag, prefetch=1):
    ch = sim.rabbitmq.channel()
    ch.basic_qos(prefetch_count=prefetch)
    tags: list[int] = []
    ch.basic_consume(queue, lambda c, m, p, b: tags.append(m.delivery_tag), consumer_tag=tag)
    return ch, tags


# -- RabbitMQ ------------------------------------------------------------------------------
def test_topic_exchange_binding_cause_names_matched_and_unmatched_bindings():
    """"Exchanges" guide, topic exchange: ``*`` is one word; every binding is judged."""
    sim, events, ch = orders_world()
    ch.basic_publish("orders", "order.shipped", b"x")
    enqueued = causes(events, "m1", "enqueued")
    assert enqueued == [{"rule": "binding", "exchange": "orders", "type": "topic",
                         "routing_key": "order.shipped", "matched": ["order.*"],
                         "unmatched": ["*.created", "order.*.shipped"], "more": 0,
                         "queue": "billing", "position": 1}]
    assert say(enqueued[0]) == ("routed by exchange `orders` (binding `order.*` matched; "
                                "`*.created`, `order.*.shipped` did not) → enqueued in "
                                "`billing` (position 1)")


def test_enqueue_position_counts_the_ready_messages_ahead():
    sim, events, ch = orders_world()
    for _ in range(3):
        ch.basic_publish("orders", "order.created", b"x")
    assert [c["position"] for c in causes(events, kind="enqueued")] == [1, 2, 3]


def test_default_exchange_routes_by_queue_name():
    """"Exchanges" guide, default exchange: the routing key names the queue."""
    sim, events, ch = orders_world()
    ch.basic_publish("", "audit", b"x")
    assert say(causes(events, "m1", "enqueued")[0]) == (
        "routed by the default exchange (the routing key names the queue) → enqueued in "
        "`audit` (position 1)")


def test_round_robin_then_prefetch_limit_pick_the_consumer():
    """"Consumers" guide (round-robin) and "Consumer Prefetch" (a consumer at its limit is
    skipped): worker-1 holds one unacked message, so worker-2 gets the next."""
    sim, events, ch = orders_world()
    held_consumer(sim, "billing", "worker-1")
    held_consumer(sim, "billing", "worker-2")
    ch.basic_publish("orders", "order.created", b"a")
    ch.basic_publish("orders", "order.created", b"b")
    sim.advance(0)
    first, second = causes(events, kind="delivered")
    assert first["rule"] == "round-robin" and first["consumer"] == "worker-1"
    assert second == {"rule": "prefetch", "consumer": "worker-2", "queue": "billing",
                      "redelivered": False, "consumers": 2, "prefetch": 1,
                      "busy": ["worker-1"], "more": 0}
    assert say(second) == ("delivered to `worker-2` (prefetch 1: `worker-1` was at its "
                           "prefetch limit)")


def test_single_active_consumer_gets_everything():
    """"Consumers" guide, single active consumer."""
    sim = Simulation(seed=1)
    events = listen(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("jobs", arguments={"x-single-active-consumer": True})
    held_consumer(sim, "jobs", "first", prefetch=0)
    held_consumer(sim, "jobs", "second", prefetch=0)
    ch.basic_publish("", "jobs", b"a")
    sim.advance(0)
    assert [c["rule"] for c in causes(events, kind="delivered")] == ["single-active"]


def test_nack_requeues_at_the_head_and_the_next_delivery_is_redelivered():
    """"Consumer Acknowledgements and Publisher Confirms": a requeued message goes back to
    its original place (the head here) and is delivered again with redelivered=true."""
    sim, events, ch = orders_world()
    worker, tags = held_consumer(sim, "billing", "worker-1")
    ch.basic_publish("orders", "order.created", b"a")
    ch.basic_publish("orders", "order.created", b"b")
    sim.advance(0)
    worker.basic_nack(tags[0], requeue=True)
    sim.advance(0)
    requeued = causes(events, "m1", "requeued")[0]
    assert requeued == {"rule": "requeue", "how": "basic.nack with requeue=true",
                        "queue": "billing", "place": "head"}
    assert say(requeued) == "basic.nack with requeue=true: requeued at the head of `billing`"
    again = causes(events, "m1", "delivered")[-1]
    assert again["redelivered"] is True
    assert say(again).startswith("delivered again (redelivered) to `worker-1`")


def test_reject_dead_letters_with_reason_and_x_death_count():
    """"Dead Letter Exchanges": reason rejected, x-death count per (queue, reason); the
    second death in the same queue for the same reason counts 2."""
    sim = Simulation(seed=1)
    events = listen(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("dlx", "fanout")
    ch.queue_declare("work", arguments={"x-dead-letter-exchange": "dlx"})
    ch.queue_bind("work", "dlx")  # back into work: a rejection loop counts up
    worker, tags = held_consumer(sim, "work", "w")
    ch.basic_publish("", "work", b"a")
    sim.advance(0)
    worker.basic_reject(tags[0], requeue=False)
    sim.advance(0)
    worker.basic_reject(tags[1], requeue=False)
    deaths = causes(events, "m1", "dead-lettered")
    assert [(c["reason"], c["count"], c["dlx"]) for c in deaths] == [
        ("rejected", 1, "dlx"), ("rejected", 2, "dlx")]
    assert say(deaths[1]) == ("dead-lettered (reason rejected; x-death count 2): "
                              "basic.reject with requeue=false in `work` → dead-letter "
                              "exchange `dlx`")


def one_queue(name, arguments, bodies):
    """A queue with ``arguments`` and no consumer, ``bodies`` published to it."""
    sim = Simulation(seed=1)
    events = listen(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare(name, arguments=arguments)
    for body in bodies:
        ch.basic_publish("", name, body)
    return sim, events


def test_ttl_expiry_without_a_dead_letter_exchange_discards():
    """"TTL" guide: x-message-ttl; expired at the head, discarded with no DLX."""
    sim, events = one_queue("short", {"x-message-ttl": 500}, [b"a"])
    sim.advance(1)
    expired = causes(events, "m1", "expired")
    assert expired == [{"rule": "ttl", "queue": "short", "ttl": 500}]
    assert say(expired[0]) == ("expired by TTL (500 ms) in `short`; no dead-letter exchange, "
                               "discarded")


def test_max_length_drop_head_pushes_the_oldest_out():
    """"Queue Length Limit": drop-head (the default) drops the oldest ready message."""
    _, events = one_queue("small", {"x-max-length": 1}, [b"a", b"b"])
    dropped = causes(events, "m1", "dropped")
    assert dropped[0]["rule"] == "max-length" and dropped[0]["refused"] is False
    assert say(dropped[0]) == ("pushed out of `small` by max-length overflow "
                               "(x-max-length=1, drop-head); no dead-letter exchange, discarded")


def test_reject_publish_refuses_the_new_message():
    """"Queue Length Limit", reject-publish: the newest message is turned away."""
    _, events = one_queue("small", {"x-max-length": 1, "x-overflow": "reject-publish"},
                          [b"a", b"b"])
    refused = causes(events, "m2", "dropped")[0]
    assert refused["refused"] is True
    assert say(refused) == ("refused by `small`: full (x-max-length=1, reject-publish): the "
                            "new message is turned away")


def test_unroutable_mandatory_message_is_returned_naming_the_bindings_tried():
    """"Publishers" guide, unroutable messages: mandatory → basic.return."""
    sim, events, ch = orders_world()
    ch.basic_publish("orders", "user.signup", b"x", mandatory=True)
    returned = causes(events, "m1", "returned")[0]
    assert returned["rule"] == "unroutable" and returned["mandatory"] is True
    assert say(returned) == (
        "returned to the publisher as unroutable: no binding of exchange `orders` matches "
        "routing key `user.signup` (tried `order.*`, `*.created`, `order.*.shipped`) and "
        "mandatory=true")


def test_alternate_exchange_takes_what_no_binding_matched():
    """"Alternate Exchanges"."""
    sim = Simulation(seed=1)
    events = listen(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("other", "fanout")
    ch.exchange_declare("main", "direct", arguments={"alternate-exchange": "other"})
    ch.queue_declare("rest")
    ch.queue_bind("rest", "other")
    ch.basic_publish("main", "nope", b"x")
    assert causes(events, "m1", "routed") == [
        {"rule": "alternate-exchange", "exchange": "main", "to": "other"}]


def test_headers_exchange_cause_lists_the_binding_that_matched():
    sim = Simulation(seed=1)
    events = listen(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("docs", "headers")
    ch.queue_declare("pdf")
    ch.queue_bind("pdf", "docs", "", arguments={"format": "pdf"})
    ch.queue_declare("zip")
    ch.queue_bind("zip", "docs", "", arguments={"format": "zip"})
    ch.basic_publish("docs", "", b"x", BasicProperties(headers={"format": "pdf"}))
    cause = causes(events, "m1", "enqueued")[0]
    assert (cause["matched"], cause["unmatched"]) == (["all: format=pdf"], ["all: format=zip"])


# -- Kafka ---------------------------------------------------------------------------------
def kafka_world():
    sim = Simulation(seed=1)
    events = listen(sim)
    kafka = sim.kafka
    kafka.create_topic("orders", num_partitions=3)
    consumers = [kafka.consumer(group_id="g", client_id=name, auto_offset_reset="earliest",
                                enable_auto_commit=False) for name in ("c1", "c2", "c3", "c4")]
    for consumer in consumers:
        consumer.subscribe(["orders"])
    sim.advance(0)
    return sim, events, kafka, consumers


def test_key_goes_through_murmur2_to_its_partition():
    """DefaultPartitioner / BuiltInPartitioner: murmur2(key) mod the partition count."""
    sim, events, kafka, _ = kafka_world()
    kafka.producer().send("orders", value=b"v", key=b"alice")
    produced = causes(events, kind="produced")[0]
    assert produced["rule"] == "key-hash"
    assert produced["partition"] == partition_for_key(b"alice", 3)
    assert say(produced) == f"key `alice` → murmur2 → partition {produced['partition']} of 3"
    appended = causes(events, kind="appended")[0]
    assert appended["rule"] == "append" and appended["offset"] == 0


def test_without_a_key_the_sticky_partitioner_chooses():
    """KIP-480 sticky partitioner for records without a key."""
    sim, events, kafka, _ = kafka_world()
    kafka.producer().send("orders", value=b"v")
    assert causes(events, kind="produced")[0]["rule"] == "sticky"


def test_fetch_names_the_owner_and_the_assignor_and_the_commit_follows():
    """Consumer group protocol: one owner per partition in a group, by the range assignor;
    a commit stores the next offset to read (offset + 1)."""
    sim, events, kafka, consumers = kafka_world()
    kafka.producer().send("orders", value=b"v", key=b"alice")
    partition = partition_for_key(b"alice", 3)
    sim.advance(1)
    for consumer in consumers:
        consumer.poll()
        consumer.commit()
    fetched = causes(events, kind="delivered")[0]
    owner = fetched["consumer"]
    assert fetched == {"rule": "assignment", "consumer": owner,
                       "partition": f"orders/{partition}", "assignor": "range",
                       "group": "g", "offset": 0, "again": False}
    commits = [c for c in causes(events, kind="committed")
               if c["partition"] == f"orders/{partition}"]
    assert commits[-1]["offset"] == 1
    assert say(commits[-1]) == f"group `g` committed orders/{partition} at 1"


def test_why_didnt_the_idle_consumer_get_the_record():
    from engine.kafka.why import why_not_fetched

    sim, events, kafka, consumers = kafka_world()
    kafka.producer().send("orders", value=b"v", key=b"alice")
    partition = partition_for_key(b"alice", 3)
    idle = next(c for c in consumers if not c.assignment())
    owner = next(c for c in consumers if ("orders", partition) in c.assignment())
    assert why_not_fetched(kafka, idle.client_id, "orders", partition, 0) == (
        f"orders/{partition} is owned by `{owner.client_id}` under the range assignor: in a "
        f"group each partition is read by one consumer; `{idle.client_id}` owns no partition "
        "at all (4 consumers share 3 partitions of `orders`)")


# -- SQS -----------------------------------------------------------------------------------
ARN = "arn:aws:sqs:us-east-1:000000000000:"


def sqs_world(max_receive_count=3):
    sim = Simulation(seed=1)
    events = listen(sim)
    sqs = sim.sqs
    sqs.create_queue("orders-dlq")
    url = sqs.create_queue("orders", {"VisibilityTimeout": "30", "RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": ARN + "orders-dlq", "maxReceiveCount": max_receive_count})})
    return sim, events, sqs, url["QueueUrl"]


def test_receive_hides_the_message_and_the_timeout_makes_it_visible_again():
    """"Amazon SQS visibility timeout": hidden for the timeout; not deleted in time, it is
    visible again and the next receive counts one more."""
    sim, events, sqs, url = sqs_world()
    mid = sqs.send_message(url, "hello")["MessageId"]
    sqs.receive_message(url, consumer="worker-1")
    received = causes(events, mid, "received")[0]
    assert received == {"rule": "receive", "count": 1, "visibility": 30, "until": 30.0,
                        "consumer": "worker-1", "queue": "orders"}
    assert say(received) == ("received by `worker-1` (receive count 1), hidden for 30 s "
                             "until t=30 s")
    sim.advance(30)
    assert say(causes(events, mid, "visible")[0]) == (
        "visible again: the visibility timeout expired before a delete (received once)")


def test_receive_past_max_receive_count_moves_to_the_dlq():
    """"Using dead-letter queues": past maxReceiveCount, the next receive moves it."""
    sim, events, sqs, url = sqs_world(max_receive_count=3)
    mid = sqs.send_message(url, "hello")["MessageId"]
    for _ in range(4):
        sqs.receive_message(url)
        sim.advance(31)
    moved = causes(events, mid, "dead-lettered")
    assert moved == [{"rule": "redrive", "count": 4, "max": 3, "dlq": "orders-dlq"}]
    assert say(moved[0]) == ("received a 4th time ⇒ moved to the DLQ `orders-dlq` by "
                             "maxReceiveCount 3")


def test_delete_with_the_latest_handle_ends_the_message():
    sim, events, sqs, url = sqs_world()
    mid = sqs.send_message(url, "hello")["MessageId"]
    handle = sqs.receive_message(url)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(url, handle)
    assert causes(events, mid, "deleted") == [{"rule": "delete", "count": 1}]


def test_why_wasnt_it_received_in_flight_and_fifo_group_blocked():
    """"Message ordering" (FIFO): while one message of a group is in flight, no later one of
    that group is returned."""
    sim, events, sqs, url = sqs_world()
    mid = sqs.send_message(url, "hello")["MessageId"]
    sqs.receive_message(url, consumer="worker-1")
    assert why_not_received(sqs, "orders", mid) == (
        "it is in flight: received by `worker-1` at t=0 s (receive count 1) and hidden until "
        "t=30 s; a receive before then skips it, and a delete ends it")
    fifo = sqs.create_queue("f.fifo", {"FifoQueue": "true",
                                       "ContentBasedDeduplication": "true"})["QueueUrl"]
    first = sqs.send_message(fifo, "a", MessageGroupId="g")["MessageId"]
    second = sqs.send_message(fifo, "b", MessageGroupId="g")["MessageId"]
    sqs.receive_message(fifo, MaxNumberOfMessages=1)
    assert why_not_received(sqs, "f.fifo", second).startswith(
        f"FIFO group `g` is blocked by message `{first}`, in flight until t=30 s")


# -- why didn't it reach the queue (RabbitMQ) ------------------------------------------------
def test_word_distance_prefers_a_missing_wildcard_to_a_different_word():
    assert word_distance("order.*", "order.shipped") == 0
    assert word_distance("order.#", "order.a.b.c") == 0
    assert word_distance("order.*.shipped", "order.shipped") == 1
    assert word_distance("*.created", "order.shipped") == 2
    assert closest(["*.created", "order.*.shipped"], "order.shipped") == "order.*.shipped"


def test_why_did_nothing_reach_audit_names_the_closest_binding():
    sim, events, ch = orders_world()
    ch.queue_bind("audit", "orders", "audit.#")
    assert why_not_queue(sim.rabbitmq, "audit", "orders", "order.shipped", None) == (
        "no binding of `orders` to `audit` matches `order.shipped`; the closest binding is "
        "`order.*.shipped`")
    assert why_not_queue(sim.rabbitmq, "parked", "orders", "order.shipped", None) == (
        "`parked` has no binding from `orders`; it is bound to `dlx`")


def test_headers_binding_says_which_argument_failed():
    """"Exchanges" guide, headers exchange: x-match all needs every argument."""
    assert header_failure({"x-match": "all", "format": "zip", "lang": "en"},
                          {"format": "pdf", "lang": "en"}) == (
        "header `format` is `pdf`, the binding wants `zip`")
    assert header_failure({"type": "report"}, {}) == "header `type` is missing"


def test_a_cause_lists_a_few_bindings_and_counts_the_rest():
    """A cause stays small on a big exchange: six bindings named, the others counted."""
    sim = Simulation(seed=1)
    events = listen(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("wide", "topic")
    ch.queue_declare("q")
    for n in range(30):
        ch.queue_bind("q", "wide", f"k{n}.*")
    ch.queue_bind("q", "wide", "hit.*")
    ch.basic_publish("wide", "hit.me", b"x")
    cause = causes(events, "m1", "enqueued")[0]
    assert cause["matched"] == ["hit.*"]
    assert cause["unmatched"] == [f"k{n}.*" for n in range(6)] and cause["more"] == 25
    assert say(cause).endswith("did not; 25 other bindings not shown) → enqueued in `q` "
                               "(position 1)")
