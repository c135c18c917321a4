"""One case, two brokers: the adapter that lets the same case function drive pika against a
real RabbitMQ and ``sim.rabbitmq``, and records what each side shows in one observation.

A case gets a ``Side`` (``b``) and uses pika's ``BlockingChannel`` API on the channels it
opens (``b.channel()``, ``b.connection().channel()``). Every command goes through a wrapper
that records its result and lets the broker settle: real time (~50 ms of pika event
processing) for the real node, ``sim.advance(0)`` for the model. What the wrapper records:

- results of commands that answer something (queue_declare counts, basic_get, purge, delete);
- deliveries per consumer label (``b.recorder``), returned messages, publish errors under
  confirms (unroutable / nack);
- channel closes by the broker: reply code, reply text and whether the connection went too.
  pika learns of some closes only on the next frame (an unknown delivery tag is acked
  without a reply), the model at once; so a close is recorded when it is seen after the
  command, never as the command's exception, and both sides log it at the same point.

What legitimately differs is normalised here: server-generated names, consumer tags, the
``time`` of x-death entries, str vs bytes bodies, pika's Method frames vs the model's values.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Obs = dict[str, list[Any]]
GENERATED = re.compile(r"amq\.gen-[A-Za-z0-9_-]{22}")
SETTLE = 0.05


@dataclass
class Case:
    name: str
    run: Callable[[Side], None]
    #: observation keys whose values differ on purpose: {key: (RabbitMQ 3.10, RabbitMQ 4.x)}
    versions: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: why, with the 4.x source the model follows
    reason: str = ""


CASES: list[Case] = []


def case(name: str, *, versions: dict[str, tuple[Any, Any]] | None = None,
         reason: str = "") -> Callable[[Callable[[Side], None]], Callable[[Side], None]]:
    def register(run: Callable[[Side], None]) -> Callable[[Side], None]:
        if any(c.name == name for c in CASES):
            raise ValueError(f"two cases named {name!r}")
        CASES.append(Case(name, run, versions or {}, reason))
        return run
    return register


class Side:
    """What a case sees of one broker. Subclasses: ``Real`` (pika) and ``Model`` (engine)."""

    kind = ""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.obs: Obs = {"log": []}
        #: (kind, name) of what the case declared, for ``tidy``
        self.declared: list[tuple[str, str]] = []
        self.channels: list[Chan] = []
        self.connections: list[Conn] = []

    # -- for cases ---------------------------------------------------------------------------
    def name(self, suffix: str) -> str:
        """A name unique to this case and run (cases share one node)."""
        return f"{self.prefix}.{suffix}"

    def channel(self) -> Chan:
        """A channel on a connection of its own."""
        return self.connection().channel()

    def connection(self) -> Conn:
        conn = Conn(self, self._open_connection(), f"conn{len(self.connections) + 1}")
        self.connections.append(conn)
        return conn

    def note(self, key: str, value: Any) -> None:
        self.obs.setdefault(key, []).append(value)

    def log(self, *entry: Any) -> None:
        self.obs["log"].append(entry)

    def recorder(self, label: str, then: str | None = None,
                 requeue: bool = True) -> Callable[..., None]:
        """A consumer callback that records each delivery under ``label`` and then
        ``ack``s, ``nack``s or ``reject``s it (``requeue`` for the last two), or leaves it."""
        self.obs.setdefault(label, [])

        def on_message(channel: Any, method: Any, properties: Any, body: Any) -> None:
            self.obs[label].append(delivery(method, properties, body))
            if then == "ack":
                channel.basic_ack(method.delivery_tag)
            elif then == "nack":
                channel.basic_nack(method.delivery_tag, requeue=requeue)
            elif then == "reject":
                channel.basic_reject(method.delivery_tag, requeue=requeue)
        return on_message

    def returns(self, chan: Chan, label: str = "returned") -> None:
        """Record the messages the broker returns to ``chan`` (basic.return)."""
        self.obs.setdefault(label, [])

        def on_return(channel: Any, method: Any, properties: Any, body: Any) -> None:
            self.obs[label].append({"reply_code": method.reply_code, "body": body,
                                    "reply_text": method.reply_text, "exchange": method.exchange,
                                    "routing_key": method.routing_key})
        chan.add_on_return_callback(on_return)

    def props(self, **fields: Any) -> Any:
        raise NotImplementedError

    def wait(self, seconds: float) -> None:
        raise NotImplementedError

    # -- for the wrappers --------------------------------------------------------------------
    def _open_connection(self) -> Any:
        raise NotImplementedError

    def settle(self) -> None:
        raise NotImplementedError

    def sync(self, chan: Chan | None) -> None:
        """Make sure the broker has handled everything sent on ``chan``."""

    def close_reason(self, chan: Chan) -> tuple[int, str] | None:
        raise NotImplementedError

    def local_refusal(self, error: Exception) -> str | None:
        """What kind of client-side refusal ``error`` is, or None if it is not one."""
        raise NotImplementedError

    def scan(self) -> None:
        """Record each channel the broker closed since the last look."""
        for chan in self.channels:
            if chan.seen_closed or chan.raw.is_open:
                continue
            chan.seen_closed = True
            if chan.closed_by_client:
                continue
            reason = self.close_reason(chan)
            scope = "connection" if not chan.conn.is_open() else "channel"
            self.log("closed", chan.label, *(reason or (None, None)), scope)

    def finish(self) -> Obs:
        for conn in self.connections:
            with contextlib.suppress(Exception):  # already closed by the broker
                conn.raw.close()
        self.tidy()
        return normalise(self.obs, self.prefix)

    def tidy(self) -> None:
        """Delete what the case declared (a reused node must not fill up)."""


class Conn:
    def __init__(self, side: Side, raw: Any, label: str) -> None:
        self.side = side
        self.raw = raw
        self.label = label

    def is_open(self) -> bool:
        return bool(self.raw.is_open)

    def channel(self) -> Chan:
        chan = Chan(self.side, self, self.raw.channel(), f"ch{len(self.side.channels) + 1}")
        self.side.channels.append(chan)
        return chan

    def close(self) -> None:
        for chan in self.side.channels:
            if chan.conn is self:
                chan.closed_by_client = True
        _guard(self.side, "connection.close", self.raw.close)


#: commands whose answer is recorded, and how to read it from pika's frame or the model's value
ANSWERS = ("queue_declare", "basic_get", "queue_purge", "queue_delete")


class Chan:
    """A channel as the case sees it: pika's method names, each call recorded and settled."""

    def __init__(self, side: Side, conn: Conn, raw: Any, label: str) -> None:
        self.side = side
        self.conn = conn
        self.raw = raw
        self.label = label
        self.closed_by_client = False
        self.seen_closed = False

    @property
    def is_open(self) -> bool:
        return bool(self.raw.is_open)

    def close(self) -> None:
        self.closed_by_client = True
        _guard(self.side, "close", self.raw.close)

    def __getattr__(self, command: str) -> Callable[..., Any]:
        method = getattr(self.raw, command)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = _guard(self.side, command, method, *args, channel=self, **kwargs)
            if command in ANSWERS and result is not _FAILED:
                answer = self.side.answer(command, args, kwargs, result)
                self.side.log(command, *answer)
                if command == "queue_declare":
                    self.side.declared.append(("queue", answer[0]))
            if command == "exchange_declare" and result is not _FAILED and args:
                self.side.declared.append(("exchange", args[0]))
            return None if result is _FAILED else result
        return call


