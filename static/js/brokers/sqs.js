/**
 * How SQS looks: what a learner must see that a generic queue cell cannot say.
 *
 * - A received message does not leave its queue: it goes *in flight* (a hollow, dashed cell)
 *   with the seconds left of its visibility timeout counting down inside it, and turns solid
 *   again when the timeout expires. Delayed messages count down to their delivery the same way.
 * - Each message shows its receive count (×2) under its cell; the receiving consumer holds the
 *   same in-flight cells, with the same countdown.
 * - FIFO messages are coloured by MessageGroupId; a visible message whose group has a message
 *   in flight wears a padlock (its group is locked), and the queue lists its locked groups.
 * - A move to the dead-letter queue shows its reason ("receive 4 > maxReceiveCount 3")
 *   on the dead-letter edge while the token travels; a duplicate FIFO send travels to the
 *   queue and is marked "duplicate ignored"; an empty receive is marked on its receiver.
 * - SNS: a topic copies each published message to its subscribed queues; a subscription whose
 *   filter policy said no is marked "filtered out" on its queue. A Lambda-style consumer marks
 *   how each invocation returned (all deleted, batchItemFailures, or the whole batch back); an
 *   outbox service marks what a crash between its two writes cost.
 * - The inspector offers Delete and visibility changes on a message in flight.
 *
 * Countdowns are computed in the browser from each message's `visible_at` and the room's
 * virtual clock (last frame's `now`, run on at the room's speed), so they tick smoothly
 * between frames and freeze when the room is paused.
 */

import { addMessageActions } from "../inspector.js";
import { colourFor, styleFor } from "../styles.js";
import { fit, svg, text } from "../svg.js";
import { loadStylesheet, showBanner, showLegend, virtualNow } from "./common.js";

const CELL_W = 34, CELL_H = 26, GAP = 4;
const CELL_Y = -3; // the queue shape's lane starts 3 units above the slots' origin

const inFlight = (message) => message.state === "in-flight";

const LEGEND = "Click a node or a message to inspect it. A received message stays in its " +
  "queue, invisible (dashed), with the seconds left of its visibility timeout; ×n is its " +
  "receive count. FIFO groups have their own colours; a padlock marks a message whose group " +
  "has a message in flight.";

export function attach(room) {
  loadStylesheet("sqs");
  showLegend(room, LEGEND);
  addMessageActions(
    { command: "delete_message", label: "Delete", set: {}, needs: "receipt_handle",
      when: inFlight },
    { command: "change_visibility", label: "Visible now", set: { visibility_timeout: 0 },
      needs: "receipt_handle", when: inFlight },
    { command: "change_visibility", label: "Hide 60 s more", set: { visibility_timeout: 60 },
      needs: "receipt_handle", when: inFlight },
  );
  room.diagram.cellPainter = (entry, content) => {
    if (entry.box.node.broker !== "sqs") return false;
    drawCells(entry, content);
    tick(room);
    return true;
  };
  setInterval(() => tick(room), 200);
  return {
    rendered: () => tick(room),
    clock: () => tick(room),
    events: (frame) => {
      for (const event of frame.events || []) explain(room, event);
    },
  };
}

// -- cells -------------------------------------------------------------------------------

/** Oldest message on the right, next out towards the receivers, as queues are drawn. */
function drawCells(entry, content) {
  const messages = content?.messages || [];
  const { w } = entry.box;
  const total = totalOf(styleFor(entry.box.node), content, messages.length);
  const room = Math.floor((w - 20 + GAP) / (CELL_W + GAP));
  const more = `+${total - Math.min(room, messages.length)}`;
  const fits = total > room ? room - Math.ceil((more.length * 8 + 6) / (CELL_W + GAP)) : room;
  const shown = messages.slice(0, Math.max(0, fits));
  const locked = new Set(content?.locked_groups || []);
  entry.slots.replaceChildren();
  shown.forEach((message, i) => {
    const x = w - 10 - (i + 1) * (CELL_W + GAP) + GAP;
    drawCell(entry.slots, x, message, locked);
  });
  if (total > shown.length) {
    text(`+${total - shown.length}`, { x: 10, y: 17, class: "slot-more" }, entry.slots);
  }
  if (locked.size) drawLockedLine(entry.slots, [...locked]);
  if (content?.working?.length) drawWorkLine(entry.slots, w, content.working);
}

function drawCell(parent, x, message, locked) {
  const state = message.state || "visible";
  const isLocked = state === "visible" && message.group_id !== undefined &&
    locked.has(message.group_id);
  const cell = svg("g", { class: `sqs-cell sqs-${state}${isLocked ? " sqs-locked" : ""}`,
    transform: `translate(${x},0)`, "data-message-id": message.id,
    "data-receive-count": message.receive_count ?? 0 }, parent);
  svg("rect", { y: CELL_Y, width: CELL_W, height: CELL_H, rx: 4, class: `slot slot-${state}`,
    fill: colourFor(message) }, cell);
  const middle = CELL_Y + CELL_H / 2;
  if (message.visible_at !== undefined && state !== "visible") {
    text("", { x: CELL_W / 2, y: middle + 5.5, class: "sqs-countdown",
      "text-anchor": "middle", "data-visible-at": message.visible_at }, cell);
  } else if (isLocked) {
    drawPadlock(cell, CELL_W / 2, middle);
  }
  if (message.receive_count > 0) {
    text(`×${message.receive_count}`, { x: CELL_W / 2, y: CELL_Y + CELL_H + 15,
      class: "sqs-receives", "text-anchor": "middle" }, cell);
  }
  svg("title", {}, cell).textContent = describe(message, isLocked);
}

