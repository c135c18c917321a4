"""Bad input raises Kafka's error, names the culprit, and leaves the state unchanged."""

import pytest

from engine import EngineError, Simulation
from engine.kafka import (
    BrokerNotAvailableException,
    ConfigException,
    GroupIdNotFoundException,
    IllegalArgumentException,
    IllegalStateException,
    InvalidConfigurationException,
    InvalidGroupIdException,
    InvalidPartitionsException,
    InvalidTopicException,
    SerializationException,
    UnknownTopicOrPartitionException,
)


@pytest.fixture
def sim():
    sim = Simulation()
    sim.kafka.create_topic("orders", num_partitions=2)
    return sim


@pytest.mark.parametrize("name", ["", ".", "..", "a" * 250, "orders!", "with space", 7])
def test_illegal_topic_names_are_refused(sim, name):
    with pytest.raises(InvalidTopicException) as error:
        sim.kafka.create_topic(name)
    assert error.value.code == "InvalidTopicException"
    assert sim.kafka.list_topics() == ["orders"]


@pytest.mark.parametrize(("config", "culprit"), [
    ({"retention.hours": 1}, "retention.hours"),
    ({"retention.ms": "soon"}, "retention.ms"),
    ({"retention.bytes": -2}, "retention.bytes"),
    ({"cleanup.policy": "shred"}, "cleanup.policy"),
    ({"min.insync.replicas": 0}, "min.insync.replicas"),
    ({"unclean.leader.election.enable": "maybe"}, "unclean.leader.election.enable"),
])
def test_bad_topic_configs_are_refused(sim, config, culprit):
    with pytest.raises(InvalidConfigurationException, match=culprit):
        sim.kafka.create_topic("payments", config=config)
    assert sim.kafka.list_topics() == ["orders"]


def test_config_values_may_be_strings_as_in_kafkas_admin(sim):
    sim.kafka.create_topic("payments", config={"retention.ms": "1000",
                                               "cleanup.policy": "compact,delete"})
    config = sim.kafka.describe_topic("payments")["config"]
    assert config["retention.ms"] == 1000 and config["cleanup.policy"] == "compact,delete"


def test_partitions_only_grow(sim):
    with pytest.raises(InvalidPartitionsException, match="currently has 2 partitions"):
        sim.kafka.create_partitions("orders", 2)
    assert len(sim.kafka.describe_topic("orders")["partitions"]) == 2


def test_unknown_topics_are_named(sim):
    for call in (lambda: sim.kafka.delete_topic("nope"),
                 lambda: sim.kafka.describe_topic("nope"),
                 lambda: sim.kafka.create_partitions("nope", 3)):
        with pytest.raises(UnknownTopicOrPartitionException, match="'nope'"):
            call()


def test_deleting_a_topic_deletes_its_records_as_events(sim):
    events = []
    sim.subscribe(events.append)
    sim.kafka.producer().send("orders", value="x", partition=1)
    sim.kafka.delete_topic("orders")
    assert [(e.kind, e.message_id) for e in events][-2:] == [
        ("deleted", "orders/1@0"), ("removed", None)]
    assert sim.kafka.list_topics() == []


# batch_size 0 was refused here; Kafka allows it (ProducerConfig batch.size: at least 0, "zero
# disables batching"; KafkaProducer gives the partitioner max(1, batch.size)): -1 is the bad one.
@pytest.mark.parametrize("options", [{"acks": 2}, {"acks": "most"}, {"batch_size": -1}])
def test_bad_producer_settings_are_refused(sim, options):
    with pytest.raises(ConfigException):
        sim.kafka.producer(**options)


def test_a_batch_with_one_bad_record_sends_nothing(sim):
    producer = sim.kafka.producer()
    with pytest.raises(SerializationException, match="key 5 is a int"):
        producer.send_batch("orders", ["a", {"value": "b", "key": 5}])
    assert [p["log_end"] for p in sim.kafka.describe_topic("orders")["partitions"]] == [0, 0]
    sent = producer.send_batch("orders", ["a", {"value": "b", "partition": 1}])
    assert [m.partition for m in sent][1] == 1


@pytest.mark.parametrize(("options", "culprit"), [
    ({"auto_offset_reset": "smallest"}, "auto_offset_reset"),
    ({"partition_assignment_strategy": "sticky"}, "partition_assignment_strategy"),
    ({"session_timeout_ms": 0}, "session_timeout_ms"),
    ({"auto_commit_interval_ms": -5}, "auto_commit_interval_ms"),
])
def test_bad_consumer_settings_are_refused(sim, options, culprit):
    with pytest.raises(ConfigException, match=culprit):
        sim.kafka.consumer(group_id="g", **options)


def test_group_calls_need_a_group_id(sim):
    consumer = sim.kafka.consumer()
    with pytest.raises(InvalidGroupIdException, match="group_id"):
        consumer.subscribe(["orders"])
    with pytest.raises(IllegalStateException, match="not subscribed"):
        consumer.poll()


def test_seek_and_position_need_an_assigned_partition_and_a_valid_offset(sim):
    consumer = sim.kafka.consumer(group_id="g")
    consumer.subscribe(["orders"])
    consumer.poll()
    with pytest.raises(IllegalStateException, match="No current assignment for partition"):
        consumer.seek(("payments", 0), 0)
    with pytest.raises(IllegalArgumentException, match="seek offset -1"):
        consumer.seek(("orders", 0), -1)
    with pytest.raises(IllegalStateException, match="position"):
        consumer.position(("orders", 9))
    with pytest.raises(IllegalArgumentException, match="max_records=0"):
        consumer.poll(max_records=0)


def test_unknown_broker_is_named(sim):
    with pytest.raises(BrokerNotAvailableException, match="broker 7"):
        sim.kafka.kill_broker(7)


def test_every_kafka_error_is_an_engine_error_with_its_kafka_name(sim):
    with pytest.raises(EngineError) as error:
        sim.kafka.create_topic("orders")
    assert error.value.code == "TopicExistsException"


def test_a_closed_producer_refuses_to_send(sim):
    producer = sim.kafka.producer(client_id="shop")
    producer.close()
    with pytest.raises(IllegalStateException, match="closed"):
        producer.send("orders", value="x")
    assert "kafka:producer:shop" not in {n["id"] for n in sim.topology()["nodes"]}


def test_describing_an_unknown_group_names_it(sim):
    with pytest.raises(GroupIdNotFoundException, match="'nobody'"):
        sim.kafka.describe_group("nobody")


def test_a_topic_created_again_gives_its_records_new_ids(sim):
    producer = sim.kafka.producer()
    first = sim.kafka.partition(("orders", 0))
    producer.send("orders", value="old", partition=0)
    sim.kafka.delete_topic("orders")
    sim.kafka.create_topic("orders", num_partitions=2)
    producer.send("orders", value="new", partition=0)
    assert [r.id for r in first.log.records()] == ["orders/0@0"]
    assert [r.id for r in sim.kafka.partition(("orders", 0)).log.records()] == ["orders/0~2@0"]


@pytest.mark.parametrize(("headers", "culprit"), [
    (["flat"], "pairs"), ([(1, b"v")], "header name 1")])
def test_bad_headers_are_refused(sim, headers, culprit):
    with pytest.raises(ConfigException, match=culprit):
        sim.kafka.producer().send("orders", value="x", headers=headers)
