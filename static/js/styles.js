/**
 * How each kind of node looks, as data. The diagram knows shapes, not brokers: a broker's
 * nodes pick a shape here by `broker` and `kind`, and Kafka or SQS drawing plugs in by adding
 * an entry (a partition drawn as a log with offsets, a queue with in-flight messages...).
 *
 * shape    one of the shapes diagram.js draws: "pill", "hex", "queue", "log", "round", "rect"
 * width/height  size in diagram units
 * counters the counter keys worth showing on the node, in order (others are shown after them)
 * slots    true when the node's messages are drawn as cells (a queue's line, a log's records)
 * labels   shorter names for long counter keys ("ApproximateNumberOfMessages" -> "visible")
 * props    node settings worth showing beside the counters (a consumer's prefetch)
 * empty    what the counter line says when the node holds nothing
 * total    the counters that add up to the messages the cells stand for (contents list at most
 *          100 messages; the counters give the full count, shown as "+n")
 * column   draw the node in this column rather than the broker's (Kafka's brokers sit under
 *          the topics, keeping the partitions' column short)
 * above/below  room kept free above / below the node for what a broker module writes there
 *          (brokers/kafka.js: a leader/ISR banner above a partition, "broker 3 down" above a
 *          broker, "rebalanced" below a group), so it never lands on a neighbour
 */

/** A banner (brokers/common.js) is 28 high: with a few units free on either side. */
export const BANNER_ROOM = 36;

const DEFAULT = { shape: "rect", width: 170, height: 60, counters: [], slots: false, total: [],
  props: [], empty: "", labels: {}, above: 0, below: 0 };

