"""The page's ES modules on their own, in real Chromium: the socket's sequence bookkeeping and
the layout, fed hand-made frames (no room needed, so each rule is exercised exactly)."""

import pytest

SOCKET_SCRIPT = """async () => {
  const { RoomSocket } = await import("/static/js/socket.js");
  const seen = [];
  const sent = [];
  const socket = new RoomSocket("ws://unused", {
    snapshot: (f) => seen.push(`snapshot ${f.seq}`),
    events: (f) => seen.push(`events ${f.from_seq}-${f.seq}`),
    clock() {}, control() {}, status() {},
    error: (f) => seen.push(`error ${f.code}`),
  });
  socket.ws = { readyState: WebSocket.OPEN, send: (data) => sent.push(JSON.parse(data)) };
  const frame = (f) => socket.receive(JSON.stringify({ v: 1, ...f }));
  const batch = (from, to) => frame({ type: "events", from_seq: from, seq: to, now: 0,
    events: [], patch: {} });
  frame({ type: "snapshot", seq: 5, now: 0, speed: 1, paused: false,
    control: { you: true, free_play: false }, topology: { nodes: [], edges: [] }, contents: {} });
  batch(6, 7);   // follows on: applied
  batch(9, 10);  // 8 is missing: ask for a snapshot
  batch(11, 12); // still waiting for it: ignored
  frame({ type: "snapshot", seq: 12, now: 0, speed: 1, paused: false,
    control: { you: true, free_play: false }, topology: { nodes: [], edges: [] }, contents: {} });
  batch(10, 12); // already inside the snapshot: ignored
  batch(13, 13); // follows on: applied
  frame({ type: "error", ref: null, code: "not-allowed", message: "watchers cannot" });
  const pending = socket.command("publish", { body: "x" });
  frame({ type: "error", ref: sent[sent.length - 1].ref, code: "bad-argument",
    message: "Body is required", field: "body" });
  const refused = await pending.catch((e) => e);
  return { seen, sent, refused };
}"""


@pytest.mark.django_db(transaction=True)
def test_socket_resyncs_after_a_gap_and_settles_commands_by_ref(page, live_server_url):
    page.goto(live_server_url)
    result = page.evaluate(SOCKET_SCRIPT)
    assert result["seen"] == ["snapshot 5", "events 6-7", "snapshot 12", "events 13-13",
                              "error not-allowed"]
    assert result["sent"][0] == {"v": 1, "type": "resync"}
    assert len([f for f in result["sent"] if f["type"] == "resync"]) == 1
    command = result["sent"][1]
    assert command["type"] == "command" and command["command"] == "publish"
    assert command["args"] == {"body": "x"}
    assert result["refused"]["field"] == "body"
    assert result["refused"]["code"] == "bad-argument"


LAYOUT_SCRIPT = """async () => {
  const { layout } = await import("/static/js/layout.js");
  const n = (id, column) => ({ id, broker: "kafka", kind: ["producer", "topic", "partition",
    "consumer"][column], name: id, column, label: id, props: {} });
  const e = (source, target, label = "") => ({ id: `${source}>${target}`, source, target,
    kind: "edge", label, props: {} });
  const result = layout({
    nodes: [n("c1", 3), n("p0", 2), n("t", 1), n("prod", 0), n("p1", 2), n("c0", 3)],
    edges: [e("prod", "t"), e("t", "p0", "0"), e("t", "p1", "1"), e("p0", "c0"),
      e("p1", "c1"), e("p1", "c1", "again")],
  });
  const box = (id) => result.boxes.get(id);
  return {
    x: Object.fromEntries([...result.boxes].map(([id, b]) => [id, b.x])),
    y: Object.fromEntries([...result.boxes].map(([id, b]) => [id, b.y])),
    edges: result.edges.length,
    joined: result.edges.find((r) => r.source === "p1").label,
    columns: result.columns.map((c) => c.column),
  };
}"""


@pytest.mark.django_db(transaction=True)
def test_layout_orders_columns_left_to_right_and_rows_by_their_neighbours(page, live_server_url):
    page.goto(live_server_url)
    result = page.evaluate(LAYOUT_SCRIPT)
    x, y = result["x"], result["y"]
    assert x["prod"] < x["t"] < x["p0"] == x["p1"] < x["c0"] == x["c1"]
    assert result["columns"] == [0, 1, 2, 3]
    # c1 was listed first, but it hangs off p1, which sits below p0: it goes below c0.
    assert y["p0"] < y["p1"]
    assert y["c0"] < y["c1"]
    # Two edges between the same nodes share one path and one joined label.
    assert result["edges"] == 5
    assert result["joined"] == "again"


PARTS_SCRIPT = """async () => {
  const { RoomSocket } = await import("/static/js/socket.js");
  const seen = [];
  const socket = new RoomSocket("ws://unused", {
    snapshot: (f) => seen.push(`snapshot ${f.seq} ${f.room}`),
    events: (f) => seen.push(`events ${f.from_seq}-${f.seq}`),
    clock() {}, control() {}, status() {}, error: (f) => seen.push(`error ${f.code}`),
  });
  const whole = JSON.stringify({ v: 1, type: "snapshot", seq: 3, room: "r".repeat(50), now: 0,
    speed: 1, paused: false, control: { you: true, free_play: false },
    topology: { nodes: [], edges: [] }, contents: {} });
  const pieces = [whole.slice(0, 40), whole.slice(40, 90), whole.slice(90)];
  const part = (id, index, text) => socket.receive(JSON.stringify(
    { v: 1, type: "part", id, index, count: 3, text }));
  pieces.forEach((text, index) => part(1, index, text));
  part(2, 0, "{"); part(2, 2, "}");  // a part went missing: nothing is handled
  return seen;
}"""


@pytest.mark.django_db(transaction=True)
def test_socket_joins_a_long_frame_sent_in_parts(page, live_server_url):
    page.goto(live_server_url)
    assert page.evaluate(PARTS_SCRIPT) == [f"snapshot 3 {'r' * 50}"]


BACKOFF_SCRIPT = """async () => {
  const { RoomSocket } = await import("/static/js/socket.js");
  const attempts = [];
  // A server that accepts and closes at once, before any frame (a room that cannot load).
  window.WebSocket = class {
    static OPEN = 1;
    constructor() {
      attempts.push(performance.now());
      setTimeout(() => { this.onopen?.(); this.onclose?.(); }, 5);
    }
  };
  const socket = new RoomSocket("ws://closing", {
    snapshot() {}, events() {}, clock() {}, control() {}, error() {}, status() {} });
  socket.connect();
  await new Promise((resolve) => setTimeout(resolve, 4500));
  return attempts.slice(1).map((at, i) => at - attempts[i]);
}"""


@pytest.mark.django_db(transaction=True)
def test_a_socket_closed_before_any_frame_backs_off_exponentially(page, live_server_url):
    page.goto(live_server_url)
    waits = page.evaluate(BACKOFF_SCRIPT)
    # 0.5 s, 1 s, 2 s, ... each with up to ±25 % jitter: never a reconnect every half second.
    assert 2 <= len(waits) <= 4
    # Doubling, with jitter: each wait at least 2 × 0.75 / 1.25 = 1.2 times the one before.
    assert all(later > earlier * 1.15 for earlier, later in zip(waits, waits[1:], strict=False))
    assert waits[0] >= 0.5 * 0.75 * 1000 - 50
