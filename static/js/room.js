/**
 * The room page's entry point: wires the socket to the diagram, the tokens, the event log,
 * the inspector, the toolbar, the forms and the keyboard. It holds the one copy of the room's
 * state (topology and node contents from the last snapshot, kept current by each batch's
 * patch) and knows nothing of any broker.
 */

import "./below-toolbar.js"; // the drawers start under the toolbar, wherever it is
import { brokerHooks } from "./brokers/index.js";
import { Charts } from "./charts.js";
import { bindControls } from "./controls.js";
import { Diagram } from "./diagram.js";
import { EventLog } from "./eventlog.js";
import { Ghosts } from "./ghosts.js";
import { Inspector } from "./inspector.js";
import { bindShortcuts } from "./shortcuts.js";
import { RoomSocket } from "./socket.js";
import { Timeline } from "./timeline.js";
import { toast } from "./toast.js";
import { Tokens } from "./tokens.js";
import { Toolbar } from "./toolbar.js";

const root = document.getElementById("room");
const roomId = root.dataset.roomId;
const state = { topology: { nodes: [], edges: [] }, contents: {}, snapshots: 0 };
const help = document.getElementById("help");
// Until the broker's drawing module (if any) loads, its hooks do nothing.
let broker = { rendered() {}, events() {}, clock() {} };

const diagram = new Diagram(document.getElementById("diagram"), {
  onSelectNode: (id) => {
    diagram.select(id);
    inspector.showNode(id);
  },
  onSelectMessage: (id) => inspector.showMessage(id),
});
const tokens = new Tokens(diagram, { cap: 200, onSelectMessage: (id) => inspector.showMessage(id) });
const labelOf = (id) => diagram.label(id);
const log = new EventLog(document.getElementById("event-log"), {
  labelOf, onSelectMessage: (id) => inspector.showMessage(id),
});
const controls = bindControls(root);
const charts = new Charts(document.getElementById("charts"), {
  send: (frame) => socket.send(frame), diagram,
});
const ghosts = new Ghosts(); // crashed consumers kept a moment, so their requeue is seen

