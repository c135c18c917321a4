"""HTTP requests about a room, forwarded whole from a web process to the room's worker.

The worker runs the request through the very same Django application (pages, htmx form
posts, the SQS endpoint, saves, challenge checks), so every reply is what one process gives
today: its status, headers (cookies included) and body come back over the channel layer.
The request's body is read in full first (at most ``MAX_BODY`` bytes: more than any room
endpoint accepts); a long poll or a challenge check waits up to ``TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

#: Larger than every room endpoint's own limit (an SQS request, an imported scenario).
MAX_BODY = 4 * 1024 * 1024
#: An SQS long poll holds up to 50 s and a challenge check 20 s.
TIMEOUT_SECONDS = 70.0

ROOM_PATH = re.compile(r"^/rooms/(?P<room_id>[-\w]+)/")
#: Posts that start a room: they go to the least-loaded worker.
NEW_ROOM_PATH = re.compile(r"^/(?:rooms/|scenarios/import/|scenarios/saved/[-\w]+/open/)$")
_SCOPE_KEYS = ("type", "asgi", "http_version", "method", "scheme", "path", "raw_path",
               "query_string", "root_path", "headers", "client", "server")


def target(scope: dict[str, Any]) -> tuple[bool, str | None]:
    """(forwarded?, room id) for an HTTP request: a room's pages and posts go to the room's
    worker, a post that starts a room to the least-loaded one; the rest is served here."""
    path = scope.get("path", "")
    found = ROOM_PATH.match(path)
    if found:
        return True, found["room_id"]
    if scope.get("method") == "POST" and NEW_ROOM_PATH.match(path):
        return True, None
    return False, None


async def read_body(receive: Any) -> bytes | None:
    """The whole request body, or None if it is over ``MAX_BODY`` (or the client left)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        parts.append(message.get("body", b""))
        size += len(parts[-1])
        if size > MAX_BODY:
            return None
        if not message.get("more_body"):
            return b"".join(parts)


def request_message(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The request as a channel-layer message (plain values: msgpack keeps bytes)."""
    plain = {key: scope[key] for key in _SCOPE_KEYS if key in scope}
    plain["headers"] = [list(pair) for pair in scope.get("headers", ())]
    return {"scope": plain, "body": body}


async def send_response(send: Any, status: int, headers: list[Any], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [tuple(pair) for pair in headers]})
    await send({"type": "http.response.body", "body": body})


async def plain_response(send: Any, status: int, text: str) -> None:
    await send_response(send, status, [(b"content-type", b"text/plain; charset=utf-8")],
                        text.encode())


async def run_here(app: Any, message: dict[str, Any]) -> dict[str, Any]:
    """On the worker: run a forwarded request through ``app``; its response, collected."""
    scope = dict(message["scope"])
    scope["headers"] = [tuple(pair) for pair in scope.get("headers", ())]
    for key in ("client", "server"):
        if scope.get(key) is not None:
            scope[key] = tuple(scope[key])
    body = message["body"]
    sent = False
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await never.wait()  # the client stays until the response is complete
        return {"type": "http.disconnect"}

    response: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
    chunks: list[bytes] = []

    async def send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.start":
            response["status"] = event["status"]
            response["headers"] = [list(pair) for pair in event.get("headers", ())]
        elif event["type"] == "http.response.body":
            chunks.append(event.get("body", b""))

    await app(scope, receive, send)
    response["body"] = b"".join(chunks)
    return response
