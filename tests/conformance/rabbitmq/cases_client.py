"""Cases: values at the edge of what pika sends. The model may refuse locally only what pika
itself refuses before sending; anything pika sends must get the broker's answer."""

from __future__ import annotations

from typing import Any

from .cases_limits import drain
from .harness import Side, case


def _publish(slug: str, **properties: Any) -> None:
    @case(f"client-publish-{slug}")
    def publish(b: Side) -> None:
        ch = b.channel()
        q = b.name("q")
        ch.queue_declare(q)
        ch.basic_publish("", q, "m1", properties=b.props(**properties))
        ch = ch if ch.is_open else b.channel()
        drain(ch, q)


_publish("priority-over-255", priority=300)
_publish("delivery-mode-3", delivery_mode=3)
_publish("expiration-int", expiration=5000)
_publish("priority-0", priority=0)


def _consume(slug: str, arguments: dict[str, Any]) -> None:
    @case(f"client-consume-{slug}")
    def consume(b: Side) -> None:
        ch = b.channel()
        q = b.name("q")
        ch.queue_declare(q)
        ch.basic_publish("", q, "m1")
        ch.basic_consume(q, b.recorder("c1", then="ack"), arguments=arguments)
        b.note("open", ch.is_open)


_consume("unknown-argument", {"x-whatever": 1})
_consume("stream-offset-on-classic", {"x-stream-offset": "first"})
_consume("priority-text", {"x-priority": "high"})
_consume("priority-large", {"x-priority": 2**40})


def _qos(slug: str, **qos: Any) -> None:
    @case(f"client-qos-{slug}")
    def set_qos(b: Side) -> None:
        ch = b.channel()
        ch.basic_qos(**qos)
        b.note("open", ch.is_open)


_qos("prefetch-over-short", prefetch_count=70000)
_qos("prefetch-negative", prefetch_count=-1)
