"""Real clients in a room: boto3, pika, kafka-python... connected over the real protocols.

Each protocol front (``mqlab.sqs_api``, ``mqlab.amqp``, the Kafka listener) calls ``attach``
when a client arrives and ``detach`` when it leaves; ``connected`` says whether any is there.
Presence is live state of this process, not of the simulation: it never enters the command log
(the clients' *operations* do, as commands), so a replay is the same with or without them.

- The diagram draws each client as a node ("pika 127.0.0.1:53412", "boto3", "kafka-python
  consumer c1 of group g"). ``attach`` returns the node's id; a protocol front makes the
  engine name the same id as the source or target of the client's messages (a channel's node,
  SQS's receiver node), so they animate from and to it like a simulated app's. Where the engine
  draws that node itself (a channel once it publishes), ``drawn`` keeps the engine's node and
  marks it as a real client; otherwise it adds a node of kind ``client``.
- While any real client is attached the room runs at real time (1×): a client's timeouts,
  heartbeats and TTLs are wall-clock times, so pausing or speeding up the room would break
  them. ``Room.control`` refuses pause, step and speed with ``REAL_TIME`` as the reason.
- A room with real clients keeps its runner going (its clock moves) even when no browser
  watches, and is not freed as idle.

Call ``attach``, ``detach`` and ``seen`` on the event loop (as ``Room.attach``); ``drawn`` and
``connected`` may run on any thread (the clients are a dict replaced whole on each change).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from engine.topology import CONSUMERS, PRODUCERS, node_id

#: Why pause, step and speed are refused while a real client is connected.
REAL_TIME = "a real client is connected: the room runs at real time (1×)"
#: How each protocol's clients are named in the diagram: (broker, node kind, column). SQS's
#: kind is the engine's receiver node, so a client's receives land on its own node.
PROTOCOLS = {
    "amqp": ("rabbitmq", "client", PRODUCERS),
    "sqs": ("sqs", "consumer", CONSUMERS),
    "kafka": ("kafka", "client", PRODUCERS),
    # Kafka: the model draws a real client's producer and group members itself; the node ids
    # match, so the model's nodes are marked as the real clients (mqlab.kafka).
    "kafka-producer": ("kafka", "producer", PRODUCERS),
    "kafka-consumer": ("kafka", "consumer", CONSUMERS),
}
#: Clients a room shows at most (each protocol also bounds its own connections).
MAX_CLIENTS = 200


@dataclass(frozen=True)
class RealClient:
    node: str
    label: str
    protocol: str
    broker: str
    column: int


def _clients(room: Any) -> dict[str, RealClient]:
    return getattr(room, "real_clients", {})


def connected(room: Any) -> bool:
    """Whether any real client is attached to ``room``."""
    return bool(_clients(room))


def clients(room: Any) -> list[RealClient]:
    return list(_clients(room).values())


def attach(room: Any, label: str, protocol: str) -> str:
    """A real client arrived: draw it, run the room at 1×; returns its node id."""
    broker, kind, column = PROTOCOLS.get(protocol, (room.kit.broker, "client", PRODUCERS))
    present = _clients(room)
    label = label[:80]
    node, number = node_id(broker, kind, label), 1
    while node in present:
        number += 1
        node = node_id(broker, kind, f"{label} #{number}")
    if len(present) >= MAX_CLIENTS:
        return node  # drawn no more; the protocol's own connection limit refuses earlier
    room.real_clients = {**present, node: RealClient(node, node.split(":", 2)[2], protocol,
                                                     broker, column)}
    if room.guide is None:
        room.speed, room.paused = 1.0, False
    _changed(room)
    return node


def detach(room: Any, node_id: str) -> None:
    """The client behind ``node_id`` left (a no-op if it had already)."""
    present = _clients(room)
    if node_id not in present:
        return
    room.real_clients = {k: v for k, v in present.items() if k != node_id}
    _last_seen(room).pop(node_id, None)
    if not room.real_clients:
        room.idle_since = time.monotonic()
    _changed(room)


def seen(room: Any, label: str, protocol: str) -> str:
    """For request/response protocols (SQS over HTTP): the client's node, attached on its
    first request and detached once it has been quiet for ``MQLAB_REAL_CLIENT_IDLE_SECONDS``."""
    last = _last_seen(room)
    for node, client in _clients(room).items():
        if client.label == label and client.protocol == protocol and node in last:
            last[node] = time.monotonic()
            return node
    node = attach(room, label, protocol)
    last[node] = time.monotonic()
    _expire_later(room, node, _idle_seconds())
    return node


def drawn(room: Any, topology: dict[str, Any]) -> dict[str, Any]:
    """``topology`` (the engine's) with the room's real clients in it."""
    present = _clients(room)
    if not present:
        return topology
    nodes = []
    for node in topology["nodes"]:
        client = present.get(node["id"])
        if client is not None:  # the engine draws it (a publishing channel): mark it
            node = {**node, "label": client.label,
                    "props": {**node["props"], "real_client": client.protocol,
                              "tags": [*node["props"].get("tags", ()), "real client"]}}
        nodes.append(node)
    shown = {node["id"] for node in nodes}
    for client in present.values():
        if client.node in shown:
            continue
        nodes.append({"id": client.node, "broker": client.broker, "kind": "client",
                      "name": client.label, "column": client.column, "label": client.label,
                      "props": {"real_client": client.protocol, "protocol": client.protocol,
                                "tags": ["real client"]}})
    return {**topology, "nodes": nodes}


# -- internals ------------------------------------------------------------------------------

def _idle_seconds() -> float:
    return getattr(settings, "MQLAB_REAL_CLIENT_IDLE_SECONDS", 30.0)


def _last_seen(room: Any) -> dict[str, float]:
    last = getattr(room, "real_clients_seen", None)
    if last is None:
        last = room.real_clients_seen = {}
    return last


def _expire_later(room: Any, node: str, delay: float) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # no loop (a sync test): detached by hand
    loop.call_later(delay, _expire, room, node)


def _expire(room: Any, node: str) -> None:
    last = _last_seen(room).get(node)
    if last is None:
        return
    quiet = time.monotonic() - last
    if quiet >= _idle_seconds():
        detach(room, node)
        redraw(room)  # nothing in the room says a quiet client went
    else:
        _expire_later(room, node, _idle_seconds() - quiet)


def redraw(room: Any) -> None:
    """Every viewer redraws now (a snapshot). For a change no event of the room carries: a
    snapshot drops the animation of events in flight, so a protocol front rather emits a
    journaled event when a client comes and goes (``mqlab.commands._amqp``), whose batch
    carries the new picture."""
    try:
        _announce(asyncio.get_running_loop(), room, "snapshot")
    except RuntimeError:
        return


def _changed(room: Any) -> None:
    """The next batch redraws the room, viewers see the clock at 1×, and the room's runner
    runs."""
    room._topology_changed = True
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    from mqlab.rooms.pacing import pace
    from mqlab.rooms.registry import registry

    if room.runner is None or room.runner.done():
        room.runner = loop.create_task(pace(room, registry))
    _announce(loop, room, "clock")


def _announce(loop: asyncio.AbstractEventLoop, room: Any, what: str) -> None:
    from mqlab.rooms.pacing import announce

    task = loop.create_task(announce(room, what))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


#: Announcements in flight (asyncio keeps only weak references to tasks).
_tasks: set[asyncio.Task[Any]] = set()
