/**
 * The chart panel (issue 12): each store's metrics over virtual time, drawn with uPlot
 * (vendored in static/vendor/uplot/, loaded the first time the panel opens).
 *
 * The server samples every virtual second and sends `metrics` frames (mqlab/wire.py): a
 * `full` one when asked (after every snapshot: a reset or a seek starts a new history), then
 * `tail` frames with the new samples. This module keeps them in one store ({t, nodes}), draws
 * one chart per picked series with a line per picked node, feeds the diagram's sparklines,
 * and draws a vertical marker at the time `markTime(t)` was given (the timeline's scrubber,
 * or the `now` of a `timeline` frame).
 */

import { Sparklines } from "./sparklines.js";

const METRICS_FRAME = '{"v":1,"type":"metrics"';
const TIMELINE_FRAME = '{"v":1,"type":"timeline"';
/** Points kept in the browser before asking the server for a fresh, downsampled history. */
const MAX_POINTS = 1200;
const ASK_AGAIN_MS = 3000;
export const SERIES = {
  depth: "Ready (depth)", in_flight: "In flight / unacked", lag: "Consumer lag",
  publish_rate: "Published / s", deliver_rate: "Delivered / s", ack_rate: "Acked / s",
  dlq: "DLQ depth", consumers: "Live consumers",
};
/** Each broker's own words for a series (engine/metrics.py says what each one counts). */
const BROKER_LABELS = {
  kafka: { depth: "Records in the log", publish_rate: "Appended / s", deliver_rate: "Fetched / s",
    ack_rate: "Committed / s", consumers: "Group members" },
  sqs: { depth: "Visible (depth)", in_flight: "In flight (not visible)", publish_rate: "Sent / s",
    deliver_rate: "Received / s", ack_rate: "Deleted / s" },
};
const DEFAULT_SERIES = ["depth", "in_flight", "lag"];
const COLOURS = ["#38bdf8", "#f59e0b", "#34d399", "#f472b6", "#a78bfa", "#22d3ee", "#a3e635",
  "#f87171"];

let active = null;

/** The timeline's hook: mark virtual time `t` on every chart (null clears the mark). */
export function markTime(t) {
  active?.markTime(t);
}

export class Charts {
  constructor(panel, { send, diagram }) {
    this.panel = panel;
    this.send = send;
    this.diagram = diagram;
    this.sparklines = new Sparklines(diagram);
    this.store = { t: [], nodes: {}, every: 1 };
    this.picked = { nodes: null, series: new Set(DEFAULT_SERIES) };
    this.mark = null;
    this.plots = [];
    this.asking = false;
    this.open = false;
    this.uPlot = null;
    this.labels = { ...SERIES, ...BROKER_LABELS[panel?.closest("[data-broker]")?.dataset.broker] };
    active = this;
    panel?.querySelector("[data-charts-toggle]")?.addEventListener("click", () => this.toggle());
    panel?.addEventListener("change", (event) => this.picking(event));
    // The timeline (another module) may say where its scrubber is as a DOM event too.
    document.addEventListener("mqlab:mark-time", (event) => this.markTime(event.detail?.t ?? null));
    if (panel) new ResizeObserver(() => this.resize()).observe(panel);
    this.seriesPicker();
  }

  /** A socket frame's text: true when it was a metrics frame (taken here). */
  receive(text) {
    if (typeof text !== "string") return false;
    if (text.startsWith(METRICS_FRAME)) {
      this.take(JSON.parse(text));
      return true;
    }
    if (text.startsWith(TIMELINE_FRAME)) {
      const frame = JSON.parse(text);
      if (typeof frame.now === "number") this.markTime(frame.now);
    }
    return false;
  }

  /** A snapshot: the room's history may have started again, so ask for all of it. */
  snapshot() {
    this.asking = false;
    this.ask();
  }

  /** The diagram was drawn afresh: put the sparklines back. */
  rendered() {
    this.sparklines.prune();
    this.sparklines.draw(this.store);
  }

  ask() {
    // An answer lost (a refused frame, a dropped socket) must not freeze the charts.
    if (this.asking && performance.now() - this.askedAt < ASK_AGAIN_MS) return;
    this.askedAt = performance.now();
    this.asking = this.send({ type: "metrics", nodes: null, points: 300 }) !== false;
  }

