"""Kafka's default partitioner: murmur2 for keys, sticky for keyless records."""

import pytest

from engine import Simulation
from engine.kafka import murmur2, partition_for_key

# Kafka's own vectors: UtilsTest.testMurmur2 (apache/kafka clients/src/test/.../UtilsTest.java)
KAFKA_MURMUR2_VECTORS = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
]


@pytest.mark.parametrize(("data", "expected"), KAFKA_MURMUR2_VECTORS)
def test_murmur2_matches_kafkas_utils_test_vectors(data, expected):
    assert murmur2(data) == expected


def test_partition_for_key_clears_the_sign_bit_instead_of_taking_abs():
    # murmur2(b"21") is negative: toPositive(-973932308) = 1173551340, and 1173551340 % 7 = 3
    # (abs() would give 973932308 % 7 = 5).
    assert partition_for_key(b"21", 7) == (-973932308 & 0x7FFFFFFF) % 7 == 3


def test_string_keys_hash_as_their_utf8_bytes():
    sim = Simulation()
    sim.kafka.create_topic("orders", num_partitions=6)
    meta = sim.kafka.producer().send("orders", value="x", key="café")
    assert meta.partition == partition_for_key("café".encode(), 6)


def test_keyless_records_stick_to_one_partition_until_batch_size_bytes():
    sim = Simulation(seed=3)
    sim.kafka.create_topic("clicks", num_partitions=4)
    producer = sim.kafka.producer(batch_size=100)
    partitions = [producer.send("clicks", value="x" * 10).partition for _ in range(30)]
    # 10-byte records: ten in a row to one partition, then a switch
    runs = [partitions[i:i + 10] for i in range(0, 30, 10)]
    assert all(len(set(run)) == 1 for run in runs)
    assert len(set(partitions)) > 1


def test_explicit_partition_wins_over_the_key():
    sim = Simulation()
    sim.kafka.create_topic("orders", num_partitions=4)
    key = "k"
    other = (partition_for_key(b"k", 4) + 1) % 4
    assert sim.kafka.producer().send("orders", value="x", key=key, partition=other).partition \
        == other


def test_a_batch_of_keyless_records_follows_the_sticky_rule_record_by_record():
    sim = Simulation(seed=3)
    sim.kafka.create_topic("clicks", num_partitions=4)
    producer = sim.kafka.producer(batch_size=20)
    partitions = [m.partition for m in producer.send_batch("clicks", ["x" * 10] * 40)]
    # 20 bytes = two records per sticky run: a switch can only come after an even count
    assert all(partitions[i] == partitions[i - 1] for i in range(1, 40, 2))
    assert len(set(partitions)) > 1
