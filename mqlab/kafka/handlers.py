"""What the listener answers to each Kafka API, from the room's model.

Requests that change the room (Produce, JoinGroup, LeaveGroup, OffsetCommit, a Fetch that
returns records, CreateTopics, InitProducerId and the transaction APIs) run as the room's
``api`` command (``mqlab.commands._kafka_api``): they enter its log, so replay, saving and
sharing keep working. Requests that only read (ApiVersions, Metadata, ListOffsets,
FindCoordinator, SyncGroup, Heartbeat, OffsetFetch, an empty Fetch) read the model under the
room's lock and leave no trace, as they change nothing a replay could miss.

Error codes are Kafka's (``kio.schema.errors.ErrorCode``); the model's refusals map by their
Java class names (``ERRORS``).
"""

from __future__ import annotations

import asyncio
import io
import re
import struct
import time
import zlib
from typing import Any

from kio.index import load_entity_schema
from kio.schema.errors import ErrorCode
from kio.serial import entity_reader, entity_writer
from kio.static.constants import EntityType

from engine.kafka import TopicPartition
from mqlab.commands._kafka_api import member_error, real, to_json_bytes
from mqlab.kafka import codec
from mqlab.kafka.listener import BEFORE_AUTH, RATE, Closing, broker_count, port
from mqlab.rooms import offloop
from mqlab.throttle import Buckets

#: The model's exceptions as Kafka's error codes.
ERRORS = {
    "UnknownTopicOrPartitionException": "unknown_topic_or_partition",
    "NotEnoughReplicasException": "not_enough_replicas",
    "LeaderNotAvailableException": "leader_not_available",
    "InvalidTopicException": "invalid_topic_exception",
    "TopicExistsException": "topic_already_exists",
    "InvalidPartitionsException": "invalid_partitions",
    "InvalidReplicationFactorException": "invalid_replication_factor",
    "PolicyViolationException": "policy_violation",
    "InvalidRecordException": "invalid_record",
    "SerializationException": "corrupt_message",
    "ProducerFencedException": "invalid_producer_epoch",
    "IllegalStateException": "invalid_txn_state",
    "TransactionAbortedException": "invalid_txn_state",
    "KafkaStorageException": "kafka_storage_error",
    "GroupMaxSizeReachedException": "group_max_size_reached",
    "InconsistentGroupProtocolException": "inconsistent_group_protocol",
    "InvalidGroupIdException": "invalid_group_id",
    "ConfigException": "invalid_config",
    "InvalidConfigurationException": "invalid_config",
    "BrokerNotAvailableException": "broker_not_available",
    "CommitFailedException": "rebalance_in_progress",
    "IllegalArgumentException": "invalid_request",
}
#: How often a waiting Fetch or JoinGroup looks at the room (one frame).
FRAME_SECONDS = 0.04
#: The longest wall time a request is held (clients time requests out after 30 s).
MAX_HOLD_SECONDS = 25.0
#: The leader named in JoinGroup answers: no member, so every member is a follower and takes
#: the model coordinator's assignment from SyncGroup.
COORDINATOR = "mqlab-coordinator"

_requests = Buckets(RATE, 2 * RATE)


class Refused(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code, self.message = code, message


def code(name: str | None) -> int:
    return int(ErrorCode[name]) if name else 0


def error_of(error: Exception) -> str:
    return ERRORS.get(type(error).__name__, "unknown_server_error")


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


async def locked(conn: Any, fn: Any, *args: Any) -> Any:
    """``fn(lab, *args)`` on the room's worker thread, under its lock."""
    room = conn.room

    def work() -> Any:
        with room.lock:
            return fn(room.lab, *args)

    return await offloop.call(room, work)


def run(room: Any, action: str, params: dict[str, Any], client: str | None) -> dict[str, Any]:
    """The room's ``api`` command (caller on a worker thread); raises Refused."""
    with room.lock:
        lab = room.lab
        lab.last_call = None
        outcome = room.run_command(room.owner, "api", {"action": action, "params": params,
                                                       "client": client})
        call = room.lab.last_call if room.lab is lab else None
    if call is not None and call.error is not None:
        raise Refused(error_of(call.error), str(call.error))
    if not outcome.ok or call is None:
        raise Refused("request_timed_out" if outcome.code == "busy" else "invalid_request",
                      outcome.message)
    return call.response


async def command(conn: Any, action: str, params: dict[str, Any],
                  client: str | None = None) -> dict[str, Any]:
    return await offloop.call(conn.room, run, conn.room, action, params, client)


async def wait_for(conn: Any, ready: Any, seconds: float) -> Any:
    """Look every frame until ``ready(lab)`` gives something or ``seconds`` of the room's
    time (or MAX_HOLD_SECONDS of wall time) have passed; the room's clock is moved by its
    runner, or here when it has none."""
    room = conn.room
    start = room.sim.now
    deadline = time.monotonic() + min(MAX_HOLD_SECONDS, seconds / max(room.speed, 0.01) + 1)
    while True:
        found = await locked(conn, ready)
        if found is not None:
            return found
        if room.sim.now - start >= seconds or time.monotonic() >= deadline:
            return None
        await asyncio.sleep(FRAME_SECONDS)
        if room.runner is None or room.runner.done():
            await offloop.call(room, room.tick, FRAME_SECONDS)


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
    error = await locked(conn, _leader_error, conn, TopicPartition(topic, data.index))
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


def _leader_error(lab: Any, conn: Any, tp: TopicPartition) -> str | None:
    """Kafka's answer when this broker cannot take or serve ``tp``."""
    partition = lab.kafka.partition(tp)
    if partition is None:
        return "unknown_topic_or_partition"
    if partition.leader is None:
        return "leader_not_available"
    if conn.broker is not None and partition.leader != conn.broker:
        return "not_leader_or_follower"
    return None


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
    error = _leader_error(lab, conn, tp)
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
            error = _leader_error(lab, conn, tp)
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


async def sync_group(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body

    def assignment(lab: Any) -> dict[str, Any]:
        group = lab.kafka.groups.get(body.group_id)
        consumer = real(lab).members.get(body.member_id)
        error = member_error(group, consumer, body.generation_id) if group else \
            "unknown_member_id"
        if error:
            return {"error_code": code(error), "assignment": b""}
        return {"error_code": 0, "assignment": _assignment(consumer.assignment()),
                "protocol_name": real(lab).wire_strategy.get(body.member_id)}

    return await locked(conn, assignment)


async def heartbeat(conn: Any, request: codec.Request) -> dict[str, Any]:
    body = request.body

    def state(lab: Any) -> dict[str, Any]:
        group = lab.kafka.groups.get(body.group_id)
        consumer = real(lab).members.get(body.member_id)
        error = member_error(group, consumer, body.generation_id) if group else \
            "unknown_member_id"
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


HANDLERS = {0: produce, 1: fetch, 2: list_offsets, 3: metadata, 8: offset_commit,
            9: offset_fetch, 10: find_coordinator, 11: join_group, 12: heartbeat,
            13: leave_group, 14: sync_group, 17: sasl_handshake, 18: api_versions,
            19: create_topics, 22: init_producer_id, 24: add_partitions_to_txn,
            25: add_offsets_to_txn, 26: end_txn, 28: txn_offset_commit,
            36: sasl_authenticate}
