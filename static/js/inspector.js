/**
 * The inspector: click a queue, partition, consumer or token to see what it holds. A node's
 * contents come from the snapshot (kept live by batch patches); a message's own history comes
 * from the server as the "message" partial (htmx GET /rooms/<id>/messages/<message_id>/).
 * A consumer's unacked messages get buttons for the room's ack / nack / reject commands, sent
 * over the socket; their result or error shows beside the button that sent it.
 */

import { counterText, shortName } from "./styles.js";
import { markBinding, showTrace, whyBox } from "./trace.js";

/**
 * Hand-settlement commands offered on a held message, when the room has them; `set` fixes a
 * field when the command has it (so "Reject" always means reject without requeue here);
 * `needs` is the message field that makes the action apply (its delivery tag, receipt
 * handle...), `when` an optional further test on the message. Broker modules add theirs
 * with `addMessageActions`.
 */
const MESSAGE_ACTIONS = [
  { command: "ack", label: "Ack", set: { multiple: false }, needs: "delivery_tag" },
  { command: "nack", label: "Nack + requeue", set: { multiple: false, requeue: true },
    needs: "delivery_tag" },
  { command: "reject", label: "Reject, no requeue", set: { requeue: false },
    needs: "delivery_tag" },
];

const REFRESH_MS = 200;

export function addMessageActions(...actions) {
  MESSAGE_ACTIONS.push(...actions);
}

export class Inspector {
  constructor(root, { roomId, state, sendCommand, labelOf, onClose }) {
    this.root = root;
    this.roomId = roomId;
    this.state = state;
    this.sendCommand = sendCommand;
    this.labelOf = labelOf;
    this.onClose = onClose;
    this.title = root.querySelector("[data-inspector-title]");
    this.nodePane = root.querySelector("[data-inspector-node]");
    this.messagePane = root.querySelector("[data-inspector-message]");
    // Outside the node pane, which is redrawn as the node changes: an answer stays put.
    this.status = root.querySelector("[data-inspector-status]");
    this.nodeId = null;
    root.querySelector("[data-inspector-close]").addEventListener("click", () => this.close());
    root.addEventListener("click", (e) => this.clicked(e));
    document.body.addEventListener("htmx:afterSwap", (e) => {
      if (this.messagePane.contains(e.detail.target) || e.detail.target === this.messagePane) {
        hydrate(this.messagePane, this.labelOf);
        showTrace(this.messagePane);
        if (this.nodeId) this.renderNode(); // its bindings and why button follow the message
      }
    });
  }

  open() {
    this.root.hidden = false;
  }

  close() {
    this.root.hidden = true;
    this.nodeId = null;
    this.onClose();
  }

  showNode(id) {
    if (id !== this.nodeId) showStatus(this.status, true, "");
    this.nodeId = id;
    this.messagePane.replaceChildren();
    this.renderNode();
    this.open();
  }

  /** The server's account of one message: where it is and everything that happened to it. */
  showMessage(messageId) {
    this.open();
    if (!this.nodeId) {
      this.title.textContent = `Message ${messageId}`;
      this.nodePane.replaceChildren();
    }
    const url = `/rooms/${this.roomId}/messages/${encodeURIComponent(messageId)}/`;
    window.htmx.ajax("GET", url, { target: this.messagePane, swap: "innerHTML" });
  }

