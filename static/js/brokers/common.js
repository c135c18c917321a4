/**
 * What the broker drawing modules share: their own stylesheet, the legend under the diagram,
 * and banners: a pill-shaped label on the marks layer that says for a few seconds what just
 * happened at a node, then fades out.
 */

import { svg, text } from "../svg.js";

const BANNER_MS = 4500;

/** The room's virtual time now: the last frame's clock, run on at its speed unless paused. */
export function virtualNow(room) {
  const { now, speed, paused, at } = room.clock();
  return paused ? now : now + ((performance.now() - at) / 1000) * speed;
}

/** Adds static/css/<broker>.css to the page, once. */
export function loadStylesheet(broker) {
  const href = new URL(`../../css/${broker}.css`, import.meta.url).href;
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href }));
}

/** The hint under the diagram says how this broker's picture reads. */
export function showLegend(room, legend) {
  const hint = room.root.querySelector(".diagram-hint");
  if (hint) hint.textContent = legend;
}

/**
 * A banner centred on (x, y) with CSS class `className`; `attrs` are extra attributes of its
 * group (e.g. which node it speaks for). Returns the group.
 */
export function showBanner(diagram, { x, y, label, className, attrs = {} }) {
  const g = svg("g", { ...attrs, class: className, transform: `translate(${x},${y})` },
    diagram.markLayer);
  const width = label.length * 8.4 + 24;
  svg("rect", { x: -width / 2, y: -15, width, height: 28, rx: 14 }, g);
  text(label, { x: 0, y: 4, "text-anchor": "middle" }, g);
  const fade = g.animate([{ opacity: 1 }, { opacity: 1, offset: 0.8 }, { opacity: 0 }],
    { duration: BANNER_MS, fill: "forwards" });
  fade.onfinish = () => g.remove();
  return g;
}
