"""Declares, bindings, errors, exclusive/auto-delete, returns, confirms and broker restart."""

import pytest

from engine import InvalidArgument, Simulation
from engine.invariants import conservation_violations
from engine.rabbitmq import (
    AccessRefused,
    BasicProperties,
    ChannelWrongState,
    CommandInvalid,
    ConnectionClosedByBroker,
    NotFound,
    PreconditionFailed,
    ResourceLocked,
    UnroutableError,
)

from .test_rabbitmq_helpers import moves, record


def test_publishing_to_a_missing_exchange_closes_the_channel_with_404():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    with pytest.raises(NotFound) as raised:
        ch.basic_publish("nope", "k", b"x")
    assert (raised.value.reply_code, raised.value.reply_text) == (
        404, "NOT_FOUND - no exchange 'nope' in vhost '/'")
    assert raised.value.code == "NOT_FOUND"
    assert [(e.kind, e.reason) for e in events] == [
        ("channel-closed", "NOT_FOUND - no exchange 'nope' in vhost '/'")]
    assert ch.is_closed


def test_binding_a_missing_queue_closes_the_channel_with_404():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("x", "direct")
    with pytest.raises(NotFound, match="NOT_FOUND - no queue 'q' in vhost '/'"):
        ch.queue_bind("q", "x", "k")
    with pytest.raises(ChannelWrongState):
        ch.queue_declare("q")


def test_redeclaring_with_other_properties_fails_with_406_and_keeps_the_original():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("logs", "direct")
    with pytest.raises(PreconditionFailed) as raised:
        ch.exchange_declare("logs", "topic")
    assert raised.value.reply_text == (
        "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'logs' in vhost '/': "
        "received 'topic' but current is 'direct'")
    assert sim.rabbitmq.exchanges["logs"]["type"] == "direct"
    ch2 = sim.rabbitmq.channel()
    ch2.queue_declare("q", durable=True)
    ch2.queue_declare("q", durable=True)  # same properties: fine
    with pytest.raises(PreconditionFailed, match="inequivalent arg 'durable' for queue 'q'"):
        ch2.queue_declare("q")


def test_unknown_exchange_type_is_refused():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    with pytest.raises(CommandInvalid, match="unknown exchange type 'fast'"):
        ch.exchange_declare("x", "fast")
    assert "x" not in sim.rabbitmq.exchanges


def test_reserved_names_and_the_default_exchange_are_refused_with_403():
    sim = Simulation()
    with pytest.raises(AccessRefused, match="reserved prefix 'amq"):
        sim.rabbitmq.channel().exchange_declare("amq.mine", "direct")
    with pytest.raises(AccessRefused, match="operation not permitted on the default exchange"):
        ch = sim.rabbitmq.channel()
        ch.queue_declare("q")
        ch.queue_bind("q", "", "q")


def test_bad_python_arguments_raise_and_change_nothing():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    for call in (lambda: ch.basic_qos(prefetch_count=-1),
                 lambda: ch.basic_publish("", "q", 42),
                 lambda: ch.basic_publish("", "q", b"x", BasicProperties(priority=300)),
                 lambda: ch.basic_consume("q", "not callable"),
                 lambda: ch.queue_declare("q" * 300)):
        with pytest.raises(InvalidArgument):
            call()
    assert ch.is_open
    assert [e.kind for e in events] == ["declared"]


def test_passive_declare_of_a_missing_queue_is_404():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    with pytest.raises(NotFound, match="no queue 'ghost'"):
        ch.queue_declare("ghost", passive=True)


def test_server_named_queues_are_amq_gen_and_deterministic_per_seed():
    names = []
    for _ in range(2):
        ch = Simulation(seed=3).rabbitmq.channel()
        names.append((ch.queue_declare(""), ch.queue_declare("")))
    assert names[0] == names[1]
    first, second = names[0]
    assert first.startswith("amq.gen-") and len(first) == len("amq.gen-") + 22
    assert first != second


def test_exclusive_queue_is_locked_to_its_connection_and_deleted_when_it_closes():
    sim = Simulation()
    events = record(sim)
    owner, other = sim.rabbitmq.channel(), sim.rabbitmq.channel()
    owner.queue_declare("mine", exclusive=True)
    owner.basic_publish("", "mine", b"x")
    with pytest.raises(ResourceLocked) as raised:
        other.basic_consume("mine", lambda *a: None)
    assert raised.value.reply_code == 405
    owner.close()
    assert "mine" not in sim.rabbitmq.queues
    assert moves(events, {"deleted"}) == [("deleted", "m1", "mine", None)]


def test_channels_of_one_connection_share_its_exclusive_queues():
    sim = Simulation()
    connection = sim.rabbitmq.connection()
    first, second = connection.channel(), connection.channel()
    first.queue_declare("replies", exclusive=True)
    second.basic_consume("replies", lambda *a: None)  # same connection: allowed
    first.close()
    assert "replies" in sim.rabbitmq.queues  # a channel closing is not the connection closing
    connection.close()
    assert second.is_closed
    assert "replies" not in sim.rabbitmq.queues


