"""Checks that hold for every broker model, used by the property-based tests.

Conservation: every message is in exactly one place, or the last event about it is terminal
(it was acked, dropped, expired, ... and is nowhere now).
"""

from __future__ import annotations

from collections.abc import Iterable

from .events import TERMINAL, Event


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
