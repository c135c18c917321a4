"""Real Kafka clients drive a room over Kafka's protocol (issue 15): kafka-python,
confluent-kafka (librdkafka) and kafkajs against a real daphne in a child process, whose
Kafka listener serves the room. Each test checks what the client saw and what the room
streamed to a viewer (its events over the room's WebSocket)."""

from __future__ import annotations

import asyncio
import html
import io
import json
import re
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from confluent_kafka import Consumer as ConfluentConsumer
from confluent_kafka import Producer as ConfluentProducer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kio.schema.sasl_authenticate.v1 import SaslAuthenticateRequest, SaslAuthenticateResponse
from kio.schema.sasl_handshake.v1 import SaslHandshakeRequest, SaslHandshakeResponse
from kio.serial import entity_reader, entity_writer

from mqlab.management.commands._server import Browser, ServerProcess, free_ports
from mqlab.management.commands._websocket import ConnectionClosed, connect
from tests.web.npm import npm_client

pytestmark = pytest.mark.timeout(240)
KAFKA_KEYS = {"bootstrap_servers", "security_protocol", "sasl_mechanism",
              "sasl_plain_username", "sasl_plain_password"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("kafka-wire"),
                            MQLAB_KAFKA_PORT=str(free_ports(6)), MQLAB_KAFKA_BROKERS="5")
    process.start()
    yield process
    process.__exit__()


class Watcher:
    """A viewer of the room: every event it streams, collected on a thread of its own."""

    def __init__(self, server: ServerProcess, room_id: str) -> None:
        self.events: list[dict] = []
        self.nodes: dict[str, dict] = {}
        self.contents: dict[str, dict] = {}
        self._stop = False
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._watch(server, room_id),),
                                         daemon=True)
        self._thread.start()
        assert self._ready.wait(20), "the room's WebSocket sent no snapshot"

    async def _watch(self, server: ServerProcess, room_id: str) -> None:
        socket_ = await connect("127.0.0.1", server.port, f"/ws/rooms/{room_id}/",
                                {"Origin": server.url})
        try:
            while not self._stop:
                try:
                    frame = json.loads(await asyncio.wait_for(socket_.recv(), 0.5))
                except TimeoutError:
                    continue
                self.events.extend(frame.get("events", ()))
                if frame["type"] == "snapshot":
                    self.contents = dict(frame["contents"])
                for node, value in frame.get("patch", {}).items():
                    self.contents[node] = value
                self._ready.set()
                if "topology" in frame:
                    self.nodes = {n["id"]: n for n in frame["topology"]["nodes"]}
        except ConnectionClosed:
            return
        finally:
            await socket_.close()

    def kinds(self, kind: str) -> list[dict]:
        return [event for event in self.events if event["kind"] == kind]

    def wait_for(self, what, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            time.sleep(0.1)
        return what()

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=5)


@pytest.fixture
def room(server):
    """A fresh Kafka playground, its connect.json facts and a viewer watching it."""
    browser = Browser(server.url)
    room_id = browser.create_room("kafka-playground")
    status, text, _, _ = browser.request(f"/rooms/{room_id}/connect.json")
    assert status == 200
    watcher = Watcher(server, room_id)
    yield browser, room_id, json.loads(text)["kafka"], watcher
    watcher.close()


def python_config(facts: dict) -> dict:
    return {**facts, "request_timeout_ms": 20000}


def librdkafka_config(facts: dict) -> dict:
    return {"bootstrap.servers": facts["bootstrap_servers"],
            "security.protocol": facts["security_protocol"],
            "sasl.mechanism": facts["sasl_mechanism"],
            "sasl.username": facts["sasl_plain_username"],
            "sasl.password": facts["sasl_plain_password"]}


def room_log(server: ServerProcess, room_id: str) -> list:
    with closing(sqlite3.connect(server.data_dir / "mqlab.sqlite3")) as db:
        (log,) = db.execute("select log from mqlab_roomrecord where id = ?",
                            (room_id,)).fetchone()
        entries = db.execute('select entry from mqlab_commandentry where room_id = ? '
                             'order by "index"', (room_id,)).fetchall()
    return json.loads(log) + [json.loads(entry) for (entry,) in entries]


