"""Kafka's wire format through ``kio``: request frames in, response frames out, record batches.

A frame is a 4-byte big-endian size, then a request header and body (Kafka protocol guide,
"Requests and responses"). ``kio`` has a typed dataclass for every API version and both
header versions; which header a request or response uses is the entity's
``__header_schema__`` (flexible versions use the tagged-field headers, ApiVersions responses
always header v0, as KIP-511 requires).

Handlers answer with plain dicts, whatever the version; ``build`` fits a dict to the
negotiated version's dataclass (fields a version lacks are dropped, fields it adds take kio's
defaults), so one handler serves every version in ``VERSIONS``.

Record batches are v2 (magic 2, CRC-32C; "Record Batch" in Kafka's documentation), read and
written with ``kio.records``. Compressed batches are refused with UNSUPPORTED_COMPRESSION_TYPE:
kafka-python, librdkafka and kafkajs send uncompressed batches unless told otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import struct
import types
import typing
import uuid
from functools import cache
from typing import Any

from kio.index import load_request_schema, load_response_schema
from kio.records.readers import read_batch
from kio.records.schema import NewRecordBatch
from kio.records.schema import Record as WireRecord
from kio.records.schema import RecordHeader as WireHeader
from kio.records.writers import write_new_batch
from kio.schema.errors import ErrorCode
from kio.serial import entity_reader, entity_writer
from kio.static.primitive import TZAwareMicros

#: The APIs and versions mqlab answers: (lowest, highest). The highest versions are the ones
#: kafka-python, librdkafka and kafkajs negotiate before flexible or topic-id versions.
VERSIONS: dict[int, tuple[int, int]] = {
    0: (3, 7),    # Produce
    1: (4, 11),   # Fetch
    2: (1, 5),    # ListOffsets
    3: (1, 9),    # Metadata
    8: (2, 7),    # OffsetCommit
    9: (1, 7),    # OffsetFetch
    10: (0, 3),   # FindCoordinator
    11: (0, 5),   # JoinGroup
    12: (0, 3),   # Heartbeat
    13: (0, 3),   # LeaveGroup
    14: (0, 3),   # SyncGroup
    17: (0, 1),   # SaslHandshake
    18: (0, 3),   # ApiVersions
    19: (2, 4),   # CreateTopics
    22: (0, 2),   # InitProducerId
    24: (0, 1),   # AddPartitionsToTxn
    25: (0, 1),   # AddOffsetsToTxn
    26: (0, 1),   # EndTxn
    28: (0, 2),   # TxnOffsetCommit
    36: (0, 1),   # SaslAuthenticate
}
NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
         9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
         13: "LeaveGroup", 14: "SyncGroup", 17: "SaslHandshake", 18: "ApiVersions",
         19: "CreateTopics", 22: "InitProducerId", 24: "AddPartitionsToTxn",
         25: "AddOffsetsToTxn", 26: "EndTxn", 28: "TxnOffsetCommit", 36: "SaslAuthenticate"}
API_VERSIONS = 18
#: Record batch attributes (DefaultRecordBatch.java).
COMPRESSION_MASK = 0x07
TRANSACTIONAL = 0x10
CONTROL = 0x20
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class Unsupported(Exception):
    """A request for an API or version not in ``VERSIONS``."""

    def __init__(self, api_key: int, version: int, correlation_id: int) -> None:
        super().__init__(f"API {api_key} v{version}")
        self.api_key, self.version, self.correlation_id = api_key, version, correlation_id


@dataclasses.dataclass(frozen=True)
class Request:
    api_key: int
    version: int
    correlation_id: int
    client_id: str | None
    body: Any

    @property
    def name(self) -> str:
        return NAMES.get(self.api_key, str(self.api_key))


def parse(frame: bytes) -> Request:
    """A request frame (without its size) -> a ``Request``; raises Unsupported, or
    ValueError / other exceptions for a malformed frame."""
    if len(frame) < 8:
        raise ValueError("a request is at least 8 bytes")
    api_key, version, correlation_id = struct.unpack_from(">hhi", frame)
    low, high = VERSIONS.get(api_key, (1, 0))
    if not low <= version <= high:
        raise Unsupported(api_key, version, correlation_id)
    schema = load_request_schema(api_key, version)
    header, offset = entity_reader(schema.__header_schema__)(frame, 0)
    body, end = entity_reader(schema)(frame, offset)
    return Request(api_key, version, correlation_id, header.client_id, body)


def response(api_key: int, version: int, correlation_id: int, data: dict[str, Any]) -> bytes:
    """A framed response of ``api_key`` at ``version`` from a version-free dict."""
    schema = load_response_schema(api_key, version)
    header_schema = schema.__header_schema__
    buffer = io.BytesIO()
    entity_writer(header_schema)(buffer, build(header_schema, {"correlation_id":
                                                               correlation_id}))
    entity_writer(schema)(buffer, build(schema, data))
    body = buffer.getvalue()
    return struct.pack(">i", len(body)) + body


def build(schema: type, data: dict[str, Any]) -> Any:
    """The ``schema`` dataclass from ``data``: unknown keys dropped, missing ones defaulted,
    nested lists built recursively, error codes, durations and ids converted."""
    values = {}
    hints = _hints(schema)
    for field in dataclasses.fields(schema):
        if field.name not in data:
            if field.default is dataclasses.MISSING and \
                    field.default_factory is dataclasses.MISSING:
                values[field.name] = _zero(field, hints[field.name])
            continue
        values[field.name] = _convert(field, hints[field.name], data[field.name])
    return schema(**values)


@cache
def _hints(schema: type) -> dict[str, Any]:
    return typing.get_type_hints(schema)


def _unoptional(hint: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        kept = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return hint


def _nested(hint: Any) -> type | None:
    """The entity class of a ``tuple[Entity, ...]`` or ``Entity`` field, if it is one."""
    args = typing.get_args(hint)
    candidate = args[0] if typing.get_origin(hint) is tuple and args else hint
    return candidate if dataclasses.is_dataclass(candidate) else None


def _convert(field: dataclasses.Field, hint: Any, value: Any) -> Any:
    if value is None:  # null where the version allows it, else the type's zero
        return _zero(field, hint)
    hint = _unoptional(hint)
    nested = _nested(hint)
    if nested is not None:
        if typing.get_origin(hint) is tuple:
            return tuple(build(nested, item) for item in value)
        return build(nested, value)
    kind = field.metadata.get("kafka_type", "")
    if typing.get_origin(hint) is tuple:
        return tuple(value)
    if kind == "error_code":
        return ErrorCode(int(value))
    if kind.startswith("timedelta"):
        return datetime.timedelta(milliseconds=value)
    if kind == "datetime_i64":  # -1 (none) is kio's None
        return None if value < 0 else _moment(value)
    if kind == "uuid" and not isinstance(value, uuid.UUID):
        return uuid.UUID(int=0) if value is None else uuid.UUID(value)
    return value


def _zero(field: dataclasses.Field, hint: Any) -> Any:
    """A required field the handler left out: its type's zero (an empty list, 0, ""), or
    None when it may be null."""
    if _unoptional(hint) is not hint:
        return None
    if typing.get_origin(hint) is tuple:
        return ()
    kind = field.metadata.get("kafka_type", "")
    if kind == "error_code":
        return ErrorCode.none
    if kind.startswith("timedelta"):
        return datetime.timedelta(0)
    if kind == "string":
        return ""
    if kind in ("bytes", "records"):
        return b""
    if kind == "uuid":
        return uuid.UUID(int=0)
    if kind == "bool":
        return False
    return 0


def error_response(request: Request, code: int) -> dict[str, Any]:
    """A best-effort body for refusing a whole request: its top-level error code."""
    return {"error_code": code, "throttle_time": 0}


# -- record batches -------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Sent:
    """One record of a produced batch, as the model takes it."""

    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]


@dataclasses.dataclass(frozen=True)
class Batch:
    producer_id: int
    producer_epoch: int
    base_sequence: int
    transactional: bool
    records: tuple[Sent, ...]


def read_batches(data: bytes | None) -> list[Batch]:
    """The v2 batches of a produce request's partition; raises ValueError for a corrupt or
    compressed batch (the CRC is checked by kio)."""
    batches = []
    offset = 0
    data = data or b""
    while offset < len(data):
        if len(data) - offset < 17 or data[offset + 16] != 2:
            raise ValueError("only record batches v2 (magic 2) are accepted")
        batch, size = read_batch(data, offset)
        offset += size
        if batch.attributes & COMPRESSION_MASK:
            raise NotImplementedError("compressed batches")
        batches.append(Batch(
            batch.producer_id, batch.producer_epoch, batch.base_sequence,
            bool(batch.attributes & TRANSACTIONAL),
            tuple(Sent(r.key, r.value, tuple((h.key.decode("utf-8", "replace")
                                               if h.key else "", h.value)
                                              for h in r.headers))
                  for r in batch.records)))
    return batches


@dataclasses.dataclass(frozen=True)
class Stored:
    """A record of the model's log as a fetch returns it."""

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]
    producer_id: int
    transactional: bool
    control: str | None