  take(frame) {
    if (frame.mode === "full") {
      this.asking = false;
      this.store = { t: frame.t, nodes: frame.nodes, every: frame.every };
    } else if (!this.append(frame)) {
      this.ask(); // missed a tail (or never had a history): start again from a full frame
      return;
    }
    if (this.store.t.length > MAX_POINTS) this.ask();
    this.sparklines.draw(this.store);
    this.drawPanel();
  }

  /** A tail's new samples after ours; false when they do not follow on from what we have. */
  append(frame) {
    const { t, nodes } = this.store;
    const last = t.length ? t[t.length - 1] : null;
    if (this.asking || last === null || (frame.after !== null && frame.after > last)) return false;
    const fresh = frame.t.map((at, i) => [at, i]).filter(([at]) => at > last);
    for (const [id, series] of Object.entries(frame.nodes)) {
      nodes[id] ??= {};
      for (const name of Object.keys(series)) nodes[id][name] ??= t.map(() => null);
    }
    for (const [at, i] of fresh) {
      t.push(at);
      for (const [id, series] of Object.entries(nodes)) {
        for (const [name, values] of Object.entries(series)) {
          values.push(frame.nodes[id]?.[name]?.[i] ?? null);
        }
      }
    }
    return true;
  }

  markTime(t) {
    this.mark = typeof t === "number" && Number.isFinite(t) ? t : null;
    if (this.panel) this.panel.dataset.mark = this.mark === null ? "" : String(this.mark);
    for (const { plot } of this.plots) plot.redraw(false, false);
  }

  // -- the panel ------------------------------------------------------------------------------
  async toggle() {
    this.open = !this.open;
    this.panel.dataset.open = String(this.open);
    const button = this.panel.querySelector("[data-charts-toggle]");
    button.setAttribute("aria-expanded", String(this.open));
    button.textContent = this.open ? "Hide" : "Show";
    const body = this.panel.querySelector("[data-charts-body]");
    body.hidden = !this.open;
    if (this.open && !this.uPlot) {
      this.uPlot = (await import("../vendor/uplot/uPlot.esm.js")).default;
    }
    this.drawPanel();
    // Opened at the bottom of the screen, the charts grew out of sight: bring their top into
    // view (no further: the diagram above stays as much on screen as it can).
    if (this.open) body.scrollIntoView({ block: "nearest" });
  }

  picking(event) {
    const box = event.target;
    if (box.name === "chart-node") {
      this.picked.nodes = new Set([...this.panel.querySelectorAll("[name=chart-node]:checked")]
        .map((input) => input.value));
    } else if (box.name === "chart-series") {
      if (box.checked) this.picked.series.add(box.value);
      else this.picked.series.delete(box.value);
    } else {
      return;
    }
    this.destroyPlots();
    this.drawPanel();
  }

  /** The nodes picked (by default the first few stores) that have metrics. */
  chosenNodes() {
    const ids = Object.keys(this.store.nodes);
    if (this.picked.nodes) return ids.filter((id) => this.picked.nodes.has(id));
    const stores = ids.filter((id) => /:(queue|partition):/.test(id));
    return (stores.length ? stores : ids).slice(0, 4);
  }

  drawPanel() {
    if (!this.panel) return;
    this.drawPickers();
    if (!this.open || !this.uPlot) return;
    const nodes = this.chosenNodes();
    const series = Object.keys(SERIES).filter((name) => this.picked.series.has(name)
      && nodes.some((id) => this.store.nodes[id]?.[name]));
    const key = `${nodes.join("|")}#${series.join("|")}`;
    if (key !== this.plotKey) {
      this.destroyPlots();
      this.plotKey = key;
      for (const name of series) this.plots.push(this.newPlot(name, nodes));
    }
    for (const { plot, name, nodes: shown } of this.plots) {
      const lines = shown.map((id) => this.store.nodes[id]?.[name] ?? this.store.t.map(() => null));
      plot.setData([this.store.t, ...lines]);
      // What the chart shows, readable without the canvas (tests, screen readers' summary).
      const figure = plot.root.parentNode;
      figure.dataset.points = String(this.store.t.length);
      figure.dataset.until = String(this.store.t.at(-1) ?? "");
      figure.dataset.latest = lines.map((line) => line.at(-1) ?? "").join(",");
      figure.dataset.nodes = shown.join(",");
    }
    const empty = this.panel.querySelector("[data-charts-empty]");
    empty.hidden = series.length > 0;
  }

