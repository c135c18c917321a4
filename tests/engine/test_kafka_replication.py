"""Brokers, replicas, the ISR, acks, leader election, recovery and idempotent retries."""

import random

import pytest

from engine import Simulation
from engine.kafka import (
    InvalidReplicationFactorException,
    LeaderNotAvailableException,
    NotEnoughReplicasException,
)
from engine.kafka.cluster import place_replicas


def replicated(seed=0, partitions=1, **config):
    sim = Simulation(seed=seed)
    events = []
    sim.subscribe(events.append)
    sim.kafka.create_topic("orders", num_partitions=partitions, replication_factor=3,
                           config=config or None)
    return sim, events


def state(sim, partition=0):
    return sim.kafka.describe_topic("orders")["partitions"][partition]


def test_replica_placement_matches_kafkas_admin_utils_test():
    # AdminUtilsTest.testReplicaAssignment (apache/kafka core): 5 brokers, 10 partitions,
    # replication factor 3, fixed start index 0
    placement = place_replicas([0, 1, 2, 3, 4], 10, 3, random.Random(0), fixed_start=0)
    assert placement == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
                         [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2]]


def test_replicas_are_spread_round_robin_with_leaders_on_different_brokers():
    sim = Simulation(seed=5)
    sim.kafka.create_topic("orders", num_partitions=3, replication_factor=2)
    partitions = sim.kafka.describe_topic("orders")["partitions"]
    assert sorted(p["leader"] for p in partitions) == [1, 2, 3]
    assert all(len(set(p["replicas"])) == 2 for p in partitions)
    assert all(p["isr"] == p["replicas"] for p in partitions)


def test_replication_factor_above_the_live_brokers_is_refused():
    sim = Simulation()
    with pytest.raises(InvalidReplicationFactorException, match="larger than available brokers: 3"):
        sim.kafka.create_topic("orders", replication_factor=4)
    assert sim.kafka.list_topics() == []


def test_followers_copy_each_record_from_the_leader_as_visible_events():
    sim, events = replicated()
    leader = state(sim)["leader"]
    sim.kafka.producer(acks=1).send("orders", value="a")
    sim.advance(0)
    copies = [(e.source, e.target) for e in events if e.kind == "replicated"]
    followers = [b for b in state(sim)["replicas"] if b != leader]
    assert copies == [(f"kafka:broker:{leader}", f"kafka:broker:{b}") for b in followers]


def test_consumers_see_a_record_only_once_every_in_sync_replica_has_it():
    sim, _ = replicated()
    consumer = sim.kafka.consumer(group_id="g", auto_offset_reset="earliest")
    consumer.subscribe(["orders"])
    sim.kafka.producer(acks=1).send("orders", value="a")
    assert consumer.poll() == [] and state(sim)["high_watermark"] == 0
    sim.advance(0)
    assert [r.value for r in consumer.poll()] == ["a"]


def test_an_acks_all_send_returns_once_every_in_sync_replica_has_the_record():
    sim, events = replicated()
    sim.kafka.producer(acks="all").send("orders", value="a")
    assert state(sim)["high_watermark"] == 1
    assert [e.kind for e in events][-2:] == ["replicated", "replicated"]
    sim.kafka.kill_broker(state(sim)["leader"])  # an acknowledged acks=all write survives
    assert state(sim)["log_end"] == 1 and not [e for e in events if e.kind == "lost"]


def test_describe_cluster_tells_who_leads_and_who_follows():
    sim, _ = replicated(partitions=3)
    sim.kafka.kill_broker(2)
    cluster = sim.kafka.describe_cluster()
    assert [(b["broker"], b["alive"], len(b["leads"]) + len(b["follows"])) for b in cluster] == [
        (1, True, 3), (2, False, 3), (3, True, 3)]
    assert cluster[1]["leads"] == []


def test_leader_failure_moves_leadership_to_the_first_in_sync_follower():
    sim, events = replicated()
    before = state(sim)
    sim.kafka.kill_broker(before["leader"])
    after = state(sim)
    survivors = [b for b in before["replicas"] if b != before["leader"]]
    assert after["leader"] == survivors[0] and after["isr"] == survivors
    assert [e.kind for e in events][-3:] == ["broker-down", "isr-shrunk", "leader-elected"]


def test_acks_all_fails_below_min_insync_replicas_but_acks_1_is_accepted():
    sim, _ = replicated(**{"min.insync.replicas": 2})
    replicas = state(sim)["replicas"]
    sim.kafka.kill_broker(replicas[1])
    sim.kafka.kill_broker(replicas[2])
    with pytest.raises(NotEnoughReplicasException, match="min.insync.replicas=2") as error:
        sim.kafka.producer(acks="all").send("orders", value="a")
    assert error.value.code == "NotEnoughReplicasException"
    assert state(sim)["log_end"] == 0
    assert sim.kafka.producer(acks=1).send("orders", value="b").offset == 0


def test_no_in_sync_replica_alive_means_offline_unless_unclean_election_is_on():
    sim, events = replicated()
    for broker in (1, 2, 3):
        sim.kafka.kill_broker(broker)
    assert state(sim)["leader"] is None
    assert "offline" in [e for e in events if e.kind == "leader-elected"][-1].reason
    with pytest.raises(LeaderNotAvailableException, match="orders/0"):
        sim.kafka.producer(acks=1).send("orders", value="a")
    last_in_sync = state(sim)["isr"][0]
    sim.kafka.restore_broker(last_in_sync)
    assert state(sim)["leader"] == last_in_sync


