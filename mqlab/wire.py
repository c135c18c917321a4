"""The WebSocket wire format, version 1: the one module that knows the JSON shapes.

Changes to the contract since version 1 was first written, each additive:
- a command field may carry ``"suggestions"``: existing names (exchanges, queues, consumers)
  a form can offer while still accepting any value (so a learner can see the broker's own
  NOT_FOUND error for a name that does not exist);
- an events frame may carry ``"sent_at"``: the server's wall clock (Unix seconds) when the
  batch was sealed, used by the streaming benchmark to measure latency; clients may ignore it.
- a client ignores an events frame whose ``seq`` is not above the last ``seq`` it has (the
  server already filters these, so a client normally never sees one);
- a socket opened on a room that does not exist gets an ``error`` frame with code
  ``not-found`` and is closed with code 4404;
- NaN and Infinity are refused as ``bad-json`` (browsers cannot parse them back).
- walkthroughs (issue 6): a room started from a walkthrough sends, after each snapshot and
  whenever the walkthrough moves, ``{"v":1,"type":"walkthrough","room":id,"title","kind"
  ("interview"|"pattern"),"question","description","steps":[step titles],"index":i,
  "phase":"ready|running|done","now":t,"last":bool,"step":{"title","narration","run_for",
  "actions":[text],"predict":{"question","choices"}|null,"answer":i|null,"reveal":text|null,
  "checkpoints":[{"text","met":bool|null}],"seen":{"total","kinds":[{"kind","count"}],
  "notable":[{"seq","at","kind","message_id","reason"}]}|null,"ends_at":t|null}}``. The
  answer, the reveal, ``seen`` and the checkpoints' ``met`` are null until the step has run
  (phase ``done``), so a learner predicts before seeing. The presenter (whoever controls the
  room) sends ``{"v":1,"type":"walkthrough","action":"run|next|back|replay|goto|finish",
  "value":i}`` (``value`` only for goto: a step index from 0; ``finish`` fast-forwards a
  running step to its end); others get ``not-allowed``. A room without a walkthrough answers
  ``not-found``. In a walkthrough room, commands are ``not-allowed``.
- the classroom (issue 11): before a step has run its ``checkpoints`` are ``[]`` and
  ``checkpoint_count`` says how many there are. Each viewer's frame also carries
  ``"viewers":n`` and ``"tally"``: ``{"shown":false,"answered":n,"mine":i|null}`` or, for the
  controller and for everyone once the step is done, ``{"shown":true,"answered":n,
  "counts":[n per choice],"names":[[display names] per choice],"mine":i|null}``; the step's
  ``notes`` (presenter notes) are sent only to the controller. Anyone may send
  ``{"v":1,"type":"walkthrough","action":"predict","value":{"choice":i,"name":text}}`` before
  the reveal (anonymous when the name is empty); every join and leave re-sends the frame.
- why (issue 12): each event of an events frame carries ``"cause"``: ``{"rule": ..., ...}``
  naming the broker rule that moved the message and its inputs, or null for an event that
  moves no message (``engine.causes`` lists the rules); clients may ignore it.

Every frame is a JSON object with ``"v": 1`` and a ``"type"``. The stream follows Zulip's
event-queue idea: a snapshot carries the sequence number of the last event it includes; event
batches carry ``from_seq`` .. ``seq``; a client whose last ``seq`` is not ``from_seq - 1``
sends ``resync`` and gets a fresh snapshot, so start-up and recovery are one code path.

Server -> client
- ``snapshot``: room, seq, now, speed, paused, control {you, free_play}, topology, contents.
- ``events``: from_seq, seq, now, events [event dicts], patch {node_id: contents or null},
  topology (only after a topology-kind event), dropped_events (only when events were capped).
- ``clock``: now, speed, paused.            - ``control``: you, free_play.
- ``result``: ref, ok=true, message.        - ``error``: ref, code, message, field.

Client -> server
- ``command``: ref (optional string), command (name), args (object).
- ``resync``.
- ``control``: action (pause|resume|step|speed|reset|free_play), value.

Frames larger than ``MAX_FRAME_BYTES`` are refused with a ``too-large`` error; the socket
stays open.

Additions for issue 9 (additive):
- a server frame whose text is longer than ``MAX_SERVER_FRAME_CHARS`` is sent as ``part``
  frames ``{"v":1,"type":"part","id":n,"index":i,"count":k,"text":"..."}``; a client joins
  the ``text`` of parts 0..k-1 of one ``id`` and handles the result as one frame (no socket
  frame ever reaches the server's 1 MiB limit, whatever the room's size);
- ``clock`` carries ``overloaded`` and, when true, ``effective_speed``: the room cannot keep
  up with its speed and runs slower (viewers see "this room is overloaded: running at 0.3x");
- a ``snapshot`` may carry ``notice``: "replay diverged at command N (...)";
- error codes ``rate-limited`` (too many frames per second from one socket) and ``busy``
  (the room is still running what its last command caused; send again in a moment).

Charts (issue 12, additive): the room samples every store's metrics each virtual second
(``engine.metrics``; series ``depth``, ``in_flight``, ``lag``, ``publish_rate``,
``deliver_rate``, ``ack_rate``, ``dlq``, ``consumers``; a node carries only the series that mean
something for it).
- The client asks ``{"v":1,"type":"metrics","nodes":[node ids]|null,"points":n}`` (``points``
  1..``MAX_METRICS_POINTS``, default ``DEFAULT_METRICS_POINTS``; it costs what a resync costs)
  and gets ``{"v":1,"type":"metrics","mode":"full","now":t,"every":s,"after":null,"t":[times],
  "nodes":{id:{series:[values|null aligned with t]}}}``: the whole history downsampled on the
  server to at most ``points`` instants (older instants are buckets: gauges show their peak,
  rates their mean), and fewer when instants x nodes x series would pass
  ``MAX_METRICS_VALUES``, so a long or large room sends a bounded amount.
- While a room runs, every viewer gets at most every ``MQLAB_METRICS_TAIL_SECONDS`` (0.5 s wall)
  a ``"mode":"tail"`` frame with the same fields holding only the new samples (at most
  ``MAX_METRICS_POINTS``); ``after`` is the instant of the sample before them. A client whose
  last instant is before ``after`` missed some and asks for a full frame; a snapshot (reset,
  seek) starts a new history, so a client asks again after every snapshot.
- ``GET /rooms/<id>/metrics.json?nodes=a,b&points=n`` answers the full frame as JSON.
Additions for issue 12, time travel (additive; ``mqlab.rooms.history``):
- ``control`` actions ``seek`` (value: virtual seconds; the room pauses at that instant and
  everyone gets a ``snapshot`` whose ``now`` is it), ``branch`` (value: a branch's name),
  ``undo`` (no value), all for whoever controls the room; and ``peek`` (value: virtual
  seconds, or null to return to live), which anyone may send: the answer, a ``snapshot``
  with ``"peek": true``, goes to that socket only, and the live stream to it holds until
  it returns to live (``peek`` null, or ``resync``);
- a ``snapshot`` carries ``rewound``: how the room last went back, "reset" or "seek";
- ``timeline``: now, end, markers [{at, kind, label, count}], branches [names], branch (the
  current one's name), forks {name: {at (the instant it forked, null for the first), end}}.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
#: Longest frame text sent whole: at most 4 bytes a character in UTF-8 keeps every socket
#: frame under 1 MiB, daphne's limit (which applies to outgoing frames too).
MAX_SERVER_FRAME_CHARS = 192 * 1024
#: Speeds a room may run at (virtual seconds per wall second).
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
CONTROL_ACTIONS = ("pause", "resume", "step", "speed", "reset", "free_play", "seek", "branch",
                   "undo", "peek")
#: Longest branch name a client may send.
MAX_BRANCH_NAME = 40
#: Instants in one metrics frame: the default and the most a client may ask for.
DEFAULT_METRICS_POINTS = 300
MAX_METRICS_POINTS = 1000
#: Node ids one metrics request may name.
MAX_METRICS_NODES = 200
#: Values (instants x nodes x series) in one metrics frame at most: a room with many nodes
#: gets fewer instants, so a frame stays around a megabyte whatever the room.
MAX_METRICS_VALUES = 160_000
WALKTHROUGH_ACTIONS = ("run", "next", "back", "replay", "goto", "finish", "predict")

ErrorCode = Literal[
    "bad-json", "bad-frame", "unknown-command", "bad-argument", "not-allowed", "too-large",
    "engine-error", "not-found", "rate-limited", "busy",
]


class WireError(Exception):
    """A client frame the server cannot accept; becomes an ``error`` frame."""

    def __init__(self, code: ErrorCode, message: str, *, ref: str | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref
        self.field = field


# -- client -> server ----------------------------------------------------------------------

@dataclass(frozen=True)
class CommandFrame:
    command: str
    args: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None


@dataclass(frozen=True)
class ResyncFrame:
    pass


@dataclass(frozen=True)
class ControlFrame:
    action: str
    value: Any = None


@dataclass(frozen=True)
class WalkthroughFrame:
    action: str
    value: Any = None


@dataclass(frozen=True)
class MetricsFrame:
    nodes: tuple[str, ...] | None = None
    points: int = DEFAULT_METRICS_POINTS


ClientFrame = CommandFrame | ResyncFrame | ControlFrame | WalkthroughFrame | MetricsFrame


def parse_client_frame(text: str) -> ClientFrame:
    """Check one client frame and return it typed; raise WireError saying what is wrong."""
    # Characters never outnumber UTF-8 bytes, and a character is at most 4 bytes: encode only
    # when the length leaves a doubt.
    if len(text) > MAX_FRAME_BYTES or (
            len(text) * 4 > MAX_FRAME_BYTES and len(text.encode()) > MAX_FRAME_BYTES):
        raise WireError("too-large", f"frames are limited to {MAX_FRAME_BYTES // 1024} KiB")
    try:
        data = loads(text)
    except ValueError as error:
        raise WireError("bad-json", f"the frame is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise WireError("bad-frame", "a frame must be a JSON object")
    ref = data.get("ref")
    if ref is not None and not isinstance(ref, str | int):
        raise WireError("bad-frame", "ref must be a string or a number", field="ref")
    ref = None if ref is None else str(ref)
    if data.get("v") != VERSION:
        raise WireError("bad-frame", f"unsupported version {data.get('v')!r}; this server "
                        f"speaks v {VERSION}", ref=ref, field="v")
    kind = data.get("type")
    if kind == "command":
        return _command_frame(data, ref)
    if kind == "resync":
        return ResyncFrame()
    if kind == "control":
        return _control_frame(data, ref)
    if kind == "walkthrough":
        return _walkthrough_frame(data, ref)
    if kind == "metrics":
        return metrics_request(data.get("nodes"), data.get("points"), ref)
    raise WireError("bad-frame", f"unknown frame type {kind!r}; use command, resync, "
                    "control, walkthrough or metrics", ref=ref, field="type")


def _command_frame(data: dict[str, Any], ref: str | None) -> CommandFrame:
    name = data.get("command")
    if not isinstance(name, str) or not name:
        raise WireError("bad-frame", "a command frame needs a command name", ref=ref,
                        field="command")
    args = data.get("args", {})
    if not isinstance(args, dict):
        raise WireError("bad-frame", "args must be a JSON object", ref=ref, field="args")
    return CommandFrame(name, args, ref)


def _control_frame(data: dict[str, Any], ref: str | None) -> ControlFrame:
    action = data.get("action")
    if action not in CONTROL_ACTIONS:
        raise WireError("bad-frame", f"unknown control action {action!r}; use one of "
                        f"{', '.join(CONTROL_ACTIONS)}", ref=ref, field="action")
    value = data.get("value")
    if action == "speed" and (isinstance(value, bool) or value not in SPEEDS):
        allowed = ", ".join(f"{speed:g}" for speed in SPEEDS)
        raise WireError("bad-argument", f"speed must be one of {allowed}; got {value!r}",
                        ref=ref, field="value")
    if action == "free_play" and not isinstance(value, bool):
        raise WireError("bad-argument", "free_play needs value true or false", ref=ref,
                        field="value")
    if action in ("seek", "peek") and not (action == "peek" and value is None) \
            and not _instant(value):
        raise WireError("bad-argument", f"{action} needs value: virtual seconds (a number "
                        f">= 0){' or null for live' if action == 'peek' else ''}; got "
                        f"{value!r}"[:200], ref=ref, field="value")
    if action == "branch" and not (isinstance(value, str)
                                   and 0 < len(value) <= MAX_BRANCH_NAME):
        raise WireError("bad-argument", f"branch needs value: a branch name (1 to "
                        f"{MAX_BRANCH_NAME} characters)", ref=ref, field="value")
    return ControlFrame(action, value)


def _instant(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value) and value >= 0


def _walkthrough_frame(data: dict[str, Any], ref: str | None) -> WalkthroughFrame:
    action = data.get("action")
    if action not in WALKTHROUGH_ACTIONS:
        raise WireError("bad-frame", f"unknown walkthrough action {action!r}; use one of "
                        f"{', '.join(WALKTHROUGH_ACTIONS)}", ref=ref, field="action")
    return WalkthroughFrame(action, data.get("value"))


def metrics_request(nodes: Any, points: Any, ref: str | None = None) -> MetricsFrame:
    """A metrics request's node ids (null: every node) and number of instants, checked."""
    if points is None:
        points = DEFAULT_METRICS_POINTS
    if isinstance(points, bool) or not isinstance(points, int) \
            or not 1 <= points <= MAX_METRICS_POINTS:
        raise WireError("bad-argument", f"points must be a whole number from 1 to "
                        f"{MAX_METRICS_POINTS}; got {points!r}", ref=ref, field="points")
    if nodes is None:
        return MetricsFrame(None, points)
    if not isinstance(nodes, list) or len(nodes) > MAX_METRICS_NODES \
            or not all(isinstance(node, str) and len(node) <= 300 for node in nodes):
        raise WireError("bad-argument", f"nodes must be a list of at most {MAX_METRICS_NODES} "
                        "node ids (strings), or null for every node", ref=ref, field="nodes")
    return MetricsFrame(tuple(nodes), points)