  /**
   * Called after each batch: redraw the open node when its contents changed, at most a few
   * times a second (batches come every ~40 ms; a list of 100 messages need not).
   */
  refresh(changed) {
    if (!this.nodeId || this.root.hidden || (changed && !(this.nodeId in changed))) return;
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      if (this.nodeId && !this.root.hidden) this.renderNode();
    }, REFRESH_MS);
  }

  renderNode() {
    const node = (this.state.topology.nodes || []).find((n) => n.id === this.nodeId);
    const content = this.state.contents[this.nodeId];
    // "broker 2", not "broker broker 2": a label that already says its kind is left alone.
    const titled = node && node.label.toLowerCase().startsWith(node.kind) ? node.label
      : node && `${node.kind} ${node.label}`;
    this.title.textContent = node ? titled : `${shortName(this.nodeId)} (gone)`;
    const parts = [];
    if (node) {
      const summary = counterText(node, content?.counters, true);
      if (summary) parts.push(el("p", { className: "inspector-counters" }, summary));
      const routes = this.routes(node);
      if (routes) parts.push(routes);
      const why = whyBox(node, this.roomId);
      if (why) parts.push(why);
      const props = { ...node.props };
      if (Object.keys(props).length) parts.push(details("Settings", renderValue(props)));
      const extra = { ...(content || {}) };
      delete extra.messages;
      delete extra.counters;
      delete extra.order;
      if (Object.keys(extra).length) parts.push(details("State", renderValue(extra)));
    }
    const messages = content?.messages || [];
    const total = messages.length;
    // A node may say how its list is ordered (a priority queue: next out first).
    const order = content?.order || "oldest first";
    parts.push(el("h3", {}, total ? `Messages (${total}${total >= 100 ? "+" : ""}, ${order})`
      : "No messages here"));
    const list = el("ol", { className: "inspector-messages" });
    for (const message of messages) list.append(this.messageItem(node, message));
    parts.push(list);
    this.nodePane.replaceChildren(...parts);
  }

  /** Where this node sends messages, from the topology's edges: an exchange's bindings. */
  routes(node) {
    const edges = (this.state.topology.edges || []).filter((e) => e.source === node.id
      && e.kind !== "replica");
    if (!edges.length) return null;
    const heading = node.kind === "exchange" ? "Bindings" : "Sends to";
    const list = el("ul", { className: "inspector-routes" });
    for (const edge of edges) {
      const item = el("li", {}, `→ ${this.labelOf(edge.target)}`);
      if (edge.label) item.append(" ", el("code", {}, edge.label));
      if (edge.kind === "implicit") item.append(" ", el("span", { className: "muted" }, "(implicit)"));
      if (node.kind === "exchange") markBinding(item, edge);
      list.append(item);
    }
    const box = el("section", { className: "inspector-section" });
    box.append(el("h3", {}, `${heading} (${edges.length})`), list);
    return box;
  }

  messageItem(node, message) {
    const li = el("li", { className: "inspector-message" });
    const head = el("div", { className: "message-head" });
    const open = el("button", { type: "button", className: "message-link",
      title: "Show this message's history" }, message.id);
    open.dataset.messageId = message.id;
    head.append(open);
    if (message.redelivered) head.append(el("span", { className: "badge badge-R" }, "redelivered"));
    if (Object.keys(message).some((key) => key.replace("-", "_") === "x_death")) {
      head.append(el("span", { className: "badge badge-DL" }, "dead-lettered before"));
    }
    li.append(head);
    if (message.body !== undefined) li.append(el("pre", { className: "message-body" }, String(message.body)));
    const rest = { ...message };
    delete rest.id;
    delete rest.body;
    // The engine lifts x-death out of the headers for the inspector; show it once.
    const headers = rest.properties?.headers;
    if (rest.x_death && headers && "x-death" in headers) {
      const { "x-death": _lifted, ...others } = headers;
      rest.properties = { ...rest.properties, headers: others };
    }
    if (Object.keys(rest).length) li.append(renderValue(rest));
    const actions = this.actionsFor(node, message);
    if (actions) li.append(actions);
    return li;
  }

  /** Buttons for the room's settle commands, with args taken from the message and node. */
  actionsFor(node, message) {
    const actions = MESSAGE_ACTIONS.filter((action) => message[action.needs] !== undefined &&
      (!action.when || action.when(message)));
    if (!node || !actions.length) return null;
    const bar = el("div", { className: "message-actions" });
    for (const action of actions) {
      const form = document.querySelector(`form[data-command="${action.command}"]`);
      if (!form) continue;
      const button = el("button", { type: "button", className: `small action-${action.command}` },
        action.label);
      button.dataset.command = action.command;
      button.dataset.args = JSON.stringify(argsFor(form, node, message, action.set));
      bar.append(button);
    }
    return bar.children.length ? bar : null;
  }

  clicked(event) {
    const link = event.target.closest("[data-message-id]");
    if (link) {
      this.showMessage(link.dataset.messageId);
      return;
    }
    const nodeLink = event.target.closest("[data-node-ref]");
    if (nodeLink && nodeLink.dataset.nodeRef) {
      this.showNode(nodeLink.dataset.nodeRef);
      return;
    }
    const button = event.target.closest("button[data-command]");
    if (button) this.settle(button);
  }

  settle(button) {
    const status = this.status;
    const args = JSON.parse(button.dataset.args);
    button.disabled = true;
    this.sendCommand(button.dataset.command, args)
      .then((result) => showStatus(status, true, result.message))
      .catch((error) => showStatus(status, false, error.message, error.field))
      .finally(() => { button.disabled = false; });
  }
}

