"""Hypothesis: random Kafka sessions conserve records, only move offsets forward, never lose
a committed record while it is retained, and replay identically.

A state machine drives random sends (keys, partitions, acks), polls, commits, consumers
joining / closing / crashing, seeks, broker kills and restores, lost produce responses,
partition growth and clock advances (which run replication, session timeouts, auto-commits,
retention and compaction). Invariants after every step:
- conservation: every record id is in exactly one log, or its last event is terminal;
- offsets only grow: each partition's log start and high watermark never go back, and
  log start <= high watermark <= log end;
- a record once below the high watermark (committed, in Kafka's sense) is never "lost": it
  stays in its log until retention, compaction or topic deletion removes it;
- transactions (KIP-98): the last stable offset never passes the high watermark, and a
  read_committed consumer never gets a marker or a record of an aborted transaction;
- the same seed and operations give the same event list.
"""

from contextlib import suppress

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from engine import EngineError, Simulation
from engine.invariants import budget_violations, conservation_violations
from engine.kafka import TERMINAL_KINDS

GROUPS = {"billing": "range", "audit": "roundrobin", "sticky": "cooperative-sticky"}
REMOVED_KINDS = {"retention-deleted", "compacted", "deleted"}


class World:
    def __init__(self, seed):
        self.sim = Simulation(seed)
        self.events = []
        self.sim.subscribe(self.events.append)
        kafka = self.sim.kafka
        kafka.create_topic("orders", num_partitions=3, replication_factor=3,
                           config={"min.insync.replicas": 2, "retention.ms": 400_000})
        kafka.create_topic("prices", num_partitions=2, replication_factor=2,
                           config={"cleanup.policy": "compact", "delete.retention.ms": 1000})
        self.consumers = []
        self.txn_producers = []
        self.read_committed_got = []  # (partition, record) pairs read_committed polls returned

    def perform(self, op):
        name, *args = op
        with suppress(EngineError):  # a refused call leaves the state unchanged
            getattr(self, f"do_{name}")(*args)

    def do_send(self, topic, key, partition, acks, value, count):
        kafka = self.sim.kafka
        name = f"p-{acks}"
        producer = kafka.producers.get(name) or kafka.producer(acks=acks, client_id=name)
        for _ in range(count):
            producer.send(topic, value=value, key=key, partition=partition)

    def do_send_lingering(self, topic, key, acks, value, count):
        """A producer with linger.ms and a small batch.size: its records wait in batches
        that go out on the clock, when full, or refused whole."""
        kafka = self.sim.kafka
        name = f"lingering-{acks}"
        producer = kafka.producers.get(name) or kafka.producer(
            acks=acks, client_id=name, linger_ms=5, batch_size=8)
        for _ in range(count):
            producer.send(topic, value=value, key=key)

    def do_join(self, group, topics, reset, auto_commit, isolation="read_uncommitted"):
        consumer = self.sim.kafka.consumer(
            group_id=group, auto_offset_reset=reset, enable_auto_commit=auto_commit,
            partition_assignment_strategy=GROUPS[group], session_timeout_ms=10_000,
            isolation_level=isolation)
        self.consumers.append(consumer)
        consumer.subscribe(topics)

    def do_consumer(self, action, index, *args):
        """Call ``action`` (poll, commit, seek_to_beginning, close, crash) on a live consumer."""
        live = [c for c in self.consumers if c.state == "active"]
        if live:
            consumer = live[index % len(live)]
            got = getattr(consumer, action)(*args)
            if action == "poll" and consumer.read_committed:
                self.read_committed_got += [(self.sim.kafka.partition((r.topic, r.partition)), r)
                                            for r in got]

    def do_txn(self, action, *args):
        """A transactional producer ("tx"): a new one fences the last; the others act on the
        newest (or, with ``old``, on the one before it: a fenced producer)."""
        kafka = self.sim.kafka
        if action == "new":
            producer = kafka.producer(transactional_id="tx")
            self.txn_producers.append(producer)
            producer.init_transactions()
            return
        if not self.txn_producers:
            return
        old, *rest = args
        producer = self.txn_producers[-2 if old and len(self.txn_producers) > 1 else -1]
        if action == "send":
            producer.send(*rest)
        elif action == "offsets":
            producer.send_offsets_to_transaction({("orders", 0): rest[0]}, "billing")
        else:
            getattr(producer, action)()

    def do_poll_all(self):
        for consumer in self.consumers:
            if consumer.state == "active":
                got = consumer.poll()
                if consumer.read_committed:
                    self.read_committed_got += [
                        (self.sim.kafka.partition((r.topic, r.partition)), r) for r in got]

    def do_kill(self, broker):
        self.sim.kafka.kill_broker(broker)

    def do_restore(self, broker):
        self.sim.kafka.restore_broker(broker)

    def do_lose_response(self):
        self.sim.kafka.lose_produce_responses(1)

    def do_grow(self, count):
        self.sim.kafka.create_partitions("orders", count)

    def do_recreate_prices(self):
        """Delete the compacted topic (its records end as 'deleted') and create it afresh."""
        self.sim.kafka.delete_topic("prices")
        self.sim.kafka.create_topic("prices", num_partitions=2, replication_factor=2,
                                    config={"cleanup.policy": "compact"})

    def do_advance(self, seconds):
        self.sim.advance(seconds)


