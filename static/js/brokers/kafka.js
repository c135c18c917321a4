/**
 * How Kafka looks: what a learner must see that a generic queue cannot say.
 *
 * - A partition is a log: records run left to right by offset (reading never removes one),
 *   coloured by key, with the first and last offsets shown written under them. Records the
 *   followers have not copied yet (above the high watermark) are hollow: no consumer reads them.
 * - Each consumer group's committed offset is a coloured tick in the log, with its lag
 *   (high watermark − committed) on its own row: two groups read one log independently.
 * - The partition's replicas sit in its top-right corner, one box per broker: the leader
 *   filled (★), in-sync followers outlined, out-of-sync ones dashed, dead brokers crossed out.
 *   A partition without a leader says "offline". A dead broker's node is greyed and marked.
 * - Every partition has a colour (the band on its left); a consumer shows the partitions it
 *   owns as chips of those colours, or "idle" when it owns none.
 * - A rebalance moves chips: revoked partitions fly from their consumer to the group, then
 *   the new assignment flies from the group to each consumer. A leader election flies a ★
 *   from the old leader's broker to the new one and says so above the partition.
 * - Replication is a token per record and follower, leader broker → follower broker (drawn by
 *   tokens.js from the "replicated" events).
 */

import { BANNER_ROOM, colourFor } from "../styles.js";
import { fit, svg, text } from "../svg.js";
import { loadStylesheet, showBanner, showLegend, virtualNow } from "./common.js";

const CELL_W = 16, CELL_H = 20, GAP = 3, LEFT = 14;
// Partition colours, by index: distinct from one another on a dark background and a projector.
const PARTITION_COLOURS = ["#f97316", "#a78bfa", "#22d3ee", "#facc15", "#f472b6", "#4ade80",
  "#60a5fa", "#fb7185", "#2dd4bf", "#e879f9"];

const LEGEND = "Click a node or a record to inspect it. A partition is a log: records by " +
  "offset, coloured by key; each group's tick is its committed offset, with its lag. Top " +
  "right: the partition's replicas, ★ the leader, dashed out of sync. Consumers wear the " +
  "colours of the partitions they own.";

export function attach(room) {
  loadStylesheet("kafka");
  showLegend(room, LEGEND);
  room.diagram.cellPainter = (entry, content) => {
    const node = entry.box.node;
    if (node.broker !== "kafka") return false;
    if (node.kind === "partition") drawPartition(room, entry, content);
    else if (node.kind === "consumer") drawConsumer(entry, content);
    else return false;
    return true;
  };
  setInterval(() => tickSessions(room), 250);
  return {
    rendered: () => {
      markBrokers(room);
      tickSessions(room);
    },
    clock: () => tickSessions(room),
    events: (frame) => explain(room, frame.events || []),
  };
}

/** "orders/2" -> its colour (the partition's index picks it). */
export function partitionColour(name) {
  const index = Number(String(name).split("/").pop());
  return PARTITION_COLOURS[(Number.isFinite(index) ? index : 0) % PARTITION_COLOURS.length];
}

const partitionId = (name) => `kafka:partition:${name}`;
const chip = (name) => `P${String(name).split("/").pop()}`;

// -- partitions ------------------------------------------------------------------------------

function drawPartition(room, entry, content) {
  const { node, w, h } = entry.box;
  const slots = entry.slots;
  slots.replaceChildren();
  const offline = content && content.leader === null;
  entry.group.classList.toggle("kafka-offline", Boolean(offline));
  svg("rect", { x: 0, y: -28, width: 6, height: h, class: "kafka-band",
    fill: partitionColour(node.name) }, slots);
  drawReplicas(room, slots, w, content);
  const cells = drawLog(slots, w, content);
  drawGroups(slots, w, content, cells);
  if (offline) {
    text("offline: no leader", { x: LEFT, y: -10, class: "kafka-offline-text" }, slots);
  }
}

