"""Rooms across processes (issue 16), live: a private Redis, two web processes (daphne) and
two room workers (``manage.py roomworker``), all on loopback, started as subprocesses.

A room created through web process A is driven through B (a form post and a socket
command) and watched through both; killing its worker with SIGKILL moves it to the other
worker: its command log is intact and both viewers resync from a fresh snapshot, without
reconnecting. The charts and time travel work as in one process: the whole metrics history
and a peek go to the asking socket alone, through the room's worker; seeks, branch switches
and metrics tails reach viewers on both web processes. scripts/test.sh starts the Redis
server binary this test runs its own copy of (and exports MQLAB_TEST_REDIS_URL, which says
one is installed).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from typing import Any

import pytest

from mqlab.management.commands._cluster import Cluster
from mqlab.management.commands._server import Browser
from mqlab.management.commands._websocket import ConnectionClosed, connect

#: Generous: the machine running the suite may be busy; the room moves in a few seconds.
WAIT_SECONDS = 45.0


class Watcher:
    """One socket and every frame it received (read in the background)."""

    def __init__(self, name: str, socket: Any) -> None:
        self.name = name
        self.socket = socket
        self.frames: list[dict[str, Any]] = []
        self.closed = False
        self.reading = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                self.frames.append(json.loads(await self.socket.recv()))
        except ConnectionClosed:
            self.closed = True

    def snapshots(self) -> list[dict[str, Any]]:
        return [frame for frame in self.frames if frame["type"] == "snapshot"]

    def since(self, mark: int, kind: str, **fields: Any) -> dict[str, Any] | None:
        """The first frame of type ``kind`` with these fields after the first ``mark``."""
        return next((frame for frame in self.frames[mark:] if frame["type"] == kind
                     and all(frame.get(k) == v for k, v in fields.items())), None)

    def send(self, kind: str, **fields: Any) -> int:
        """Send a frame; how many frames had come before it (a mark for ``since``)."""
        mark = len(self.frames)
        self.socket.send_text(json.dumps({"v": 1, "type": kind, **fields}))
        return mark

    def answer(self, ref: str) -> dict[str, Any] | None:
        return next((f for f in self.frames if f.get("ref") == ref), None)

    async def close(self) -> None:
        await self.socket.close()
        self.reading.cancel()


async def watch(name: str, web: Any, room_id: str, cookie: str | None = None) -> Watcher:
    headers = {"Origin": web.url, **({"Cookie": cookie} if cookie else {})}
    watcher = Watcher(name, await connect("127.0.0.1", web.port, f"/ws/rooms/{room_id}/",
                                          headers))
    await until(lambda: watcher.snapshots(), f"a first snapshot through {web.url}")
    return watcher


async def until(check: Any, what: str, seconds: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"waited {seconds:g} s for {what}")


def queues(frame: dict[str, Any]) -> set[str]:
    return {node["id"].rsplit(":", 1)[-1] for node in frame["topology"]["nodes"]
            if node["kind"] == "queue"}


def shown_queues(watcher: Watcher) -> set[str]:
    """Every queue a watcher's frames have shown (snapshots and batches' topologies)."""
    found: set[str] = set()
    for frame in watcher.frames:
        if frame.get("topology"):
            found |= queues(frame)
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One cluster for the module's tests (starting one takes a while)."""
    if not os.environ.get("MQLAB_TEST_REDIS_URL"):
        pytest.fail("MQLAB_TEST_REDIS_URL is not set: run the tests with scripts/test.sh, "
                    "which installs and starts Redis")
    running = Cluster(tmp_path_factory.mktemp("cluster"), webs=2, workers=2).start(timeout=90)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.timeout(240)
def test_charts_time_travel_and_peeks_work_through_either_web_process(cluster):
    owner_b = Browser(cluster.webs[1].url)
    asyncio.run(_travel(cluster, owner_b, owner_b.create_room("rabbitmq-work-queue")))


