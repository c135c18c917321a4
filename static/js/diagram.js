/**
 * The SVG diagram: draws the topology (columns of nodes, edges labelled by binding key) and
 * keeps each node's counters and message cells in step with the snapshot's contents. It
 * knows shapes (from styles.js), never broker rules. Tokens are drawn by tokens.js on the
 * layer this module provides.
 */

import { layout, routeBetween } from "./layout.js";
import { columnTitle, colourFor, counterText, edgeStyleFor, shortName, styleFor } from "./styles.js";
import { Overlay, div, pin } from "./overlay.js";
import { fit, svg, text } from "./svg.js";

const SLOT_W = 12, SLOT_GAP = 3;
const REDUCED_MOTION = matchMedia("(prefers-reduced-motion: reduce)");
const DOWN_STATES = new Set(["down", "dead", "crashed", "stopped"]);
const MARK_REFRESH_MS = 250; // marks and skipped-movement badges are rewritten this often
const BROKER_NAMES = { rabbitmq: "RabbitMQ", kafka: "Apache Kafka", sqs: "Amazon SQS" };

export class Diagram {
  constructor(root, { onSelectNode, onSelectMessage }) {
    this.root = root;
    this.onSelectNode = onSelectNode;
    this.onSelectMessage = onSelectMessage;
    this.nodes = new Map(); // id -> { box, group, counters, slots }
    this.selected = null;
    this.marks = new Map(); // "node kind" -> the mark showing now
    /** A broker module may draw a node's cells itself: `paint(entry, content)` -> true. */
    this.cellPainter = null;
    root.innerHTML = "";
    svg("defs", {}, root).innerHTML =
      '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="13" ' +
      'markerHeight="13" markerUnits="userSpaceOnUse" orient="auto-start-reverse">' +
      '<path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker>';
    this.columnLayer = svg("g", { class: "columns" }, root);
    this.edgeLayer = svg("g", { class: "edges" }, root);
    // Labels above every line: a later edge must not cross out an earlier edge's key.
    this.labelLayer = svg("g", { class: "edge-labels" }, root);
    this.nodeLayer = svg("g", { class: "nodes" }, root);
    // What moves (tokens, marks, skipped-movement badges) is HTML over the picture: its
    // animations run on the compositor (overlay.js says why).
    this.overlay = new Overlay(root);
    this.tokenLayer = this.overlay.tokens;
    this.floatLayer = this.overlay.marks;
    this.markLayer = svg("g", { class: "marks", "aria-hidden": "true" }, root);
    root.addEventListener("click", (e) => this.clicked(e));
    root.addEventListener("keydown", (e) => {
      if ((e.key === "Enter" || e.key === " ") && e.target.closest?.(".node")) {
        e.preventDefault();
        e.stopPropagation();
        this.clicked(e);
      }
    });
  }

  render(topology, contents) {
    this.layout = layout(topology);
    const { width, height } = this.layout;
    this.root.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.overlay.setViewBox(width, height);
    // A small topology must not blow up to giant boxes: cap the scale (CSS reads this).
    this.root.style.setProperty("--diagram-width", `${width}px`);
    for (const layer of [this.columnLayer, this.edgeLayer, this.labelLayer, this.nodeLayer]) {
      layer.replaceChildren();
    }
    for (const entry of this.nodes.values()) dropOverflow(entry);
    this.nodes.clear();
    this.names = namesOf(topology.nodes || []);
    this.drawColumns(topology);
    for (const route of this.layout.edges) this.drawEdge(route);
    for (const box of this.layout.boxes.values()) this.drawNode(box, contents[box.node.id]);
    if (this.selected && !this.nodes.has(this.selected)) this.selected = null;
    this.select(this.selected);
    this.root.dataset.nodes = String(this.nodes.size);
  }