def only_a_stale_replica_survives(sim):
    """The third replica misses offset 0, then the two in-sync ones die and it comes back."""
    replicas = state(sim)["replicas"]
    sim.kafka.kill_broker(replicas[2])
    sim.kafka.producer(acks=1).send("orders", value="a")
    sim.advance(0)
    sim.kafka.kill_broker(replicas[0])
    sim.kafka.kill_broker(replicas[1])
    sim.kafka.restore_broker(replicas[2])
    return replicas[2]


def test_out_of_sync_replica_does_not_lead_with_unclean_election_off():
    sim, _ = replicated()
    only_a_stale_replica_survives(sim)
    assert state(sim)["leader"] is None and state(sim)["log_end"] == 1


def test_unclean_election_lets_a_stale_replica_lead_and_loses_what_it_lacks():
    sim, events = replicated(**{"unclean.leader.election.enable": "true"})
    stale = only_a_stale_replica_survives(sim)
    assert state(sim)["leader"] == stale and state(sim)["log_end"] == 0
    assert [(e.kind, e.message_id) for e in events if e.kind == "lost"] == [("lost", "orders/0@0")]


def test_unclean_election_on_leader_failure_picks_a_live_out_of_sync_replica():
    sim, events = replicated(**{"unclean.leader.election.enable": True})
    replicas = state(sim)["replicas"]
    sim.kafka.kill_broker(replicas[1])
    sim.kafka.kill_broker(replicas[2])  # the ISR is now the leader alone
    sim.kafka.restore_broker(replicas[2])  # back, but not yet caught up: out of sync
    sim.kafka.kill_broker(replicas[0])
    assert state(sim)["leader"] == replicas[2] and state(sim)["isr"] == [replicas[2]]
    assert "unclean.leader.election.enable=true" in [
        e for e in events if e.kind == "leader-elected"][-1].reason


def test_acks_1_write_not_yet_replicated_is_lost_when_the_leader_dies():
    sim, events = replicated()
    leader = state(sim)["leader"]
    meta = sim.kafka.producer(acks=1).send("orders", value="a")
    sim.kafka.kill_broker(leader)  # before the followers fetched it
    assert meta.offset == 0 and state(sim)["log_end"] == 0
    lost = [e for e in events if e.kind == "lost"]
    assert [e.message_id for e in lost] == ["orders/0@0"]
    again = sim.kafka.producer(acks=1).send("orders", value="b")
    sim.advance(0)
    assert again.offset == 0  # the offset is reused for a different record
    assert [r.id for r in sim.kafka.partition(("orders", 0)).log.records()] == ["orders/0@0.2"]


def test_recovered_broker_catches_up_and_rejoins_the_isr():
    sim, events = replicated()
    follower = state(sim)["replicas"][1]
    sim.kafka.kill_broker(follower)
    producer = sim.kafka.producer()
    for value in "abc":
        producer.send("orders", value=value)
    sim.advance(0)
    assert follower not in state(sim)["isr"]
    sim.kafka.restore_broker(follower)
    sim.advance(0)
    assert follower in state(sim)["isr"]
    tail = [(e.kind, e.target) for e in events][-4:]
    assert tail == [("replicated", f"kafka:broker:{follower}")] * 3 + [
        ("isr-expanded", f"kafka:broker:{follower}")]


def test_idempotent_producer_does_not_duplicate_on_retry():
    sim, events = replicated()
    sim.kafka.lose_produce_responses(1)
    meta = sim.kafka.producer(acks="all", enable_idempotence=True).send("orders", value="a")
    assert meta.offset == 0 and state(sim)["log_end"] == 1
    retry = [e for e in events if e.kind == "retried"][0]
    assert retry.details["duplicate"] is True


def test_producer_without_idempotence_writes_a_duplicate_on_retry():
    sim, _ = replicated()
    sim.kafka.lose_produce_responses(1)
    meta = sim.kafka.producer(acks="all", enable_idempotence=False).send("orders", value="a")
    values = [r.value for r in sim.kafka.partition(("orders", 0)).log.records()]
    assert values == ["a", "a"] and meta.offset == 1


def test_acks_0_to_a_partition_without_leader_is_silently_dropped():
    sim, events = replicated()
    for broker in (1, 2, 3):
        sim.kafka.kill_broker(broker)
    meta = sim.kafka.producer(acks=0).send("orders", value="a")
    assert meta.offset == -1
    assert [e.kind for e in events][-2:] == ["produced", "dropped"]


def test_leadership_returns_to_the_preferred_replica_at_the_next_imbalance_check():
    sim, events = replicated()
    preferred = state(sim)["replicas"][0]
    sim.kafka.kill_broker(preferred)
    sim.advance(10)
    sim.kafka.restore_broker(preferred)
    sim.advance(0)
    assert preferred in state(sim)["isr"] and state(sim)["leader"] != preferred
    sim.advance(289.9)
    assert state(sim)["leader"] != preferred
    sim.advance(0.1)  # leader.imbalance.check.interval.seconds=300, from cluster start
    assert state(sim)["leader"] == preferred
    elected = [e for e in events if e.kind == "leader-elected"][-1]
    assert elected.at == 300 and "preferred leader election" in elected.reason
