"""Rules the conformance run against RabbitMQ 3.10 corrected, pinned here so they hold without
a node (``tests/conformance/rabbitmq`` compares them with the real broker)."""

import pytest

from engine import InvalidArgument, Simulation
from engine.rabbitmq import (
    AccessRefused,
    BasicProperties,
    DuplicateConsumerTag,
    NotImplementedByBroker,
    PreconditionFailed,
    ResourceLocked,
)


def _channel():
    sim = Simulation()
    return sim, sim.rabbitmq.connection().channel()


def test_a_reused_consumer_tag_is_refused_locally_and_the_channel_stays_open():
    # pika raises DuplicateConsumerTag before sending anything
    sim, ch = _channel()
    ch.queue_declare("q")
    ch.basic_consume("q", lambda *a: None, consumer_tag="t")
    with pytest.raises(DuplicateConsumerTag):
        ch.basic_consume("q", lambda *a: None, consumer_tag="t")
    assert isinstance(DuplicateConsumerTag("x"), InvalidArgument)
    assert ch.is_open


@pytest.mark.parametrize(("command", "text"), [
    (lambda ch: ch.basic_qos(prefetch_count=1, prefetch_size=1000),
     "NOT_IMPLEMENTED - prefetch_size!=0 (1000)"),
    (lambda ch: ch.basic_recover(requeue=False), "NOT_IMPLEMENTED - requeue=false"),
])
def test_unimplemented_options_close_the_connection_with_540(command, text):
    # rabbit_channel: protocol_error(not_implemented, ...), a connection error
    sim, ch = _channel()
    with pytest.raises(NotImplementedByBroker) as raised:
        command(ch)
    assert (raised.value.reply_code, raised.value.reply_text) == (540, text)
    assert ch.connection.is_closed


@pytest.mark.parametrize(("arguments", "why"), [
    ({"x-max-length": -1}, "{value_negative,-1}"),
    ({"x-max-length": "ten"}, '"expected integer, got longstr"'),
    ({"x-expires": 0}, "{value_zero,0}"),
    ({"x-overflow": "drop-tail"}, "invalid_overflow"),
    ({"x-max-priority": 256}, "{max_value_exceeded,256}"),
    ({"x-single-active-consumer": 1}, "{unacceptable_type,signedint}"),
    ({"x-dead-letter-routing-key": "k"}, "routing_key_but_no_dlx_defined"),
    ({"x-queue-type": "lazy"}, "\"unsupported queue type 'lazy'\""),
])
def test_bad_queue_arguments_are_refused_in_rabbitmqs_words(arguments, why):
    # rabbit_amqqueue:declare_args/0 checks, printed with ~p
    sim, ch = _channel()
    with pytest.raises(PreconditionFailed) as raised:
        ch.queue_declare("q", arguments=arguments)
    key = next(iter(arguments))
    assert raised.value.reply_text == (
        f"PRECONDITION_FAILED - invalid arg '{key}' for queue 'q' in vhost '/': {why}")


def test_redeclaring_with_another_exclusive_flag_is_resource_locked():
    # rabbit_amqqueue:check_exclusive_access(Q, Owner, strict)
    sim, ch = _channel()
    ch.queue_declare("q")
    with pytest.raises(ResourceLocked):
        ch.queue_declare("q", exclusive=True)


def test_a_missing_argument_is_worded_with_the_type_of_the_other():
    sim, ch = _channel()
    ch.queue_declare("q")
    with pytest.raises(PreconditionFailed, match="received the value '5' of type 'signedint' "
                                                 "but current is none"):
        ch.queue_declare("q", arguments={"x-max-length": 5})


def test_a_classic_queue_redeclared_with_x_queue_type_classic_is_equivalent():
    sim, ch = _channel()
    ch.queue_declare("q")
    ch.queue_declare("q", arguments={"x-queue-type": "classic", "x-unknown": 1})
    assert ch.is_open


def test_a_predeclared_exchange_redeclared_as_it_is_is_fine_but_not_deletable():
    sim, ch = _channel()
    ch.exchange_declare("amq.topic", "topic", durable=True)
    with pytest.raises(AccessRefused, match="deletion of system exchange 'amq.topic'"):
        ch.exchange_delete("amq.topic")


def test_a_client_may_not_name_a_queue_amq_gen():
    sim, ch = _channel()
    with pytest.raises(AccessRefused, match="reserved prefix"):
        ch.queue_declare("amq.gen-mine")


def test_drop_head_hands_a_message_to_a_waiting_consumer_even_at_length_zero():
    # rabbit_amqqueue_process:deliver_or_enqueue delivers before it enqueues
    sim, ch = _channel()
    got = []
    ch.queue_declare("q", arguments={"x-max-length": 0})
    ch.basic_consume("q", lambda c, m, p, body: got.append(body), auto_ack=True)
    ch.basic_publish("", "q", "m1")
    sim.advance(0)
    assert got == ["m1"]


def test_a_requeue_into_a_full_drop_head_queue_drops_the_head():
    # rabbit_amqqueue_process:requeue_and_run calls maybe_drop_head
    sim, ch = _channel()
    ch.queue_declare("q", arguments={"x-max-length": 2})
    ch.basic_publish("", "q", "m1")
    method, _, _ = ch.basic_get("q")
    ch.basic_publish("", "q", "m2")
    ch.basic_publish("", "q", "m3")
    ch.basic_nack(method.delivery_tag)
    assert [ch.basic_get("q", auto_ack=True)[2] for _ in range(2)] == ["m2", "m3"]


def test_get_counts_after_dropping_expired_messages_behind_the_head():
    sim, ch = _channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", "long", properties=_expiring("60000"))
    ch.basic_publish("", "q", "short", properties=_expiring("100"))
    ch.basic_publish("", "q", "none")
    sim.advance(1)
    method, _, body = ch.basic_get("q")
    assert (body, method.message_count) == ("long", 1)


def test_a_passive_declare_renews_the_expires_lease():
    sim, ch = _channel()
    ch.queue_declare("q", arguments={"x-expires": 1000})
    for _ in range(3):
        sim.advance(0.6)
        ch.queue_declare("q", passive=True)
    assert "q" in sim.rabbitmq.queues


def test_a_boolean_header_never_matches_a_number():
    sim, ch = _channel()
    ch.queue_declare("q")
    ch.queue_bind("q", "amq.headers", arguments={"a": True})
    for value in (1, True):
        ch.basic_publish("amq.headers", "", str(value), properties=_headers(a=value))
    assert sim.rabbitmq.queues["q"]["ready"] == 1


def _expiring(ms):
    return BasicProperties(expiration=ms)


def _headers(**values):
    return BasicProperties(headers=values)
