"""Publishing, routing, consuming and acknowledging: the work-queue rules of RabbitMQ."""

import pytest

from engine import Simulation
from engine.invariants import conservation_violations
from engine.rabbitmq import BasicProperties, ChannelWrongState, PreconditionFailed

from .test_rabbitmq_helpers import moves, record, short


class Inbox:
    """A consumer callback that keeps what it got (and acks when told to)."""

    def __init__(self, ack=False):
        self.got = []
        self.ack = ack

    def __call__(self, channel, method, properties, body):
        self.got.append((method.delivery_tag, body, method.redelivered))
        if self.ack:
            channel.basic_ack(method.delivery_tag)

    @property
    def bodies(self):
        return [body for _, body, _ in self.got]


def test_default_exchange_routes_to_the_queue_named_by_the_key_and_advance_zero_delivers():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("hello")
    inbox = Inbox(ack=True)
    ch.basic_consume("hello", inbox)
    ch.basic_publish("", "hello", b"Hello World!")
    assert inbox.got == []  # nothing moves until the clock runs
    sim.advance(0)
    assert inbox.got == [(1, b"Hello World!", False)]
    assert moves(events) == [
        ("published", "m1", "ch1", "amq.default"),
        ("enqueued", "m1", "amq.default", "hello"),
        ("delivered", "m1", "hello", "ctag1.1"),
        ("acked", "m1", "ctag1.1", None),
    ]


def test_callback_gets_pika_shaped_arguments():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("direct_logs", "direct")
    ch.queue_declare("errors")
    ch.queue_bind("errors", "direct_logs", "error")
    seen = []
    ch.basic_consume("errors", lambda *args: seen.append(args), consumer_tag="me")
    props = BasicProperties(reply_to="amq.rabbitmq.reply-to", correlation_id="c-1",
                            headers={"k": "v"})
    ch.basic_publish("direct_logs", "error", b"disk full", props)
    sim.advance(0)
    [(channel, method, properties, body)] = seen
    assert channel is ch
    assert (method.consumer_tag, method.delivery_tag, method.redelivered, method.exchange,
            method.routing_key) == ("me", 1, False, "direct_logs", "error")
    assert (properties.reply_to, properties.correlation_id, properties.headers) == (
        "amq.rabbitmq.reply-to", "c-1", {"k": "v"})
    assert body == b"disk full"


def test_direct_exchange_needs_the_exact_key_and_fanout_ignores_it():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("direct_logs", "direct")
    ch.exchange_declare("logs", "fanout")
    for q in ("a", "b"):
        ch.queue_declare(q)
        ch.queue_bind(q, "logs", "ignored")
    ch.queue_bind("a", "direct_logs", "info")
    ch.basic_publish("direct_logs", "info", b"1")
    ch.basic_publish("direct_logs", "info.x", b"2")
    ch.basic_publish("logs", "anything", b"3")
    assert moves(events, {"enqueued", "dropped"}) == [
        ("enqueued", "m1", "direct_logs", "a"),
        ("dropped", "m2", "direct_logs", None),
        ("enqueued", "m3", "logs", "a"),
        ("enqueued", "m3.2", "logs", "b"),  # a copy per queue, each with its own id
    ]


def test_round_robin_among_competing_consumers():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("task_queue", durable=True)
    workers = [Inbox(ack=True) for _ in range(3)]
    for worker in workers:
        ch.basic_consume("task_queue", worker)
    for i in range(7):
        ch.basic_publish("", "task_queue", f"task {i}".encode())
    sim.advance(0)
    assert [w.bodies for w in workers] == [
        [b"task 0", b"task 3", b"task 6"], [b"task 1", b"task 4"], [b"task 2", b"task 5"]]


def test_prefetch_limits_unacked_deliveries_per_consumer():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_qos(prefetch_count=2)
    slow = Inbox()
    ch.basic_consume("q", slow)
    for i in range(5):
        ch.basic_publish("", "q", str(i))
    sim.advance(0)
    assert slow.bodies == ["0", "1"]
    assert sim.rabbitmq.queues["q"]["ready"] == 3
    ch.basic_ack(1)
    sim.advance(0)
    assert slow.bodies == ["0", "1", "2"]


def test_prefetch_sends_work_to_the_consumer_with_room():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_qos(prefetch_count=1)
    busy, free = Inbox(), Inbox(ack=True)
    ch.basic_consume("q", busy)
    ch.basic_consume("q", free)
    for i in range(4):
        ch.basic_publish("", "q", str(i))
    sim.advance(0)
    assert busy.bodies == ["0"]
    assert free.bodies == ["1", "2", "3"]


