/**
 * Placeholders for nodes that vanish while messages still leave them. A crashed RabbitMQ
 * consumer is gone from the broker at once (its connection dropped), in the same batch that
 * requeues its unacked messages *from* it: drawn as it is, the consumer disappears and the
 * requeue has nowhere to start. The diagram keeps such a node a few seconds, faded and
 * marked, so the class sees its messages go back to the queue. (A crashed Kafka consumer
 * stays in its group until the session times out: the engine keeps that one itself.)
 */

const KEEP_MS = 4000;
/** Events that move a message away from a node that may have just vanished. */
const LEAVING = new Set(["requeued", "returned", "dead-lettered"]);

export class Ghosts {
  constructor() {
    this.kept = new Map(); // node id -> { node, edges, until }
    this.timer = 0;
  }

  /**
   * The topology to draw after `next` replaced `previous`: `next`, plus each node of
   * `previous` that vanished while this batch moved messages out of it. `redraw` is called
   * once the placeholders have had their time.
   */
  keep(previous, next, events, redraw, hop = 900) {
    const present = new Set((next.nodes || []).map((n) => n.id));
    const leaving = new Set(events.filter((e) => LEAVING.has(e.kind)).map((e) => e.source));
    const until = performance.now() + Math.max(KEEP_MS, 3 * hop);
    for (const node of previous.nodes || []) {
      if (present.has(node.id) || !leaving.has(node.id)) continue;
      const tags = [...(node.props?.tags || []), "gone: unacked messages go back"];
      this.kept.set(node.id, {
        node: { ...node, props: { ...node.props, state: "crashed", tags } },
        edges: (previous.edges || []).filter((e) => e.source === node.id || e.target === node.id),
        until,
      });
    }
    this.arm(redraw);
    return this.merge(next);
  }

  /** Once the first placeholder is due to go, draw again (and wait for the next one). */
  arm(redraw) {
    if (this.timer || !this.kept.size) return;
    const first = Math.min(...[...this.kept.values()].map((g) => g.until));
    this.timer = setTimeout(() => {
      this.timer = 0;
      redraw();
      this.arm(redraw);
    }, Math.max(0, first - performance.now()) + 20);
  }

  /** `topology` with the placeholders still due (the expired ones are dropped). */
  merge(topology) {
    const now = performance.now();
    for (const [id, ghost] of this.kept) if (ghost.until <= now) this.kept.delete(id);
    if (!this.kept.size) return topology;
    const nodes = [...(topology.nodes || [])];
    const present = new Set(nodes.map((n) => n.id));
    const ghosts = [...this.kept.values()].filter((g) => !present.has(g.node.id));
    nodes.push(...ghosts.map((g) => g.node));
    const ids = new Set(nodes.map((n) => n.id));
    const edges = [...(topology.edges || [])];
    for (const ghost of ghosts) {
      edges.push(...ghost.edges.filter((e) => ids.has(e.source) && ids.has(e.target)));
    }
    return { ...topology, nodes, edges };
  }

  /** A fresh snapshot (a reset, a resync): nothing is kept. */
  clear() {
    this.kept.clear();
  }
}