/** The replicas, one box per broker, right-aligned in the title row. */
function drawReplicas(room, parent, w, content) {
  const replicas = content?.replicas || [];
  const isr = new Set(content?.isr || []);
  const size = 24, step = 27;
  let x = w - 8 - replicas.length * step + (step - size);
  for (const broker of replicas) {
    const alive = room.state.contents[`kafka:broker:${broker}`]?.alive !== false;
    const role = broker === content.leader ? "leader" : isr.has(broker) ? "in-sync" : "out-of-sync";
    const g = svg("g", { class: `kafka-replica kafka-${role}${alive ? "" : " kafka-dead"}`,
      transform: `translate(${x},-25)`, "data-broker": broker, "data-role": role }, parent);
    svg("rect", { width: size, height: 19, rx: 4 }, g);
    text(role === "leader" ? `★${broker}` : String(broker), { x: size / 2, y: 14,
      "text-anchor": "middle" }, g);
    svg("title", {}, g).textContent = `broker ${broker}: ${role}${alive ? "" : " (down)"}`;
    x += step;
  }
}

/** The newest records that fit, by offset; returns where each offset's cell starts. */
function drawLog(parent, w, content) {
  const messages = content?.messages || [];
  const total = Math.max(messages.length, content?.counters?.records || 0);
  const room = Math.floor((w - 2 * LEFT + GAP) / (CELL_W + GAP));
  const more = (n) => `+${n}`;
  const countWidth = more(total).length * 7.5 + 6;
  const fits = total > room ? room - Math.ceil(countWidth / (CELL_W + GAP)) : room;
  const shown = messages.slice(Math.max(0, messages.length - fits));
  const start = total > shown.length ? LEFT + countWidth : LEFT;
  const xs = shown.map((_, i) => start + i * (CELL_W + GAP));
  shown.forEach((message, i) => drawRecord(parent, xs[i], message));
  for (const i of new Set([0, shown.length - 1])) {
    if (!shown[i]) continue;
    text(String(shown[i].offset), { x: xs[i] + CELL_W / 2, y: CELL_H + 13, class: "kafka-offset",
      "text-anchor": "middle" }, parent);
  }
  if (total > shown.length) {
    text(more(total - shown.length), { x: LEFT, y: 14, class: "slot-more" }, parent);
  }
  return { shown, xs, start };
}

/** One record: a cell coloured by its key, with the key's first letter written in it. */
function drawRecord(parent, x, message) {
  const keyed = message.key !== null && message.key !== undefined;
  const cell = svg("g", { class: "kafka-record", "data-message-id": message.id,
    "data-offset": message.offset, "data-key": message.key ?? "" }, parent);
  svg("rect", { x, y: -1, width: CELL_W, height: CELL_H, rx: 3,
    class: `slot${message.committed === false ? " kafka-unreplicated" : ""}`,
    fill: colourFor(message) }, cell);
  if (keyed && message.key !== "") {
    text(keyMark(message.key), { x: x + CELL_W / 2, y: CELL_H - 6, class: "kafka-key",
      "text-anchor": "middle" }, cell);
  }
  svg("title", {}, cell).textContent = `offset ${message.offset}` +
    `${keyed ? ` · key ${message.key}` : ""} · ${message.body ?? ""}` +
    `${message.committed === false ? " · not yet copied by every in-sync replica" : ""}`;
}

/** What a cell says of its key: a trailing number ("acct-12" -> 12), else its first letter. */
function keyMark(key) {
  const number = /(\d+)$/.exec(key);
  return number ? number[1].slice(-2) : [...key][0];
}

/** Where the gap before ``offset`` is in the drawn log. */
function offsetX(cells, offset) {
  const { shown, xs, start } = cells;
  if (!shown.length) return start - GAP / 2;
  const i = shown.findIndex((m) => m.offset >= offset);
  if (i === -1) return xs[xs.length - 1] + CELL_W + GAP / 2;
  return xs[i] - GAP / 2;
}

/** Each group's committed offset as a tick in the log, and its lag on a row of its own. */
function drawGroups(parent, w, content, cells) {
  const groups = Object.entries(content?.groups || {}).sort(([a], [b]) => a.localeCompare(b));
  const rows = groups.length > 2 ? groups.slice(0, 1) : groups;
  rows.forEach(([group, { committed, lag }], row) => {
    const colour = colourFor({ group });
    const y = 50 + row * 15;
    const g = svg("g", { class: "kafka-commit", "data-group": group,
      "data-committed": committed ?? "", "data-lag": lag ?? "" }, parent);
    if (committed !== null && committed !== undefined) {
      const x = offsetX(cells, committed);
      // Committed before the first record drawn: the tick is dashed (it is further left).
      const behind = cells.shown.length > 0 && committed < cells.shown[0].offset;
      svg("line", { x1: x, y1: -5, x2: x, y2: CELL_H + 3, stroke: colour,
        "stroke-dasharray": behind ? "3 3" : null }, g);
      svg("path", { d: `M${x - 5},${CELL_H + 9} L${x + 5},${CELL_H + 9} L${x},${CELL_H + 2} z`,
        fill: colour }, g);
    }
    const said = committed === null || committed === undefined
      ? `${group}: nothing committed`
      : `${group}: committed ${committed} · lag ${lag}`;
    text(fit(said, w - 2 * LEFT, 12), { x: LEFT, y, class: "kafka-commit-text", fill: colour }, g);
  });
  if (groups.length > 2) {
    text(`+${groups.length - 1} more groups: click to inspect`,
      { x: LEFT, y: 65, class: "slot-more" }, parent);
  }
}

