/**
 * Diagram layout from the topology alone: nodes in columns left to right by their `column`
 * (producers → exchanges/topics → queues/partitions → consumers), empty columns squeezed out,
 * each column ordered to keep edges from crossing (a node sits near the average row of the
 * nodes it is connected to on its left) and centred vertically. Pure data in, boxes and SVG
 * path strings out, so it is easy to reason about and needs no DOM.
 */

import { styleFor } from "./styles.js";

export const GAP_X = 84; // between columns, widened where a binding key needs the room
const LABEL_CHAR = 7.8; // diagram units per character of an edge label (13px monospace)
const LABEL_MAX_CHARS = 26; // diagram.js shortens longer labels
export const GAP_Y = 30;
export const MARGIN = 30;
export const HEADER = 34; // column titles above the nodes

export const LANE_HEADING = 34; // a broker's name above its lane, when a room has several
const LANE_GAP = 26;

/**
 * One broker: one band of columns. Several brokers in a room (a walkthrough comparing Kafka
 * and RabbitMQ): one lane each, stacked, each with its broker's name and its own column
 * titles, so a Kafka topic never sits under RabbitMQ's "Exchanges" heading.
 */
export function layout(topology) {
  const all = (topology.nodes || []).map(placed);
  const allEdges = topology.edges || [];
  const brokers = [...new Set(all.map((n) => n.broker))];
  const several = brokers.length > 1;
  const boxes = new Map();
  const lanes = [];
  let top = 0;
  let width = 560;
  for (const broker of several ? brokers : [brokers[0]]) {
    const nodes = several ? all.filter((n) => n.broker === broker) : all;
    const ids = new Set(nodes.map((n) => n.id));
    const edges = several ? allEdges.filter((e) => ids.has(e.source) && ids.has(e.target)) : allEdges;
    const lane = placeLane(nodes, edges, top + (several ? LANE_HEADING : 0), boxes);
    lanes.push({ broker, heading: several, top, titleY: lane.titleY, columns: lane.columns,
      height: lane.bottom - top });
    width = Math.max(width, lane.width);
    top = lane.bottom + (several ? LANE_GAP : 0);
  }
  const height = several ? top - LANE_GAP : top;
  const edges = groupEdges(allEdges, boxes);
  placeLabels(edges, boxes);
  // Bows between nodes of one column may reach past the last column.
  const reach = Math.max(0, ...edges.map((e) => e.reach || 0));
  return { boxes, edges, width: Math.max(width, reach + MARGIN), height, lanes,
    columns: lanes[0]?.columns || [] };
}

/** Columns of one lane from `top` down; its boxes go into `boxes`. */
function placeLane(nodes, edges, top, boxes) {
  const columns = [...new Set(nodes.map((n) => n.column))].sort((a, b) => a - b);
  const neighbours = neighbourMap(edges);
  const gaps = labelGaps(nodes, edges);
  const columnBoxes = [];
  let x = MARGIN;
  for (const column of columns) {
    const members = orderColumn(nodes.filter((n) => n.column === column), neighbours, boxes);
    const width = Math.max(...members.map((n) => styleFor(n).width));
    // Between two nodes: the usual gap, or more when a banner or a tag needs the room.
    let y = 0, below = 0;
    const placed = members.map((node, i) => {
      const { width: w, height: h, above, below: under } = styleFor(node);
      y += i === 0 ? above : Math.max(GAP_Y, below + above);
      const box = { node, x: x + (width - w) / 2, y, w, h };
      y += h;
      below = under;
      return box;
    });
    columnBoxes.push({ column, x, width, height: y + below, placed });
    for (const box of placed) boxes.set(box.node.id, box);
    x += width + (gaps.get(column) || GAP_X);
  }
  const tallest = Math.max(0, ...columnBoxes.map((c) => c.height));
  for (const c of columnBoxes) {
    const shift = top + MARGIN + HEADER + (tallest - c.height) / 2;
    for (const box of c.placed) box.y += shift;
  }
  const last = columns[columns.length - 1];
  return {
    width: Math.max(x - (gaps.get(last) || GAP_X) + MARGIN, 560),
    bottom: top + MARGIN + HEADER + tallest + MARGIN,
    titleY: top + 32,
    columns: columnBoxes.map((c) => ({ column: c.column, x: c.x + c.width / 2 })),
  };
}