def write_batches(records: list[Stored], leader_epoch: int) -> bytes:
    """Fetched records as v2 batches: one batch per run of records of one producer (a
    transaction's records, a marker as a control batch of its own), as a broker keeps them."""
    buffer = io.BytesIO()
    run: list[Stored] = []
    for record in records:
        if run and (_batch_key(run[-1]) != _batch_key(record) or record.control
                    or run[-1].control):
            _write_run(buffer, run, leader_epoch)
            run = []
        run.append(record)
    if run:
        _write_run(buffer, run, leader_epoch)
    return buffer.getvalue()


def _batch_key(record: Stored) -> tuple[int, bool]:
    return record.producer_id, record.transactional


def _write_run(buffer: io.BytesIO, run: list[Stored], leader_epoch: int) -> None:
    first = run[0]
    attributes = (TRANSACTIONAL if first.transactional else 0) | \
        (CONTROL if first.control else 0)
    write_new_batch(buffer, NewRecordBatch(
        producer_id=first.producer_id, producer_epoch=0 if first.producer_id >= 0 else -1,
        partition_leader_epoch=max(leader_epoch, 0), base_sequence=-1,
        attributes=attributes,
        records=tuple(WireRecord(
            attributes=0, offset=r.offset,
            timestamp=_moment(r.timestamp),
            key=_control_key(r.control) if r.control else r.key,
            value=struct.pack(">hi", 0, 0) if r.control else r.value,
            headers=tuple(WireHeader(key=name.encode(), value=value)
                          for name, value in r.headers))
            for r in run)))


def _moment(milliseconds: int) -> TZAwareMicros:
    return TZAwareMicros.parse(EPOCH + datetime.timedelta(milliseconds=milliseconds))


def _control_key(control: str) -> bytes:
    """A transaction marker's key: version 0, type 0 = ABORT, 1 = COMMIT
    (ControlRecordType.java)."""
    return struct.pack(">hh", 0, 1 if control == "commit" else 0)
