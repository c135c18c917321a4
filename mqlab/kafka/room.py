"""How the Kafka listener's handlers reach a room: reads under its lock on its worker thread,
changes as its ``api`` command (the one path into the engine, which logs them), waits in its
time, and Kafka's error codes for the model's refusals (``ERRORS``, by Java class name)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from kio.schema.errors import ErrorCode

from engine.kafka import TopicPartition
from mqlab.rooms import offloop

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


class Refused(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code, self.message = code, message


def code(name: str | None) -> int:
    return int(ErrorCode[name]) if name else 0


def error_of(error: Exception) -> str:
    return ERRORS.get(type(error).__name__, "unknown_server_error")


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


def leader_error(lab: Any, conn: Any, tp: TopicPartition) -> str | None:
    """Kafka's answer when this broker cannot take or serve ``tp``."""
    partition = lab.kafka.partition(tp)
    if partition is None:
        return "unknown_topic_or_partition"
    if partition.leader is None:
        return "leader_not_available"
    if conn.broker is not None and partition.leader != conn.broker:
        return "not_leader_or_follower"
    return None