def test_single_active_consumer_gets_everything_and_the_next_takes_over():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("ordered", arguments={"x-single-active-consumer": True})
    ch.basic_qos(prefetch_count=1)
    first, second = Inbox(), Inbox(ack=True)
    tag = ch.basic_consume("ordered", first)
    ch.basic_consume("ordered", second)
    for i in range(3):
        ch.basic_publish("", "ordered", str(i))
    sim.advance(0)
    assert (first.bodies, second.bodies) == (["0"], [])  # busy, yet the other waits
    ch.basic_cancel(tag)
    sim.advance(0)
    assert second.bodies == ["1", "2"]
    assert "ctag1.2 becomes the single active consumer" in next(
        e.reason for e in events if e.kind == "consumer-removed")


def test_higher_priority_consumers_get_messages_until_their_prefetch_blocks_them():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_qos(prefetch_count=2)
    low, high_a, high_b = Inbox(), Inbox(), Inbox()
    ch.basic_consume("q", low)
    ch.basic_consume("q", high_a, arguments={"x-priority": 10})
    ch.basic_consume("q", high_b, arguments={"x-priority": 10})
    for i in range(6):
        ch.basic_publish("", "q", str(i))
    sim.advance(0)
    # the two priority-10 consumers take turns; the default one only gets what they cannot
    assert (high_a.bodies, high_b.bodies, low.bodies) == (["0", "2"], ["1", "3"], ["4", "5"])


def test_unknown_consumer_arguments_are_ignored_as_rabbitmq_ignores_them():
    # This test used to expect a local refusal, which pika never makes: RabbitMQ 3.10 takes
    # consumer arguments it does not know and ignores them (tests/conformance/rabbitmq,
    # client-consume-unknown-argument).
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    inbox = Inbox()
    ch.basic_consume("q", inbox, arguments={"x-whatever": 1})
    ch.basic_publish("", "q", "m1")
    sim.advance(0)
    assert inbox.bodies == ["m1"]
    assert ch.is_open


def test_a_stream_offset_on_a_classic_queue_closes_the_channel_with_406():
    # RabbitMQ 3.10 refuses a consumer argument of another queue type (client-consume-
    # stream-offset-on-classic)
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    with pytest.raises(PreconditionFailed, match="of queue type rabbit_classic_queue"):
        ch.basic_consume("q", Inbox(), arguments={"x-stream-offset": "first"})


def test_a_consumer_priority_that_is_not_a_number_closes_the_channel_with_406():
    # rabbit_amqqueue checks x-priority as an integer argument (seen on RabbitMQ 3.10)
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    with pytest.raises(PreconditionFailed) as raised:
        ch.basic_consume("q", Inbox(), arguments={"x-priority": "high"})
    assert raised.value.reply_text == (
        "PRECONDITION_FAILED - invalid arg 'x-priority' for queue 'q' in vhost '/': "
        '"expected integer, got longstr"')


def test_global_qos_shares_the_limit_among_the_channels_consumers():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_qos(prefetch_count=3, global_qos=True)
    a, b = Inbox(), Inbox()
    ch.basic_consume("q", a)
    ch.basic_consume("q", b)
    for i in range(6):
        ch.basic_publish("", "q", str(i))
    sim.advance(0)
    assert len(a.got) + len(b.got) == 3


def test_nack_with_requeue_puts_the_message_back_at_its_original_position_redelivered():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    for body in ("first", "second", "third"):
        ch.basic_publish("", "q", body)
    method, _, body = ch.basic_get("q")
    assert body == "first"
    ch.basic_nack(method.delivery_tag, requeue=True)
    assert moves(events, {"requeued"}) == [("requeued", "m1", "ch1.get", "q")]
    again = [ch.basic_get("q", auto_ack=True) for _ in range(3)]
    assert [(m.redelivered, b) for m, _, b in again] == [
        (True, "first"), (False, "second"), (False, "third")]


def test_requeue_of_a_later_message_goes_behind_earlier_ready_ones():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    for body in "abcd":
        ch.basic_publish("", "q", body)
    tags = [ch.basic_get("q")[0].delivery_tag for _ in range(3)]  # a, b, c out; d ready
    ch.basic_reject(tags[2], requeue=True)  # c back: before d
    ch.basic_reject(tags[0], requeue=True)  # a back: before c
    assert [ch.basic_get("q", auto_ack=True)[2] for _ in range(3)] == ["a", "c", "d"]


def test_reject_with_requeue_is_redelivered_to_a_consumer():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    seen = []

    def picky(channel, method, properties, body):
        seen.append((body, method.redelivered))
        if method.redelivered:
            channel.basic_ack(method.delivery_tag)
        else:
            channel.basic_reject(method.delivery_tag, requeue=True)

    ch.basic_consume("q", picky)
    ch.basic_publish("", "q", b"job")
    sim.advance(0)
    assert seen == [(b"job", False), (b"job", True)]


