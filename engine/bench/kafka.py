"""Kafka benchmark: records produced and consumed per second on 12 partitions with 3
consumers (with and without an event listener), against a bare deque per partition; and
``partition_for_key`` calls per second against ``zlib.crc32`` (a hash written in C); and
group joins per second into a group of 100 and of 1,000 members (each join completes its own
rebalance, which touches every member: the rate should fall about tenfold, not a hundredfold)."""

from __future__ import annotations

import time
import zlib
from collections import deque
from collections.abc import Callable

from engine import Simulation
from engine.kafka import partition_for_key
from engine.limits import Limits

PARTITIONS = 12
RECORDS = 60_000
KEY_CALLS = 200_000
JOINS = 100


def _best(phases: Callable[[], tuple[float, float]], repeat: int = 3) -> tuple[float, float]:
    """Best (least disturbed) produce and consume seconds over ``repeat`` runs."""
    produce, consume = float("inf"), float("inf")
    for _ in range(repeat):
        p, c = phases()
        produce, consume = min(produce, p), min(consume, c)
    return produce, consume


def _kafka_phases(keys: list[bytes], listen: bool) -> tuple[float, float]:
    # The engine's own speed: RECORDS held at once pass a room's default message budget.
    sim = Simulation(seed=1, limits=Limits(max_messages=2 * RECORDS))
    if listen:
        sink: list[object] = []
        sim.subscribe(sink.append)
    kafka = sim.kafka
    kafka.create_topic("bench", num_partitions=PARTITIONS)
    consumers = [kafka.consumer(group_id="bench", auto_offset_reset="earliest",
                                enable_auto_commit=False) for _ in range(3)]
    for consumer in consumers:
        consumer.subscribe(["bench"])
    sim.advance(0)
    producer = kafka.producer(acks=1)
    send = producer.send
    start = time.perf_counter()
    for key in keys:
        send("bench", value=b"payload", key=key)
    produced = time.perf_counter() - start
    start = time.perf_counter()
    received = 0
    while received < len(keys):
        for consumer in consumers:
            received += len(consumer.poll())
    return produced, time.perf_counter() - start


def _deque_phases(keys: list[bytes]) -> tuple[float, float]:
    queues = [deque() for _ in range(PARTITIONS)]
    slots = [i % PARTITIONS for i in range(len(keys))]
    start = time.perf_counter()
    for key, slot in zip(keys, slots, strict=True):
        queues[slot].append(key)
    produced = time.perf_counter() - start
    start = time.perf_counter()
    for queue in queues:
        popleft = queue.popleft
        for _ in range(len(queue)):
            popleft()
    return produced, time.perf_counter() - start


def _key_rate(work: Callable[[bytes, int], int], keys: list[bytes]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for key in keys:
            work(key, PARTITIONS)
        best = min(best, time.perf_counter() - start)
    return len(keys) / best


def _join_rate(members: int) -> float:
    """Joins per second into a stable group of ``members``, each rebalance completed (the
    engine's own speed: a room's budget would refuse members past its consumer cap)."""
    sim = Simulation(seed=1, limits=Limits(max_consumers=members + JOINS + 1))
    kafka = sim.kafka
    kafka.create_topic("bench", num_partitions=PARTITIONS)
    for _ in range(members):
        kafka.consumer(group_id="bench").subscribe(["bench"])
    sim.advance(0)
    start = time.perf_counter()
    for _ in range(JOINS):
        kafka.consumer(group_id="bench").subscribe(["bench"])
        sim.advance(0)
    return JOINS / (time.perf_counter() - start)


def run(report: Callable[..., None], ratio: Callable[..., None]) -> None:
    keys = [f"customer-{i % 5000}".encode() for i in range(RECORDS)]
    quiet = _best(lambda: _kafka_phases(keys, listen=False))
    loud = _best(lambda: _kafka_phases(keys, listen=True))
    bare = _best(lambda: _deque_phases(keys))
    n = len(keys)
    report("records produced/s, 12 partitions (no listener)", n / quiet[0], "rec/s")
    report("records consumed/s, 3 consumers (no listener)", n / quiet[1], "rec/s")
    report("records produced/s (with an event listener)", n / loud[0], "rec/s")
    report("records consumed/s (with an event listener)", n / loud[1], "rec/s")
    report("baseline: deque append per partition", n / bare[0], "op/s")
    report("baseline: deque popleft per partition", n / bare[1], "op/s")
    ratio("produce: deque / kafka (no listener)", quiet[0] / bare[0])
    ratio("consume: deque / kafka (no listener)", quiet[1] / bare[1])
    key_calls = [f"key-{i}".encode() for i in range(KEY_CALLS)]
    murmur = _key_rate(partition_for_key, key_calls)
    crc = _key_rate(lambda key, n: zlib.crc32(key) % n, key_calls)
    report("partition_for_key calls/s (murmur2 in Python)", murmur, "call/s")
    report("baseline: zlib.crc32(key) % n (C)", crc, "call/s")
    ratio("partition_for_key: crc32 / murmur2", crc / murmur)
    small, large = _join_rate(100), _join_rate(1000)
    report("group joins/s into a group of 100 members", small, "join/s")
    report("group joins/s into a group of 1,000 members", large, "join/s")
    ratio("joins: 100 members / 1,000 members (linear: about 10)", small / large)
