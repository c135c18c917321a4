"""The ``api`` command of a Kafka room: what a real client's request does to the model.

mqlab's Kafka listener (``mqlab.kafka``) turns each request that changes the room (a produce,
a join, a commit, a fetch that returned records, a transaction step) into one ``api`` command,
so it enters the room's log and a replay does it again. Its parameters are JSON (record keys
and values as text, or ``{"base64": ...}`` when they are not UTF-8); the answer waits in
``lab.last_call`` for the listener, as the SQS one does (``mqlab.commands.sqs``).

How a real client maps onto the model:

- A producer is one model producer per client (its node is the client's node in the diagram),
  sending each record of a batch to the partition the client chose.
- A group member is one model consumer, created by its first JoinGroup. The model's group
  coordinator runs the rebalance and its assignor (the strategy is the one the client offered
  that the model knows: range, roundrobin — kafkajs's ``RoundRobinAssigner`` — or
  cooperative-sticky). A real member rejoins only through JoinGroup, so the model waits for it
  as for a consumer busy with its records (engine/kafka/coordinator.py), and the SyncGroup
  answers every member with the model's assignment.
- A member whose connection drops without LeaveGroup crashes: the coordinator removes it after
  its session timeout, as Kafka does.
- Transactions are the model's (engine/kafka/transactions.py): InitProducerId makes a
  transactional producer and fences an older one with the same transactional.id.
"""

from __future__ import annotations

import base64
from typing import Any

from engine.errors import EngineError
from engine.kafka import TopicPartition
from engine.kafka.events import DELIVERED, preview
from mqlab.commands import ArgumentError, Command, Field

#: The model's assignors by the names clients offer in JoinGroup.
STRATEGIES = {"range": "range", "roundrobin": "roundrobin",
              "cooperative-sticky": "cooperative-sticky",
              "RoundRobinAssigner": "roundrobin"}


class KafkaCall:
    """What an ``api`` command came to: ``response`` (a dict), or ``error`` (an
    EngineError) when the model refused the whole request."""

    def __init__(self) -> None:
        self.response: dict[str, Any] = {}
        self.error: Exception | None = None


class RealClients:
    """The model objects behind a room's real clients (rebuilt by replaying the log)."""

    def __init__(self) -> None:
        self.producers: dict[str, Any] = {}
        self.members: dict[str, Any] = {}  # member id -> model consumer
        self.wire_strategy: dict[str, str] = {}  # member id -> the protocol name it chose
        self.transactional: dict[str, Any] = {}  # transactional id -> model producer


def real(lab: Any) -> RealClients:
    found = getattr(lab, "real_clients", None)
    if found is None:
        found = lab.real_clients = RealClients()
    return found


def to_json_bytes(value: bytes | None) -> Any:
    """Bytes for the log: text when they are UTF-8, else ``{"base64": ...}``."""
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(value).decode("ascii")}


def from_json_bytes(value: Any) -> str | bytes | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("base64"), str):
        return base64.b64decode(value["base64"])
    raise ArgumentError("params", f"a key or value must be text or {{'base64': ...}}, not "
                        f"{value!r}")


def api(lab: Any, action: str, params: dict[str, Any], client: str | None) -> str:
    """One request of a real Kafka client; the answer waits in ``lab.last_call``."""
    call = lab.last_call = KafkaCall()
    handler = ACTIONS.get(action)
    if handler is None:
        raise ArgumentError("action", f"no Kafka action {action!r}; known: "
                            f"{', '.join(sorted(ACTIONS))}")
    try:
        said, call.response = handler(lab, params, client or "kafka client")
    except EngineError as error:
        call.error = error
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise ArgumentError("params", f"{action}: bad parameters ({error!r})") from None
    return said


# -- producing -------------------------------------------------------------------------------

def _producer(lab: Any, client: str, acks: str, idempotent: bool) -> Any:
    clients = real(lab)
    producer = clients.producers.get(client)
    if producer is None or producer.closed:
        producer = clients.producers[client] = lab.kafka.producer(
            client_id=client, acks=acks, enable_idempotence=idempotent and acks == "all")
    producer.acks = acks  # a client's acks is per request; the model's per producer
    return producer


