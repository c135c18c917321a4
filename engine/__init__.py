"""mqlab's simulation engine: pure Python, no I/O, virtual time, commands in, events out.

``Simulation(seed)`` owns the clock and the broker models (``sim.rabbitmq``, ``sim.kafka``,
``sim.sqs``); ``sim.subscribe(listener)`` receives every ``Event``. ``Simulation(seed, limits)``
gives the room a budget (``Limits``, ``engine/limits.py``); ``sim.held()`` is what it holds.
``sim.record_metrics()`` samples each store's depth, lag and rates every virtual second
(``engine/metrics.py``).
"""

from .errors import EngineError, InvalidArgument, NotFound
from .events import TERMINAL, Event
from .limits import Limits
from .simulation import Simulation

__all__ = ["TERMINAL", "EngineError", "Event", "InvalidArgument", "Limits", "NotFound",
           "Simulation"]
