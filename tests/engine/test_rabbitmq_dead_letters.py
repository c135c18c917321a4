"""Dead-lettering, TTL, length limits, priorities and quorum-queue delivery limits."""

import pytest

from engine import Simulation
from engine.invariants import conservation_violations
from engine.rabbitmq import (
    BasicProperties,
    NackError,
    NotImplementedByBroker,
    PreconditionFailed,
)

from .test_rabbitmq_helpers import moves, record


def dlx_setup(sim, **work_args):
    """work --(DLX 'dlx', fanout)--> dead"""
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("dlx", "fanout")
    ch.queue_declare("dead")
    ch.queue_bind("dead", "dlx")
    ch.queue_declare("work", arguments={"x-dead-letter-exchange": "dlx", **work_args})
    return ch


def test_reject_without_requeue_dead_letters():
    sim = Simulation()
    events = record(sim)
    ch = dlx_setup(sim)
    ch.basic_publish("", "work", b"poison")
    method, _, _ = ch.basic_get("work")
    ch.basic_reject(method.delivery_tag, requeue=False)
    assert moves(events, {"dead-lettered", "enqueued"}) == [
        ("enqueued", "m1", "amq.default", "work"),
        ("dead-lettered", "m1", "ch1.get", "dlx"),
        ("enqueued", "m1", "dlx", "dead"),
    ]
    assert events[-2].reason == "basic.reject with requeue=false → dead-letter exchange dlx"
    assert not conservation_violations(events, sim.locations())


def test_x_death_header_is_written_as_rabbitmq_writes_it():
    sim = Simulation()
    sim.advance(5)
    ch = dlx_setup(sim)
    ch.basic_publish("", "work", b"x", BasicProperties(expiration="60000"))
    method, _, _ = ch.basic_get("work")
    ch.basic_nack(method.delivery_tag, requeue=False)
    method, props, _ = ch.basic_get("dead")
    assert (method.exchange, method.routing_key) == ("dlx", "work")
    assert props.expiration is None  # removed so it does not expire again
    assert props.headers == {
        "x-death": [{"count": 1, "reason": "rejected", "queue": "work", "time": 5,
                     "exchange": "", "routing-keys": ["work"],
                     "original-expiration": "60000"}],
        "x-first-death-reason": "rejected", "x-first-death-queue": "work",
        "x-first-death-exchange": "",
        "x-last-death-reason": "rejected", "x-last-death-queue": "work",
        "x-last-death-exchange": "",
    }


def test_repeated_death_in_same_queue_for_same_reason_increments_count():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    # A retry loop through the default exchange: work rejects to retry, retry expires to work.
    ch.queue_declare("work", arguments={"x-dead-letter-exchange": "",
                                        "x-dead-letter-routing-key": "retry"})
    ch.queue_declare("retry", arguments={"x-dead-letter-exchange": "",
                                         "x-dead-letter-routing-key": "work",
                                         "x-message-ttl": 1000})
    ch.basic_publish("", "work", b"job")
    for _ in range(2):
        method, _, _ = ch.basic_get("work")
        ch.basic_reject(method.delivery_tag, requeue=False)
        sim.advance(1)
    _, props, _ = ch.basic_get("work")
    deaths = props.headers["x-death"]
    assert [(d["queue"], d["reason"], d["count"]) for d in deaths] == [
        ("retry", "expired", 2), ("work", "rejected", 2)]
    assert props.headers["x-first-death-queue"] == "work"
    assert props.headers["x-last-death-queue"] == "retry"


def test_dead_letter_routing_key_replaces_the_original_key():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("dlx", "direct")
    ch.queue_declare("parking", arguments={})
    ch.queue_bind("parking", "dlx", "parked")
    ch.queue_declare("work", arguments={"x-dead-letter-exchange": "dlx",
                                        "x-dead-letter-routing-key": "parked"})
    ch.basic_publish("", "work", b"x")
    ch.basic_reject(ch.basic_get("work")[0].delivery_tag, requeue=False)
    method, props, _ = ch.basic_get("parking")
    assert method.routing_key == "parked"
    assert props.headers["x-death"][0]["routing-keys"] == ["work"]


