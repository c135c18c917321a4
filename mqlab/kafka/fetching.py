"""Fetch and ListOffsets: a partition's log as v2 record batches, read in the room's time
(a Fetch waits up to its max_wait on the room's clock, never holding a thread)."""

from __future__ import annotations

from typing import Any

from engine.kafka import TopicPartition
from mqlab.commands._kafka_api import real
from mqlab.kafka import codec
from mqlab.kafka.room import (
    Refused,
    code,
    leader_error,
    locked,
    run,
    wait_for,
)

# -- fetching -----------------------------------------------------------------------------------

async def fetch(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body
    wanted = [(t.topic, p.partition, p.fetch_offset, p.partition_max_bytes)
              for t in body.topics for p in t.partitions]
    peer = conn.joined()
    if not peer.members and wanted:
        await peer.reader_node()
    isolation = getattr(body, "isolation_level", 0)
    budget = max(1, min(body.max_bytes, 16 * 1024 * 1024))

    def ready(lab: Any) -> dict[str, Any] | None:
        return _fetch_now(lab, conn, peer, wanted, isolation, budget)

    found = await wait_for(conn, ready, body.max_wait.total_seconds())
    if found is None:  # nothing within max_wait: the partitions as they are, empty
        found = await locked(conn, lambda lab: _fetch_now(lab, conn, peer, wanted, isolation,
                                                          budget, final=True))
    return {"error_code": 0, "session_id": 0, "responses": found["responses"]}


def _fetch_now(lab: Any, conn: Any, peer: Any, wanted: list[tuple[str, int, int, int]],
               isolation: int, budget: int, final: bool = False) -> dict[str, Any] | None:
    """The answer if there is something to say now (records or an error), else None. Records
    enter the room through the ``fetch`` command, in the same hold of the lock."""
    by_topic: dict[str, list[dict[str, Any]]] = {}
    ranges, anything = [], final
    for topic, index, offset, limit in wanted:
        part, found = _fetch_partition(lab, conn, TopicPartition(topic, index), offset,
                                       min(limit, budget), isolation)
        by_topic.setdefault(topic, []).append(part)
        if found:
            budget -= sum(len(r.value or b"") + len(r.key or b"") for r in found)
            ranges.append([topic, index, found[0].offset, found[-1].offset])
        anything = anything or bool(found) or part["error_code"] != 0
    if not anything:
        return None
    if ranges:
        member = next((m for m in peer.members if _owns(lab, m, ranges)), None)
        try:
            run(conn.room, "fetch", {"ranges": ranges, "member_id": member,
                                     "node": peer.reader}, peer.software)
        except Refused:  # the room is busy: this fetch returns nothing, the next one will
            for parts in by_topic.values():
                for part in parts:
                    part["records"] = b""
    return {"responses": [{"topic": t, "partitions": parts} for t, parts in by_topic.items()]}


def _owns(lab: Any, member_id: str, ranges: list[list[Any]]) -> bool:
    consumer = real(lab).members.get(member_id)
    return consumer is not None and any(TopicPartition(t, p) in consumer.assignment()
                                        for t, p, _, _ in ranges)


def _fetch_partition(lab: Any, conn: Any, tp: TopicPartition, offset: int, limit: int,
                     isolation: int) -> tuple[dict[str, Any], list[codec.Stored]]:
    part: dict[str, Any] = {"partition_index": tp.partition, "error_code": 0,
                            "high_watermark": -1, "last_stable_offset": -1,
                            "log_start_offset": -1, "records": b""}
    error = leader_error(lab, conn, tp)
    if error and error != "leader_not_available":
        return {**part, "error_code": code(error)}, []
    if error:
        return {**part, "error_code": code("not_leader_or_follower")}, []
    partition = lab.kafka.partition(tp)
    log = partition.log
    part.update(high_watermark=partition.high_watermark,
                last_stable_offset=partition.last_stable_offset, log_start_offset=log.log_start)
    if offset < log.log_start or offset > partition.high_watermark:
        return {**part, "error_code": code("offset_out_of_range")}, []
    end = partition.last_stable_offset if isolation == 1 else partition.high_watermark
    found, size = [], 0
    for record in log.read(offset, end, end - offset):
        stored = _stored(record)
        size += len(stored.value or b"") + len(stored.key or b"") + 70
        if found and size > limit:
            break
        found.append(stored)
    if not found:
        return part, []
    if isolation == 1:
        part["aborted_transactions"] = [
            {"producer_id": pid, "first_offset": first}
            for pid, spans in partition.aborted.items() for first, marker in spans
            if marker >= found[0].offset and first <= found[-1].offset]
    part["records"] = codec.write_batches(found, partition.leader_epoch)
    return part, found


def _stored(record: Any) -> codec.Stored:
    return codec.Stored(record.offset, record.timestamp, _bytes(record.key),
                        _bytes(record.value), tuple((n, _bytes(v)) for n, v in record.headers),
                        record.producer_id, record.transactional, record.control)


def _bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else str(value).encode()


async def list_offsets(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body
    isolation = getattr(body, "isolation_level", 0)
    return await locked(conn, _list_offsets, conn, body.topics, isolation)


def _list_offsets(lab: Any, conn: Any, topics: Any, isolation: int) -> dict[str, Any]:
    answer = []
    for topic in topics:
        parts = []
        for p in topic.partitions:
            tp = TopicPartition(topic.name, p.partition_index)
            error = leader_error(lab, conn, tp)
            offset, stamp = -1, -1
            if error is None:
                partition = lab.kafka.partition(tp)
                offset, stamp = _offset_for(partition, p.timestamp, isolation)
            parts.append({"partition_index": p.partition_index, "error_code": code(error),
                          "timestamp": stamp, "offset": offset,
                          "leader_epoch": -1 if error else lab.kafka.partition(tp).leader_epoch})
        answer.append({"name": topic.name, "partitions": parts})
    return {"topics": answer}


def _offset_for(partition: Any, timestamp: int, isolation: int) -> tuple[int, int]:
    """ListOffsets: -2 earliest, -1 latest (the LSO for read_committed), else the first
    offset whose timestamp is at least ``timestamp`` (ListOffsetsRequest.java)."""
    log = partition.log
    if timestamp == -2:
        return log.log_start, -1
    if timestamp == -1:
        return (partition.last_stable_offset if isolation == 1
                else partition.high_watermark), -1
    for record in log.read(log.log_start, partition.high_watermark,
                           partition.high_watermark - log.log_start):
        if record.timestamp >= timestamp and record.control is None:
            return record.offset, record.timestamp
    return -1, -1
