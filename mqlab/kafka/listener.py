"""The Kafka listener: TCP servers started with the web server, one connection task each.

Ports (``MQLAB_KAFKA_PORT``, default 9092; 0 = no listener): the bootstrap port, then one port
per simulated broker, ``port + broker id`` (brokers 1..``MQLAB_KAFKA_BROKERS``, default 5),
so Metadata can advertise each of a room's brokers at its own address and a client talks to
the leader of each partition, as with a real cluster. Every port serves every room: which
room is chosen by SASL/PLAIN (user = room id, password = the room's token). The bind address
is ``MQLAB_KAFKA_BIND`` (default 0.0.0.0); the host advertised in Metadata and connect.json is
``MQLAB_KAFKA_PUBLIC_HOST``, else the address the client reached (the page's host).

A connection handles one request at a time, in order (a Kafka broker mutes a connection until
it has answered its request), on the event loop; room work runs on the room's worker thread
(``mqlab.rooms.offloop``), and waits (a Fetch's max_wait, a JoinGroup until the rebalance
completes) sleep on the loop, so no connection holds a thread or blocks the server.

Bounds, each refused as Kafka refuses it:
- a frame larger than ``MQLAB_KAFKA_MAX_REQUEST_BYTES`` (1 MiB + 64 KiB) or with a negative
  size closes the connection (Kafka's socket.request.max.bytes: InvalidReceiveException);
- a connection must authenticate within ``AUTH_SECONDS``; before that only ApiVersions and
  SASL are answered, anything else closes it (SaslServerAuthenticator);
- at most ``MQLAB_KAFKA_CONNECTIONS_PER_ROOM`` (50) connections per room, and
  ``MQLAB_KAFKA_MAX_CONNECTIONS`` (1000) in all: past them SaslAuthenticate fails with a message
  saying so, then the connection closes (max.connections.per.ip closes too);
- ``MQLAB_KAFKA_REQUESTS_PER_SECOND`` (200) per room: past it responses are delayed and carry
  ``throttle_time_ms``, as Kafka's request quotas do (KIP-124);
- a malformed request closes the connection; an unknown API or version answers
  UNSUPPORTED_VERSION (ApiVersions with its v0 answer, KIP-511).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import struct
import time
from typing import Any

from django.conf import settings

from mqlab.rooms import RoomNotFound, realclients, registry

logger = logging.getLogger("mqlab.kafka")

def _setting(name: str) -> Any:
    return getattr(settings, f"MQLAB_KAFKA_{name}")


RATE = _setting("REQUESTS_PER_SECOND")
AUTH_SECONDS = 10.0
#: How long a new client's first request waits for the snapshot that draws it.
SNAPSHOT_GRACE_SECONDS = 0.5
#: APIs a connection may use before it has authenticated.
BEFORE_AUTH = {18, 17, 36}


def port() -> int:
    return _setting("PORT")


def broker_count() -> int:
    return _setting("BROKERS")


class Listener:
    """The servers of this process, and its connections (for the per-room bound)."""

    def __init__(self) -> None:
        self.servers: list[asyncio.AbstractServer] = []
        self.connections: set[Connection] = set()
        self.peers: dict[tuple[str, str, str], Peer] = {}
        self.pid = 0

    async def start(self, base: int, host: str) -> None:
        for broker in range(0, broker_count() + 1):
            server = await asyncio.start_server(
                lambda r, w, b=broker: self._serve(r, w, b or None), host, base + broker,
                limit=64 * 1024)
            self.servers.append(server)
        logger.info("Kafka listener on %s:%d (brokers on %d..%d)", host, base, base + 1,
                    base + broker_count())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     broker: int | None) -> None:
        if len(self.connections) >= _setting("MAX_CONNECTIONS"):
            writer.close()
            return
        connection = Connection(self, reader, writer, broker)
        self.connections.add(connection)
        try:
            await connection.run()
        finally:
            self.connections.discard(connection)
            await connection.closed()

    def in_room(self, room: Any) -> int:
        return sum(1 for c in self.connections if c.room is room)


_listener = Listener()


def ensure_started() -> None:
    """Start the listener in this process's running loop, once (a forked test server starts
    its own). Called when the server starts serving and on its first request."""
    if _listener.pid == os.getpid() or port() == 0:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    _listener.pid = os.getpid()
    _listener.servers, _listener.connections, _listener.peers = [], set(), {}
    task = loop.create_task(_listener.start(port(), _setting("BIND")))
    task.add_done_callback(_report)


def _report(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the Kafka listener could not start: %s", task.exception())


def start_with_server() -> None:
    """Under daphne (Twisted's asyncio reactor): start once the reactor runs."""
    try:
        from twisted.internet import reactor
    except ImportError:
        return
    call = getattr(reactor, "callWhenRunning", None)
    if call is not None:
        call(ensure_started)


class Closing(Exception):
    """Close the connection (after sending ``reply`` if there is one)."""

    def __init__(self, why: str, reply: bytes | None = None) -> None:
        super().__init__(why)
        self.reply = reply


class Connection:
    """One client connection: its room once authenticated, and what it made there."""

    def __init__(self, listener: Listener, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, broker: int | None) -> None:
        self.listener = listener
        self.reader, self.writer = reader, writer
        self.broker = broker
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        sock = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        self.host = _setting("PUBLIC_HOST") or sock[0]
        self.room: Any = None
        self.mechanism: str | None = None
        self.raw_sasl = False  # SaslHandshake v0: the token comes as a bare frame
        self.software = ""
        self.client_id = ""
        self.opened = time.monotonic()

    async def run(self) -> None:
        from mqlab.kafka import handlers

        try:
            while True:
                frame = await self._read_frame()
                if frame is None:
                    return
                if self.raw_sasl:  # SaslHandshake v0: a bare token, a bare (empty) answer
                    self.raw_sasl = False
                    why = await self.authenticate(frame)
                    if why is not None:
                        raise Closing(why)
                    self.joined()
                    await self._write(struct.pack(">i", 0))
                    continue
                await self._write(await handlers.answer(self, frame))
        except Closing as closing:
            if closing.reply:
                await self._write(closing.reply)
            logger.info("kafka %s: closed (%s)", self.peer, closing)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except Exception:  # our bug: this connection closes, the server serves on
            logger.exception("kafka %s: request failed", self.peer)
        finally:
            self.writer.close()

    async def _read_frame(self) -> bytes | None:
        timeout = None if self.room is not None else \
            max(0.1, AUTH_SECONDS - (time.monotonic() - self.opened))
        try:
            head = await asyncio.wait_for(self.reader.readexactly(4), timeout)
        except asyncio.IncompleteReadError:
            return None
        except TimeoutError:
            raise Closing("did not authenticate in time") from None
        (size,) = struct.unpack(">i", head)
        if size < 0 or size > _setting("MAX_REQUEST_BYTES"):
            raise Closing(f"a request of {size} bytes (the most is "
                          f"{_setting('MAX_REQUEST_BYTES')})")
        return await self.reader.readexactly(size)

    def _send(self, data: bytes) -> None:
        if data:
            self.writer.write(data)

    async def _write(self, data: bytes) -> None:
        self._send(data)
        await self.writer.drain()

    # -- SASL/PLAIN ---------------------------------------------------------------------------
    async def authenticate(self, token: bytes) -> str | None:
        """None when ``token`` (RFC 4616: ``authzid NUL authcid NUL passwd``) opens the room
        ``authcid`` with its token as the password, else why not (Kafka's message)."""
        parts = token.split(b"\0")
        if len(parts) != 3:
            return "Invalid SASL/PLAIN request: expected 3 tokens"
        user, password = (p.decode("utf-8", "replace") for p in parts[1:])
        try:
            room = await registry.aget(user) if user and len(user) <= 64 else None
        except RoomNotFound:
            room = None
        if room is None or not hmac.compare_digest(password.encode(), room.token.encode()):
            return "Authentication failed: Invalid username or password"
        if room.kit.broker != "kafka":
            return f"Room {user} is a {room.kit.broker} room: it has no Kafka cluster"
        most = _setting("CONNECTIONS_PER_ROOM")
        if self.listener.in_room(room) >= most:
            return (f"Room {user} has {most} Kafka connections, the most it accepts; close "
                    "some clients")
        self.room = room
        return None

    def joined(self) -> Peer:
        """This connection's client process (called once authenticated and on each request,
        as the client id comes with every request)."""
        key = (self.room.id, self.client_id, self.peer.rsplit(":", 1)[0])
        peer = self.listener.peers.get(key)
        if peer is None:
            peer = self.listener.peers[key] = Peer(key, self.room, self.software)
        peer.connections.add(self)
        return peer

    async def closed(self) -> None:
        """The connection is gone; when it was its client's last, the client's members crash
        (the coordinator removes them after their session timeout), its producer closes and
        its nodes leave the diagram."""
        for key, peer in list(self.listener.peers.items()):
            peer.connections.discard(self)
            if peer.connections:
                continue
            del self.listener.peers[key]
            await peer.gone(self)


class Peer:
    """A client process as far as a broker can tell: one room, client.id and host. Its
    connections (one per broker it talks to) share its producer and its group members."""

    def __init__(self, key: tuple[str, str, str], room: Any, software: str) -> None:
        self.key, self.room = key, room
        self.software = software or key[1] or "kafka client"
        self.connections: set[Connection] = set()
        self.producer: str | None = None  # its model producer's client id
        self.members: dict[str, str] = {}  # member id -> node
        self.reader: str | None = None  # the node of its fetches outside a group
        self.nodes: list[str] = []

    async def producer_name(self) -> str:
        """The model producer of this client, drawn as its node."""
        if self.producer is None:
            number = _next_number(self.room, "producer")
            node = realclients.attach(self.room, f"{self.software} producer p{number}",
                                      "kafka-producer")
            self.nodes.append(node)
            self.producer = node.split(":", 2)[2]
            await _drawn()
        return self.producer

    async def member_name(self, group: str) -> tuple[str, str]:
        """A node and model client id for a new member of ``group``."""
        number = _next_number(self.room, "consumer")
        node = realclients.attach(self.room, f"{self.software} consumer c{number} of group "
                                  f"{group}", "kafka-consumer")
        self.nodes.append(node)
        await _drawn()
        return node, node.split(":", 2)[2]

    async def reader_node(self) -> str:
        """The node of a consumer outside any group (``assign()``), drawn on its first
        fetch."""
        if self.reader is None:
            number = _next_number(self.room, "consumer")
            self.reader = realclients.attach(self.room, f"{self.software} consumer c{number}",
                                             "kafka-consumer")
            self.nodes.append(self.reader)
            await _drawn()
        return self.reader

    def forget_member(self, member_id: str) -> None:
        node = self.members.pop(member_id, None)
        if node is not None:
            realclients.detach(self.room, node)
            self.nodes = [n for n in self.nodes if n != node]

    async def gone(self, connection: Connection) -> None:
        if self.members or self.producer:
            from mqlab.kafka.room import command

            try:
                await command(connection, "gone", {
                    "members": sorted(self.members),
                    "producers": [self.producer] if self.producer else []})
            except Exception:  # noqa: BLE001 - a room that refuses still loses the client
                logger.exception("kafka %s: could not record the disconnect", self.key)
        for node in self.nodes:
            realclients.detach(self.room, node)


async def _drawn() -> None:
    """A new client's node was attached: give the viewers' fresh snapshot (which draws it) a
    moment to go out first, since events just before a snapshot are not animated (it stands
    for them) and the client's first records should be."""
    await asyncio.sleep(SNAPSHOT_GRACE_SECONDS)


def _next_number(room: Any, kind: str) -> int:
    """c1, c2... per room (on the event loop only)."""
    counters = getattr(room, "kafka_client_numbers", None)
    if counters is None:
        counters = room.kafka_client_numbers = {}
    counters[kind] = counters.get(kind, 0) + 1
    return counters[kind]


def started(application: Any) -> Any:
    """``application`` that starts the listener on its first call in this process."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ensure_started()
        await application(scope, receive, send)

    return app


def connect_facts(request: Any, room: Any) -> dict[str, Any]:
    """The "kafka" part of ``connect.json``: what a client's config needs (port 0: the server
    runs no Kafka listener)."""
    from django.http.request import split_domain_port

    host = _setting("PUBLIC_HOST") or split_domain_port(request.get_host())[0] or "localhost"
    return {"bootstrap_servers": f"{host}:{port()}", "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "PLAIN", "sasl_plain_username": room.id,
            "sasl_plain_password": room.token}
