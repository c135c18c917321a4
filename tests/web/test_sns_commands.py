"""SNS topics, Lambda-style batch consumers and the outbox service as room commands in the SQS
playground: each through ``Room.run_command``, bad arguments named, and a viewer's picture
kept exact by the event batches."""

from __future__ import annotations

from mqlab.presets import find
from mqlab.rooms import Room
from tests.web.playground import follow, fresh_snapshot, refused, replayed, run

OWNER = "me"


def room() -> Room:
    return Room("t", find("sqs-playground"), seed=1, owner=OWNER)


def fan_out(lab: Room, **subscription) -> None:
    run(lab, "create_queue", name="billing")
    run(lab, "create_queue", name="shipping")
    run(lab, "create_topic", name="orders")
    run(lab, "subscribe", topic="orders", queue="billing", raw_message_delivery=True)
    run(lab, "subscribe", topic="orders", queue="shipping", **subscription)


def test_publish_to_a_topic_fans_out_to_each_subscribed_queue():
    lab = room()
    fan_out(lab)
    said = run(lab, "publish", topic="orders", message="order {n}", count=2)
    assert said.startswith("published 2 messages") and "2 subscription(s)" in said
    kinds = [e.kind for e in lab.history if e.message_id is not None]
    assert kinds.count("published") == 2 and kinds.count("sent") == 4
    topology = fresh_snapshot(lab)["topology"]
    assert {(e["source"], e["target"]) for e in topology["edges"]
            if e["kind"] == "subscription"} == {("sqs:topic:orders", "sqs:queue:billing"),
                                                ("sqs:topic:orders", "sqs:queue:shipping")}


def test_filter_policy_from_the_form_delivers_only_matching_messages():
    lab = room()
    fan_out(lab, filter_policy={"kind": ["refund"]})
    run(lab, "publish", topic="orders", message="a", attributes={"kind": "sale"})
    run(lab, "publish", topic="orders", message="b", attributes={"kind": "refund"})
    queues = lab.sim.sqs.queues
    assert len(queues["billing"].messages) == 2 and len(queues["shipping"].messages) == 1
    arn = next(iter(lab.sim.sns.topics["orders"].subscriptions))
    run(lab, "set_filter_policy", subscription=arn, filter_policy={"kind": ["sale"]})
    run(lab, "unsubscribe", subscription=arn)
    run(lab, "delete_topic", topic="orders")


def test_bad_sns_arguments_are_refused_and_named():
    lab = room()
    run(lab, "create_queue", name="q")
    outcome = refused(lab, "subscribe", topic="nope", queue="q")
    assert outcome.field == "topic"
    run(lab, "create_topic", name="t")
    outcome = refused(lab, "subscribe", topic="t", queue="q", filter_policy={"a": "b"})
    assert "FilterPolicy" in outcome.message
    outcome = refused(lab, "create_topic", name="bad name")
    assert "InvalidParameter" in outcome.message or "Topic Name" in outcome.message


def test_lambda_function_with_partial_batch_failures_from_the_form():
    lab = room()
    run(lab, "create_queue", name="jobs", visibility_timeout=10)
    run(lab, "send_message", queue="jobs", body="ok {n}", count=2)
    run(lab, "send_message", queue="jobs", body="poison")
    said = run(lab, "add_lambda", name="fn", queue="jobs", batch_size=10,
               report_batch_item_failures=True, processing_time=1)
    assert "reports batchItemFailures" in said
    lab.tick(4)
    assert [e.kind for e in lab.history if e.kind.startswith("batch-")] == [
        "batch-invoked", "batch-item-failures"]
    assert fresh_snapshot(lab)["contents"]["sqs:consumer:fn"]["counters"]["invocations"] == 1
    run(lab, "crash_lambda", function="fn")
    assert refused(lab, "crash_lambda", function="fn").field == "function"
    run(lab, "restart_lambda", function="fn")
    run(lab, "remove_lambda", function="fn")
    assert refused(lab, "add_lambda", name="fn2", queue="jobs", batch_size=11).field == \
        "batch_size"


