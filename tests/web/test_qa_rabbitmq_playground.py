"""Found in QA, driving the RabbitMQ playground as a learner does (rooms built directly, no
server): what the event log and the diagram say must be true to RabbitMQ, and a mistake must
be named beside the field that caused it."""

from __future__ import annotations

import json

from mqlab.presets import find
from mqlab.rooms import Room

OWNER = "me"
HEADERS_BINDING = '{"x-match": "any", "format": "pdf", "type": "report"}'


def playground() -> Room:
    return Room("qa", find("rabbitmq-playground"), seed=1, owner=OWNER)


def run(room: Room, command: str, **args) -> str:
    outcome = room.run_command(OWNER, command, args)
    assert outcome.ok, outcome.message
    return outcome.message


def reasons(room: Room, kind: str) -> list[str]:
    return [event.reason for event in room.history if event.kind == kind]


def headers_room() -> Room:
    lab = playground()
    run(lab, "declare_exchange", name="hdrs", exchange_type="headers")
    run(lab, "declare_queue", name="reports")
    run(lab, "bind", queue="reports", exchange="hdrs", routing_key="", arguments=HEADERS_BINDING)
    return lab


def test_headers_binding_is_described_by_its_arguments_not_a_routing_key():
    # "Exchanges" guide, headers exchange: it ignores the routing key and matches the
    # binding's arguments (x-match any/all) against the message headers.
    lab = headers_room()
    [bound] = reasons(lab, "bound")
    assert "matching headers (any: format=pdf, type=report)" in bound and "key" not in bound
    [edge] = [e for e in lab.sim.topology()["edges"] if e["kind"] == "binding"]
    assert edge["label"] == "any: format=pdf, type=report"


def test_unroutable_on_a_headers_exchange_names_the_headers_not_the_routing_key():
    lab = headers_room()
    run(lab, "publish", exchange="hdrs", routing_key="", body="x", headers='{"type": "memo"}')
    [dropped] = reasons(lab, "dropped")
    assert "headers" in dropped and "memo" in dropped and "routing key" not in dropped


def test_a_mandatory_message_a_headers_exchange_cannot_route_is_returned_naming_its_headers():
    lab = headers_room()
    run(lab, "publish", exchange="hdrs", routing_key="", body="x", headers='{"type": "memo"}',
        mandatory=True)
    [returned] = reasons(lab, "returned")
    assert "memo" in returned and "312 NO_ROUTE" in returned and "routing key" not in returned


def test_unroutable_on_a_fanout_exchange_says_it_has_no_bindings():
    # A fanout exchange ignores the routing key: only a missing binding leaves a message
    # unroutable, so the log must not blame the key.
    lab = playground()
    run(lab, "declare_exchange", name="bcast", exchange_type="fanout")
    run(lab, "publish", exchange="bcast", routing_key="anything", body="x")
    [dropped] = reasons(lab, "dropped")
    assert "no bindings" in dropped and "anything" not in dropped


def test_unroutable_on_a_topic_exchange_still_names_the_routing_key():
    lab = playground()
    run(lab, "declare_exchange", name="events", exchange_type="topic")
    run(lab, "publish", exchange="events", routing_key="user.signup", body="x")
    [dropped] = reasons(lab, "dropped")
    assert "routing key 'user.signup'" in dropped


def test_a_priority_queue_lists_its_messages_next_out_first_and_says_so():
    # "Priority Queue Support": a higher-priority message is delivered first, so the queue's
    # list (which the inspector titles) is in delivery order, not arrival order.
    lab = playground()
    run(lab, "declare_queue", name="prio", max_priority=10)
    run(lab, "publish", routing_key="prio", body="low", priority=1)
    run(lab, "publish", routing_key="prio", body="high", priority=9)
    content = lab.sim.snapshot()["contents"]["rabbitmq:queue:prio"]
    assert [m["body"] for m in content["messages"]] == ["high", "low"]
    assert content["order"] == "next out first: highest priority, then oldest"


def test_a_plain_queue_gives_no_order_note_so_the_inspector_says_oldest_first():
    lab = playground()
    run(lab, "declare_queue", name="plain")
    run(lab, "publish", routing_key="plain", body="a")
    assert "order" not in lab.sim.snapshot()["contents"]["rabbitmq:queue:plain"]



