"""Cases: queue length limits (x-max-length, x-max-length-bytes) with every overflow mode.

"Queue Length Limit" (https://www.rabbitmq.com/docs/maxlength): drop-head (default) pushes
the oldest ready message out, reject-publish refuses the newest (nack under confirms),
reject-publish-dlx refuses it and dead-letters it. Each scenario runs for every mode, with a
dead-letter queue so what leaves the queue is visible.
"""

from __future__ import annotations

from typing import Any

from .harness import Side, case

MODES = (None, "drop-head", "reject-publish", "reject-publish-dlx")


def limited(b: Side, ch: Any, mode: str | None, dlx: bool = True,
            **limits: Any) -> tuple[str, str]:
    """Declare a limited queue (and its dead-letter queue); return both names."""
    q, dlq = b.name("q"), b.name("dlq")
    args: dict[str, Any] = {f"x-{k.replace('_', '-')}": v for k, v in limits.items()}
    if mode:
        args["x-overflow"] = mode
    if dlx:
        ch.queue_declare(dlq)
        args["x-dead-letter-exchange"] = ""
        args["x-dead-letter-routing-key"] = dlq
    ch.queue_declare(q, arguments=args)
    return q, dlq


def drain(ch: Any, *queues: str, limit: int = 8) -> None:
    """basic_get with auto-ack until each queue is empty (every answer is recorded)."""
    for queue in queues:
        for _ in range(limit):
            method, _, _ = ch.basic_get(queue, auto_ack=True) or (None, None, None)
            if method is None:
                break


def _slug(mode: str | None) -> str:
    return mode or "default"


def _register(mode: str | None) -> None:
    slug = _slug(mode)

    @case(f"max-length-{slug}-publish-over")
    def publish_over(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length=2)
        for body in ("m1", "m2", "m3"):
            ch.basic_publish("", q, body)
        drain(ch, q, dlq)

    @case(f"max-length-{slug}-no-dlx")
    def no_dlx(b: Side) -> None:
        ch = b.channel()
        q, _ = limited(b, ch, mode, dlx=False, max_length=1)
        for body in ("m1", "m2"):
            ch.basic_publish("", q, body)
        drain(ch, q)

    @case(f"max-length-{slug}-zero")
    def zero(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length=0)
        ch.basic_publish("", q, "m1")
        ch.queue_declare(q, passive=True)
        drain(ch, dlq)

    @case(f"max-length-{slug}-zero-waiting-consumer")
    def zero_consumer(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length=0)
        ch.basic_consume(q, b.recorder("c1"))
        ch.basic_publish("", q, "m1")
        ch.basic_publish("", q, "m2")
        drain(ch, dlq)

    @case(f"max-length-{slug}-confirms")
    def confirms(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length=1)
        ch.confirm_delivery()
        ch.basic_publish("", q, "m1")
        ch.basic_publish("", q, "m2")
        drain(ch, q, dlq)

    @case(f"max-length-{slug}-requeue-into-full")
    def requeue_full(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length=2)
        ch.basic_publish("", q, "m1")
        method, _, _ = ch.basic_get(q)
        ch.basic_publish("", q, "m2")
        ch.basic_publish("", q, "m3")
        ch.basic_nack(method.delivery_tag, requeue=True)
        ch.queue_declare(q, passive=True)
        drain(ch, q, dlq)

    @case(f"max-length-{slug}-unacked-do-not-count")
    def unacked(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length=1)
        ch.basic_qos(prefetch_count=1)
        ch.basic_consume(q, b.recorder("c1"))
        for body in ("m1", "m2", "m3"):
            ch.basic_publish("", q, body)
        ch.queue_declare(q, passive=True)
        drain(ch, dlq)

    @case(f"max-length-bytes-{slug}")
    def max_bytes(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length_bytes=10)
        for body in ("aaaa", "bbbb", "cccc", "dddddddddddd"):
            ch.basic_publish("", q, body)
        drain(ch, q, dlq)

    @case(f"max-length-bytes-{slug}-zero")
    def max_bytes_zero(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length_bytes=0)
        ch.basic_publish("", q, "x")
        ch.basic_publish("", q, "")
        drain(ch, q, dlq)

    @case(f"max-length-and-bytes-{slug}")
    def both(b: Side) -> None:
        ch = b.channel()
        q, dlq = limited(b, ch, mode, max_length=3, max_length_bytes=6)
        for body in ("aa", "bb", "cc", "dd"):
            ch.basic_publish("", q, body)
        drain(ch, q, dlq)


for _mode in MODES:
    _register(_mode)


@case("max-length-drop-head-dead-letter-headers")
def drop_head_headers(b: Side) -> None:
    ch = b.channel()
    q, dlq = limited(b, ch, None, max_length=1)
    ch.basic_publish("", q, "m1", properties=b.props(headers={"k": "v"}))
    ch.basic_publish("", q, "m2")
    ch.basic_consume(dlq, b.recorder("dead"))


@case("max-length-reject-publish-dlx-dead-letter-headers")
def reject_dlx_headers(b: Side) -> None:
    ch = b.channel()
    q, dlq = limited(b, ch, "reject-publish-dlx", max_length=1)
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2", properties=b.props(expiration="60000"))
    ch.basic_consume(dlq, b.recorder("dead"))


@case("max-length-priority-queue-drop-head")
def priority_drop_head(b: Side) -> None:
    ch = b.channel()
    q, dlq = b.name("q"), b.name("dlq")
    ch.queue_declare(dlq)
    ch.queue_declare(q, arguments={"x-max-length": 2, "x-max-priority": 5,
                                   "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
    for body, priority in (("low", 1), ("high", 5), ("mid", 3)):
        ch.basic_publish("", q, body, properties=b.props(priority=priority))
    drain(ch, q, dlq)


@case("max-length-reject-publish-mandatory")
def reject_mandatory(b: Side) -> None:
    ch = b.channel()
    q, _ = limited(b, ch, "reject-publish", dlx=False, max_length=1)
    b.returns(ch)
    ch.basic_publish("", q, "m1", mandatory=True)
    ch.basic_publish("", q, "m2", mandatory=True)
    drain(ch, q)


@case("max-length-reject-publish-consumer-frees-room")
def reject_room(b: Side) -> None:
    ch = b.channel()
    q, _ = limited(b, ch, "reject-publish", dlx=False, max_length=1)
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2")
    ch.basic_get(q)
    ch.basic_publish("", q, "m3")
    ch.basic_publish("", q, "m4")
    ch.basic_nack(1)
    ch.queue_declare(q, passive=True)
    drain(ch, q)
