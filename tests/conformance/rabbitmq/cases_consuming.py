"""Cases: consumers and acknowledgements — round-robin, QoS, acks and their errors, recover,
cancel and close with unacked messages, consumer tags, priorities, single active consumer.

"Consumer Acknowledgements and Publisher Confirms" (https://www.rabbitmq.com/docs/confirms),
"Consumer Prefetch", "Consumers" (exclusive, single active consumer, priorities), and
``rabbit_channel`` for the error texts.
"""

from __future__ import annotations

from typing import Any

from .cases_limits import drain
from .harness import Side, case


def filled(b: Side, ch: Any, count: int = 3, **declare: Any) -> str:
    q = b.name("q")
    ch.queue_declare(q, **declare)
    for n in range(1, count + 1):
        ch.basic_publish("", q, f"m{n}")
    return q


@case("consume-round-robin")
def round_robin(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_consume(q, b.recorder("c1", then="ack"))
    ch.basic_consume(q, b.recorder("c2", then="ack"))
    for n in range(1, 5):
        ch.basic_publish("", q, f"m{n}")


@case("consume-auto-ack")
def auto_ack(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch)
    ch.basic_consume(q, b.recorder("c1"), auto_ack=True)
    ch.queue_declare(q, passive=True)


@case("consume-prefetch-one")
def prefetch(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch)
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"))
    ch.queue_declare(q, passive=True)
    ch.basic_ack(1)
    ch.queue_declare(q, passive=True)


@case("consume-prefetch-per-consumer")
def prefetch_each(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 5)
    ch.basic_qos(prefetch_count=2)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_consume(q, b.recorder("c2"))
    ch.queue_declare(q, passive=True)


@case("consume-prefetch-global")
def prefetch_global(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 5)
    ch.basic_qos(prefetch_count=2, global_qos=True)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_consume(q, b.recorder("c2"))
    ch.queue_declare(q, passive=True)


@case("consume-prefetch-ignored-with-auto-ack")
def prefetch_auto_ack(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch)
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"), auto_ack=True)
    ch.queue_declare(q, passive=True)


@case("qos-prefetch-size-refused")
def prefetch_size(b: Side) -> None:
    ch = b.channel()
    ch.basic_qos(prefetch_size=1000, prefetch_count=1)


@case("qos-after-consume-applies-to-new-consumers")
def qos_later(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 4)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_qos(prefetch_count=1)
    ch.basic_publish("", q, "m5")
    ch.queue_declare(q, passive=True)


@case("consume-missing-queue")
def consume_missing(b: Side) -> None:
    b.channel().basic_consume(b.name("q"), b.recorder("c1"))


@case("consume-exclusive-then-other")
def exclusive_consumer(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_consume(q, b.recorder("c1"), exclusive=True)
    b.channel().basic_consume(q, b.recorder("c2"))


@case("consume-other-then-exclusive")
def other_then_exclusive(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_consume(q, b.recorder("c1"))
    b.channel().basic_consume(q, b.recorder("c2"), exclusive=True)


@case("consume-duplicate-tag-same-channel")
def duplicate_tag(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="tag")
    ch.basic_consume(q, b.recorder("c2"), consumer_tag="tag")
    b.note("open", ch.is_open)


@case("consume-same-tag-other-channel")
def same_tag_other(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 2)
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="tag")
    b.channel().basic_consume(q, b.recorder("c2"), consumer_tag="tag")
    ch.queue_declare(q, passive=True)


@case("consume-cancel-unknown-tag")
def cancel_unknown(b: Side) -> None:
    ch = b.channel()
    ch.basic_cancel("nobody")
    b.note("open", ch.is_open)


@case("consume-priority-higher-first")
def consumer_priority(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_qos(prefetch_count=2)
    ch.basic_consume(q, b.recorder("low"), arguments={"x-priority": 1})
    ch.basic_consume(q, b.recorder("high"), arguments={"x-priority": 5})
    for n in range(1, 4):
        ch.basic_publish("", q, f"m{n}")


@case("single-active-consumer")
def single_active(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-single-active-consumer": True})
    ch.basic_consume(q, b.recorder("c1", then="ack"), consumer_tag="c1")
    ch.basic_consume(q, b.recorder("c2", then="ack"), consumer_tag="c2")
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2")
    ch.queue_declare(q, passive=True)
    ch.basic_cancel("c1")
    ch.basic_publish("", q, "m3")


@case("single-active-consumer-exclusive-refused")
def single_active_exclusive(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-single-active-consumer": True})
    ch.basic_consume(q, b.recorder("c1"), exclusive=True)


@case("single-active-consumer-takeover-gets-unacked")
def single_active_takeover(b: Side) -> None:
    ch = b.channel()
    other = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-single-active-consumer": True})
    ch.basic_consume(q, b.recorder("c1"))
    other.basic_consume(q, b.recorder("c2"))
    ch.basic_publish("", q, "m1")
    ch.close()


# -- acknowledgements ------------------------------------------------------------------------
@case("ack-unknown-tag")
def ack_unknown(b: Side) -> None:
    ch = b.channel()
    ch.basic_ack(7)
    b.note("open", ch.is_open)


@case("ack-twice")
def ack_twice(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_get(q)
    ch.basic_ack(1)
    ch.basic_ack(1)
    other = b.channel()
    other.queue_declare(q, passive=True)


@case("ack-multiple")
def ack_multiple(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 4)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_ack(3, multiple=True)
    ch.close()
    drain(b.channel(), q)


@case("ack-multiple-zero-acks-all")
def ack_all(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 3)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_ack(0, multiple=True)
    ch.close()
    drain(b.channel(), q)


@case("ack-on-other-channel")
def ack_other(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_get(q)
    other = b.channel()
    other.basic_ack(1)
    ch.basic_ack(1)


@case("ack-auto-acked-delivery")
def ack_auto(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_get(q, auto_ack=True)
    ch.basic_ack(1)


@case("nack-multiple-requeue")
def nack_multiple(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 3)
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="c1")
    ch.basic_cancel("c1")
    ch.basic_nack(0, multiple=True, requeue=True)
    drain(ch, q)


@case("nack-unknown-tag")
def nack_unknown(b: Side) -> None:
    b.channel().basic_nack(3)


@case("reject-unknown-tag")
def reject_unknown(b: Side) -> None:
    b.channel().basic_reject(3)


@case("reject-requeue-goes-back-to-head")
def reject_requeue(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 3)
    ch.basic_get(q)
    ch.basic_get(q)
    ch.basic_reject(1, requeue=True)
    drain(ch, q)


@case("nack-requeue-original-order")
def nack_order(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 4)
    for _ in range(3):
        ch.basic_get(q)
    ch.basic_nack(3)
    ch.basic_nack(1)
    drain(ch, q)


@case("reject-requeue-consumer-redelivered")
def reject_redelivered(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2")
    ch.basic_reject(1, requeue=True)
    ch.basic_ack(2)


# -- recover, cancel and close with unacked --------------------------------------------------
@case("recover-requeues-unacked")
def recover(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 3)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_recover(requeue=True)


@case("recover-requeue-false-refused")
def recover_false(b: Side) -> None:
    ch = b.channel()
    ch.basic_recover(requeue=False)


@case("recover-get-deliveries")
def recover_get(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 2)
    ch.basic_get(q)
    ch.basic_get(q)
    ch.basic_recover(requeue=True)
    drain(ch, q)


@case("cancel-keeps-unacked-unacked")
def cancel_unacked(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 2)
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="c1")
    ch.basic_cancel("c1")
    ch.queue_declare(q, passive=True)
    ch.basic_ack(2)
    ch.basic_nack(1)
    drain(ch, q)


@case("close-requeues-in-order")
def close_requeue(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 4)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_ack(2)
    ch.close()
    drain(b.channel(), q)


@case("close-requeue-to-other-consumer")
def close_other_consumer(b: Side) -> None:
    ch = b.channel()
    other = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_qos(prefetch_count=5)
    ch.basic_consume(q, b.recorder("c1"))
    for n in range(1, 4):
        ch.basic_publish("", q, f"m{n}")
    other.basic_consume(q, b.recorder("c2"))
    ch.close()


@case("connection-close-requeues")
def connection_close(b: Side) -> None:
    conn = b.connection()
    ch = conn.channel()
    q = filled(b, ch, 2)
    ch.basic_get(q)
    conn.close()
    drain(b.channel(), q)


@case("error-close-requeues-unacked")
def error_close(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 2)
    ch.basic_get(q)
    ch.basic_ack(9)
    drain(b.channel(), q)


# -- basic.get -------------------------------------------------------------------------------
@case("get-empty")
def get_empty(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_get(q)


@case("get-message-count")
def get_count(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 3)
    drain(ch, q)


@case("get-missing-queue")
def get_missing(b: Side) -> None:
    b.channel().basic_get(b.name("q"))


@case("get-delivery-tags-shared-with-consumer")
def get_tags(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 2)
    ch.basic_get(q)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_ack(2)
    ch.basic_ack(1)


@case("get-priority-queue")
def get_priority(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-max-priority": 5})
    for body, priority in (("low", 1), ("none", None), ("high", 5), ("over", 9), ("mid", 3)):
        ch.basic_publish("", q, body, properties=b.props(priority=priority))
    drain(ch, q)


@case("priority-requeue-within-level")
def priority_requeue(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-max-priority": 3})
    for body, priority in (("a", 1), ("b", 1), ("c", 2)):
        ch.basic_publish("", q, body, properties=b.props(priority=priority))
    ch.basic_get(q)
    ch.basic_get(q)
    ch.basic_nack(2)
    ch.basic_nack(1)
    drain(ch, q)


@case("priority-ignored-without-max-priority")
def priority_plain(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_publish("", q, "low", properties=b.props(priority=1))
    ch.basic_publish("", q, "high", properties=b.props(priority=9))
    drain(ch, q)


# -- quorum queues ---------------------------------------------------------------------------
#: RabbitMQ 4.0 gave quorum queues a default x-delivery-limit of 20 (rabbitmq-server PR #11937,
#: "Quorum Queues" guide, poison message handling); with a limit, a returned message goes
#: back to its original place, without one (3.10's default) to the back of the queue.
QUORUM_4 = ("RabbitMQ 4.0: quorum queues have a delivery limit of 20 by default (rabbitmq-server "
            "PR #11937), so a returned message goes back to its original place and the 21st "
            "return dead-letters it; 3.10 has no default limit and requeues at the back")
#: 3.10 writes x-delivery-count on every delivery from a quorum queue, 0 the first time; the
#: model writes it once the message was returned ("Quorum Queues" guide, 4.x: the header
#: counts returns).
COUNT_4 = ("x-delivery-count: 3.10 writes 0 on a first delivery; the model, following the 4.x "
           "\"Quorum Queues\" guide, writes it only on redeliveries (not checked on a 4.x node)")


def _got(body: str, redelivered: bool, tag: int, count: int, count_header: int | None,
         queue: str = "~.q", extra: dict[str, Any] | None = None) -> tuple[Any, ...]:
    headers = {} if count_header is None else {"x-delivery-count": count_header}
    headers.update(extra or {})
    return ("basic_get", body, redelivered, tag, queue, "", count,
            {"headers": headers} if headers else {})


@case("quorum-requeue-position", reason=f"{QUORUM_4}; {COUNT_4}", versions={"log": (
    [("queue_declare", "~.q", 0, 0), _got("m1", False, 1, 2, 0), _got("m2", False, 2, 2, 0),
     _got("m3", False, 3, 1, 0), _got("m1", True, 4, 0, 1), ("basic_get", "empty"),
     ("queue_delete", 0)],
    [("queue_declare", "~.q", 0, 0), _got("m1", False, 1, 2, None), _got("m1", True, 2, 2, 1),
     _got("m2", False, 3, 1, None), _got("m3", False, 4, 0, None), ("basic_get", "empty"),
     ("queue_delete", 0)])})
def quorum_requeue(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, durable=True, arguments={"x-queue-type": "quorum"})
    ch.confirm_delivery()  # a quorum queue takes a publish once its log commits it
    for n in range(1, 4):
        ch.basic_publish("", q, f"m{n}")
    ch.basic_get(q)
    ch.basic_nack(1)
    drain(ch, q)
    ch.queue_delete(q)


_DEATH = {"x-death": [{"count": 1, "reason": "delivery_limit", "queue": "~.q", "exchange": "",
                      "routing-keys": ["~.q"]}],
          "x-first-death-exchange": "", "x-first-death-queue": "~.q",
          "x-first-death-reason": "delivery_limit"}
_LIMIT_START = [("queue_declare", "~.dlq", 0, 0), ("queue_declare", "~.q", 0, 0)]
_LIMIT_END = [("queue_declare", "~.q", 0, 0),
              _got("m1", False, 3, 0, None, queue="~.dlq", extra=_DEATH),
              ("basic_get", "empty"), ("queue_delete", 0)]


@case("quorum-delivery-limit-explicit", reason=COUNT_4, versions={"log": (
    _LIMIT_START + [_got("m1", False, 1, 0, 0), _got("m1", True, 2, 0, 1)] + _LIMIT_END,
    _LIMIT_START + [_got("m1", False, 1, 0, None), _got("m1", True, 2, 0, 1)] + _LIMIT_END)})
def quorum_limit(b: Side) -> None:
    ch = b.channel()
    q, dlq = b.name("q"), b.name("dlq")
    ch.queue_declare(dlq)
    ch.queue_declare(q, durable=True, arguments={
        "x-queue-type": "quorum", "x-delivery-limit": 1, "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": dlq})
    ch.confirm_delivery()
    ch.basic_publish("", q, "m1")
    for tag in (1, 2):
        ch.basic_get(q)
        ch.basic_nack(tag)
    b.wait(0.2)
    ch.queue_declare(q, passive=True)
    drain(ch, dlq)
    ch.queue_delete(q)


@case("quorum-global-qos-refused")
def quorum_global(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, durable=True, arguments={"x-queue-type": "quorum"})
    ch.basic_qos(prefetch_count=2, global_qos=True)
    ch.basic_consume(q, b.recorder("c1"))
    b.channel().queue_delete(q)


@case("quorum-default-delivery-limit", reason=QUORUM_4, versions={"log": (
    _LIMIT_START + [("queue_declare", "~.q", 1, 0), ("queue_declare", "~.dlq", 0, 0),
                    ("queue_delete", 1)],
    _LIMIT_START + [("queue_declare", "~.q", 0, 0), ("queue_declare", "~.dlq", 1, 0),
                    ("queue_delete", 0)])})
def quorum_default_limit(b: Side) -> None:
    ch = b.channel()
    q, dlq = b.name("q"), b.name("dlq")
    ch.queue_declare(dlq)
    ch.queue_declare(q, durable=True, arguments={
        "x-queue-type": "quorum", "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": dlq})
    ch.confirm_delivery()
    ch.basic_publish("", q, "m1")
    for _ in range(21):  # unlogged: only the outcome is compared
        method, _, _ = ch.raw.basic_get(q)
        if method is None:
            break
        ch.raw.basic_nack(method.delivery_tag)
        b.settle()
    b.wait(0.2)
    ch.queue_declare(q, passive=True)
    ch.queue_declare(dlq, passive=True)
    ch.queue_delete(q)


@case("ack-multiple-unknown-tag")
def ack_multiple_unknown(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 2)
    ch.basic_get(q)
    ch.basic_ack(5, multiple=True)
    drain(b.channel(), q)


@case("nack-multiple-partial")
def nack_partial(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 4)
    for _ in range(4):
        ch.basic_get(q)
    ch.basic_ack(2)
    ch.basic_nack(3, multiple=True)
    drain(ch, q)
    ch.basic_ack(4)


@case("reject-requeue-false-auto-ack-tag")
def reject_auto_ack(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_consume(q, b.recorder("c1"), auto_ack=True)
    ch.basic_reject(1, requeue=False)


@case("priority-queue-consumer-prefetch")
def priority_consumer(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-max-priority": 10})
    for body, priority in (("a", 1), ("b", 9), ("c", 5), ("d", None)):
        ch.basic_publish("", q, body, properties=b.props(priority=priority))
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1", then="ack"))


@case("consumer-priority-falls-back-when-blocked")
def consumer_priority_blocked(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("high"), arguments={"x-priority": 10})
    ch.basic_consume(q, b.recorder("low"), arguments={"x-priority": -5})
    for n in range(1, 4):
        ch.basic_publish("", q, f"m{n}")
    ch.queue_declare(q, passive=True)


@case("consume-exclusive-queue-own-connection")
def consume_exclusive_queue(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, exclusive=True)
    ch.basic_consume(q, b.recorder("c1", then="ack"), exclusive=True)
    ch.basic_publish("", q, "m1")


@case("redelivered-after-recover-to-new-consumer")
def recover_new_consumer(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 2)
    ch.basic_get(q)
    ch.close()
    other = b.channel()
    other.basic_consume(q, b.recorder("c1", then="ack"))


@case("consumer-gone-with-deleted-queue")
def consumer_gone(b: Side) -> None:
    ch = b.channel()
    other = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_consume(q, b.recorder("c1"))
    other.queue_delete(q)
    other.queue_declare(q)
    other.basic_publish("", q, "m1")
    other.queue_declare(q, passive=True)


@case("auto-delete-queue-unacked-then-settled")
def auto_delete_unacked(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, auto_delete=True)
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2")
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="c1")
    ch.basic_cancel("c1")
    ch.basic_ack(1)
    ch.basic_nack(2)
    b.note("open", ch.is_open)
    b.channel().queue_declare(q, passive=True)


@case("get-from-queue-with-exclusive-consumer")
def get_exclusive_consumer(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"), exclusive=True)
    for body in ("m1", "m2"):
        ch.basic_publish("", q, body)
    b.channel().basic_get(q)


@case("delete-queue-if-empty-with-only-unacked")
def delete_if_empty_unacked(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_get(q)
    ch.queue_delete(q, if_empty=True)
    b.note("open", ch.is_open)


@case("delete-queue-if-unused-after-cancel")
def delete_if_unused_cancel(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="c1")
    ch.basic_cancel("c1")
    ch.queue_delete(q, if_unused=True)


@case("cancel-twice")
def cancel_twice(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_consume(q, b.recorder("c1"), consumer_tag="c1")
    ch.basic_cancel("c1")
    ch.basic_cancel("c1")
    b.note("open", ch.is_open)


@case("qos-zero-after-one")
def qos_zero(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 3)
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_qos(prefetch_count=0)
    ch.basic_consume(q, b.recorder("c2"))
    ch.queue_declare(q, passive=True)


@case("ttl-zero-consumer-at-prefetch-limit")
def ttl_zero_busy(b: Side) -> None:
    ch = b.channel()
    q, dlq = b.name("q"), b.name("dlq")
    ch.queue_declare(dlq)
    ch.queue_declare(q, arguments={"x-message-ttl": 0, "x-dead-letter-exchange": "",
                                   "x-dead-letter-routing-key": dlq})
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2")
    b.wait(0.1)
    drain(ch, dlq)


@case("single-active-consumer-requeue-stays-with-active")
def sac_requeue(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-single-active-consumer": True})
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_consume(q, b.recorder("c2"))
    ch.basic_publish("", q, "m1")
    ch.basic_nack(1)
    ch.basic_ack(2)


@case("qos-global-and-per-consumer-together")
def qos_both(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 5)
    ch.basic_qos(prefetch_count=3, global_qos=True)
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_consume(q, b.recorder("c2"))
    ch.queue_declare(q, passive=True)
    ch.basic_ack(1)
    ch.queue_declare(q, passive=True)


@case("ack-tag-zero-without-multiple")
def ack_zero(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_get(q)
    ch.basic_ack(0)


@case("nack-twice")
def nack_twice(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_get(q)
    ch.basic_nack(1, requeue=False)
    ch.basic_nack(1, requeue=False)


@case("close-requeues-across-queues")
def close_two_queues(b: Side) -> None:
    ch = b.channel()
    q1 = filled(b, ch, 2)
    q2 = b.name("q2")
    ch.queue_declare(q2)
    ch.basic_publish("", q2, "x1")
    ch.basic_consume(q2, b.recorder("c2"))
    ch.basic_consume(q1, b.recorder("c1"))
    ch.close()
    drain(b.channel(), q1, q2)


@case("single-active-consumer-cancel-standby")
def sac_standby(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q, arguments={"x-single-active-consumer": True})
    ch.basic_consume(q, b.recorder("c1", then="ack"), consumer_tag="c1")
    ch.basic_consume(q, b.recorder("c2", then="ack"), consumer_tag="c2")
    ch.basic_cancel("c2")
    ch.basic_publish("", q, "m1")
    ch.queue_declare(q, passive=True)


@case("recover-with-consumer-redelivers-to-it")
def recover_consumer(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 2)
    ch.basic_qos(prefetch_count=2)
    ch.basic_consume(q, b.recorder("c1"))
    ch.basic_ack(1)
    ch.basic_recover(requeue=True)
    ch.basic_ack(3)


@case("exclusive-consumer-released-when-its-channel-closes")
def exclusive_released(b: Side) -> None:
    ch = b.channel()
    q = filled(b, ch, 1)
    ch.basic_consume(q, b.recorder("c1"), exclusive=True)
    ch.close()
    b.channel().basic_consume(q, b.recorder("c2", then="ack"), exclusive=True)
