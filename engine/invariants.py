"""Checks that hold for every broker model, used by the property-based tests.

Conservation: every message is in exactly one place, or the last event about it is terminal
(it was acked, dropped, expired, ... and is nowhere now).

The budget: the room's running account (``engine/limits.py``) equals what a scan of every
broker finds, and stays within the room's budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .events import TERMINAL, Event

if TYPE_CHECKING:
    from .simulation import Simulation


def conservation_violations(events: Iterable[Event], locations: Iterable[tuple[str, str]],
                            terminal: frozenset[str] = TERMINAL) -> list[str]:
    """Plain-words list of every message that is in two places, or vanished, or came back."""
    places: dict[str, list[str]] = {}
    for message_id, place in locations:
        places.setdefault(message_id, []).append(place)
    last_kind: dict[str, str] = {}
    for event in events:
        if event.message_id is not None:
            last_kind[event.message_id] = event.kind
    problems = []
    for message_id, where in places.items():
        if len(where) > 1:
            problems.append(f"{message_id} is in {len(where)} places: {', '.join(where)}")
    for message_id, kind in last_kind.items():
        here = message_id in places
        if not here and kind not in terminal:
            problems.append(f"{message_id} is nowhere, but its last event was {kind!r}")
        if here and kind in terminal:
            problems.append(f"{message_id} is at {places[message_id][0]} after {kind!r}")
    return problems


def budget_violations(sim: Simulation) -> list[str]:
    """Plain-words list of where the room's account differs from a scan, or is over budget."""
    counted = sim.held()
    found = _scan(sim)
    problems = []
    if counted != found:
        problems.append(f"the account says {counted} (messages, bytes) but a scan finds {found}")
    limits = sim.limits
    if counted[0] > limits.max_messages or counted[1] > limits.max_bytes:
        problems.append(f"the room holds {counted}, over its budget of "
                        f"{(limits.max_messages, limits.max_bytes)}")
    return problems


def _scan(sim: Simulation) -> tuple[int, int]:
    """Messages and bytes held, found the slow way: every store of every broker."""
    items: list[int] = []
    brokers: dict[str, Any] = sim.brokers
    rabbit = brokers.get("rabbitmq")
    if rabbit is not None:
        for queue in rabbit._queues.values():
            items += [m.size for m in queue.ready]
        for channel in rabbit._channels.values():
            items += [m.size for m in channel.unacked.values() if m.queue is not None]
        for connection in rabbit._connections:
            items += [held.args[5] for held in connection.held]
    kafka = brokers.get("kafka")
    if kafka is not None:
        for topic in kafka.topics.values():
            for partition in topic.partitions:
                items += [record.size for record in partition.log.records()]
    sqs = brokers.get("sqs")
    if sqs is not None:
        for queue in sqs.queues.values():
            items += [len(m.body.encode()) for m in queue.messages.values()]
    return len(items), sum(items)
