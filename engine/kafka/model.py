"""``sim.kafka``: a Kafka cluster — topics, producers, consumers, groups, brokers.

The admin calls are shaped like Kafka's AdminClient (create_topic, delete_topic,
create_partitions, describe_topic), clients like the Java producer and consumer. The cluster
starts with 3 brokers (ids 1, 2, 3). Fault injection for lessons: ``kill_broker``,
``restore_broker`` and ``lose_produce_responses``.

Contents shown per node (``contents()``): a partition lists its newest 100 records, oldest
first, with the log start, log end, high watermark, leader, replicas, ISR and each group's
committed offset and lag; a consumer its assignment and positions; a group its members and
generation; a broker whether it is up and what it leads.

Transactions (``producer(transactional_id=...)``, ``consumer(isolation_level=...)``) are
KIP-98's: see transactions.py. Partitions show their last stable offset beside the high
watermark; markers are listed among a partition's records with ``marker`` set.

Time: a call acts at the current virtual instant. ``send`` appends to the leader at once and
returns the offset. With acks=all the in-sync followers copy the record before ``send``
returns; with acks=0/1 they copy it when the simulation next runs what is due
(``sim.advance(0)``), and only then does the high watermark pass it — so on a replicated
topic a consumer sees an acks=1 record after ``advance(0)``. A rebalance completes in the
same instant (at ``advance(0)`` or the group's next ``poll``). Session timeouts, auto-commits,
retention checks and the controller's leader balancing are timers on the virtual clock.

Subscribing to a topic that does not exist yet is allowed, as in Kafka: the group rebalances
when the topic is created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..broker import BrokerModel
from ..limits import over
from ..topology import CONSUMERS, PRODUCERS, ROUTERS, STORES, TopologyBuilder
from .arguments import is_whole, topic_partition, whole
from .assignors import TopicPartition
from .cleaner import LogCleaner
from .cluster import Cluster, Partition, place_replicas
from .consumer import Consumer
from .coordinator import Group
from .errors import (
    BrokerNotAvailableException,
    GroupIdNotFoundException,
    GroupMaxSizeReachedException,
    IllegalArgumentException,
    InvalidPartitionsException,
    InvalidReplicationFactorException,
    PolicyViolationException,
    TopicExistsException,
    UnknownTopicOrPartitionException,
)
from .events import (
    BROKER,
    BROKER_DOWN,
    BROKER_UP,
    CONSUMER_ADDED,
    CONSUMER_REMOVED,
    DECLARED,
    DELETED,
    PARTITIONS_ADDED,
    PRODUCER_ADDED,
    PRODUCER_REMOVED,
    REMOVED,
    broker_node,
    record_view,
    topic_node,
)
from .producer import Producer
from .topic import Topic, validate_config, validate_name
from .transactions import DEFAULT_TIMEOUT_MS, TransactionCoordinator

if TYPE_CHECKING:
    from ..simulation import Simulation

MAX_LISTED = 100


class Kafka(BrokerModel):
    name = BROKER

    def __init__(self, sim: Simulation, brokers: int = 3) -> None:
        super().__init__(sim)
        self.cluster = Cluster(list(range(1, brokers + 1)))
        self.topics: dict[str, Topic] = {}
        self.groups: dict[str, Group] = {}
        self.producers: dict[str, Producer] = {}
        #: the room's budget: records the partition logs hold
        self.stored = sim.account()
        self.consumers: dict[str, Consumer] = {}
        self.cleaner = LogCleaner(self)
        self._client_counters: dict[str, int] = {}
        self._incarnations: dict[str, int] = {}
        self._producer_ids = 0
        self.transactions = TransactionCoordinator(self)
        self._lost_responses = 0

    def emit(self, kind: str, message_id: str | None, source: str | None, target: str | None,
             reason: str = "", details: dict[str, Any] | None = None,
             cause: dict[str, Any] | None = None) -> None:
        self.sim.emit(kind, BROKER, message_id, source, target, reason, details, cause)

    # -- topics -------------------------------------------------------------------------------
    def create_topic(self, name: str, num_partitions: int = 1, replication_factor: int = 1,
                     config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Create a topic; its partitions' replicas are spread over the live brokers."""
        validate_name(name)
        if name in self.topics:
            raise TopicExistsException(f"Topic '{name}' already exists.")
        whole("num_partitions", num_partitions, 1, InvalidPartitionsException)
        whole("replication_factor", replication_factor, 1, InvalidReplicationFactorException)
        live = self.cluster.live()
        if replication_factor > len(live):
            raise InvalidReplicationFactorException(
                f"Replication factor: {replication_factor} larger than available brokers: "
                f"{len(live)} (live brokers {live})")
        limits = self.sim.limits
        if len(self.topics) >= limits.max_topics:
            raise PolicyViolationException(
                f"Topic {name!r} is refused: {over('topics', limits.max_topics)}")
        self._check_partition_cap(name, num_partitions, 0)
        incarnation = self._incarnations.get(name, 0) + 1
        topic = Topic(name, validate_config(config), incarnation)
        self._incarnations[name] = incarnation
        placement = place_replicas(live, num_partitions, replication_factor, self.sim.random)
        topic.partitions = [Partition(self, topic, i, replicas)
                            for i, replicas in enumerate(placement)]
        self.topics[name] = topic
        self.emit(DECLARED, None, None, topic_node(name),
                  f"topic {name} created with {num_partitions} partition(s), replication "
                  f"factor {replication_factor}", {"topic": name, "partitions": num_partitions,
                                                   "replication_factor": replication_factor,
                                                   "config": dict(topic.config)})
        self._metadata_changed(name, f"topic {name} was created")
        return self.describe_topic(name)

    def delete_topic(self, name: str) -> None:
        topic = self.topic(name)
        cause = {"rule": "topic-deleted", "topic": name}
        for partition in topic.partitions:
            for record in partition.log.records():
                self.emit(DELETED, record.id, partition.node, None,
                          f"topic {name} was deleted", {"partition": partition.name}, cause)
            partition.log.drop_all()
        del self.topics[name]
        topic.deleted = True
        self.cleaner.forget(topic)
        for group in self.groups.values():
            group.forget_topic(name)
        self.emit(REMOVED, None, topic_node(name), None, f"topic {name} deleted",
                  {"topic": name})
        self._metadata_changed(name, f"topic {name} was deleted")

    def create_partitions(self, name: str, total_count: int) -> dict[str, Any]:
        """Grow a topic to ``total_count`` partitions (Kafka never shrinks one). Keys may now
        hash to other partitions: per-key ordering across the change is not kept."""
        topic = self.topic(name)
        current = len(topic.partitions)
        whole("total_count", total_count, 1, InvalidPartitionsException)
        if total_count <= current:
            raise InvalidPartitionsException(
                f"Topic currently has {current} partitions, which is higher than or equal to "
                f"the requested {total_count}; partitions can only be added")
        self._check_partition_cap(name, total_count, current)
        replication = len(topic.partitions[0].replicas)
        live = self.cluster.live()
        if replication > len(live):
            raise InvalidReplicationFactorException(
                f"Replication factor: {replication} larger than available brokers: {len(live)}")
        first = topic.partitions[0].replicas[0]
        start = live.index(first) if first in live else -1
        placement = place_replicas(live, total_count - current, replication, self.sim.random,
                                   first_partition=current, fixed_start=start)
        topic.partitions.extend(Partition(self, topic, current + i, replicas)
                                for i, replicas in enumerate(placement))
        self.emit(PARTITIONS_ADDED, None, topic_node(name), None,
                  f"topic {name} grew from {current} to {total_count} partitions",
                  {"topic": name, "partitions": total_count})
        self._metadata_changed(name, f"topic {name} now has {total_count} partitions")
        return self.describe_topic(name)

    def _check_partition_cap(self, name: str, wanted: int, current: int) -> None:
        """The room's caps act as a create.topic.policy / alter.config.policy does: the
        request is refused with POLICY_VIOLATION (CreateTopicPolicy; KIP-108, KIP-195)."""
        limits = self.sim.limits
        if wanted > limits.max_partitions_per_topic:
            raise PolicyViolationException(
                f"Topic {name!r} may not have {wanted} partitions: "
                + over("partitions per topic", limits.max_partitions_per_topic))
        total = sum(len(t.partitions) for t in self.topics.values()) - current + wanted
        if total > limits.max_partitions:
            raise PolicyViolationException(
                f"Topic {name!r} with {wanted} partitions would make {total} in all: "
                + over("partitions", limits.max_partitions))

    def describe_topic(self, name: str) -> dict[str, Any]:
        topic = self.topic(name)
        return {"name": name, "config": dict(topic.config),
                "partitions": [self._describe_partition(p) for p in topic.partitions]}

    def list_topics(self) -> list[str]:
        return sorted(self.topics)

    @staticmethod
    def _describe_partition(partition: Partition) -> dict[str, Any]:
        log = partition.log
        return {"partition": partition.index, "leader": partition.leader,
                "replicas": list(partition.replicas), "isr": list(partition.isr),
                "log_start": log.log_start, "log_end": log.log_end,
                "high_watermark": partition.high_watermark,
                "last_stable_offset": partition.last_stable_offset,
                "leader_epoch": partition.leader_epoch}

    def topic(self, name: str) -> Topic:
        topic = self.topics.get(name) if isinstance(name, str) else None
        if topic is None:
            known = ", ".join(sorted(self.topics)) or "none yet"
            raise UnknownTopicOrPartitionException(
                f"topic {name!r} does not exist (topics: {known}); create it first")
        return topic

    def partition(self, tp: TopicPartition) -> Partition | None:
        name, index = tp
        topic = self.topics.get(name) if isinstance(name, str) else None
        if topic is None or not is_whole(index, 0) or index >= len(topic.partitions):
            return None
        return topic.partitions[index]

    def require_partition(self, tp: TopicPartition) -> Partition:
        topic = self.topic(tp[0])
        partition = self.partition(tp)
        if partition is None:
            raise UnknownTopicOrPartitionException(
                f"partition {tp[1]!r} of topic {tp[0]!r} does not exist; it has partitions "
                f"0..{len(topic.partitions) - 1}")
        return partition

    def _metadata_changed(self, topic: str, why: str) -> None:
        """Consumers see new metadata and their group rebalances (ConsumerCoordinator:
        a change in the subscribed topics' partitions triggers a rejoin)."""
        for group in self.groups.values():
            if topic in group.subscribed_topics():
                group.request_rebalance(why)

    # -- clients ------------------------------------------------------------------------------
    def producer(self, acks: Any = "all", enable_idempotence: bool = True,
                 client_id: str | None = None, batch_size: int = 16384,
                 transactional_id: str | None = None,
                 transaction_timeout_ms: int = DEFAULT_TIMEOUT_MS,
                 linger_ms: int = 0) -> Producer:
        """A producer (KafkaProducer). ``batch_size`` and ``linger_ms`` shape its batches
        (and ``batch_size`` the sticky partitioner); with a ``transactional_id`` it is
        transactional (call ``init_transactions()`` first)."""
        client_id = self._client_id(client_id, "producer-")
        producer = Producer(self, client_id, acks, enable_idempotence, batch_size,
                            transactional_id, transaction_timeout_ms, linger_ms)
        self.producers[client_id] = producer
        self.emit(PRODUCER_ADDED, None, producer.node, None, f"producer {client_id} created",
                  {"acks": producer.acks, "idempotent": producer.idempotent,
                   "transactional_id": transactional_id})
        return producer

    def consumer(self, group_id: str | None = None, client_id: str | None = None,
                 auto_offset_reset: str = "latest", enable_auto_commit: bool = True,
                 auto_commit_interval_ms: int = 5000,
                 partition_assignment_strategy: str = "range",
                 session_timeout_ms: int = 45000,
                 isolation_level: str = "read_uncommitted") -> Consumer:
        """A consumer (KafkaConsumer); it joins its group on ``subscribe``."""
        prefix = f"consumer-{group_id}-" if isinstance(group_id, str) and group_id else \
            "consumer-"
        client_id = self._client_id(client_id, prefix)
        cap = self.sim.limits.max_consumers
        if len(self.consumers) >= cap:
            # group.max.size bounds a group's members (KIP-389); the room bounds them all.
            raise GroupMaxSizeReachedException(
                f"consumer {client_id!r} is refused: {over('consumers', cap)}")
        consumer = Consumer(self, group_id, client_id, auto_offset_reset, enable_auto_commit,
                            auto_commit_interval_ms, partition_assignment_strategy,
                            session_timeout_ms, isolation_level)
        self.consumers[client_id] = consumer
        self.emit(CONSUMER_ADDED, None, None, consumer.node, f"consumer {client_id} created",
                  {"group": group_id, "strategy": consumer.strategy})
        return consumer

    def _client_id(self, client_id: str | None, prefix: str) -> str:
        # Kafka's default client.id is "producer-N" / "consumer-<group>-N", N counting the
        # producers and the consumers separately (KafkaProducer / ConsumerConfig).
        if client_id is None:
            kind = prefix.split("-", 1)[0]
            while client_id is None or client_id in self.producers or \
                    client_id in self.consumers:
                self._client_counters[kind] = self._client_counters.get(kind, 0) + 1
                client_id = f"{prefix}{self._client_counters[kind]}"
            return client_id
        if not isinstance(client_id, str) or not client_id:
            raise IllegalArgumentException(f"client_id={client_id!r} is not allowed; give a "
                                           "non-empty string")
        if client_id in self.producers or client_id in self.consumers:
            raise IllegalArgumentException(
                f"client_id {client_id!r} is in use by another client here; mqlab draws one "
                "node per client, so give each a different id")
        return client_id

    def remove_consumer(self, consumer: Consumer, why: str) -> None:
        """A closed or crashed consumer leaves the drawing."""
        self.consumers.pop(consumer.client_id, None)
        self.emit(CONSUMER_REMOVED, None, consumer.node, None, f"{consumer.client_id} {why}")

    def remove_producer(self, producer: Producer) -> None:
        self.producers.pop(producer.client_id, None)
        self.emit(PRODUCER_REMOVED, None, producer.node, None,
                  f"producer {producer.client_id} closed")

    def group(self, group_id: str) -> Group:
        group = self.groups.get(group_id)
        if group is None:
            group = self.groups[group_id] = Group(self, group_id)
        return group

    def describe_group(self, group_id: str) -> dict[str, Any]:
        """Members, their partitions, and committed offsets with lag (kafka-consumer-groups)."""
        if not isinstance(group_id, str) or group_id not in self.groups:
            raise GroupIdNotFoundException(f"group {group_id!r} does not exist (groups: "
                                           f"{', '.join(sorted(self.groups)) or 'none'})")
        return self.groups[group_id].describe()

    def lag(self, group_id: str, tp: tuple[str, int]) -> int | None:
        """High watermark minus the group's committed offset (None before any commit)."""
        key = topic_partition(tp)
        self.require_partition(key)
        group = self.groups.get(group_id) if isinstance(group_id, str) else None
        return group.lag(key) if group is not None else None

    def describe_cluster(self) -> list[dict[str, Any]]:
        """Each broker: whether it is up, the partitions it leads and those it follows."""
        return [{"broker": b, "alive": up,
                 "leads": [p.name for p in self._partitions() if p.leader == b],
                 "follows": [p.name for p in self._partitions()
                             if b in p.replicas and p.leader != b]}
                for b, up in self.cluster.alive.items()]

    def new_producer_id(self) -> int:
        self._producer_ids += 1
        return 1000 + self._producer_ids

    # -- faults -------------------------------------------------------------------------------
    def kill_broker(self, broker_id: int) -> None:
        """Stop a broker: it leaves every ISR and leaders move to in-sync followers."""
        self._switch_broker(broker_id, up=False)

    def restore_broker(self, broker_id: int) -> None:
        """Start a broker again: it catches up from the leaders and rejoins the ISRs."""
        self._switch_broker(broker_id, up=True)

    def _switch_broker(self, broker_id: int, up: bool) -> None:
        if not is_whole(broker_id, 0) or broker_id not in self.cluster.alive:
            raise BrokerNotAvailableException(
                f"broker {broker_id!r} does not exist; brokers are {list(self.cluster.alive)}")
        if self.cluster.alive[broker_id] == up:
            return
        self.cluster.alive[broker_id] = up
        self.emit(BROKER_UP if up else BROKER_DOWN, None, broker_node(broker_id), None,
                  f"broker {broker_id} {'restarted' if up else 'stopped'}", {"broker": broker_id})
        for partition in self._partitions():
            if broker_id in partition.replicas:
                if up:
                    partition.broker_up(broker_id)
                else:
                    partition.broker_down(broker_id)
        if up:
            self.cluster.schedule_leader_balance(self.sim, self._partitions)

    def lose_produce_responses(self, count: int = 1) -> None:
        """The next ``count`` produce responses are lost on the way back (the records were
        written): producers retry, and only idempotent ones avoid duplicates."""
        self._lost_responses += whole("count", count, 0)

    @property
    def lost_responses_pending(self) -> int:
        """Produce responses still to be lost (``lose_produce_responses``)."""
        return self._lost_responses

    def take_lost_response(self) -> bool:
        if self._lost_responses:
            self._lost_responses -= 1
            return True
        return False

    def _partitions(self) -> Iterable[Partition]:
        for topic in self.topics.values():
            yield from topic.partitions

    # -- snapshots ----------------------------------------------------------------------------
    def topology(self, into: TopologyBuilder) -> None:
        for broker_id, up in self.cluster.alive.items():
            into.node(broker_node(broker_id), broker=BROKER, kind="broker", name=str(broker_id),
                      column=STORES, label=f"broker {broker_id}", alive=up)
        for client_id, producer in self.producers.items():
            into.node(producer.node, broker=BROKER, kind="producer", name=client_id,
                      column=PRODUCERS, acks=producer.acks, idempotent=producer.idempotent,
                      transactional_id=producer.transactional_id)
            for name in sorted(producer.topics_sent_to()):
                if name in self.topics:
                    into.edge(producer.node, topic_node(name), kind="produces")
        for name, topic in self.topics.items():
            into.node(topic_node(name), broker=BROKER, kind="topic", name=name, column=ROUTERS,
                      partitions=len(topic.partitions))
            for partition in topic.partitions:
                self._partition_topology(into, partition)
        for group_id, group in self.groups.items():
            into.node(group.node, broker=BROKER, kind="group", name=group_id, column=CONSUMERS,
                      strategy=group.strategy, generation=group.generation)
        for client_id, consumer in self.consumers.items():
            into.node(consumer.node, broker=BROKER, kind="consumer", name=client_id,
                      column=CONSUMERS, group=consumer.group_id, state=consumer.state)
            group = consumer.group
            if group is not None and group.is_member(consumer):
                into.edge(group.node, consumer.node, kind="member")
            for tp in consumer.assignment():
                into.edge(f"kafka:partition:{tp}", consumer.node, kind="assigned",
                          label=consumer.group_id or "")

    @staticmethod
    def _partition_topology(into: TopologyBuilder, partition: Partition) -> None:
        into.node(partition.node, broker=BROKER, kind="partition", name=partition.name,
                  column=STORES, label=f"P{partition.index}", topic=partition.topic.name,
                  partition=partition.index, leader=partition.leader)
        into.edge(topic_node(partition.topic.name), partition.node, kind="partition")
        for replica in partition.replicas:
            role = "leader" if replica == partition.leader else (
                "follower" if replica in partition.isr else "out-of-sync")
            into.edge(partition.node, broker_node(replica), kind="replica", label=role)

    def contents(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for broker in self.describe_cluster():
            result[broker_node(broker["broker"])] = {"messages": [], "counters": {
                "leader_for": len(broker["leads"]),
                "replica_for": len(broker["leads"]) + len(broker["follows"])}, **broker}
        for name, topic in self.topics.items():
            result[topic_node(name)] = {"messages": [], "counters": {
                "partitions": len(topic.partitions),
                "records": sum(len(p.log) for p in topic.partitions)},
                "config": dict(topic.config)}
            for partition in topic.partitions:
                result[partition.node] = self._partition_contents(partition)
        for group in self.groups.values():
            result[group.node] = {"messages": [], "counters": {"members": len(group.members)},
                                  **group.describe()}
        for consumer in self.consumers.values():
            result[consumer.node] = consumer.contents()
        for producer in self.producers.values():
            result[producer.node] = {"messages": [], "counters": {"sent": producer.sent},
                                     "acks": producer.acks, "idempotent": producer.idempotent,
                                     "transactional_id": producer.transactional_id,
                                     "transaction_state": producer.txn_state
                                     if producer.transactional_id is not None else None,
                                     "fenced": producer.fenced}
        return result

    def _partition_contents(self, partition: Partition) -> dict[str, Any]:
        log = partition.log
        groups = {}
        for group_id, group in self.groups.items():
            committed = group.committed.get(partition.tp)
            if committed is not None or partition.topic.name in group.subscribed_topics():
                groups[group_id] = {"committed": committed, "lag": group.lag(partition.tp)}
        return {
            "messages": [record_view(r, r.offset < partition.high_watermark)
                         for r in log.last(MAX_LISTED)],
            "counters": {"records": len(log), "bytes": log.size, "log_start": log.log_start,
                         "log_end": log.log_end, "high_watermark": partition.high_watermark,
                         "last_stable_offset": partition.last_stable_offset},
            "leader": partition.leader, "replicas": list(partition.replicas),
            "isr": list(partition.isr), "groups": groups,
        }

    def locations(self) -> Iterable[tuple[str, str]]:
        for partition in self._partitions():
            node = partition.node
            for record in partition.log.records():
                yield record.id, node
