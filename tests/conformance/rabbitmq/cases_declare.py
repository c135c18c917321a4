"""Cases: declare and bind rules, reserved names, exclusive and auto-delete lifecycles, and the
error paths of the registry (reply code, reply text, channel or connection closed).

AMQP 0-9-1 reference (queue.declare, exchange.declare: "inequivalent arg" 406), "Queues" and
"Exchanges" guides (exclusive, auto-delete, the ``amq.`` prefix), RabbitMQ's
``rabbit_channel``/``rabbit_amqqueue`` for the texts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .harness import Side, case

QUEUE_FLAGS = ("durable", "exclusive", "auto_delete")


def _queue_mismatch(flag: str) -> None:
    @case(f"declare-queue-{flag.replace('_', '-')}-mismatch")
    def mismatch(b: Side) -> None:
        ch = b.channel()
        q = b.name("q")
        ch.queue_declare(q)
        ch.queue_declare(q, **{flag: True})
        b.note("open", ch.is_open)


for _flag in QUEUE_FLAGS:
    _queue_mismatch(_flag)


def _argument_mismatch(slug: str, first: dict[str, Any], second: dict[str, Any]) -> None:
    @case(f"declare-queue-arg-{slug}")
    def mismatch(b: Side) -> None:
        ch = b.channel()
        q = b.name("q")
        ch.queue_declare(q, arguments=first)
        ch.queue_declare(q, arguments=second)


_argument_mismatch("added", {}, {"x-max-length": 5})
_argument_mismatch("removed", {"x-max-length": 5}, {})
_argument_mismatch("changed", {"x-message-ttl": 1000}, {"x-message-ttl": 2000})
_argument_mismatch("same", {"x-message-ttl": 1000}, {"x-message-ttl": 1000})
_argument_mismatch("overflow-changed", {"x-max-length": 1},
                   {"x-max-length": 1, "x-overflow": "reject-publish"})
_argument_mismatch("queue-type", {}, {"x-queue-type": "quorum"})
_argument_mismatch("classic-type-explicit", {}, {"x-queue-type": "classic"})
_argument_mismatch("dlx-changed", {"x-dead-letter-exchange": "a"},
                   {"x-dead-letter-exchange": "b"})


def _declare(slug: str, arguments: dict[str, Any], **flags: Any) -> None:
    """One queue.declare: accepted (its counts) or refused (the close)."""
    @case(slug)
    def declare(b: Side) -> None:
        ch = b.channel()
        ch.queue_declare(b.name("q"), arguments=arguments, **flags)
        b.note("open", ch.is_open)


QUORUM = {"x-queue-type": "quorum"}
DLX = {"x-dead-letter-exchange": ""}
for _slug, _arguments, _flags in [
    ("max-length-invalid-overflow", {"x-max-length": 1, "x-overflow": "drop-tail"}, {}),
    ("max-length-overflow-not-a-string", {"x-overflow": 1}, {}),
    ("max-length-negative", {"x-max-length": -1}, {}),
    ("max-length-not-a-number", {"x-max-length": "ten"}, {}),
    ("max-length-bool", {"x-max-length": True}, {}),
    ("max-length-bytes-negative", {"x-max-length-bytes": -5}, {}),
    ("max-length-long", {"x-max-length": 2**40}, {}),
    ("ttl-negative-queue-ttl", {"x-message-ttl": -1}, {}),
    ("ttl-queue-ttl-not-a-number", {"x-message-ttl": "1000"}, {}),
    ("ttl-queue-ttl-too-large", {"x-message-ttl": 2**33}, {}),
    ("expires-zero-refused", {"x-expires": 0}, {}),
    ("expires-too-large", {"x-expires": 2**33}, {}),
    ("expires-negative", {"x-expires": -10}, {}),
    ("dlx-routing-key-without-exchange", {"x-dead-letter-routing-key": "k"}, {}),
    ("dlx-exchange-not-a-string", {"x-dead-letter-exchange": 5}, {}),
    ("dlx-routing-key-not-a-string", {**DLX, "x-dead-letter-routing-key": 5}, {}),
    ("dlx-and-routing-key-accepted", {**DLX, "x-dead-letter-routing-key": "k"}, {}),
    ("declare-queue-unknown-argument-accepted", {"x-whatever": 1}, {}),
    ("declare-queue-unknown-type", {"x-queue-type": "lazy"}, {}),
    ("declare-queue-quorum-non-durable", QUORUM, {}),
    ("declare-queue-quorum-exclusive", QUORUM, {"durable": True, "exclusive": True}),
    ("declare-queue-quorum-auto-delete", QUORUM, {"durable": True, "auto_delete": True}),
    ("declare-queue-quorum-all-wrong", QUORUM, {"exclusive": True, "auto_delete": True}),
    ("declare-queue-max-priority-too-high", {"x-max-priority": 256}, {}),
    ("declare-queue-max-priority-zero", {"x-max-priority": 0}, {}),
    ("declare-queue-max-priority-negative", {"x-max-priority": -1}, {}),
    ("declare-queue-single-active-not-bool", {"x-single-active-consumer": 1}, {}),
    ("declare-queue-first-bad-argument-wins", {"x-max-length": -1, "x-expires": 0}, {}),
]:
    _declare(_slug, _arguments, **_flags)


@case("declare-queue-passive-missing")
def passive_missing(b: Side) -> None:
    ch = b.channel()
    ch.queue_declare(b.name("nope"), passive=True)
    b.note("open", [ch.is_open, ch.conn.is_open()])


@case("declare-queue-passive-ignores-arguments")
def passive_args(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-max-length": 3})
    ch.queue_declare(q, passive=True, arguments={"x-max-length": 9}, durable=True)


@case("declare-queue-server-named")
def server_named(b: Side) -> None:
    ch = b.channel()
    ch.queue_declare("", exclusive=True)


# -- exchanges -------------------------------------------------------------------------------


def _exchange_mismatch(slug: str, first: dict[str, Any], second: dict[str, Any]) -> None:
    @case(f"declare-exchange-{slug}-mismatch")
    def mismatch(b: Side) -> None:
        ch = b.channel()
        x = b.name("x")
        ch.exchange_declare(x, **first)
        ch.exchange_declare(x, **second)


for _slug, _first, _second in [
    ("type", {"exchange_type": "direct"}, {"exchange_type": "fanout"}),
    ("durable", {"exchange_type": "topic"}, {"exchange_type": "topic", "durable": True}),
    ("auto-delete", {"exchange_type": "topic"}, {"exchange_type": "topic", "auto_delete": True}),
    ("internal", {"exchange_type": "topic"}, {"exchange_type": "topic", "internal": True}),
    ("arguments", {"arguments": {"alternate-exchange": "a"}}, {}),
    ("other-arguments-ignored", {"arguments": {"x-foo": "a"}}, {"arguments": {"x-foo": "b"}}),
    ("unknown-type-on-existing", {"exchange_type": "fanout"}, {"exchange_type": "nonsense"}),
]:
    _exchange_mismatch(_slug, _first, _second)


@case("declare-exchange-amq-prefix")
def exchange_amq(b: Side) -> None:
    b.channel().exchange_declare(f"amq.{b.name('x')}", "direct")


@case("declare-queue-amq-prefix")
def amq_prefix(b: Side) -> None:
    b.channel().queue_declare(f"amq.{b.name('q')}")


@case("declare-exchange-same-again")
def exchange_same(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "headers", durable=True)
    ch.exchange_declare(x, "headers", durable=True)
    ch.exchange_declare(x, passive=True)


@case("declare-exchange-passive-missing")
def exchange_passive(b: Side) -> None:
    ch = b.channel()
    ch.exchange_declare(b.name("x"), passive=True)


@case("declare-exchange-unknown-type")
def exchange_unknown_type(b: Side) -> None:
    ch = b.channel()
    other = b.channel()
    ch.exchange_declare(b.name("x"), "weird")
    b.note("open", [ch.is_open, other.is_open])


@case("declare-exchange-predeclared-same")
def predeclared_same(b: Side) -> None:
    ch = b.channel()
    ch.exchange_declare("amq.topic", "topic", durable=True)
    b.note("open", ch.is_open)


@case("declare-exchange-predeclared-passive")
def predeclared_passive(b: Side) -> None:
    ch = b.channel()
    for name in ("amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"):
        ch.exchange_declare(name, passive=True)
    b.note("open", ch.is_open)


@case("declare-exchange-predeclared-other-type")
def predeclared_other(b: Side) -> None:
    b.channel().exchange_declare("amq.direct", "fanout", durable=True)


@case("declare-exchange-default")
def default_exchange(b: Side) -> None:
    b.channel().exchange_declare("", "direct")


@case("delete-exchange-predeclared")
def delete_predeclared(b: Side) -> None:
    b.channel().exchange_delete("amq.fanout")


@case("delete-exchange-default")
def delete_default(b: Side) -> None:
    b.channel().exchange_delete("")


@case("delete-exchange-missing")
def delete_missing(b: Side) -> None:
    ch = b.channel()
    ch.exchange_delete(b.name("x"))
    b.note("open", ch.is_open)


@case("delete-exchange-if-unused")
def delete_if_unused(b: Side) -> None:
    ch = b.channel()
    x, q = b.name("x"), b.name("q")
    ch.exchange_declare(x, "fanout")
    ch.queue_declare(q)
    ch.queue_bind(q, x)
    ch.exchange_delete(x, if_unused=True)


@case("delete-exchange-if-unused-as-destination")
def delete_if_unused_destination(b: Side) -> None:
    ch = b.channel()
    x, y = b.name("x"), b.name("y")
    ch.exchange_declare(x, "fanout")
    ch.exchange_declare(y, "fanout")
    ch.exchange_bind(y, x)
    ch.exchange_delete(y, if_unused=True)
    b.note("open", ch.is_open)


# -- queues: delete and purge ----------------------------------------------------------------
@case("delete-queue-if-empty")
def delete_if_empty(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_publish("", q, "m1")
    ch.queue_delete(q, if_empty=True)


@case("delete-queue-if-unused")
def delete_if_unused_queue(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_consume(q, b.recorder("c1"))
    ch.queue_delete(q, if_unused=True)


@case("delete-queue-counts-ready")
def delete_counts(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    for body in ("m1", "m2", "m3"):
        ch.basic_publish("", q, body)
    ch.basic_get(q)
    ch.queue_delete(q)
    ch.basic_ack(1)
    b.note("open", ch.is_open)


@case("delete-queue-missing")
def delete_missing_queue(b: Side) -> None:
    ch = b.channel()
    ch.queue_delete(b.name("q"))


@case("delete-queue-cancels-consumer")
def delete_cancels(b: Side) -> None:
    ch = b.channel()
    other = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_consume(q, b.recorder("c1"))
    other.queue_delete(q)
    ch.queue_declare(b.name("after"))
    b.note("open", ch.is_open)


@case("purge-keeps-unacked")
def purge(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    for body in ("m1", "m2", "m3"):
        ch.basic_publish("", q, body)
    ch.basic_get(q)
    ch.queue_purge(q)
    ch.basic_nack(1)
    ch.basic_get(q)


@case("purge-missing-queue")
def purge_missing(b: Side) -> None:
    b.channel().queue_purge(b.name("q"))


# -- bindings --------------------------------------------------------------------------------
@case("bind-missing-exchange")
def bind_missing_exchange(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.queue_bind(q, b.name("x"), routing_key="k")


@case("bind-missing-queue")
def bind_missing_queue(b: Side) -> None:
    ch = b.channel()
    ch.queue_bind(b.name("q"), "amq.direct", routing_key="k")


@case("bind-default-exchange")
def bind_default(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.queue_bind(q, "", routing_key="k")


@case("unbind-default-exchange")
def unbind_default(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.queue_unbind(q, "", routing_key=q)


@case("bind-twice-is-one-binding")
def bind_twice(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    key = b.name("k")  # amq.direct is shared by every case: a key of this case's own
    ch.queue_bind(q, "amq.direct", routing_key=key)
    ch.queue_bind(q, "amq.direct", routing_key=key)
    ch.basic_publish("amq.direct", key, "m1")
    ch.queue_declare(q, passive=True)


@case("unbind-missing-binding")
def unbind_missing(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.queue_unbind(q, "amq.direct", routing_key="nope")
    b.note("open", ch.is_open)


@case("unbind-then-unroutable")
def unbind_then(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    key = b.name("k")
    ch.queue_bind(q, "amq.direct", routing_key=key)
    ch.queue_unbind(q, "amq.direct", routing_key=key)
    ch.basic_publish("amq.direct", key, "m1")
    ch.queue_declare(q, passive=True)


@case("bind-exchange-missing-source")
def e2e_missing(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "fanout")
    ch.exchange_bind(x, b.name("src"))


# -- exclusive and auto-delete ---------------------------------------------------------------


def _exclusive_other(slug: str, action: Callable[[Side, Any, str], None]) -> None:
    """Another connection touches an exclusive queue: 405 RESOURCE_LOCKED."""
    @case(f"exclusive-other-connection-{slug}")
    def other_connection(b: Side) -> None:
        ch = b.channel()
        other = b.channel()
        q = b.name("q")
        ch.queue_declare(q, exclusive=True)
        action(b, other, q)


for _slug, _action in [
    ("locked", lambda b, other, q: other.queue_declare(q, passive=True)),
    ("consume", lambda b, other, q: other.basic_consume(q, b.recorder("c1"))),
    ("delete", lambda b, other, q: other.queue_delete(q)),
    ("get", lambda b, other, q: other.basic_get(q)),
    ("purge", lambda b, other, q: other.queue_purge(q)),
    ("bind", lambda b, other, q: other.queue_bind(q, "amq.fanout")),
]:
    _exclusive_other(_slug, _action)


@case("exclusive-other-connection-publish-allowed")
def exclusive_publish(b: Side) -> None:
    ch = b.channel()
    other = b.channel()
    q = b.name("q")
    ch.queue_declare(q, exclusive=True)
    other.basic_publish("", q, "m1")
    ch.basic_get(q)


@case("exclusive-same-connection-other-channel")
def exclusive_same_connection(b: Side) -> None:
    conn = b.connection()
    ch, ch2 = conn.channel(), conn.channel()
    q = b.name("q")
    ch.queue_declare(q, exclusive=True)
    ch2.queue_declare(q, passive=True)
    ch2.basic_publish("", q, "m1")
    ch2.basic_get(q)


@case("exclusive-deleted-with-connection")
def exclusive_gone(b: Side) -> None:
    conn = b.connection()
    q = b.name("q")
    conn.channel().queue_declare(q, exclusive=True)
    conn.close()
    b.channel().queue_declare(q, passive=True)


@case("exclusive-kept-when-channel-closes")
def exclusive_channel_close(b: Side) -> None:
    conn = b.connection()
    ch = conn.channel()
    q = b.name("q")
    ch.queue_declare(q, exclusive=True)
    ch.close()
    conn.channel().queue_declare(q, passive=True)


@case("exclusive-kept-when-channel-errors")
def exclusive_channel_error(b: Side) -> None:
    conn = b.connection()
    ch = conn.channel()
    q = b.name("q")
    ch.queue_declare(q, exclusive=True)
    ch.queue_declare(b.name("missing"), passive=True)
    conn.channel().queue_declare(q, passive=True)


@case("auto-delete-after-last-consumer")
def auto_delete(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, auto_delete=True)
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="c1")
    ch.basic_consume(q, b.recorder("c2"), consumer_tag="c2")
    ch.basic_cancel("c1")
    ch.queue_declare(q, passive=True)
    ch.basic_cancel("c2")
    b.channel().queue_declare(q, passive=True)


@case("auto-delete-never-consumed-stays")
def auto_delete_unused(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, auto_delete=True)
    ch.basic_get(q)
    ch.queue_declare(q, passive=True)


@case("auto-delete-when-consumer-channel-closes")
def auto_delete_channel(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, auto_delete=True)
    ch.basic_consume(q, b.recorder("c1"))
    ch.close()
    b.channel().queue_declare(q, passive=True)


@case("auto-delete-exchange-last-binding")
def auto_delete_exchange(b: Side) -> None:
    ch = b.channel()
    x, q = b.name("x"), b.name("q")
    ch.exchange_declare(x, "fanout", auto_delete=True)
    ch.queue_declare(q)
    ch.queue_bind(q, x)
    ch.queue_unbind(q, x)
    ch.exchange_declare(x, passive=True)


@case("auto-delete-exchange-unbound-stays")
def auto_delete_exchange_stays(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "fanout", auto_delete=True)
    ch.exchange_declare(x, passive=True)
    b.note("open", ch.is_open)


@case("auto-delete-exchange-queue-deleted")
def auto_delete_exchange_queue(b: Side) -> None:
    ch = b.channel()
    x, q = b.name("x"), b.name("q")
    ch.exchange_declare(x, "fanout", auto_delete=True)
    ch.queue_declare(q)
    ch.queue_bind(q, x)
    ch.queue_delete(q)
    ch.exchange_declare(x, passive=True)


# -- closed channels -------------------------------------------------------------------------
@case("command-on-closed-channel")
def closed_channel(b: Side) -> None:
    ch = b.channel()
    ch.close()
    ch.queue_declare(b.name("q"))


@case("command-after-broker-closed-channel")
def after_close(b: Side) -> None:
    ch = b.channel()
    ch.queue_declare(b.name("missing"), passive=True)
    ch.queue_declare(b.name("q"))


@case("connection-error-closes-every-channel")
def connection_error(b: Side) -> None:
    conn = b.connection()
    ch1, ch2 = conn.channel(), conn.channel()
    ch1.exchange_declare(b.name("x"), "nonsense")
    b.note("open", [ch1.is_open, ch2.is_open, conn.is_open()])


@case("exclusive-redeclare-non-exclusive-same-connection")
def exclusive_redeclare(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, exclusive=True)
    ch.queue_declare(q)


@case("bind-exchange-missing-destination")
def e2e_missing_destination(b: Side) -> None:
    ch = b.channel()
    ch.exchange_bind(b.name("dst"), "amq.fanout")


@case("bind-exchange-to-default")
def e2e_default(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "fanout")
    ch.exchange_bind("", x)


@case("delete-queue-twice")
def delete_twice(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.queue_delete(q)
    ch.queue_delete(q)
    b.note("open", ch.is_open)


@case("declare-queue-amq-gen-prefix")
def amq_gen(b: Side) -> None:
    b.channel().queue_declare(f"amq.gen-{b.name('q')}")


@case("declare-queue-passive-empty-name")
def passive_empty(b: Side) -> None:
    b.channel().queue_declare("", passive=True)


@case("declare-exchange-passive-default")
def passive_default(b: Side) -> None:
    ch = b.channel()
    ch.exchange_declare("", passive=True)
    b.note("open", ch.is_open)


@case("declare-exchange-passive-ignores-type")
def passive_type(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "fanout")
    ch.exchange_declare(x, "direct", passive=True)
    b.note("open", ch.is_open)


@case("delete-exchange-then-publish")
def deleted_exchange(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "fanout")
    ch.exchange_delete(x)
    ch.basic_publish(x, "", "m1")


@case("delete-exchange-removes-bindings")
def delete_bindings(b: Side) -> None:
    ch = b.channel()
    x, q = b.name("x"), b.name("q")
    ch.exchange_declare(x, "fanout")
    ch.queue_declare(q)
    ch.queue_bind(q, x)
    ch.exchange_delete(x)
    ch.exchange_declare(x, "fanout")
    ch.basic_publish(x, "", "m1")
    ch.queue_declare(q, passive=True)


@case("auto-delete-exchange-e2e-unbind")
def auto_delete_e2e(b: Side) -> None:
    ch = b.channel()
    src, dst = b.name("src"), b.name("dst")
    ch.exchange_declare(src, "fanout", auto_delete=True)
    ch.exchange_declare(dst, "fanout", auto_delete=True)
    ch.exchange_bind(dst, src)
    ch.exchange_unbind(dst, src)
    ch.exchange_declare(src, passive=True)
    ch = ch if ch.is_open else b.channel()
    ch.exchange_declare(dst, passive=True)


@case("purge-with-waiting-consumer")
def purge_consumer(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_qos(prefetch_count=1)
    for body in ("m1", "m2", "m3"):
        ch.basic_publish("", q, body)
    ch.basic_consume(q, b.recorder("c1"))
    ch.queue_purge(q)
    ch.basic_ack(1)
    ch.basic_publish("", q, "m4")
