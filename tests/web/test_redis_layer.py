"""The room stream through channels-redis, the layer a deployment with several daphne
processes uses: a batch broadcast to a room's group reaches every viewer.

scripts/test.sh starts a private Redis and sets MQLAB_TEST_REDIS_URL; CI always runs it.
"""

from __future__ import annotations

import os

import pytest
from channels.layers import channel_layers

from tests.web.conftest import VIEWER, connect, create_room

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_layer(settings):
    url = os.environ.get("MQLAB_TEST_REDIS_URL")
    if not url:
        pytest.fail("MQLAB_TEST_REDIS_URL is not set: run the tests with scripts/test.sh, "
                    "which starts a Redis for them")
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [url], "prefix": f"mqlab-test-{os.getpid()}"}}}
    channel_layers.backends.clear()
    yield channel_layers["default"]
    channel_layers.backends.clear()


async def test_a_room_batch_reaches_two_viewers_through_redis(redis_layer, rooms):
    assert type(redis_layer).__name__ == "RedisChannelLayer"
    room = await create_room()
    owner = await connect(room.id)
    viewer = await connect(room.id, client=VIEWER)
    for socket in (owner, viewer):
        await socket.receive_json_from()
    await owner.send_json_to({"v": 1, "type": "command", "command": "publish",
                              "args": {"routing_key": "tasks", "body": "via redis"}})
    batches = []
    for socket in (owner, viewer):
        frame = await socket.receive_json_from(timeout=3)
        while frame["type"] != "events":
            frame = await socket.receive_json_from(timeout=3)
        batches.append(frame)
    assert batches[0] == batches[1]
    published = [event for event in batches[0]["events"] if event["kind"] == "published"]
    assert published[0]["details"]["body"] == "via redis"
    await owner.disconnect()
    await viewer.disconnect()
    await redis_layer.flush()