def test_crash_drops_every_channel_of_the_consumers_connection():
    sim = Simulation()
    connection = sim.rabbitmq.connection()
    publisher, worker = connection.channel(), connection.channel()
    worker.queue_declare("q")
    tag = worker.basic_consume("q", lambda *a: None)
    sim.rabbitmq.crash_connection(tag)
    assert (publisher.is_closed, worker.is_closed, connection.is_closed) == (True, True, True)


def test_a_hard_error_closes_the_whole_connection():
    sim = Simulation()
    events = record(sim)
    connection = sim.rabbitmq.connection()
    bystander, culprit = connection.channel(), connection.channel()
    with pytest.raises(ConnectionClosedByBroker) as raised:
        culprit.exchange_declare("x", "no-such-type")
    assert raised.value.reply_code == 503
    assert bystander.is_closed and connection.is_closed
    assert [e.kind for e in events] == ["channel-closed", "channel-closed"]


def test_a_channel_error_leaves_the_other_channels_of_the_connection_open():
    sim = Simulation()
    connection = sim.rabbitmq.connection()
    bystander, culprit = connection.channel(), connection.channel()
    with pytest.raises(NotFound):
        culprit.basic_publish("missing", "k", b"x")
    assert culprit.is_closed and bystander.is_open and connection.is_open


def test_auto_delete_queue_goes_when_its_last_consumer_leaves():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("temp", auto_delete=True)
    a = ch.basic_consume("temp", lambda *args: None)
    b = ch.basic_consume("temp", lambda *args: None)
    ch.basic_cancel(a)
    assert "temp" in sim.rabbitmq.queues
    ch.basic_cancel(b)
    assert "temp" not in sim.rabbitmq.queues


def test_auto_delete_exchange_goes_when_its_last_binding_is_removed():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("events", "fanout", auto_delete=True)
    ch.queue_declare("q")
    ch.queue_bind("q", "events")
    ch.queue_unbind("q", "events")
    assert "events" not in sim.rabbitmq.exchanges


def test_exclusive_consumer_refuses_others_with_403():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_consume("q", lambda *a: None, exclusive=True)
    with pytest.raises(AccessRefused, match="queue 'q' in vhost '/' in exclusive use"):
        ch.basic_consume("q", lambda *a: None)


def test_mandatory_unroutable_message_is_returned_with_312_no_route():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("orders", "direct")
    returned = []
    ch.add_on_return_callback(lambda c, method, props, body: returned.append(
        (method.reply_code, method.reply_text, method.exchange, method.routing_key, body)))
    ch.basic_publish("orders", "nobody", b"x", mandatory=True)
    sim.advance(0)
    assert returned == [(312, "NO_ROUTE", "orders", "nobody", b"x")]
    assert moves(events) == [("published", "m1", "ch1", "orders"),
                             ("returned", "m1", "orders", "ch1")]


def test_publisher_confirms_ack_each_publish_and_unroutable_mandatory_raises():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.confirm_delivery()
    ch.basic_publish("", "q", b"1")
    ch.basic_publish("", "missing", b"2")  # unroutable, not mandatory: still acked
    with pytest.raises(UnroutableError):
        ch.basic_publish("", "missing", b"3", mandatory=True)
    assert [(e.details["delivery_tag"], e.details["ack"]) for e in events
            if e.kind == "confirmed"] == [(1, True), (2, True), (3, True)]


def test_headers_exchange_matches_all_or_any():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("h", "headers")
    ch.queue_declare("all")
    ch.queue_declare("any")
    ch.queue_bind("all", "h", arguments={"x-match": "all", "format": "pdf", "type": "report"})
    ch.queue_bind("any", "h", arguments={"x-match": "any", "format": "pdf", "type": "report"})
    ch.basic_publish("h", "", b"1", BasicProperties(headers={"format": "pdf", "type": "report"}))
    ch.basic_publish("h", "", b"2", BasicProperties(headers={"format": "pdf"}))
    ch.basic_publish("h", "", b"3", BasicProperties(headers={"format": "zip"}))
    queues = sim.rabbitmq.queues
    assert (queues["all"]["ready"], queues["any"]["ready"]) == (1, 2)


def test_headers_exchange_ignores_x_arguments_unless_with_x_is_asked():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("h", "headers")
    ch.queue_declare("plain")
    ch.queue_declare("with_x")
    ch.queue_bind("plain", "h", arguments={"x-match": "all", "x-tenant": "a"})
    ch.queue_bind("with_x", "h", arguments={"x-match": "all-with-x", "x-tenant": "a"})
    ch.basic_publish("h", "", b"1", BasicProperties(headers={"x-tenant": "b"}))
    queues = sim.rabbitmq.queues
    # 'plain' compares no argument at all, so 'all' holds; 'with_x' compares x-tenant
    assert (queues["plain"]["ready"], queues["with_x"]["ready"]) == (1, 0)


