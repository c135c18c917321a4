"""Where a producer sends a record: Kafka's default partitioner.

- A record with an explicit partition goes there.
- A keyed record goes to ``toPositive(murmur2(key)) % numPartitions`` — the same partition
  the Java client picks, so a learner's keys land where real Kafka puts them. ``murmur2`` is
  Kafka's 32-bit MurmurHash2 with seed 0x9747b28c (Utils.murmur2 in apache/kafka
  clients/src/main/java/org/apache/kafka/common/utils/Utils.java; vectors in UtilsTest
  testMurmur2). Source of the rule: BuiltInPartitioner.partitionForKey.
- A record without a key uses the sticky partitioner of the modern Java client (KIP-480,
  refined by KIP-794 "strictly uniform sticky partitioner", Kafka 3.3+): the producer keeps
  sending keyless records to one partition until it has produced ``batch.size`` bytes there,
  then switches to a partition picked uniformly at random among those with a leader
  (BuiltInPartitioner.nextPartition/updatePartitionInfo). mqlab has no send queues, so the
  adaptive weighting by queue size (partitioner.adaptive.partitioning) never applies.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .arguments import whole
from .errors import IllegalArgumentException

if TYPE_CHECKING:
    from random import Random  # the simulation's seeded one, never a fresh source

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of ``data`` as a signed 32-bit int, exactly as Java ``Utils.murmur2``."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length >> 2
    for k in struct.unpack_from(f"<{whole}I", data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & 3
    base = length & ~3
    if tail == 3:
        h ^= data[base + 2] << 16
    if tail >= 2:
        h ^= data[base + 1] << 8
    if tail >= 1:
        h ^= data[base]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def to_positive(number: int) -> int:
    """Kafka's Utils.toPositive: clear the sign bit (not abs: abs(MIN_VALUE) overflows)."""
    return number & 0x7FFFFFFF


def partition_for_key(key: bytes | str, num_partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a keyed record (a str key is
    hashed as its UTF-8 bytes, as the StringSerializer sends it)."""
    whole("num_partitions", num_partitions, 1)
    if not isinstance(key, bytes | bytearray | str):
        raise IllegalArgumentException(f"key {key!r} is a {type(key).__name__}; give bytes")
    return hash_partition(key_bytes(key), num_partitions)


def hash_partition(data: bytes, num_partitions: int) -> int:
    """partition_for_key without the argument checks (the producer has checked already)."""
    return to_positive(murmur2(data)) % num_partitions


def key_bytes(key: str | bytes | bytearray) -> bytes:
    """The bytes Kafka hashes: StringSerializer encodes UTF-8, ByteArraySerializer passes."""
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


class StickyPartitioner:
    """One producer's sticky choice for keyless records of one topic (KIP-794)."""

    __slots__ = ("batch_size", "partition", "produced_bytes")

    def __init__(self, batch_size: int) -> None:
        if batch_size < 1:  # BuiltInPartitioner: stickyBatchSize must be >= 1
            raise IllegalArgumentException(f"sticky batch size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.partition: int | None = None
        self.produced_bytes = 0

    def current(self, available: Sequence[int], num_partitions: int, rng: Random) -> int:
        """The sticky partition, picking one first if there is none yet (or it is gone)."""
        if self.partition is None or self.partition >= num_partitions:
            self.partition = self._next(available, num_partitions, rng)
        return self.partition

    def record_appended(self, size: int, available: Sequence[int], num_partitions: int,
                        rng: Random) -> None:
        """Count the bytes; after batch.size bytes move on to a fresh partition."""
        self.produced_bytes += size
        if self.produced_bytes >= self.batch_size:
            self.partition = self._next(available, num_partitions, rng)
            self.produced_bytes = 0

    @staticmethod
    def _next(available: Sequence[int], num_partitions: int, rng: Random) -> int:
        # Uniform among partitions with a leader; among all when none has one
        # (BuiltInPartitioner.nextPartition without load stats).
        if available:
            return available[rng.randrange(len(available))]
        return rng.randrange(num_partitions)