  drawColumns(topology) {
    for (const lane of this.layout.lanes) {
      if (lane.heading) {
        // Several brokers: each lane under its broker's name, with its own column titles.
        svg("rect", { x: 4, y: lane.top + 4, width: this.layout.width - 8, height: lane.height - 4,
          rx: 10, class: `lane lane-${lane.broker}` }, this.columnLayer);
        text(BROKER_NAMES[lane.broker] || lane.broker, { x: 18, y: lane.top + 28,
          class: `lane-title broker-${lane.broker}` }, this.columnLayer);
      }
      for (const { column, x } of lane.columns) {
        text(columnTitle(lane.broker, column), { x, y: lane.titleY,
          class: "column-title", "text-anchor": "middle" }, this.columnLayer);
      }
    }
    if (!topology.nodes?.length) {
      const x = this.layout.width / 2;
      text("Nothing declared yet.", { x, y: 70, class: "empty-note", "text-anchor": "middle" },
        this.columnLayer);
      text("Declare exchanges, queues and consumers with the controls.",
        { x, y: 96, class: "empty-note small", "text-anchor": "middle" }, this.columnLayer);
    }
  }

  drawEdge(route) {
    const style = edgeStyleFor(route.source.split(":")[0], route.kind);
    const classes = ["edge", `edge-${route.kind}`, style.quiet && "edge-quiet",
      style.dashed && "edge-dashed"].filter(Boolean).join(" ");
    const ends = { "data-source": route.source, "data-target": route.target };
    const g = svg("g", { class: classes, ...ends }, this.edgeLayer);
    svg("path", { d: route.d, class: "edge-line", "marker-end": "url(#arrow)" }, g);
    if (route.label) {
      // Same classes as its line, so quiet and focused edges style their labels too.
      const labelGroup = svg("g", { class: classes, ...ends }, this.labelLayer);
      const label = fit(route.label, 200, 13);
      const w = label.length * 7.8 + 14;
      svg("rect", { x: route.mid.x - w / 2, y: route.mid.y - 11, width: w, height: 20,
        rx: 10, class: "edge-label-bg" }, labelGroup);
      text(label, { x: route.mid.x, y: route.mid.y + 4, class: "edge-label",
        "text-anchor": "middle" }, labelGroup);
    }
  }

  drawNode(box, content) {
    const { node, x, y, w, h } = box;
    const style = styleFor(node);
    // A node the model reports as down (a killed broker, a crashed client) is drawn faded.
    const down = node.props?.alive === false || DOWN_STATES.has(node.props?.state);
    const group = svg("g", {
      class: `node kind-${node.kind} shape-${style.shape} broker-${node.broker}${down ? " node-down" : ""}`,
      transform: `translate(${x},${y})`, tabindex: 0, role: "button",
      "data-node-id": node.id,
    }, this.nodeLayer);
    drawShape(style.shape, w, h, group);
    const subtitle = `${node.props?.type ? `${node.props.type} ${node.kind}` : node.kind}${down ? " (down)" : ""}`;
    const compact = !style.slots;
    const name = this.names.get(node.id);
    text(fit(name?.short ?? node.label, w - 16, 16), { x: w / 2, y: compact ? h / 2 - 2 : 19,
      class: "node-label", "text-anchor": "middle" }, group);
    const counters = text("", { x: w / 2, y: h - 9, class: "node-counters",
      "text-anchor": "middle" }, group);
    if (compact) counters.setAttribute("y", h / 2 + 18); // clear of the title's descenders
    const slots = style.slots ? svg("g", { class: "slots", transform: "translate(0,28)" }, group)
      : null;
    // Settings that decide a message's fate (a queue's TTL, length limit, type...), written
    // under the node in the gap before the next one, so they show without opening it.
    const tags = (node.props?.tags || []).join(" · ");
    if (tags) {
      text(fit(tags, w + 24, 12), { x: w / 2, y: h + 15, class: "node-tags",
        "text-anchor": "middle" }, group);
    }
    svg("title", {}, group).textContent = `${subtitle} ${node.label}${tags ? ` (${tags})` : ""}`;
    const entry = { box, group, counters, slots, subtitle, overflow: null, overflowCount: 0 };
    this.nodes.set(node.id, entry);
    this.updateNode(node.id, content);
  }

