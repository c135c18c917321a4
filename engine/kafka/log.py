"""A partition's log: an append-only sequence of records addressed by offset.

Kafka never removes a record because it was read. The log has a *log start offset* (the oldest
offset still kept) and a *log end offset* (the offset the next record gets); consumers read
anywhere between them, up to the high watermark (see cluster.py). Records leave the log only
by retention (oldest first), compaction (older records of a key), or truncation after a leader
change. Source: Kafka documentation, "Design: The Consumer / Log Compaction" and
kafka.log.UnifiedLog (logStartOffset, logEndOffset).

Simplification, said plainly: Kafka stores a log as segment files and deletes or compacts
whole segments, never the active one. mqlab treats every record as its own segment, so
retention removes exactly the records that are due and the cleaner can reach the newest
record; the rules (time, size, latest value per key, tombstones) are Kafka's.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ..limits import Account

if TYPE_CHECKING:
    from ..simulation import Simulation

_offset_of = attrgetter("offset")


def timestamp_ms(sim: Simulation) -> int:
    """Kafka timestamps are whole milliseconds; mqlab's clock counts seconds."""
    return round(sim.now * 1000)


@dataclass(frozen=True, slots=True)
class Record:
    """One record as stored and as a consumer's poll returns it (like ConsumerRecord).

    ``timestamp`` is in milliseconds of virtual time, as Kafka's CreateTime is.
    ``producer_id`` is the idempotent or transactional producer's id (-1 for none);
    ``transactional`` marks a record written inside a transaction; ``control`` is ``"commit"``
    or ``"abort"`` for a transaction marker (a control record: it takes an offset, and no
    consumer's poll ever returns it; KIP-98 "Transaction markers").
    """

    topic: str
    partition: int
    offset: int
    key: Any
    value: Any
    headers: tuple[tuple[str, Any], ...]
    timestamp: int
    size: int
    id: str
    producer_id: int = -1
    transactional: bool = False
    control: str | None = None


class PartitionLog:
    """Records of one partition, oldest first, with the log start and end offsets."""

    __slots__ = ("name", "topic", "partition", "_records", "_head", "log_start", "log_end",
                 "size", "_gaps", "_reused", "_id_base", "account")

    def __init__(self, topic: str, partition: int, incarnation: int = 1,
                 account: Account | None = None) -> None:
        #: the room's budget (engine/limits.py): every record a log holds is counted there
        self.account = Account() if account is None else account
        self.name = f"{topic}/{partition}"
        # record ids stay unique when a deleted topic is created again: "orders/0~2@5"
        self._id_base = self.name if incarnation == 1 else f"{self.name}~{incarnation}"
        self.topic = topic
        self.partition = partition
        self._records: list[Record] = []
        self._head = 0  # index of the first live record; deleted ones are trimmed in bulk
        self.log_start = 0
        self.log_end = 0
        self.size = 0
        self._gaps = False  # compaction leaves holes in the offsets
        self._reused: dict[int, int] = {}  # offset -> times given out again after truncation

    def drop_all(self) -> None:
        """The topic is deleted: its records leave the room's account."""
        self.account.remove(self.size, len(self))

    def __len__(self) -> int:
        return len(self._records) - self._head

    def append(self, key: Any, value: Any, headers: tuple[tuple[str, Any], ...],
               timestamp: int, size: int, producer_id: int = -1, transactional: bool = False,
               control: str | None = None) -> Record:
        offset = self.log_end
        record = Record(self.topic, self.partition, offset, key, value, headers, timestamp,
                        size, self._record_id(offset), producer_id, transactional, control)
        self._records.append(record)
        self.log_end = offset + 1
        self.size += size
        self.account.add(size)
        return record

    def _record_id(self, offset: int) -> str:
        copies = self._reused.get(offset)
        if copies is None:
            return f"{self._id_base}@{offset}"
        return f"{self._id_base}@{offset}.{copies}"

    def records(self) -> list[Record]:
        """Live records, oldest first (a copy)."""
        return self._records[self._head:]

    def first(self) -> Record | None:
        return self._records[self._head] if self._head < len(self._records) else None

    def last(self, count: int) -> list[Record]:
        """The newest ``count`` records, oldest first."""
        return self._records[max(self._head, len(self._records) - count):]

    def read(self, offset: int, upto: int, max_records: int) -> list[Record]:
        """Up to ``max_records`` records with ``offset <= record.offset < upto``."""
        index = self._index(offset)
        records = self._records
        end = min(len(records), index + max_records)
        if end > index and records[end - 1].offset >= upto:
            end = bisect_left(records, upto, lo=index, hi=end, key=_offset_of)
        return records[index:end]

    def _index(self, offset: int) -> int:
        """Index of the first live record at or after ``offset``."""
        records, head = self._records, self._head
        if head == len(records) or offset <= records[head].offset:
            return head
        if not self._gaps:
            return min(len(records), head + offset - records[head].offset)
        return bisect_left(records, offset, lo=head, key=_offset_of)

    def delete_oldest(self) -> Record:
        """Retention: drop the oldest record and move the log start past it."""
        record = self._records[self._head]
        self._head += 1
        self.size -= record.size
        self.account.remove(record.size)
        following = self.first()
        self.log_start = following.offset if following is not None else self.log_end
        if self._head > 1024 and self._head * 2 > len(self._records):
            del self._records[:self._head]
            self._head = 0
        return record

    def truncate(self, offset: int) -> list[Record]:
        """Drop every record at or after ``offset`` (a new leader has fewer); returns them."""
        index = self._index(offset)
        dropped = self._records[index:]
        del self._records[index:]
        for record in dropped:
            self.size -= record.size
            self.account.remove(record.size)
            self._reused[record.offset] = self._reused.get(record.offset, 1) + 1
        self.log_end = min(self.log_end, max(offset, self.log_start))
        return dropped

    def remove(self, doomed: set[int]) -> list[Record]:
        """Compaction: remove the records at these offsets (the log start stays)."""
        live = self._records[self._head:]
        removed = [r for r in live if r.offset in doomed]
        self._records = [r for r in live if r.offset not in doomed]
        self._head = 0
        gone = sum(r.size for r in removed)
        self.size -= gone
        self.account.remove(gone, len(removed))
        self._gaps = self._gaps or bool(removed)
        return removed
