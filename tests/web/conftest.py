"""Helpers for the web tests: rooms created through the registry, sockets with a session."""

from __future__ import annotations

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.signed_cookies import SessionStore

from mqlab.asgi import application
from mqlab.rooms import CLIENT_KEY, Room, registry

OWNER = "owner-client"
VIEWER = "viewer-client"


def session_cookie(client: str) -> bytes:
    session = SessionStore()
    session[CLIENT_KEY] = client
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


async def connect(room_id: str, client: str | None = OWNER) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost")]
    if client is not None:
        headers.append((b"cookie", session_cookie(client)))
    communicator = WebsocketCommunicator(application, f"/ws/rooms/{room_id}/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def create_room(preset: str = "rabbitmq-work-queue", seed: int = 7) -> Room:
    return await database_sync_to_async(registry.create)(preset, OWNER, seed)


@pytest_asyncio.fixture
async def rooms():
    """The registry, emptied (runners stopped) after the test."""
    yield registry
    await registry.stop_all()


@pytest.fixture
def sync_rooms():
    yield registry
    registry.clear()