  /** Apply a batch's patch: node id -> its full new contents (null when removed). */
  update(patch) {
    for (const [id, content] of Object.entries(patch)) {
      if (this.nodes.has(id)) this.updateNode(id, content);
    }
  }

  updateNode(id, content) {
    const entry = this.nodes.get(id);
    const node = entry.box.node;
    const summary = counterText(node, content?.counters);
    // Text and cells are written only when they change: at 8x a node is patched many times
    // a second, mostly with what it already shows, and every SVG write costs a layout.
    const shown = summary || entry.subtitle;
    if (entry.counters.textContent !== shown) {
      entry.counters.textContent = shown;
      squeeze(entry.counters, entry.box.w - 12, 7.9);
      entry.group.setAttribute("aria-label",
        `${entry.subtitle} ${node.label}${summary ? `: ${summary}` : ""}. Press Enter to inspect.`);
    }
    if (!entry.slots) return;
    const drawn = JSON.stringify(content ?? null);
    if (drawn === entry.drawn) return;
    entry.drawn = drawn;
    if (!this.cellPainter?.(entry, content)) this.drawSlots(entry, content);
  }

  /**
   * The node's messages as coloured cells. A queue's oldest message sits on the right, next
   * out towards the consumers; a log's records run left to right by offset (the producer
   * appends on the right), with the first and last offsets shown written under them.
   */
  drawSlots(entry, content) {
    const messages = content?.messages || [];
    const style = styleFor(entry.box.node);
    const { w } = entry.box;
    const room = Math.floor((w - 20 + SLOT_GAP) / (SLOT_W + SLOT_GAP));
    const total = totalOf(style, content, messages.length);
    // When not all fit, the leftmost cells make way for the "+n" count.
    const countWidth = (String(total).length + 1) * 7.5 + 4;
    const fits = Math.max(0, total > room ? room - Math.ceil(countWidth / (SLOT_W + SLOT_GAP)) : room);
    const log = style.shape === "log";
    const shown = log ? messages.slice(Math.max(0, messages.length - fits)) : messages.slice(0, fits);
    entry.slots.replaceChildren();
    const logStart = total > shown.length ? 10 + countWidth : 10;
    shown.forEach((message, i) => {
      const cx = log ? logStart + i * (SLOT_W + SLOT_GAP)
        : w - 10 - (i + 1) * (SLOT_W + SLOT_GAP) + SLOT_GAP;
      const cell = svg("rect", { x: cx, y: 0, width: SLOT_W, height: 18, rx: 3,
        class: `slot${message.redelivered ? " slot-marked" : ""}${message.state ? ` slot-${message.state}` : ""}`,
        fill: colourFor(message), "data-message-id": message.id }, entry.slots);
      svg("title", {}, cell).textContent = `${message.id}: ${message.body ?? ""}`;
      const edgeCell = i === 0 || i === shown.length - 1;
      if (log && edgeCell && message.offset !== undefined) {
        text(String(message.offset), { x: cx + SLOT_W / 2, y: 30, class: "slot-offset",
          "text-anchor": "middle" }, entry.slots);
      }
    });
    if (total > shown.length) {
      text(`+${total - shown.length}`, { x: 10, y: 14, class: "slot-more" }, entry.slots);
    }
  }

  clicked(event) {
    const slot = event.target.closest?.("[data-message-id]");
    if (slot) {
      this.onSelectMessage(slot.getAttribute("data-message-id"));
      return;
    }
    const group = event.target.closest?.(".node");
    if (group) this.onSelectNode(group.getAttribute("data-node-id"));
  }

  select(id) {
    this.selected = id;
    for (const [nodeId, entry] of this.nodes) {
      entry.group.classList.toggle("selected", nodeId === id);
    }
    for (const edge of [...this.edgeLayer.children, ...this.labelLayer.children]) {
      const touches = id !== null && (edge.dataset.source === id || edge.dataset.target === id);
      edge.classList.toggle("edge-focus", touches);
    }
  }

