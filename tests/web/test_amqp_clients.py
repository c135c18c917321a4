"""Real AMQP 0-9-1 clients drive a room (issue 15): pika, aio-pika and Node's amqplib against a
live daphne in a child process, its AMQP listener on a free port. Each test checks what the
client saw and what the room streamed to a viewer (``room_watch.Watch``)."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import time

import aio_pika
import pika
import pytest
from pamqp import body as content_body
from pamqp import commands as spec
from pamqp import frame as pamqp_frame
from pamqp import header, heartbeat
from pika.exceptions import (
    ChannelClosedByBroker,
    ConnectionClosedByBroker,
    ProbableAccessDeniedError,
    ProbableAuthenticationError,
    UnroutableError,
)

from mqlab import sources
from mqlab.management.commands._server import Browser, ServerProcess, free_port
from mqlab.rooms import Room
from tests.web.npm import npm_client
from tests.web.room_watch import Watch
from tests.web.test_sqs_http import room_log

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Small bounds, so the tests reach them: 3 connections a room, 4 channels a connection,
    # and a budget of 50 messages (the memory alarm goes off above 30).
    process = ServerProcess(tmp_path_factory.mktemp("amqp"), MQLAB_AMQP_PORT=str(free_port()),
                            MQLAB_AMQP_BIND="127.0.0.1", MQLAB_AMQP_CONNECTIONS_PER_ROOM="3",
                            MQLAB_AMQP_CHANNEL_MAX="4", MQLAB_MAX_MESSAGES="50").start()
    process.amqp_port = int(process.env["MQLAB_AMQP_PORT"])
    yield process
    process.__exit__()


@pytest.fixture
def room(server):
    """A fresh empty RabbitMQ room, its controller's browser and connect.json's "amqp"."""
    browser = Browser(server.url)
    room_id = browser.create_room("rabbitmq-playground")
    status, text, _, _ = browser.request(f"/rooms/{room_id}/connect.json")
    assert status == 200
    return browser, room_id, json.loads(text)["amqp"]


def pika_connection(facts: dict, **changes: str) -> pika.BlockingConnection:
    facts = {**facts, **changes}
    return pika.BlockingConnection(pika.ConnectionParameters(
        facts["host"], facts["port"], facts["virtual_host"],
        pika.PlainCredentials(facts["username"], facts["password"]),
        blocked_connection_timeout=30))


def test_connect_json_names_the_listener_and_the_rooms_credentials(server, room):
    _, room_id, facts = room
    assert facts == {"host": "127.0.0.1", "port": server.amqp_port, "virtual_host": room_id,
                     "username": "mqlab", "password": facts["password"]}
    assert len(facts["password"]) >= 32


def test_pika_work_queue_with_prefetch_and_acks(server, room):
    browser, room_id, facts = room
    with Watch(server.url, browser, room_id) as watch:
        connection = pika_connection(facts)
        publisher = connection.channel()
        publisher.queue_declare("tasks", durable=True)
        publisher.confirm_delivery()
        for n in range(3):
            publisher.basic_publish("", "tasks", f"task {n}".encode(),
                                    pika.BasicProperties(delivery_mode=2, headers={"n": n}))
        worker = connection.channel()
        worker.basic_qos(prefetch_count=1)
        seen: list[tuple[bytes, int, bool]] = []
        worker.basic_consume("tasks", lambda ch, method, props, body: seen.append(
            (body, method.delivery_tag, method.redelivered)), consumer_tag="worker")
        _pump(connection, lambda: seen)
        connection.process_data_events(time_limit=0.3)
        assert [body for body, _, _ in seen] == [b"task 0"]  # prefetch 1: one at a time
        worker.basic_nack(seen[0][1], requeue=True)  # back to the queue, redelivered
        _pump(connection, lambda: len(seen) == 2)
        assert seen[1] == (b"task 0", 2, True)
        for expected in (b"task 1", b"task 2"):
            worker.basic_ack(seen[-1][1])
            _pump(connection, lambda e=expected: seen[-1][0] == e)
        worker.basic_ack(seen[-1][1])
        declared = publisher.queue_declare("tasks", passive=True).method
        assert (declared.message_count, declared.consumer_count) == (0, 1)
        node = watch.wait_for(lambda: next(
            (k for k, v in watch.clients().items() if v["label"].startswith("pika 127.0.0.1:")),
            None))
        consumer = watch.wait_for(lambda: watch.nodes().get("rabbitmq:consumer:worker"))
        assert consumer["props"]["tags"][0] == watch.clients()[node]["label"]  # whose it is
        connection.close()

        # The room streamed the client's messages from its node, through the queue, to the
        # consumer it named, and the acks.
        published = watch.wait_for(lambda: [e for e in watch.events("published")
                                            if e["source"] == node])
        assert len(published) == 3
        delivered = watch.wait_for(lambda: [e for e in watch.events("delivered")
                                            if e["target"] == "rabbitmq:consumer:worker"] if
                                   len(watch.events("acked")) >= 3 else None)
        assert len(delivered) == 4
        watch.wait_for(lambda: node not in watch.clients())  # gone once it disconnects

    # Every method entered the room's log; the log replays to the same state.
    log, seed = room_log(server, room_id)
    methods = [entry[2]["method"] for entry in log]
    assert {entry[1] for entry in log} == {"amqp"}
    assert methods[0] == "connection.open" and methods[-1] == "connection.close"
    assert methods.count("basic.publish") == 3 and methods.count("basic.ack") == 3
    replayed = Room(room_id, sources.find("rabbitmq-playground"), seed, "owner", log=log,
                    now=log[-1][0])
    assert replayed.notice is None
    assert replayed.sim.rabbitmq.queues["tasks"]["ready"] == 0


def test_pika_topic_exchange_confirms_returns_and_basic_get(server, room):
    browser, room_id, facts = room
    with Watch(server.url, browser, room_id) as watch:
        connection = pika_connection(facts)
        channel = connection.channel()
        channel.exchange_declare("events", "topic")
        for queue, key in (("orders", "order.*"), ("shipping", "#.shipped")):
            channel.queue_declare(queue)
            channel.queue_bind(queue, "events", key)
        channel.confirm_delivery()
        for key in ("order.created", "order.shipped", "user.signup"):
            channel.basic_publish("events", key, key.encode())
        with pytest.raises(UnroutableError):  # mandatory, and no binding matches
            channel.basic_publish("events", "user.deleted", b"lost", mandatory=True)
        got = {}
        for queue in ("orders", "shipping"):
            bodies = []
            while True:
                method, _props, body = channel.basic_get(queue, auto_ack=True)
                if method is None:
                    break
                bodies.append(body)
            got[queue] = bodies
        assert got == {"orders": [b"order.created", b"order.shipped"],
                       "shipping": [b"order.shipped"]}
        connection.close()

        # Bodies go across frames both ways (frame_max 4096: three body frames); one over the
        # room's message size is refused as RabbitMQ refuses one over max_message_size.
        small_frames = pika.BlockingConnection(pika.ConnectionParameters(
            facts["host"], facts["port"], facts["virtual_host"],
            pika.PlainCredentials(facts["username"], facts["password"]), frame_max=4096))
        channel = small_frames.channel()
        big = bytes(range(256)) * 36
        channel.basic_publish("", "orders", big)
        method, _props, body = channel.basic_get("orders", auto_ack=False)
        assert body == big and method.message_count == 0
        channel.basic_reject(method.delivery_tag, requeue=False)
        with pytest.raises(ChannelClosedByBroker) as too_big:
            channel.basic_publish("", "orders", b"x" * 20000)
            channel.queue_declare("orders", passive=True)  # the close arrives by now
        assert too_big.value.reply_code == 406
        assert "message size 20000 is larger than configured max size" in \
            too_big.value.reply_text
        small_frames.close()
        assert watch.wait_for(lambda: watch.events("returned"))[0]["reason"].endswith(
            "basic.return 312 NO_ROUTE")
        confirms = watch.wait_for(lambda: len(watch.events("confirmed")) == 4
                                  and watch.events("confirmed"))
        assert all(e["details"]["ack"] for e in confirms)


def test_a_refused_method_closes_only_its_channel_and_a_hard_error_only_its_connection(
        server, room):
    browser, room_id, facts = room
    with Watch(server.url, browser, room_id) as watch:
        bystander = pika_connection(facts)
        kept = bystander.channel()
        kept.queue_declare("kept")
        connection = pika_connection(facts)
        channel = connection.channel()
        with pytest.raises(ChannelClosedByBroker) as refused:
            channel.queue_declare("missing", passive=True)
        assert refused.value.reply_code == 404
        assert refused.value.reply_text == f"NOT_FOUND - no queue 'missing' in vhost '{room_id}'"
        again = connection.channel()  # the connection goes on
        again.queue_declare("fine")
        with pytest.raises(ConnectionClosedByBroker) as no_tx:  # not modelled: said so
            connection.channel().tx_select()
        assert no_tx.value.reply_code == 540
        connection = pika_connection(facts)
        again = connection.channel()
        with pytest.raises(ConnectionClosedByBroker) as hard:
            again.exchange_declare("x", "nonsense")
        assert hard.value.reply_code == 503
        assert "COMMAND_INVALID - unknown exchange type 'nonsense'" in hard.value.reply_text
        kept.basic_publish("", "kept", b"still here")  # the other client is untouched
        assert kept.queue_declare("kept", passive=True).method.message_count == 1
        closed = watch.wait_for(lambda: [e for e in watch.events("channel-closed")
                                         if e["details"].get("reply_code") == 404])
        assert "no queue 'missing'" in closed[0]["reason"]
        bystander.close()


def test_bad_credentials_vhosts_and_frames_are_refused_as_rabbitmq_refuses_them(server, room):
    _, room_id, facts = room
    with pytest.raises(ProbableAuthenticationError):
        pika_connection(facts, password="not-the-token")
    other = Browser(server.url).create_room("rabbitmq-playground")
    with pytest.raises((ProbableAccessDeniedError, ConnectionClosedByBroker)) as refused:
        pika_connection(facts, virtual_host=other)
    assert "access to vhost" in str(refused.value) and "refused" in str(refused.value)
    with pytest.raises((ProbableAccessDeniedError, ConnectionClosedByBroker)) as unknown:
        pika_connection(facts, virtual_host="no-such-room")
    assert "vhost no-such-room not found" in str(unknown.value)

    with socket.create_connection(("127.0.0.1", facts["port"]), timeout=10) as raw:
        raw.sendall(b"HTTP/1.1\r\n")  # not AMQP: the server answers with its protocol header
        assert raw.recv(8) == b"AMQP\x00\x00\x09\x01"
    with socket.create_connection(("127.0.0.1", facts["port"]), timeout=10) as raw:
        raw.sendall(b"AMQP\x00\x00\x09\x01")
        _read_method(raw)  # connection.start
        raw.sendall(b"\x01\x00\x00\x00\x00\x00\x04abcd\x00")  # no 0xCE frame end
        close = _read_method(raw)
        assert isinstance(close, spec.Connection.Close) and close.reply_code == 501
    # The listener still serves.
    connection = pika_connection(facts)
    assert connection.channel().queue_declare("after").method.queue == "after"
    connection.close()


def test_aio_pika_consumes_with_prefetch_and_confirms(server, room):
    browser, room_id, facts = room

    async def client() -> list[str]:
        url = (f"amqp://mqlab:{facts['password']}@127.0.0.1:{facts['port']}/"
               f"{facts['virtual_host']}")
        connection = await aio_pika.connect_robust(url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=2)
            exchange = await channel.declare_exchange("logs", aio_pika.ExchangeType.FANOUT)
            queue = await channel.declare_queue("", exclusive=True)
            await queue.bind(exchange)
            for n in range(4):
                await exchange.publish(aio_pika.Message(f"line {n}".encode()), routing_key="")
            seen = []
            async with queue.iterator() as lines:
                async for message in lines:
                    async with message.process():
                        seen.append(message.body.decode())
                    if len(seen) == 4:
                        break
            return seen

    with Watch(server.url, browser, room_id) as watch:
        assert asyncio.run(client()) == [f"line {n}" for n in range(4)]
        nodes = watch.wait_for(lambda: [e["source"] for e in watch.events("published")])
        assert nodes[0].startswith("rabbitmq:client:aio-pika 127.0.0.1:")
        assert len(watch.wait_for(lambda: len(watch.events("acked")) >= 4
                                  and watch.events("acked"))) == 4


def test_bounds_are_refused_with_amqps_own_errors(server, room):
    _, room_id, facts = room
    open_ = [pika_connection(facts) for _ in range(3)]
    with pytest.raises((ProbableAccessDeniedError, ConnectionClosedByBroker)) as full:
        pika_connection(facts)
    assert f"access to vhost '{room_id}' refused for user 'mqlab': connection limit (3) is " \
        "reached" in str(full.value)
    for connection in open_:
        connection.close()

    raw = RawClient(facts)
    assert raw.tune.channel_max == 4
    raw.send(spec.Channel.Open(), 5)  # past the negotiated channel_max
    close = raw.read()
    assert (close.reply_code, close.reply_text) == (
        530, "NOT_ALLOWED - channel id 5 is greater than the negotiated channel_max (4)")
    assert (close.class_id, close.method_id) == (20, 10)  # channel.open
    raw = RawClient(facts)
    raw.send(spec.Queue.Declare(queue="q"), 2)  # a channel never opened
    assert raw.read().reply_code == 504
    raw = RawClient(facts)
    raw.send(spec.Channel.Open(), 1)
    assert isinstance(raw.read(), spec.Channel.OpenOk)
    raw.send(header.ContentHeader(body_size=3), 1)  # content without a basic.publish
    assert raw.read().reply_code == 505


def test_heartbeats_go_out_and_a_silent_client_is_dropped_with_its_unacked_messages(
        server, room):
    _, _room_id, facts = room
    raw = RawClient(facts, heartbeat=1)
    raw.send(spec.Channel.Open(), 1)
    assert isinstance(raw.read(), spec.Channel.OpenOk)
    raw.send(spec.Queue.Declare(queue="q"), 1)
    assert isinstance(raw.read(), spec.Queue.DeclareOk)
    raw.send(spec.Basic.Publish(exchange="", routing_key="q"), 1)
    raw.send(header.ContentHeader(body_size=2), 1)
    raw.send(content_body.ContentBody(b"hi"), 1)
    raw.send(spec.Basic.Get(queue="q"), 1)
    assert isinstance(raw.read(), spec.Basic.GetOk)  # held unacked by this connection
    assert raw.read().body_size == 2 and raw.read().value == b"hi"
    assert isinstance(raw.read(), heartbeat.Heartbeat)  # the server's, while all is quiet
    raw.socket.settimeout(15)
    while raw.socket.recv(65536):  # ... until two silent intervals: the socket closes
        pass
    watcher = pika_connection(facts)
    assert watcher.channel().queue_declare("q", passive=True).method.message_count == 1
    watcher.close()


def test_the_memory_alarm_blocks_a_publishing_connection_and_a_deleted_queue_cancels(
        server, room):
    browser, room_id, facts = room
    with Watch(server.url, browser, room_id) as watch:
        connection = pika_connection(facts)
        said: list[str] = []
        connection.add_on_connection_blocked_callback(
            lambda _connection, method: said.append(f"blocked: {method.method.reason}"))
        connection.add_on_connection_unblocked_callback(
            lambda _connection, _method: said.append("unblocked"))
        channel = connection.channel()
        channel.queue_declare("backlog")
        for n in range(32):  # the room's alarm goes off above 30 messages
            channel.basic_publish("", "backlog", f"m{n}".encode())
        _pump(connection, lambda: said)
        assert said == ["blocked: low on memory"]
        other = pika_connection(facts).channel()
        other.queue_purge("backlog")  # memory comes back: unblocked, held publishes go on
        _pump(connection, lambda: "unblocked" in said)

        cancelled = []
        channel.add_on_cancel_callback(lambda method: cancelled.append(
            method.method.consumer_tag))
        channel.basic_consume("backlog", lambda *_: None, consumer_tag="reader")
        other.queue_delete("backlog")
        _pump(connection, lambda: cancelled)
        assert cancelled == ["reader"]
        connection.close()
        assert watch.wait_for(lambda: watch.events("connection-blocked"))
        assert watch.wait_for(lambda: watch.events("connection-unblocked"))


def test_after_kill_9_a_gone_clients_unacked_message_comes_back(tmp_path):
    """The server dies with a client mid-work; the restarted room replays the client's
    connection from the log, and the next client's arrival closes it (journaled), so what it
    held unacked is ready again, as RabbitMQ requeues a dropped connection's messages."""
    server = ServerProcess(tmp_path, MQLAB_AMQP_PORT=str(free_port()),
                           MQLAB_AMQP_BIND="127.0.0.1").start()
    try:
        browser = Browser(server.url)
        room_id = browser.create_room("rabbitmq-playground")
        facts = json.loads(browser.request(f"/rooms/{room_id}/connect.json")[1])["amqp"]
        channel = pika_connection(facts).channel()
        channel.queue_declare("jobs", durable=True)
        for n in range(2):
            channel.basic_publish("", "jobs", f"job {n}".encode())
        assert channel.basic_get("jobs", auto_ack=False)[2] == b"job 0"  # held, unacked
        server.stop(signal.SIGKILL)
        server.start()
        connection = pika_connection(facts)
        declared = connection.channel().queue_declare("jobs", passive=True).method
        assert declared.message_count == 2
        connection.close()
        log, _seed = room_log(server, room_id)
        closes = [entry[2] for entry in log if entry[2]["method"] == "connection.close"]
        assert closes[0]["args"] == {"text": "its client is gone (the server restarted)"}
    finally:
        server.__exit__()