/**
 * Each field of the command's form filled from what is known: the message's own value
 * (delivery_tag...), the node's name when the field names its kind (consumer), else the
 * form's current value.
 */
function argsFor(form, node, message, set) {
  const args = {};
  for (const input of form.querySelectorAll("[name]")) {
    const name = input.name;
    if (name in set) args[name] = set[name];
    else if (message[name] !== undefined) args[name] = message[name];
    else if (node.props?.[name] !== undefined) args[name] = node.props[name];
    else if (name === node.kind || name === `${node.kind}_tag` || name === `${node.kind}_name`) {
      args[name] = node.name;
    } else if (input.type === "checkbox") args[name] = input.checked;
    else if (input.type !== "hidden" && input.value !== "") args[name] = input.value;
  }
  return args;
}

function showStatus(status, ok, message, field) {
  status.className = message ? `status ${ok ? "ok" : "error"}` : "status";
  status.textContent = field ? `${field}: ${message}` : message;
}

function el(tag, props = {}, textContent) {
  const element = Object.assign(document.createElement(tag), props);
  if (textContent !== undefined) element.textContent = textContent;
  return element;
}

function details(summary, body) {
  const d = el("details", { className: "inspector-section" });
  d.append(el("summary", {}, summary), body);
  return d;
}

/** Any JSON value as nested definition lists (headers, x-death, attributes...). */
export function renderValue(value) {
  if (value === "") return el("span", { className: "value value-null" }, '""');
  if (value === null || typeof value !== "object") {
    return el("span", { className: `value value-${value === null ? "null" : typeof value}` },
      value === null ? "(none)" : String(value));
  }
  if (!Object.keys(value).length) return el("span", { className: "value value-null" }, "(none)");
  if (Array.isArray(value)) {
    const list = el("ol", { className: "value-list" });
    for (const item of value) {
      const li = el("li");
      li.append(renderValue(item));
      list.append(li);
    }
    return list;
  }
  const dl = el("dl", { className: "kv" });
  for (const [key, item] of Object.entries(value)) {
    // A nested table gets the full width under its key, not a sliver beside it.
    const nested = item !== null && typeof item === "object" && Object.keys(item).length > 0;
    const dd = el("dd", { className: nested ? "nested" : "" });
    dd.append(renderValue(item));
    dl.append(el("dt", { className: nested ? "nested" : "" }, key), dd);
  }
  return dl;
}

/** Turn the message partial's JSON into readable lists, and node ids into names. */
export function hydrate(root, labelOf) {
  for (const holder of root.querySelectorAll("[data-json]")) {
    const source = document.getElementById(holder.dataset.json);
    if (!source) continue;
    holder.replaceChildren(renderValue(JSON.parse(source.textContent)));
  }
  for (const ref of root.querySelectorAll("[data-node-ref]")) {
    if (ref.dataset.nodeRef) ref.textContent = labelOf(ref.dataset.nodeRef);
  }
}
