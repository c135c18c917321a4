// Run with: node --test tests/js/   (the browser check is tests/e2e/test_diagram_labels.py)
import assert from "node:assert/strict";
import { test } from "node:test";

import { layout } from "../../static/js/layout.js";
import { BANNER_ROOM } from "../../static/js/styles.js";

const node = (broker, kind, name, column, props = {}) =>
  ({ id: `${broker}:${kind}:${name}`, broker, kind, label: name, column, props });

/** The box diagram.js draws an edge label in (13px monospace, shortened to 26 characters). */
function labelBox({ mid, label }) {
  const half = (Math.min(label.length, 26) * 7.8 + 14) / 2;
  return { left: mid.x - half, right: mid.x + half, top: mid.y - 11, bottom: mid.y + 9 };
}

const nodeBox = ({ x, y, w, h }) => ({ left: x, right: x + w, top: y, bottom: y + h });
const apart = (a, b) => a.right <= b.left || b.right <= a.left || a.bottom <= b.top
  || b.bottom <= a.top;

test("binding keys fanning out of one exchange sit apart, off every node", () => {
  const keys = ["order.*", "order.shipped", "user.*", "#.audit.#", "payment.refunded.partial"];
  const nodes = [node("rabbitmq", "exchange", "events", 1),
    ...keys.map((_, i) => node("rabbitmq", "queue", `q${i}`, 2, { tags: ["durable"] }))];
  const edges = keys.map((key, i) => ({ source: "rabbitmq:exchange:events",
    target: `rabbitmq:queue:q${i}`, label: key, kind: "binding" }));
  const drawn = layout({ nodes, edges });
  const labels = drawn.edges.map(labelBox);
  assert.equal(labels.length, keys.length);
  labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => assert.ok(apart(a, b), "labels")));
  for (const label of labels) {
    for (const box of drawn.boxes.values()) assert.ok(apart(label, nodeBox(box)), box.node.id);
  }
  // Nor does another binding's line run through a key: it would read as struck through.
  drawn.edges.forEach((edge, i) => {
    const others = drawn.edges.filter((other) => other !== edge);
    for (const other of others) {
      for (let t = 0; t <= 1; t += 1 / 64) {
        const { x, y } = other.at(t);
        const box = labels[i];
        const within = x > box.left && x < box.right && y > box.top && y < box.bottom;
        assert.ok(!within, `${other.label}'s line crosses ${edge.label}`);
      }
    }
  });
});

test("a Kafka partition keeps the room for its leader/ISR banner above it", () => {
  const nodes = [0, 1, 2].map((i) => node("kafka", "partition", `events/${i}`, 2));
  const boxes = [...layout({ nodes, edges: [] }).boxes.values()].sort((a, b) => a.y - b.y);
  for (let i = 1; i < boxes.length; i++) {
    assert.ok(boxes[i].y - (boxes[i - 1].y + boxes[i - 1].h) >= BANNER_ROOM);
  }
  // The first one's banner stays under the column titles.
  assert.ok(boxes[0].y - BANNER_ROOM >= 34 + 30 - 2);
});