def test_missing_dead_letter_exchange_drops_the_message():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("work", arguments={"x-dead-letter-exchange": "nowhere"})
    ch.basic_publish("", "work", b"x")
    ch.basic_reject(ch.basic_get("work")[0].delivery_tag, requeue=False)
    assert [e.kind for e in events[-2:]] == ["dead-lettered", "dropped"]
    assert "does not exist" in events[-1].reason


def test_dead_lettering_through_the_default_exchange_draws_it():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("parking")
    ch.queue_declare("work", arguments={"x-dead-letter-exchange": "",
                                        "x-dead-letter-routing-key": "parking",
                                        "x-message-ttl": 0})
    ch.exchange_declare("in", "fanout")
    ch.queue_bind("work", "in")
    ch.basic_publish("in", "", b"x")
    sim.advance(0)
    names = [n["name"] for n in sim.topology()["nodes"] if n["kind"] == "exchange"]
    assert names == ["amq.default", "in"]
    assert sim.rabbitmq.queues["parking"]["ready"] == 1
    assert moves(events)[-2:] == [("dead-lettered", "m1", "work", "amq.default"),
                                  ("enqueued", "m1", "amq.default", "parking")]
    shown = [e for e in events if e.kind == "declared" and e.source.endswith("amq.default")]
    assert [e.reason for e in shown] == [
        "the default exchange is used as a dead-letter exchange"]


def test_dead_letter_cycle_without_rejection_is_dropped():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    # Dead-letters to the default exchange with no key: back into itself on expiry.
    ch.queue_declare("loop", arguments={"x-dead-letter-exchange": "", "x-message-ttl": 10})
    ch.basic_publish("", "loop", b"x")
    sim.advance(1)
    assert [e.kind for e in events if e.message_id][-2:] == ["dead-lettered", "dropped"]
    assert "cycle" in events[-1].reason
    assert sim.rabbitmq.queues["loop"]["ready"] == 0


def test_per_queue_ttl_expires_messages_and_dead_letters_them_as_expired():
    sim = Simulation()
    events = record(sim)
    ch = dlx_setup(sim, **{"x-message-ttl": 2000})
    ch.basic_publish("", "work", b"x")
    sim.advance(1.999)
    assert sim.rabbitmq.queues["work"]["ready"] == 1
    sim.advance(0.001)
    assert moves(events, {"dead-lettered"}) == [("dead-lettered", "m1", "work", "dlx")]
    assert events[-2].at == 2.0
    _, props, _ = ch.basic_get("dead")
    assert props.headers["x-death"][0]["reason"] == "expired"


def test_without_dead_letter_exchange_expired_message_is_gone():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q", arguments={"x-message-ttl": 100})
    ch.basic_publish("", "q", b"x")
    sim.advance(1)
    assert moves(events)[-1] == ("expired", "m1", "q", None)
    assert list(sim.locations()) == []


def test_lower_of_queue_ttl_and_message_expiration_wins():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q", arguments={"x-message-ttl": 5000})
    ch.basic_publish("", "q", b"short", BasicProperties(expiration="1000"))
    ch.basic_publish("", "q", b"long", BasicProperties(expiration="9000"))
    sim.advance(1)
    assert sim.rabbitmq.queues["q"]["ready"] == 1
    sim.advance(4)
    assert sim.rabbitmq.queues["q"]["ready"] == 0


def test_expiration_that_is_not_whole_milliseconds_closes_the_channel():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    with pytest.raises(PreconditionFailed, match="invalid expiration '1.5'"):
        ch.basic_publish("", "q", b"x", BasicProperties(expiration="1.5"))
    assert ch.is_closed
    assert sim.rabbitmq.queues["q"]["ready"] == 0


def test_classic_queue_expires_per_message_ttl_only_at_the_head():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", b"no ttl")
    ch.basic_publish("", "q", b"ttl", BasicProperties(expiration="1000"))
    sim.advance(10)
    assert sim.rabbitmq.queues["q"]["ready"] == 2  # stuck behind the head, still counted
    assert ch.basic_get("q", auto_ack=True)[2] == b"no ttl"
    assert ch.basic_get("q") == (None, None, None)  # reaches the head already expired


def test_quorum_queue_expires_messages_wherever_they_are():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    ch.basic_publish("", "qq", b"no ttl")
    ch.basic_publish("", "qq", b"ttl", BasicProperties(expiration="1000"))
    sim.advance(1)
    assert sim.rabbitmq.queues["qq"]["ready"] == 1


