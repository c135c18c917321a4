"""What the listener answers to each Kafka API: dispatch (with the room's request quota and a
stopped broker's connections), connection set-up (ApiVersions, SASL), Metadata,
FindCoordinator and CreateTopics here; Produce and transactions in ``producing``, Fetch and
ListOffsets in ``fetching``, the group APIs in ``groups``; reaching the room in ``room``.

Requests that change the room (Produce, JoinGroup, LeaveGroup, OffsetCommit, a Fetch that
returns records, CreateTopics, InitProducerId and the transaction APIs) run as the room's
``api`` command (``mqlab.commands._kafka_api``): they enter its log, so replay, saving and
sharing keep working. Requests that only read (ApiVersions, Metadata, ListOffsets,
FindCoordinator, SyncGroup, Heartbeat, OffsetFetch, an empty Fetch) read the model under the
room's lock and leave no trace, as they change nothing a replay could miss.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from typing import Any

from mqlab.kafka import codec, fetching, groups, producing
from mqlab.kafka.listener import BEFORE_AUTH, RATE, Closing, broker_count, port
from mqlab.kafka.room import ERRORS, Refused, code, command, locked
from mqlab.throttle import Buckets

_requests = Buckets(RATE, 2 * RATE)


# -- dispatch ---------------------------------------------------------------------------------

async def answer(conn: Any, frame: bytes) -> bytes:
    try:
        request = codec.parse(frame)
    except codec.Unsupported as unsupported:
        if unsupported.api_key != codec.API_VERSIONS:
            raise Closing(f"API {unsupported.api_key} v{unsupported.version} is not "
                          "supported") from None
        return codec.response(codec.API_VERSIONS, 0, unsupported.correlation_id,
                              {**_versions(), "error_code": code("unsupported_version")})
    except Exception:  # noqa: BLE001 - any malformed frame: Kafka closes the connection
        raise Closing("a malformed request") from None
    conn.client_id = conn.client_id or request.client_id or ""
    throttle = 0
    if conn.room is None:
        if request.api_key not in BEFORE_AUTH:
            raise Closing(f"{request.name} before authentication")
    else:
        throttle = await _throttle(conn)
        _check_broker(conn)
    data = await HANDLERS[request.api_key](conn, request)
    if data is None:
        return b""  # acks=0: no answer
    return codec.response(request.api_key, request.version, request.correlation_id,
                          {"throttle_time": throttle, **data})


async def _throttle(conn: Any) -> int:
    """Kafka's request quota: over the rate, the answer is delayed and says by how much."""
    waited = 0
    while not _requests.take(conn.room.token):
        await asyncio.sleep(1 / RATE)
        waited += 1
    return round(waited * 1000 / RATE)


def _check_broker(conn: Any) -> None:
    """A connection to a stopped simulated broker is dropped, as by a dead broker."""
    if conn.broker is None:
        return
    alive = conn.room.sim.kafka.cluster.alive
    if not alive.get(conn.broker, False):
        raise Closing(f"broker {conn.broker} is down in room {conn.room.id}")


# -- connection set-up ------------------------------------------------------------------------

def _versions() -> dict[str, Any]:
    return {"error_code": 0, "api_keys": [
        {"api_key": key, "min_version": low, "max_version": high}
        for key, (low, high) in sorted(codec.VERSIONS.items())]}


async def api_versions(conn: Any, request: codec.Request) -> dict[str, Any]:
    name = getattr(request.body, "client_software_name", None)
    if name and not conn.software:
        conn.software = name[:40]
    return _versions()


async def sasl_handshake(conn: Any, request: codec.Request) -> dict[str, Any]:
    if request.body.mechanism != "PLAIN":
        return {"error_code": code("unsupported_sasl_mechanism"), "mechanisms": ["PLAIN"]}
    conn.raw_sasl = request.version == 0
    return {"error_code": 0, "mechanisms": ["PLAIN"]}


async def sasl_authenticate(conn: Any, request: codec.Request) -> dict[str, Any]:
    why = await conn.authenticate(bytes(request.body.auth_bytes))
    if why is not None:
        reply = codec.response(request.api_key, request.version, request.correlation_id, {
            "error_code": code("sasl_authentication_failed"), "error_message": why,
            "auth_bytes": b""})
        raise Closing(why, reply)
    conn.software = conn.software or software_name(conn.client_id)
    conn.joined()
    return {"error_code": 0, "auth_bytes": b"", "session_lifetime": 0}


