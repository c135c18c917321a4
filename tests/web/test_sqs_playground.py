"""SQS in the playground, as a learner drives it: every command through ``Room.run_command``
(the one path forms and the socket share), whole traces of what happens to the messages, bad
arguments named, presets that build and run, and a client's picture kept exact by batches."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.invariants import conservation_violations
from engine.sqs import TERMINAL
from mqlab.presets import find
from mqlab.rooms import Room
from tests.web.playground import follow, fresh_snapshot, refused, replayed, run

OWNER = "me"
Q = "sqs:queue:"
YOU = "sqs:consumer:you"


def room(preset: str = "sqs-playground") -> Room:
    return Room("t", find(preset), seed=1, owner=OWNER)


def trace(lab: Room, message_id: str) -> list[tuple[float, str, str | None]]:
    return [(e.at, e.kind, e.target) for e in lab.history if e.message_id == message_id]


def sent_ids(lab: Room) -> list[str]:
    return [e.message_id for e in lab.history if e.kind == "sent"]


def one_received(body: str, **attributes) -> tuple[Room, str]:
    """A playground whose queue q holds one message, received once by hand."""
    lab = room()
    run(lab, "create_queue", name="q", **attributes)
    run(lab, "send_message", queue="q", body=body)
    run(lab, "receive_message", queue="q")
    return lab, sent_ids(lab)[0]


def with_dlq(visibility: int = 5, max_receive_count: int = 1) -> Room:
    lab = room()
    run(lab, "create_queue", name="jobs-dlq")
    run(lab, "create_queue", name="jobs", visibility_timeout=visibility,
        dead_letter_queue="jobs-dlq", max_receive_count=max_receive_count)
    return lab


# -- queues ----------------------------------------------------------------------------------

def test_create_queue_turns_form_fields_into_sqs_string_attributes():
    lab = with_dlq(visibility=7, max_receive_count=4)
    said = run(lab, "create_queue", name="slow", delay_seconds=3, retention_period=120,
               receive_wait_time=20)
    assert said == ("created standard queue 'slow' with DelaySeconds=3, "
                    "MessageRetentionPeriod=120, ReceiveMessageWaitTimeSeconds=20")
    url = lab.sim.sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
    attributes = lab.sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "7"
    assert json.loads(attributes["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:jobs-dlq",
        "maxReceiveCount": 4}
    edge = next(e for e in lab.sim.topology()["edges"] if e["kind"] == "dead-letter")
    assert (edge["source"], edge["target"], edge["label"]) == (
        Q + "jobs", Q + "jobs-dlq", "maxReceiveCount 4")


def test_create_fifo_queue_with_content_based_deduplication():
    lab = room()
    run(lab, "create_queue", name="o.fifo", fifo=True, content_based_deduplication=True)
    node = next(n for n in lab.sim.topology()["nodes"] if n["id"] == Q + "o.fifo")
    assert node["props"]["fifo"] is True
    assert node["props"]["attributes"]["ContentBasedDeduplication"] == "true"


def test_set_queue_attributes_raises_the_visibility_timeout_of_later_receives():
    lab = room()
    run(lab, "create_queue", name="q", visibility_timeout=10)
    assert run(lab, "set_queue_attributes", queue="q", visibility_timeout=60) == \
        "queue 'q' now has VisibilityTimeout=60"
    run(lab, "send_message", queue="q", body="slow work")
    run(lab, "receive_message", queue="q")
    [entry] = lab.sim.snapshot()["contents"][Q + "q"]["messages"]
    assert entry["visible_at"] == 60


def test_purge_and_delete_queue_remove_every_message():
    lab = room()
    run(lab, "create_queue", name="q")
    run(lab, "send_message", queue="q", body="m{n}", count=3)
    assert run(lab, "purge_queue", queue="q") == "purged 3 message(s) from 'q'"
    assert [e.kind for e in lab.history][-3:] == ["purged"] * 3
    assert run(lab, "delete_queue", queue="q") == "deleted queue 'q' and every message in it"
    assert Q + "q" not in {n["id"] for n in lab.sim.topology()["nodes"]}


# -- send, receive, delete, visibility -------------------------------------------------------

def test_received_message_reappears_after_its_visibility_timeout_then_moves_to_the_dlq():
    lab = with_dlq(visibility=5, max_receive_count=1)
    run(lab, "send_message", queue="jobs", body="resize photo")
    said = run(lab, "receive_message", queue="jobs")
    message = sent_ids(lab)[0]
    assert said == (f"received 1 message(s): {message} (receive count 1, receipt handle "
                    f"jobs/{message}/1)")
    lab.sim.advance(5)
    assert run(lab, "receive_message", queue="jobs") == \
        "short poll on 'jobs': nothing receivable now"
    assert trace(lab, message) == [
        (0, "sent", Q + "jobs"), (0, "received", YOU), (5, "visible", Q + "jobs"),
        (5, "dead-lettered", Q + "jobs-dlq")]
    moved = [e for e in lab.history if e.kind == "dead-lettered"][0]
    assert moved.reason == ("receive 2 > maxReceiveCount 1: moved to dead-letter queue "
                            "jobs-dlq (received 1 time)")


def test_in_flight_message_shows_its_receive_count_countdown_and_holder():
    lab = room()
    run(lab, "create_queue", name="q", visibility_timeout=30)
    run(lab, "send_message", queue="q", body="hello")
    run(lab, "receive_message", queue="q", visibility_timeout=12, receiver="alice")
    lab.sim.advance(2)
    contents = lab.sim.snapshot()["contents"]
    [entry] = contents[Q + "q"]["messages"]
    assert (entry["state"], entry["receive_count"], entry["visible_at"],
            entry["consumer"]) == ("in-flight", 1, 12, "alice")
    assert [m["id"] for m in contents["sqs:consumer:alice"]["messages"]] == [entry["id"]]
    assert contents[Q + "q"]["counters"]["ApproximateNumberOfMessagesNotVisible"] == 1


def test_delete_by_message_id_uses_its_latest_receipt_handle():
    lab, message = one_received("once")
    assert run(lab, "delete_message", queue="q", message_id=message) == \
        f"deleted message {message}"
    assert trace(lab, message)[-1][1] == "deleted"


def test_delete_with_a_stale_receipt_handle_succeeds_and_deletes_nothing():
    lab, message = one_received("twice", visibility_timeout=1)
    lab.sim.advance(1)
    run(lab, "receive_message", queue="q")
    said = run(lab, "delete_message", queue="q", receipt_handle=f"q/{message}/1")
    assert said == (f"request succeeded, but q/{message}/1 is not the message's latest receipt "
                    "handle: nothing was deleted")
    assert message in lab.sim.sqs.queues["q"].messages
    ignored = lab.history[-1]
    assert (ignored.kind, ignored.message_id, ignored.details["MessageId"]) == (
        "delete-ignored", None, message)


def test_change_visibility_to_zero_makes_the_message_receivable_at_once():
    lab, message = one_received("retry me")
    assert run(lab, "change_visibility", queue="q", message_id=message,
               visibility_timeout=0) == f"q/{message}/1: visible again now"
    assert run(lab, "receive_message", queue="q").startswith(
        f"received 1 message(s): {message} (receive count 2")


def test_long_poll_by_hand_returns_when_a_delayed_message_becomes_visible():
    lab = room()
    run(lab, "create_queue", name="q")
    run(lab, "send_message", queue="q", body="soon", delay_seconds=4)
    assert run(lab, "receive_message", queue="q", wait_time=20) == (
        "long poll on 'q': answered as soon as a message is receivable, or empty after 20 s")
    assert lab.sim.snapshot()["contents"][Q + "q"]["counters"]["WaitingReceives"] == 1
    lab.sim.advance(4)
    assert [(at, kind) for at, kind, _ in trace(lab, sent_ids(lab)[0])] == [
        (0, "sent"), (0, "delayed"), (4, "visible"), (4, "received")]


def test_long_poll_by_hand_ends_empty_after_its_wait():
    lab = room()
    run(lab, "create_queue", name="q", receive_wait_time=3)
    run(lab, "receive_message", queue="q")  # the queue's own wait: a long poll
    lab.sim.advance(3)
    [empty] = [e for e in lab.history if e.kind == "empty-receive"]
    assert (empty.at, empty.source, empty.target, empty.reason) == (
        3, Q + "q", YOU, "long poll ended after 3 s: no message")


def test_message_attributes_are_typed_for_sqs():
    lab = room()
    run(lab, "create_queue", name="q")
    run(lab, "send_message", queue="q", body="b", attributes={"tenant": "acme", "weight": 3})
    [entry] = lab.sim.snapshot()["contents"][Q + "q"]["messages"]
    assert entry["attributes"] == {"tenant": "acme", "weight": "3"}


def test_duplicate_fifo_send_is_accepted_and_never_delivered():
    lab = room()
    run(lab, "create_queue", name="o.fifo", fifo=True)
    run(lab, "send_message", queue="o.fifo", body="pay 10", group_id="alice",
        deduplication_id="pay-1")
    said = run(lab, "send_message", queue="o.fifo", body="pay 10 again", group_id="alice",
               deduplication_id="pay-1")
    first = sent_ids(lab)[0]
    assert said == (f"sent {first} to 'o.fifo'; 1 accepted as duplicate(s) within the 5-minute "
                    "deduplication window: answered with success, never delivered")
    run(lab, "receive_message", queue="o.fifo", max_messages=10)
    run(lab, "delete_message", queue="o.fifo", message_id=first)
    assert run(lab, "receive_message", queue="o.fifo") == \
        "short poll on 'o.fifo': nothing receivable now"
    assert [e.kind for e in lab.history if e.kind in ("sent", "duplicate-ignored")] == \
        ["sent", "duplicate-ignored"]


def test_fifo_group_in_flight_is_locked_while_other_groups_go_on():
    lab = room()
    run(lab, "create_queue", name="o.fifo", fifo=True, content_based_deduplication=True)
    run(lab, "send_message", queue="o.fifo", body="a{n}", group_id="a", count=2)
    run(lab, "send_message", queue="o.fifo", body="b{n}", group_id="b")
    run(lab, "receive_message", queue="o.fifo")
    assert lab.sim.snapshot()["contents"][Q + "o.fifo"]["locked_groups"] == ["a"]
    # {n} counts per room: a1, a2, then b3 (a restart at 1 would make content-based
    # deduplication drop every later default send)
    assert "b3" in lab.sim.sqs.receive_message(
        QueueUrl=lab.sim.sqs.queues["o.fifo"].url)["Messages"][0]["Body"]


def test_redrive_sends_dlq_messages_back_as_new_messages():
    lab = with_dlq(visibility=1, max_receive_count=1)
    run(lab, "send_message", queue="jobs", body="stuck")
    old = sent_ids(lab)[0]
    run(lab, "receive_message", queue="jobs")
    lab.sim.advance(1)
    run(lab, "receive_message", queue="jobs")
    assert run(lab, "start_redrive", dead_letter_queue="jobs-dlq") == \
        "redrive started: messages of 'jobs-dlq' move back to the queues they came from"
    lab.sim.advance(1)
    redriven = next(e for e in lab.history if e.kind == "redriven")
    new = redriven.details["new_message_id"]
    assert (redriven.message_id, redriven.target) == (old, Q + "jobs")
    assert [m["id"] for m in lab.sim.snapshot()["contents"][Q + "jobs"]["messages"]] == [new]


# -- simulated apps --------------------------------------------------------------------------

def test_crashed_consumers_message_reappears_for_another_after_the_visibility_timeout():
    lab = room()
    run(lab, "create_queue", name="q", visibility_timeout=8)
    run(lab, "add_consumer", name="w1", queue="q", processing_time=5)
    run(lab, "send_message", queue="q", body="job")
    run(lab, "add_consumer", name="w2", queue="q", processing_time=1)
    run(lab, "crash_consumer", consumer="w1")
    lab.sim.advance(10)
    assert trace(lab, sent_ids(lab)[0]) == [
        (0, "sent", Q + "q"), (0, "received", "sqs:consumer:w1"), (8, "visible", Q + "q"),
        (8, "received", "sqs:consumer:w2"), (9, "deleted", None)]


def test_consumer_that_deletes_on_receipt_loses_the_work_when_it_crashes():
    lab = room()
    run(lab, "create_queue", name="q")
    run(lab, "add_consumer", name="w", queue="q", delete_when="on-receipt", processing_time=5)
    run(lab, "send_message", queue="q", body="job")
    run(lab, "crash_consumer", consumer="w")
    assert [e.kind for e in lab.history][-3:] == ["deleted", "app-crashed", "work-lost"]


def test_consumer_that_releases_a_failure_sees_it_again_at_once():
    lab = room()
    run(lab, "create_queue", name="q", visibility_timeout=30)
    run(lab, "add_consumer", name="w", queue="q", processing_time=1, on_failure="release")
    run(lab, "send_message", queue="q", body="poison pill")
    lab.sim.advance(2.5)
    received = [at for at, kind, _ in trace(lab, sent_ids(lab)[0]) if kind == "received"]
    assert received == [0, 1, 2]


def test_stopped_consumer_can_be_added_again_and_restart_needs_a_down_consumer():
    lab = room()
    run(lab, "create_queue", name="q")
    run(lab, "add_consumer", name="w", queue="q")
    assert refused(lab, "restart_consumer", consumer="w").message == "consumer 'w' is running"
    run(lab, "crash_consumer", consumer="w")
    assert run(lab, "restart_consumer", consumer="w") == "consumer 'w' restarted and polls again"
    run(lab, "remove_consumer", consumer="w")
    run(lab, "add_consumer", name="w", queue="q")


def test_producer_sends_on_the_virtual_clock_until_stopped():
    lab = room()
    run(lab, "create_queue", name="q.fifo", fifo=True)
    run(lab, "start_producer", name="p", queue="q.fifo", rate=2, group_id="g")
    lab.sim.advance(1.9)
    assert run(lab, "stop_producer", producer="p") == \
        "producer 'p' stopped after 3 accepted message(s)"
    lab.sim.advance(5)
    sent = [e for e in lab.history if e.kind == "sent"]
    assert [e.at for e in sent] == [0.5, 1, 1.5]  # one per 1/rate s, the first after 0.5 s
    assert {e.details["group_id"] for e in sent} == {"g"}


def test_realism_is_seeded_and_off_by_default():
    lab = room()
    assert lab.sim.sqs.realism.enabled is False
    run(lab, "realism", enabled=True)
    assert lab.sim.sqs.realism.enabled is True


# -- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("command", "args", "field", "says"), [
    ("send_message", {"queue": "nope", "body": "x"}, "queue",
     "no queue 'nope'; queues: jobs-dlq, jobs"),
    ("receive_message", {"queue": "jobs", "max_messages": 11}, "max_messages",
     "MaxNumberOfMessages must be at most 10; got 11"),
    ("receive_message", {"queue": "jobs", "wait_time": 21}, "wait_time",
     "WaitTimeSeconds must be at most 20; got 21"),
    ("change_visibility", {"queue": "jobs", "visibility_timeout": 43201}, "visibility_timeout",
     "VisibilityTimeout (s) must be at most 43200; got 43201"),
    ("delete_message", {"queue": "jobs"}, "receipt_handle",
     "give a receipt handle (a receive returns one) or the id of a received message"),
    ("delete_message", {"queue": "jobs", "message_id": "m9"}, "message_id",
     "no message 'm9' in queue 'jobs'"),
    ("create_queue", {"name": "x", "max_receive_count": 3}, "dead_letter_queue",
     "maxReceiveCount needs a dead-letter queue to move messages to"),
    ("create_queue", {"name": "x", "dead_letter_queue": "gone"}, "dead_letter_queue",
     "no queue 'gone'; queues: jobs-dlq, jobs"),
    ("create_queue", {"name": "x", "fifo": "maybe"}, "fifo",
     "FifoQueue must be true or false; got 'maybe'"),
    ("set_queue_attributes", {"queue": "jobs"}, "visibility_timeout",
     "nothing to change: fill in at least one attribute"),
    ("start_redrive", {"dead_letter_queue": "jobs", "destination": "nowhere"}, "destination",
     "no queue 'nowhere'; queues: jobs-dlq, jobs"),
    ("crash_consumer", {"consumer": "ghost"}, "consumer", "no consumer 'ghost'; consumers: "
     "none yet"),
    ("add_consumer", {"name": "w", "queue": "jobs", "failure_rate": 2}, "failure_rate",
     "Failure rate must be at most 1; got 2.0"),
    ("send_message", {"queue": "jobs", "body": "x", "colour": "red"}, "colour",
     "send_message has no argument 'colour'; it takes queue, body, group_id, "
     "deduplication_id, delay_seconds, attributes, count"),
])
def test_bad_arguments_are_named_with_what_is_allowed(command, args, field, says):
    lab = with_dlq()
    before = lab.sim.snapshot()
    outcome = refused(lab, command, **args)
    assert (outcome.code, outcome.field, outcome.message) == ("bad-argument", field, says)
    assert lab.sim.snapshot() == before


@pytest.mark.parametrize(("command", "args", "says"), [
    ("send_message", {"queue": "o.fifo", "body": "x"},
     "The request must contain the parameter MessageGroupId: o.fifo is a FIFO queue"),
    ("create_queue", {"name": "plain", "fifo": True},
     "FIFO queue name 'plain' must end with the .fifo suffix"),
    ("start_redrive", {"dead_letter_queue": "o.fifo"},
     "Source queue o.fifo must be configured as a dead-letter queue of another queue"),
])
def test_sqs_refusals_come_back_in_sqs_words(command, args, says):
    lab = room()
    run(lab, "create_queue", name="o.fifo", fifo=True)
    outcome = refused(lab, command, **args)
    assert outcome.code == "engine-error"
    assert says in outcome.message


@pytest.mark.django_db
def test_a_form_post_runs_the_command_and_names_a_bad_field(sync_rooms):
    client = Client()
    client.post("/rooms/", {"preset": "sqs-dlq-redrive"})
    room_id = next(iter(sync_rooms)).id
    groups = client.get(f"/rooms/{room_id}/").context["command_groups"]
    assert [g["name"] for g in groups] == ["Messages", "Queues", "SNS", "Consumers", "Outbox",
                                          "Faults"]
    ok = client.post(f"/rooms/{room_id}/commands/send_message/", {
        "queue": "orders", "body": "from the form", "group_id": "", "deduplication_id": "",
        "delay_seconds": "", "attributes": "", "count": "1"}).content.decode()
    assert "sent 00000000-0000-4000-8000-000000000004 to &#x27;orders&#x27;" in ok
    bad = client.post(f"/rooms/{room_id}/commands/receive_message/", {
        "queue": "orders", "max_messages": "0"}).content.decode()
    assert 'data-field="max_messages"' in bad
    assert "MaxNumberOfMessages must be at least 1; got 0" in bad


# -- presets ---------------------------------------------------------------------------------

PRESETS = ["sqs-visibility-timeout", "sqs-dlq-redrive", "sqs-fifo-groups", "sqs-long-polling",
           "sqs-playground", "sns-fan-out", "sqs-lambda-batches", "sqs-outbox"]


@pytest.mark.parametrize("slug", PRESETS)
def test_every_preset_builds_runs_and_conserves_its_messages(slug):
    lab = room(slug)
    lab.sim.advance(60)
    assert conservation_violations(lab.history, lab.sim.locations(), TERMINAL) == []
    again = room(slug)
    again.sim.advance(60)
    assert list(again.history) == list(lab.history)


def test_visibility_preset_processes_the_report_twice():
    lab = room("sqs-visibility-timeout")
    lab.sim.advance(26)
    report = sent_ids(lab)[0]
    assert [(at, kind, target) for at, kind, target in trace(lab, report)] == [
        (0, "sent", Q + "reports"), (0, "received", "sqs:consumer:worker-1"),
        (10, "visible", Q + "reports"), (10, "received", "sqs:consumer:worker-2"),
        (20, "visible", Q + "reports"), (20, "received", "sqs:consumer:worker-1")]
    assert [e.at for e in lab.history if e.kind == "duplicate-side-effect"] == [25]
    # each worker's delete comes after the next receive: SQS accepts it and keeps the message
    assert [e.at for e in lab.history if e.kind == "delete-ignored"] == [15, 25]
    # Beside it, receipts moves from the start (issue 11: no preset sits still for 10 s),
    # each receipt received once (its timeout is longer than the work).
    early = [e for e in lab.history if 0 < e.at < 10 and e.kind == "received"]
    assert early and all(e.target == "sqs:consumer:fast-worker" for e in early)
    receipts = [e for e in lab.history if e.kind == "received" and "fast-worker" in e.target]
    assert receipts and all("receive count 1" in e.reason for e in receipts)


def test_dlq_preset_moves_the_poison_order_on_its_fourth_receive_then_redrives_it():
    lab = room("sqs-dlq-redrive")
    lab.sim.advance(18)
    poison = sent_ids(lab)[2]
    moved = [(at, kind) for at, kind, _ in trace(lab, poison) if kind == "dead-lettered"]
    assert moved == [(17, "dead-lettered")]
    run(lab, "remove_consumer", consumer="worker")
    run(lab, "start_redrive", dead_letter_queue="orders-dlq")
    lab.sim.advance(1)
    assert trace(lab, poison)[-1][1:] == ("redriven", Q + "orders")


def test_fifo_preset_serves_bob_while_alice_is_locked_and_ignores_a_duplicate():
    lab = room("sqs-fifo-groups")
    first = [(e.target, e.details["group_id"]) for e in lab.history if e.kind == "received"]
    assert first == [("sqs:consumer:worker-1", "alice"), ("sqs:consumer:worker-2", "bob")]
    assert lab.sim.snapshot()["contents"][Q + "orders.fifo"]["locked_groups"] == \
        ["alice", "bob"]
    said = run(lab, "send_message", queue="orders.fifo", body="alice order 1",
               group_id="alice")
    assert "1 accepted as duplicate(s)" in said


def test_long_polling_preset_short_poller_makes_many_empty_requests():
    lab = room("sqs-long-polling")
    lab.sim.advance(40)
    empty = [e.target for e in lab.history if e.kind == "empty-receive"]
    assert empty.count("sqs:consumer:short-poller") > 20 * empty.count(
        "sqs:consumer:long-poller")
    received = {e.target: e.at for e in lab.history if e.kind == "received"
                and e.at < 10.6}
    assert received == {"sqs:consumer:long-poller": 10, "sqs:consumer:short-poller": 10.5}


# -- the stream ------------------------------------------------------------------------------

def test_snapshot_plus_batches_equals_a_fresh_snapshot():
    lab = room("sqs-dlq-redrive")
    lesson = [("wait", 3), ("send_message", {"queue": "orders", "body": "x", "count": 2}),
              ("receive_message", {"queue": "orders-dlq", "wait_time": 20}), ("wait", 15),
              ("start_redrive", {"dead_letter_queue": "orders-dlq"}),
              ("create_queue", {"name": "extra.fifo", "fifo": True}), ("wait", 4)]
    assert follow(lab, lesson, strict=True).matches(fresh_snapshot(lab), clock=False)


@pytest.mark.parametrize(("command", "then"), [
    # A graceful stop releases what its last waiting poll brings (ChangeMessageVisibility 0).
    ("remove_consumer", [(0, "visibility-changed", Q + "q"), (0, "visible", Q + "q")]),
    # A crash does not: SQS hides the message for the whole visibility timeout.
    ("crash_consumer", [(30, "visible", Q + "q")]),
])
def test_what_a_gone_consumers_waiting_poll_gets(command, then):
    lab = room()
    run(lab, "create_queue", name="q", visibility_timeout=30)
    run(lab, "add_consumer", name="w", queue="q")
    run(lab, command, consumer="w")
    run(lab, "send_message", queue="q", body="after it left")
    lab.sim.advance(30)
    assert trace(lab, sent_ids(lab)[0]) == [
        (0, "sent", Q + "q"), (0, "received", "sqs:consumer:w"), *then]


def test_receivers_count_their_requests_and_the_empty_ones():
    lab = room("sqs-long-polling")
    lab.sim.advance(30)
    run(lab, "receive_message", queue="long-polled")  # by hand: empty, both polled it
    _, snapshot = lab.join(OWNER)
    counters = {name: snapshot["contents"][f"sqs:consumer:{name}"]["counters"]
                for name in ("long-poller", "short-poller", "you")}
    # Messages at t=5, 10, .., 30. The long poller asks once per message (its polls end as
    # soon as one arrives); the short poller asks every second, mostly in vain.
    assert counters["long-poller"] == {"in_flight": 1, "receives": 6, "empty_receives": 0}
    assert counters["short-poller"]["receives"] > 20
    assert counters["short-poller"]["empty_receives"] == counters["short-poller"]["receives"] - 5
    assert counters["you"] == {"in_flight": 0, "receives": 1, "empty_receives": 1}


QUEUES = st.sampled_from(["orders", "orders-dlq", "extra.fifo"])
ACTIONS = st.one_of(
    st.tuples(st.just("send_message"), st.fixed_dictionaries({
        "queue": st.sampled_from(["orders", "orders-dlq"]),
        "body": st.sampled_from(["order", "poison order"]), "count": st.integers(1, 3),
        "delay_seconds": st.none() | st.integers(0, 4)})),
    st.tuples(st.just("send_message"), st.fixed_dictionaries({
        "queue": st.just("extra.fifo"), "body": st.sampled_from(["a", "b"]),
        "group_id": st.sampled_from(["g1", "g2"])})),
    st.tuples(st.just("receive_message"), st.fixed_dictionaries({
        "queue": QUEUES, "max_messages": st.integers(1, 3),
        "visibility_timeout": st.none() | st.integers(0, 6),
        "wait_time": st.none() | st.integers(0, 5)})),
    st.tuples(st.just("change_visibility"), st.fixed_dictionaries({
        "queue": QUEUES, "visibility_timeout": st.integers(0, 5),
        "message_id": st.sampled_from([f"00000000-0000-4000-8000-{n:012d}"
                                       for n in range(1, 6)])})),
    st.tuples(st.just("delete_message"), st.fixed_dictionaries({
        "queue": QUEUES, "message_id": st.sampled_from([f"00000000-0000-4000-8000-{n:012d}"
                                                        for n in range(1, 6)])})),
    st.tuples(st.just("add_consumer"), st.fixed_dictionaries({
        "name": st.just("extra"), "queue": QUEUES, "processing_time": st.floats(0, 3),
        "wait_time": st.sampled_from([0, 20]),
        "on_failure": st.sampled_from(["wait", "release"])})),
    st.tuples(st.just("crash_consumer"), st.fixed_dictionaries({
        "consumer": st.sampled_from(["worker", "extra"])})),
    st.tuples(st.just("remove_consumer"), st.fixed_dictionaries({
        "consumer": st.sampled_from(["worker", "extra"])})),
    st.tuples(st.just("start_redrive"), st.fixed_dictionaries({
        "dead_letter_queue": st.just("orders-dlq")})),
    st.tuples(st.just("purge_queue"), st.fixed_dictionaries({"queue": QUEUES})),
    st.tuples(st.just("create_queue"), st.fixed_dictionaries({
        "name": st.just("extra.fifo"), "fifo": st.just(True),
        "content_based_deduplication": st.just(True)})),
    st.tuples(st.just("wait"), st.floats(0.0, 8.0)),
    st.tuples(st.just("step"), st.none()),
)


def dlq_room() -> Room:
    return Room("r", find("sqs-dlq-redrive"), seed=5, owner=OWNER)


WORKER_EXTRA = {"name": "extra", "queue": "orders-dlq", "processing_time": 0.0,
                "on_failure": "wait"}


@pytest.mark.parametrize("lesson", [
    # A crashed app removed: its node loses the app's counters.
    [("crash_consumer", {"consumer": "worker"}), ("remove_consumer", {"consumer": "worker"})],
    # A long poll by hand waits: the queue counts it among its WaitingReceives.
    [("receive_message", {"queue": "orders", "max_messages": 1})] * 3
    + [("receive_message", {"queue": "orders", "max_messages": 1, "wait_time": 1})],
    # A crashed app's last long poll ends empty 20 s later, unseen by the app.
    [("purge_queue", {"queue": "orders"}), ("wait", 1), ("crash_consumer", {"consumer": "worker"}),
     ("wait", 25)],
    # A name reused after a crash: a new app whose counters start from zero.
    [("add_consumer", {**WORKER_EXTRA, "wait_time": 0}), ("crash_consumer", {"consumer": "extra"}),
     ("add_consumer", {**WORKER_EXTRA, "wait_time": 20})],
], ids=["removed-after-crash", "hand-long-poll", "orphan-poll-ends", "name-reused"])
def test_app_and_poll_changes_reach_the_clients_picture(lesson):
    lab = dlq_room()
    assert follow(lab, lesson, strict=True).matches(fresh_snapshot(lab), clock=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ACTIONS, max_size=25))
def test_any_lesson_keeps_the_clients_picture_equal_to_a_fresh_snapshot(actions):
    lab = dlq_room()
    assert follow(lab, actions).matches(fresh_snapshot(lab), clock=False)


def test_a_replay_runs_each_command_at_the_very_instant_it_ran_live():
    # Replayed, the clock jumps from 2.96.. straight to 11.91..: no float number of seconds
    # added to the first time gives the second exactly.
    refused_send = ("send_message", {"queue": "nowhere", "body": "a"})  # logged all the same
    lesson = [("wait", 2.961831806195037), refused_send, ("wait", 6.0),
              ("wait", 2.953745904226429), ("send_message", {"queue": "orders", "body": "x"})]
    live, rebuilt = replayed(dlq_room, lesson)
    assert [entry[0] for entry in live.log] == [2.961831806195037, 11.915577710421465]
    assert list(rebuilt.history) == list(live.history)


def test_a_step_to_a_retention_days_away_replays_exactly():
    # With no consumer left, the next thing due is a message's retention, four days on: a
    # step jumps there, and neither the charts' samples nor time travel's checkpoints may
    # take one per second (or every two) of the quiet stretch (found by Hypothesis).
    lesson = [("remove_consumer", {"consumer": "worker"}),
              ("receive_message", {"queue": "orders", "max_messages": 3}),
              ("step", None), ("step", None), ("crash_consumer", {"consumer": "worker"})]
    live, rebuilt = replayed(dlq_room, lesson)
    assert live.sim.now >= 4 * 86_400
    assert list(rebuilt.history) == list(live.history)
    assert fresh_snapshot(rebuilt)["contents"] == fresh_snapshot(live)["contents"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ACTIONS, max_size=25))
def test_any_lesson_replays_from_its_log_exactly(actions):
    live, rebuilt = replayed(dlq_room, actions)
    assert list(rebuilt.history) == list(live.history)
    assert fresh_snapshot(rebuilt)["contents"] == fresh_snapshot(live)["contents"]
    assert conservation_violations(live.history, live.sim.locations(), TERMINAL) == []


def test_n_in_a_body_counts_per_room_so_default_fifo_sends_are_not_deduplicated():
    lab = room()
    run(lab, "create_queue", name="d.fifo", fifo=True, content_based_deduplication=True)
    for _ in range(3):
        outcome = lab.run_command(OWNER, "send_message",
                                  {"queue": "d.fifo", "body": "order {n}", "group_id": "g"})
        assert outcome.ok and outcome.warning is None, outcome
    assert len(lab.sim.snapshot()["contents"][Q + "d.fifo"]["messages"]) == 3