const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${root.dataset.wsPath}`;
const socket = new RoomSocket(url, {
  snapshot(frame) {
    state.topology = frame.topology;
    state.contents = frame.contents;
    tokens.clear();
    ghosts.clear();
    diagram.render(state.topology, state.contents);
    broker.rendered();
    charts.rendered();
    charts.snapshot();
    log.setNodes(state.topology);
    if (state.snapshots > 0 && frame.seq < Number(root.dataset.seq || 0)) {
      // Reset, a seek back (or a walkthrough rebuilt): the log starts again from there.
      const at = `t = ${Number(frame.now).toFixed(1)} s`;
      log.clear(frame.rewound === "seek" ? `The room went back to ${at}.` : `The room started again at ${at}.`);
      topologyChanged();
    } else if (state.snapshots > 0) {
      log.note(`Fresh snapshot at event ${frame.seq}: the diagram shows the room as it is now.`);
      topologyChanged();
    }
    state.snapshots += 1;
    if (frame.notice) {
      log.note(`This room could not be rebuilt exactly: ${frame.notice}.`);
      toast(`This room could not be rebuilt exactly: ${frame.notice}.`);
    }
    root.dataset.seq = frame.seq;
    toolbar.setClock(frame);
    broker.clock(frame);
    tokens.speed = frame.speed;
    tokens.cap = tokenCap(frame.speed);
    applyControl(frame.control);
    inspector.refresh(null);
    timeline?.snapshot(frame);
  },
  events(frame) {
    const patch = frame.patch || {};
    const before = {}; // what each patched node showed, until its tokens land
    for (const [id, content] of Object.entries(patch)) {
      before[id] = state.contents[id];
      if (content === null) delete state.contents[id];
      else state.contents[id] = content;
    }
    if (frame.topology) {
      const previous = state.topology;
      state.topology = frame.topology;
      tokens.land();
      // Tokens start after this render (their first hop waits at least a microtask).
      const landings = tokens.play(frame.events);
      const shown = { ...state.contents };
      for (const id of landings.keys()) if (id in patch) shown[id] = before[id];
      diagram.render(ghosts.keep(previous, state.topology, frame.events, redrawTopology,
        tokens.hop), shown);
      charts.rendered();
      log.setNodes(state.topology);
      topologyChanged();
      updateWhenLanded(patch, landings, true);
    } else {
      updateWhenLanded(patch, tokens.play(frame.events), false);
    }
    broker.rendered();
    log.add(frame.events, frame.dropped_events || 0);
    inspector.refresh(frame.patch || {});
    root.dataset.seq = frame.seq;
    toolbar.setClock({ ...toolbar.clock, effective_speed: toolbar.clock.effective, now: frame.now });
    broker.events(frame);
  },
  clock(frame) {
    toolbar.setClock(frame);
    broker.clock(frame);
    tokens.speed = frame.speed;
    tokens.cap = tokenCap(frame.speed);
  },
  control: applyControl,
  error(frame) {
    toast(frame.field ? `${frame.field}: ${frame.message}` : frame.message);
  },
  status(connection, seconds) {
    toolbar.setConnection(connection, seconds);
    root.dataset.link = connection; // the stylesheet greys a picture that may be stale
  },
});

// A walkthrough's state (see mqlab/wire.py) is for static/js/walkthrough.js, as a DOM event;
// the prefix test leaves every other frame to the socket without parsing it twice.
const WALKTHROUGH_FRAME = '{"v":1,"type":"walkthrough"';
const TIMELINE_FRAME = '{"v":1,"type":"timeline"'; // for static/js/timeline.js
const receive = socket.receive.bind(socket);
socket.receive = (data) => {
  if (charts.receive(data)) return; // metrics frames (charts.js also peeks at timeline ones)
  if (typeof data === "string" && data.startsWith(TIMELINE_FRAME)) {
    timeline?.frame(JSON.parse(data));
  } else if (typeof data === "string" && data.startsWith(WALKTHROUGH_FRAME)) {
    // Kept on the room element too: walkthrough.js may load after this frame arrived, and
    // then draws the last one kept (no frame is lost to script load order).
    root.walkthroughFrame = JSON.parse(data);
    root.dispatchEvent(new CustomEvent("mqlab:walkthrough", { detail: root.walkthroughFrame }));
  } else {
    receive(data);
  }
};
root.addEventListener("mqlab:walkthrough-action", (event) => {
  if (!socket.send({ type: "walkthrough", ...event.detail })) toast("Not connected: wait for the connection to come back.");
});

const toolbar = new Toolbar(document.querySelector("[data-toolbar]"), {
  control: (action, value) => {
    if (!socket.control(action, value)) toast("Not connected: wait for the connection to come back.");
  },
  help: openHelp,
});

const timelineRoot = document.querySelector("[data-timeline]");
const timeline = timelineRoot && new Timeline(timelineRoot, {
  control: (action, value) => {
    if (!socket.control(action, value)) toast("Not connected: wait for the connection to come back.");
  },
  clock: () => toolbar.clock,
});

const inspector = new Inspector(document.getElementById("inspector"), {
  roomId, state, labelOf,
  sendCommand: (name, args) => socket.command(name, args),
  onClose: () => diagram.select(null),
});

/** The placeholders' time is up: draw the room as it is. */
function redrawTopology() {
  tokens.land();
  diagram.render(ghosts.merge(state.topology), state.contents);
  broker.rendered();
}

function applyControl(control) {
  toolbar.setControl(control);
  timeline?.setControl(control.you);
  controls.setEnabled(control.you);
  root.dataset.you = String(control.you);
}

/**
 * A node takes its new contents when the tokens heading to it land, so a message shows in
 * its new place when it gets there, not while it is still on its way. The node then draws
 * whatever it holds by that time (a later batch may have changed it again).
 */
function updateWhenLanded(patch, landings, drawn) {
  for (const id of Object.keys(patch)) {
    const landing = landings.get(id);
    if (landing) landing.then(() => redraw(id));
    else if (!drawn) redraw(id); // a fresh render already drew it
  }
}

/**
 * Tokens in flight at once: at 8x a busy room moves more than anyone can follow, and every
 * token started costs the page a restyle (bench_fps, Kafka consumer group: about 40 fps with
 * 12, under 20 with 30); the rest are counted on their nodes (tokens.js).
 */
function tokenCap(speed) {
  return speed >= 8 ? 12 : speed >= 4 ? 80 : 200;
}

/**
 * Nodes to draw again, drawn in one animation frame at most every REDRAW_MS: at 8x a busy
 * room changes a node many times a frame (and each landing token would redraw it), and a
 * counter rewritten sixty times a second is no more readable than at twenty, while each
 * rewrite lays out and repaints the picture. A node draws what it holds when the frame comes.
 */
const REDRAW_MS = 50;
const dirty = new Set();
let drawing = 0;
let drawn = 0;
function redraw(id) {
  dirty.add(id);
  if (drawing) return;
  const wait = Math.max(0, REDRAW_MS - (performance.now() - drawn));
  drawing = setTimeout(() => requestAnimationFrame(drawDirty), wait);
}

function drawDirty() {
  drawing = 0;
  drawn = performance.now();
  const patch = {};
  for (const id of dirty) if (diagram.has(id)) patch[id] = state.contents[id] ?? null;
  dirty.clear();
  diagram.update(patch);
  broker.rendered();
}

/**
 * The forms' choices (exchange, queue, consumer names) follow the topology. Changes within a
 * couple of seconds share one refetch, at a random moment, so thirty viewers of a busy room
 * do not all ask the server for the forms at the same instant after every change.
 */
let choicesDue = null;
function topologyChanged() {
  if (choicesDue !== null) return;
  choicesDue = setTimeout(() => {
    choicesDue = null;
    document.body.dispatchEvent(new CustomEvent("mqlab:topology"));
  }, 300 + Math.random() * 1700);
}

/** The phone's layout: the controls drawer and the diagram's zoom (the stylesheet reads both). */
const drawerToggle = root.querySelector("[data-drawer-toggle]");
drawerToggle?.addEventListener("click", () => {
  const open = root.dataset.drawer !== "open";
  root.dataset.drawer = open ? "open" : "closed";
  drawerToggle.setAttribute("aria-expanded", String(open));
});
let zoom = 0.9; // the stylesheet's starting --zoom on a phone
for (const button of root.querySelectorAll("[data-zoom]")) {
  button.addEventListener("click", () => {
    zoom = Math.min(1.6, Math.max(0.3, zoom * (button.dataset.zoom === "in" ? 1.25 : 0.8)));
    document.getElementById("diagram").style.setProperty("--zoom", String(zoom));
  });
}

function openHelp() {
  if (help.open) help.close();
  else help.showModal();
}

bindShortcuts({
  toggle: () => toolbar.toggle(),
  step: () => toolbar.step(),
  faster: () => toolbar.faster(),
  slower: () => toolbar.slower(),
  help: openHelp,
  close: () => {
    if (help.open) help.close(); // the dialog says Esc closes it
    else inspector.close();
  },
});

brokerHooks(root.dataset.broker, { diagram, tokens, state, root, clock: () => toolbar.clock })
  .then((hooks) => {
    broker = hooks;
    broker.rendered();
  })
  .finally(() => socket.connect());
