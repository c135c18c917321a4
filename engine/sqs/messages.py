"""One SQS message, and what SQS checks and computes about it when it is sent.

A message sits in one queue in one state: ``delayed`` (its delay has not ended), ``visible``
(a receive may return it) or ``in-flight`` (received, hidden by its visibility timeout, not yet
deleted). It keeps its MessageId for life, even when it moves to a dead-letter queue.

Rules, with their sources (Amazon SQS Developer Guide unless said otherwise):
- Body: at least 1 character; only the XML characters #x9 | #xA | #xD | #x20-#xD7FF |
  #xE000-#xFFFD | #x10000-#x10FFFF ("Amazon SQS message quotas", Message content).
- Size: body plus every attribute's name, type and value, up to the queue's
  MaximumMessageSize, at most 1,048,576 bytes ("Amazon SQS message attributes";
  SendMessage API Reference).
- Up to 10 message attributes ("Amazon SQS message quotas"). A name is up to 256 characters of
  letters, digits, ``-``, ``_`` and ``.``; it cannot start with ``AWS.`` or ``Amazon.``, start or
  end with a period, or hold two periods in a row. DataType is String, Number or Binary with an
  optional ``.label``; a Number holds up to 38 significant digits between 10^-128 and 10^+126
  ("Amazon SQS message attributes").
- MD5OfMessageBody is the MD5 of the body's UTF-8 bytes; MD5OfMessageAttributes follows
  "Calculating the MD5 message digest for message attributes": attributes sorted by name, each
  encoded as name, data type and value, every part prefixed by its 4-byte big-endian length,
  with a 1-byte transport type (1 = String/Number, 2 = Binary) before the value.
"""

from __future__ import annotations

import hashlib
import re
import struct
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import InvalidMessageContents, InvalidParameterValue, MissingParameter

# A message's state. Compare with ``==``, never ``is``: a copy of the simulation (a room's
# checkpoint, mqlab/rooms/checkpoints.py) holds equal strings, not these very objects.
DELAYED = "delayed"
VISIBLE = "visible"
IN_FLIGHT = "in-flight"
GONE = "gone"

MAX_ATTRIBUTES = 10
_BAD_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_DATA_TYPE = re.compile(r"(String|Number|Binary)(\.[^\s]+)?")


class Message:
    """A message in a queue; ``order`` sorts messages by arrival in their current queue."""

    __slots__ = (
        "id", "body", "md5", "attributes", "attributes_md5", "group_id", "dedup_id",
        "sequence_number", "sent_ms", "enqueued_at", "expires_at", "first_receive_ms",
        "receive_count", "received_at", "state", "visible_at", "receipt", "timer", "order",
        "server", "queue", "source_arn", "lapsed", "consumer",
    )

    def __init__(self, message_id: str, body: str, attributes: dict[str, dict[str, Any]],
                 now: float) -> None:
        self.id = message_id
        self.body = body
        self.md5 = body_md5(body)
        self.attributes = attributes
        self.attributes_md5 = attributes_md5(attributes) if attributes else None
        self.group_id: str | None = None
        self.dedup_id: str | None = None
        self.sequence_number: str | None = None
        self.sent_ms = int(now * 1000)
        #: Retention counts from here (reset on a FIFO dead-letter move, kept on a standard one).
        self.enqueued_at = now
        self.expires_at = 0.0
        self.first_receive_ms: int | None = None
        self.receive_count = 0
        self.received_at = 0.0
        self.state = VISIBLE
        self.visible_at = now
        self.receipt: str | None = None
        self.timer: Any = None
        self.order = 0
        self.server = 0
        self.queue: Any = None
        self.source_arn: str | None = None
        #: True when the realism setting let this receipt's visibility lapse early.
        self.lapsed = False
        #: Who holds it in flight (an mqlab extension: boto3 has no receiver identity).
        self.consumer: str | None = None

    def preview(self) -> str:
        return self.body if len(self.body) <= 200 else self.body[:199] + "…"


def check_body(body: object) -> str:
    if body is None:
        raise MissingParameter("MessageBody is required")
    if not isinstance(body, str) or not body:
        raise InvalidParameterValue("MessageBody must be a non-empty string")
    bad = _BAD_CHARACTER.search(body)
    if bad:
        raise InvalidMessageContents(
            f"MessageBody holds the character U+{ord(bad.group()):04X} at position {bad.start()},"
            " which SQS refuses: allowed are tab, newline, carriage return and Unicode from"
            " U+0020 (except surrogates, U+FFFE and U+FFFF)")
    return body