async def _travel(cluster: Cluster, owner_b: Browser, room_id: str) -> None:
    web_a, web_b = cluster.webs
    viewer_a = await watch("viewer through A", web_a, room_id)
    driver_b = await watch("owner through B", web_b, room_id, owner_b.session_cookie())
    try:
        for watcher in (viewer_a, driver_b):  # on connect, after the snapshot
            await until(lambda w=watcher: w.since(0, "timeline"), f"{watcher.name}: timeline")
        # The charts: the worker's runner sends its tails to viewers on every web process;
        # the whole history goes to the socket that asked, alone.
        await until(lambda: next((f for f in viewer_a.frames if f["type"] == "metrics"
                                  and f["mode"] == "tail" and f["now"] >= 2.0), None),
                    "metrics tails through A, two virtual seconds in")
        mark = driver_b.send("metrics", nodes=None, points=20)
        full = await until(lambda: driver_b.since(mark, "metrics", mode="full"), "metrics")
        assert "rabbitmq:queue:tasks" in full["nodes"] and 1 <= len(full["t"]) <= 20
        assert not viewer_a.since(0, "metrics", mode="full")

        marks = {id(w): len(w.frames) for w in (viewer_a, driver_b)}
        driver_b.send("control", action="seek", value=1.0)
        for watcher in (viewer_a, driver_b):
            for kind in ("snapshot", "timeline"):
                await until(lambda w=watcher, k=kind: w.since(marks[id(w)], k, now=1.0),
                            f"{watcher.name}: a {kind} at t=1 after the seek")

        # A watcher through A peeks alone; the owner through B hears nothing of it.
        mark = viewer_a.send("control", action="peek", value=0.5)
        peeked = await until(lambda: viewer_a.since(mark, "snapshot", peek=True), "a peek")
        assert peeked["now"] == 0.5
        mark = viewer_a.send("control", action="peek", value=None)
        await until(lambda: viewer_a.since(mark, "snapshot", now=1.0), "back to live")
        assert not any(frame.get("peek") for frame in driver_b.frames)

        # A command after the seek forks a branch; switching back to main reaches both.
        mark = driver_b.send("command", ref="fork", command="declare_queue",
                             args={"name": "forked"})
        assert (await until(lambda: driver_b.answer("fork"), "fork"))["type"] == "result"
        marks = {id(w): len(w.frames) for w in (viewer_a, driver_b)}
        driver_b.send("control", action="branch", value="main")
        for watcher in (viewer_a, driver_b):
            timeline = await until(lambda w=watcher: w.since(marks[id(w)], "timeline",
                                                             branch="main"),
                                   f"{watcher.name}: the timeline on main")
            assert timeline["branches"] == ["main", "branch 2"]
        mark = driver_b.send("control", action="branch", value="no such branch")
        refused = await until(lambda: driver_b.since(mark, "error"), "a refused branch")
        assert refused["code"] == "bad-argument" and "branch 2" in refused["message"]
        assert not viewer_a.closed and not driver_b.closed
    finally:
        for watcher in (viewer_a, driver_b):
            await watcher.close()


@pytest.mark.timeout(240)
def test_a_room_is_driven_through_either_web_process_and_survives_its_worker(cluster):
    web_a, web_b = cluster.webs
    owner_a = Browser(web_a.url)
    room_id = owner_a.create_room("rabbitmq-work-queue")
    first = cluster.owner(room_id)
    assert first in {"w1", "w2"}
    owner_b = Browser(web_b.url)
    for cookie in owner_a.jar:
        owner_b.jar.set_cookie(cookie)
    asyncio.run(_drive_and_fail_over(cluster, owner_b, room_id, first))


async def _drive_and_fail_over(cluster: Cluster, owner_b: Browser, room_id: str,
                               first: str) -> None:
    web_a, web_b = cluster.webs
    viewer_a = await watch("viewer through A", web_a, room_id)  # anonymous
    driver_b = await watch("owner through B", web_b, room_id, owner_b.session_cookie())
    try:
        assert viewer_a.snapshots()[0]["control"]["you"] is False
        assert driver_b.snapshots()[0]["control"]["you"] is True
        # A form post through B gets the reply one process gives; both viewers see it.
        status, text = owner_b.command(room_id, "declare_queue", name="before")
        assert status == 200 and "declared queue" in text
        driver_b.socket.send_text(json.dumps({"v": 1, "type": "command", "ref": "q2",
                                              "command": "declare_queue",
                                              "args": {"name": "by-socket"}}))
        answer = await until(lambda: driver_b.answer("q2"), "the socket command's result")
        assert answer["type"] == "result", answer
        for watcher in (viewer_a, driver_b):
            await until(lambda w=watcher: {"before", "by-socket"} <= shown_queues(w),
                        f"{watcher.name}: both queues in the stream")
        # A viewer through A may not drive the room (its controller is the owner).
        viewer_a.socket.send_text(json.dumps({"v": 1, "type": "control", "action": "pause"}))
        refused = await until(lambda: next((f for f in viewer_a.frames
                                            if f["type"] == "error"), None), "a refusal")
        assert refused["code"] == "not-allowed"

        seen = {id(w): len(w.snapshots()) for w in (viewer_a, driver_b)}
        killed_at = time.monotonic()
        cluster.worker(first).stop(signal.SIGKILL)
        for watcher in (viewer_a, driver_b):
            await until(lambda w=watcher: len(w.snapshots()) > seen[id(w)],
                        f"{watcher.name}: a resync snapshot after the worker died")
        moved = time.monotonic() - killed_at
        second = cluster.owner(room_id)
        assert second not in (None, first)
        print(f"failover: room {room_id} moved from {first} to {second}; viewers resynced "
              f"{moved:.1f} s after SIGKILL")
        for watcher in (viewer_a, driver_b):
            assert not watcher.closed  # resynced on the same socket: no reload
            assert queues(watcher.snapshots()[-1]) == {"before", "by-socket", "tasks"}

        # The room goes on on its new worker, driven through B, seen through A.
        status, text = owner_b.command(room_id, "declare_queue", name="after")
        assert status == 200 and "declared queue" in text
        await until(lambda: "after" in shown_queues(viewer_a), "the new queue through A")
        # Its page through B unlocks the owner's controls; through A, a stranger's does not.
        status, page, _, _ = await asyncio.to_thread(owner_b.request, f"/rooms/{room_id}/")
        assert status == 200 and '<fieldset class="controls-set">' in page
        stranger = Browser(web_a.url)
        status, page, _, _ = await asyncio.to_thread(stranger.request, f"/rooms/{room_id}/")
        assert status == 200 and '<fieldset class="controls-set" disabled>' in page
    finally:
        for watcher in (viewer_a, driver_b):
            await watcher.close()