def test_reject_without_requeue_and_no_dead_letter_exchange_drops_it():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", b"bad")
    method, _, _ = ch.basic_get("q")
    ch.basic_reject(method.delivery_tag, requeue=False)
    assert moves(events)[-1] == ("dropped", "m1", "ch1.get", None)
    assert "has no dead-letter exchange" in events[-1].reason
    assert sim.rabbitmq.queues["q"]["ready"] == 0


def test_ack_multiple_acks_every_tag_up_to_the_given_one():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    inbox = Inbox()
    ch.basic_consume("q", inbox)
    for i in range(4):
        ch.basic_publish("", "q", str(i))
    sim.advance(0)
    ch.basic_ack(3, multiple=True)
    assert moves(events, {"acked"}) == [("acked", f"m{i}", "ctag1.1", None) for i in (1, 2, 3)]
    assert sim.rabbitmq.consumers["ctag1.1"]["unacked"] == [4]
    ch.basic_nack(0, multiple=True, requeue=True)  # tag 0 + multiple: everything outstanding
    assert moves(events, {"requeued"}) == [("requeued", "m4", "ctag1.1", "q")]


def test_unknown_delivery_tag_closes_the_channel_with_406():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", b"x")
    method, _, _ = ch.basic_get("q")
    ch.basic_ack(method.delivery_tag)
    with pytest.raises(PreconditionFailed) as raised:
        ch.basic_ack(method.delivery_tag)  # acking twice
    assert raised.value.reply_code == 406
    assert raised.value.reply_text == "PRECONDITION_FAILED - unknown delivery tag 1"
    assert ch.is_closed
    assert events[-1].kind == "channel-closed"
    assert events[-1].reason == "PRECONDITION_FAILED - unknown delivery tag 1"
    with pytest.raises(ChannelWrongState):
        ch.basic_publish("", "q", b"y")


def test_closing_a_channel_requeues_its_unacked_messages_for_other_consumers():
    sim = Simulation()
    events = record(sim)
    worker_ch, other_ch = sim.rabbitmq.channel(), sim.rabbitmq.channel()
    worker_ch.queue_declare("q")
    worker_ch.basic_consume("q", Inbox())  # never acks
    for body in "ab":
        worker_ch.basic_publish("", "q", body)
    sim.advance(0)
    worker_ch.close()
    other = Inbox(ack=True)
    other_ch.basic_consume("q", other)
    sim.advance(0)
    assert other.got == [(1, "a", True), (2, "b", True)]
    assert moves(events, {"requeued"}) == [
        ("requeued", "m1", "ctag1.1", "q"), ("requeued", "m2", "ctag1.1", "q")]
    assert not conservation_violations(events, sim.locations())


def test_delivery_unacked_past_the_consumer_timeout_closes_the_channel():
    sim = Simulation()
    events = record(sim)
    stuck, spare = sim.rabbitmq.channel(), sim.rabbitmq.channel()
    stuck.queue_declare("q", arguments={"x-consumer-timeout": 90_000})
    stuck.basic_consume("q", Inbox())  # never acks
    sim.advance(5)
    stuck.basic_publish("", "q", b"job")
    sim.advance(110)  # deadline at 95 s; the check runs once a minute
    assert stuck.is_open
    sim.advance(5)
    assert stuck.is_closed
    closed = events[-1]
    assert (closed.kind, closed.at, closed.reason) == (
        "channel-closed", 120.0,
        "PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value "
        "used: 90000 ms. This timeout value can be configured, see consumers doc guide to "
        "learn more")
    other = Inbox(ack=True)
    spare.basic_consume("q", other)
    sim.advance(0)
    assert other.got == [(1, b"job", True)]


def test_default_consumer_timeout_is_thirty_minutes():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", b"x")
    ch.basic_get("q")
    sim.advance(1799)
    assert ch.is_open
    sim.advance(1)
    assert ch.is_closed


def test_crashed_consumer_connection_requeues_and_says_why():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    tag = ch.basic_consume("q", Inbox())
    ch.basic_publish("", "q", b"x")
    sim.advance(0)
    sim.rabbitmq.crash_connection(tag)
    assert [e.kind for e in events[-3:]] == ["consumer-removed", "requeued", "channel-closed"]
    assert "crashed" in events[-1].reason
    assert sim.rabbitmq.queues["q"]["ready"] == 1


def test_basic_recover_requeues_every_unacked_delivery_of_the_channel():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    for body in "ab":
        ch.basic_publish("", "q", body)
    ch.basic_get("q")
    ch.basic_get("q")
    ch.basic_recover(requeue=True)
    assert moves(events, {"requeued"}) == [("requeued", "m1", "ch1.get", "q"),
                                           ("requeued", "m2", "ch1.get", "q")]
    assert [ch.basic_get("q", auto_ack=True)[2] for _ in range(2)] == ["a", "b"]


