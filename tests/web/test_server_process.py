"""Nothing acknowledged is lost when the server process dies (issue 9): a real daphne in a
child process, driven over HTTP and its WebSocket, killed with SIGKILL or stopped with
SIGTERM, then started again on the same database."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from mqlab.management.commands._server import Browser, ServerProcess
from mqlab.management.commands._websocket import connect


async def _snapshot(server: ServerProcess, browser: Browser, room_id: str) -> dict:
    socket = await connect("127.0.0.1", server.port, f"/ws/rooms/{room_id}/",
                           {"Origin": server.url, "Cookie": browser.session_cookie()})
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if frame["type"] == "snapshot":
                return frame
    finally:
        await socket.close()


def snapshot(server: ServerProcess, browser: Browser, room_id: str) -> dict:
    return asyncio.run(_snapshot(server, browser, room_id))


def queues(frame: dict) -> list[str]:
    return sorted(node["id"] for node in frame["topology"]["nodes"] if node["kind"] == "queue")


@pytest.mark.timeout(120)
def test_commands_acknowledged_by_form_posts_survive_kill_9(tmp_path):
    server = ServerProcess(tmp_path).start()
    try:
        browser = Browser(server.url)
        room_id = browser.create_room("rabbitmq-work-queue")
        for n in range(10):
            status, text = browser.command(room_id, "declare_queue", name=f"q{n}")
            assert status == 200 and "declared" in text
        server.stop(signal.SIGKILL)
        server.start()
        after = snapshot(server, browser, room_id)
        assert {f"rabbitmq:queue:q{n}" for n in range(10)} <= set(queues(after))
    finally:
        server.__exit__()


async def _watch_at_speed(server: ServerProcess, browser: Browser, room_id: str,
                          seconds: float) -> float:
    socket = await connect("127.0.0.1", server.port, f"/ws/rooms/{room_id}/",
                           {"Origin": server.url, "Cookie": browser.session_cookie()})
    socket.send_text(json.dumps({"v": 1, "type": "control", "action": "speed", "value": 8}))
    socket.send_text(json.dumps({"v": 1, "type": "control", "action": "resume"}))
    now = 0.0
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
        now = frame.get("now", now)
    return now


@pytest.mark.timeout(120)
def test_sigterm_saves_a_watched_scenario_room_where_it_was(tmp_path):
    server = ServerProcess(tmp_path).start()
    try:
        browser = Browser(server.url)
        room_id = browser.create_room("scenario:work-queue-prefetch")
        reached = asyncio.run(_watch_at_speed(server, browser, room_id, 2.5))
        assert reached > 8
        assert server.stop(signal.SIGTERM) is not None
        server.start()
        after = snapshot(server, browser, room_id)
        # Saved on the way down with its virtual time, not back at t = 0.
        assert after["now"] >= reached - 0.5
    finally:
        server.__exit__()