class KafkaSessions(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.seed = 5
        self.world = World(self.seed)
        self.ops = []
        self.watermarks = {}
        self.committed_ids = set()

    def run(self, *op):
        self.ops.append(op)
        self.world.perform(op)

    @rule(topic=st.sampled_from(["orders", "prices"]),
          key=st.none() | st.sampled_from(["a", "b", "c", "d"]),
          partition=st.none() | st.integers(0, 3), acks=st.sampled_from([0, 1, "all"]),
          value=st.none() | st.integers(0, 99), count=st.integers(1, 4))
    def send(self, topic, key, partition, acks, value, count):
        self.run("send", topic, key, partition, acks, value, count)

    @rule(topic=st.sampled_from(["orders", "prices"]), key=st.sampled_from(["a", "b", "c"]),
          acks=st.sampled_from([0, 1, "all"]), value=st.integers(0, 999),
          count=st.integers(1, 5))
    def send_lingering(self, topic, key, acks, value, count):
        self.run("send_lingering", topic, key, acks, value, count)

    @rule(group=st.sampled_from(sorted(GROUPS)),
          topics=st.sampled_from([["orders"], ["prices"], ["orders", "prices"]]),
          reset=st.sampled_from(["earliest", "latest"]), auto_commit=st.booleans(),
          isolation=st.sampled_from(["read_uncommitted", "read_committed"]))
    def join(self, group, topics, reset, auto_commit, isolation):
        self.run("join", group, topics, reset, auto_commit, isolation)

    @rule(action=st.sampled_from(["new", "begin_transaction", "commit_transaction",
                                  "abort_transaction", "close"]), old=st.booleans())
    def transaction(self, action, old):
        self.run("txn", action, old)

    @rule(old=st.booleans(), topic=st.sampled_from(["orders", "prices"]),
          value=st.integers(0, 99), key=st.sampled_from(["a", "b"]),
          partition=st.none() | st.integers(0, 1))
    def transactional_send(self, old, topic, value, key, partition):
        self.run("txn", "send", old, topic, value, key, partition)

    @rule(offset=st.integers(0, 20))
    def transactional_offsets(self, offset):
        self.run("txn", "offsets", False, offset)

    @rule(index=st.integers(0, 5), max_records=st.integers(1, 4))
    def poll(self, index, max_records):
        self.run("consumer", "poll", index, 0, max_records)

    @rule()
    def poll_all(self):
        self.run("poll_all")

    @rule(action=st.sampled_from(["commit", "seek_to_beginning", "close", "crash"]),
          index=st.integers(0, 5))
    def consumer_action(self, action, index):
        self.run("consumer", action, index)

    @rule(broker=st.integers(1, 9))  # brokers 4..9 do not exist: most kills are refused
    def kill(self, broker):
        self.run("kill", broker)

    @rule(broker=st.integers(1, 3))
    def restore(self, broker):
        self.run("restore", broker)

    @rule()
    def lose_response(self):
        self.run("lose_response")

    @rule(count=st.integers(3, 5))
    def grow(self, count):
        self.run("grow", count)

    @rule()
    def recreate_prices(self):
        self.run("recreate_prices")

    @rule(seconds=st.sampled_from([0, 0, 1, 6, 12, 300]))
    def advance(self, seconds):
        self.run("advance", seconds)

    @invariant()
    def the_last_stable_offset_stays_at_or_below_the_high_watermark(self):
        for topic in self.world.sim.kafka.topics.values():
            for partition in topic.partitions:
                assert partition.last_stable_offset <= partition.high_watermark

    @invariant()
    def read_committed_never_gets_a_marker_or_an_aborted_record(self):
        for partition, record in self.world.read_committed_got:
            assert record.control is None
            assert partition is None or not partition.is_aborted(record), record

    @invariant()
    def the_rooms_account_matches_a_scan(self):
        assert budget_violations(self.world.sim) == []

    @invariant()
    def every_record_is_in_one_log_or_ended(self):
        problems = conservation_violations(self.world.events, self.world.sim.locations(),
                                           terminal=TERMINAL_KINDS)
        assert problems == []

    @invariant()
    def log_start_high_watermark_and_log_end_stay_in_order_and_only_grow(self):
        for topic in self.world.sim.kafka.topics.values():
            for partition in topic.partitions:
                log = partition.log
                assert log.log_start <= partition.high_watermark <= log.log_end, partition.name
                now = (log.log_start, partition.high_watermark)
                before = self.watermarks.get(partition, (0, 0))  # a re-created topic starts over
                assert now[0] >= before[0] and now[1] >= before[1], partition.name
                self.watermarks[partition] = now
                offsets = [r.offset for r in partition.log.records()]
                assert offsets == sorted(set(offsets))
                self.committed_ids.update(r.id for r in partition.log.records()
                                          if r.offset < partition.high_watermark)

    @invariant()
    def committed_records_leave_only_by_retention_compaction_or_deletion(self):
        last = {}
        for event in self.world.events:
            if event.message_id in self.committed_ids:
                last[event.message_id] = event.kind
        located = {record_id for record_id, _ in self.world.sim.locations()}
        for record_id in self.committed_ids - located:
            assert last[record_id] in REMOVED_KINDS, (record_id, last[record_id])

    def teardown(self):
        replay = World(self.seed)
        for op in self.ops:
            replay.perform(op)
        assert replay.events == self.world.events


KafkaSessions.TestCase.settings = settings(max_examples=120, stateful_step_count=40,
                                           deadline=None)
test_random_kafka_sessions_conserve_records_and_replay_identically = KafkaSessions.TestCase