def poll_until(consumers: dict[str, KafkaConsumer], done, timeout: float = 60.0) -> dict:
    """Each consumer polls on a thread of its own, as in separate processes (a consumer rejoins
    a rebalance only from its poll, and a member's JoinGroup waits for the others to rejoin),
    until ``done(seen)``."""
    seen: dict[str, list] = {name: [] for name in consumers}
    deadline = time.monotonic() + timeout

    def loop(name: str, consumer: KafkaConsumer) -> None:
        while time.monotonic() < deadline and not done(seen):
            for records in consumer.poll(timeout_ms=200).values():
                seen[name].extend((r.partition, r.value.decode()) for r in records)

    threads = [threading.Thread(target=loop, args=item) for item in consumers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


# -- the tests --------------------------------------------------------------------------------

def test_connect_json_and_refusals_in_kafkas_own_terms(server, room):
    browser, room_id, facts, _ = room
    assert set(facts) == KAFKA_KEYS
    assert facts["security_protocol"] == "SASL_PLAINTEXT" and facts["sasl_mechanism"] == "PLAIN"
    assert facts["sasl_plain_username"] == room_id and len(facts["sasl_plain_password"]) >= 32
    status, text, _, _ = Browser(server.url).request(f"/rooms/{room_id}/connect.json")
    assert status == 403 and facts["sasl_plain_password"] not in text

    host, port = facts["bootstrap_servers"].rsplit(":", 1)
    # A wrong password: SASL_AUTHENTICATION_FAILED (58), then the broker closes the connection.
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        answer = exchange(sock, 17, 1, SaslHandshakeRequest(mechanism="PLAIN"),
                          SaslHandshakeResponse)
        assert answer.error_code == 0 and answer.mechanisms == ("PLAIN",)
        token = f"\0{room_id}\0not-the-token".encode()
        answer = exchange(sock, 36, 1, SaslAuthenticateRequest(auth_bytes=token),
                          SaslAuthenticateResponse)
        assert answer.error_code == 58 and "Invalid username or password" in answer.error_message
        assert sock.recv(1) == b""
    # A request other than ApiVersions or SASL before authenticating closes the connection;
    # so does a frame larger than the listener accepts.
    for frame in (struct.pack(">ihhi", 10, 3, 9, 1) + b"\0\0",
                  struct.pack(">i", 64 * 1024 * 1024)):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(frame)
            assert sock.recv(1) == b""


def exchange(sock: socket.socket, api_key: int, version: int, body, answer_type):
    header = struct.pack(">hhih", api_key, version, 7, 4) + b"test"
    buffer = io.BytesIO()
    entity_writer(type(body))(buffer, body)
    payload = header + buffer.getvalue()
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", receive(sock, 4))[0]
    data = receive(sock, size)
    assert struct.unpack(">i", data[:4])[0] == 7  # the correlation id comes back
    return entity_reader(answer_type)(data, 4)[0]


def receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the listener closed the connection"
        data += chunk
    return data


def test_kafka_python_group_rebalances_when_a_second_consumer_joins(server, room):
    browser, room_id, facts, watcher = room
    config = python_config(facts)
    admin = KafkaAdminClient(**config)
    admin.create_topics([NewTopic("orders", 4, 3)])
    admin.close()
    producer = KafkaProducer(**config)
    for n in range(8):
        producer.send("orders", key=f"customer-{n}".encode(), value=f"order {n}".encode())
    producer.flush(timeout=20)

    first = KafkaConsumer("orders", group_id="g", auto_offset_reset="earliest",
                          enable_auto_commit=False, **config)
    seen = poll_until({"c1": first}, lambda s: len(s["c1"]) >= 8)
    assert sorted(v for _, v in seen["c1"]) == [f"order {n}" for n in range(8)]
    first.commit()
    assert {tp.partition for tp in first.assignment()} == {0, 1, 2, 3}

    # A second member joins: the group rebalances and the partitions are shared out.
    second = KafkaConsumer("orders", group_id="g", auto_offset_reset="earliest",
                           enable_auto_commit=False, **config)
    consumers = {"c1": first, "c2": second}
    poll_until(consumers, lambda s: first.assignment() and second.assignment()
               and len(first.assignment()) + len(second.assignment()) == 4)
    mine = {name: {tp.partition for tp in c.assignment()} for name, c in consumers.items()}
    assert mine["c1"] and mine["c2"] and not mine["c1"] & mine["c2"]
    assert mine["c1"] | mine["c2"] == {0, 1, 2, 3}
    # Both members are drawn as real clients (the model's consumer nodes, marked).
    c1, c2 = "kafka:consumer:kafka-python consumer c1 of group g", \
        "kafka:consumer:kafka-python consumer c2 of group g"
    assert watcher.wait_for(lambda: all(
        watcher.nodes.get(node, {}).get("props", {}).get("real_client") == "kafka-consumer"
        for node in (c1, c2)))

    for n in range(8, 16):
        producer.send("orders", key=f"customer-{n}".encode(), value=f"order {n}".encode())
    producer.flush(timeout=20)
    seen = poll_until(consumers, lambda s: len(s["c1"]) + len(s["c2"]) >= 8)
    assert sorted(v for name in seen for _, v in seen[name]) == \
        sorted(f"order {n}" for n in range(8, 16))  # nothing read twice: c1 committed
    for name, records in seen.items():
        assert {partition for partition, _ in records} <= mine[name]
    second.close()
    first.close()
    producer.close()

    # The room saw it all: produced by the client's producer node, delivered to each
    # member's node, the group's rebalances, and the commit.
    assert watcher.wait_for(lambda: {e["target"] for e in watcher.kinds("delivered")}
                            >= {c1, c2})
    # (a viewer's fresh snapshot, sent as each client is drawn, stands for the events just
    # before it: so the stream shows some of the records produced, the log all of them)
    assert {e["source"] for e in watcher.kinds("produced")} == \
        {"kafka:producer:kafka-python producer p1"}
    completed = [e["details"]["assignment"] for e in watcher.kinds("rebalance-completed")]
    assert any(len(assignment) == 2 and all(assignment.values()) for assignment in completed)
    assert any(e["source"] == c1 and e["details"]["group"] == "g"
               for e in watcher.kinds("committed"))
    # Closed, they left the group: their nodes leave the diagram.
    assert watcher.wait_for(lambda: not {c1, c2} & set(watcher.nodes))
    # Every change entered the room's command log, as the room's "api" command.
    calls = [entry[2] for entry in room_log(server, room_id) if entry[1] == "api"]
    assert {"create_topics", "produce", "join", "fetch", "commit", "leave"} <= \
        {call["action"] for call in calls}
    assert sorted(record["value"] for call in calls if call["action"] == "produce"
                  for record in call["params"]["records"]) == \
        sorted(f"order {n}" for n in range(16))


def test_clients_follow_a_leader_election(server, room):
    browser, room_id, facts, watcher = room
    config = python_config(facts)
    admin = KafkaAdminClient(**config)
    admin.create_topics([NewTopic("events", 3, 3)])
    admin.close()
    producer = KafkaProducer(acks="all", **config)
    before = [producer.send("events", value=b"before", partition=p).get(timeout=20)
              for p in range(3)]
    leaders = {p: producer._metadata.leader_for_partition(TopicPartition("events", p))
               for p in range(3)}
    victim = leaders[0]
    status, _ = browser.command(room_id, "kill_broker", broker=str(victim))
    assert status in (200, 204)
    after = [producer.send("events", value=b"after", partition=p).get(timeout=30)
             for p in range(3)]
    assert [m.offset for m in after] == [m.offset + 1 for m in before]
    moved = producer._metadata.leader_for_partition(TopicPartition("events", 0))
    assert moved is not None and moved != victim
    producer.close()
    elected = watcher.wait_for(lambda: watcher.kinds("leader-elected"))
    assert any(e["details"].get("partition") in ("events/0", 0) or "events/0" in e["reason"]
               for e in elected)
    # The room shows the partition led by the broker the client now writes to, with both
    # records in its log.
    def partition() -> dict:
        return watcher.contents.get("kafka:partition:events/0") or {"counters": {}}

    assert watcher.wait_for(lambda: partition().get("leader") == moved
                            and partition()["counters"].get("log_end") == 2)


def test_kafka_python_transactions_hide_aborted_records_from_read_committed(server, room):
    _, room_id, facts, watcher = room
    config = python_config(facts)
    admin = KafkaAdminClient(**config)
    admin.create_topics([NewTopic("ledger", 1, 3)])
    admin.close()
    producer = KafkaProducer(transactional_id="bank", **config)
    producer.init_transactions()
    for value, commit in ((b"credit", True), (b"mistake", False), (b"debit", True)):
        producer.begin_transaction()
        producer.send("ledger", value)
        producer.flush()
        if commit:
            producer.commit_transaction()
        else:
            producer.abort_transaction()
    producer.close()
    seen = {}
    for isolation in ("read_committed", "read_uncommitted"):
        consumer = KafkaConsumer("ledger", group_id=isolation, auto_offset_reset="earliest",
                                 isolation_level=isolation, consumer_timeout_ms=5000, **config)
        seen[isolation] = [(record.offset, record.value) for record in consumer]
        consumer.close()
    # Each transaction's marker takes an offset (1, 3, 5) and is never returned.
    assert seen["read_committed"] == [(0, b"credit"), (4, b"debit")]
    assert seen["read_uncommitted"] == [(0, b"credit"), (2, b"mistake"), (4, b"debit")]
    assert watcher.wait_for(lambda: watcher.kinds("transaction-aborted")
                            and len(watcher.kinds("transaction-committed")) == 2)
    markers = [r.get("marker") for r in
               watcher.wait_for(lambda: (watcher.contents.get("kafka:partition:ledger/0") or {})
                                .get("messages"))]
    assert markers == [None, "commit", None, "abort", None, "commit"]


def test_confluent_kafka_produces_and_reads_in_a_group(server, room):
    _, room_id, facts, watcher = room
    admin = KafkaAdminClient(**python_config(facts))
    admin.create_topics([NewTopic("payments", 2, 1)])
    admin.close()
    config = librdkafka_config(facts)
    producer = ConfluentProducer(config)
    reports = []
    for n in range(4):
        producer.produce("payments", key=f"k{n}", value=f"payment {n}",
                         on_delivery=lambda error, message: reports.append(
                             (error, message.partition(), message.offset())))
    assert producer.flush(30) == 0
    del producer  # closes it
    assert all(error is None for error, _, _ in reports) and len(reports) == 4
    consumer = ConfluentConsumer({**config, "group.id": "ledger",
                                  "auto.offset.reset": "earliest"})
    consumer.subscribe(["payments"])
    values = []
    deadline = time.monotonic() + 60
    while len(values) < 4 and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            values.append(message.value().decode())
    consumer.commit(asynchronous=False)
    consumer.close()
    assert sorted(values) == [f"payment {n}" for n in range(4)]
    targets = watcher.wait_for(lambda: {e["target"] for e in watcher.kinds("delivered")})
    assert any(t.startswith("kafka:consumer:") and t.endswith("consumer c1 of group ledger")
               for t in targets)
    # The group's committed offsets, as the room shows them on the group's node.
    assert watcher.wait_for(lambda: sum(
        offset["committed"] for offset in (watcher.contents.get("kafka:group:ledger") or {})
        .get("offsets", {}).values()) == 4)


@pytest.fixture(scope="module")
def kafkajs(tmp_path_factory):
    """A folder with kafkajs from the npm registry (skips without node)."""
    return npm_client(tmp_path_factory, "kafkajs@2", "kafka_kafkajs.mjs")


def test_kafkajs_drives_the_room(server, room, kafkajs):
    _, _, facts, watcher = room
    done = subprocess.run(["node", "kafka_kafkajs.mjs", json.dumps(facts), "clicks", "web"],
                          cwd=kafkajs, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    saw = json.loads(done.stdout.strip().splitlines()[-1])
    assert saw == {"created": True, "partitions": 2,
                   "values": ["from kafkajs 1", "from kafkajs 2", "from kafkajs 3"]}
    delivered = watcher.wait_for(lambda: [e for e in watcher.kinds("delivered")
                                          if e["target"] == "kafka:consumer:kafkajs consumer "
                                          "c1 of group web"])
    assert len(delivered) == 3
    produced = [e["source"] for e in watcher.kinds("produced")]
    assert produced == ["kafka:producer:kafkajs producer p1"] * 3, watcher.nodes.keys()


def panel_snippets() -> dict[str, str]:
    """The Connect panel's Kafka snippets, as the page shows them before filling."""
    template = (Path(__file__).parents[2] / "templates/room/connect_panel.html").read_text()
    found = re.findall(r'data-snippet-for="([\w-]+)">.*?<code data-snippet>(.*?)</code>',
                       template, re.S)
    return {name: html.unescape(code) for name, code in found}


def filled(snippet: str, facts: dict) -> str:
    """As static/js/connect-panel.js fills it."""
    return re.sub(r"\{(kafka)\.([a-z_]+)\}", lambda m: str(facts[m[2]]), snippet)


RECORD_LINE = re.compile(r"^\d+ \d+ hello \d+$")


def run_until(command: list[str], cwd: Path | None, lines: int, timeout: float = 90) -> list:
    """Run a snippet (its consumer never stops) until it has printed ``lines`` lines."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    printed: list[str] = []
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            if RECORD_LINE.match(line):  # (a client may print warnings too)
                printed.append(line.split())
            if len(printed) == lines:
                break
    finally:
        timer.cancel()
        process.kill()
        process.wait()
    return printed


def test_the_panels_snippets_run_unchanged(server, kafkajs):
    snippets = panel_snippets()
    assert set(snippets) == {"kafka-python", "confluent-kafka", "kafkajs"}
    for name, snippet in snippets.items():
        browser = Browser(server.url)
        room_id = browser.create_room("kafka-playground")
        facts = json.loads(browser.request(f"/rooms/{room_id}/connect.json")[1])["kafka"]
        watcher = Watcher(server, room_id)
        try:
            if name == "kafkajs":
                (kafkajs / "snippet.mjs").write_text(filled(snippet, facts))
                printed = run_until(["node", "snippet.mjs"], kafkajs, 5)
            else:
                printed = run_until([sys.executable, "-u", "-c", filled(snippet, facts)], None, 5)
            # partition, offset, value: every record once, each key on its partition
            assert sorted(line[2:] for line in printed) == \
                [["hello", str(n)] for n in range(5)], name
            assert watcher.wait_for(lambda w=watcher: any(
                e["target"] and e["target"].endswith("of group my-group")
                for e in w.kinds("delivered"))), name
        finally:
            watcher.close()
