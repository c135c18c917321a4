"""One AMQP 0-9-1 connection: the handshake, then methods in and frames out.

The handshake follows RabbitMQ (AMQP 0-9-1, 2.2.4 "Connection Negotiation"; RabbitMQ's
``rabbit_reader``): protocol header, connection.start (with RabbitMQ's capabilities),
start-ok (PLAIN: user ``mqlab``, password = a room's token), tune / tune-ok, open (the
virtual host is the room id), open-ok. A wrong user or password is refused as RabbitMQ refuses
it, with connection.close 403 ACCESS_REFUSED; an unknown virtual host with 530 NOT_ALLOWED
"vhost x not found"; a room this user may not open with 530 "access to vhost 'x' refused".

Every channel method becomes one ``amqp`` command of the room (``mqlab.commands._amqp``), run
off the event loop after the room's earlier work (``offloop``); its -ok goes back, then what
the broker produced meanwhile (deliveries, confirms, returns, closes: the connection's
outbox). A method the broker refuses closes the channel, or the connection for a hard error,
with RabbitMQ's reply code and text (the engine's ``rabbit_channel`` wording, its vhost
named as the room). A frame the server cannot read, a frame on a channel that is not open, a
method out of place or over a bound closes the connection (501 FRAME_ERROR, 504 CHANNEL_ERROR,
505 UNEXPECTED_FRAME, 530 NOT_ALLOWED), and only that connection.

Heartbeats: the server sends one when it has been quiet for half the negotiated interval, and
closes the socket after two intervals without a frame from the client ("Detecting Dead TCP
Connections with Heartbeats": "missed heartbeats from client, timeout: 60s").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from django.conf import settings
from pamqp import commands as spec
from pamqp import heartbeat

from mqlab.amqp import frames, rooms
from mqlab.amqp.channel import Channel
from mqlab.amqp.errors import Closed, ConnectionClose, method_ids
from mqlab.amqp.frames import FrameError, method
from mqlab.commands import _amqp
from mqlab.rooms import offloop, realclients
from mqlab.throttle import TokenBucket

logger = logging.getLogger("mqlab.amqp")

#: Seconds a client has to finish the handshake (RabbitMQ's handshake_timeout, 10 s).
HANDSHAKE_SECONDS = 10.0
#: How long the server waits for close-ok after it sent connection.close.
CLOSE_WAIT_SECONDS = 2.0
#: How long a method waits for a busy room (its CPU share spent) before it is refused.
BUSY_WAIT_SECONDS = 10.0
SERVER_PROPERTIES = {
    "product": "mqlab", "version": "0.1.0", "platform": "Python (simulated RabbitMQ 3.x)",
    "information": "mqlab: a room's simulated RabbitMQ; see /rooms/<room id>/connect.json",
    "capabilities": {"publisher_confirms": True, "exchange_exchange_bindings": True,
                     "basic.nack": True, "consumer_cancel_notify": True,
                     "connection.blocked": True, "authentication_failure_close": True,
                     "per_consumer_qos": True, "consumer_priorities": True},
}
def _setting(name: str) -> Any:
    return getattr(settings, name)


class Session:
    """One client socket, from the protocol header to the last close-ok."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.frame_max = frames.FRAME_MIN_SIZE
        self.channel_max = _setting("MQLAB_AMQP_CHANNEL_MAX")
        self.heartbeat = 0
        self.room: Any = None
        self.lab: Any = None
        self.node = ""  # the client's node id: its connection's name in the room
        self.key: str | None = None  # the node id while the room has the connection open
        self.loop: asyncio.AbstractEventLoop | None = None
        self.channels: dict[int, Channel] = {}
        self.turn = asyncio.Lock()  # replies, then the outbox: one writer at a time
        self.wake = asyncio.Event()
        self.last_read = self.last_write = time.monotonic()
        self.bucket = TokenBucket(_setting("MQLAB_AMQP_METHODS_PER_SECOND"),
                                  2 * _setting("MQLAB_AMQP_METHODS_PER_SECOND"))
        self.outbox: Any = None
        self.closing = False

    # -- the connection's life ----------------------------------------------------------------
    async def run(self) -> None:
        self.loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(self.handshake(), HANDSHAKE_SECONDS)
            await self.until_first_ends(self.serve(), self.send_outbox(), self.keep_alive())
        except ConnectionClose as error:
            await self.close_with(error)
        except (TimeoutError, Closed, asyncio.IncompleteReadError, ConnectionError):
            pass
        except Exception:  # our bug: this connection ends, the server and others go on
            logger.exception("AMQP connection %s failed", self.peer)
            with contextlib.suppress(Exception):
                await self.close_with(ConnectionClose(541, "INTERNAL_ERROR - the simulator "
                                                       "failed on this connection"))
        finally:
            await self.leave("connection closed by the client")
            self.writer.close()

    @staticmethod
    async def until_first_ends(*jobs: Any) -> None:
        """Reading, writing the outbox and the heartbeat run side by side; the first to end
        (a close, an error) ends the others, and its exception is the connection's."""
        tasks = [asyncio.create_task(job) for job in jobs]
        try:
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()  # raises what ended it

    async def leave(self, text: str) -> None:
        """The room forgets this connection: its unacked messages requeue (journaled)."""
        if self.room is None:
            return
        key, self.key = self.key, None
        if self.node:  # first: the batch of the close below draws the room without it
            realclients.detach(self.room, self.node)
        if key is not None and self.room.lab is self.lab:
            with contextlib.suppress(Exception):
                await self._command(key, 0, "connection.close", {"text": text})
        rooms.left(self.room, self)

    # -- the handshake ------------------------------------------------------------------------
    async def handshake(self) -> None:
        data = await self.reader.readexactly(8)
        if data != frames.PROTOCOL_HEADER:
            # AMQP 0-9-1, 4.2.2: answer with the protocol header the server speaks, and close.
            self.writer.write(frames.PROTOCOL_HEADER)
            await self.writer.drain()
            raise Closed()
        self.write(spec.Connection.Start(server_properties=SERVER_PROPERTIES,
                                         mechanisms="PLAIN", locales="en_US"))
        start_ok = await self.expect(spec.Connection.StartOk)
        room = await self.authenticate(start_ok)
        self.client_properties = start_ok.client_properties or {}
        frame_max = _setting("MQLAB_AMQP_FRAME_MAX")
        self.write(spec.Connection.Tune(channel_max=self.channel_max, frame_max=frame_max,
                                        heartbeat=_setting("MQLAB_AMQP_HEARTBEAT")))
        tune_ok = await self.expect(spec.Connection.TuneOk)
        self.frame_max = min(tune_ok.frame_max or frame_max, frame_max)
        if self.frame_max < frames.FRAME_MIN_SIZE:
            raise ConnectionClose(530, f"NOT_ALLOWED - frame_max={self.frame_max} < "
                                   f"{frames.FRAME_MIN_SIZE} min size")
        self.channel_max = min(tune_ok.channel_max or self.channel_max, self.channel_max)
        self.heartbeat = tune_ok.heartbeat
        open_ = await self.expect(spec.Connection.Open)
        await self.enter(room, open_.virtual_host)
        self.write(spec.Connection.OpenOk())
        await self.writer.drain()

    async def expect(self, kind: type) -> Any:
        while True:
            _channel, value = await self.read()
            if isinstance(value, heartbeat.Heartbeat):
                continue
            if not isinstance(value, kind):
                raise ConnectionClose(503, f"COMMAND_INVALID - expected {kind.name}, got "
                                       f"{getattr(value, 'name', type(value).__name__)}")
            return value

    async def authenticate(self, start_ok: Any) -> Any:
        """PLAIN: ``\\0user\\0password``; the password names the room (its token)."""
        if start_ok.mechanism != "PLAIN":
            raise ConnectionClose(530, f"NOT_ALLOWED - unsupported authentication mechanism "
                                   f"'{start_ok.mechanism}'; use PLAIN")
        response = start_ok.response
        if isinstance(response, bytes):
            response = response.decode("utf-8", "replace")
        _, _, rest = (response or "").partition("\0")
        user, _, password = rest.partition("\0")
        room = await rooms.by_token(password) if user == "mqlab" else None
        if room is None:
            raise ConnectionClose(403, "ACCESS_REFUSED - Login was refused using "
                                   "authentication mechanism PLAIN. For details see the broker "
                                   "logfile.")
        return room

    async def enter(self, room: Any, vhost: str) -> None:
        """connection.open: the virtual host is the room the token opened."""
        if vhost != room.id:
            if not await rooms.exists(vhost):
                raise ConnectionClose(530, f"NOT_ALLOWED - vhost {vhost} not found")
            raise ConnectionClose(530, f"NOT_ALLOWED - access to vhost '{vhost}' refused for "
                                   "user 'mqlab'")
        refusal = rooms.refusal(room)
        if refusal:
            raise ConnectionClose(530, f"NOT_ALLOWED - access to vhost '{vhost}' refused for "
                                   f"user 'mqlab': {refusal}")
        limit = _setting("MQLAB_AMQP_CONNECTIONS_PER_ROOM")
        if not rooms.join(room, self, limit):
            raise ConnectionClose(530, f"NOT_ALLOWED - access to vhost '{vhost}' refused for "
                                   f"user 'mqlab': connection limit ({limit}) is reached")
        self.room, self.lab = room, room.lab  # from here on ``leave`` undoes what follows
        label = _label(self.client_properties, self.peer)
        key = self.node = realclients.attach(room, label, "amqp")
        capabilities = frames.to_log(self.client_properties.get("capabilities") or {})
        outcome, _reply = await self._command(key, 0, "connection.open", {
            "label": label, "capabilities": capabilities})
        if not outcome.ok:
            raise ConnectionClose(530 if outcome.code == "not-allowed" else 541,
                                   f"NOT_ALLOWED - {outcome.message}"
                                   if outcome.code == "not-allowed"
                                   else f"INTERNAL_ERROR - {outcome.message}")
        self.key = key
        self.outbox = _amqp.clients(self.lab).connections[key].outbox

    # -- serving -------------------------------------------------------------------------------
    async def serve(self) -> None:
        while True:
            number, value = await self.read()
            await self.throttle()
            if isinstance(value, heartbeat.Heartbeat):
                continue
            if number == 0:
                await self.on_connection_method(value)
                continue
            channel = self.channels.get(number)
            if channel is None:
                await self.on_new_channel(number, value)
            else:
                await channel.receive(value)

    async def on_connection_method(self, value: Any) -> None:
        if isinstance(value, spec.Connection.Close):
            async with self.turn:
                self.write(spec.Connection.CloseOk())
                await self.writer.drain()
            raise Closed()
        if isinstance(value, spec.Connection.CloseOk) and self.closing:
            raise Closed()
        if isinstance(value, spec.Connection.UpdateSecret):
            self.write(spec.Connection.UpdateSecretOk())  # nothing expires here
            return
        raise ConnectionClose(503, f"COMMAND_INVALID - {_name(value)} is not a connection "
                               "method allowed on channel 0", value)

    async def on_new_channel(self, number: int, value: Any) -> None:
        if not isinstance(value, spec.Channel.Open):
            raise ConnectionClose(504, f"CHANNEL_ERROR - expected 'channel.open' on channel "
                                   f"{number}, got {_name(value)}", value)
        if number > self.channel_max:
            raise ConnectionClose(530, f"NOT_ALLOWED - channel id {number} is greater than the "
                                   f"negotiated channel_max ({self.channel_max})", value)
        channel = Channel(self, number)
        await channel.run("channel.open", {}, value, spec.Channel.OpenOk())
        self.channels[number] = channel

    async def throttle(self) -> None:
        """Beyond its rate a connection is read more slowly (RabbitMQ's flow control stops
        reading a publisher that goes faster than the broker takes)."""
        while not self.bucket.take():
            await asyncio.sleep(1 / self.bucket.rate)

    # -- running a method in the room ---------------------------------------------------------
    async def _command(self, key: str, number: int, name: str, args: dict) -> tuple[Any, Any]:
        deadline = time.monotonic() + BUSY_WAIT_SECONDS
        while True:
            outcome, reply = await offloop.call(self.room, _run, self.room, self.lab, key,
                                                number, name, args, self.notify)
            if outcome.code != "busy" or time.monotonic() > deadline:
                return outcome, reply
            await asyncio.sleep(0.05)  # the room is catching up: wait, as a broker's flow would

    def notify(self) -> None:
        """From a room's worker thread: there is something in the outbox."""
        assert self.loop is not None
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
            self.loop.call_soon_threadsafe(self.wake.set)

    async def command(self, number: int, name: str, args: dict, about: Any) -> Any:
        """Run one channel method; the engine's reply, or None when it was refused (the
        refusal's close is in the outbox, sent here before anything else)."""
        if self.key is None:
            raise Closed()
        outcome, reply = await self._command(self.key, number, name, args)
        if outcome.ok:
            return reply
        await self.flush(about)  # the refusal's close (raises for a connection.close)
        if self.room.lab is not self.lab:
            raise ConnectionClose(320, "CONNECTION_FORCED - broker forced connection closure "
                                   "with reason 'the room was reset'", about)
        if outcome.code == "busy":
            raise ConnectionClose(506, f"RESOURCE_ERROR - {outcome.message}", about)
        if outcome.code == "not-allowed":
            raise ConnectionClose(530, f"NOT_ALLOWED - {outcome.message}", about)
        if outcome.code == "bad-argument":  # a value the room's log cannot keep
            raise ConnectionClose(502, f"SYNTAX_ERROR - {outcome.message}", about)
        return None

    # -- frames out ---------------------------------------------------------------------------
    def write(self, value: Any, number: int = 0) -> None:
        self.writer.write(frames.marshal(value, number))
        self.last_write = time.monotonic()

    def write_raw(self, data: bytes) -> None:
        self.writer.write(data)
        self.last_write = time.monotonic()

    async def send_outbox(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            async with self.turn:
                await self.flush(None)

    async def flush(self, about: Any) -> None:
        """Write what the broker produced; ``about`` is the method that caused a close."""
        outbox = self.outbox
        while outbox:
            item = outbox.popleft()
            await self.send_item(item, about)
        await self.writer.drain()

    async def send_item(self, item: tuple[Any, ...], about: Any) -> None:
        kind, rest = item[0], item[1:]
        if kind == "connection.close":
            raise ConnectionClose(rest[0], self.vhost_text(rest[1]), about)
        if kind in ("blocked", "unblocked"):
            self.write(spec.Connection.Blocked(rest[0]) if kind == "blocked"
                       else spec.Connection.Unblocked())
            return
        channel = self.channels.get(rest[0])
        if channel is not None:
            channel.send(kind, rest[1:], about)

    def vhost_text(self, text: str) -> str:
        """The engine's texts name its one vhost '/'; here the vhost is the room."""
        return frames.short(text.replace("vhost '/'", f"vhost '{self.room.id}'"))

    async def close_with(self, error: ConnectionClose) -> None:
        """connection.close, then wait a little for close-ok (discarding anything else, AMQP
        0-9-1 connection.close), and the socket closes."""
        self.closing = True
        class_id, method_id = method_ids(error.about)
        self.write(method(spec.Connection.Close, reply_code=error.code,
                          reply_text=frames.short(error.text), class_id=class_id,
                          method_id=method_id))
        with contextlib.suppress(Exception):
            await self.writer.drain()
            await asyncio.wait_for(self._until_close_ok(), CLOSE_WAIT_SECONDS)
        await self.leave(error.text)

    async def _until_close_ok(self) -> None:
        while True:
            _number, value = await self.read()
            if isinstance(value, spec.Connection.CloseOk | spec.Connection.Close):
                return

    async def keep_alive(self) -> None:
        """Heartbeats out when quiet; a client silent for two intervals is gone. Also notices
        a room reset under the connection (its engine connection is gone)."""
        while True:
            await asyncio.sleep(max(0.5, min(self.heartbeat / 2 or 1.0, 1.0)))
            now = time.monotonic()
            if self.heartbeat and now - self.last_write >= self.heartbeat / 2:
                self.write(heartbeat.Heartbeat())
            if self.heartbeat and now - self.last_read > 2 * self.heartbeat:
                logger.info("AMQP %s: missed heartbeats from client, timeout: %ss", self.peer,
                            self.heartbeat)
                await self.leave(f"missed heartbeats from client, timeout: {self.heartbeat}s")
                raise Closed()
            if self.room.lab is not self.lab:  # reset: the room has no such connection now
                raise ConnectionClose(320, "CONNECTION_FORCED - broker forced connection "
                                       "closure with reason 'the room was reset'")

    async def read(self) -> tuple[int, Any]:
        try:
            number, value = await frames.read_frame(self.reader, self.frame_max)
        except FrameError as error:
            raise ConnectionClose(501, f"FRAME_ERROR - {error}") from None
        self.last_read = time.monotonic()
        return number, value


def _run(room: Any, lab: Any, key: str, number: int, name: str, args: dict,
         notify: Any) -> tuple[Any, Any]:
    """On a room worker thread: the ``amqp`` command, and the engine's reply."""
    from mqlab.rooms.outcome import Outcome

    with room.lock:
        if room.lab is not lab:
            return Outcome(False, "the room was reset", code="bad-argument"), None
        if name == "connection.open":
            _close_orphans(room, lab)
        outcome = room.run_command(room.owner, "amqp", {"connection": key, "channel": number,
                                                        "method": name, "args": args})
        found = _amqp.clients(lab)
        if name == "connection.open" and outcome.ok:
            found.connections[key].notify = notify
        return outcome, found.last.reply


def _close_orphans(room: Any, lab: Any) -> None:
    """Connections a replay left open (their clients went with the server that had them)
    are closed, in the log, before a new one opens: their unacked messages requeue."""
    for key, real in list(_amqp.clients(lab).connections.items()):
        if real.notify is None and real.connection.is_open:
            room.run_command(room.owner, "amqp", {
                "connection": key, "channel": 0, "method": "connection.close",
                "args": {"text": "its client is gone (the server restarted)"}})


def _label(properties: dict, peer: str) -> str:
    """"pika 127.0.0.1:53412": the client library, or the connection's own name."""
    name = properties.get("connection_name")
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    if isinstance(name, str) and name.strip():
        return f"{name.strip()[:40]} {peer}"
    product = properties.get("product") or ""
    if isinstance(product, bytes):
        product = product.decode("utf-8", "replace")
    lowered = str(product).lower()
    for needle, short in (("aio-pika", "aio-pika"), ("aiormq", "aio-pika"), ("pika", "pika"),
                          ("amqplib", "amqplib"), ("rabbitmq java", "java"),
                          ("rabbitmq .net", ".net"), ("bunny", "bunny"), ("kombu", "kombu"),
                          ("py-amqp", "py-amqp")):
        if needle in lowered:
            return f"{short} {peer}"
    return f"{str(product)[:24] or 'amqp'} {peer}"


def _name(value: Any) -> str:
    return getattr(value, "name", type(value).__name__)
