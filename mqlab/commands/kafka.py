"""Apache Kafka in the playground: the commands a room offers, the simulated apps they start,
and the Kafka presets.

Every command is a call a Kafka user makes: the admin client's createTopics /
createPartitions / deleteTopics, a producer's ``send`` (by hand, as ``kafka-console-producer``
would, or from a simulated service at a steady rate), and consumer applications that run the
usual loop: ``poll``, process each record in turn (its processing time), and commit in one of
three ways:

* ``auto``: ``enable.auto.commit=true``; the client commits the positions poll reached every
  ``auto.commit.interval.ms`` (5 s), before a rebalance takes partitions away, and on close
  (KafkaConsumer javadoc, "Automatic Offset Committing");
* ``after-processing``: auto-commit off, ``commitSync`` of the processed records' offsets
  once the whole poll is done ("Manual Offset Control": at-least-once);
* ``manual``: auto-commit off; the learner commits by hand (``commitSync()`` of the current
  positions);
* ``transactional``: read-process-write (KIP-98): each processed record is written to an
  output topic by the app's transactional producer (``transactional.id`` = group + name), and
  once the poll is done the input offsets go in the same transaction
  (``send_offsets_to_transaction``) and it commits. The side effect *is* the committed
  transaction, so the ledger records it at the commit: a crash before it aborts (by timeout,
  or when an app of the same name starts again and fences the dead one) and the next owner
  reprocesses with no duplicate in the output that read_committed readers see.

Each consumer group stands for one service: its members share a side-effect ledger, so a
record processed twice (a crash before the commit, a rebalance before a by-hand commit, a
replay) shows up as a ``duplicate-side-effect`` event. A rebalance never lands in the middle of
a poll's records: a member rejoins only from its next poll (see engine/kafka/coordinator.py).
An app polls again as soon as it has processed what it got; with nothing to read it waits
``fetch.max.wait.ms`` (500 ms, the consumer's default) before the next poll.

Transactions (KIP-98; engine/kafka/transactions.py) are driven by hand: ``init_transactions``
makes a transactional producer (a second one with the same ``transactional.id`` fences the
first), then ``begin_transaction``, ``send_in_transaction``, ``commit_transaction`` or
``abort_transaction`` act on it by name; a consumer app with ``isolation.level=read_committed``
reads only below each partition's last stable offset and never sees aborted records.

Kafka's errors reach the learner under their Java class names ("NotEnoughReplicasException:
..."), as a Kafka client would print them: ``mqlab.rooms`` shows every broker's errors under
the broker's own names. Everything runs on the simulation's virtual clock, so rooms replay
deterministically.
"""

from __future__ import annotations

from collections import deque
from contextlib import suppress
from typing import Any

from engine import Simulation
from engine.apps import kinds
from engine.apps.adapters.base import report_refusal
from engine.apps.adapters.kafka import KafkaProducerAdapter
from engine.apps.keys import KeyChooser
from engine.apps.ledger import Ledger
from engine.apps.producer import Producer
from engine.clock import Timer
from engine.errors import EngineError
from engine.kafka import Consumer as KafkaConsumer
from engine.kafka import Producer as KafkaProducer
from engine.kafka import Record, TopicPartition
from engine.kafka.events import preview
from mqlab.commands import ArgumentError, BrokerKit, Command, Field, Preset, _kafka_api
from mqlab.commands import _producers as producers

#: fetch.max.wait.ms default: an empty poll returns after this long (consumer configs).
POLL_WAIT = 0.5
#: The hand producer, as kafka-console-producer would be.
YOU = "you"
STRATEGIES = (("range", "range (Kafka's default)"), ("roundrobin", "roundrobin"),
              ("cooperative-sticky", "cooperative-sticky (incremental)"))
COMMIT_MODES = (("after-processing", "commitSync after processing (at-least-once)"),
                ("auto", "auto-commit every 5 s (enable.auto.commit)"),
                ("manual", "manual (commit by hand)"),
                ("transactional", "transactional: write output + offsets atomically"))
ISOLATION = (("read_uncommitted", "read_uncommitted (Kafka's default: everything)"),
             ("read_committed", "read_committed (only committed transactions)"))
RESETS = (("earliest", "earliest (read the log from its start)"),
          ("latest", "latest (only new records; Kafka's default)"))
ACKS = (("all", "all (every in-sync replica)"), ("1", "1 (the leader only)"),
        ("0", "0 (fire and forget)"))
KEY_ORDERS = (("cycle", "keys in turn"), ("uniform", "random key each time"))
CLEANUP = (("", "default (delete)"), ("delete", "delete"), ("compact", "compact"),
           ("compact,delete", "compact,delete"))


