/**
 * Sparklines: a tiny line over each store node of the diagram for the last minute of virtual
 * time: what a queue holds (ready + in flight), a Kafka partition's or group's lag. One SVG polyline per node,
 * redrawn only when a metrics frame arrives (at most twice a wall second), so the diagram's
 * frame rate does not notice them. The numbers come from charts.js's store.
 */

import { svg } from "./svg.js";

const POINTS = 60;
const W = 56, H = 15; // diagram units: legible at the diagram's usual scale

export class Sparklines {
  constructor(diagram) {
    this.diagram = diagram;
    this.lines = new Map(); // node id -> polyline element
  }

  /** Draw every node's line from `store` ({t, nodes}); cheap when nothing changed. */
  draw(store) {
    for (const [id, series] of Object.entries(store.nodes)) {
      const entry = this.diagram.nodes.get(id);
      if (!entry) continue;
      const name = series.lag?.some((v) => v) ? "lag" : "depth";
      const values = held(series, name).slice(-POINTS);
      if (!values.length) continue;
      this.line(id, entry, name).setAttribute("points", pointsOf(values));
    }
  }

  line(id, entry, name) {
    let line = this.lines.get(id);
    if (!line || line.parentNode?.parentNode !== entry.group) {
      // A render drew the node afresh: its sparkline goes back above its top-left corner.
      const group = svg("g", { class: "sparkline", transform: `translate(2,${-H - 3})`,
        "aria-hidden": "true", "data-sparkline": id }, entry.group);
      svg("rect", { x: -1, y: -1, width: W + 2, height: H + 2, rx: 2, class: "sparkline-bg" }, group);
      svg("title", {}, group).textContent = name === "lag" ? "lag, last minute"
        : "messages held (ready + in flight), last minute";
      line = svg("polyline", { class: "sparkline-line" }, group);
      this.lines.set(id, line);
    }
    line.parentNode.setAttribute("data-series", name);
    return line;
  }

  /** After the diagram redrew (a snapshot or a topology change): forget detached lines. */
  prune() {
    for (const [id, line] of this.lines) if (!line.isConnected) this.lines.delete(id);
  }
}

/** The series drawn: lag as it is; a depth with the in-flight messages added. */
function held(series, name) {
  const values = series[name] || [];
  if (name === "lag" || !series.in_flight) return values;
  const start = Math.max(0, values.length - POINTS);
  return values.slice(start).map((v, i) => (v ?? 0) + (series.in_flight[start + i] ?? 0));
}

function pointsOf(values) {
  let top = 0;
  for (const v of values) if (v > top) top = v;
  const step = values.length > 1 ? W / (POINTS - 1) : 0;
  const left = W - step * (values.length - 1);
  return values.map((v, i) => {
    const y = top > 0 ? H - ((v ?? 0) / top) * H : H;
    return `${(left + i * step).toFixed(1)},${y.toFixed(1)}`;
  }).join(" ");
}