const KINDS = {
  "*": {
    producer: { shape: "pill" },
    // A real client connected over SQS, AMQP or Kafka (mqlab/rooms/realclients.py).
    client: { shape: "pill", width: 200 },
    exchange: { shape: "hex" },
    topic: { shape: "hex" },
    queue: { shape: "queue", width: 200, height: 74, counters: ["ready", "unacked"], slots: true,
      total: ["ready"], empty: "empty" },
    partition: { shape: "log", width: 200, height: 74, counters: ["log_end", "lag"], slots: true },
    consumer: { shape: "round", width: 196, height: 68, counters: ["unacked"], slots: true,
      total: ["unacked"], props: ["prefetch"], empty: "idle" },
  },
  kafka: {
    // Tall enough for brokers/kafka.js: replicas, offsets and one row per group's commit.
    partition: { shape: "log", width: 264, height: 124,
      counters: ["log_start", "log_end", "high_watermark"], slots: true, total: ["records"],
      labels: { log_start: "log start", log_end: "log end", high_watermark: "HW" },
      empty: "empty log", above: BANNER_ROOM },
    broker: { shape: "rect", width: 170, height: 50, column: 1, above: BANNER_ROOM,
      counters: ["leader_for", "replica_for"],
      labels: { leader_for: "leads", replica_for: "replicas" } },
    topic: { shape: "hex", width: 200 },
    group: { shape: "pill", width: 190, counters: ["members"], props: ["strategy"],
      below: BANNER_ROOM },
    consumer: { shape: "round", width: 210, height: 74, counters: ["uncommitted"], slots: true,
      total: ["uncommitted"], empty: "idle" },
  },
  sqs: {
    // Taller and wider: brokers/sqs.js draws bigger cells with countdowns and receive counts.
    queue: { shape: "queue", width: 270, height: 112,
      counters: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"],
      labels: { ApproximateNumberOfMessages: "visible",
        ApproximateNumberOfMessagesNotVisible: "in flight",
        ApproximateNumberOfMessagesDelayed: "delayed" },
      slots: true, empty: "empty",
      total: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"] },
    consumer: { shape: "round", width: 230, height: 112,
      counters: ["in_flight", "receives", "empty_receives"],
      labels: { in_flight: "in flight", empty_receives: "empty" }, slots: true,
      total: ["in_flight"], empty: "idle" },
    // An SNS topic holds nothing: it counts what it copied to its subscriptions.
    topic: { shape: "hex", width: 200, counters: ["Published", "Subscriptions"],
      labels: { Published: "published", Subscriptions: "subscriptions" } },
    // An outbox service: its database's rows, the outbox rows not yet relayed.
    outbox: { shape: "rect", width: 200, height: 70,
      counters: ["rows", "outbox_unpublished", "published"],
      labels: { outbox_unpublished: "outbox", published: "sent" }, props: ["mode"] },
  },
};

/**
 * How each kind of edge is drawn. quiet: faint and unlabelled until one of its ends is
 * selected (Kafka's replica edges would drown the picture otherwise); dashed: a route a
 * message only takes when something went wrong (dead-letter, redrive).
 */
const EDGE_KINDS = {
  "*": { "dead-letter": { dashed: true }, redrive: { dashed: true } },
  kafka: { replica: { quiet: true } },
};

export function edgeStyleFor(broker, kind) {
  return { quiet: false, dashed: false, ...(EDGE_KINDS["*"][kind] || {}),
    ...((EDGE_KINDS[broker] || {})[kind] || {}) };
}

/** Column headings per broker (columns are producers, routers, stores, consumers). */
const COLUMN_TITLES = {
  "*": ["Producers", "Routers", "Stores", "Consumers"],
  rabbitmq: ["Producers", "Exchanges", "Queues", "Consumers"],
  kafka: ["Producers", "Topics · brokers", "Partitions", "Consumers"],
  sqs: ["Senders", "SNS topics", "Queues", "Receivers"],
};

export function styleFor(node) {
  const own = (KINDS[node.broker] || {})[node.kind];
  return { ...DEFAULT, ...(KINDS["*"][node.kind] || {}), ...(own || {}) };
}

export function columnTitle(broker, column) {
  const titles = COLUMN_TITLES[broker] || COLUMN_TITLES["*"];
  return titles[column] ?? "";
}

/**
 * "ready 3 · unacked 1": the style's preferred counters and settings; with `all`, every
 * counter the broker sends (the inspector shows them all, the node only the telling ones).
 */
export function counterText(node, counters, all = false) {
  const style = styleFor(node);
  const have = counters || {};
  const keys = all ? [...new Set([...style.counters.filter((k) => k in have), ...Object.keys(have)])]
    : style.counters.filter((key) => key in have);
  const name = (key) => style.labels[key] ?? key.replaceAll("_", " ");
  const parts = keys.map((key) => `${name(key)} ${formatCount(have[key])}`);
  if (!all && !keys.length && counters) {
    parts.push(...Object.keys(have).slice(0, 3).map((k) => `${k} ${formatCount(have[k])}`));
  }
  if (!counters && style.empty) parts.push(style.empty);
  for (const key of style.props) {
    if (node.props?.[key] !== undefined && !keys.includes(key)) parts.push(`${key} ${node.props[key]}`);
  }
  return [...new Set(parts)].join(" · "); // a setting also sent as a counter shows once
}

function formatCount(value) {
  if (typeof value !== "number") return String(value);
  if (Math.abs(value) >= 10000) return `${(value / 1000).toFixed(value >= 100000 ? 0 : 1)}k`;
  return String(value);
}

// Ten hues that stay distinct on a dark background and on a washed-out projector.
const PALETTE = ["#38bdf8", "#f472b6", "#a3e635", "#fbbf24", "#c084fc",
  "#34d399", "#fb7185", "#60a5fa", "#facc15", "#2dd4bf"];

/** The key that colours a message: its routing key, partition or group, else its id. */
export function colourKey(item) {
  const d = item.details || item;
  for (const key of ["routing_key", "key", "partition", "group", "message_group_id",
    "MessageGroupId", "group_id"]) {
    if (d[key] !== undefined && d[key] !== null && d[key] !== "") return `${key}:${d[key]}`;
  }
  return "";
}

export function colourFor(item) {
  const key = colourKey(item);
  if (!key) return "#cbd5e1";
  let hash = 0;
  for (const ch of key) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

/** Badges a moving token wears, so a learner tells a redelivery from a first delivery. */
export function badgesFor(event) {
  const d = event.details || {};
  const badges = [];
  if (d.redelivered || event.kind === "requeued") badges.push({ text: "R", title: "redelivered" });
  if (event.kind === "dead-lettered") badges.push({ text: "DL", title: "dead-lettered" });
  if (event.kind === "expired") badges.push({ text: "TTL", title: "expired" });
  if (d.receive_count > 1 && event.kind === "received") {
    badges.push({ text: `×${d.receive_count}`, title: `received ${d.receive_count} times` });
  }
  return badges;
}

/** What a message-event without a journey shows on its node. */
export const NODE_MARKS = {
  acked: "✓ acked",
  nacked: "✗ nacked",
  rejected: "✗ rejected",
  expired: "TTL expired",
  dropped: "✕ dropped",
  returned: "↩ returned",
  purged: "purged",
  deleted: "deleted",
  lost: "lost",
  confirmed: "✓ confirmed",
  "dead-lettered": "☠ dead-lettered",
  visible: "↺ visible",
  delayed: "delayed",
  "visibility-changed": "visibility changed",
  "duplicate-ignored": "⊘ duplicate ignored",
  redriven: "↩ redriven",
  "fanned-out": "⇉ fanned out",
};

/** Short readable name for a node id "rabbitmq:queue:orders" when the node is gone. */
export function shortName(id) {
  if (!id) return "";
  const parts = id.split(":");
  return parts.length >= 3 ? `${parts[1]} ${parts.slice(2).join(":")}` : id;
}
