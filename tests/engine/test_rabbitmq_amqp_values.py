"""AMQP value limits (255-byte short strings, bounded table nesting) and what a publisher's
own x-death header may hold: refused at the call, as pika refuses them, or survived."""

import pytest

from engine import InvalidArgument, Simulation
from engine.rabbitmq import BasicProperties, ShortStringTooLong
from engine.rabbitmq.amqp_values import MAX_NESTING

EMOJI_64 = "\N{GRINNING FACE}" * 64  # 64 characters, 256 bytes in UTF-8
E_ACUTE_128 = "\N{LATIN SMALL LETTER E WITH ACUTE}" * 128  # 256 bytes
EXACTLY_255 = "a" * 253 + "\N{LATIN SMALL LETTER E WITH ACUTE}"


def channel():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("q")
    ch.exchange_declare("t", "topic")
    return sim, ch


@pytest.mark.parametrize("long", [EMOJI_64, E_ACUTE_128, "a" * 256])
@pytest.mark.parametrize("call", [
    lambda ch, s: ch.basic_publish("", s, b"x"),
    lambda ch, s: ch.basic_publish(s, "q", b"x"),
    lambda ch, s: ch.queue_bind("q", "t", s),
    lambda ch, s: ch.queue_declare(s),
    lambda ch, s: ch.exchange_declare(s, "direct"),
    lambda ch, s: ch.basic_consume("q", lambda *a: None, consumer_tag=s),
    lambda ch, s: ch.basic_publish("", "q", b"x", BasicProperties(message_id=s)),
    lambda ch, s: ch.basic_publish("", "q", b"x", BasicProperties(headers={s: 1})),
], ids=["routing_key", "exchange", "binding_key", "queue", "exchange_declare",
        "consumer_tag", "message_id", "header_name"])
def test_a_short_string_over_255_utf8_bytes_is_refused_like_pika(call, long):
    """pika/data.py encode_short_string raises ShortStringTooLong: nothing is sent, the
    channel stays open. The old check missed 64 emoji (64 characters, 256 bytes)."""
    sim, ch = channel()
    with pytest.raises(ShortStringTooLong, match="256 bytes"):
        call(ch, long)
    assert ch.is_open
    assert sim.rabbitmq.queues["q"]["ready"] == 0


def test_a_key_of_exactly_255_bytes_is_accepted():
    sim, ch = channel()
    ch.queue_declare(EXACTLY_255)
    ch.basic_publish("", EXACTLY_255, b"x")
    assert sim.rabbitmq.queues[EXACTLY_255]["ready"] == 1


def test_a_lone_surrogate_in_a_name_is_refused_not_raised_as_unicode_error():
    _, ch = channel()
    with pytest.raises(InvalidArgument, match="not valid Unicode"):
        ch.basic_publish("", "\ud800" * 100, b"x")


def nested(depth):
    value = "leaf"
    for level in range(depth):
        value = {"n": value} if level % 2 else [value]
    return value


def test_headers_nested_deeper_than_the_bound_are_refused_naming_the_field():
    """A header nested 500 deep made the room's replay raise RecursionError."""
    sim, ch = channel()
    with pytest.raises(InvalidArgument, match=f"headers nests .* more than {MAX_NESTING}"):
        ch.basic_publish("", "q", b"x", BasicProperties(headers={"deep": nested(5000)}))
    with pytest.raises(InvalidArgument, match="arguments nests"):
        ch.queue_bind("q", "t", "#", arguments={"deep": nested(MAX_NESTING)})
    assert ch.is_open and sim.rabbitmq.queues["q"]["ready"] == 0
    ch.basic_publish("", "q", b"x",
                     BasicProperties(headers={"deep": nested(MAX_NESTING - 1)}))
    assert sim.rabbitmq.queues["q"]["ready"] == 1


def test_a_headers_table_that_contains_itself_is_refused():
    headers = {}
    headers["me"] = headers
    _, ch = channel()
    with pytest.raises(InvalidArgument, match="nests"):
        ch.basic_publish("", "q", b"x", BasicProperties(headers=headers))


@pytest.mark.parametrize("x_death", [5, "text", ["a"], [1, {"queue": 3}], {"a": 1},
                                     [{"queue": "q", "reason": "expired", "count": "x"}]])
def test_a_malformed_x_death_from_the_publisher_does_not_break_dead_lettering(x_death):
    """Dead-lettering runs from the TTL timer: a TypeError there broke the room's clock."""
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.queue_declare("dlq")
    ch.queue_declare("q", arguments={"x-dead-letter-exchange": "",
                                     "x-dead-letter-routing-key": "dlq", "x-message-ttl": 10})
    ch.basic_publish("", "q", b"x", BasicProperties(headers={"x-death": x_death}))
    sim.advance(1)
    _, properties, _ = ch.basic_get("dlq", auto_ack=True)
    death = properties.headers["x-death"][0]
    assert (death["queue"], death["reason"]) == ("q", "expired")
    assert type(death["count"]) is int


def test_a_deep_value_in_the_wrong_place_gets_a_short_message_not_a_recursion_error():
    _, ch = channel()
    deep = nested(5000)
    with pytest.raises(InvalidArgument, match="give a string"):
        ch.basic_publish("", "q", b"x", BasicProperties(message_id=deep))
    with pytest.raises(InvalidArgument, match="string keys"):
        ch.basic_publish("", "q", b"x", BasicProperties(headers={1: deep}))
