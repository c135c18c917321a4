"""Why: a message's trace through the inspector's message path, and "why didn't it...?"
replies (``GET /rooms/<id>/why/``), as a learner reads them."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.web.playground import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(sync_rooms):
    return Client()


def start_room(client: Client, preset: str) -> str:
    response = client.post("/rooms/", {"preset": preset})
    assert response.status_code == 303
    return response["Location"].strip("/").split("/")[-1]


def orders_room(client: Client, sync_rooms) -> tuple[str, object]:
    """A topic exchange ``orders``: ``billing`` bound by ``order.*`` and ``*.created``,
    ``audit`` by ``order.*.shipped``; two workers with prefetch 1 on ``billing``."""
    room_id = start_room(client, "rabbitmq-playground")
    room = sync_rooms.running(room_id)
    run(room, "declare_exchange", name="orders", exchange_type="topic")
    for queue, key in (("billing", "order.*"), ("billing", "*.created"),
                       ("audit", "order.*.shipped")):
        if queue not in room.lab.names("queue"):
            run(room, "declare_queue", name=queue)
        run(room, "bind", queue=queue, exchange="orders", routing_key=key)
    run(room, "add_consumer", name="worker-1", queue="billing", prefetch=1,
        processing_time=5)
    run(room, "add_consumer", name="worker-2", queue="billing", prefetch=1,
        processing_time=5)
    return room_id, room


def test_trace_says_why_each_step_happened(owner, sync_rooms):
    room_id, room = orders_room(owner, sync_rooms)
    run(room, "publish", exchange="orders", routing_key="order.shipped", count=3)
    info = room.message_info("m2")
    texts = [step["text"] for step in info["trace"]]
    assert texts == [
        "published to exchange `orders` with routing key `order.shipped`",
        "routed by exchange `orders` (binding `order.*` matched; `*.created`, "
        "`order.*.shipped` did not) → enqueued in `billing` (position 2)",
        "delivered to `worker-2` (prefetch 1: `worker-1` was at its prefetch limit)",
    ]
    assert [step["rule"] for step in info["trace"]] == ["publish", "binding", "prefetch"]
    verdicts = {(b["target"], b["label"]): b["matched"] for b in info["bindings"]}
    assert verdicts == {("rabbitmq:queue:billing", "order.*"): True,
                        ("rabbitmq:queue:billing", "*.created"): False,
                        ("rabbitmq:queue:audit", "order.*.shipped"): False}
    html = owner.get(f"/rooms/{room_id}/messages/m2/").content.decode()
    embedded = re.search(r'<script id="message-trace" type="application/json">(.*?)</script>',
                         html, re.S)
    assert embedded and json.loads(embedded.group(1)) == info["trace"]
    assert 'data-trace="message-trace"' in html


def test_why_did_nothing_reach_names_the_closest_binding(owner, sync_rooms):
    room_id, room = orders_room(owner, sync_rooms)
    run(room, "publish", exchange="orders", routing_key="order.shipped")
    reply = owner.get(f"/rooms/{room_id}/why/", {"node": "rabbitmq:queue:audit"}).json()
    assert reply["question"] == "Why did nothing reach `audit`?"
    assert reply["message"] == "m1"
    assert reply["answer"] == (
        "the latest message, `m1`: no binding of `orders` to `audit` matches `order.shipped`; "
        "the closest binding is `order.*.shipped`")
    reached = owner.get(f"/rooms/{room_id}/why/",
                        {"node": "rabbitmq:queue:billing", "message": "m1"}).json()
    assert reached["answer"].startswith("`m1` did reach `billing`: routed by exchange `orders`")


def test_why_didnt_a_consumer_get_it_names_the_prefetch_limit(owner, sync_rooms):
    room_id, room = orders_room(owner, sync_rooms)
    run(room, "publish", exchange="orders", routing_key="order.created", count=2)
    reply = owner.get(f"/rooms/{room_id}/why/",
                      {"node": "rabbitmq:consumer:worker-1", "message": "m2"}).json()
    assert reply["question"] == "Why didn't `worker-1` get `m2`?"
    assert reply["answer"].endswith("`worker-1` was at its prefetch limit (1)")


def test_why_didnt_an_idle_kafka_consumer_get_a_record(owner, sync_rooms):
    room_id = start_room(owner, "kafka-consumer-group")
    room = sync_rooms.running(room_id)
    room.sim.advance(3)
    record = next(e.message_id for e in reversed(room.history) if e.kind == "appended")
    owner_node = next(e.target for e in room.history
                      if e.kind == "delivered" and e.message_id == record)
    reply = owner.get(f"/rooms/{room_id}/why/",
                      {"node": "kafka:consumer:billing-4", "message": record}).json()
    partition = record.split("@")[0]
    assert reply["answer"] == (
        f"{partition} is owned by `{owner_node.rsplit(':', 1)[1]}` under the range assignor: "
        "in a group each partition is read by one consumer; `billing-4` owns no partition at "
        "all (4 consumers share 3 partitions of `orders`)")


def test_why_wasnt_a_fifo_message_received_names_the_blocking_message(owner, sync_rooms):
    room_id = start_room(owner, "sqs-fifo-groups")
    room = sync_rooms.running(room_id)
    room.sim.advance(1)
    alice = [e.message_id for e in room.history
             if e.kind == "sent" and (e.details or {}).get("group_id") == "alice"]
    reply = owner.get(f"/rooms/{room_id}/why/",
                      {"node": "sqs:queue:orders.fifo", "message": alice[1]}).json()
    assert reply["answer"].startswith(f"FIFO group `alice` is blocked by message `{alice[0]}`")


def test_why_refuses_bad_questions_clearly(owner, sync_rooms):
    room_id, _ = orders_room(owner, sync_rooms)
    missing = owner.get(f"/rooms/{room_id}/why/")
    assert missing.status_code == 400 and "node" in missing.json()["error"]
    long_id = owner.get(f"/rooms/{room_id}/why/",
                        {"node": "rabbitmq:queue:audit", "message": "m" * 500})
    assert long_id.status_code == 400
    exchange = owner.get(f"/rooms/{room_id}/why/", {"node": "rabbitmq:exchange:orders"})
    assert exchange.status_code == 200
    assert "ask on a queue, a consumer or a partition" in exchange.json()["answer"]
    assert owner.get("/rooms/nosuchroom/why/", {"node": "a:b:c"}).status_code == 404


def test_a_kafka_records_trace_ends_with_the_commit_past_it(owner, sync_rooms):
    """The trace of a record: key → murmur2 → partition, its offset, the consumer that owns
    the partition under the range assignor, and the group's commit at offset + 1 or later."""
    room_id = start_room(owner, "kafka-consumer-group")
    room = sync_rooms.running(room_id)
    room.sim.advance(12)
    fetched = next(e for e in room.history if e.kind == "delivered" and e.cause)
    steps = room.message_info(fetched.message_id)["trace"]
    assert [step["rule"] for step in steps] == [
        "key-hash", "append", "replication", "replication", "assignment", "commit"]
    key = fetched.cause["partition"]
    assert steps[0]["text"] == f"key `alice` → murmur2 → partition {key[-1]} of 3"
    assert steps[4]["text"] == (f"fetched by `billing-1`, which owns {key} under the range "
                                "assignor (group `billing`)")
    assert steps[-1]["text"] == f"group `billing` committed {key} at 1"
