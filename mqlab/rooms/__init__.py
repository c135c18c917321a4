"""Rooms: the simulations the server runs, paced against the wall clock.

- ``state``: a room's simulation, command log, replay and control (plain, synchronous);
- ``clockwork``: moving the virtual clock within a wall-clock work budget;
- ``pace``: the effective speed of a room that cannot keep up;
- ``pacing``: the runner (frames, broadcasts, periodic saves, freeing idle rooms);
- ``offloop``: room work on worker threads, one job at a time per room;
- ``journal``: the database record and the append-only command journal;
- ``registry``: the rooms running in this process, loading and shutdown saves;
- ``checkpoints``: a room's engine state frozen every few virtual seconds, in a bounded store;
- ``history``: time travel: seek, fork, branches, undo, a viewer's private peek, markers;
- ``traces`` and ``why``: a message's trace and "why didn't it...?" answers, from the history.

Rooms live in the memory of one server process. With Redis (``MQLAB_REDIS_URL``) daphne
processes hold none: room workers run them and ``mqlab.cluster`` routes a room's sockets and
requests to its worker, through the ``Registry.claims`` hook and the consumer's room calls.
"""

from mqlab.rooms.clients import CLIENT_KEY, client_id
from mqlab.rooms.clockwork import advance_to
from mqlab.rooms.outcome import Outcome, engine_error_message
from mqlab.rooms.pacing import announce
from mqlab.rooms.registry import Registry, registry
from mqlab.rooms.state import Room, RoomNotFound

__all__ = ["CLIENT_KEY", "Outcome", "Registry", "Room", "RoomNotFound", "advance_to",
           "announce", "client_id", "engine_error_message", "registry"]