// -- consumers -------------------------------------------------------------------------------

function drawConsumer(entry, content) {
  const slots = entry.slots;
  slots.replaceChildren();
  const owned = content?.assignment || [];
  const state = content?.state || "active";
  entry.group.classList.toggle("kafka-crashed", state === "crashed");
  entry.group.dataset.assignment = owned.join(",");
  const crashed = state === "crashed";
  if (crashed || !owned.length) {
    if (crashed) text("✕ crashed: no heartbeats", { x: 14, y: 15, class: "kafka-crashed-text" }, slots);
    else {
      text("idle: no partition", { x: entry.box.w / 2, y: 15, class: "kafka-idle-text",
        "text-anchor": "middle" }, slots);
    }
    // Its group may be waiting for a crashed member's session to time out before it hands
    // out partitions again: under the node, tickSessions() counts that down.
    text("", { x: entry.box.w / 2, y: entry.box.h - 28 + 17, class: "kafka-session-wait",
      "text-anchor": "middle", "data-group": content?.group ?? "" }, slots);
    return;
  }
  const topics = new Set(owned.map((tp) => tp.split("/").slice(0, -1).join("/")));
  const label = (tp) => (topics.size > 1 ? tp : `P${tp.split("/").pop()}`);
  const width = topics.size > 1 ? 84 : 40;
  owned.forEach((tp, i) => {
    drawChip(slots, 12 + i * (width + 5), 0, width, label(tp), tp);
  });
}

function drawChip(parent, x, y, width, label, partition) {
  const g = svg("g", { class: "kafka-chip", transform: `translate(${x},${y})`,
    "data-partition": partition }, parent);
  svg("rect", { width, height: 20, rx: 5, fill: partitionColour(partition) }, g);
  text(fit(label, width - 4, 13), { x: width / 2, y: 15, "text-anchor": "middle" }, g);
  return g;
}

/**
 * "waiting for the session timeout (32 s left)" under each idle consumer whose group waits
 * for a crashed member (the group's `session_expiries`, in virtual seconds): without it the
 * consumers sit idle for up to session.timeout.ms (45 s) with no sign of why.
 */
function tickSessions(room) {
  const labels = room.diagram.root.querySelectorAll(".kafka-session-wait");
  if (!labels.length) return;
  const now = virtualNow(room);
  for (const label of labels) {
    const group = room.state.contents[`kafka:group:${label.dataset.group}`];
    const expiries = Object.values(group?.session_expiries || {});
    const left = Math.ceil(Math.max(0, ...expiries) - now);
    const said = expiries.length && left > 0 ? `waiting for the session timeout (${left} s left)` : "";
    if (label.textContent !== said) label.textContent = said;
  }
}

// -- brokers ---------------------------------------------------------------------------------

function markBrokers(room) {
  for (const node of room.state.topology.nodes || []) {
    if (node.broker !== "kafka" || node.kind !== "broker") continue;
    const entry = room.diagram.nodes.get(node.id);
    if (!entry) continue;
    const down = node.props?.alive === false;
    entry.group.classList.toggle("kafka-down", down);
    entry.group.dataset.alive = String(!down);
    if (down) entry.counters.textContent = "✕ DOWN";
  }
}

// -- events ----------------------------------------------------------------------------------