function describe(message, isLocked) {
  const parts = [`${message.id}: ${message.body ?? ""}`, message.state];
  if (message.receive_count) parts.push(`received ${message.receive_count} time(s)`);
  if (message.group_id !== undefined) {
    parts.push(`group ${message.group_id}${isLocked ? " (locked: a message of it is in flight)" : ""}`);
  }
  return parts.join(" · ");
}

function drawPadlock(parent, cx, cy) {
  const g = svg("g", { class: "sqs-padlock", transform: `translate(${cx - 5},${cy - 7})` }, parent);
  svg("path", { d: "M2.5,6 V3.8 a2.5,2.5 0 0 1 5,0 V6" }, g);
  svg("rect", { x: 0, y: 6, width: 10, height: 8, rx: 1.5 }, g);
  return g;
}

/**
 * What a consumer app is working on. Its receipt handle goes stale when the message was
 * received again meanwhile (visibility timeout shorter than the work): its delete will
 * delete nothing.
 */
function drawWorkLine(parent, w, working) {
  const stale = working.filter((work) => work.stale).length;
  const first = working[0];
  const what = working.length > 1 ? `${working.length} messages` : `"${first.body}"`;
  const label = stale ? `⚙ ${what} · stale handle` : `⚙ working on ${what}`;
  const line = svg("g", { class: `sqs-work${stale ? " sqs-stale" : ""}` }, parent);
  text(fit(label, w - 24, 13), { x: 12, y: CELL_Y + CELL_H + 35 }, line);
  svg("title", {}, line).textContent = working.map((work) =>
    `${work.id} (attempt ${work.attempt}, receipt ${work.receipt_handle}` +
    `${work.stale ? ": stale, the message was received again since" : ""})`).join("\n");
  line.dataset.stale = String(stale);
  return line;
}

function drawLockedLine(parent, groups) {
  const y = CELL_Y + CELL_H + 35;
  const line = svg("g", { class: "sqs-locked-line" }, parent);
  drawPadlock(line, 16, y - 4);
  text(`locked: ${groups.join(", ")}`, { x: 26, y, class: "sqs-locked-text" }, line);
  line.dataset.lockedGroups = groups.join(",");
  return line;
}

function totalOf(style, content, listed) {
  const counters = content?.counters || {};
  const sum = style.total.filter((k) => typeof counters[k] === "number")
    .reduce((a, k) => a + counters[k], 0);
  return Math.max(listed, sum);
}

// -- countdowns --------------------------------------------------------------------------

function tick(room) {
  const now = virtualNow(room);
  for (const label of room.diagram.root.querySelectorAll(".sqs-countdown")) {
    const left = Number(label.dataset.visibleAt) - now;
    label.textContent = seconds(left);
    label.classList.toggle("sqs-soon", left < 3);
  }
}

function seconds(left) {
  const s = Math.max(0, Math.ceil(left));
  if (s < 100) return `${s}s`;
  if (s < 6000) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

// -- events ------------------------------------------------------------------------------

/** What an event means on the picture, beyond the token tokens.js moves. */
function explain(room, event) {
  const { diagram, tokens } = room;
  switch (event.kind) {
    case "dead-lettered":
      banner(diagram, event, event.reason.split(":")[0], "sqs-banner-dlq");
      break;
    case "duplicate-ignored": {
      const original = event.details?.MessageId;
      if (original) tokens.show({ ...event, message_id: original });
      banner(diagram, event, `duplicate ${short(event.details?.MessageDeduplicationId)}: ` +
        "accepted, never delivered", "sqs-banner-duplicate");
      break;
    }
    case "empty-receive":
      diagram.mark(event.target || event.source, "∅ empty receive", "empty-receive", 1400);
      break;
    case "delete-ignored":
      // SQS answers an outdated receipt handle with success and deletes nothing
      diagram.mark(event.source, "delete ignored: outdated handle", "delete-ignored", 2000);
      break;
    case "move-task-started":
      banner(diagram, { source: event.source }, "redrive started", "sqs-banner-redrive");
      break;
    case "filtered-out":
      diagram.mark(event.target, "⊘ filtered out", "filtered-out", 1400);
      break;
    case "delivery-failed":
      banner(diagram, event, "delivery failed: copy dropped", "sqs-banner-dlq");
      break;
    case "batch-item-failures":
      diagram.mark(event.source,
        `${event.details?.batchItemFailures?.length ?? 0} batchItemFailures`,
        "batch-item-failures", 2000);
      break;
    case "batch-failed":
      banner(diagram, { source: event.source }, "batch failed: every record returns",
        "sqs-banner-dlq");
      break;
    case "work-lost":
    case "orphan-event":
      if (event.source?.startsWith("sqs:outbox:")) {
        banner(diagram, { source: event.source }, event.kind === "work-lost"
          ? "event lost" : "event for a row never committed", "sqs-banner-dlq");
      }
      break;
    default:
  }
}

/** A deduplication id short enough for a label (content-based ones are SHA-256 hex). */
function short(id) {
  if (!id) return "send";
  return id.length > 14 ? `${id.slice(0, 8)}…` : id;
}

/**
 * A banner just above a node for a few seconds: what just happened there, and why. Above,
 * not over its counters (issue 11: the FIFO duplicate banner hid the queue's counts); a new
 * banner of a node replaces its last one rather than piling up on it.
 */
function banner(diagram, event, label, kind) {
  const id = event.target || event.source;
  const box = diagram.nodes.get(id)?.box;
  if (!box) return;
  for (const old of diagram.markLayer.querySelectorAll(`[data-banner-for="${CSS.escape(id)}"]`)) {
    old.remove();
  }
  showBanner(diagram, { x: box.x + box.w / 2, y: box.y - 16, label,
    className: `sqs-banner ${kind}`, attrs: { "data-banner-for": id } });
}
