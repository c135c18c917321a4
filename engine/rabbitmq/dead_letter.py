"""Dead-lettering: the headers RabbitMQ writes when a message leaves a queue for a DLX.

"Dead Letter Exchanges" (https://www.rabbitmq.com/docs/dlx): a message is dead-lettered when
it is rejected or nacked with ``requeue=false`` (reason ``rejected``), when its TTL runs out
(``expired``), when a length limit pushes it out (``maxlen``) or when a quorum queue's
delivery limit is exceeded (``delivery_limit``). It is republished to the queue's
``x-dead-letter-exchange`` with ``x-dead-letter-routing-key`` if set, else with its own
routing keys. The ``x-death`` header is a list of tables, most recent first, one per
(queue, reason) pair, with ``count``, ``reason``, ``queue``, ``time``, ``exchange``,
``routing-keys`` and, for per-message TTL, ``original-expiration``; a repeat death for the
same queue and reason increments ``count`` and moves the entry to the front (keeping its
first time, exchange and routing keys, as ``rabbit_dead_letter:update_x_death_header`` does).
``original-expiration`` is written whenever the message had an ``expiration``, whatever the
reason (``rabbit_dead_letter``'s ``per_msg_ttl_header``).
``x-first-death-{reason,queue,exchange}`` are set once; ``x-last-death-*`` (3.13+) every time.
The ``expiration`` property is removed so the message does not expire again in the next queue.
"""

from __future__ import annotations

from typing import Any

from .properties import BasicProperties

REJECTED, EXPIRED, MAXLEN, DELIVERY_LIMIT = "rejected", "expired", "maxlen", "delivery_limit"


def dead_lettered_properties(properties: BasicProperties, queue: str, reason: str,
                             exchange: str, routing_keys: list[str], time: int
                             ) -> BasicProperties:
    """New properties carrying the death record; the old object is left untouched."""
    headers = dict(properties.headers or {})
    deaths = [dict(d) for d in _deaths(headers)]
    for index, death in enumerate(deaths):
        if death.get("queue") == queue and death.get("reason") == reason:
            count = death.get("count")
            death["count"] = (count if type(count) is int else 1) + 1
            deaths.insert(0, deaths.pop(index))
            break
    else:
        death = {"count": 1, "reason": reason, "queue": queue, "time": time,
                 "exchange": exchange, "routing-keys": list(routing_keys)}
        if properties.expiration is not None:
            death["original-expiration"] = properties.expiration
        deaths.insert(0, death)
    headers["x-death"] = deaths
    headers.setdefault("x-first-death-reason", reason)
    headers.setdefault("x-first-death-queue", queue)
    headers.setdefault("x-first-death-exchange", exchange)
    headers["x-last-death-reason"] = reason
    headers["x-last-death-queue"] = queue
    headers["x-last-death-exchange"] = exchange
    return properties.copy(headers=headers, expiration=None)


def is_cycle(queue: str, reason: str, headers: dict[str, Any] | None) -> bool:
    """Would dead-lettering into ``queue`` close a loop with no rejection in it?

    "Dead Letter Exchanges", routing dead-lettered messages: a message that would come back
    to a queue it already died in, with no ``rejected`` death on the way, is dropped, so an
    automatic loop (e.g. two queues expiring into each other) cannot spin forever.
    (``rabbit_dead_letter:is_cycle``.) ``headers`` already hold the new death.
    """
    if reason == REJECTED:
        return False
    for death in _deaths(headers or {}):
        if death.get("reason") == REJECTED:
            return False
        if death.get("queue") == queue:
            return True
    return False


def _deaths(headers: dict[str, Any]) -> list[dict[str, Any]]:
    """The well-formed entries of ``x-death``. A publisher may send any value under that
    name; what is not a list of tables is not a death record, and mqlab skips it rather than
    fail the dead-lettering (which runs from a TTL timer, where an error would break the
    room's clock)."""
    deaths = headers.get("x-death")
    if not isinstance(deaths, list):
        return []
    return [death for death in deaths if isinstance(death, dict)]