  seriesPicker() {
    const list = this.panel?.querySelector("[data-charts-series]");
    list?.replaceChildren(...Object.entries(this.labels).map(([name, text]) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      Object.assign(input, { type: "checkbox", name: "chart-series", value: name,
        checked: this.picked.series.has(name) });
      label.append(input, ` ${text}`);
      return label;
    }));
  }

  drawPickers() {
    this.offerSeries();
    const list = this.panel.querySelector("[data-charts-nodes]");
    const ids = Object.keys(this.store.nodes);
    if (list.dataset.ids === ids.join("|")) return;
    list.dataset.ids = ids.join("|");
    const chosen = new Set(this.chosenNodes());
    list.replaceChildren(...ids.map((id) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      Object.assign(input, { type: "checkbox", name: "chart-node", value: id, checked: chosen.has(id) });
      label.append(input, ` ${this.diagram.label(id)} `);
      const kind = document.createElement("small");
      kind.textContent = id.split(":")[1];
      label.append(kind);
      return label;
    }));
  }

  /** Offer only the series some node of this room has (a Kafka room has no "Acked / s"). */
  offerSeries() {
    const nodes = Object.values(this.store.nodes);
    if (!nodes.length) return;
    for (const input of this.panel.querySelectorAll("[name=chart-series]")) {
      input.parentElement.hidden = !nodes.some((series) => series[input.value]);
    }
  }

  newPlot(name, nodes) {
    const holder = document.createElement("figure");
    holder.className = "chart";
    holder.dataset.series = name;
    const caption = document.createElement("figcaption");
    caption.textContent = this.labels[name];
    holder.append(caption);
    this.panel.querySelector("[data-charts-plots]").append(holder);
    const charts = this;
    const css = getComputedStyle(this.panel);
    // The axes' text follows the page's type size (Large type on a projector), as the legend does.
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const axis = { stroke: css.getPropertyValue("--muted") || "#94a3b8",
      font: `${Math.round(rem * 0.75)}px system-ui, "Liberation Sans", sans-serif`,
      grid: { stroke: css.getPropertyValue("--line") || "#26334d", width: 1 },
      ticks: { stroke: css.getPropertyValue("--line") || "#26334d", width: 1 } };
    const plot = new this.uPlot({
      width: this.plotWidth(), height: plotHeight(), legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      // From zero, and at least to 1: a flat empty queue must not look like a full one.
      scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{ ...axis, values: (u, ticks) => ticks.map((v) => `${v}s`), size: rem * 1.8 },
        { ...axis, size: rem * 2.6 }],
      series: [{ label: "t" }, ...nodes.map((id, i) => ({
        label: this.diagram.label(id), stroke: COLOURS[i % COLOURS.length], width: 1.5,
        spanGaps: false, points: { show: false } }))],
      hooks: { draw: [(u) => drawMark(u, charts.mark)] },
    }, [this.store.t, ...nodes.map(() => [])], holder);
    return { plot, name, nodes };
  }

  plotWidth() {
    const body = this.panel.querySelector("[data-charts-plots]");
    return Math.max(220, Math.floor(body.clientWidth || 300) - 4);
  }

  resize() {
    if (!this.plots.length) return;
    const width = this.plotWidth();
    for (const { plot } of this.plots) plot.setSize({ width, height: plotHeight() });
  }

  destroyPlots() {
    for (const { plot } of this.plots) plot.destroy();
    this.plots = [];
    this.plotKey = null;
    this.panel.querySelector("[data-charts-plots]").replaceChildren();
  }
}

/** 130 px at the normal type size, taller with Large type so the lines keep their room. */
function plotHeight() {
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  return Math.round(130 * Math.max(1, rem / 16));
}

/** The scrubber's time as a vertical line across the plot. */
function drawMark(u, t) {
  if (t === null) return;
  const x = u.valToPos(t, "x", true);
  if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) return;
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = "#fb7185";
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.beginPath();
  ctx.moveTo(x, u.bbox.top);
  ctx.lineTo(x, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.restore();
}