/** A style may draw a kind of node in another column than the broker says (styles.js). */
function placed(node) {
  const column = styleFor(node).column;
  return column === undefined || column === node.column ? node : { ...node, column };
}

/**
 * Per column: the gap to its right, wide enough for the longest label of an edge leaving it.
 * Where one node fans out several labelled edges (a topic exchange's bindings), wider still:
 * their lines leave from one point, and their labels need the stretch where they have parted.
 */
function labelGaps(nodes, edges) {
  const columnOf = new Map(nodes.map((n) => [n.id, n.column]));
  const fans = new Map();
  for (const edge of edges) {
    if (edge.label) fans.set(edge.source, (fans.get(edge.source) || 0) + 1);
  }
  const gaps = new Map();
  for (const edge of edges) {
    const column = columnOf.get(edge.source);
    if (column === undefined || !edge.label) continue;
    const chars = Math.min(edge.label.length, LABEL_MAX_CHARS);
    const spread = fans.get(edge.source) > 1 ? FAN_ROOM : 0;
    gaps.set(column, Math.max(gaps.get(column) || GAP_X, chars * LABEL_CHAR + 40 + spread));
  }
  return gaps;
}

const FAN_ROOM = 70;

function neighbourMap(edges) {
  const map = new Map();
  const add = (a, b) => {
    if (!map.has(a)) map.set(a, []);
    map.get(a).push(b);
  };
  for (const e of edges) {
    add(e.source, e.target);
    add(e.target, e.source);
  }
  return map;
}

/** Barycentre ordering against the columns already placed; ties keep the server's order. */
function orderColumn(members, neighbours, placed) {
  const keyed = members.map((node, index) => {
    const rows = (neighbours.get(node.id) || [])
      .map((id) => placed.get(id))
      .filter(Boolean)
      .map((box) => box.y);
    const key = rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
    return { node, index, key };
  });
  keyed.sort((a, b) => (a.key === b.key ? a.index - b.index : a.key - b.key));
  return keyed.map((k) => k.node);
}

/** Edges between the same two nodes share one path; their labels are joined. */
function groupEdges(edges, boxes) {
  const byPair = new Map();
  for (const edge of edges) {
    if (!boxes.has(edge.source) || !boxes.has(edge.target)) continue;
    const pair = `${edge.source}\n${edge.target}`;
    if (!byPair.has(pair)) byPair.set(pair, { source: edge.source, target: edge.target, edges: [] });
    byPair.get(pair).edges.push(edge);
  }
  return [...byPair.values()].map((group) => {
    const route = routeBetween(boxes.get(group.source), boxes.get(group.target));
    const labels = [...new Set(group.edges.map((e) => e.label).filter((l) => l !== ""))];
    const label = labels.join(", ");
    // A bow's label is centred on its outer edge: the picture must be wide enough for it.
    if (route.reach && label) {
      route.reach += (Math.min(label.length, LABEL_MAX_CHARS) * LABEL_CHAR + 14) / 2;
    }
    return { ...group, ...route, label, kind: group.edges[0].kind };
  });
}

/**
 * A cubic Bézier from one box to another. Forward: right side to left side. Backward (a
 * dead-letter route from a queue back to an exchange, a requeue): left side to right side,
 * the mirror image, along the lower quarter of both boxes so it does not meet the forward
 * edges arriving at their middles (its arrow would read as one more binding). Same column:
 * a bow out to the right. Returns the path and where its label goes.
 */