def test_cancel_stops_deliveries_but_keeps_unacked_until_acked():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    inbox = Inbox()
    tag = ch.basic_consume("q", inbox)
    ch.basic_publish("", "q", b"1")
    sim.advance(0)
    ch.basic_cancel(tag)
    ch.basic_publish("", "q", b"2")
    sim.advance(0)
    assert inbox.bodies == [b"1"]
    ch.basic_ack(1)  # the tag is still valid on this channel
    queue = sim.rabbitmq.queues["q"]
    assert (queue["ready"], queue["unacked"], queue["consumers"]) == (1, 0, [])


def test_auto_ack_consumer_has_nothing_unacked_and_ignores_prefetch():
    sim = Simulation()
    events = record(sim)
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_qos(prefetch_count=1)
    inbox = Inbox()
    ch.basic_consume("q", inbox, auto_ack=True)
    for i in range(3):
        ch.basic_publish("", "q", str(i))
    sim.advance(0)
    assert inbox.bodies == ["0", "1", "2"]
    assert moves(events, {"acked"}) == [("acked", f"m{i}", "ctag1.1", None) for i in (1, 2, 3)]
    assert list(sim.locations()) == []


def test_basic_get_on_empty_queue_returns_nones():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    assert ch.basic_get("q") == (None, None, None)


def test_basic_get_reports_how_many_messages_remain():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    for i in range(3):
        ch.basic_publish("", "q", str(i))
    method, _, body = ch.basic_get("q", auto_ack=True)
    assert (body, method.message_count) == ("0", 2)


def test_request_reply_carries_reply_to_and_correlation_id_through():
    sim = Simulation()
    server, client = sim.rabbitmq.channel(), sim.rabbitmq.channel()
    server.queue_declare("rpc_queue")

    def on_request(channel, method, props, body):
        reply = BasicProperties(correlation_id=props.correlation_id)
        channel.basic_publish("", props.reply_to, str(int(body) * 2), reply)
        channel.basic_ack(method.delivery_tag)

    server.basic_consume("rpc_queue", on_request)
    callback_queue = client.queue_declare("", exclusive=True)
    answers = []
    client.basic_consume(callback_queue, lambda c, m, p, b: answers.append((p.correlation_id, b)),
                         auto_ack=True)
    client.basic_publish("", "rpc_queue", "21",
                         BasicProperties(reply_to=callback_queue, correlation_id="abc"))
    sim.advance(0)
    assert answers == [("abc", "42")]


def test_topology_draws_producers_exchanges_queues_consumers_and_bindings():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("orders", "topic")
    ch.queue_declare("created")
    ch.queue_bind("created", "orders", "*.created")
    ch.basic_consume("created", Inbox(), consumer_tag="billing")
    ch.basic_publish("orders", "order.created", b"{}")
    topo = sim.topology()
    assert [(n["kind"], n["name"], n["column"]) for n in topo["nodes"]] == [
        ("producer", "ch1", 0), ("exchange", "orders", 1), ("queue", "created", 2),
        ("consumer", "billing", 3)]
    assert [(e["kind"], short(e["source"]), short(e["target"]), e["label"])
            for e in topo["edges"]] == [
        ("publishes", "ch1", "orders", ""), ("binding", "orders", "created", "*.created"),
        ("subscription", "created", "billing", "")]


def test_contents_list_ready_messages_and_a_consumers_unacked_with_tags():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume("q", Inbox(), consumer_tag="c")
    for body in ("one", "two"):
        ch.basic_publish("", "q", body)
    sim.advance(0)
    contents = sim.snapshot()["contents"]
    queue = contents["rabbitmq:queue:q"]
    assert queue["counters"] == {"ready": 1, "unacked": 1, "bytes": 3, "consumers": 1}
    assert [m["body"] for m in queue["messages"]] == ["two"]
    consumer = contents["rabbitmq:consumer:c"]
    assert consumer["counters"] == {"unacked": 1, "prefetch": 1}
    assert [(m["id"], m["body"], m["delivery_tag"]) for m in consumer["messages"]] == [
        ("m1", "one", 1)]
    assert sorted(sim.locations()) == [("m1", "rabbitmq:consumer:c"),
                                       ("m2", "rabbitmq:queue:q")]


def test_same_seed_and_calls_give_the_same_events():
    def run():
        sim = Simulation(seed=7)
        events = record(sim)
        ch = sim.rabbitmq.channel()
        name = ch.queue_declare("")
        ch.basic_consume(name, Inbox(ack=True))
        for i in range(3):
            ch.basic_publish("", name, str(i))
        sim.advance(0)
        return events

    assert run() == run()
