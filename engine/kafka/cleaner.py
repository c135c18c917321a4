"""The log cleaner: retention by time and size, and log compaction.

Brokers check their logs every ``log.retention.check.interval.ms`` (default 300000 = 5 min,
counted from broker start; https://kafka.apache.org/documentation/#brokerconfigs); mqlab runs
that check on the virtual clock, scheduled only when some log has something due, so an idle
simulation stays idle.

- cleanup.policy=delete (Kafka documentation "Topic-Level Configs"; UnifiedLog
  deleteRetentionMsBreachedSegments / deleteRetentionSizeBreachedSegments): a record older
  than retention.ms (now − timestamp > retention.ms) is deleted; while the log minus its oldest
  record is still at least retention.bytes, the oldest record is deleted. Only records below
  the high watermark are deleted. The log start offset moves past deleted records.
- cleanup.policy=compact (documentation "Log Compaction",
  https://kafka.apache.org/documentation/#compaction): for each key only the latest record
  survives; a record with a null value (tombstone) deletes the key and is itself removed once
  delete.retention.ms has passed since the first cleaning that kept it (KIP-534's delete
  horizon, whatever the tombstone's own timestamp; LogCleanerTest testCleanTombstone).
  Offsets never change, so a compacted log has gaps.
  Kafka's cleaner skips the active segment and waits for min.cleanable.dirty.ratio; mqlab
  cleans every record below the high watermark at the next check (see log.py on segments).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..clock import Timer
from .events import COMPACTED, RETENTION_DELETED

if TYPE_CHECKING:
    from .cluster import Partition
    from .model import Kafka
    from .topic import Topic

CHECK_INTERVAL_MS = 300_000


class LogCleaner:
    def __init__(self, kafka: Kafka, check_interval_ms: int = CHECK_INTERVAL_MS) -> None:
        self.kafka = kafka
        self.interval = check_interval_ms / 1000
        self._timer: Timer | None = None
        self._dirty: set[Partition] = set()
        #: (partition, offset) of each kept tombstone -> its delete horizon in ms
        self._horizons: dict[tuple[Partition, int], float] = {}

    def appended(self, partition: Partition) -> None:
        """A record was written: schedule the check that could remove something."""
        topic = partition.topic
        now = self.kafka.sim.now
        if topic.compact:
            self._dirty.add(partition)
            self._schedule(now)
        if topic.delete:
            log = partition.log
            retention_ms = topic.config["retention.ms"]
            if len(log) == 1 and retention_ms >= 0:
                self._schedule(log.first().timestamp / 1000 + retention_ms / 1000)  # type: ignore[union-attr]
            if self._over_size(partition):
                self._schedule(now)

    def forget(self, topic: Topic) -> None:
        """A deleted topic has nothing left to clean."""
        self._dirty.difference_update(topic.partitions)
        gone = set(topic.partitions)
        self._horizons = {k: v for k, v in self._horizons.items() if k[0] not in gone}

    def _schedule(self, due: float) -> None:
        # The first check strictly after ``due``: checks run at multiples of the interval.
        at = (math.floor(due / self.interval) + 1) * self.interval
        if self._timer is not None and not self._timer.cancelled and self._timer.at <= at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.kafka.sim.call_at(at, self._check)

    def _check(self) -> None:
        self._timer = None
        for topic in list(self.kafka.topics.values()):
            for partition in topic.partitions:
                if topic.delete:
                    self._apply_retention(partition)
                if topic.compact and partition in self._dirty:
                    self._compact(partition)
        self._schedule_next()

    def _schedule_next(self) -> None:
        now = self.kafka.sim.now
        for topic in self.kafka.topics.values():
            for partition in topic.partitions:
                first = partition.log.first()
                if first is None:
                    continue
                if topic.delete and topic.config["retention.ms"] >= 0:
                    self._schedule(max(now, (first.timestamp + topic.config["retention.ms"])
                                       / 1000))
                if topic.delete and self._over_size(partition):
                    self._schedule(now)
                if partition in self._dirty:
                    self._schedule(now)

    # -- retention ----------------------------------------------------------------------------
    def _over_size(self, partition: Partition) -> bool:
        limit = partition.topic.config["retention.bytes"]
        first = partition.log.first()
        return limit >= 0 and first is not None and partition.log.size - first.size >= limit

    def _apply_retention(self, partition: Partition) -> None:
        log = partition.log
        config = partition.topic.config
        now_ms = self.kafka.sim.now * 1000
        while (first := log.first()) is not None and first.offset < partition.high_watermark:
            too_old = config["retention.ms"] >= 0 and now_ms - first.timestamp > \
                config["retention.ms"]
            too_big = self._over_size(partition)
            if not (too_old or too_big):
                return
            log.delete_oldest()
            why = (f"older than retention.ms={config['retention.ms']}" if too_old else
                   f"log over retention.bytes={config['retention.bytes']}")
            self.kafka.emit(RETENTION_DELETED, first.id, partition.node, None,
                            f"offset {first.offset} of {partition.name} deleted: {why}; log "
                            f"now starts at {log.log_start}",
                            {"partition": partition.name, "offset": first.offset,
                             "log_start": log.log_start},
                            {"rule": "log-cleaner", "how": f"retention: {why}"})

    # -- compaction ---------------------------------------------------------------------------
    def _compact(self, partition: Partition) -> None:
        log = partition.log
        now_ms = self.kafka.sim.now * 1000
        keep_tombstones_ms = partition.topic.config["delete.retention.ms"]
        # transactions (transactions.py): only below the LSO, and never a marker
        stable = partition.last_stable_offset
        cleanable = [r for r in log.records() if r.offset < stable and r.control is None]
        latest = {r.key: r.offset for r in cleanable}
        doomed = {}
        tombstones_left = False
        for record in cleanable:
            newest = latest[record.key]
            if newest != record.offset:
                doomed[record.offset] = f"superseded by offset {newest} with the same key"
            elif record.value is None:
                horizon = self._horizons.setdefault((partition, record.offset),
                                                    now_ms + keep_tombstones_ms)
                if now_ms >= horizon:
                    doomed[record.offset] = (f"tombstone kept for delete.retention.ms="
                                             f"{keep_tombstones_ms} since it was first cleaned")
                else:
                    tombstones_left = True
        for offset in doomed:
            self._horizons.pop((partition, offset), None)
        for record in log.remove(set(doomed)):
            self.kafka.emit(COMPACTED, record.id, partition.node, None,
                            f"offset {record.offset} of {partition.name} compacted away: "
                            f"{doomed[record.offset]}",
                            {"partition": partition.name, "offset": record.offset,
                             "key": record.key if isinstance(record.key, str) else None},
                            {"rule": "log-cleaner",
                             "how": f"compaction: {doomed[record.offset]}"})
        if not tombstones_left and all(r.offset < partition.high_watermark
                                       for r in log.last(1)):
            self._dirty.discard(partition)
