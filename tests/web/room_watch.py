"""What a room streamed to a viewer: a controller's socket on a live server, in a thread.

``Watch`` joins the room's socket (as the browser that made the room), collects every frame
(snapshots, event batches, clock frames) and answers questions about them: the events of a
kind, the nodes the latest picture draws.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from mqlab.management.commands._websocket import ConnectionClosed, connect


class Watch:
    def __init__(self, base: str, browser: Any, room_id: str) -> None:
        self.url = urlsplit(base)
        self.cookie = browser.session_cookie()
        self.room_id = room_id
        self.frames: list[dict[str, Any]] = []
        self._parts: dict[int, list[str]] = {}
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete,
                                        args=(self._run(),), daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        assert self._ready.wait(10), "the room's socket did not open"
        self.wait_for(lambda: self.snapshots())
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        socket = await connect(self.url.hostname, self.url.port, f"/ws/rooms/{self.room_id}/",
                               {"Origin": f"http://{self.url.hostname}:{self.url.port}",
                                "Cookie": self.cookie})
        self._ready.set()
        receiving = asyncio.ensure_future(self._receive(socket))
        await self._stop.wait()
        receiving.cancel()
        await socket.close()

    async def _receive(self, socket: Any) -> None:
        try:
            while True:
                self._keep(json.loads(await socket.recv()))
        except ConnectionClosed:
            return

    def _keep(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "part":
            pieces = self._parts.setdefault(frame["id"], [""] * frame["count"])
            pieces[frame["index"]] = frame["text"]
            if all(pieces):
                self._keep(json.loads("".join(self._parts.pop(frame["id"]))))
            return
        self.frames.append(frame)

    # -- questions --------------------------------------------------------------------------
    def wait_for(self, check: Any, timeout: float = 15.0) -> Any:
        """``check()``'s first truthy answer (the room streams as it goes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = check()
            if answer:
                return answer
            time.sleep(0.05)
        raise AssertionError(f"the room never streamed what was awaited ({check})")

    def snapshots(self) -> list[dict[str, Any]]:
        return [f for f in list(self.frames) if f.get("type") == "snapshot"]

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        found = [e for f in list(self.frames) if f.get("type") == "events"
                 for e in f["events"]]
        return [e for e in found if kind is None or e["kind"] == kind]

    def nodes(self) -> dict[str, dict[str, Any]]:
        """The nodes of the latest picture (a snapshot, or a batch's new topology)."""
        latest = None
        for frame in list(self.frames):
            if frame.get("type") == "snapshot" or frame.get("topology"):
                latest = frame["topology"]
        return {node["id"]: node for node in (latest or {}).get("nodes", [])}

    def clients(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.nodes().items() if v["props"].get("real_client")}
