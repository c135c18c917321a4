/**
 * The event log: every event as a line of text with its reason — the text alternative to the
 * animation. Newest first, at most `max` lines from one burst, filterable by node and by
 * kind. The list is an aria-live region, so a screen reader hears new lines politely. The
 * page holds only the newest rows (more as the reader scrolls down); the last KEPT lines are
 * kept as data, which the filters search.
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

/** Rows in the list at once; scrolling to its end shows this many more (up to `max`). */
const WINDOW = 80;
// New rows at most this often: a reader sees a line appear at once either way, and the list
// is laid out four times a second instead of every frame.
const FLUSH_MS = 250;
// Lines kept as data (the filters search them): far more than the page shows, since a line
// costs the page nothing until it is drawn.
const KEPT = 2000;

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
    // The log's lines as data, newest first: { event } or { note }. Only the newest rows that
    // match the filters are in the page (`rows`), written a few times a second: at 8x a
    // firehose brings many batches a frame, and 300 live rows cost a layout each time.
    this.entries = [];
    this.fresh = 0; // entries not yet in the page
    this.rows = WINDOW;
    this.due = 0;
    this.flushed = 0;
    this.nodeFilter.addEventListener("change", () => this.applyFilter());
    this.kindFilter.addEventListener("change", () => this.applyFilter());
    this.list.addEventListener("click", (e) => {
      const button = e.target.closest("[data-message-id]");
      if (button) onSelectMessage(button.dataset.messageId);
    });
    this.list.addEventListener("scroll", () => this.scrolled(), { passive: true });
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
    for (const event of events) this.learnKind(event.kind);
    const added = listed.map((event) => ({ event })).reverse();
    if (unlisted) added.unshift({ note: `A burst: ${unlisted} earlier events of it are not listed.` });
    this.push(added);
    this.total += events.length + dropped;
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
    this.entries = [];
    this.fresh = 0;
    this.total = 0;
    this.credit = this.max - 1;
    this.rows = WINDOW;
    this.list.replaceChildren();
    if (message) this.note(message);
    else this.schedule();
  }

  /** A line of the page's own (a resync, a reset), not an engine event. */
  note(message) {
    this.push([{ note: message }]);
  }

  /** Entries, newest first, in front of the log's; the page shows them next frame. */
  push(added) {
    if (!added.length) {
      this.schedule();
      return;
    }
    this.entries = added.concat(this.entries);
    if (this.entries.length > KEPT) this.entries.length = KEPT;
    this.fresh = Math.min(this.entries.length, this.fresh + added.length);
    this.schedule();
  }

  /** The rows are written a few times a second at most, in an animation frame. */
  schedule() {
    if (this.due) return;
    const wait = Math.max(0, FLUSH_MS - (performance.now() - this.flushed));
    this.due = setTimeout(() => requestAnimationFrame(() => this.flush()), wait);
  }

  /** The count, and the new rows on top (the oldest rows beyond the window go). */
  flush() {
    this.due = 0;
    this.flushed = performance.now();
    const counted = `${this.total} events`;
    if (this.count.textContent !== counted) this.count.textContent = counted;
    const fresh = this.entries.slice(0, this.fresh).filter((entry) => this.matches(entry));
    this.fresh = 0;
    if (!fresh.length) return;
    const fragment = document.createDocumentFragment();
    for (const entry of fresh.slice(0, this.rows)) fragment.append(this.row(entry));
    this.list.prepend(fragment);
    while (this.list.children.length > this.rows) this.list.lastElementChild.remove();
  }

  /** Scrolled near the end of the rows shown: show older ones, as far as the log holds. */
  scrolled() {
    const list = this.list;
    if (list.scrollTop + list.clientHeight < list.scrollHeight - 40) return;
    if (list.children.length < this.rows) return; // every matching line is shown already
    this.rows += WINDOW;
    this.render();
  }

  /** Every row again, from the entries (a filter changed, or more rows are wanted). */
  render() {
    this.fresh = 0;
    const rows = [];
    for (const entry of this.entries) {
      if (rows.length >= this.rows) break;
      if (this.matches(entry)) rows.push(this.row(entry));
    }
    this.list.replaceChildren(...rows);
  }

  row(entry) {
    return entry.note ? this.noteLine(entry.note) : this.line(entry.event);
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
    return li;
  }

  learnKind(kind) {
    if (this.kinds.has(kind)) return;
    this.kinds.add(kind);
    const option = new Option(kind, kind);
    this.kindFilter.append(option);
  }

  /** A note always shows; an event when it passes both filters. */
  matches({ event }) {
    if (!event) return true;
    const node = this.nodeFilter.value;
    const kind = this.kindFilter.value;
    if (node && event.source !== node && event.target !== node) return false;
    if (kind === "@movement") return !KIND_GROUPS.topology.has(event.kind);
    if (kind === "@topology") return KIND_GROUPS.topology.has(event.kind);
    if (kind && event.kind !== kind) return false;
    return true;
  }

  applyFilter() {
    this.rows = WINDOW;
    this.list.scrollTop = 0;
    this.render();
  }
}
