"""What every broker model offers the simulation (RabbitMQ, Kafka and SQS each subclass it).

A model keeps its own state, schedules through ``sim.call_later`` and reports every change
with ``sim.emit``. The simulation asks it three questions, and each answer is plain data:
``topology`` (nodes and edges to draw), ``contents`` (each node's messages and counters, for
a client's snapshot) and ``locations`` (where each live message is, for conservation checks).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .simulation import Simulation
    from .topology import TopologyBuilder


class BrokerModel:
    #: The broker's name, used in node ids and on every event it emits.
    name = "broker"

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def topology(self, into: TopologyBuilder) -> None:
        """Add this broker's nodes and edges."""

    def contents(self) -> dict[str, dict[str, Any]]:
        """Per node id: its messages (oldest first) and counters, as JSON-safe data."""
        return {}

    def locations(self) -> Iterable[tuple[str, str]]:
        """``(message_id, place)`` for every live message; a message must appear once."""
        return ()
