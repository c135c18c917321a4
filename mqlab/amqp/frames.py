"""AMQP 0-9-1 frames on a socket, with pamqp as the codec, and the values a room's log keeps.

A frame is ``type (1) | channel (2) | size (4) | payload (size) | 0xCE`` (AMQP 0-9-1, 2.3.5
"Frame Details"). ``read_frame`` reads one, bounded by the negotiated frame_max before it
reads the payload, and hands the bytes to ``pamqp.frame.unmarshal``; a frame that is too large,
lacks its end octet or does not decode raises ``FrameError`` (RabbitMQ's 501 FRAME_ERROR).

Values: a method's fields and a message's properties become the JSON the room's command log
keeps (``to_log``): bytes become text, timestamps whole seconds, decimals floats, so a
header a client sends may come back to a consumer as text rather than bytes.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import decimal
import struct
from typing import Any

from pamqp import base, commands, encode, frame, header
from pamqp import body as content_body
from pamqp.exceptions import UnmarshalingException

from engine.rabbitmq import BasicProperties

#: Frames are at least this large before tune (AMQP 0-9-1, 4.2.3 frame-min-size).
FRAME_MIN_SIZE = 4096
FRAME_END = 0xCE
PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"


class FrameError(Exception):
    """A frame the server cannot read: the connection closes with 501 FRAME_ERROR."""


async def read_frame(reader: asyncio.StreamReader, frame_max: int) -> tuple[int, Any]:
    """The next frame as (channel, pamqp object); raises FrameError, or IncompleteReadError
    when the socket closes."""
    head = await reader.readexactly(7)
    kind, channel, size = struct.unpack(">BHI", head)
    if size > frame_max - 8:
        raise FrameError(f"type {kind}, frame of {size + 8} octets is larger than the "
                         f"negotiated frame_max ({frame_max})")
    rest = await reader.readexactly(size + 1)
    if rest[-1] != FRAME_END:
        raise FrameError(f"type {kind}, the frame does not end with 0xCE")
    try:
        _used, channel, value = frame.unmarshal(head + rest)
    except (UnmarshalingException, ValueError, struct.error, UnicodeDecodeError,
            IndexError, KeyError, TypeError) as error:
        raise FrameError(f"type {kind}, the frame cannot be decoded: {error}") from None
    return channel, value


def method(cls: type, **fields: Any) -> Any:
    """A pamqp method with ``fields``, set after construction: pamqp's constructors check
    names against a narrower alphabet than RabbitMQ accepts (any UTF-8, 255 bytes)."""
    value = cls()
    for name, field in fields.items():
        setattr(value, name, field)
    return value


def marshal(value: Any, channel: int) -> bytes:
    if isinstance(value, base.Frame):
        payload = struct.pack(">I", value.index) + _fields(value)
        return struct.pack(">BHI", 1, channel, len(payload)) + payload + bytes([FRAME_END])
    return frame.marshal(value, channel)


def _fields(value: base.Frame) -> bytes:
    """``pamqp.base.Frame.marshal`` without its name check (see ``method``): each field by its
    AMQP type, consecutive bits packed into octets."""
    output, bits, offset = [], 0, -1
    for name in value.__slots__:
        kind = value.amqp_type(name)
        field = getattr(value, name, 0)
        if kind == "bit":
            if offset in (-1, 8):
                if offset == 8:
                    output.append(encode.octet(bits))
                bits, offset = 0, 0
            bits = encode.bit(field, bits, offset)
            offset += 1
            continue
        if offset != -1:
            output.append(encode.octet(bits))
            offset = -1
        output.append(encode.by_type(field, kind))
    if offset != -1:
        output.append(encode.octet(bits))
    return b"".join(output)


def content(method: Any, channel: int, properties: BasicProperties, body: bytes | str,
            frame_max: int) -> bytes:
    """A method with content: the method, the content header and the body in frames of at
    most ``frame_max`` octets (AMQP 0-9-1, 2.3.5.2 "Content Frames")."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    parts = [marshal(method, channel),
             marshal(header.ContentHeader(0, len(raw), to_wire(properties)), channel)]
    step = frame_max - 8
    parts += [marshal(content_body.ContentBody(raw[at:at + step]), channel)
              for at in range(0, len(raw), step)]
    return b"".join(parts)


# -- properties: pamqp's <-> the engine's ------------------------------------------------------

def from_wire(properties: commands.Basic.Properties) -> dict[str, Any]:
    """A content header's properties as the engine names them, JSON-safe for the log."""
    found = {}
    for name in commands.Basic.Properties.__slots__:
        value = getattr(properties, name, None)
        if value is None:
            continue
        found["type" if name == "message_type" else name] = to_log(value)
    return found


def to_wire(properties: BasicProperties | None) -> commands.Basic.Properties:
    values = properties.as_dict() if properties is not None else {}
    if "type" in values:
        values["message_type"] = values.pop("type")
    stamp = values.get("timestamp")
    if isinstance(stamp, int | float):
        values["timestamp"] = datetime.datetime.fromtimestamp(stamp, datetime.UTC)
    return commands.Basic.Properties(**values)


def to_log(value: Any) -> Any:
    """An AMQP field value as JSON can hold it."""
    if isinstance(value, dict):
        return {str(k): to_log(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_log(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, datetime.datetime):
        return int(value.timestamp())
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and value != value:
        return None  # NaN: no JSON for it
    return value


def short(text: str) -> str:
    """An AMQP short string (reply-text): at most 255 bytes, cut as RabbitMQ cuts it."""
    raw = text.encode()
    return text if len(raw) <= 255 else raw[:252].decode(errors="ignore") + "..."


def body_args(body: bytes) -> dict[str, str]:
    """A message body for the log: text when it is UTF-8, else base64."""
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_b64": base64.b64encode(body).decode()}
