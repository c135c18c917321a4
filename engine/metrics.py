"""Metrics over virtual time: each store's depth, in flight, lag, rates, DLQ depth, consumers.

A ``Recorder`` belongs to a simulation (``sim.record_metrics()``) and samples every node that
holds messages at fixed virtual instants, ``every`` seconds apart (``k * every``), whatever
the wall clock does: the clock tells it when an instant has passed (``Clock.watch``; no entry
on the heap, so the event stream and ``next_due`` are unchanged). A sample at ``t`` is the
state once every call due at or before ``t`` has run, so a live room and its replay (which
both run the clock to a command's instant before the command) record the same series, and a
deep copy of the simulation carries its series along.

Series, per node (``None`` where a series means nothing for that kind of node):

- ``depth``: messages ready to deliver. RabbitMQ: the queue's ready messages
  (``messages_ready`` in the management API); SQS: ``ApproximateNumberOfMessages``; Kafka:
  records retained in the partition (log end − log start), summed over a topic.
- ``in_flight``: delivered, not yet settled. RabbitMQ: ``messages_unacknowledged``; SQS:
  ``ApproximateNumberOfMessagesNotVisible``.
- ``lag``: Kafka only: high watermark (last stable offset for read_committed groups) minus
  the committed offset (``Group.lag``, as kafka-consumer-groups prints LAG). A partition shows
  its slowest group, a topic and a group the sum. A group that committed past the end shows 0
  here, not a negative lag: a chart of "records behind" has nothing behind.
- ``publish_rate``, ``deliver_rate``, ``ack_rate``: per second over the last interval.
  Arrivals (RabbitMQ ``enqueued``, SQS ``sent`` and moved in as a dead letter, Kafka
  ``appended``), deliveries (``delivered``, SQS ``received``), settlements (RabbitMQ
  ``acked``, counted on the queue that delivered the message; SQS ``deleted``; Kafka: offsets the
  groups' commits moved forward, in records).
- ``dlq``: depth of where the node's dead letters go. SQS: the redrive policy's queue
  (visible + in flight + delayed); RabbitMQ: the ready and unacked messages of the queues
  bound to the queue's ``x-dead-letter-exchange`` (every binding: the key a dead letter
  carries depends on the message).
- ``consumers``: live consumers. RabbitMQ: the queue's ``basic.consume`` subscriptions; SQS:
  consumers that have received from the queue; Kafka: group members (a partition: 1 while a
  member owns it).

Rates are counted from the event stream, so recording subscribes the recorder as a listener.

Memory is bounded: the last ``recent`` samples are kept whole; older ones fold into buckets
(each keeps min, max and sum per series); past ``buckets`` buckets, neighbours merge pairwise
and the bucket width doubles. At most ``max_nodes`` nodes are tracked (the oldest vanished
nodes are forgotten first). ``export`` downsamples again to a caller's bound.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgument

if TYPE_CHECKING:
    from .events import Event
    from .simulation import Simulation

SERIES = ("depth", "in_flight", "lag", "publish_rate", "deliver_rate", "ack_rate", "dlq",
          "consumers")
RATES = frozenset({"publish_rate", "deliver_rate", "ack_rate"})
#: Event kinds counted per broker: kind -> (series, which end of the event is the node). A
#: RabbitMQ ``acked`` names the consumer, so it counts on the queue the message was delivered
#: from (remembered per message until it is settled; ``SETTLED`` forget it too).
COUNTED = {
    "rabbitmq": {"enqueued": ("publish_rate", "target"), "delivered": ("deliver_rate", "source"),
                 "acked": ("ack_rate", "delivered from")},
    "sqs": {"sent": ("publish_rate", "target"), "dead-lettered": ("publish_rate", "target"),
            "received": ("deliver_rate", "source"), "deleted": ("ack_rate", "source")},
    "kafka": {"appended": ("publish_rate", "target"), "delivered": ("deliver_rate", "source")},
}
SETTLED = frozenset({"acked", "nacked", "rejected", "requeued", "dead-lettered", "lost"})
#: Messages remembered between delivery and settlement at most (the oldest go first).
MAX_UNSETTLED = 100_000
EVERY = 1.0
RECENT = 120
BUCKETS = 120
MAX_NODES = 200

Values = tuple[float | None, ...]


@dataclass
class Bucket:
    """Samples from ``start`` to ``end`` folded together: per series min, max and sum."""

    start: float
    end: float
    count: int
    low: dict[str, Values] = field(default_factory=dict)
    high: dict[str, Values] = field(default_factory=dict)
    total: dict[str, Values] = field(default_factory=dict)

    def add(self, at: float, row: dict[str, Values]) -> None:
        self.end = at
        self.count += 1
        for node, values in row.items():
            low, high, total = self.low.get(node), self.high.get(node), self.total.get(node)
            self.low[node] = values if low is None else _zip(min, low, values)
            self.high[node] = values if high is None else _zip(max, high, values)
            self.total[node] = values if total is None else _zip(_add, total, values)

    def merge(self, other: Bucket) -> None:
        self.end = other.end
        self.count += other.count
        for node in other.total:
            for mine, theirs, how in ((self.low, other.low, min), (self.high, other.high, max),
                                      (self.total, other.total, _add)):
                mine[node] = theirs[node] if node not in mine else \
                    _zip(how, mine[node], theirs[node])

    def summary(self, node: str) -> Values | None:
        """Gauges as their highest value (a peak must not vanish), rates as their mean."""
        if node not in self.total:
            return None
        high, total = self.high[node], self.total[node]
        return tuple(
            None if value is None else
            (total[i] / self.count if SERIES[i] in RATES else value)  # type: ignore[operator]
            for i, value in enumerate(high))


def _add(a: float, b: float) -> float:
    return a + b


def _zip(how: Any, a: Values, b: Values) -> Values:
    return tuple(x if y is None else y if x is None else how(x, y)
                 for x, y in zip(a, b, strict=True))


class Recorder:
    """Samples every store of ``sim`` every ``every`` virtual seconds (see the module)."""

    def __init__(self, sim: Simulation, every: float = EVERY, recent: int = RECENT,
                 buckets: int = BUCKETS, max_nodes: int = MAX_NODES) -> None:
        if not (every > 0 and math.isfinite(every)):
            raise InvalidArgument(f"metrics every {every!r}: give a positive number of seconds")
        self.sim = sim
        self.every = every
        self.recent: deque[tuple[float, dict[str, Values]]] = deque()
        self.older: list[Bucket] = []
        self.recent_limit = max(1, recent)
        self.bucket_limit = max(2, buckets)
        self.max_nodes = max_nodes
        #: samples per bucket (doubles each time the buckets merge)
        self.width = 1
        #: node -> the last instant it was seen (to forget vanished nodes first)
        self.seen: dict[str, float] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._delivered_from: dict[str, str] = {}
        self._committed: dict[str, int] = {}
        self._committed_next: dict[str, int] = {}
        self._tick = math.floor(sim.now / every) + 1
        self.due = self._tick * every
        sim.subscribe(self.count)

    # -- input -------------------------------------------------------------------------------
    def count(self, event: Event) -> None:
        if event.broker == "rabbitmq" and event.message_id is not None:
            self._follow(event)
        rule = COUNTED.get(event.broker, {}).get(event.kind)
        if rule is None:
            return
        if rule[1] == "delivered from":
            node = self._delivered_from.pop(event.message_id, None)  # type: ignore[arg-type]
        else:
            node = event.target if rule[1] == "target" else event.source
        if node is not None:
            key = (node, rule[0])
            self._counts[key] = self._counts.get(key, 0) + 1

    def _follow(self, event: Event) -> None:
        """Remember which queue delivered a RabbitMQ message, until it is settled."""
        unsettled = self._delivered_from
        if event.kind == "delivered" and event.source is not None:
            unsettled[event.message_id] = event.source  # type: ignore[index]
            if len(unsettled) > MAX_UNSETTLED:
                del unsettled[next(iter(unsettled))]
        elif event.kind in SETTLED and event.kind != "acked":
            unsettled.pop(event.message_id, None)  # type: ignore[arg-type]

    def passed(self, at: float, inclusive: bool) -> None:
        """The clock has settled every instant before ``at`` (and ``at`` too if inclusive).
        Nothing happened between the instants still due, so after a long jump (a step to a
        message's retention four days on) the quiet stretch is one point, not a sample per
        second: the same picture, in bounded time."""
        last = math.ceil(at / self.every)
        while last * self.every > at or (last * self.every == at and not inclusive):
            last -= 1
        if last - self._tick > self.recent_limit + 2:
            self._next()  # the rates of the last second before the jump
            quiet_end = last - self.recent_limit
            self.sample(quiet_end * self.every)
            self._tick = quiet_end + 1
            self.due = self._tick * self.every
        while self.due < at or (inclusive and self.due == at):
            self._next()

    def _next(self) -> None:
        self.sample(self.due)
        self._tick += 1
        self.due = self._tick * self.every

    def sample(self, at: float) -> None:
        row = read_all(self.sim, self)
        self._counts.clear()
        # only the offsets still there: a deleted group's are forgotten
        self._committed, self._committed_next = self._committed_next, {}
        for node in row:
            self.seen[node] = at
        self.recent.append((at, row))
        if len(self.recent) > self.recent_limit:
            self._fold(*self.recent.popleft())
        self._forget()

    def _fold(self, at: float, row: dict[str, Values]) -> None:
        last = self.older[-1] if self.older else None
        if last is None or last.count >= self.width:
            last = Bucket(at, at, 0)
            self.older.append(last)
        last.add(at, row)
        if len(self.older) > self.bucket_limit:
            merged = []
            for i in range(0, len(self.older), 2):
                pair = self.older[i:i + 2]
                if len(pair) == 2:
                    pair[0].merge(pair[1])
                merged.append(pair[0])
            self.older = merged
            self.width *= 2

    def _forget(self) -> None:
        extra = len(self.seen) - self.max_nodes
        if extra <= 0:
            return
        for node in sorted(self.seen, key=self.seen.__getitem__)[:extra]:
            del self.seen[node]
            for _, row in self.recent:
                row.pop(node, None)
            for bucket in self.older:
                for table in (bucket.low, bucket.high, bucket.total):
                    table.pop(node, None)

    def rate(self, node: str, series: str) -> float:
        return self._counts.get((node, series), 0) / self.every

    def committed_rate(self, node: str, committed: int) -> float:
        """Records a partition's commits moved forward since the last sample, per second."""
        before = self._committed.get(node, committed)
        self._committed_next[node] = committed
        return max(0, committed - before) / self.every

    # -- output ------------------------------------------------------------------------------
    def points(self) -> list[tuple[float, dict[str, Values]]]:
        """Every point kept, oldest first: bucket summaries (at the bucket's last instant),
        then the recent samples."""
        found = [(b.end, {n: v for n in b.total if (v := b.summary(n)) is not None})
                 for b in self.older]
        return found + list(self.recent)

    def export(self, nodes: Iterable[str] | None = None, max_points: int = 300,
               since: float | None = None, max_values: int | None = None) -> dict[str, Any]:
        """Plain data for a chart: one time axis ``t`` and, per node, each series it has
        (values aligned with ``t``, null where the node did not exist). At most
        ``max_points`` points, and with ``max_values`` fewer when many nodes would make more
        values than that: neighbours are combined as buckets are (peak gauges, mean rates).
        ``since``: only points after that instant (a live tail)."""
        wanted = set(self.seen) if nodes is None else set(nodes) & set(self.seen)
        if max_values is not None:
            max_points = min(max_points, max_values // max(1, len(wanted) * len(SERIES)))
        points = [p for p in self.points() if since is None or p[0] > since]
        points = _thin(points, max(1, max_points))
        out: dict[str, dict[str, list[float | None]]] = {}
        for node in sorted(wanted):
            columns = [[row.get(node, (None,) * len(SERIES))[i] for _, row in points]
                       for i in range(len(SERIES))]
            present = {name: col for name, col in zip(SERIES, columns, strict=True)
                       if any(v is not None for v in col)}
            if present:
                out[node] = present
        return {"every": self.every, "t": [at for at, _ in points], "nodes": out}

    def rows(self) -> Iterable[tuple[float, str, Values]]:
        """``(t, node, values)`` for every full-resolution and bucketed point, oldest first."""
        for at, row in self.points():
            for node in sorted(row):
                yield at, node, row[node]


def _thin(points: list[tuple[float, dict[str, Values]]],
          limit: int) -> list[tuple[float, dict[str, Values]]]:
    """At most ``limit`` points: consecutive groups folded like buckets."""
    if len(points) <= limit:
        return points
    size = math.ceil(len(points) / limit)
    thinned = []
    for i in range(0, len(points), size):
        bucket = Bucket(points[i][0], points[i][0], 0)
        for at, row in points[i:i + size]:
            bucket.add(at, row)
        thinned.append((bucket.end, {n: v for n in bucket.total
                                     if (v := bucket.summary(n)) is not None}))
    return thinned


def read_all(sim: Simulation, recorder: Recorder) -> dict[str, Values]:
    """Every store's values now, by node id."""
    from .metrics_readers import READERS
    row: dict[str, Values] = {}
    for name, model in sim.brokers.items():
        reader = READERS.get(name)
        if reader is not None:
            for node, values in reader(model, recorder):
                row[node] = tuple(values.get(series) for series in SERIES)
    return row