def loads(text: str) -> Any:
    """Strict JSON: what a browser's ``JSON.parse`` accepts, so whatever a client sends can be
    sent back to every client. ValueError (saying why) for NaN/Infinity, which Python's
    parser would take, and for nesting too deep to handle."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"{error.msg} at character {error.pos}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; use a number or null")


# -- server -> client ----------------------------------------------------------------------

def dumps(frame: dict[str, Any]) -> str:
    """Compact JSON text for a frame (the one serialiser, so every frame looks alike)."""
    return json.dumps(frame, separators=(",", ":"), allow_nan=False)


def parts(text: str, part_id: int) -> list[str]:
    """``text`` as it goes on the socket: itself when short enough, else ``part`` frames."""
    limit = MAX_SERVER_FRAME_CHARS
    if len(text) <= limit:
        return [text]
    pieces = [text[i:i + limit] for i in range(0, len(text), limit)]
    return [dumps({"v": VERSION, "type": "part", "id": part_id, "index": index,
                   "count": len(pieces), "text": piece})
            for index, piece in enumerate(pieces)]


def snapshot(room_id: str, state: dict[str, Any], *, speed: float, paused: bool, you: bool,
             free_play: bool) -> dict[str, Any]:
    """``state`` is ``Simulation.snapshot()``: now, seq, topology, contents."""
    return {"v": VERSION, "type": "snapshot", "room": room_id, "seq": state["seq"],
            "now": state["now"], "speed": speed, "paused": paused,
            "control": {"you": you, "free_play": free_play},
            "topology": state["topology"], "contents": state["contents"]}


def events(from_seq: int, seq: int, now: float, event_dicts: list[dict[str, Any]],
           patch: dict[str, Any], *, topology: dict[str, Any] | None, dropped: int,
           sent_at: float) -> dict[str, Any]:
    frame: dict[str, Any] = {"v": VERSION, "type": "events", "from_seq": from_seq, "seq": seq,
                             "now": now, "events": event_dicts, "patch": patch,
                             "sent_at": sent_at}
    if topology is not None:
        frame["topology"] = topology
    if dropped:
        frame["dropped_events"] = dropped
    return frame


def clock(now: float, speed: float, paused: bool) -> dict[str, Any]:
    return {"v": VERSION, "type": "clock", "now": now, "speed": speed, "paused": paused}


def control(you: bool, free_play: bool) -> dict[str, Any]:
    return {"v": VERSION, "type": "control", "you": you, "free_play": free_play}


def walkthrough(room_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` is ``Guide.frame_fields()`` (mqlab/walkthroughs.py)."""
    return {"v": VERSION, "type": "walkthrough", "room": room_id, **fields}


def metrics(mode: Literal["full", "tail"], now: float, series: dict[str, Any],
            after: float | None) -> dict[str, Any]:
    """``series`` is ``Recorder.export()``: every, t, nodes."""
    return {"v": VERSION, "type": "metrics", "mode": mode, "now": now, "after": after,
            **series}


def result(ref: str | None, message: str) -> dict[str, Any]:
    return {"v": VERSION, "type": "result", "ref": ref, "ok": True, "message": message}


def error(code: ErrorCode, message: str, *, ref: str | None = None,
          field: str | None = None) -> dict[str, Any]:
    return {"v": VERSION, "type": "error", "ref": ref, "code": code, "message": message,
            "field": field}
