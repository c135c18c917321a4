"""The two sides a case runs on: ``Real`` (pika against a RabbitMQ node, real time) and
``Model`` (``sim.rabbitmq``, virtual time), and the runs of every case on each."""

from __future__ import annotations

import contextlib
import secrets
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pika
import pika.exceptions as px

from engine import Simulation
from engine import events as ev
from engine.errors import InvalidArgument
from engine.rabbitmq import (
    BasicProperties,
    ChannelClosedByBroker,
    ChannelWrongState,
    NackError,
    UnroutableError,
)

from .harness import SETTLE, Case, Chan, Obs, Side, props_seen, run_case, sleep_processing

#: real cases run side by side: each mostly waits on the broker, so threads overlap the waits
WORKERS = 8
#: one token per process: names stay unique when a node is reused across runs
RUN = secrets.token_hex(3)


def prefix(case: Case) -> str:
    return f"{case.name}.{RUN}"


def get_answer(result: Any) -> tuple[Any, ...]:
    method, properties, body = result
    if method is None:
        return ("empty",)
    return (body, method.redelivered, method.delivery_tag, method.routing_key,
            method.exchange, method.message_count, props_seen(properties))


class Real(Side):
    kind = "real"

    def __init__(self, prefix: str, url: str) -> None:
        super().__init__(prefix)
        self.url = url

    def props(self, **fields: Any) -> Any:
        return pika.BasicProperties(**fields)

    def wait(self, seconds: float) -> None:
        sleep_processing(self.connections, seconds)
        self.scan()

    def _open_connection(self) -> Any:
        return pika.BlockingConnection(pika.URLParameters(self.url))

    def settle(self) -> None:
        sleep_processing(self.connections, SETTLE)

    def sync(self, chan: Chan | None) -> None:
        if chan is not None and chan.raw.is_open:
            # a passive declare of a built-in exchange: an answer that changes nothing
            with contextlib.suppress(px.AMQPError):
                chan.raw.exchange_declare("amq.direct", passive=True)

    def tidy(self) -> None:
        names = {(kind, name) for kind, name in self.declared if not name.startswith("amq.")
                 or name.startswith("amq.gen-")}
        if not names:
            return
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            channel = connection.channel()
            for kind, name in sorted(names):
                if not channel.is_open:  # a queue another connection holds exclusively
                    channel = connection.channel()
                with contextlib.suppress(px.AMQPError):
                    if kind == "queue":
                        channel.queue_delete(name)
                    else:
                        channel.exchange_delete(name)
        finally:
            with contextlib.suppress(px.AMQPError):
                connection.close()

    def close_reason(self, chan: Chan) -> tuple[int, str] | None:
        reason = getattr(chan.raw, "_closing_reason", None)
        if isinstance(reason, px.ChannelClosedByBroker | px.ConnectionClosedByBroker):
            return reason.reply_code, reason.reply_text
        return None

    def local_refusal(self, error: Exception) -> str | None:
        if isinstance(error, px.ChannelClosedByBroker | px.ConnectionClosedByBroker):
            return None
        if isinstance(error, px.UnroutableError):
            return "unroutable"
        if isinstance(error, px.NackError):
            return "nack"
        if isinstance(error, px.ChannelWrongStateError | px.ConnectionWrongStateError
                      | px.ChannelClosed | px.ConnectionClosed):
            return "closed"
        if isinstance(error, px.DuplicateConsumerTag):
            return "refused by the client"
        if isinstance(error, TypeError | ValueError | AssertionError | struct.error):
            return "refused by the client"
        return f"raised {type(error).__name__}: {error}"

    def answer(self, command: str, args: tuple[Any, ...], kwargs: dict[str, Any],
               result: Any) -> tuple[Any, ...]:
        if command == "basic_get":
            return get_answer(result)
        method = result.method
        if command == "queue_declare":
            return method.queue, method.message_count, method.consumer_count
        return (method.message_count,)


class Model(Side):
    kind = "model"

    def __init__(self, prefix: str) -> None:
        super().__init__(prefix)
        self.sim = Simulation(seed=1)
        self.closes: dict[int, tuple[int, str]] = {}
        self.sim.subscribe(self._on_event)

    def _on_event(self, event: ev.Event) -> None:
        if event.kind == ev.CHANNEL_CLOSED:
            self.closes[event.details["channel"]] = (event.details["reply_code"], event.reason)

    def props(self, **fields: Any) -> Any:
        return BasicProperties(**fields)

    def wait(self, seconds: float) -> None:
        self.sim.advance(seconds)
        self.scan()

    def _open_connection(self) -> Any:
        return self.sim.rabbitmq.connection()

    def settle(self) -> None:
        self.sim.advance(0)

    def close_reason(self, chan: Chan) -> tuple[int, str] | None:
        return self.closes.get(chan.raw.channel_number)

    def local_refusal(self, error: Exception) -> str | None:
        if isinstance(error, ChannelClosedByBroker):
            return None
        if isinstance(error, UnroutableError):
            return "unroutable"
        if isinstance(error, NackError):
            return "nack"
        if isinstance(error, ChannelWrongState):
            return "closed"
        if isinstance(error, InvalidArgument):
            return "refused by the client"
        return f"raised {type(error).__name__}: {error}"

    def answer(self, command: str, args: tuple[Any, ...], kwargs: dict[str, Any],
               result: Any) -> tuple[Any, ...]:
        if command == "basic_get":
            return get_answer(result)
        if command == "queue_declare":
            # pika answers with queue.declare-ok's counts; the model returns the name, and
            # its read-only view holds the same counts (ready messages, consumers).
            view = self.sim.rabbitmq.queues.get(result, {})
            return result, view.get("ready", 0), len(view.get("consumers", ()))
        return (result,)


def run_model(case: Case) -> Obs:
    return run_case(case, Model(prefix(case)))


def run_real(case: Case, url: str) -> Obs:
    try:
        return run_case(case, Real(prefix(case), url))
    except Exception as error:  # no connection at all: this case's observation says so
        return {"log": [("harness raised", type(error).__name__, str(error))]}


def run_all_real(cases: list[Case], url: str) -> dict[str, Obs]:
    with ThreadPoolExecutor(WORKERS) as pool:
        results = pool.map(lambda c: (c.name, run_real(c, url)), cases)
        return dict(results)


def server_version(url: str) -> str:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        version = connection._impl.server_properties.get("version", "?")
        return version.decode() if isinstance(version, bytes) else str(version)
    finally:
        connection.close()
