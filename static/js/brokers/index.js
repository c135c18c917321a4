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

/** The broker's hooks (no-ops when it has no module or it fails to load). */
export async function brokerHooks(broker, room) {
  const load = MODULES[broker];
  if (!load) return NONE;
  try {
    const module = await load();
    return { ...NONE, ...module.attach(room) };
  } catch (error) {
    console.warn(`mqlab: the ${broker} drawing module failed to load`, error);
    return NONE;
  }
}
