"""Cases: message TTL, per-message expiration, queue expiry (x-expires) and dead-lettering.

"TTL" guide (https://www.rabbitmq.com/docs/ttl): a classic queue drops an expired message
only at its head; a requeued message keeps its expiry; x-expires deletes a queue unused for
its period. "Dead Letter Exchanges" (https://www.rabbitmq.com/docs/dlx): rejected, expired
and length-limited messages go to x-dead-letter-exchange with an x-death record. Real time on
the broker: TTLs of 200-400 ms, waits that end well clear of each deadline.
"""

from __future__ import annotations

from typing import Any

from .cases_limits import drain
from .harness import Side, case


def with_dlq(b: Side, ch: Any, **args: Any) -> tuple[str, str]:
    q, dlq = b.name("q"), b.name("dlq")
    ch.queue_declare(dlq)
    ch.queue_declare(q, arguments={"x-dead-letter-exchange": "",
                                   "x-dead-letter-routing-key": dlq, **args})
    return q, dlq


@case("ttl-queue-expires-to-dlx")
def queue_ttl(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-message-ttl": 200})
    ch.basic_publish("", q, "m1")
    b.wait(0.6)
    ch.queue_declare(q, passive=True)
    ch.basic_consume(dlq, b.recorder("dead"))


@case("ttl-per-message-expires-to-dlx")
def message_ttl(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    ch.basic_publish("", q, "m1", properties=b.props(expiration="200"))
    b.wait(0.6)
    ch.basic_consume(dlq, b.recorder("dead"))


@case("ttl-lower-of-queue-and-message")
def lower_wins(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-message-ttl": 200})
    ch.basic_publish("", q, "short-by-queue", properties=b.props(expiration="60000"))
    b.wait(0.6)
    drain(ch, q, dlq)


@case("ttl-head-only-expiry")
def head_only(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    ch.basic_publish("", q, "long", properties=b.props(expiration="60000"))
    ch.basic_publish("", q, "short", properties=b.props(expiration="200"))
    b.wait(0.6)
    ch.queue_declare(q, passive=True)
    ch.queue_declare(dlq, passive=True)


@case("ttl-get-message-count-with-expired-behind-head")
def get_count(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    ch.basic_publish("", q, "long", properties=b.props(expiration="60000"))
    ch.basic_publish("", q, "short", properties=b.props(expiration="200"))
    ch.basic_publish("", q, "none")
    b.wait(0.6)
    drain(ch, q, dlq)


@case("ttl-expired-head-removed-by-get")
def expired_head_get(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    ch.basic_publish("", q, "short", properties=b.props(expiration="200"))
    ch.basic_publish("", q, "keep")
    b.wait(0.6)
    drain(ch, q, dlq)


@case("ttl-zero-without-consumer")
def zero_no_consumer(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-message-ttl": 0})
    ch.basic_publish("", q, "m1")
    b.wait(0.2)
    drain(ch, q, dlq)


@case("ttl-zero-with-waiting-consumer")
def zero_consumer(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-message-ttl": 0})
    ch.basic_consume(q, b.recorder("c1", then="ack"))
    ch.basic_publish("", q, "m1")
    b.wait(0.2)
    drain(ch, dlq)


@case("ttl-expiration-zero-per-message")
def expiration_zero(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    ch.basic_publish("", q, "m1", properties=b.props(expiration="0"))
    b.wait(0.2)
    drain(ch, q, dlq)


@case("ttl-unacked-does-not-expire")
def unacked(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-message-ttl": 200})
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    b.wait(0.5)
    ch.queue_declare(dlq, passive=True)
    ch.basic_ack(1)
    drain(ch, q, dlq)


@case("ttl-requeued-keeps-expiry")
def requeued(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-message-ttl": 300})
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    b.wait(0.5)
    ch.basic_nack(1, requeue=True)
    b.wait(0.1)
    drain(ch, q, dlq)


@case("ttl-invalid-expiration-text")
def invalid_expiration(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_publish("", q, "m1", properties=b.props(expiration="soon"))
    ch.queue_declare(q, passive=True)


@case("ttl-expiration-huge")
def huge_expiration(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    for expiration in ("8589934592", "+60000", "12abc", "", " 7"):
        ch.basic_publish("", q, "m1", properties=b.props(expiration=expiration))
        ch = ch if ch.is_open else b.channel()
    drain(ch, q)


@case("ttl-negative-expiration")
def negative_expiration(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_publish("", q, "m1", properties=b.props(expiration="-1"))


@case("ttl-x-death-original-expiration")
def original_expiration(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    ch.basic_publish("", q, "m1", properties=b.props(expiration="100", headers={"a": 1}))
    b.wait(0.5)
    ch.basic_consume(dlq, b.recorder("dead"))


@case("ttl-dead-letter-twice-counts")
def twice(b: Side) -> None:
    """Expired into a queue that expires back: the cycle is dropped after one lap."""
    ch = b.channel()
    q1, q2 = b.name("a"), b.name("b")
    ch.queue_declare(q1, arguments={"x-message-ttl": 150, "x-dead-letter-exchange": "",
                                    "x-dead-letter-routing-key": q2})
    ch.queue_declare(q2, arguments={"x-message-ttl": 150, "x-dead-letter-exchange": "",
                                    "x-dead-letter-routing-key": q1})
    ch.basic_publish("", q1, "m1")
    b.wait(0.8)
    ch.queue_declare(q1, passive=True)
    ch.queue_declare(q2, passive=True)


@case("ttl-reject-then-expire-keeps-both-deaths")
def reject_then_expire(b: Side) -> None:
    ch = b.channel()
    q, dlq = b.name("q"), b.name("dlq")
    ch.queue_declare(dlq, arguments={"x-message-ttl": 150, "x-dead-letter-exchange": "",
                                     "x-dead-letter-routing-key": q})
    ch.queue_declare(q, arguments={"x-dead-letter-exchange": "",
                                   "x-dead-letter-routing-key": dlq})
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    ch.basic_reject(1, requeue=False)
    b.wait(0.5)
    ch.basic_consume(q, b.recorder("back"))


# -- x-expires -------------------------------------------------------------------------------
@case("expires-unused-queue-deleted")
def expires(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-expires": 200})
    ch.basic_publish("", q, "m1")
    b.wait(0.6)
    ch.queue_declare(q, passive=True)


@case("expires-consumer-keeps-queue")
def expires_consumer(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-expires": 200})
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="c1")
    b.wait(0.5)
    ch.queue_declare(q, passive=True)
    ch.basic_cancel("c1")
    b.wait(0.5)
    ch.queue_declare(q, passive=True)


@case("expires-get-renews-lease")
def expires_get(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-expires": 700})
    for _ in range(3):
        b.wait(0.3)
        ch.basic_get(q)
    ch.queue_declare(q, passive=True)


@case("expires-redeclare-renews-lease")
def expires_redeclare(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-expires": 700})
    for _ in range(3):
        b.wait(0.3)
        ch.queue_declare(q, arguments={"x-expires": 700})
    b.wait(0.1)
    ch.queue_declare(q, passive=True)


@case("expires-publish-does-not-renew")
def expires_publish(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-expires": 400})
    for _ in range(3):
        b.wait(0.2)
        ch.basic_publish("", q, "m")
    b.wait(0.15)
    ch.queue_declare(q, passive=True)


@case("expires-messages-not-dead-lettered")
def expires_no_dlx(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-expires": 200})
    ch.basic_publish("", q, "m1")
    b.wait(0.6)
    ch.queue_declare(dlq, passive=True)


# -- dead-letter rules -----------------------------------------------------------------------
@case("dlx-reject-without-requeue")
def dlx_reject(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    ch.basic_reject(1, requeue=False)
    ch.basic_consume(dlq, b.recorder("dead"))


@case("dlx-reject-without-dlx-drops")
def reject_no_dlx(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    ch.basic_reject(1, requeue=False)
    ch.queue_declare(q, passive=True)


@case("dlx-nack-multiple-dead-letters-all")
def nack_multiple(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    for body in ("m1", "m2", "m3"):
        ch.basic_publish("", q, body)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_nack(2, multiple=True, requeue=False)
    ch.queue_declare(q, passive=True)
    drain(ch, dlq)


@case("dlx-keeps-routing-key-without-dlrk")
def keeps_key(b: Side) -> None:
    ch = b.channel()
    q, dlq, x = b.name("q"), b.name("dlq"), b.name("dlx")
    ch.exchange_declare(x, "direct")
    ch.queue_declare(dlq)
    key = b.name("orig")
    ch.queue_bind(dlq, x, routing_key=key)
    ch.queue_declare(q, arguments={"x-dead-letter-exchange": x})
    ch.queue_bind(q, "amq.direct", routing_key=key)
    ch.basic_publish("amq.direct", key, "m1")
    ch.basic_get(q)
    ch.basic_reject(1, requeue=False)
    ch.basic_consume(dlq, b.recorder("dead"))


@case("dlx-missing-exchange-drops")
def missing_dlx(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-dead-letter-exchange": b.name("nowhere")})
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    ch.basic_reject(1, requeue=False)
    ch.queue_declare(q, passive=True)


@case("dlx-fanout-many-queues")
def dlx_fanout(b: Side) -> None:
    ch = b.channel()
    q, x, d1, d2 = b.name("q"), b.name("dlx"), b.name("d1"), b.name("d2")
    ch.exchange_declare(x, "fanout")
    for dq in (d1, d2):
        ch.queue_declare(dq)
        ch.queue_bind(dq, x)
    ch.queue_declare(q, arguments={"x-dead-letter-exchange": x})
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    ch.basic_nack(1, requeue=False)
    drain(ch, d1, d2)


@case("dlx-death-count-increments")
def death_count(b: Side) -> None:
    """Rejected twice from the same queue: one x-death entry whose count is 2."""
    ch = b.channel()
    q, dlq = b.name("q"), b.name("dlq")
    ch.queue_declare(dlq, arguments={"x-dead-letter-exchange": "",
                                     "x-dead-letter-routing-key": q})
    ch.queue_declare(q, arguments={"x-dead-letter-exchange": "",
                                   "x-dead-letter-routing-key": dlq})
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    ch.basic_reject(1, requeue=False)
    ch.basic_get(dlq)
    ch.basic_reject(2, requeue=False)
    ch.basic_get(q)
    ch.basic_reject(3, requeue=False)
    ch.basic_consume(dlq, b.recorder("dead"))


@case("expires-passive-declare-renews-lease")
def expires_passive(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-expires": 700})
    for _ in range(3):
        b.wait(0.3)
        ch.queue_declare(q, passive=True)


@case("expires-purge-and-ack-do-not-renew")
def expires_purge(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-expires": 400})
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2")
    ch.basic_get(q)
    b.wait(0.25)
    ch.queue_purge(q)
    b.wait(0.1)
    ch.basic_ack(1)
    b.wait(0.25)
    other = b.channel()
    other.queue_declare(q, passive=True)


@case("ttl-per-message-longer-than-queue-ttl")
def queue_ttl_wins(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-message-ttl": 60000})
    ch.basic_publish("", q, "short", properties=b.props(expiration="150"))
    ch.basic_publish("", q, "queue-ttl")
    b.wait(0.5)
    drain(ch, q, dlq)


@case("ttl-expired-while-consumer-busy")
def busy_consumer(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-message-ttl": 200})
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2")
    b.wait(0.5)
    ch.basic_ack(1)
    b.wait(0.1)
    drain(ch, dlq)


@case("dlx-dead-letter-to-alternate-exchange")
def dlx_alternate(b: Side) -> None:
    ch = b.channel()
    q, x, ae, spill = b.name("q"), b.name("dlx"), b.name("ae"), b.name("spill")
    ch.exchange_declare(ae, "fanout")
    ch.exchange_declare(x, "direct", arguments={"alternate-exchange": ae})
    ch.queue_declare(spill)
    ch.queue_bind(spill, ae)
    ch.queue_declare(q, arguments={"x-dead-letter-exchange": x})
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    ch.basic_reject(1, requeue=False)
    drain(ch, spill)


@case("dlx-nack-requeue-true-does-not-dead-letter")
def nack_requeue(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch)
    ch.basic_publish("", q, "m1")
    ch.basic_get(q)
    ch.basic_nack(1, requeue=True)
    drain(ch, q, dlq)


@case("ttl-priority-queue-expiry")
def priority_ttl(b: Side) -> None:
    ch = b.channel()
    q, dlq = with_dlq(b, ch, **{"x-max-priority": 5})
    ch.basic_publish("", q, "low-short", properties=b.props(priority=1, expiration="150"))
    ch.basic_publish("", q, "high-long", properties=b.props(priority=5, expiration="60000"))
    b.wait(0.5)
    ch.queue_declare(q, passive=True)
    drain(ch, q, dlq)
