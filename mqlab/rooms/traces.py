"""A message's life as a trace: its events, each said as the rule that moved it.

Built on demand from the room's event history (a bounded ring buffer), so a trace costs
nothing until someone inspects a message, and it is bounded: at most ``MAX_STEPS`` steps per
message (the first and the last ones, with a note of how many were left out). The sentences
come from the events' causes (``engine.causes.say``); an event without a cause falls back to
its reason. A Kafka record's trace also shows the commit that moved its group past it: a
commit names no record, so it is found in the history (the first commit of the record's
group and partition past its offset, after each fetch).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.causes import say
from engine.events import Event

MAX_STEPS = 120
#: fetches of one record whose later commit is looked up (each scan reads the history)
MAX_COMMIT_LOOKUPS = 8


def step(event: Event) -> dict[str, Any]:
    cause = event.cause
    return {"seq": event.seq, "at": event.at, "kind": event.kind,
            "node": event.target or event.source,
            "text": say(cause, event.reason or event.kind),
            "rule": cause.get("rule") if cause else None}


def message_trace(events: list[Event], history: Iterable[Event]) -> list[dict[str, Any]]:
    """The steps of one message (``events``: its own, oldest first), bounded."""
    steps = [step(event) for event in events]
    steps.extend(_commits(events, history))
    steps.sort(key=lambda s: s["seq"])
    if len(steps) > MAX_STEPS:
        head, tail = steps[:20], steps[-(MAX_STEPS - 21):]
        skipped = len(steps) - len(head) - len(tail)
        steps = [*head, {"seq": None, "at": tail[0]["at"], "kind": "skipped", "node": None,
                         "text": f"… {skipped} steps left out …", "rule": None}, *tail]
    return steps


def _commits(events: list[Event], history: Iterable[Event]) -> list[dict[str, Any]]:
    fetches = [e for e in events if e.cause and e.cause.get("rule") == "assignment"]
    if not fetches:
        return []
    later = [e for e in history if e.kind == "committed" and e.cause]
    found: dict[int, dict[str, Any]] = {}
    for fetch in fetches[:MAX_COMMIT_LOOKUPS]:
        cause = fetch.cause or {}
        for commit in later:
            c = commit.cause or {}
            if (commit.seq > fetch.seq and c.get("group") == cause.get("group")
                    and c.get("partition") == cause.get("partition")
                    and isinstance(c.get("offset"), int) and c["offset"] > cause["offset"]):
                found.setdefault(commit.seq, step(commit))
                break
    return list(found.values())


def bindings_seen(events: list[Event], report: Any) -> list[dict[str, Any]]:
    """For each exchange the message was routed by (its publish, a dead-letter exchange):
    every binding and whether it matches the message, from ``report(exchange, routing_key,
    headers)`` (the broker's ``binding_report`` on the live model)."""
    seen: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        cause = event.cause or {}
        exchange = cause.get("exchange")
        if not exchange or exchange in seen or cause.get("rule") not in (
                "publish", "binding", "unroutable"):
            continue
        headers = ((event.details or {}).get("properties") or {}).get("headers")
        seen[exchange] = report(exchange, cause.get("routing_key", ""), headers)
    return [row for rows in seen.values() for row in rows]