def software_name(client_id: str) -> str:
    """The client library from its default client.id: "kafka-python-producer-1" ->
    "kafka-python", "rdkafka" -> "librdkafka"; a client.id the user chose stays."""
    name = _CLIENT_SUFFIX.sub("", client_id)
    return {"rdkafka": "librdkafka", "": "kafka client"}.get(name, name)[:40]


_CLIENT_SUFFIX = re.compile(r"(-(producer|consumer|admin))?(-[\d.]+)?$")


# -- metadata ---------------------------------------------------------------------------------

def _broker(conn: Any, broker: int) -> dict[str, Any]:
    return {"node_id": broker, "host": conn.host, "port": port() + broker}


async def metadata(conn: Any, request: codec.Request) -> dict[str, Any]:
    wanted = request.body.topics
    names = None if wanted is None else [t.name for t in wanted]
    return await locked(conn, _metadata, conn, names)


def _metadata(lab: Any, conn: Any, names: list[str] | None) -> dict[str, Any]:
    kafka = lab.kafka
    live = [b for b, up in kafka.cluster.alive.items() if up and b <= broker_count()]
    topics = []
    for name in sorted(kafka.topics) if names is None else names:
        topic = kafka.topics.get(name)
        if topic is None:
            topics.append({"error_code": code("unknown_topic_or_partition"), "name": name,
                           "partitions": []})
            continue
        topics.append({"error_code": 0, "name": name, "partitions": [{
            "error_code": 0 if p.leader is not None else code("leader_not_available"),
            "partition_index": p.index, "leader_id": p.leader if p.leader is not None else -1,
            "leader_epoch": p.leader_epoch, "replica_nodes": list(p.replicas),
            "isr_nodes": list(p.isr),
            "offline_replicas": [r for r in p.replicas if not kafka.cluster.alive.get(r)]}
            for p in topic.partitions]})
    return {"brokers": [_broker(conn, b) for b in live], "cluster_id": f"mqlab-{conn.room.id}",
            "controller_id": live[0] if live else -1, "topics": topics}


async def find_coordinator(conn: Any, request: codec.Request) -> dict[str, Any]:
    live = await locked(conn, lambda lab: [b for b, up in lab.kafka.cluster.alive.items()
                                           if up and b <= broker_count()])
    if not live:
        return {"error_code": code("coordinator_not_available"), "node_id": -1, "host": "",
                "port": -1}
    broker = live[zlib.crc32(request.body.key.encode()) % len(live)]
    return {"error_code": 0, **_broker(conn, broker)}


async def create_topics(conn: Any, request: codec.Request) -> dict[str, Any]:
    topics = [{"name": t.name, "partitions": t.num_partitions,
               "replication_factor": t.replication_factor,
               "configs": {c.name: c.value for c in t.configs}} for t in request.body.topics]
    if request.body.validate_only:
        return {"topics": [{"name": t["name"], "error_code": 0} for t in topics]}
    try:
        results = (await command(conn, "create_topics", {"topics": topics}))["topics"]
    except Refused as refused:
        return {"topics": [{"name": t["name"], "error_code": code(refused.code),
                            "error_message": refused.message} for t in topics]}
    return {"topics": [{"name": name, "error_code": code(ERRORS.get(r[0], "unknown_server_error"))
                        if r else 0, "error_message": r[1] if r else None}
                       for name, r in results.items()]}


HANDLERS = {0: producing.produce, 1: fetching.fetch, 2: fetching.list_offsets, 3: metadata,
            8: groups.offset_commit, 9: groups.offset_fetch, 10: find_coordinator,
            11: groups.join_group, 12: groups.heartbeat, 13: groups.leave_group,
            14: groups.sync_group, 17: sasl_handshake, 18: api_versions, 19: create_topics,
            22: producing.init_producer_id, 24: producing.add_partitions_to_txn,
            25: producing.add_offsets_to_txn, 26: producing.end_txn,
            28: producing.txn_offset_commit, 36: sasl_authenticate}