def check_message_attributes(attributes: object) -> dict[str, dict[str, Any]]:
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise InvalidParameterValue("MessageAttributes must be a dict of name to "
                                    "{'DataType': ..., 'StringValue' or 'BinaryValue': ...}")
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Message has {len(attributes)} attributes; a message can carry at most "
            f"{MAX_ATTRIBUTES}")
    for name, attribute in attributes.items():
        _check_attribute_name(name)
        _check_attribute_value(name, attribute)
    return {name: dict(attribute) for name, attribute in attributes.items()}


def _check_attribute_name(name: object) -> None:
    if not isinstance(name, str) or not _ATTRIBUTE_NAME.fullmatch(name):
        raise InvalidParameterValue(
            f"Message attribute name {name!r} is invalid: 1 to 256 letters, digits, '-', '_'"
            " or '.'")
    lowered = name.lower()
    if lowered.startswith(("aws.", "amazon.")):
        raise InvalidParameterValue(
            f"Message attribute name {name!r} is reserved: names cannot start with 'AWS.' or "
            "'Amazon.'")
    if name.startswith(".") or name.endswith(".") or ".." in name:
        raise InvalidParameterValue(
            f"Message attribute name {name!r} is invalid: it cannot start or end with a "
            "period or hold two periods in a row")


def _check_attribute_value(name: str, attribute: object) -> None:
    if not isinstance(attribute, dict) or not isinstance(attribute.get("DataType"), str):
        raise InvalidParameterValue(f"Message attribute {name!r} needs a 'DataType'")
    data_type = attribute["DataType"]
    match = _DATA_TYPE.fullmatch(data_type)
    if match is None or len(data_type) > 256:
        raise InvalidParameterValue(
            f"Message attribute {name!r} has DataType {data_type!r}: allowed String, Number or "
            "Binary, optionally with a custom label such as Number.float")
    base = match.group(1)
    key = "BinaryValue" if base == "Binary" else "StringValue"
    value = attribute.get(key)
    if base == "Binary":
        if not isinstance(value, bytes | bytearray) or not value:
            raise InvalidParameterValue(
                f"Message attribute {name!r} must contain a non-empty BinaryValue (bytes)")
        return
    if not isinstance(value, str) or not value:
        raise InvalidParameterValue(
            f"Message attribute {name!r} must contain a non-empty StringValue of type "
            f"{data_type!r}")
    if _BAD_CHARACTER.search(value):
        raise InvalidMessageContents(f"Message attribute {name!r} holds a character SQS refuses")
    if base == "Number":
        _check_number(name, value)


def _check_number(name: str, value: str) -> None:
    try:
        number = Decimal(value)  # exact: no rounding to a context precision
    except InvalidOperation:
        raise InvalidParameterValue(
            f"Message attribute {name!r} of type Number holds {value!r}, which is not a "
            "number") from None
    digits = "".join(map(str, number.as_tuple().digits)).strip("0") if number.is_finite() else ""
    if not number.is_finite() or len(digits) > 38 or (
            number and not Decimal("1e-128") <= abs(number) <= Decimal("1e126")):
        raise InvalidParameterValue(
            f"Message attribute {name!r} holds {value!r}: a Number has at most 38 significant "
            "digits, between 10^-128 and 10^+126")


def message_size(body: str, attributes: dict[str, dict[str, Any]]) -> int:
    size = len(body.encode())
    for name, attribute in attributes.items():
        value = attribute.get("StringValue", attribute.get("BinaryValue", b""))
        raw = value if isinstance(value, bytes | bytearray) else str(value).encode()
        size += len(name.encode()) + len(attribute["DataType"].encode()) + len(raw)
    return size


def attributes_md5(attributes: dict[str, dict[str, Any]]) -> str:
    digest = hashlib.md5()
    for name in sorted(attributes):
        attribute = attributes[name]
        data_type = attribute["DataType"]
        _add_part(digest, name.encode())
        _add_part(digest, data_type.encode())
        if data_type.startswith("Binary"):
            digest.update(b"\x02")
            _add_part(digest, bytes(attribute["BinaryValue"]))
        else:
            digest.update(b"\x01")
            _add_part(digest, attribute["StringValue"].encode())
    return digest.hexdigest()


def _add_part(digest: Any, data: bytes) -> None:
    digest.update(struct.pack(">I", len(data)))
    digest.update(data)


def body_md5(body: str) -> str:
    return hashlib.md5(body.encode()).hexdigest()
