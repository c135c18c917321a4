"""Real-client benchmark: round trips per second through each protocol, beside the engine.

``python manage.py bench_clients --round-trips 300``

One round trip is one message sent and taken back: AMQP ``basic.publish`` then ``basic.get``
with auto-ack (pika, one connection), SQS ``SendMessage``, ``ReceiveMessage`` and
``DeleteMessage`` (boto3), a Kafka produce (acks=all, ``send().get()``) and the fetch that
brings the record back to an assigned consumer (kafka-python). Each runs against a room of a
real server (daphne in a subprocess on free loopback ports, a throwaway database), and the
same workload runs through the engine's own API in this process (``sim.rabbitmq.channel()``,
``sim.sqs``, ``sim.kafka``): the baseline,
measured in the same run, so the figures say what the protocol path (socket, codec, the
room's command log and journal, the worker thread) costs on this machine. The server runs
with the rate limits and the room's CPU share lifted: this measures the path, not the
limits. A measurement, not a test; on a shared machine the figures are noisy, so compare the
ratios rather than the absolute numbers.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from engine import Simulation
from mqlab.management.commands._server import Browser, ServerProcess, free_port, free_ports

#: What a bench server lifts: it measures the protocol path, not the abuse limits.
UNLIMITED = {"MQLAB_AMQP_METHODS_PER_SECOND": "1000000", "MQLAB_ROOM_CPU_SHARE": "1000",
             "MQLAB_ROOM_CPU_BURST_SECONDS": "1000", "MQLAB_SOCKET_FRAMES_PER_SECOND": "1000000",
             "MQLAB_SOCKET_FRAMES_BURST": "1000000", "MQLAB_AMQP_BIND": "127.0.0.1",
             "MQLAB_KAFKA_REQUESTS_PER_SECOND": "1000000", "MQLAB_KAFKA_BIND": "127.0.0.1",
             "MQLAB_KAFKA_BROKERS": "3"}


def rate(count: int, work: Callable[[int], Any]) -> float:
    """Round trips per second of ``work(n)`` for n in 0..count-1 (after one warm-up)."""
    work(-1)
    started = time.perf_counter()
    for n in range(count):
        work(n)
    return count / (time.perf_counter() - started)


# -- through the engine's API -----------------------------------------------------------------

def engine_amqp(count: int) -> float:
    sim = Simulation(seed=0)
    channel = sim.rabbitmq.channel()
    channel.queue_declare("bench")

    def trip(n: int) -> None:
        channel.basic_publish("", "bench", f"message {n}")
        sim.advance(0)
        method, _properties, _body = channel.basic_get("bench", auto_ack=True)
        assert method is not None

    return rate(count, trip)


def engine_sqs(count: int) -> float:
    sim = Simulation(seed=0)
    url = sim.sqs.create_queue(QueueName="bench")["QueueUrl"]

    def trip(n: int) -> None:
        sim.sqs.send_message(QueueUrl=url, MessageBody=f"message {n}")
        sim.advance(0)
        got = sim.sqs.receive_message(QueueUrl=url)["Messages"]
        sim.sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])

    return rate(count, trip)


def engine_kafka(count: int) -> float:
    sim = Simulation(seed=0)
    sim.kafka.create_topic("bench", 1, 3)
    producer = sim.kafka.producer(acks="all")
    consumer = sim.kafka.consumer(group_id="bench", auto_offset_reset="earliest")
    consumer.subscribe(["bench"])
    sim.advance(0)

    def trip(n: int) -> None:
        producer.send("bench", value=f"message {n}", partition=0)
        sim.advance(0)
        assert consumer.poll()

    return rate(count, trip)


# -- through the protocols ------------------------------------------------------------------------

def room_facts(server: ServerProcess, preset: str) -> dict[str, Any]:
    browser = Browser(server.url)
    room_id = browser.create_room(preset)
    _status, text, _headers, _ = browser.request(f"/rooms/{room_id}/connect.json")
    return json.loads(text)


def over_amqp(server: ServerProcess, count: int) -> float:
    import pika

    facts = room_facts(server, "rabbitmq-playground")["amqp"]
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        facts["host"], facts["port"], facts["virtual_host"],
        pika.PlainCredentials(facts["username"], facts["password"])))
    channel = connection.channel()
    channel.queue_declare("bench")

    def trip(n: int) -> None:
        channel.basic_publish("", "bench", f"message {n}".encode())
        method, _properties, _body = channel.basic_get("bench", auto_ack=True)
        assert method is not None

    try:
        return rate(count, trip)
    finally:
        connection.close()


def over_sqs(server: ServerProcess, count: int) -> float:
    import boto3

    sqs = boto3.client("sqs", **room_facts(server, "sqs-playground")["sqs"])
    url = sqs.create_queue(QueueName="bench")["QueueUrl"]

    def trip(n: int) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=f"message {n}")
        got = sqs.receive_message(QueueUrl=url)["Messages"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])

    return rate(count, trip)


def over_kafka(server: ServerProcess, count: int) -> float:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic

    facts = room_facts(server, "kafka-playground")["kafka"]
    admin = KafkaAdminClient(**facts)
    admin.create_topics([NewTopic("bench", 1, 3)])
    admin.close()
    producer = KafkaProducer(acks="all", **facts)
    consumer = KafkaConsumer(auto_offset_reset="earliest", fetch_max_wait_ms=500, **facts)
    consumer.assign([TopicPartition("bench", 0)])

    def trip(n: int) -> None:
        producer.send("bench", value=f"message {n}".encode(), partition=0).get(timeout=10)
        while not consumer.poll(timeout_ms=1000):
            pass

    try:
        return rate(count, trip)
    finally:
        consumer.close()
        producer.close()


#: protocol -> (through the engine's API, through the real protocol)
WORKLOADS: dict[str, tuple[Callable[[int], float], Callable[[ServerProcess, int], float]]] = {
    "AMQP 0-9-1 (pika)": (engine_amqp, over_amqp),
    "SQS HTTP (boto3)": (engine_sqs, over_sqs),
    "Kafka (kafka-python)": (engine_kafka, over_kafka),
}


class Command(BaseCommand):
    help = "Round trips per second through AMQP, SQS HTTP and Kafka beside the engine's API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--round-trips", type=int, default=300,
                            help="messages sent and taken back per protocol")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["round_trips"]
        with tempfile.TemporaryDirectory() as folder:
            server = ServerProcess(Path(folder), MQLAB_AMQP_PORT=str(free_port()),
                                   MQLAB_KAFKA_PORT=str(free_ports(4)), **UNLIMITED).start()
            try:
                rows = [(name, engine(count), real(server, count))
                        for name, (engine, real) in WORKLOADS.items()]
            finally:
                server.__exit__()
        self.stdout.write(f"{count} round trips each (one message sent and taken back); "
                          "baseline: the same workload through the engine's API, same run")
        for name, engine_rate, real_rate in rows:
            self.stdout.write(f"{name:<20} {real_rate:>9.0f} round trips/s   engine API "
                              f"{engine_rate:>9.0f}/s   the protocol path costs "
                              f"{engine_rate / real_rate:.0f}x")
        self.stdout.write("(noisy on a shared machine: compare the ratios)")
