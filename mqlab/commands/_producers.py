"""Simulated producers in the playground, for any broker: a steady ``engine.apps`` Producer
started and stopped by name. A broker's kit supplies the adapter (where messages go); the
lab keeps its producers in a ``producers`` dict. (A module whose name starts with "_" is
not a broker: ``mqlab.commands.brokers`` skips it.)"""

from __future__ import annotations

from typing import Any

from engine.apps.adapters.base import ProducerAdapter
from engine.apps.bodies import FIELDS, unknown_fields
from engine.apps.keys import KeyChooser
from engine.apps.producer import Producer
from engine.apps.rates import Steady
from engine.limits import DEFAULTS as ROOM
from mqlab.commands import ArgumentError, Field

BODY_HELP = "Fields: " + ", ".join("{" + name + "}" for name in FIELDS) + "."
#: the room's cap on one producer's rate (engine/limits.py), the same in scenarios
RATE = Field("rate", "Messages per second", "float", default=1.0, minimum=0.01,
             maximum=ROOM.max_rate)
BODY = Field("body", "Body", default="{producer}-{n}", help=BODY_HELP,
             max_length=ROOM.max_body_bytes)
LIMIT = Field("limit", "Stop after (messages)", "int", minimum=1,
              help="Leave blank to keep sending until stopped.")
#: how many messages one publish / produce / send command sends (the room's cap)
COUNT = Field("count", "How many", "int", default=1, minimum=1,
              maximum=ROOM.max_publish_count)
#: the longest body a form takes (the room's cap, the same in scenarios)
BODY_CHARS = ROOM.max_body_bytes
def free_name(lab: Any, prefix: str = "producer", taken: Any = None) -> str:
    """The first "producer-N" (or ``prefix``-N) not running, so a form's default name is
    never taken."""
    taken = lab.producers if taken is None else taken
    n = 1
    while f"{prefix}-{n}" in taken:
        n += 1
    return f"{prefix}-{n}"


#: A new producer's name: the form offers one that is free.
NAME = Field("name", "Name", required=True, default="producer-1", prefill=free_name)
PRODUCER = Field("producer", "Producer", required=True,
                 suggest=lambda lab: sorted(lab.producers))


def check_new(lab: Any, name: str, body: str) -> None:
    """Refuse a name already running or a body template naming unknown fields."""
    if name in lab.producers:
        raise ArgumentError("name", f"a producer named {name!r} is already running; stop it "
                            "first or pick another name")
    try:
        unknown = unknown_fields(body)
    except ValueError as error:
        raise ArgumentError("body", f"Body is not a valid template: {error}") from None
    if unknown:
        raise ArgumentError("body", f"Body names unknown field(s) {', '.join(unknown)}; "
                            f"{BODY_HELP}")


def start(lab: Any, name: str, adapter: ProducerAdapter, rate: float, body: str,
          limit: int | None, options: dict[str, Any] | None = None,
          keys: KeyChooser | None = None) -> Producer:
    """Start sending now, ``rate`` messages per (virtual) second, each with a key from
    ``keys`` when given."""
    producer = Producer(lab.sim, name, adapter, rate=Steady(rate), keys=keys, body=body,
                        limit=limit, start=lab.sim.now, options=options)
    lab.producers[name] = producer
    producer.start()
    return producer


def stop(lab: Any, producer: str) -> str:
    app = lab.producers.pop(producer, None)
    if app is None:
        known = ", ".join(sorted(lab.producers)) or "none"
        raise ArgumentError("producer", f"no producer {producer!r}; running: {known}")
    app.stop()
    return f"producer {producer!r} stopped after {app.accepted} accepted message(s)"


def next_number(lab: Any) -> int:
    """``{n}`` in a hand-sent body counts per room, not per command: a FIFO queue with
    content-based deduplication must not see "order 1" again on the next default send."""
    lab.numbered = getattr(lab, "numbered", 0) + 1
    return lab.numbered