  has(id) {
    return this.nodes.has(id);
  }

  /** A node's name for the log and the inspector (told apart from a namesake, see namesOf). */
  label(id) {
    return this.names?.get(id)?.full ?? this.nodes.get(id)?.box.node.label ?? shortName(id);
  }

  /** The path a token follows: the drawn edge when there is one, else a fresh route. */
  route(source, target) {
    const drawn = this.layout?.edges.find((e) => e.source === source && e.target === target);
    if (drawn) return drawn.d;
    const a = this.nodes.get(source)?.box, b = this.nodes.get(target)?.box;
    return a && b ? routeBetween(a, b).d : null;
  }

  centre(id) {
    const box = this.nodes.get(id)?.box;
    return box ? { x: box.x + box.w / 2, y: box.y + box.h / 2 } : null;
  }

  /**
   * A short floating mark above a node ("✓ acked"). A node shows one mark per kind at a
   * time: a repeat restarts it and counts ("✓ acked ×12"), so a burst stays readable and
   * does not pile up an animation per message.
   */
  mark(id, label, kind, duration) {
    const box = this.nodes.get(id)?.box;
    if (!box) return;
    const key = `${id} ${kind}`;
    let live = this.marks.get(key);
    if (live) {
      live.count += 1;
      // At 8x a node is acked hundreds of times a second: the count is written and the
      // mark restarted a few times a second, not at each repeat (each one restyles).
      if (live.due) return;
      live.due = setTimeout(() => {
        live.due = 0;
        live.text.textContent = `${label} ×${live.count}`;
        live.el.style.left = `${box.x + box.w - 4}px`; // the node may have moved since
        live.el.style.top = `${box.y - 6}px`;
        this.animateMark(live, key, duration);
      }, MARK_REFRESH_MS);
      return;
    } else {
      const el = pin(`mark mark-${kind}`, box.x + box.w - 4, box.y - 6, this.floatLayer);
      const textEl = div("mark-text", el);
      textEl.textContent = label;
      live = { el, text: textEl, count: 1, animation: null };
      this.marks.set(key, live);
    }
    this.animateMark(live, key, duration);
  }

  animateMark(live, key, duration) {
    live.animation?.cancel();
    const rise = REDUCED_MOTION.matches ? [{}, {}] // fade in place
      : [{ transform: "translateY(0)" }, { transform: "translateY(-14px)" }];
    const animation = live.el.animate([{ opacity: 1, ...rise[0] }, { opacity: 0, ...rise[1] }],
      { duration: Math.max(duration, MARK_REFRESH_MS * 2), easing: "ease-out" });
    live.animation = animation;
    animation.onfinish = () => {
      if (live.due) return; // a repeat is on its way: it restarts the mark
      live.el.remove();
      if (this.marks.get(key) === live) this.marks.delete(key);
    };
  }

  /** Reduced motion: a brief highlight of the node instead of a travelling token. */
  flash(id) {
    const entry = this.nodes.get(id);
    if (!entry) return;
    entry.group.classList.remove("flash");
    void entry.group.getBBox();
    entry.group.classList.add("flash");
    clearTimeout(entry.flashTimer);
    entry.flashTimer = setTimeout(() => entry.group.classList.remove("flash"), 600);
  }

  /** Movements not animated (too many tokens in flight) are counted on their target. */
  overflow(id, count) {
    const entry = this.nodes.get(id);
    if (!entry) return;
    entry.overflowCount += count;
    if (!entry.overflow) {
      const { x, y, w } = entry.box;
      entry.overflow = pin("overflow", x + w - 2, y + 2, this.floatLayer);
      entry.overflowBadge = div("overflow-badge", entry.overflow);
      entry.overflow.dataset.nodeId = id;
      entry.overflow.title = "Movements not animated here: too many at once (counted)";
    }
    entry.overflowSeen = performance.now();
    // The badge is written a few times a second, however many movements a burst skips.
    if (entry.overflowDue) return;
    entry.overflowDue = setTimeout(() => requestAnimationFrame(() => this.drawOverflow(entry)),
      entry.overflowBadge.textContent ? MARK_REFRESH_MS : 0);
  }