def test_a_queue_with_a_dead_letter_exchange_is_drawn_with_its_dead_letter_route():
    # "Dead Letter Exchanges": the queue republishes its dead letters to x-dead-letter-exchange
    # (with x-dead-letter-routing-key if set). The diagram draws that route (dashed, by its
    # kind), so a learner sees where a rejected or expired message will go before it does.
    lab = playground()
    run(lab, "declare_exchange", name="dlx", exchange_type="direct")
    run(lab, "declare_queue", name="orders", dead_letter_exchange="dlx",
        dead_letter_routing_key="parked")
    run(lab, "declare_queue", name="plain")
    routes = [(e["source"], e["target"], e["label"]) for e in lab.sim.topology()["edges"]
              if e["kind"] == "dead-letter"]
    assert routes == [("rabbitmq:queue:orders", "rabbitmq:exchange:dlx", "parked")]


def test_a_dead_letter_exchange_not_declared_yet_draws_no_route():
    # RabbitMQ accepts a DLX that does not exist; its dead letters are then dropped.
    lab = playground()
    run(lab, "declare_queue", name="orders", dead_letter_exchange="nowhere")
    assert not [e for e in lab.sim.topology()["edges"] if e["kind"] == "dead-letter"]


def test_a_json_number_too_large_for_a_float_is_refused_beside_its_field():
    # 1e400 is valid JSON text but Python reads it as infinity, which no JSON can hold: the
    # room's command log could then not be saved and its runner stopped (a frozen room).
    lab = playground()
    run(lab, "declare_queue", name="q")
    for raw in ('{"retries": 1e400}', {"retries": float("-inf")}, {"n": [float("nan")]}):
        outcome = lab.run_command(OWNER, "publish", {"routing_key": "q", "headers": raw})
        assert not outcome.ok and outcome.field == "headers"
        assert "too large" in outcome.message or "not a number" in outcome.message
    outcome = lab.run_command(OWNER, "declare_queue", {"name": "r",
                                                       "arguments": '{"x-max-length": 1e400}'})
    assert not outcome.ok and outcome.field == "arguments"
    json.dumps(lab.definition(), allow_nan=False)  # the room can still be saved


def test_starting_a_producer_towards_a_missing_exchange_warns_at_once():
    # Faithful: the producer starts, and each publish fails with NOT_FOUND (its channel
    # closes). The status must say so at once rather than read like a success.
    lab = playground()
    message = run(lab, "start_producer", name="p", exchange="nope", rate=5)
    # said as a warning beside the answer, so the form shows it amber
    assert "no exchange 'nope'" in message.warning and "NOT_FOUND" in message.warning
    run(lab, "declare_exchange", name="orders", exchange_type="direct")
    assert "NOT_FOUND" not in run(lab, "start_producer", name="q", exchange="orders", rate=5)
    assert "NOT_FOUND" not in run(lab, "start_producer", name="r", exchange="", rate=5)
    assert "NOT_FOUND" not in run(lab, "start_producer", name="s", exchange="amq.topic", rate=5)


def tags(lab: Room, node_id: str) -> list[str]:
    [node] = [n for n in lab.sim.topology()["nodes"] if n["id"] == node_id]
    return node["props"].get("tags", [])


def test_queues_exchanges_and_consumers_carry_the_settings_a_learner_must_see():
    # A queue's arguments decide what happens to its messages (TTL, length limit and overflow,
    # priorities, quorum delivery limit); the diagram shows them on the node, not only in
    # the inspector's folded settings.
    lab = playground()
    run(lab, "declare_exchange", name="orders", exchange_type="direct", durable=True)
    run(lab, "declare_queue", name="ttl", message_ttl=3000, max_length=2,
        overflow="reject-publish")
    run(lab, "declare_queue", name="prio", max_priority=10, message_ttl=250)
    run(lab, "declare_queue", name="qq", queue_type="quorum", durable=True, delivery_limit=2)
    run(lab, "declare_queue", name="plain")
    run(lab, "add_consumer", name="fast", queue="plain", ack_mode="auto")
    assert tags(lab, "rabbitmq:exchange:orders") == ["durable"]
    assert tags(lab, "rabbitmq:queue:ttl") == ["TTL 3 s", "max 2, reject-publish"]
    assert tags(lab, "rabbitmq:queue:prio") == ["TTL 250 ms", "priorities 0-10"]
    assert tags(lab, "rabbitmq:queue:qq") == ["quorum", "delivery limit 2"]
    assert tags(lab, "rabbitmq:queue:plain") == []
    assert tags(lab, "rabbitmq:consumer:fast") == ["auto-ack"]


