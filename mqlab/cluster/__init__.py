"""Rooms across processes: web processes hold sockets and pages, room workers run rooms.

With ``MQLAB_REDIS_URL`` unset one process plays both roles (``mqlab.rooms`` as it is).
With it set (``settings.MQLAB_CLUSTER``), daphne processes are *web* processes and hold no
simulation; ``manage.py roomworker`` processes are *workers* and run them. The shape is
Zulip's (``zerver/tornado/sharding.py``): a room has one owner, known to everyone, reached
through a queue named after that owner; here the owner is found through a lease in Redis
and the queue is a channel of Channels' channel layer.

- ``leases``: a room belongs to one worker at a time: ``SET NX PX`` on
  ``mqlab:room:<id>:owner``, renewed every second while the room lives there, gone 4 s after
  its worker died.
- ``load``: each worker reports its load (rooms, CPU per frame) under
  ``mqlab:worker:<id>`` with the same expiry; new rooms go to the least-loaded one.
- ``rpc``: request/reply over the channel layer: a message to the worker's channel
  ``mqlab-worker.<id>`` carries a fresh reply channel; no answer in time is a clear error.
- ``web``: the web side: HTTP requests about a room (pages, form posts, the SQS endpoint)
  are forwarded whole to the room's owner, which runs the very same Django views, so form
  posts get the same replies as in one process; new rooms go to the least-loaded worker.
  Its viewer table reports how many sockets watch each room, and moves a room whose worker
  died (see ``viewers``).
- ``consumer``: the room socket of a web process: the same consumer, its room calls sent to
  the owner. Batches and announcements reach it through the room's group, as before.
- ``worker``: the worker: its channel, the rooms it owns, lease renewal and load reports.

Failover is start-up: a worker that dies stops renewing its leases; once a lease has
expired, the next web process that needs the room (a viewer table's heartbeat, a page, a
post) places it on the least-loaded worker, which claims it and rebuilds it from its record
and command journal (``mqlab.rooms.journal``: every acknowledged command is journaled
before its reply); the viewers then resync from a fresh snapshot.
"""

from __future__ import annotations

from django.conf import settings


def enabled() -> bool:
    """True in a web process or worker of a cluster (``MQLAB_REDIS_URL`` set)."""
    return bool(getattr(settings, "MQLAB_CLUSTER", False))