_FAILED = object()


def _guard(side: Side, command: str, method: Callable[..., Any], *args: Any,
           channel: Chan | None = None, **kwargs: Any) -> Any:
    """Run a command; record a refusal; settle; record any close the broker made."""
    result: Any = _FAILED
    try:
        result = method(*args, **kwargs)
    except Exception as error:  # sorted by kind below; the close itself is seen by scan()
        kind = side.local_refusal(error)
        if kind is not None:
            side.log(command, kind)
    side.settle()
    if command in ONE_WAY:
        side.sync(channel)
    side.scan()
    return result


#: commands the broker does not answer: a close they cause may come after any settling time,
#: so the real side makes one round trip on the channel afterwards (AMQP keeps order)
ONE_WAY = ("basic_ack", "basic_nack", "basic_reject", "basic_publish")


def delivery(method: Any, properties: Any, body: Any) -> dict[str, Any]:
    return {"body": body, "redelivered": method.redelivered, "tag": method.delivery_tag,
            "routing_key": method.routing_key, "exchange": method.exchange,
            **props_seen(properties)}


def props_seen(properties: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    if properties is None:
        return seen
    if properties.headers:
        seen["headers"] = properties.headers
    for name in ("priority", "expiration", "delivery_mode"):
        value = getattr(properties, name, None)
        if value is not None:
            seen[name] = value
    return seen


def normalise(value: Any, prefix: str = "~") -> Any:
    """Make both sides' observations comparable (see the module docstring); the case's name
    prefix becomes "~", so expected values can be written without the run's token."""
    if isinstance(value, dict):
        return {k: normalise(v, prefix) for k, v in value.items() if k != "time"}
    if isinstance(value, list | tuple):
        return type(value)(normalise(v, prefix) for v in value)
    if isinstance(value, str):
        return GENERATED.sub("amq.gen-*", value).replace(prefix, "~")
    if isinstance(value, bytes):
        return normalise(value.decode("utf-8", "replace"), prefix)
    if isinstance(value, datetime.datetime):
        return "<timestamp>"
    return value


def run_case(case: Case, side: Side) -> Obs:
    try:
        case.run(side)
    except Exception as error:  # a case that breaks shows it in its observation
        side.log("case raised", type(error).__name__)
    side.settle()
    side.scan()
    return side.finish()


#: Headers the model writes as RabbitMQ 3.13+ does and 3.10 does not: "Dead Letter Exchanges"
#: guide, "x-last-death-reason, x-last-death-queue, x-last-death-exchange ... (3.13+)".
LAST_DEATH = ("x-last-death-reason", "x-last-death-queue", "x-last-death-exchange")
LAST_DEATH_NOTE = ("x-last-death-* headers: written since RabbitMQ 3.13, not by 3.10 "
                   "(\"Dead Letter Exchanges\" guide)")


def without_last_death(value: Any) -> tuple[Any, bool]:
    """``value`` without the x-last-death-* headers, if each names the latest x-death
    entry (else they stay, and the case disagrees); and whether any were removed."""
    if isinstance(value, dict):
        deaths = value.get("x-death")
        if deaths and all(k in value for k in LAST_DEATH):
            latest = deaths[0]
            if [value[k] for k in LAST_DEATH] == [latest.get("reason"), latest.get("queue"),
                                                    latest.get("exchange")]:
                return {k: v for k, v in value.items() if k not in LAST_DEATH}, True
        pairs = [(k, without_last_death(v)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, any(changed for _, (_, changed) in pairs)
    if isinstance(value, list | tuple):
        items = [without_last_death(v) for v in value]
        return type(value)(v for v, _ in items), any(changed for _, changed in items)
    return value, False


def compare(case: Case, real: Obs, model: Obs) -> tuple[str, str]:
    """("agree" | "version" | "disagree", detail)."""
    notes = [case.reason] if case.versions else []
    if "x-last-death" not in repr(real):
        model, changed = without_last_death(model)
        if changed:
            notes.append(LAST_DEATH_NOTE)
    keys = sorted(set(real) | set(model))
    for key in keys:
        have_real, have_model = real.get(key), model.get(key)
        if key in case.versions:
            old, new = (normalise(v) for v in case.versions[key])
            if have_real != old or have_model != new:
                return "disagree", (f"{key}: real {have_real!r} (3.10 expected {old!r}) / "
                                    f"model {have_model!r} (4.x expected {new!r})")
        elif have_real != have_model:
            return "disagree", f"{key}: real {_first_diff(have_real, have_model)}"
    if notes:
        return "version", "; ".join(notes)
    return "agree", ""


def _first_diff(real: Any, model: Any, path: str = "") -> str:
    """Where two observations first differ, and both values there."""
    if isinstance(real, list | tuple) and isinstance(model, list | tuple):
        for index, (a, b) in enumerate(zip(real, model, strict=False)):
            if a != b:
                return _first_diff(a, b, f"{path}[{index}]")
        return (f"{path} {list(real[len(model):])!r} / model {list(model[len(real):])!r} "
                "(lengths differ)")
    if isinstance(real, dict) and isinstance(model, dict):
        for key in sorted(set(real) | set(model)):
            if real.get(key, _MISSING) != model.get(key, _MISSING):
                return _first_diff(real.get(key, _MISSING), model.get(key, _MISSING),
                                   f"{path}.{key}")
    return f"{path} {real!r} / model {model!r}"


_MISSING = "<missing>"


def sleep_processing(connections: list[Conn], seconds: float) -> None:
    """Let pika read and dispatch for ``seconds`` of real time on every open connection."""
    deadline = time.monotonic() + seconds
    while True:
        for conn in connections:
            if conn.raw.is_open:
                with contextlib.suppress(Exception):  # a broker close: scan() records it
                    conn.raw.process_data_events(time_limit=0)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.003)
