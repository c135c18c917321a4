/**
 * The event log: every event as a line of text with its reason — the text alternative to the
 * animation. Newest first, at most `max` lines, filterable by node and by kind. The list is an
 * aria-live region, so a screen reader hears new lines politely.
 */

const LINES_PER_SECOND = 100; // far faster than anyone reads
// SQS ids are 36-character UUIDs: the log shows their first 8 (the inspector the whole id).
const UUID = /\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

function shortId(id) {
  return id.replace(UUID, "$1…");
}

const KIND_GROUPS = {
  topology: new Set(["declared", "removed", "bound", "unbound", "consumer-added",
    "consumer-removed", "channel-closed"]),
};

export class EventLog {
  constructor(root, { labelOf, onSelectMessage, max = 300 }) {
    this.list = root.querySelector("[data-log-list]");
    this.nodeFilter = root.querySelector("[data-log-node]");
    this.kindFilter = root.querySelector("[data-log-kind]");
    this.count = root.querySelector("[data-log-count]");
    this.labelOf = labelOf;
    this.max = max;
    this.kinds = new Set();
    this.total = 0;
    this.credit = max - 1;
    this.refilled = performance.now();
    this.nodeFilter.addEventListener("change", () => this.applyFilter());
    this.kindFilter.addEventListener("change", () => this.applyFilter());
    this.list.addEventListener("click", (e) => {
      const button = e.target.closest("[data-message-id]");
      if (button) onSelectMessage(button.dataset.messageId);
    });
  }

  /** Node filter choices follow the topology; a chosen node that vanished is kept. */
  setNodes(topology) {
    const chosen = this.nodeFilter.value;
    const options = [new Option("All nodes", "")];
    for (const node of topology.nodes || []) {
      options.push(new Option(`${node.kind} ${node.label}`, node.id));
    }
    if (chosen && !options.some((o) => o.value === chosen)) {
      options.push(new Option(`${chosen} (gone)`, chosen));
    }
    this.nodeFilter.replaceChildren(...options);
    this.nodeFilter.value = chosen;
  }

  add(events, dropped = 0) {
    // Only the newest lines could stay: the rest of a burst is counted, not built. A firehose
    // sends such bursts many times a second; lines come from an allowance refilled at reading
    // speed, so the page does not lay out thousands of lines a second that nobody can read.
    const allowed = this.allowance(events.length);
    const listed = allowed > 0 ? events.slice(-allowed) : [];
    this.credit -= listed.length;
    const unlisted = dropped + events.length - listed.length;
    const fragment = document.createDocumentFragment();
    for (const event of events) this.learnKind(event.kind);
    for (const event of listed) fragment.prepend(this.line(event));
    if (unlisted) {
      fragment.prepend(this.noteLine(`A burst: ${unlisted} earlier events of it are not listed.`));
    }
    this.list.prepend(fragment);
    while (this.list.children.length > this.max) this.list.lastElementChild.remove();
    this.total += events.length + dropped;
    this.count.textContent = `${this.total} events`;
  }

  /** How many of `wanted` lines this batch may list (a full log's worth after a pause). */
  allowance(wanted) {
    const now = performance.now();
    const refill = ((now - this.refilled) * LINES_PER_SECOND) / 1000;
    this.credit = Math.min(this.max - 1, this.credit + refill);
    this.refilled = now;
    return Math.min(wanted, Math.floor(this.credit));
  }

  /** A reset: the room starts again, and so does its log. */
  clear(message) {
    this.list.replaceChildren();
    this.total = 0;
    this.count.textContent = "0 events";
    this.credit = this.max - 1;
    if (message) this.note(message);
  }

  /** A line of the page's own (a resync, a reset), not an engine event. */
  note(message) {
    this.list.prepend(this.noteLine(message));
  }

  noteLine(message) {
    const li = document.createElement("li");
    li.className = "log-note";
    li.textContent = message;
    return li;
  }

  line(event) {
    const li = document.createElement("li");
    li.className = `log-line kind-${event.kind}`;
    li.dataset.kind = event.kind;
    li.dataset.nodes = [event.source, event.target].filter(Boolean).join(" ");
    li.dataset.seq = event.seq;
    const time = document.createElement("span");
    time.className = "log-time";
    time.textContent = `${Number(event.at).toFixed(2)}s`;
    const kind = document.createElement("span");
    kind.className = "log-kind";
    kind.textContent = event.kind;
    li.append(time, " ", kind);
    if (event.message_id) {
      const msg = document.createElement("button");
      msg.type = "button";
      msg.className = "log-message";
      msg.dataset.messageId = event.message_id;
      msg.textContent = shortId(event.message_id);
      msg.title = `Inspect message ${event.message_id}`;
      li.append(" ", msg);
    }
    const route = [event.source, event.target].filter(Boolean).map((id) => this.labelOf(id));
    if (route.length) {
      const where = document.createElement("span");
      where.className = "log-route";
      where.textContent = route.join(" → ");
      li.append(" ", where);
    }
    if (event.reason) {
      const reason = document.createElement("span");
      reason.className = "log-reason";
      reason.textContent = event.reason.replace(UUID, "$1…");
      if (reason.textContent !== event.reason) reason.title = event.reason;
      li.append(" ", reason);
    }
    li.hidden = !this.matches(li);
    return li;
  }

  learnKind(kind) {
    if (this.kinds.has(kind)) return;
    this.kinds.add(kind);
    const option = new Option(kind, kind);
    this.kindFilter.append(option);
  }

  matches(li) {
    const node = this.nodeFilter.value;
    const kind = this.kindFilter.value;
    if (node && !li.dataset.nodes?.split(" ").includes(node)) return false;
    if (kind === "@movement") return !KIND_GROUPS.topology.has(li.dataset.kind);
    if (kind === "@topology") return KIND_GROUPS.topology.has(li.dataset.kind);
    if (kind && li.dataset.kind !== kind) return false;
    return true;
  }

  applyFilter() {
    for (const li of this.list.children) {
      if (li.classList.contains("log-line")) li.hidden = !this.matches(li);
    }
  }
}