/** What a batch's events mean on the picture, beyond the tokens tokens.js moves. */
function explain(room, events) {
  const { diagram } = room;
  const hop = room.tokens.hop;
  let rebalanced = null;
  const said = new Map(); // partition node -> what its banner says (leader, ISR)
  for (const event of events) {
    const d = event.details || {};
    switch (event.kind) {
      case "revoked":
      case "assigned": {
        // Revoked partitions go back to the group first; the new assignment follows.
        const delay = event.kind === "assigned" ? hop : 0;
        for (const tp of d.partitions || []) {
          fly(room, event.source, event.target, chip(tp), tp, delay);
        }
        break;
      }
      case "rebalance-started":
        rebalanced = rebalanced || { node: event.source, label: "rebalancing…" };
        break;
      case "rebalance-completed":
        rebalanced = { node: event.source, label: `rebalanced: generation ${d.generation}` };
        break;
      case "leader-elected":
        leaderMoved(room, event, d, said);
        break;
      case "broker-down":
        banner(diagram, event.source, `broker ${d.broker} down`, "kafka-banner-bad");
        break;
      case "broker-up":
        banner(diagram, event.source, `broker ${d.broker} back`, "kafka-banner-good");
        break;
      case "isr-shrunk":
      case "isr-expanded": {
        const told = said.get(partitionId(d.partition)) || { kind: "kafka-banner-isr" };
        said.set(partitionId(d.partition), { ...told, isr: d.isr || [] });
        break;
      }
      case "duplicate-side-effect":
        diagram.mark(event.source, "⚠ processed twice", "duplicate", hop * 2.5);
        break;
      case "seeked":
        diagram.mark(event.source, "⟲ seek", "seeked", hop * 2);
        break;
      case "offset-reset":
        if (d.skipped) {
          banner(diagram, event.target, `skipped ${d.skipped} record(s)`, "kafka-banner-bad");
        }
        break;
      case "publish-rejected":
        diagram.mark(event.source, `✕ ${refusal(event.reason)}`, "refused", hop * 2.5);
        break;
      default:
    }
  }
  for (const [id, { leader, isr, kind }] of said) {
    const parts = [leader, isr && `ISR ${isr.join(",")}`].filter(Boolean);
    banner(diagram, id, parts.join(" · "), kind);
  }
  if (rebalanced) {
    banner(diagram, rebalanced.node, rebalanced.label, "kafka-banner-rebalance", "below");
  }
}

/** "[NotEnoughReplicasException] ..." -> the Kafka error name. */
function refusal(reason) {
  const found = /\[(\w+)\]/.exec(reason || "");
  return found ? found[1] : "refused";
}

/** A leader election: a ★ flies from the old leader's broker to the new one. */
function leaderMoved(room, event, d, said) {
  const target = partitionId(d.partition);
  const isr = said.get(target)?.isr;
  if (d.leader === null || d.leader === undefined) {
    said.set(target, { leader: "offline: no in-sync replica", isr, kind: "kafka-banner-bad" });
    return;
  }
  said.set(target, { leader: `leader → broker ${d.leader}`, isr, kind: "kafka-banner-leader" });
  if (event.source !== target) {
    fly(room, event.source, event.target, `★P${d.partition.split("/").pop()}`, d.partition, 0);
  }
}

/** A partition chip travelling between two nodes (a rebalance, a leadership move). */
function fly(room, source, target, label, partition, delay) {
  const { diagram, tokens } = room;
  if (!diagram.has(source) || !diagram.has(target) || tokens.reduced.matches) return;
  const d = diagram.route(source, target);
  if (!d) return;
  // On the marks layer: tokens.js lands everything on its own layer at each redraw, and a
  // rebalance redraws the diagram while its partitions are still on their way.
  const outer = svg("g", { class: "kafka-flight", "data-partition": partition }, diagram.markLayer);
  drawChip(outer, -22, -10, 44, label, partition);
  const animation = outer.animate(tokens.keyframes(d), { duration: tokens.hop * 1.4,
    delay, easing: "ease-in-out", fill: "backwards" });
  animation.finished.catch(() => {}).then(() => outer.remove());
}

/** A banner above (or below) a node, replacing the one it had: what just happened there. */
function banner(diagram, id, label, kind, where = "above") {
  const box = diagram.nodes.get(id)?.box;
  if (!box) return;
  const selector = `[data-banner-for="${CSS.escape(id)}"]`;
  for (const old of diagram.markLayer.querySelectorAll(selector)) old.remove();
  // In the room the layout keeps free for it (styles.js BANNER_ROOM): never on a neighbour.
  const y = where === "above" ? box.y - BANNER_ROOM / 2 + 1 : box.y + box.h + BANNER_ROOM / 2 + 1;
  showBanner(diagram, { x: box.x + box.w / 2, y, label, className: `kafka-banner ${kind}`,
    attrs: { "data-banner-for": id } });
}
