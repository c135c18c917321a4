/**
 * Broker drawing modules: a broker whose picture needs more than styles.js's data (SQS's
 * visibility countdowns, locked FIFO groups) adds a module here. Each exports
 * `attach(room)` and returns hooks the room page calls: `rendered()` after the diagram is
 * drawn or patched, `events(frame)` with each event batch, `clock(frame)` on clock changes.
 * `room` gives { diagram, tokens, state, root, clock() } (clock: the toolbar's last
 * {now, speed, paused, at}). What the modules share (their stylesheet, the legend, banners)
 * lives in common.js.
 */

const MODULES = {
  kafka: () => import("./kafka.js"),
  sqs: () => import("./sqs.js"),
};

const NONE = { rendered() {}, events() {}, clock() {} };

/**
 * The room's broker's hooks (no-ops when it has no module or it fails to load), joined with
 * those of the other brokers in the room (`data-other-brokers`: a walkthrough comparing Kafka
 * and RabbitMQ draws its Kafka lane with Kafka's module too). The room's own broker attaches
 * last, so its legend is the one shown.
 */
export async function brokerHooks(broker, room) {
  const others = (room.root.dataset.otherBrokers || "").split(" ").filter((b) => b && b !== broker);
  // A broker without a module keeps the page's own legend (its badges are markup: kept whole).
  const hint = room.root.querySelector(".diagram-hint");
  const legend = [...(hint?.childNodes || [])].map((child) => child.cloneNode(true));
  const all = [];
  for (const name of [...others, broker]) all.push(await attached(name, room));
  if (!MODULES[broker] && others.length) hint?.replaceChildren(...legend);
  const each = (hook) => (...args) => all.forEach((hooks) => hooks[hook](...args));
  return { rendered: each("rendered"), events: each("events"), clock: each("clock") };
}

async function attached(broker, room) {
  const load = MODULES[broker];
  if (!load) return NONE;
  try {
    const module = await load();
    // Each module paints its own broker's nodes: chain them rather than replace the last.
    const before = room.diagram.cellPainter;
    const hooks = { ...NONE, ...module.attach(room) };
    const mine = room.diagram.cellPainter;
    if (before && mine !== before) {
      room.diagram.cellPainter = (entry, content) => mine(entry, content) || before(entry, content);
    }
    return hooks;
  } catch (error) {
    console.warn(`mqlab: the ${broker} drawing module failed to load`, error);
    return NONE;
  }
}
