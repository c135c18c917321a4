"""Causes: why a message moved, as data, and the sentence a learner reads for it.

Every movement event (``engine.events``) carries a ``cause``: a small JSON-safe dict whose
``"rule"`` names the broker rule that moved the message and whose other keys are that rule's
inputs (the binding that matched, the consumer whose turn it was, the partition the key hashed
to...). The brokers build causes only while someone listens (``sim.listening``), so they cost
a run that nobody watches nothing. Lists inside a cause are cut at ``MAX_LISTED`` items with a
count of the rest, so one cause stays small whatever the topology.

``say(cause)`` turns a cause into the learner-readable step of a message's trace ("delivered to
worker-2 (prefetch 1: worker-1 was at its limit)"). The rules, each with its source:

RabbitMQ ("Exchanges", "Consumers", "Consumer Prefetch", "Consumer Acknowledgements and
Publisher Confirms", "Dead Letter Exchanges", "TTL", "Queue Length Limit", "Alternate
Exchanges", "Publishers" guides at https://www.rabbitmq.com/docs/):
  publish, binding, default-exchange, exchange-binding, alternate-exchange, unroutable,
  round-robin, prefetch, single-active, priority, basic-get, ack, auto-ack, requeue,
  dead-letter, ttl, max-length, rejected, delivery-limit, dead-letter-dropped, budget, purge,
  queue-deleted, restart, memory-alarm.
Kafka (DefaultPartitioner / BuiltInPartitioner: murmur2 of the key, KIP-480 sticky without
one; the consumer group protocol and its assignors; the log cleaner; KIP-98 markers):
  key-hash, sticky, explicit-partition, retry, produce, batch-refused, append, replication,
  assignment, commit, log-cleaner, truncated, no-leader, topic-deleted, marker.
SQS and SNS (Developer Guide: "Amazon SQS visibility timeout", "Amazon SQS delay queues",
"Using dead-letter queues", message move tasks; SNS fan-out):
  send, delay, delay-over, receive, visibility-expired, visibility-lapsed, visibility-changed,
  redrive, move-task, delete, retention, purge, queue-deleted, sns-publish, fan-out.
A blocked FIFO group moves nothing, so it is no cause: ``engine.sqs.why`` names the message
that blocks it when a learner asks why a message was not received.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: most names a cause lists (bindings, consumers); the rest are counted in ``"more"``
MAX_LISTED = 6


def listed(names: Iterable[str]) -> tuple[list[str], int]:
    """The first ``MAX_LISTED`` names and how many more there were."""
    shown: list[str] = []
    more = 0
    for name in names:
        if len(shown) < MAX_LISTED:
            shown.append(name)
        else:
            more += 1
    return shown, more


def code(text: Any) -> str:
    return f"`{text}`"


def _names(names: list[str], more: int = 0) -> str:
    text = ", ".join(code(n) for n in names)
    return f"{text} and {more} more" if more else text


def _exchange(name: str) -> str:
    return f"exchange {code(name)}" if name else "the default exchange"


# -- RabbitMQ --------------------------------------------------------------------------------
def _binding(c: dict[str, Any]) -> str:
    if c.get("type") == "fanout":
        return (f"routed by {_exchange(c['exchange'])} (fanout: every bound queue gets a "
                "copy)" + _enqueued(c))
    matched = c.get("matched") or []
    text = (f"routed by {_exchange(c['exchange'])} (binding {_names(matched)} matched"
            if matched else f"routed by {_exchange(c['exchange'])} (one of its bindings "
            "matched")
    unmatched = c.get("unmatched") or []
    if unmatched:
        text += f"; {_names(unmatched)} did not"
    return text + _not_listed(c) + ")" + _enqueued(c)


def _not_listed(c: dict[str, Any]) -> str:
    more = c.get("more", 0)
    return f"; {more} other binding{'s' if more != 1 else ''} not shown" if more else ""


def _enqueued(c: dict[str, Any]) -> str:
    where = f" → enqueued in {code(c['queue'])}"
    if c.get("priority") is not None:
        return where + f" (priority {c['priority']})"
    return where + f" (position {c['position']})"


def _unroutable(c: dict[str, Any]) -> str:
    if c.get("type") == "fanout":
        why = f"{_exchange(c['exchange'])} (fanout) has no bindings"
    elif c.get("type") == "headers":
        why = f"no binding of headers {_exchange(c['exchange'])} matches the message's headers"
    else:
        why = (f"no binding of {_exchange(c['exchange'])} matches routing key "
               f"{code(c['routing_key'])}")
    if c.get("unmatched"):
        why += f" (tried {_names(c['unmatched'])}{_not_listed(c)})"
    if c.get("mandatory"):
        return f"returned to the publisher as unroutable: {why} and mandatory=true"
    return f"dropped as unroutable: {why} (not mandatory, no alternate exchange)"


def _delivered(c: dict[str, Any]) -> str:
    verb = "delivered again (redelivered) to" if c.get("redelivered") else "delivered to"
    who = code(c["consumer"])
    rule = c["rule"]
    if rule == "basic-get":
        return f"{verb} {who} by basic.get from {code(c['queue'])}"
    if rule == "prefetch":
        busy = _names(c["busy"], c.get("more", 0))
        was = "was" if len(c["busy"]) + c.get("more", 0) == 1 else "were"
        return (f"{verb} {who} (prefetch {c['prefetch']}: {busy} {was} at its prefetch "
                "limit)")
    if rule == "single-active":
        return f"{verb} {who} (the single active consumer of {code(c['queue'])})"
    if rule == "priority":
        return f"{verb} {who} (consumer priority {c['priority']}: the highest with room)"
    count = c.get("consumers", 1)
    if count <= 1:
        return f"{verb} {who} (the only consumer of {code(c['queue'])})"
    return f"{verb} {who} (round-robin: its turn among {count} consumers)"


def _requeue(c: dict[str, Any]) -> str:
    place = {"head": "at the head of", "back": "at the back of"}.get(
        c.get("place", ""), "in its original place in")
    return f"{c['how']}: requeued {place} {code(c['queue'])}"


def _leaving(c: dict[str, Any]) -> str:
    """Why a message left its queue (TTL, length limit, rejection, delivery limit)."""
    rule, queue = c["rule"], code(c["queue"])
    if rule == "ttl":
        return f"expired by TTL ({c['ttl']} ms) in {queue}"
    if rule == "max-length":
        if c.get("refused"):
            return f"refused by {queue}: full ({c['limits']}, {c['overflow']})"
        return f"pushed out of {queue} by max-length overflow ({c['limits']}, drop-head)"
    if rule == "delivery-limit":
        return f"failed more deliveries than {queue}'s x-delivery-limit {c['limit']}"
    return f"{c.get('how', 'rejected')} in {queue}"


def _dead_letter(c: dict[str, Any]) -> str:
    because = _leaving(c["because"])
    return (f"dead-lettered (reason {c['reason']}; x-death count {c['count']}): {because} → "
            f"dead-letter {_exchange(c['dlx'])}")


def _discarded(c: dict[str, Any]) -> str:
    if c.get("refused"):  # reject-publish turns the publish away; no DLX is consulted
        return f"{_leaving(c)}: the new message is turned away"
    return f"{_leaving(c)}; no dead-letter exchange, discarded"


def _dead_letter_dropped(c: dict[str, Any]) -> str:
    why = {"missing": "it does not exist", "cycle": "it would loop back to a queue the "
           "message already died in (dead-letter cycle)"}.get(
        c["why"], f"no queue is bound to it for key {code(c.get('routing_key', ''))}")
    return f"discarded by dead-letter {_exchange(c['dlx'])}: {why}"


# -- Kafka -----------------------------------------------------------------------------------
def _partitioned(c: dict[str, Any]) -> str:
    rule, where = c["rule"], f"partition {c['partition']} of {c['partitions']}"
    if rule == "key-hash":
        return f"key {code(c['key'])} → murmur2 → {where}"
    if rule == "explicit-partition":
        return f"sent to {where}, named by the producer"
    return f"no key: the sticky partitioner chose {where} for the current batch"


def _assignment(c: dict[str, Any]) -> str:
    again = " again (the group read it before)" if c.get("again") else ""
    return (f"fetched{again} by {code(c['consumer'])}, which owns {c['partition']} under the "
            f"{c['assignor']} assignor (group {code(c['group'])})")


# -- SQS -------------------------------------------------------------------------------------
def _receive(c: dict[str, Any]) -> str:
    who = f" by {code(c['consumer'])}" if c.get("consumer") else ""
    return (f"received{who} (receive count {c['count']}), hidden for {c['visibility']} s "
            f"until t={c['until']:g} s")


def _redrive(c: dict[str, Any]) -> str:
    return (f"received a {ordinal(c['count'])} time ⇒ moved to the DLQ {code(c['dlq'])} by "
            f"maxReceiveCount {c['max']}")


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


SAYINGS: dict[str, Any] = {
    # RabbitMQ
    "publish": lambda c: (f"published to {_exchange(c['exchange'])} with routing key "
                          f"{code(c['routing_key'])}"),
    "binding": _binding,
    "default-exchange": lambda c: ("routed by the default exchange (the routing key names "
                                   "the queue)" + _enqueued(c)),
    "exchange-binding": lambda c: (f"routed by {_exchange(c['exchange'])} to "
                                   f"{_exchange(c['to'])} (exchange-to-exchange binding "
                                   f"{_names(c.get('matched') or [])})"),
    "alternate-exchange": lambda c: (f"no binding of {_exchange(c['exchange'])} matched → "
                                     f"its alternate {_exchange(c['to'])}"),
    "unroutable": _unroutable,
    "round-robin": _delivered, "prefetch": _delivered, "single-active": _delivered,
    "priority": _delivered, "basic-get": _delivered,
    "ack": lambda c: f"acknowledged (basic.ack of delivery tag {c['tag']})",
    "auto-ack": lambda c: "acknowledged on delivery (auto-ack)",
    "requeue": _requeue,
    "dead-letter": _dead_letter,
    "ttl": _discarded, "max-length": _discarded, "rejected": _discarded,
    "delivery-limit": _discarded,
    "dead-letter-dropped": _dead_letter_dropped,
    "budget": lambda c: f"refused by {code(c['queue'])}: the room's message budget is full",
    "purge": lambda c: f"purged from {code(c['queue'])}",
    "queue-deleted": lambda c: f"gone with its queue {code(c['queue'])} ({c['how']})",
    "restart": lambda c: (f"lost when the broker restarted: transient in {code(c['queue'])}"),
    "memory-alarm": lambda c: f"held back: {c['why']}",
    # Kafka
    "key-hash": _partitioned, "sticky": _partitioned, "explicit-partition": _partitioned,
    "append": lambda c: (f"appended at offset {c['offset']} of {c['partition']} by leader "
                         f"broker {c['leader']}"),
    "assignment": _assignment,
    "commit": lambda c: f"group {code(c['group'])} committed {c['partition']} at {c['offset']}",
    "log-cleaner": lambda c: f"removed by the log cleaner ({c['how']})",
    "truncated": lambda c: f"lost: {c['why']}",
    "no-leader": lambda c: f"lost: {c['partition']} has no leader and acks=0 never says so",
    "topic-deleted": lambda c: f"deleted with its topic {code(c['topic'])}",
    "produce": lambda c: f"sent by {code(c['producer'])} to topic {code(c['topic'])}",
    "retry": lambda c: (f"re-sent by {code(c['producer'])} after a lost response, to "
                        f"partition {c['partition']}"),
    "batch-refused": lambda c: f"refused with its whole batch by {c['partition']} ({c['error']})",
    "replication": lambda c: (f"copied to the follower on broker {c['follower']} from leader "
                              f"broker {c['leader']}"),
    "marker": lambda c: (f"{c['marker'].upper()} transaction marker written at offset "
                         f"{c['offset']} of {c['partition']}"),
    # SQS
    "send": lambda c: f"sent to {code(c['queue'])}",
    "delay": lambda c: f"hidden by a delivery delay of {c['seconds']} s",
    "delay-over": lambda c: "visible: its delivery delay ended",
    "receive": _receive,
    "visibility-expired": lambda c: (f"visible again: the visibility timeout expired before "
                                     f"a delete (received {_times(c['count'])})"),
    "visibility-changed": lambda c: f"visibility timeout set to {c['seconds']} s from now",
    "redrive": _redrive,
    "delete": lambda c: f"deleted with the receipt handle of receive {c['count']}",
    "retention": lambda c: f"deleted by MessageRetentionPeriod ({c['seconds']} s)",
    "visibility-lapsed": lambda c: ("visible again early: a server missed the visibility "
                                    "timeout (realism)"),
    "move-task": lambda c: f"moved by a message move task from {code(c['from'])} to "
                           f"{code(c['to'])}",
    "sns-publish": lambda c: f"published to SNS topic {code(c['topic'])}",
    "fan-out": lambda c: (f"fanned out by {code(c['topic'])} into {c['copies']} queue "
                          f"cop{'y' if c['copies'] == 1 else 'ies'}"
                          + (f" ({c['filtered']} filtered out)" if c.get("filtered") else "")),
}


def say(cause: dict[str, Any] | None, fallback: str = "") -> str:
    """The learner-readable sentence for ``cause`` (``fallback`` for none or an unknown
    rule, or when the cause lacks a field: a sentence never raises)."""
    if not cause:
        return fallback
    saying = SAYINGS.get(cause.get("rule", ""))
    if saying is None:
        return fallback
    try:
        return saying(cause)
    except (KeyError, TypeError, ValueError):
        return fallback
