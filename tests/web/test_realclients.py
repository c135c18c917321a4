"""Real clients in a room (issue 15): drawn as nodes, and the room held at real time (1×)."""

from __future__ import annotations

import pytest

from mqlab.rooms import realclients
from tests.web.conftest import OWNER, connect, create_room

pytestmark = pytest.mark.django_db(transaction=True)


async def _next(viewer, kind):
    """The next frame of ``kind`` (a timeline or metrics frame may come in between)."""
    while (frame := await viewer.receive_json_from())["type"] != kind:
        pass
    return frame


def _nodes(frame):
    return {node["id"]: node for node in frame["topology"]["nodes"]}


@pytest.mark.asyncio
async def test_a_client_is_drawn_and_the_room_runs_at_real_time_until_it_leaves(rooms):
    room = await create_room()
    room.speed, room.paused = 4.0, True
    viewer = await connect(room.id)
    await viewer.receive_json_from()  # the snapshot
    node = realclients.attach(room, "pika 127.0.0.1:53412", "amqp")
    assert (room.speed, room.paused) == (1.0, False)
    assert realclients.connected(room)
    clock = await _next(viewer, "clock")  # every viewer hears the room runs at 1×
    assert (clock["type"], clock["speed"], clock["paused"]) == ("clock", 1.0, False)
    realclients.redraw(room)
    snapshot = await _next(viewer, "snapshot")
    drawn = _nodes(snapshot)[node]
    assert (drawn["kind"], drawn["label"]) == ("client", "pika 127.0.0.1:53412")
    for action, value in (("pause", None), ("speed", 4), ("step", None)):
        outcome = room.control(OWNER, action, value)
        assert not outcome.ok and outcome.message == realclients.REAL_TIME
    assert room.control(OWNER, "speed", 1).ok
    assert not room.paused
    realclients.detach(room, node)
    assert not realclients.connected(room)
    assert room.control(OWNER, "pause", None).ok
    await viewer.disconnect()


@pytest.mark.asyncio
async def test_two_clients_with_one_label_get_two_nodes(rooms):
    room = await create_room()
    first = realclients.attach(room, "boto3", "sqs")
    second = realclients.attach(room, "boto3", "sqs")
    assert first == "sqs:consumer:boto3" and second != first
    realclients.detach(room, first)
    realclients.detach(room, first)  # twice: a no-op
    assert [c.node for c in realclients.clients(room)] == [second]


@pytest.mark.asyncio
async def test_an_engine_node_with_the_clients_id_is_marked_not_doubled(rooms):
    room = await create_room()
    node = realclients.attach(room, "pika 127.0.0.1:1", "amqp")
    topology = {"nodes": [{"id": node, "broker": "rabbitmq", "kind": "producer",
                           "name": "ch1", "column": 0, "label": "channel 1", "props": {}}],
                "edges": []}
    drawn = realclients.drawn(room, topology)["nodes"]
    assert len(drawn) == 1
    assert drawn[0]["kind"] == "producer" and drawn[0]["label"] == "pika 127.0.0.1:1"
    assert "real client" in drawn[0]["props"]["tags"]


@pytest.mark.django_db
def test_the_connect_panel_and_connect_json_are_for_the_controller_only(sync_rooms,
                                                                        settings):
    from django.test import Client

    settings.MQLAB_AMQP_PORT = 5673
    owner = Client()
    room_id = owner.post("/rooms/", {"preset": "rabbitmq-playground"})["Location"] \
        .strip("/").split("/")[-1]
    page = owner.get(f"/rooms/{room_id}/").content.decode()
    assert "Connect your code" in page and f"/rooms/{room_id}/connect.json" in page
    facts = owner.get(f"/rooms/{room_id}/connect.json").json()
    token = sync_rooms.get(room_id).token
    assert facts["amqp"] == {"host": "testserver", "port": 5673, "virtual_host": room_id,
                             "username": "mqlab", "password": token}
    watcher = Client()
    assert "Connect your code" not in watcher.get(f"/rooms/{room_id}/").content.decode()
    refused = watcher.get(f"/rooms/{room_id}/connect.json")
    assert refused.status_code == 403 and token not in refused.content.decode()


@pytest.mark.asyncio
async def test_a_request_response_client_is_drawn_until_it_has_been_quiet(rooms, settings):
    import asyncio

    settings.MQLAB_REAL_CLIENT_IDLE_SECONDS = 0.3
    room = await create_room("sqs-playground")
    first = realclients.seen(room, "boto3", "sqs")
    await asyncio.sleep(0.2)
    assert realclients.seen(room, "boto3", "sqs") == first  # one client, kept alive
    await asyncio.sleep(0.2)
    assert [c.node for c in realclients.clients(room)] == ["sqs:consumer:boto3"]
    await asyncio.sleep(0.5)
    assert not realclients.connected(room)