def produce(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    """One partition's batch: each record to the partition the client chose."""
    topic, partition = params["topic"], int(params["partition"])
    tid = params.get("transactional_id")
    if tid is not None:
        producer = real(lab).transactional.get(tid)
        if producer is None:
            raise ArgumentError("params", f"no transactional producer {tid!r}")
        if producer.txn_state == "READY":
            producer.begin_transaction()
    else:
        producer = _producer(lab, client, params["acks"], params.get("producer_id", -1) >= 0)
    offsets = []
    for record in params["records"]:
        sent = producer.send(topic, value=from_json_bytes(record["value"]),
                             key=from_json_bytes(record["key"]), partition=partition,
                             headers=[(name, from_json_bytes(value))
                                      for name, value in record.get("headers", [])] or None)
        offsets.append(sent.offset)
    base = offsets[0] if offsets else -1
    return (f"{client} produced {len(offsets)} record(s) to {topic}/{partition}",
            {"base_offset": base})


# -- groups ----------------------------------------------------------------------------------

def join(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    """JoinGroup: a new member is a new model consumer; a known one rejoins the rebalance."""
    clients = real(lab)
    group_id, topics = params["group"], list(params["topics"])
    consumer = clients.members.get(params.get("member_id") or "")
    if consumer is not None and not consumer.alive:
        consumer = None
    group = lab.kafka.groups.get(group_id)
    current = group.strategy if group is not None and group.members else None
    wire = _choose(params["protocols"], current)
    generation = group.generation if group is not None else 0
    if consumer is None:
        consumer = lab.kafka.consumer(
            group_id=group_id, client_id=client, enable_auto_commit=False,
            partition_assignment_strategy=STRATEGIES[wire],
            session_timeout_ms=max(1, int(params.get("session_timeout_ms") or 45000)))
        consumer.busy = True  # rejoins only by JoinGroup: the rebalance waits for it
        try:
            consumer.subscribe(topics)
        except EngineError:
            lab.kafka.remove_consumer(consumer, "was refused by its group")
            consumer.state = "closed"
            raise
        clients.members[consumer.member_id] = consumer
        said = f"{consumer.client_id} joined group {group_id}"
    else:
        said = f"{consumer.client_id} rejoined group {group_id}"
        if sorted(set(topics)) != consumer.subscription:
            consumer.subscribe(topics)
        elif consumer.group.state == "Stable":
            consumer.group.request_rebalance(f"{consumer.client_id} rejoined")
    clients.wire_strategy[consumer.member_id] = wire
    consumer.group.rejoin(consumer)
    return said, {"member_id": consumer.member_id, "generation_before": generation}


def _choose(protocols: list[str], current: str | None) -> str:
    """The protocol name to answer with: the group's strategy if the client offers it,
    else the first the model knows."""
    known = [name for name in protocols if name in STRATEGIES]
    if current is not None:
        known = [name for name in known if STRATEGIES[name] == current] or known
    if not known:
        from engine.kafka import InconsistentGroupProtocolException
        raise InconsistentGroupProtocolException(
            f"none of the assignors {protocols} is modelled; use range, roundrobin or "
            "cooperative-sticky")
    return known[0]


def leave(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    consumer = real(lab).members.pop(params["member_id"], None)
    if consumer is None or not consumer.alive:
        return f"{params['member_id']} had already left", {"error": "unknown_member_id"}
    consumer.close()
    return f"{consumer.client_id} left group {consumer.group_id}", {}


def gone(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    """A client's connection dropped: its members crash (the coordinator notices after the
    session timeout); its producers close."""
    clients = real(lab)
    for member_id in params.get("members", []):
        consumer = clients.members.pop(member_id, None)
        if consumer is not None and consumer.alive:
            consumer.crash()
    for name in params.get("producers", []):
        producer = clients.producers.pop(name, None)
        if producer is not None and not producer.closed:
            producer.close()
    return f"{client} disconnected", {}


def commit(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    """OffsetCommit: a member's commit is checked against its generation."""
    group = lab.kafka.group(params["group"])
    consumer = real(lab).members.get(params.get("member_id") or "")
    generation = params.get("generation", -1)
    if generation >= 0 or params.get("member_id"):
        code = member_error(group, consumer, generation)
        if code:
            return f"commit refused ({code})", {"error": code}
    results, chosen = {}, {}
    for topic, index, offset in params["offsets"]:
        tp = TopicPartition(topic, index)
        if lab.kafka.partition(tp) is None:
            results[f"{topic}/{index}"] = "unknown_topic_or_partition"
        else:
            chosen[tp] = offset
    source = consumer.node if consumer is not None else None
    group.commit_from(source, chosen, f"OffsetCommit by {client}")
    return f"{client} committed {len(chosen)} offset(s) for group {group.id}", \
        {"partitions": results}


def member_error(group: Any, consumer: Any, generation: int) -> str | None:
    """Why a member's group request is refused, as Kafka's coordinator says it, or None."""
    if consumer is None or not consumer.alive or not group.is_member(consumer):
        return "unknown_member_id"
    if group.state != "Stable" or consumer.member_id in group._awaiting:
        return "rebalance_in_progress"
    if generation != group.generation:
        return "illegal_generation"
    return None


# -- fetching ----------------------------------------------------------------------------------

def fetch(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    """Records a real consumer fetched: they are delivered (and animate) to its node."""
    consumer = real(lab).members.get(params.get("member_id") or "")
    if consumer is not None and not consumer.alive:
        consumer = None
    count = 0
    for topic, index, first, last in params["ranges"]:
        tp = TopicPartition(topic, index)
        partition = lab.kafka.partition(tp)
        if partition is None:
            continue
        records = partition.log.read(first, last + 1, last + 1 - first)
        if not records:
            continue
        count += len(records)
        if consumer is not None and tp in consumer.assignment():
            consumer.fetched(tp, partition, records)
        else:
            _delivered(lab, partition, records, params.get("node"), client)
    return f"{client} fetched {count} record(s)", {}


def _delivered(lab: Any, partition: Any, records: list[Any], node: str | None,
               client: str) -> None:
    for record in records:
        if record.control is None:
            lab.kafka.emit(DELIVERED, record.id, partition.node, node,
                           f"{client} fetched offset {record.offset} of {partition.name}",
                           {"topic": record.topic, "partition": record.partition,
                            "offset": record.offset, "value": preview(record.value)})


# -- topics and transactions -------------------------------------------------------------------

def create_topics(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    results = {}
    for topic in params["topics"]:
        try:
            lab.kafka.create_topic(topic["name"], max(1, topic.get("partitions", 1)),
                                   max(1, topic.get("replication_factor", 1)),
                                   topic.get("configs") or None)
            results[topic["name"]] = None
        except EngineError as error:
            results[topic["name"]] = [type(error).__name__, str(error)]
    return f"{client} created topics {', '.join(results)}", {"topics": results}


def init_producer_id(lab: Any, params: dict[str, Any],
                     client: str) -> tuple[str, dict[str, Any]]:
    tid = params.get("transactional_id")
    if tid is None:
        return f"{client} got a producer id", {"producer_id": lab.kafka.new_producer_id(),
                                               "epoch": 0}
    producer = lab.kafka.producer(client_id=client, acks="all", transactional_id=tid,
                                  transaction_timeout_ms=max(1, params.get("timeout_ms")
                                                             or 60000))
    producer.init_transactions()
    clients = real(lab)
    clients.transactional[tid] = clients.producers[client] = producer
    return f"{client} initialised transactions for {tid!r}", \
        {"producer_id": producer.producer_id, "epoch": producer.txn.epoch}


def transactional(lab: Any, params: dict[str, Any]) -> Any:
    producer = real(lab).transactional.get(params["transactional_id"])
    if producer is None or producer.producer_id != params.get("producer_id") or \
            producer.txn.epoch != params.get("epoch"):
        from engine.kafka import ProducerFencedException
        raise ProducerFencedException(
            f"producer id {params.get('producer_id')} epoch {params.get('epoch')} is not the "
            f"current one of transactional.id {params['transactional_id']!r}")
    return producer


def add_to_txn(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    """AddPartitionsToTxn / AddOffsetsToTxn: the transaction begins (the model adds each
    partition as it is written to)."""
    producer = transactional(lab, params)
    for topic, index in params.get("partitions", []):
        lab.kafka.require_partition(TopicPartition(topic, index))
    if producer.txn_state == "READY":
        producer.begin_transaction()
    return f"{producer.client_id} added to its transaction", {}


def txn_offsets(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    producer = transactional(lab, params)
    if producer.txn_state == "READY":
        producer.begin_transaction()
    producer.send_offsets_to_transaction(
        {TopicPartition(t, p): o for t, p, o in params["offsets"]}, params["group"])
    return f"{producer.client_id} sent offsets to its transaction", {}


def end_txn(lab: Any, params: dict[str, Any], client: str) -> tuple[str, dict[str, Any]]:
    producer = transactional(lab, params)
    if producer.txn_state == "READY":
        return f"{producer.client_id} had no transaction open", {}
    if params["commit"]:
        producer.commit_transaction()
    else:
        producer.abort_transaction()
    return f"{producer.client_id} {'committed' if params['commit'] else 'aborted'} its " \
        "transaction", {}


ACTIONS = {"produce": produce, "join": join, "leave": leave, "gone": gone, "commit": commit,
           "fetch": fetch, "create_topics": create_topics,
           "init_producer_id": init_producer_id, "add_to_txn": add_to_txn,
           "txn_offsets": txn_offsets, "end_txn": end_txn}

COMMAND = Command("api", "Kafka API request", "API", api, (
    Field("action", "Action", required=True),
    Field("params", "Parameters", "json", default={}, max_length=2_000_000),
    Field("client", "Client"),
), help="A request of a real Kafka client (kafka-python, confluent-kafka, kafkajs) to the "
        "room's listener.", hidden=True)
