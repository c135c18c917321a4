"""Produce and the transaction APIs: records into the room's partitions through the model's
producers (engine/kafka/producer.py, transactions.py)."""

from __future__ import annotations

from typing import Any

from engine.kafka import TopicPartition
from mqlab.commands._kafka_api import to_json_bytes
from mqlab.kafka import codec
from mqlab.kafka.room import (
    Refused,
    code,
    command,
    leader_error,
    locked,
)

# -- producing ----------------------------------------------------------------------------------

ACKS = {0: "0", 1: "1", -1: "all"}


async def produce(conn: Any, request: codec.Request) -> dict[str, Any] | None:
    body = request.body
    acks = ACKS.get(body.acks)
    peer = conn.joined()
    responses = []
    for topic in body.topic_data:
        partitions = []
        for data in topic.partition_data:
            error, base = await _produce_partition(conn, peer, acks, body.transactional_id,
                                                   topic.name, data)
            partitions.append({"index": data.index, "error_code": code(error),
                               "base_offset": base, "log_append_time": -1,
                               "log_start_offset": -1})
        responses.append({"name": topic.name, "partition_responses": partitions})
    return None if body.acks == 0 else {"responses": responses}


async def _produce_partition(conn: Any, peer: Any, acks: str | None, tid: str | None,
                             topic: str, data: Any) -> tuple[str | None, int]:
    if acks is None:
        return "invalid_required_acks", -1
    try:
        batches = codec.read_batches(data.records)
    except NotImplementedError:
        return "unsupported_compression_type", -1
    except Exception:  # noqa: BLE001 - a corrupt batch (CRC, sizes)
        return "corrupt_message", -1
    error = await locked(conn, leader_error, conn, TopicPartition(topic, data.index))
    if error:
        return error, -1
    records = [{"key": to_json_bytes(r.key), "value": to_json_bytes(r.value),
                "headers": [[name, to_json_bytes(value)] for name, value in r.headers]}
               for batch in batches for r in batch.records]
    first = batches[0] if batches else None
    params = {"topic": topic, "partition": data.index, "acks": acks, "records": records,
              "producer_id": first.producer_id if first else -1}
    if first is not None and first.transactional:
        params["transactional_id"] = tid
    try:
        result = await command(conn, "produce", params, await peer.producer_name())
    except Refused as refused:
        return refused.code, -1
    return None, result["base_offset"]


# -- transactions -------------------------------------------------------------------------------

async def init_producer_id(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body
    params = {"transactional_id": body.transactional_id,
              "timeout_ms": int(body.transaction_timeout.total_seconds() * 1000)}
    peer = conn.joined()
    try:
        result = await command(conn, "init_producer_id", params,
                               await peer.producer_name() if body.transactional_id else None)
    except Refused as refused:
        return {"error_code": code(refused.code), "producer_id": -1, "producer_epoch": -1}
    return {"error_code": 0, "producer_id": result["producer_id"],
            "producer_epoch": result["epoch"]}


def _txn(body: Any, prefix: str = "") -> dict[str, Any]:
    return {"transactional_id": getattr(body, f"{prefix}transactional_id"),
            "producer_id": getattr(body, f"{prefix}producer_id"),
            "epoch": getattr(body, f"{prefix}producer_epoch")}


async def _txn_command(conn: Any, action: str, params: dict[str, Any]) -> str | None:
    try:
        await command(conn, action, params, conn.joined().software)
    except Refused as refused:
        return refused.code
    return None


async def add_partitions_to_txn(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body
    topics = body.v3_and_below_topics
    error = await _txn_command(conn, "add_to_txn", {
        **_txn(body, "v3_and_below_"),
        "partitions": [[t.name, p] for t in topics for p in t.partitions]})
    return {"results_by_topic_v3_and_below": [{"name": t.name, "results_by_partition": [
        {"partition_index": p, "partition_error_code": code(error)} for p in t.partitions]}
        for t in topics]}


async def add_offsets_to_txn(conn: Any, request: codec.Request) -> dict[str, Any]:
    error = await _txn_command(conn, "add_to_txn", _txn(request.body))
    return {"error_code": code(error)}


async def end_txn(conn: Any, request: codec.Request) -> dict[str, Any]:
    error = await _txn_command(conn, "end_txn", {**_txn(request.body),
                                                 "commit": bool(request.body.committed)})
    return {"error_code": code(error)}


async def txn_offset_commit(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body
    error = await _txn_command(conn, "txn_offsets", {
        **_txn(body), "group": body.group_id,
        "offsets": [[t.name, p.partition_index, p.committed_offset]
                    for t in body.topics for p in t.partitions]})
    return {"topics": [{"name": t.name, "partitions": [
        {"partition_index": p.partition_index, "error_code": code(error)}
        for p in t.partitions]} for t in body.topics]}
