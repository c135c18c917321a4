"""Which room an AMQP connection opens, and how many connections each room has.

The password is a room's token (shown to its controller only), so the room is known from the
credentials alone, as RabbitMQ knows the user at connection.start-ok; the virtual host named
in connection.open must then be that room.
"""

from __future__ import annotations

import hmac
from typing import Any

from channels.db import database_sync_to_async

from mqlab.rooms import RoomNotFound, registry

#: Open connections per room id (sessions of this process).
_open: dict[str, set[Any]] = {}


async def by_token(token: str) -> Any:
    """The room whose token ``token`` is (running, or saved and started again), or None."""
    if not token:
        return None
    for room in registry:
        if hmac.compare_digest(room.token, token):
            return room
    room_id = await database_sync_to_async(_saved_room_id)(token)
    if room_id is None:
        return None
    try:
        return await registry.aget(room_id)
    except RoomNotFound:
        return None


def _saved_room_id(token: str) -> str | None:
    from mqlab.models import RoomRecord

    return RoomRecord.objects.filter(token=token).values_list("id", flat=True).first()


async def exists(room_id: str) -> bool:
    if registry.running(room_id) is not None:
        return True
    return await database_sync_to_async(_saved)(room_id)


def _saved(room_id: str) -> bool:
    from mqlab.models import RoomRecord

    return RoomRecord.objects.filter(id=room_id).exists()


def refusal(room: Any) -> str | None:
    """Why real AMQP clients cannot drive ``room``, or None."""
    if not any(command.name == "amqp" for command in room.kit.commands):
        return f"it is a {room.kit.broker} room, with no AMQP endpoint"
    if room.guide is not None:
        return "it follows a walkthrough step by step; open its scenario to experiment freely"
    return None


def join(room: Any, session: Any, limit: int) -> bool:
    """Count ``session`` in ``room`` unless the room has ``limit`` connections already."""
    sessions = _open.setdefault(room.id, set())
    if len(sessions) >= limit:
        return False
    sessions.add(session)
    return True


def left(room: Any, session: Any) -> None:
    sessions = _open.get(room.id)
    if sessions is not None:
        sessions.discard(session)
        if not sessions:
            del _open[room.id]


def count(room: Any) -> int:
    return len(_open.get(room.id, ()))


def connect_facts(request: Any, room: Any) -> dict[str, Any]:
    """connect.json's "amqp": where and how a client connects (port 0: no listener)."""
    from django.conf import settings
    from django.http.request import split_domain_port

    host = getattr(settings, "MQLAB_AMQP_PUBLIC_HOST", "") or \
        split_domain_port(request.get_host())[0] or "localhost"
    return {"host": host, "port": settings.MQLAB_AMQP_PORT, "virtual_host": room.id,
            "username": "mqlab", "password": room.token}
