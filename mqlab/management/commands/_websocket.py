"""A minimal asyncio WebSocket client (RFC 6455) for the streaming benchmark.

Only what the benchmark needs: the opening handshake, text frames (fragmented or not),
answering pings, and closing. Client frames are masked, as the RFC requires. autobahn (which
daphne brings) has an asyncio client, but txaio allows one framework per process and daphne's
Django app has already chosen Twisted, so the benchmark carries this small one instead.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import struct

#: RFC 6455 section 1.3: the GUID the server appends to the key before hashing.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class ConnectionClosed(Exception):
    pass


class WebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def recv(self) -> bytes:
        """The next text message (UTF-8 bytes); raises ConnectionClosed at the end."""
        parts: list[bytes] = []
        while True:
            fin, opcode, payload = await self._frame()
            if opcode == PING:
                self._send(PONG, payload)
            elif opcode == CLOSE:
                self._send(CLOSE, payload[:2])
                raise ConnectionClosed(payload[2:].decode("utf-8", "replace"))
            elif opcode != PONG:
                parts.append(payload)
                if fin:
                    return b"".join(parts)

    async def _frame(self) -> tuple[bool, int, bytes]:
        try:
            head = await self.reader.readexactly(2)
            length = head[1] & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            raise ConnectionClosed(str(error)) from None
        return bool(head[0] & 0x80), head[0] & 0x0F, payload

    def send_text(self, text: str) -> None:
        self._send(TEXT, text.encode())

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        # XOR with the repeated 4-byte mask, done on one big integer rather than per byte.
        repeated = (mask * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
            length, "big")
        self.writer.write(head + mask + masked)

    async def close(self) -> None:
        if not self.writer.is_closing():
            self._send(CLOSE, struct.pack("!H", 1000))
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()


async def connect(host: str, port: int, path: str, headers: dict[str, str]) -> WebSocket:
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 24)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             *(f"{name}: {value}" for name, value in headers.items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    response = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status = response.split("\r\n", 1)[0]
    if " 101 " not in status:
        raise ConnectionError(f"the server refused the WebSocket: {status}")
    expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    if f"sec-websocket-accept: {expected}".lower() not in response.lower():
        raise ConnectionError("the server's Sec-WebSocket-Accept does not match the key")
    return WebSocket(reader, writer)
