"""The Kafka room's ``api`` command (mqlab/commands/_kafka_api.py): what the Kafka listener
makes of a real client's requests, without a server. It enters the room's log, and a replay
of that log rebuilds the same room (members, committed offsets, records, transactions)."""

from __future__ import annotations

import pytest

from mqlab.commands._kafka_api import member_error, real
from mqlab.rooms import Room
from mqlab.sources import find

OWNER = "owner"


def api(room: Room, action: str, client: str | None = None, **params) -> dict:
    with room.lock:
        outcome = room.run_command(OWNER, "api", {"action": action, "params": params,
                                                  "client": client})
        call = room.lab.last_call
    assert outcome.ok, outcome.message
    return call.response


def settle(room: Room) -> None:
    room.tick(0.1)


def state(room: Room) -> dict:
    kafka = room.sim.kafka
    return {"groups": {g: (group.generation, dict(group.committed), sorted(group.members))
                       for g, group in kafka.groups.items()},
            "logs": {p.name: [(r.offset, r.key, r.value, r.control) for r in p.log.records()]
                     for t in kafka.topics.values() for p in t.partitions},
            "assignments": {c.client_id: c.assignment() for c in kafka.consumers.values()}}


@pytest.fixture
def room() -> Room:
    room = Room("k", find("kafka-playground"), seed=3, owner=OWNER)
    api(room, "create_topics", "admin", topics=[{"name": "orders", "partitions": 2,
                                                "replication_factor": 1}])
    return room


def test_two_members_share_a_topic_and_a_replay_rebuilds_the_room(room):
    api(room, "produce", "app producer p1", topic="orders", partition=0, acks="all",
        records=[{"key": "a", "value": "one", "headers": []},
                 {"key": None, "value": {"base64": "/w=="}, "headers": [["h", "x"]]}])
    first = api(room, "join", "app consumer c1 of group g", group="g", topics=["orders"],
                protocols=["RoundRobinAssigner"], session_timeout_ms=10000)
    settle(room)
    group = room.sim.kafka.groups["g"]
    one = real(room.lab).members[first["member_id"]]
    assert group.generation > first["generation_before"] and len(one.assignment()) == 2
    assert group.strategy == "roundrobin"  # kafkajs's assignor is the model's roundrobin

    # A second member joins: the rebalance waits for the first to rejoin (by JoinGroup).
    second = api(room, "join", "app consumer c2 of group g", group="g", topics=["orders"],
                 protocols=["RoundRobinAssigner"], session_timeout_ms=10000)
    settle(room)
    assert member_error(group, one, group.generation) == "rebalance_in_progress"
    api(room, "join", None, group="g", topics=["orders"], protocols=["RoundRobinAssigner"],
        member_id=first["member_id"])
    settle(room)
    two = real(room.lab).members[second["member_id"]]
    assert len(one.assignment()) == len(two.assignment()) == 1
    assert member_error(group, one, group.generation) is None

    api(room, "fetch", "app", ranges=[["orders", 0, 0, 1]], member_id=first["member_id"])
    result = api(room, "commit", "app", group="g", member_id=first["member_id"],
                 generation=group.generation - 1, offsets=[["orders", 0, 2]])
    assert result == {"error": "illegal_generation"}  # a commit from an older generation
    api(room, "commit", "app", group="g", member_id=first["member_id"],
        generation=group.generation, offsets=[["orders", 0, 2]])
    assert group.committed == {("orders", 0): 2}
    records = room.sim.kafka.topics["orders"].partitions[0].log.records()
    assert [(r.key, r.value, r.headers) for r in records] == \
        [("a", "one", ()), (None, b"\xff", (("h", "x"),))]

    replayed = Room("k", find("kafka-playground"), seed=3, owner=OWNER, log=room.log,
                    now=room.sim.now)
    assert replayed.notice is None
    assert state(replayed) == state(room)


def test_a_disconnected_member_is_removed_after_its_session_timeout(room):
    joined = api(room, "join", "app consumer c1 of group g", group="g", topics=["orders"],
                 protocols=["range"], session_timeout_ms=10000)
    settle(room)
    api(room, "gone", "app", members=[joined["member_id"]], producers=[])
    group = room.sim.kafka.groups["g"]
    assert len(group.members) == 1  # still there: the coordinator has not noticed yet
    room.tick(10.5)
    assert not group.members


def test_a_transaction_commits_its_records_and_offsets(room):
    init = api(room, "init_producer_id", "app producer p1", transactional_id="tx",
               timeout_ms=60000)
    ids = {"transactional_id": "tx", "producer_id": init["producer_id"], "epoch": init["epoch"]}
    api(room, "add_to_txn", "app", partitions=[["orders", 1]], **ids)
    api(room, "produce", "app producer p1", topic="orders", partition=1, acks="all",
        transactional_id="tx", records=[{"key": "k", "value": "v", "headers": []}])
    api(room, "txn_offsets", "app", group="g", offsets=[["orders", 0, 5]], **ids)
    api(room, "end_txn", "app", commit=True, **ids)
    partition = room.sim.kafka.topics["orders"].partitions[1]
    assert [r.control for r in partition.log.records()] == [None, "commit"]
    assert room.sim.kafka.groups["g"].committed == {("orders", 0): 5}
    # A second InitProducerId for the same transactional.id fences the first producer.
    api(room, "init_producer_id", "app producer p2", transactional_id="tx", timeout_ms=60000)
    with room.lock:
        outcome = room.run_command(OWNER, "api", {"action": "end_txn", "client": "app",
                                                  "params": {**ids, "commit": True}})
    assert not outcome.ok and type(room.lab.last_call.error).__name__ == \
        "ProducerFencedException"


@pytest.mark.django_db
def test_connect_json_says_how_a_kafka_client_connects(sync_rooms, settings):
    from django.test import Client

    settings.MQLAB_KAFKA_PORT = 19092
    owner = Client()
    room_id = owner.post("/rooms/", {"preset": "kafka-playground"})["Location"] \
        .strip("/").split("/")[-1]
    facts = owner.get(f"/rooms/{room_id}/connect.json").json()
    assert facts["kafka"] == {"bootstrap_servers": "testserver:19092",
                              "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
                              "sasl_plain_username": room_id,
                              "sasl_plain_password": sync_rooms.get(room_id).token}
    refused = Client().get(f"/rooms/{room_id}/connect.json")
    assert refused.status_code == 403 and facts["kafka"]["sasl_plain_password"] not in \
        refused.content.decode()