def test_ttl_zero_delivers_to_a_waiting_consumer_or_expires():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("waiting", arguments={"x-message-ttl": 0})
    ch.queue_declare("idle", arguments={"x-message-ttl": 0})
    got = []
    ch.basic_consume("waiting", lambda c, m, p, b: got.append(b), auto_ack=True)
    ch.basic_publish("", "waiting", b"a")
    ch.basic_publish("", "idle", b"b")
    sim.advance(0)
    assert got == [b"a"]
    assert sim.rabbitmq.queues["idle"]["ready"] == 0


def test_requeued_message_keeps_its_original_expiry():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q", arguments={"x-message-ttl": 1000})
    ch.basic_publish("", "q", b"x")
    sim.advance(0.5)
    tag = ch.basic_get("q")[0].delivery_tag
    sim.advance(5)  # unacked messages do not expire
    ch.basic_nack(tag, requeue=True)
    sim.advance(0)
    assert sim.rabbitmq.queues["q"]["ready"] == 0  # expired at 1.0 already


def test_unused_queue_with_x_expires_is_deleted_without_dead_lettering():
    sim = Simulation()
    events = record(sim)
    ch = dlx_setup(sim, **{"x-expires": 2000})
    ch.basic_publish("", "work", b"x")
    sim.advance(1.5)
    ch.basic_get("work", auto_ack=True)  # a basic.get uses the queue: the lease renews
    ch.basic_publish("", "work", b"y")
    sim.advance(1.9)
    assert "work" in sim.rabbitmq.queues
    sim.advance(0.1)
    assert "work" not in sim.rabbitmq.queues
    assert moves(events)[-1] == ("deleted", "m2", "work", None)
    assert sim.rabbitmq.queues["dead"]["ready"] == 0


def test_queue_with_a_consumer_does_not_expire():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q", arguments={"x-expires": 1000})
    tag = ch.basic_consume("q", lambda *a: None)
    sim.advance(10)
    assert "q" in sim.rabbitmq.queues
    ch.basic_cancel(tag)
    sim.advance(1)
    assert "q" not in sim.rabbitmq.queues


def test_max_length_drop_head_dead_letters_the_oldest_as_maxlen():
    sim = Simulation()
    events = record(sim)
    ch = dlx_setup(sim, **{"x-max-length": 2})
    for body in (b"1", b"2", b"3"):
        ch.basic_publish("", "work", body)
    assert moves(events, {"dead-lettered"}) == [("dead-lettered", "m1", "work", "dlx")]
    assert [ch.basic_get("work", auto_ack=True)[2] for _ in range(2)] == [b"2", b"3"]
    assert ch.basic_get("dead")[1].headers["x-death"][0]["reason"] == "maxlen"


def test_max_length_counts_ready_messages_only():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q", arguments={"x-max-length": 1})
    ch.basic_publish("", "q", b"1")
    ch.basic_get("q")  # now unacked, not counted
    ch.basic_publish("", "q", b"2")
    assert sim.rabbitmq.queues["q"]["ready"] == 1
    assert sim.rabbitmq.queues["q"]["unacked"] == 1


def test_max_length_bytes_counts_body_bytes():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q", arguments={"x-max-length-bytes": 5})
    ch.basic_publish("", "q", b"abc")
    ch.basic_publish("", "q", b"de")
    ch.basic_publish("", "q", b"f")  # 6 bytes: the oldest goes
    assert [ch.basic_get("q", auto_ack=True)[2] for _ in range(2)] == [b"de", b"f"]


def test_reject_publish_refuses_the_new_message_and_nacks_it_under_confirms():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q", arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    ch.confirm_delivery()
    ch.basic_publish("", "q", b"1")
    with pytest.raises(NackError):
        ch.basic_publish("", "q", b"2")
    assert moves(events, {"enqueued", "dropped"}) == [
        ("enqueued", "m1", "amq.default", "q"), ("dropped", "m2", "amq.default", None)]
    confirms = [(e.details["message_id"], e.details["ack"]) for e in events
                if e.kind == "confirmed"]
    assert confirms == [("m1", True), ("m2", False)]