@pytest.fixture(scope="module")
def amqplib(tmp_path_factory):
    """A folder with amqplib from the npm registry (skips without node)."""
    return npm_client(tmp_path_factory, "amqplib", "amqp_amqplib.mjs")


def test_nodes_amqplib_drives_the_room(server, room, amqplib):
    browser, room_id, facts = room
    with Watch(server.url, browser, room_id) as watch:
        done = subprocess.run(["node", "amqp_amqplib.mjs", json.dumps(facts)], cwd=amqplib,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout) == {"queue": "jobs", "confirmed": 3,
                                           "bodies": ["job 0", "job 1", "job 2"],
                                           "error": 404}
        published = watch.wait_for(lambda: [e for e in watch.events("published")
                                            if e["source"].startswith("rabbitmq:client:amqplib")])
        assert len(published) == 3


# -- helpers ---------------------------------------------------------------------------------

def _pump(connection: pika.BlockingConnection, done, timeout: float = 10.0) -> None:
    """Let pika read what the server sends until ``done()``."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the client never got what it waited for"
        connection.process_data_events(time_limit=0.05)


class RawClient:
    """A client that sends any frame: the handshake by hand, then what a test needs."""

    def __init__(self, facts: dict, heartbeat: int = 0) -> None:
        self.socket = socket.create_connection((facts["host"], facts["port"]), timeout=10)
        self.buffer = b""
        self.socket.sendall(b"AMQP\x00\x00\x09\x01")
        assert isinstance(self.read(), spec.Connection.Start)
        self.send(spec.Connection.StartOk(response=f"\0mqlab\0{facts['password']}"))
        self.tune = self.read()
        self.send(spec.Connection.TuneOk(channel_max=self.tune.channel_max,
                                         frame_max=self.tune.frame_max, heartbeat=heartbeat))
        self.send(spec.Connection.Open(virtual_host=facts["virtual_host"]))
        assert isinstance(self.read(), spec.Connection.OpenOk)

    def send(self, value, channel: int = 0) -> None:
        self.socket.sendall(pamqp_frame.marshal(value, channel))

    def read(self):
        while True:
            try:
                used, _channel, value = pamqp_frame.unmarshal(self.buffer)
            except Exception:  # noqa: BLE001 - not all of the frame yet
                chunk = self.socket.recv(65536)
                assert chunk, "the server closed the socket"
                self.buffer += chunk
                continue
            self.buffer = self.buffer[used:]
            return value


def _read_method(raw: socket.socket):
    data = b""
    while True:
        chunk = raw.recv(65536)
        assert chunk, "the server closed the socket"
        data += chunk
        try:
            _used, _channel, value = pamqp_frame.unmarshal(data)
        except Exception:  # noqa: BLE001 - not all of the frame yet
            continue
        return value
