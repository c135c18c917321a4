"""Charts on the wire (issue 12): a full ``metrics`` frame on request, downsampled to the
points asked for; live ``tail`` frames that continue it; the JSON endpoint; bad requests."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import connect, create_room
from tests.web.test_room_socket import command, control, next_frame

pytestmark = [pytest.mark.django_db(transaction=True)]

QUEUE = "rabbitmq:queue:tasks"


async def metrics(socket, **fields):
    await socket.send_json_to({"v": 1, "type": "metrics", **fields})
    while True:
        frame = await next_frame(socket, "metrics")
        if frame["mode"] == "full":
            return frame


@pytest.mark.asyncio
async def test_full_frame_holds_the_history_and_tails_continue_it(rooms):
    room = await create_room()
    socket = await connect(room.id)
    await next_frame(socket, "snapshot")
    await control(socket, "speed", 8)
    await command(socket, "publish", exchange="", routing_key="tasks", body="job", count=5)
    await next_frame(socket, "result")
    tail = await next_frame(socket, "metrics", timeout=5)
    assert tail["mode"] == "tail" and tail["every"] == 1.0
    while tail["t"][-1] < 3:  # a few virtual seconds after the publishes
        tail = await next_frame(socket, "metrics", timeout=5)
    await control(socket, "pause")

    full = await metrics(socket, nodes=[QUEUE], points=1000)
    assert list(full["nodes"]) == [QUEUE]
    assert full["t"] == sorted(set(full["t"])) and full["t"][0] == 1.0
    queue = full["nodes"][QUEUE]
    assert len(queue["depth"]) == len(full["t"])
    # the preset's producer publishes too: every arrival up to the last sample is counted
    arrived = [e for e in room.history if e.kind == "enqueued" and e.target == QUEUE
               and e.at <= full["t"][-1]]
    assert len(arrived) >= 5
    assert sum(queue["publish_rate"]) * full["every"] == len(arrived)
    assert queue["consumers"][-1] == 3  # the preset's three workers
    assert "lag" not in queue  # RabbitMQ queues have no consumer lag

    # a tail continues right after what was sent before it
    assert tail["after"] is None or tail["after"] < tail["t"][0]
    assert all(t in full["t"] for t in tail["t"])

    small = await metrics(socket, points=2)
    assert len(small["t"]) <= 2 and small["t"][-1] == full["t"][-1]
    await socket.disconnect()


@pytest.mark.asyncio
async def test_bad_metrics_requests_get_an_error_and_the_socket_stays(rooms):
    room = await create_room()
    socket = await connect(room.id)
    await next_frame(socket, "snapshot")
    for fields, field in (({"points": 0}, "points"), ({"points": "many"}, "points"),
                          ({"nodes": "rabbitmq:queue:tasks"}, "nodes"),
                          ({"nodes": [1, 2]}, "nodes")):
        await socket.send_json_to({"v": 1, "type": "metrics", **fields})
        error = await next_frame(socket, "error")
        assert (error["code"], error["field"]) == ("bad-argument", field)
    assert (await metrics(socket))["mode"] == "full"
    await socket.disconnect()


def test_metrics_json_endpoint(client, sync_rooms):
    from mqlab.rooms import registry
    room = registry.create("rabbitmq-work-queue", "someone", 3)
    room.run_command("someone", "publish", {"exchange": "", "routing_key": "tasks",
                                            "count": 2})
    with room.lock:
        room.sim.advance(4)
    answer = client.get(f"/rooms/{room.id}/metrics.json?nodes={QUEUE}&points=2")
    assert answer.status_code == 200
    frame = json.loads(answer.content)
    assert frame["type"] == "metrics" and frame["mode"] == "full"
    assert len(frame["t"]) == 2 and list(frame["nodes"]) == [QUEUE]
    refused = client.get(f"/rooms/{room.id}/metrics.json?points=5000")
    assert refused.status_code == 400 and json.loads(refused.content)["field"] == "points"




def test_tail_sends_each_sample_once_and_starts_again_on_another_history(settings, sync_rooms):
    from mqlab.rooms import registry
    settings.MQLAB_METRICS_TAIL_SECONDS = 0
    room = registry.create("rabbitmq-work-queue", "someone", 3)

    def tail():
        message = room.tail.message(room.sim)
        return None if message is None else json.loads(message["text"])

    with room.lock:
        room.sim.advance(3)
        first = tail()
        assert (first["mode"], first["t"], first["after"]) == ("tail", [1.0, 2.0, 3.0], None)
        assert tail() is None  # nothing new
        room.sim.advance(2)
        second = tail()
        assert (second["t"], second["after"]) == ([4.0, 5.0], 3.0)
        # a restored checkpoint brings another recorder: its samples go out from scratch
        room.sim.metrics = None
        room.sim.record_metrics()
        room.sim.advance(1)
        third = tail()
        assert (third["t"], third["after"]) == ([6.0], None)