def test_outbox_service_survives_a_crash_and_a_dual_write_loses_the_event():
    lab = room()
    run(lab, "create_queue", name="orders")
    run(lab, "add_outbox", name="safe", mode="outbox", queue="orders")
    run(lab, "add_outbox", name="naive", mode="commit-first", queue="orders")
    run(lab, "place_order", service="safe")
    run(lab, "place_order", service="naive")
    run(lab, "crash_outbox", service="safe")
    run(lab, "crash_outbox", service="naive")
    run(lab, "restart_outbox", service="safe")
    run(lab, "restart_outbox", service="naive")
    lab.tick(3)
    assert [e.details["key"] for e in lab.history if e.kind == "work-lost"] == ["order-1"]
    bodies = [m.body for m in lab.sim.sqs.queues["orders"].messages.values()]
    assert bodies == ["safe order-1"]
    assert refused(lab, "add_outbox", name="x", mode="outbox").field == "queue"


def test_the_commands_replay_to_the_same_room():
    lesson = [
        ("create_queue", {"name": "billing"}), ("create_topic", {"name": "orders"}),
        ("subscribe", {"topic": "orders", "queue": "billing",
                       "filter_policy": {"kind": [{"exists": False}]}}),
        ("add_lambda", {"name": "fn", "queue": "billing", "batch_size": 2,
                        "batching_window": 2}),
        ("add_outbox", {"name": "shop", "topic": "orders"}),
        ("place_order", {"service": "shop", "count": 3}),
        ("publish", {"topic": "orders", "message": "hello"}),
        ("wait", 10),
    ]
    live, rebuilt = replayed(room, lesson)
    assert [e.to_dict() for e in live.history] == [e.to_dict() for e in rebuilt.history]
    assert fresh_snapshot(live)["contents"] == fresh_snapshot(rebuilt)["contents"]


def test_lambda_preset_shows_whole_batch_retries_against_partial_failures():
    lab = Room("t", find("sqs-lambda-batches"), seed=1, owner=OWNER)
    lab.sim.advance(30)
    whole, partial = lab.lab.lambdas["fn-whole"].ledger, lab.lab.lambdas["fn-partial"].ledger
    assert whole.duplicates > 0 and partial.duplicates == 0


def test_a_deduplicating_function_skips_what_a_whole_batch_return_brings_back():
    lab = room()
    run(lab, "create_queue", name="jobs", visibility_timeout=5)
    run(lab, "send_message", queue="jobs", body="ok {n}", count=2)
    run(lab, "send_message", queue="jobs", body="poison")
    run(lab, "add_lambda", name="fn", queue="jobs", deduplicate=True, processing_time=0.5)
    lab.tick(20)
    assert lab.lab.lambdas["fn"].ledger.duplicates == 0
    assert any(e.kind == "duplicate-skipped" for e in lab.history)


def test_fan_out_preset_delivers_refunds_only_to_the_filtered_queue():
    lab = Room("t", find("sns-fan-out"), seed=1, owner=OWNER)
    queues = lab.sim.sqs.queues
    assert [len(queues[q].messages) for q in ("billing", "audit", "refunds")] == [3, 3, 1]


def test_a_viewers_picture_stays_exact_through_topics_functions_and_outboxes():
    """Snapshot plus the batches equals a fresh snapshot (Zulip's verify_action idea)."""
    lab = room()
    lesson = [
        ("create_queue", {"name": "jobs", "visibility_timeout": 5}),
        ("create_topic", {"name": "orders"}),
        ("subscribe", {"topic": "orders", "queue": "jobs", "raw_message_delivery": True}),
        ("add_lambda", {"name": "fn", "queue": "jobs", "batch_size": 3,
                        "report_batch_item_failures": True}),
        ("add_outbox", {"name": "shop", "topic": "orders"}),
        ("place_order", {"service": "shop", "count": 2}), ("wait", 3),
        ("publish", {"topic": "orders", "message": "poison"}), ("wait", 8),
        ("crash_outbox", {"service": "shop"}), ("restart_outbox", {"service": "shop"}),
        ("unsubscribe", {"subscription": None}), ("wait", 2),
        ("delete_topic", {"topic": "orders"}), ("remove_lambda", {"function": "fn"}),
    ]
    arn = None

    def lesson_with_arn():
        nonlocal arn
        for name, args in lesson:
            if name == "unsubscribe":
                arn = next(iter(lab.sim.sns.topics["orders"].subscriptions))
                args = {"subscription": arn}
            yield name, args

    assert follow(lab, lesson_with_arn(), strict=True).matches(fresh_snapshot(lab),
                                                                clock=False)