def test_internal_exchange_refuses_publishers_with_403():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("inner", "fanout", internal=True)
    with pytest.raises(AccessRefused, match="cannot publish to internal exchange 'inner'"):
        ch.basic_publish("inner", "", b"x")


def test_exchange_to_exchange_binding_routes_onward():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("ingress", "fanout")
    ch.exchange_declare("orders", "topic")
    ch.exchange_bind("orders", "ingress")
    ch.queue_declare("created")
    ch.queue_bind("created", "orders", "*.created")
    ch.basic_publish("ingress", "order.created", b"x")
    assert moves(events) == [("published", "m1", "ch1", "ingress"),
                             ("routed", "m1", "ingress", "orders"),
                             ("enqueued", "m1", "orders", "created")]


def test_alternate_exchange_takes_what_the_exchange_cannot_route():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("unrouted", "fanout")
    ch.queue_declare("leftovers")
    ch.queue_bind("leftovers", "unrouted")
    ch.exchange_declare("main", "direct", arguments={"alternate-exchange": "unrouted"})
    ch.basic_publish("main", "unknown.key", b"x")
    assert sim.rabbitmq.queues["leftovers"]["ready"] == 1


def test_purge_removes_ready_messages_and_returns_the_count():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    for body in "abc":
        ch.basic_publish("", "q", body)
    ch.basic_get("q")
    assert ch.queue_purge("q") == 2
    assert moves(events, {"purged"}) == [("purged", "m2", "q", None), ("purged", "m3", "q", None)]
    assert not conservation_violations(events, sim.locations())


def test_queue_delete_if_empty_refuses_a_queue_with_messages():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", b"x")
    with pytest.raises(PreconditionFailed, match="queue 'q' in vhost '/' not empty"):
        ch.queue_delete("q", if_empty=True)
    assert "q" in sim.rabbitmq.queues


def test_deleting_a_queue_cancels_its_consumers_and_deletes_unacked_copies():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_consume("q", lambda *a: None, consumer_tag="c")
    ch.basic_publish("", "q", b"x")
    sim.advance(0)
    ch.queue_delete("q")
    assert moves(events, {"deleted"}) == [("deleted", "m1", "c", None)]
    ch.basic_ack(1)  # acking a delivery of a deleted queue is harmless
    assert ch.is_open
    assert not conservation_violations(events, sim.locations())


def test_deleting_an_auto_delete_queue_with_a_consumer_deletes_it_once():
    """queue.delete cancels the consumer; that its last consumer left must not auto-delete
    the queue a second time (it raised KeyError, and the room's replay with it)."""
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("temp", auto_delete=True)
    ch.basic_consume("temp", lambda *a: None, consumer_tag="c")
    ch.basic_publish("", "temp", b"x")
    assert ch.queue_delete("temp") == 1
    assert "temp" not in sim.rabbitmq.queues and ch.is_open
    assert [e.kind for e in events if e.kind in ("consumer-removed", "removed")] == [
        "consumer-removed", "removed"]
    assert not conservation_violations(events, sim.locations())


def test_restart_keeps_durable_things_and_persistent_messages_in_durable_queues():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("durable_x", "direct", durable=True)
    ch.exchange_declare("transient_x", "direct")
    ch.queue_declare("keep", durable=True)
    ch.queue_declare("lose")
    ch.queue_bind("keep", "durable_x", "k")
    ch.queue_bind("keep", "transient_x", "k")
    persistent = BasicProperties(delivery_mode=2)
    ch.basic_publish("", "keep", b"persistent", persistent)
    ch.basic_publish("", "keep", b"transient")
    ch.basic_publish("", "lose", b"persistent but in a transient queue", persistent)
    ch.basic_consume("keep", lambda *a: None)
    sim.advance(0)  # both 'keep' messages are now unacked at the consumer
    sim.rabbitmq.restart()
    assert ch.is_closed
    assert set(sim.rabbitmq.queues) == {"keep"}
    assert "transient_x" not in sim.rabbitmq.exchanges
    assert sim.rabbitmq.exchanges["durable_x"]["bindings"] == [
        {"destination": "keep", "destination_kind": "queue", "routing_key": "k",
         "arguments": {}}]
    assert moves(events, {"lost"}) == [("lost", "m2", "keep", None), ("lost", "m3", "lose", None)]
    fresh = sim.rabbitmq.channel()
    method, _, body = fresh.basic_get("keep")
    assert (body, method.redelivered) == (b"persistent", True)
    assert not conservation_violations(events, sim.locations())


def test_restart_keeps_every_message_of_a_quorum_queue():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    ch.basic_publish("", "qq", b"transient")
    sim.rabbitmq.restart()
    assert sim.rabbitmq.queues["qq"]["ready"] == 1