def test_reject_publish_dlx_dead_letters_the_refused_message():
    sim = Simulation()
    ch = dlx_setup(sim, **{"x-max-length": 1, "x-overflow": "reject-publish-dlx"})
    ch.basic_publish("", "work", b"1")
    ch.basic_publish("", "work", b"2")
    assert ch.basic_get("work", auto_ack=True)[2] == b"1"
    _, props, body = ch.basic_get("dead")
    assert (body, props.headers["x-death"][0]["reason"]) == (b"2", "maxlen")


def test_priority_queue_delivers_higher_priority_first_fifo_within_a_priority():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("p", arguments={"x-max-priority": 5})
    for body, priority in [("low", None), ("high1", 5), ("mid", 3), ("high2", 5), ("over", 9)]:
        ch.basic_publish("", "p", body, BasicProperties(priority=priority))
    got = [ch.basic_get("p", auto_ack=True)[2] for _ in range(5)]
    # above the maximum counts as the maximum; no priority counts as 0
    assert got == ["high1", "high2", "over", "mid", "low"]


def test_requeued_message_returns_to_its_place_in_a_priority_queue():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("p", arguments={"x-max-priority": 2})
    for body, priority in [("a", 2), ("b", 2), ("c", 1)]:
        ch.basic_publish("", "p", body, BasicProperties(priority=priority))
    tag = ch.basic_get("p")[0].delivery_tag
    ch.basic_reject(tag, requeue=True)
    assert [ch.basic_get("p", auto_ack=True)[2] for _ in range(3)] == ["a", "b", "c"]


def test_quorum_queue_counts_deliveries_and_dead_letters_past_the_delivery_limit():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("dlx", "fanout")
    ch.queue_declare("poison", durable=True)
    ch.queue_bind("poison", "dlx")
    ch.queue_declare("jobs", durable=True, arguments={
        "x-queue-type": "quorum", "x-delivery-limit": 2, "x-dead-letter-exchange": "dlx"})
    counts = []

    def always_fails(channel, method, props, body):
        counts.append((props.headers or {}).get("x-delivery-count"))
        channel.basic_nack(method.delivery_tag, requeue=True)

    ch.basic_consume("jobs", always_fails)
    ch.basic_publish("", "jobs", b"poison pill")
    sim.advance(0)
    assert counts == [None, 1, 2]  # delivered limit + 1 times
    _, props, _ = ch.basic_get("poison")
    assert props.headers["x-death"][0]["reason"] == "delivery_limit"
    assert "x-delivery-limit=2" in next(e.reason for e in events if e.kind == "dead-lettered")


def test_quorum_queue_has_a_default_delivery_limit_of_20():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("jobs", durable=True, arguments={"x-queue-type": "quorum"})
    deliveries = []

    def always_fails(channel, method, props, body):
        deliveries.append(method.delivery_tag)
        channel.basic_reject(method.delivery_tag, requeue=True)

    ch.basic_consume("jobs", always_fails)
    ch.basic_publish("", "jobs", b"x")
    sim.advance(0)
    assert len(deliveries) == 21
    assert sim.rabbitmq.queues["jobs"]["ready"] == 0


def test_quorum_queue_refuses_consumers_on_a_global_qos_channel():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("qq", durable=True, arguments={"x-queue-type": "quorum"})
    ch.basic_qos(prefetch_count=10, global_qos=True)
    with pytest.raises(NotImplementedByBroker) as raised:
        ch.basic_consume("qq", lambda *a: None)
    assert (raised.value.reply_code, raised.value.reply_text) == (
        540, "NOT_IMPLEMENTED - queue 'qq' in vhost '/' does not support global qos")


def test_quorum_queue_must_be_durable():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    with pytest.raises(PreconditionFailed) as raised:
        ch.queue_declare("qq", arguments={"x-queue-type": "quorum"})
    assert "non-durable" in raised.value.reply_text
    assert ch.is_closed


def test_bad_queue_argument_closes_the_channel_with_406():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    with pytest.raises(PreconditionFailed) as raised:
        ch.queue_declare("q", arguments={"x-max-length": -1})
    assert raised.value.reply_text.startswith(
        "PRECONDITION_FAILED - invalid arg 'x-max-length' for queue 'q' in vhost '/'")
    assert "q" not in sim.rabbitmq.queues