def test_a_consumers_closed_channel_is_not_called_a_producer():
    # The log names a node that is not drawn by its id ("producer ch3"): a consumer's channel
    # closing read as a producer's. A channel's node id says channel; drawn as the publishing
    # side it is still a producer node, labelled "channel N".
    lab = playground()
    run(lab, "declare_queue", name="jobs")
    run(lab, "add_consumer", name="worker", queue="jobs")
    run(lab, "publish", routing_key="jobs", body="job")
    run(lab, "crash_consumer", consumer="worker")
    [closed] = [e for e in lab.history if e.kind == "channel-closed"]
    assert closed.source.split(":")[:2] == ["rabbitmq", "channel"]
    [producer] = [n for n in lab.sim.topology()["nodes"] if n["kind"] == "producer"]
    assert producer["id"].startswith("rabbitmq:channel:") and producer["label"] == "channel 1"


def test_deleting_what_does_not_exist_says_so_rather_than_reporting_a_deletion():
    # Faithful: RabbitMQ answers delete-ok for a queue or exchange that is not there. A typo
    # must not read as "deleted queue 'ordres' and its 0 ready message(s)".
    lab = playground()
    queue = run(lab, "delete_queue", name="ordres")
    assert queue.startswith("no queue 'ordres' to delete") and "delete-ok" in queue
    exchange = run(lab, "delete_exchange", name="evnets")
    assert exchange.startswith("no exchange 'evnets' to delete") and "delete-ok" in exchange
    run(lab, "declare_queue", name="orders")
    assert run(lab, "delete_queue", name="orders") == (
        "deleted queue 'orders' and its 0 ready message(s)")


def test_settling_an_unknown_delivery_tag_is_shown_beside_the_tag():
    # "Consumer Acknowledgements and Publisher Confirms": an unknown delivery tag is a channel
    # error (406 PRECONDITION_FAILED) and closes the consumer's channel. The refusal keeps the
    # broker's own words and now points at the field the user typed the tag in.
    lab = playground()
    run(lab, "declare_queue", name="jobs")
    for command, extra in (("ack", {}), ("nack", {"requeue": True}), ("reject", {})):
        run(lab, "add_consumer", name=command, queue="jobs", ack_mode="manual")
        outcome = lab.run_command(OWNER, command, {"consumer": command, "delivery_tag": 99,
                                                   **extra})
        assert (outcome.ok, outcome.code, outcome.field) == (False, "engine-error",
                                                             "delivery_tag")
        # RabbitMQ's words first, then what it did: the consumer's node leaves the diagram.
        assert outcome.message == (
            "PRECONDITION_FAILED - unknown delivery tag 99. RabbitMQ closed the channel of "
            f"consumer '{command}': that consumer is gone, and the messages it held unacked "
            "go back to the queue")
    other = lab.run_command(OWNER, "bind", {"queue": "jobs", "exchange": "nope"})
    assert (other.code, other.field) == ("engine-error", None)


def test_a_worker_acking_what_the_user_already_acked_loses_its_channel_not_the_room():
    # The user acks by hand a delivery an after-processing worker is still working on; when
    # the worker finishes it acks the same tag: RabbitMQ closes its channel (406, unknown
    # delivery tag). That must be an event in the room, not an exception out of the clock.
    lab = playground()
    run(lab, "declare_queue", name="jobs")
    run(lab, "add_consumer", name="worker", queue="jobs", processing_time=1.0)
    run(lab, "publish", routing_key="jobs", body="job")
    run(lab, "ack", consumer="worker", delivery_tag=1)
    lab.sim.advance(2)
    [closed] = [e for e in lab.history if e.kind == "channel-closed"]
    assert "PRECONDITION_FAILED - unknown delivery tag 1" in closed.reason
    assert "worker" not in lab.lab.live_consumers()
