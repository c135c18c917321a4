"""The consumer group APIs: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and
OffsetFetch, answered from the model's group coordinator (engine/kafka/coordinator.py).
Every member takes the coordinator's assignment from SyncGroup: JoinGroup names no member
as leader (``COORDINATOR``)."""

from __future__ import annotations

import io
import struct
from typing import Any

from kio.index import load_entity_schema
from kio.serial import entity_reader, entity_writer
from kio.static.constants import EntityType

from engine.kafka import TopicPartition
from mqlab.commands._kafka_api import member_error, real
from mqlab.kafka import codec
from mqlab.kafka.room import (
    COORDINATOR,
    Refused,
    code,
    command,
    locked,
    wait_for,
)

# -- groups -----------------------------------------------------------------------------------

def _subscription(metadata: bytes) -> list[str]:
    """The topics of a ConsumerProtocolSubscription (KIP-429's versions 0-3)."""
    (version,) = struct.unpack_from(">h", metadata)
    schema = load_entity_schema("consumer_protocol_subscription", min(max(version, 0), 3),
                                EntityType.data)
    subscription, _ = entity_reader(schema)(metadata, 2)
    return list(subscription.topics)


def _assignment(partitions: list[TopicPartition]) -> bytes:
    schema = load_entity_schema("consumer_protocol_assignment", 0, EntityType.data)
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    buffer = io.BytesIO()
    buffer.write(struct.pack(">h", 0))
    entity_writer(schema)(buffer, codec.build(schema, {"assigned_partitions": [
        {"topic": t, "partitions": ps} for t, ps in sorted(by_topic.items())]}))
    return buffer.getvalue()


async def join_group(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body
    refused = {"generation_id": -1, "protocol_name": None, "leader": "",
               "member_id": body.member_id, "members": []}
    if getattr(body, "protocol_type", "consumer") != "consumer" or not body.protocols:
        return {**refused, "error_code": code("inconsistent_group_protocol")}
    try:
        topics = _subscription(bytes(body.protocols[0].metadata))
    except Exception:  # noqa: BLE001 - metadata that is not a consumer subscription
        return {**refused, "error_code": code("inconsistent_group_protocol")}
    peer = conn.joined()
    known = body.member_id in peer.members or await locked(
        conn, lambda lab: body.member_id in real(lab).members)
    node = label = None
    if not known:
        node, label = await peer.member_name(body.group_id)
    params = {"group": body.group_id, "member_id": body.member_id if known else "",
              "topics": topics, "protocols": [p.name for p in body.protocols],
              "session_timeout_ms": int(body.session_timeout.total_seconds() * 1000)}
    try:
        joined = await command(conn, "join", params, label)
    except Refused as refusal:
        if node is not None:
            peer.nodes.remove(node)
            from mqlab.rooms import realclients
            realclients.detach(conn.room, node)
        return {**refused, "error_code": code(refusal.code)}
    member_id = joined["member_id"]
    if node is not None:
        peer.members[member_id] = node
    rebalance = getattr(body, "rebalance_timeout", None)
    seconds = rebalance.total_seconds() if rebalance else body.session_timeout.total_seconds()
    done = await wait_for(conn, lambda lab: _joined(lab, member_id, joined), seconds)
    if done is None or done[0]:
        return {**refused, "member_id": member_id,
                "error_code": code(done[0] if done else "rebalance_in_progress")}
    return {"error_code": 0, "generation_id": done[1], "protocol_name": done[2],
            "leader": COORDINATOR, "member_id": member_id, "members": []}


def _joined(lab: Any, member_id: str, joined: dict[str, Any]) -> tuple | None:
    """(error, generation, protocol) once the rebalance this member joined has completed."""
    clients = real(lab)
    consumer = clients.members.get(member_id)
    if consumer is None or not consumer.alive or consumer.group is None:
        return ("unknown_member_id", -1, None)
    group = consumer.group
    if group.generation <= joined["generation_before"] or not group.is_member(consumer):
        return None
    return (None, group.generation, clients.wire_strategy.get(member_id))


def _member(lab: Any, body: Any) -> tuple[Any, str | None]:
    """The member a SyncGroup or Heartbeat names, and why the coordinator refuses it."""
    group = lab.kafka.groups.get(body.group_id)
    consumer = real(lab).members.get(body.member_id)
    if group is None:
        return consumer, "unknown_member_id"
    return consumer, member_error(group, consumer, body.generation_id)


async def sync_group(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body

    def assignment(lab: Any) -> dict[str, Any]:
        consumer, error = _member(lab, body)
        if error:
            return {"error_code": code(error), "assignment": b""}
        return {"error_code": 0, "assignment": _assignment(consumer.assignment()),
                "protocol_name": real(lab).wire_strategy.get(body.member_id)}

    return await locked(conn, assignment)


async def heartbeat(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body

    def state(lab: Any) -> dict[str, Any]:
        _, error = _member(lab, body)
        # An older generation rejoins with its member id (ILLEGAL_GENERATION would make the
        # client start over as a new member, leaving its old self for the coordinator to
        # wait for).
        return {"error_code": code("rebalance_in_progress" if error == "illegal_generation"
                                   else error)}

    return await locked(conn, state)


async def leave_group(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body
    ids = [m.member_id for m in body.members] if hasattr(body, "members") else [body.member_id]
    peer = conn.joined()
    members = []
    for member_id in ids:
        try:
            left = await command(conn, "leave", {"member_id": member_id})
            error = left.get("error")
        except Refused as refused:
            error = refused.code
        for other in conn.listener.peers.values():
            other.forget_member(member_id)
        peer.forget_member(member_id)
        members.append({"member_id": member_id, "error_code": code(error)})
    return {"error_code": members[0]["error_code"] if len(members) == 1 else 0,
            "members": members}


async def offset_commit(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body
    generation = getattr(body, "generation_id_or_member_epoch",
                         getattr(body, "generation_id", -1))
    offsets = [[t.name, p.partition_index, p.committed_offset]
               for t in body.topics for p in t.partitions]
    params = {"group": body.group_id, "member_id": body.member_id, "generation": generation,
              "offsets": offsets}
    try:
        result = await command(conn, "commit", params, conn.joined().software)
        whole, each = result.get("error"), result.get("partitions", {})
    except Refused as refused:
        whole, each = refused.code, {}
    return {"topics": [{"name": t.name, "partitions": [
        {"partition_index": p.partition_index,
         "error_code": code(whole or each.get(f"{t.name}/{p.partition_index}"))}
        for p in t.partitions]} for t in body.topics]}


async def offset_fetch(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body

    def committed(lab: Any) -> dict[str, Any]:
        group = lab.kafka.groups.get(body.group_id)
        offsets = group.committed if group is not None else {}
        wanted = {(t.name, p) for t in body.topics for p in t.partition_indexes} \
            if body.topics is not None else set(offsets)
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for topic, index in sorted(wanted):
            by_topic.setdefault(topic, []).append({
                "partition_index": index,
                "committed_offset": offsets.get(TopicPartition(topic, index), -1),
                "committed_leader_epoch": -1, "metadata": "", "error_code": 0})
        return {"error_code": 0, "topics": [{"name": t, "partitions": ps}
                                            for t, ps in by_topic.items()]}

    return await locked(conn, committed)