class ConsumerApp:
    """A simulated service: one KafkaConsumer in a poll-process-commit loop."""

    def __init__(self, lab: Lab, name: str, group: str, topics: list[str], strategy: str,
                 commit: str, processing_time: float, auto_offset_reset: str,
                 max_poll_records: int, isolation_level: str = "read_uncommitted",
                 output_topic: str | None = None) -> None:
        self.lab = lab
        self.output_topic = output_topic
        #: records processed in the open transaction (transactional mode)
        self.in_transaction: list[Record] = []
        self.name = name
        self.group = group
        self.topics = topics
        self.strategy = strategy
        self.commit_mode = commit
        self.processing_time = processing_time
        self.auto_offset_reset = auto_offset_reset
        self.max_poll_records = max_poll_records
        self.isolation_level = isolation_level
        self.client: KafkaConsumer = lab.sim.kafka.consumer(
            group_id=group, client_id=name, auto_offset_reset=auto_offset_reset,
            enable_auto_commit=commit == "auto", partition_assignment_strategy=strategy,
            isolation_level=isolation_level)
        self.producer: KafkaProducer | None = None
        if commit == "transactional":
            self.producer = lab.transactional_app_producer(name, f"{group}-{name}")
        self.ledger = lab.ledgers.setdefault(group, Ledger(group))
        self.in_hand: deque[Record] = deque()
        #: offset after the last record processed since the last commit, per partition
        self.processed: dict[TopicPartition, int] = {}
        self.timer: Timer | None = None

    def start(self) -> None:
        try:
            self.client.subscribe(self.topics)
        except EngineError:
            self.client.close()  # the app gives up; its client goes away with it
            raise
        self.timer = self.lab.sim.call_soon(self._poll)

    @property
    def running(self) -> bool:
        return self.client.alive

    def _poll(self) -> None:
        self.timer = None
        records = self.client.poll(max_records=self.max_poll_records)
        if not records:
            self.timer = self.lab.sim.call_later(POLL_WAIT, self._poll)
            return
        self.in_hand.extend(records)
        self._next()

    def _next(self) -> None:
        if self.in_hand:
            self.timer = self.lab.sim.call_later(self.processing_time, self._done,
                                                 self.in_hand[0])
            return
        if self.commit_mode == "after-processing":
            self.commit_processed()
        elif self.producer is not None:
            self.commit_transaction()
        self.timer = self.lab.sim.call_soon(self._poll)

    def _done(self, record: Record) -> None:
        self.in_hand.popleft()
        tp = TopicPartition(record.topic, record.partition)
        self.processed[tp] = record.offset + 1
        if self.producer is not None:
            self._write_output(record)  # its side effect happens when the transaction commits
        else:
            self._side_effect(record, "processed it a second time: a duplicate side effect",
                              "processed", "")
        self._next()

    def _write_output(self, record: Record) -> None:
        """Transactional mode: the processed record's output joins the open transaction."""
        producer = self.producer
        assert producer is not None and self.output_topic is not None
        try:
            if producer.txn_state == "READY":
                producer.begin_transaction()
            producer.send(self.output_topic, value=f"processed {preview(record.value, 60)}",
                          key=record.key if isinstance(record.key, str | bytes) else None,
                          headers=[("source", record.id)])
        except EngineError as error:
            report_refusal(self.lab.sim, "kafka", producer.node, self.name, "send", error)
            return
        self.in_transaction.append(record)

    def commit_transaction(self) -> None:
        """Send the processed offsets to the transaction and commit it; the records'
        side effects happen now, once (the ledger), or not at all (abort)."""
        producer = self.producer
        assert producer is not None
        assigned = set(self.client.assignment())
        offsets = {tp: offset for tp, offset in self.processed.items() if tp in assigned}
        self.processed.clear()
        done, self.in_transaction = self.in_transaction, []
        if producer.txn_state != "IN_TRANSACTION" and producer.txn_state != "ABORTABLE_ERROR":
            return
        try:
            if offsets and producer.txn_state == "IN_TRANSACTION":
                producer.send_offsets_to_transaction(offsets, self.group)
            producer.commit_transaction()
        except EngineError as error:
            report_refusal(self.lab.sim, "kafka", producer.node, self.name,
                           "commit_transaction", error)
            if not producer.fenced:
                with suppress(EngineError):  # the abort's own refusal was just reported
                    producer.abort_transaction()
            return
        for record in done:
            self._side_effect(record, "committed it a second time: a duplicate",
                              "committed its output for", " in a transaction")

    def _side_effect(self, record: Record, twice: str, once: str, suffix: str) -> None:
        """The ledger records the record's side effect; an event says whether it is new."""
        tp = TopicPartition(record.topic, record.partition)
        again = self.ledger.perform(record.id)
        kind = kinds.DUPLICATE_SIDE_EFFECT if again else kinds.SIDE_EFFECT
        self.lab.sim.emit(kind, "kafka", source=self.client.node,
                          reason=f"{self.name} {twice if again else once} offset "
                          f"{record.offset} of {tp} ({preview(record.value, 40)}){suffix}",
                          details={"consumer": self.name, "group": self.group,
                                   "key": record.id, "partition": record.partition,
                                   "offset": record.offset})

    def commit_processed(self) -> None:
        """commitSync of the offsets this app processed since its last commit, on the
        partitions it still owns (a partition a rebalance took away is its new owner's to
        commit; committing it from here could move the group's offset back)."""
        assigned = set(self.client.assignment())
        offsets = {tp: offset for tp, offset in self.processed.items() if tp in assigned}
        self.processed.clear()
        if not offsets:
            return
        try:
            self.client.commit(offsets)
        except EngineError as error:
            report_refusal(self.lab.sim, "kafka", self.client.node, self.name, "commitSync",
                           error)

    def rewind(self) -> None:
        """After a seek: drop the records in hand (unprocessed) and poll from the new position."""
        self._stop_working()
        self.in_hand.clear()
        self.timer = self.lab.sim.call_soon(self._poll)

    def _stop_working(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def close(self) -> None:
        """Graceful: stop the loop, commit what was processed, close (leave the group)."""
        self._stop_working()
        if self.commit_mode == "after-processing":
            self.commit_processed()
        elif self.producer is not None:
            self.commit_transaction()
            self.producer.close()
        self.client.close()

    def crash(self) -> None:
        self._stop_working()
        self.client.crash()


class Lab:
    """A room's Kafka: the hand producer, simulated producers and consumer applications."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.kafka = sim.kafka
        self.consumers: dict[str, ConsumerApp] = {}
        self.producers: dict[str, Producer] = {}
        self.ledgers: dict[str, Ledger] = {}
        #: transactional producers by client id, in the order they were made
        self.transactional: dict[str, KafkaProducer] = {}
        self._hand: Any = None

    def hand_producer(self, acks: str) -> Any:
        """The learner's producer; a different acks is a new producer (a new client)."""
        if self._hand is not None and self._hand.acks != acks:
            self._hand.close()
            self._hand = None
        if self._hand is None:
            self._hand = self.kafka.producer(client_id=YOU, acks=acks)
        return self._hand

    def consumer(self, name: str) -> ConsumerApp:
        app = self.consumers.get(name)
        if app is None or not app.running:
            known = ", ".join(self.live_consumers()) or "none yet"
            raise ArgumentError("consumer", f"no running consumer {name!r}; running: {known}")
        return app

    def transactional_app_producer(self, app: str, transactional_id: str) -> KafkaProducer:
        """A consumer app's own transactional producer. An app started again under the same
        name has the same transactional.id, so its init_transactions fences the dead
        instance and aborts its open transaction (KIP-98 "Fencing")."""
        number = 1
        while f"{app}-txn-{number}" in self.kafka.producers:
            number += 1
        producer = self.kafka.producer(client_id=f"{app}-txn-{number}",
                                       transactional_id=transactional_id)
        producer.init_transactions()
        for other in list(self.kafka.producers.values()):
            if other is not producer and other.fenced and \
                    other.transactional_id == transactional_id:
                other.close()  # the dead instance's client goes from the drawing
        return producer

    def transactional_producer(self, name: str) -> KafkaProducer:
        producer = self.transactional.get(name)
        if producer is None or producer.closed:
            known = ", ".join(self.live_transactional()) or "none yet: init_transactions first"
            raise ArgumentError("producer", f"no transactional producer {name!r}; there are: "
                                f"{known}")
        return producer

    def live_transactional(self) -> list[str]:
        return [name for name, p in self.transactional.items() if not p.closed]

    def live_consumers(self) -> list[str]:
        return [name for name, app in self.consumers.items() if app.running]

    def topic(self, name: str, field: str = "topic") -> Any:
        topic = self.kafka.topics.get(name)
        if topic is None:
            known = ", ".join(self.kafka.list_topics()) or "none yet: create one first"
            raise ArgumentError(field, f"no topic {name!r}; topics: {known}")
        return topic


# -- fields shared by several commands ------------------------------------------------------

def _topics(lab: Lab) -> list[str]:
    return lab.kafka.list_topics()


def _groups(lab: Lab) -> list[str]:
    return sorted(lab.kafka.groups)


TOPIC = Field("topic", "Topic", required=True, suggest=_topics)
CONSUMER = Field("consumer", "Consumer", required=True, suggest=lambda lab: lab.live_consumers())
BROKER = Field("broker", "Broker", "choice", required=True, default="1",
               choices=(("1", "broker 1"), ("2", "broker 2"), ("3", "broker 3")))
STRATEGY = Field("strategy", "Assignment strategy", "choice", default="range",
                 choices=STRATEGIES, help="partition.assignment.strategy; every member of a "
                 "group must use the same one.")
TXN_PRODUCER = Field("producer", "Producer", required=True,
                     suggest=lambda lab: lab.live_transactional(),
                     help="A producer made by 'New transactional producer'.")
ACKS_FIELD = Field("acks", "acks", "choice", default="all", choices=ACKS,
                   help="all: refused while the ISR is below min.insync.replicas.")


# -- topics ----------------------------------------------------------------------------------

#: Form fields -> the topic configs they set (Kafka documentation, "Topic-Level Configs").
TOPIC_CONFIGS = {"retention_ms": "retention.ms", "retention_bytes": "retention.bytes",
                 "cleanup_policy": "cleanup.policy",
                 "min_insync_replicas": "min.insync.replicas"}


def create_topic(lab: Lab, name: str, partitions: int, replication_factor: int,
                 config: dict | None, **named: Any) -> str:
    table = dict(config or {})
    for field_name, value in named.items():
        if value not in (None, ""):
            table[TOPIC_CONFIGS[field_name]] = value
    described = lab.kafka.create_topic(name, num_partitions=partitions,
                                       replication_factor=replication_factor,
                                       config=table or None)
    leaders = ", ".join(f"P{p['partition']} on broker {p['leader']}"
                        for p in described["partitions"])
    extras = f" with {', '.join(f'{k}={v}' for k, v in table.items())}" if table else ""
    return (f"created topic {name!r}: {partitions} partition(s), replication factor "
            f"{replication_factor}{extras}; leaders: {leaders}")


def add_partitions(lab: Lab, topic: str, total: int) -> str:
    lab.kafka.create_partitions(topic, total)
    return (f"topic {topic!r} now has {total} partitions; keys may now hash to other "
            "partitions, so per-key order across the change is not kept")


def delete_topic(lab: Lab, topic: str) -> str:
    records = sum(len(p.log) for p in lab.topic(topic).partitions)
    lab.kafka.delete_topic(topic)
    return f"deleted topic {topic!r} and its {records} record(s)"


# -- producing -------------------------------------------------------------------------------

def produce(lab: Lab, topic: str, key: str | None, value: str, partition: int | None,
            headers: dict | None, acks: str, count: int, batched: bool = False) -> str:
    lab.topic(topic)
    sender = lab.hand_producer(acks)
    pairs = [(name, str(v)) for name, v in (headers or {}).items()]
    numbers = [producers.next_number(lab) for _ in range(count)]
    records = [{"value": value.replace("{n}", str(n)),
                "key": None if key is None else key.replace("{n}", str(n)),
                "partition": partition, "headers": pairs or None} for n in numbers]
    # send_batch: one batch per partition, accepted or refused whole (producer.py)
    metas = sender.send_batch(topic, records) if batched else \
        [sender.send(topic, **record) for record in records]
    landed = [f"P{meta.partition}@{meta.offset}" if meta.offset >= 0
              else f"P{meta.partition} (lost: no leader, acks=0)" for meta in metas]
    how = ("the partition you chose" if partition is not None else
           "murmur2(key) % partitions" if key is not None else "the sticky partitioner")
    shown = ", ".join(landed[:10]) + (f" ... ({count} records)" if count > 10 else "")
    return f"sent to {topic!r} by {how}: {shown}"


def _key_chooser(keys: str | None, order: str) -> KeyChooser | None:
    if not keys:
        return None
    names = tuple(dict.fromkeys(k.strip() for k in keys.split(",") if k.strip()))
    if not names:
        raise ArgumentError("keys", "Keys must name at least one key, e.g. alice, bob, carol")
    return KeyChooser(order, names)


def start_producer(lab: Lab, name: str, topic: str, rate: float, body: str, keys: str | None,
                   key_order: str, acks: str, limit: int | None) -> str:
    lab.topic(topic)
    producers.check_new(lab, name, body)
    chooser = _key_chooser(keys, key_order)
    adapter = KafkaProducerAdapter(lab.sim, name, topic, acks=acks)
    producers.start(lab, name, adapter, rate, body, limit, keys=chooser)
    keyed = f" keyed by {', '.join(chooser.keys)}" if chooser else " without keys"
    return f"producer {name!r} sends {rate:g} record(s)/s to {topic!r}{keyed} (acks={acks})"


def stop_producer(lab: Lab, producer: str) -> str:
    return producers.stop(lab, producer)


# -- consumers -------------------------------------------------------------------------------

def add_consumer(lab: Lab, name: str, group: str, topic: str, strategy: str, commit: str,
                 processing_time: float, auto_offset_reset: str, max_poll_records: int,
                 isolation_level: str = "read_uncommitted",
                 output_topic: str | None = None) -> str:
    if name in lab.live_consumers() or name in lab.kafka.consumers:
        raise ArgumentError("name", f"a consumer named {name!r} is already in the cluster; "
                            "pick another name")
    topics = [t.strip() for t in topic.split(",") if t.strip()]
    for each in topics:
        lab.topic(each)
    if commit == "transactional":
        if not output_topic:
            raise ArgumentError("output_topic", "a transactional consumer writes its output "
                                "to a topic: give the output topic")
        lab.topic(output_topic, "output_topic")
    app = ConsumerApp(lab, name, group, topics, strategy, commit, processing_time,
                      auto_offset_reset, max_poll_records, isolation_level,
                      output_topic if commit == "transactional" else None)
    app.start()
    lab.consumers[name] = app
    isolation = ", read_committed" if isolation_level == "read_committed" else ""
    return (f"consumer {name!r} joins group {group!r} on {', '.join(topics)} ({strategy}, "
            f"{commit} commits, {processing_time:g}s per record{isolation})")


def close_consumer(lab: Lab, consumer: str) -> str:
    """Graceful: commit what it processed, leave the group at once (a rebalance follows)."""
    app = lab.consumer(consumer)
    app.close()
    return f"consumer {consumer!r} committed, left group {app.group!r} and closed"


def crash_consumer(lab: Lab, consumer: str) -> str:
    app = lab.consumer(consumer)
    app.crash()
    timeout = app.client.session_timeout_ms / 1000
    return (f"consumer {consumer!r} crashed without committing; group {app.group!r} notices "
            f"after the session timeout ({timeout:g} s) and rebalances")


def change_strategy(lab: Lab, group: str, strategy: str) -> str:
    """Every member restarts with the new strategy (a group shares one assignor)."""
    members = lab.kafka.groups.get(group)
    apps = [app for app in lab.consumers.values() if app.group == group and app.running]
    if members is None or not apps:
        raise ArgumentError("group", f"no running consumer in group {group!r}; groups: "
                            f"{', '.join(_groups(lab)) or 'none yet'}")
    ours = {app.client.member_id for app in apps}
    stale = [c.client_id for m, c in members.members.items() if m not in ours]
    if stale:
        raise ArgumentError("group", f"group {group!r} still counts crashed member(s) "
                            f"{', '.join(stale)} until their session times out; a new "
                            "strategy is refused while they hold the old one")
    for app in apps:
        app.close()
    for app in apps:
        restarted = ConsumerApp(lab, app.name, group, app.topics, strategy, app.commit_mode,
                                app.processing_time, app.auto_offset_reset,
                                app.max_poll_records, app.isolation_level,
                                app.output_topic)
        restarted.start()
        lab.consumers[app.name] = restarted
    return (f"group {group!r}: {len(apps)} member(s) restarted with {strategy}; the group "
            "rebalances with the new assignor")


def commit(lab: Lab, consumer: str) -> str:
    app = lab.consumer(consumer)
    app.client.commit()
    positions = ", ".join(f"{tp}@{app.client.committed(tp)}"
                          for tp in app.client.assignment()) or "no partitions"
    return f"{consumer!r} committed its positions: {positions}"


def seek_to_beginning(lab: Lab, consumer: str) -> str:
    app = lab.consumer(consumer)
    if not app.client.assignment():
        raise ArgumentError("consumer", f"{consumer!r} owns no partition (it is idle); "
                            "seek a consumer that has partitions")
    app.client.seek_to_beginning()
    app.rewind()
    return (f"{consumer!r} rewinds {', '.join(map(str, app.client.assignment()))} to the log "
            "start: its next polls replay the retained records")


# -- transactions ----------------------------------------------------------------------------

def init_transactions(lab: Lab, transactional_id: str) -> str:
    """A new transactional producer: init_transactions fences any older producer with the
    same transactional.id and aborts its open transaction (KIP-98 "Fencing")."""
    older = [name for name, p in lab.transactional.items()
             if p.transactional_id == transactional_id and not p.closed]
    number = 1
    while f"{transactional_id}-{number}" in lab.kafka.producers or \
            f"{transactional_id}-{number}" in lab.transactional:
        number += 1
    name = f"{transactional_id}-{number}"
    producer = lab.kafka.producer(client_id=name, transactional_id=transactional_id)
    try:
        producer.init_transactions()
    except EngineError:
        producer.close()
        raise
    lab.transactional[name] = producer
    fenced = f"; {', '.join(older)} fenced: its next call fails" if older else ""
    return (f"producer {name!r} is ready with transactional.id {transactional_id!r} "
            f"(producer id {producer.producer_id}){fenced}")


def begin_transaction(lab: Lab, producer: str) -> str:
    lab.transactional_producer(producer).begin_transaction()
    return (f"{producer!r} began a transaction: what it sends now is invisible to "
            "read_committed consumers until it commits")


def send_in_transaction(lab: Lab, producer: str, topic: str, key: str | None, value: str,
                        partition: int | None, count: int) -> str:
    sender = lab.transactional_producer(producer)
    lab.topic(topic)
    landed = []
    for n in range(1, count + 1):
        meta = sender.send(topic, value=value.replace("{n}", str(n)),
                           key=None if key is None else key.replace("{n}", str(n)),
                           partition=partition)
        landed.append(f"P{meta.partition}@{meta.offset}")
    shown = ", ".join(landed[:10]) + (f" ... ({count} records)" if count > 10 else "")
    return (f"{producer!r} sent in its transaction to {topic!r}: {shown}; the partitions' "
            "last stable offset stays before them until the transaction ends")


def send_offsets(lab: Lab, producer: str, group: str, topic: str, partition: int,
                 offset: int) -> str:
    lab.transactional_producer(producer).send_offsets_to_transaction(
        {(topic, partition): offset}, group)
    return (f"offset {offset} of {topic}/{partition} for group {group!r} joins the "
            "transaction: the group gets it only if the transaction commits")


def commit_transaction(lab: Lab, producer: str) -> str:
    lab.transactional_producer(producer).commit_transaction()
    return (f"{producer!r} committed: COMMIT markers written; read_committed consumers now "
            "read its records")


def abort_transaction(lab: Lab, producer: str) -> str:
    lab.transactional_producer(producer).abort_transaction()
    return (f"{producer!r} aborted: ABORT markers written; read_committed consumers skip its "
            "records, read_uncommitted ones have read them anyway")


def close_producer(lab: Lab, producer: str) -> str:
    sender = lab.transactional_producer(producer)
    open_txn = sender.txn_state == "IN_TRANSACTION" and not sender.fenced
    sender.close()
    return f"{producer!r} closed" + ("; its open transaction was aborted" if open_txn else "")


# -- faults ----------------------------------------------------------------------------------

def kill_broker(lab: Lab, broker: str) -> str:
    if not lab.kafka.cluster.alive[int(broker)]:
        return f"broker {broker} is already down"
    led = next(b["leads"] for b in lab.kafka.describe_cluster() if b["broker"] == int(broker))
    lab.kafka.kill_broker(int(broker))
    leaders = {f"{t}/{p['partition']}": p["leader"] for t in lab.kafka.list_topics()
               for p in lab.kafka.describe_topic(t)["partitions"]}
    moved = ", ".join(f"{name} -> broker {leaders[name]}" if leaders[name] is not None
                      else f"{name} offline (no in-sync replica alive)" for name in led)
    return f"broker {broker} is down; " + (f"new leaders: {moved}" if led else
                                            "it led no partition")


def restore_broker(lab: Lab, broker: str) -> str:
    if lab.kafka.cluster.alive[int(broker)]:
        return f"broker {broker} is already up"
    lab.kafka.restore_broker(int(broker))
    return (f"broker {broker} is back: its followers catch up and rejoin the ISR; the "
            "controller moves preferred leaders back at its next balance check (every 300 s)")


def lose_responses(lab: Lab, count: int) -> str:
    lab.kafka.lose_produce_responses(count)
    return (f"the next {count} produce response(s) are lost: producers retry, and only "
            "idempotent ones avoid writing a duplicate")


# -- the registry ----------------------------------------------------------------------------

COMMANDS = (
    Command("produce", "Produce", "Records", produce, (
        TOPIC,
        Field("key", "Key", placeholder="alice",
              help="Same key, same partition: murmur2(key) % partitions. {n} counts records."),
        Field("value", "Value", "textarea", default="order {n}",
              help="{n} becomes the record's number when producing several.",
              max_length=producers.BODY_CHARS),
        Field("partition", "Partition", "int", minimum=0,
              help="Leave blank to let the partitioner choose."),
        Field("headers", "Headers", "json", placeholder='{"source": "web"}'),
        ACKS_FIELD,
        producers.COUNT,
        Field("batched", "As one batch", "bool", default=False,
              help="send_batch: each partition's records travel as one batch, and a refused "
                   "batch fails every record in it."),
    ), help="producer.send() from your console producer."),
    Command("start_producer", "Start a producer", "Records", start_producer, (
        producers.NAME, TOPIC,
        producers.RATE, Field("body", "Value", default="{key} #{seq}",
                              help=producers.BODY_HELP),
        Field("keys", "Keys", placeholder="alice, bob, carol",
              help="Comma-separated record keys; blank sends without a key."),
        Field("key_order", "Key order", "choice", default="cycle", choices=KEY_ORDERS),
        ACKS_FIELD, producers.LIMIT,
    ), help="A simulated service sending records at a steady rate."),
    Command("stop_producer", "Stop a producer", "Records", stop_producer, (producers.PRODUCER,)),
    Command("create_topic", "Create topic", "Topics", create_topic, (
        Field("name", "Name", required=True, placeholder="orders"),
        Field("partitions", "Partitions", "int", default=3, minimum=1,
              maximum=producers.ROOM.max_partitions_per_topic),
        Field("replication_factor", "Replication factor", "int", default=3, minimum=1,
              help="Copies of each partition, on different brokers (at most 3 here). "
                   "Kafka's broker default is 1; production uses 3."),
        Field("min_insync_replicas", "min.insync.replicas", "int", minimum=1,
              help="acks=all writes need this many in-sync replicas (default 1)."),
        Field("retention_ms", "retention.ms", "int", minimum=-1,
              help="Delete records older than this (default 7 days; -1: keep forever)."),
        Field("retention_bytes", "retention.bytes", "int", minimum=-1,
              help="Per partition; -1 (default) means no size limit."),
        Field("cleanup_policy", "cleanup.policy", "choice", default="", choices=CLEANUP),
        Field("config", "Other configs", "json",
              placeholder='{"unclean.leader.election.enable": "true"}'),
    ), help="AdminClient.createTopics.", fresh=True),
    Command("add_partitions", "Add partitions", "Topics", add_partitions, (
        TOPIC, Field("total", "Total partitions", "int", required=True, minimum=1,
                     maximum=producers.ROOM.max_partitions_per_topic),
    ), help="Partitions can only grow. Keys then map to other partitions, so a key's new "
        "records can be read before its old ones."),
    Command("delete_topic", "Delete topic", "Topics", delete_topic, (TOPIC,), danger=True),
    Command("add_consumer", "Add consumer", "Consumers", add_consumer, (
        Field("name", "Name", required=True, placeholder="consumer-4",
              prefill=lambda lab: producers.free_name(lab, "consumer", lab.consumers),
              help="The client.id; the diagram shows one node per consumer."),
        Field("group", "Group", required=True, default="group-1", suggest=_groups),
        Field("topic", "Topic(s)", required=True, suggest=_topics,
              help="Comma-separated to subscribe to several."),
        STRATEGY,
        Field("commit", "Commit", "choice", default="after-processing", choices=COMMIT_MODES),
        Field("processing_time", "Processing time (s)", "float", default=1.0, minimum=0,
              maximum=3600, help="Per record."),
        Field("auto_offset_reset", "auto.offset.reset", "choice", default="earliest",
              choices=RESETS, help="Where a group with no committed offset starts."),
        Field("max_poll_records", "max.poll.records", "int", default=10, minimum=1,
              maximum=500, help="Records one poll may return (Kafka's default is 500)."),
        Field("isolation_level", "isolation.level", "choice", default="read_uncommitted",
              choices=ISOLATION, help="read_committed reads only below the last stable "
              "offset and skips aborted transactions."),
        Field("output_topic", "Output topic", suggest=_topics,
              help="Transactional commits: where each processed record's output is written."),
    ), help="A service joining a consumer group: a rebalance hands out the partitions."),
    Command("close_consumer", "Close consumer", "Consumers", close_consumer, (CONSUMER,),
            help="Graceful: commits, leaves the group at once; the group rebalances."),
    Command("change_strategy", "Change the strategy", "Consumers", change_strategy, (
        Field("group", "Group", required=True, suggest=_groups), STRATEGY,
    ), help="Restarts every member with the new assignor."),
    Command("commit", "Commit", "Consumers", commit, (CONSUMER,),
            help="commitSync(): stores the consumer's positions as the group's offsets."),
    Command("seek_to_beginning", "Seek to the beginning", "Consumers", seek_to_beginning,
            (CONSUMER,), help="Replay: read its partitions again from the log start."),
    Command("init_transactions", "New transactional producer", "Transactions",
            init_transactions, (
                Field("transactional_id", "transactional.id", required=True, default="txn-1",
                      help="A second producer with the same id fences the first."),
            ), help="KafkaProducer(transactional_id=...).init_transactions()"),
    Command("begin_transaction", "Begin transaction", "Transactions", begin_transaction,
            (TXN_PRODUCER,), help="begin_transaction()"),
    Command("send_in_transaction", "Send in transaction", "Transactions", send_in_transaction, (
        TXN_PRODUCER, TOPIC,
        Field("key", "Key", placeholder="alice"),
        Field("value", "Value", "textarea", default="order {n}",
              max_length=producers.BODY_CHARS),
        Field("partition", "Partition", "int", minimum=0,
              help="Leave blank to let the partitioner choose."),
        producers.COUNT,
    ), help="send() inside the open transaction."),
    Command("send_offsets", "Send offsets to transaction", "Transactions", send_offsets, (
        TXN_PRODUCER, Field("group", "Group", required=True, suggest=_groups), TOPIC,
        Field("partition", "Partition", "int", default=0, minimum=0),
        Field("offset", "Offset", "int", required=True, minimum=0),
    ), help="send_offsets_to_transaction(): committed to the group with the transaction."),
    Command("commit_transaction", "Commit transaction", "Transactions", commit_transaction,
            (TXN_PRODUCER,), help="commit_transaction(): COMMIT markers on every partition."),
    Command("abort_transaction", "Abort transaction", "Transactions", abort_transaction,
            (TXN_PRODUCER,), help="abort_transaction(): ABORT markers; the records stay in "
            "the log but read_committed skips them.", danger=True),
    Command("close_producer", "Close transactional producer", "Transactions", close_producer,
            (TXN_PRODUCER,), help="close(): aborts an open transaction."),
    Command("crash_consumer", "Crash consumer", "Faults", crash_consumer, (CONSUMER,),
            help="No leave, no commit: its partitions wait for the session timeout (45 s), "
                 "then the next owner re-reads what was not committed.", danger=True),
    Command("kill_broker", "Kill a broker", "Faults", kill_broker, (BROKER,),
            help="Its partitions' leadership moves to an in-sync follower.", danger=True),
    Command("restore_broker", "Restore a broker", "Faults", restore_broker, (BROKER,),
            help="It catches up from the leaders and rejoins the ISR."),
    Command("lose_responses", "Lose produce responses", "Faults", lose_responses, (
        Field("count", "How many", "int", default=1, minimum=1, maximum=100),
    ), help="The records are written but the producer does not hear so, and retries.",
        danger=True),
    _kafka_api.COMMAND,
)


# -- presets ---------------------------------------------------------------------------------

def _topic(name: str, partitions: int, replication: int = 3,
           **configs: Any) -> tuple[str, dict[str, Any]]:
    return ("create_topic", {"name": name, "partitions": partitions,
                             "replication_factor": replication, **configs})


def _consumer(name: str, group: str, topic: str, processing_time: float = 1.0,
              **options: Any) -> tuple[str, dict[str, Any]]:
    return ("add_consumer", {"name": name, "group": group, "topic": topic,
                             "processing_time": processing_time, **options})


def _producer(name: str, topic: str, rate: float, keys: str,
              **options: Any) -> tuple[str, dict[str, Any]]:
    return ("start_producer", {"name": name, "topic": topic, "rate": rate, "keys": keys,
                               **options})


PRESETS = (
    Preset("kafka", "kafka-consumer-group", "Partitions and a consumer group",
           "Topic orders has 3 partitions; group billing has 4 consumers. Each partition has "
           "exactly one reader in the group, so the 4th consumer sits idle. Close or crash "
           "one and watch the rebalance.", (
               _topic("orders", 3),
               _producer("checkout", "orders", 2.0, "alice, bob, carol, dave, erin"),
               _consumer("billing-1", "billing", "orders", 0.5),
               _consumer("billing-2", "billing", "orders", 0.5),
               _consumer("billing-3", "billing", "orders", 0.5),
               _consumer("billing-4", "billing", "orders", 0.5),
           )),
    Preset("kafka", "kafka-two-groups", "Two groups on one topic",
           "Groups fraud-check and analytics both read topic payments, each at its own pace "
           "with its own committed offsets and lag: a record is not removed by reading it.", (
               _topic("payments", 2),
               _producer("payments-api", "payments", 2.0, "acct-1, acct-2, acct-3, acct-4"),
               _consumer("fraud-1", "fraud-check", "payments", 0.3),
               _consumer("fraud-2", "fraud-check", "payments", 0.3),
               _consumer("analytics", "analytics", "payments", 2.0, commit="auto"),
           )),
    Preset("kafka", "kafka-keyed-ordering", "Keyed ordering",
           "Records with the same key land on the same partition (murmur2 of the key), so "
           "one producer's events for a customer stay in order (with the idempotent producer, "
           "the default since Kafka 3.0) until partitions are added, which moves keys; across "
           "partitions there is no order.", (
               _topic("customer-events", 4),
               _producer("crm", "customer-events", 1.5, "alice, bob, carol",
                         body="{key} event {seq}"),
               _consumer("projector-1", "projections", "customer-events", 0.5),
               _consumer("projector-2", "projections", "customer-events", 0.5),
           )),
    Preset("kafka", "kafka-broker-failure", "Broker failure and leader election",
           "Topic events: 3 partitions replicated on all 3 brokers, min.insync.replicas 2, "
           "acks=all. Kill a broker: its partitions elect a new leader from the ISR. Kill a "
           "second one: acks=all writes are refused (NotEnoughReplicasException).", (
               _topic("events", 3, min_insync_replicas=2),
               _producer("sensor", "events", 2.0, "s1, s2, s3, s4"),
               _consumer("dashboard-1", "dashboard", "events", 0.3),
               _consumer("dashboard-2", "dashboard", "events", 0.3),
           )),
)

KIT = BrokerKit(broker="kafka", new_lab=Lab, commands=COMMANDS, presets=PRESETS,
                groups=("Records", "Topics", "Consumers", "Transactions", "Faults"))
