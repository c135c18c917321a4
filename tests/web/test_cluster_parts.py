"""The pieces of the cluster (issue 16) that run without processes: which requests a web
process forwards, a forwarded request surviving the channel layer's encoding, and the
registry's lease hook (a room held elsewhere is never loaded here)."""

from __future__ import annotations

import asyncio

import msgpack
import pytest

from mqlab.cluster import forward
from mqlab.rooms import RoomNotFound
from mqlab.rooms.registry import RoomElsewhere
from tests.web.conftest import OWNER


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/rooms/abc_-1/", (True, "abc_-1")),
    ("POST", "/rooms/abc/commands/publish/", (True, "abc")),
    ("POST", "/rooms/abc/sqs/000000000000/orders", (True, "abc")),
    ("POST", "/rooms/", (True, None)),
    ("POST", "/scenarios/import/", (True, None)),
    ("POST", "/scenarios/saved/x1/open/", (True, None)),
    ("GET", "/scenarios/import/", (False, None)),
    ("GET", "/", (False, None)),
    ("GET", "/interview/", (False, None)),
    ("GET", "/static/js/room.js", (False, None)),
])
def test_a_room_request_goes_to_its_worker_and_a_new_room_to_the_least_loaded(
        method, path, expected):
    assert forward.target({"type": "http", "method": method, "path": path}) == expected


def test_a_forwarded_request_reaches_the_app_as_it_was_sent():
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)
        seen["body"] = (await receive())["body"]
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", b"/rooms/x/"), (b"set-cookie", b"a=b")]})
        await send({"type": "http.response.body", "body": b"part one ", "more_body": True})
        await send({"type": "http.response.body", "body": b"part two"})

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/rooms/", "raw_path": b"/rooms/",
             "query_string": b"a=1", "root_path": "", "client": ("10.0.0.7", 5123),
             "server": ("127.0.0.1", 8001), "headers": [(b"host", b"127.0.0.1:8001")],
             "state": {"not": "sent"}}
    # What channels-redis does to a message on its way to the worker.
    message = msgpack.unpackb(msgpack.packb(forward.request_message(scope, b"preset=x")),
                              raw=False)
    answer = asyncio.run(forward.run_here(app, message))
    assert (seen["method"], seen["path"], seen["query_string"], seen["body"]) == (
        "POST", "/rooms/", b"a=1", b"preset=x")
    assert seen["client"] == ("10.0.0.7", 5123) and seen["headers"] == [
        (b"host", b"127.0.0.1:8001")]
    assert "state" not in seen
    assert answer["status"] == 303 and answer["body"] == b"part one part two"
    assert [tuple(pair) for pair in answer["headers"]][1] == (b"set-cookie", b"a=b")


class RefusingClaims:
    """Another worker holds every room."""

    def __init__(self) -> None:
        self.released: list[str] = []

    def claim(self, room_id: str) -> None:
        raise RoomElsewhere(room_id, "w2")

    def release(self, room_id: str) -> None:
        self.released.append(room_id)


class GrantingClaims(RefusingClaims):
    def claim(self, room_id: str) -> None:
        pass


@pytest.mark.django_db
def test_a_room_held_by_another_worker_is_not_loaded_here(sync_rooms):
    room = sync_rooms.create("rabbitmq-work-queue", OWNER, 1)
    sync_rooms.clear()  # saved, no longer running here
    sync_rooms.claims = RefusingClaims()
    try:
        with pytest.raises(RoomElsewhere) as elsewhere:
            sync_rooms.get(room.id)
        assert elsewhere.value.owner == "w2"
        assert sync_rooms.running(room.id) is None
    finally:
        sync_rooms.claims = None


@pytest.mark.django_db
def test_a_lease_taken_for_a_room_that_does_not_exist_is_let_go(sync_rooms):
    claims = sync_rooms.claims = GrantingClaims()
    try:
        with pytest.raises(RoomNotFound):
            sync_rooms.get("no-such-room")
        assert claims.released == ["no-such-room"]
    finally:
        sync_rooms.claims = None


def test_a_new_room_goes_to_the_least_loaded_worker(monkeypatch):
    from mqlab.cluster import store, web

    reports = {"w1": {"cpu": 0.50, "rooms": 1, "at": 1.0},
               "w2": {"cpu": 0.02, "rooms": 4, "at": 1.0},
               "w3": {"cpu": 0.01, "rooms": 2, "at": 1.0}}

    async def loads():
        return reports

    monkeypatch.setattr(store, "loads", loads)
    monkeypatch.setattr(web, "_placed", {})
    # CPU first (in steps of 5% of a core: w2 and w3 count as equal), then fewest rooms,
    # counting the rooms placed since the last report.
    chosen = [asyncio.run(web.least_loaded()) for _ in range(4)]
    assert chosen == ["w3", "w3", "w2", "w3"]
    reports["w3"] = {"cpu": 0.01, "rooms": 5, "at": 2.0}  # a new report counts them itself
    assert asyncio.run(web.least_loaded()) == "w2"


def test_without_a_worker_a_room_cannot_be_placed(monkeypatch):
    from mqlab.cluster import rpc, store, web

    async def loads():
        return {}

    monkeypatch.setattr(store, "loads", loads)
    with pytest.raises(rpc.WorkerUnavailable, match="no room worker is running"):
        asyncio.run(web.least_loaded())


def _through_the_layer(message):
    """What channels-redis does to a message between processes."""
    return msgpack.unpackb(msgpack.packb(message), raw=False)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_worker_answers_the_charts_timeline_and_peek_requests_with_one_frame(rooms):
    from mqlab.cluster.worker import Worker
    from mqlab.rooms import offloop
    from tests.web.conftest import create_room

    room = await create_room()
    await offloop.call(room, room.tick, 12.0)
    worker = Worker("w-test")

    async def ask(op, *args):
        message = {"type": "room", "room": room.id, "op": op, "args": list(args)}
        return _through_the_layer(await worker._room(_through_the_layer(message)))

    queue = "rabbitmq:queue:tasks"
    metrics = (await ask("metrics_frame", [queue, "no-such-node"], 5))["frame"]
    assert metrics["type"] == "metrics" and metrics["mode"] == "full"
    assert list(metrics["nodes"]) == [queue] and 1 <= len(metrics["t"]) <= 5
    assert (await ask("metrics_frame", None, 5))["frame"] == room.metrics_frame(None, 5)
    assert (await ask("timeline_frame"))["frame"] == room.timeline_frame()
    peeked = (await ask("peek", 3.5))["frame"]
    assert peeked["type"] == "snapshot" and peeked["peek"] is True and peeked["now"] == 3.5
    assert room.sim.now == 12.0  # a peek leaves the room where it was
    assert await ask("save") == {"error": "unknown call 'save'"}


@pytest.mark.asyncio
async def test_a_charts_or_peek_request_to_a_stopped_worker_is_told_in_an_error_frame(
        monkeypatch):
    from mqlab import wire
    from mqlab.cluster import rpc, web
    from mqlab.cluster.consumer import ClusterRoomConsumer, RemoteRoom

    async def unavailable(room_id, op, args):
        raise rpc.WorkerUnavailable("the room's worker stopped")

    monkeypatch.setattr(web, "call", unavailable)
    consumer = ClusterRoomConsumer()
    consumer.room = RemoteRoom("r1")
    for op, args in (("metrics_frame", (None, 10)), ("peek", (1.0,))):
        assert await consumer.ask(op, *args) == wire.error("busy", "the room's worker stopped")
    with pytest.raises(rpc.WorkerUnavailable):  # a snapshot: the socket closes (try again)
        await consumer.ask("join", None)