  drawOverflow(entry) {
    entry.overflowDue = 0;
    if (!entry.overflow) return;
    // A pill that grows with its text: "999+" stays inside it.
    const shown = entry.overflowCount > 999 ? "999+" : `+${entry.overflowCount}`;
    if (entry.overflowBadge.textContent !== shown) entry.overflowBadge.textContent = shown;
    // One pulse at a time: a burst skips thousands of movements, each must not animate.
    if (entry.pulse?.playState !== "running") {
      entry.pulse = entry.overflow.animate([{ opacity: 1 }, { opacity: 0.55 }], { duration: 300 });
    }
    if (!entry.overflowTimer) {
      const expire = () => {
        const quiet = performance.now() - entry.overflowSeen;
        if (quiet < 1500) {
          entry.overflowTimer = setTimeout(expire, 1500 - quiet);
          return;
        }
        entry.overflowTimer = 0;
        dropOverflow(entry);
      };
      entry.overflowTimer = setTimeout(expire, 1500);
    }
  }
}

/** A node's skipped-movement badge goes (quiet for a while, or the node was redrawn). */
function dropOverflow(entry) {
  clearTimeout(entry.overflowTimer);
  clearTimeout(entry.overflowDue);
  entry.overflowTimer = 0;
  entry.overflowDue = 0;
  entry.overflow?.remove();
  entry.overflow = null;
  entry.pulse = null;
  entry.overflowCount = 0;
}

/**
 * Several brokers in one room may each have an "orders" (a RabbitMQ queue, a Kafka topic):
 * such namesakes are drawn with their kind ("orders (topic)", under their broker's lane) and
 * named with their broker in the log and the inspector ("orders (Kafka topic)").
 */
function namesOf(nodes) {
  const brokersOf = new Map();
  for (const node of nodes) {
    if (!brokersOf.has(node.label)) brokersOf.set(node.label, new Set());
    brokersOf.get(node.label).add(node.broker);
  }
  const names = new Map();
  for (const node of nodes) {
    if (brokersOf.get(node.label).size < 2) continue;
    names.set(node.id, { short: `${node.label} (${node.kind})`,
      full: `${node.label} (${BROKER_NAMES[node.broker] || node.broker} ${node.kind})` });
  }
  return names;
}

/** Long counter lines are narrowed to the node's width rather than spilling out of it. */
function squeeze(el, width, charWidth) {
  if (el.textContent.length * charWidth > width) {
    el.setAttribute("textLength", width);
    el.setAttribute("lengthAdjust", "spacingAndGlyphs");
  } else {
    el.removeAttribute("textLength");
  }
}

function totalOf(style, content, listed) {
  const counters = content?.counters || {};
  const sum = style.total
    .filter((k) => typeof counters[k] === "number")
    .reduce((a, k) => a + counters[k], 0);
  return Math.max(listed, sum);
}

function drawShape(shape, w, h, parent) {
  const cls = "node-shape";
  switch (shape) {
    case "pill":
      return svg("rect", { width: w, height: h, rx: h / 2, class: cls }, parent);
    case "hex": {
      const k = 16;
      return svg("polygon", { points: `${k},0 ${w - k},0 ${w},${h / 2} ${w - k},${h} ${k},${h} 0,${h / 2}`,
        class: cls }, parent);
    }
    case "round":
      return svg("rect", { width: w, height: h, rx: 22, class: cls }, parent);
    case "log":
      return svg("rect", { width: w, height: h, rx: 3, class: cls }, parent);
    case "queue": {
      const g = svg("g", {}, parent);
      svg("rect", { width: w, height: h, rx: 8, class: cls }, g);
      svg("rect", { x: 6, y: 25, width: w - 12, height: 24, rx: 4, class: "queue-lane" }, g);
      return g;
    }
    default:
      return svg("rect", { width: w, height: h, rx: 6, class: cls }, parent);
  }
}