export function routeBetween(a, b) {
  const ay = a.y + a.h / 2, by = b.y + b.h / 2;
  if (b.x > a.x + a.w) return curve(a.x + a.w, ay, b.x, by, 1);
  if (b.x + b.w < a.x) return curve(a.x, a.y + a.h * 0.75, b.x + b.w, b.y + b.h * 0.75, -1);
  const ax = a.x + a.w, ex = b.x + b.w;
  const out = Math.max(ax, ex) + 40 + Math.min(40, Math.abs(by - ay) / 6);
  return {
    d: `M${ax},${ay} C${out},${ay} ${out},${by} ${ex},${by}`,
    mid: { x: out - 10, y: (ay + by) / 2 },
    reach: out + 10,
  };
}

function curve(ax, ay, bx, by, direction) {
  const bend = direction * Math.max(40, Math.abs(bx - ax) / 2);
  const [cx, dx] = [ax + bend, bx - bend];
  // The point a fraction t along the Bézier: where a label may sit.
  const at = (t) => {
    const u = 1 - t;
    const mix = (p0, p1, p2, p3) => u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
    return { x: mix(ax, cx, dx, bx), y: mix(ay, ay, by, by) };
  };
  return {
    d: `M${ax},${ay} C${cx},${ay} ${dx},${by} ${bx},${by}`,
    mid: { x: (ax + bx) / 2, y: (ay + by) / 2 },
    at,
  };
}

/**
 * Each edge label goes to the spot along its edge (middle first, then towards either end)
 * that covers least: never another label or a node (with the room kept for its banners and
 * tags), and as few other edges' lines as it can. Edges leaving one node fan out, so their
 * keys spread apart towards the targets; a topic exchange's bindings do not stack up at the
 * exchange. Long labels are placed first: a short one finds a free spot more easily. Runs
 * once per topology (layout), never per frame.
 */
function placeLabels(edges, boxes) {
  const nodes = [...boxes.values()].map(keptClear);
  const lines = edges.filter((edge) => edge.at).map((edge) => {
    const points = SAMPLES.map(edge.at);
    return { edge, points, box: boundsOf(points) };
  });
  const taken = [];
  const labelled = edges.filter((edge) => edge.label);
  labelled.sort((a, b) => b.label.length - a.label.length);
  for (const edge of labelled) {
    const spots = edge.at ? LABEL_SPOTS.map(edge.at) : [edge.mid];
    let best = null;
    spots.forEach((spot, rank) => {
      const box = labelBox(spot, edge.label);
      const hits = (list) => list.filter((other) => overlaps(box, other)).length;
      const crossed = lines.filter((line) => line.edge !== edge && overlaps(box, line.box)
        && line.points.some((p) => inside(box, p))).length;
      const cost = 1000 * (hits(taken) + hits(nodes)) + 10 * crossed + rank;
      if (!best || cost < best.cost) best = { cost, spot };
    });
    edge.mid = best.spot;
    taken.push(labelBox(edge.mid, edge.label));
  }
}

const LABEL_SPOTS = [0.5, 0.62, 0.38, 0.72, 0.28, 0.8];
const SAMPLES = Array.from({ length: 49 }, (_, i) => i / 48);

/** A node's box with the room above and below it that its banners and tags use. */
function keptClear(box) {
  const { above, below } = styleFor(box.node);
  const tags = box.node.props?.tags?.length ? 22 : 0;
  return { left: box.x - 4, right: box.x + box.w + 4, top: box.y - above - 4,
    bottom: box.y + box.h + Math.max(below, tags) + 4 };
}

function boundsOf(points) {
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const pad = 6;
  return { left: Math.min(...xs) - pad, right: Math.max(...xs) + pad,
    top: Math.min(...ys) - pad, bottom: Math.max(...ys) + pad };
}

/** Within a few units of the box: a line grazing a label's end reads as struck through. */
function inside(box, p) {
  const pad = 5;
  return p.x > box.left - pad && p.x < box.right + pad && p.y > box.top - pad
    && p.y < box.bottom + pad;
}

/** The box diagram.js draws a label in (centred on `mid`, 20 high). */
function labelBox(mid, label) {
  const half = (Math.min(label.length, LABEL_MAX_CHARS) * LABEL_CHAR + 14) / 2;
  return { left: mid.x - half, right: mid.x + half, top: mid.y - 11, bottom: mid.y + 9 };
}

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}
