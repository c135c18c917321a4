/**
 * The room's WebSocket, in the shape of mqlab/wire.py: a snapshot on connect, then numbered
 * event batches. A batch that does not start right after the last seen sequence number means
 * something was missed, so the client asks for a fresh snapshot ({"type": "resync"}): start-up
 * and recovery are the same path. A dropped connection reconnects with growing back-off and
 * jitter, and the server sends a snapshot again. The back-off starts over only once a frame
 * has arrived: a socket the server closes at once (a room that cannot load) must not make
 * every open tab reconnect every half second for ever.
 *
 * A frame too long for one socket message arrives as "part" frames (mqlab/wire.py): their
 * texts, joined in order, are the frame.
 *
 * Commands carry a `ref`; the `result` or `error` frame with that ref settles the promise
 * `command()` returned, so an error lands next to the control that sent it.
 */

const VERSION = 1;
const MIN_BACKOFF = 500;
const MAX_BACKOFF = 10000;

export class RoomSocket {
  constructor(url, handlers) {
    this.url = url;
    this.on = handlers; // snapshot, events, clock, control, error, status
    this.seq = null;
    this.awaitingSnapshot = true;
    this.backoff = MIN_BACKOFF;
    this.pending = new Map(); // ref -> { resolve, reject }
    this.parts = null; // { id, texts } while a long frame arrives in parts
    this.nextRef = 1;
    this.ws = null;
  }

  connect() {
    this.on.status("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let heard = false;
    ws.onopen = () => {
      this.awaitingSnapshot = true;
      this.parts = null;
      this.on.status("open");
    };
    ws.onmessage = (message) => {
      if (!heard) {
        heard = true;
        this.backoff = MIN_BACKOFF;
      }
      this.receive(message.data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.failPending("The connection closed before the server answered.");
      const wait = this.backoff * (0.75 + Math.random() * 0.5);
      this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
      this.on.status("reconnecting", Math.round(wait / 1000));
      setTimeout(() => this.connect(), wait);
    };
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "part" && frame.v === VERSION) {
      this.part(frame);
      return;
    }
    if (frame.v !== VERSION) {
      this.on.error({ code: "bad-version", message: `The server speaks wire version ${frame.v}; this page speaks ${VERSION}. Reload the page.` });
      return;
    }
    switch (frame.type) {
      case "snapshot":
        this.seq = frame.seq;
        this.awaitingSnapshot = false;
        this.on.snapshot(frame);
        break;
      case "events":
        this.batch(frame);
        break;
      case "clock":
        this.on.clock(frame);
        break;
      case "control":
        this.on.control(frame);
        break;
      case "result":
        this.settle(frame.ref, (p) => p.resolve(frame));
        break;
      case "error":
        if (!this.settle(frame.ref, (p) => p.reject(frame))) this.on.error(frame);
        break;
      default:
        break;
    }
  }

  /** Collects a long frame's parts; the whole frame goes through receive() like any other. */
  part({ id, index, count, text }) {
    if (index === 0) this.parts = { id, texts: [] };
    if (!this.parts || this.parts.id !== id || this.parts.texts.length !== index) {
      this.parts = null; // a part went missing: the stream's seq check will resync
      return;
    }
    this.parts.texts.push(text);
    if (this.parts.texts.length === count) {
      const whole = this.parts.texts.join("");
      this.parts = null;
      this.receive(whole);
    }
  }

  batch(frame) {
    if (this.awaitingSnapshot || this.seq === null) return;
    if (frame.seq <= this.seq) return; // already covered by the snapshot we hold
    if (frame.from_seq !== this.seq + 1) {
      this.resync();
      return;
    }
    this.seq = frame.seq;
    this.on.events(frame);
  }

  resync() {
    if (this.awaitingSnapshot) return;
    this.awaitingSnapshot = true;
    this.send({ type: "resync" });
  }

  settle(ref, how) {
    const pending = ref == null ? null : this.pending.get(ref);
    if (!pending) return false;
    this.pending.delete(ref);
    how(pending);
    return true;
  }

  send(frame) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ v: VERSION, ...frame }));
    return true;
  }

  /** Send a command; resolves with the result frame, rejects with the error frame. */
  command(name, args) {
    const ref = `c${this.nextRef++}`;
    return new Promise((resolve, reject) => {
      if (!this.send({ type: "command", ref, command: name, args })) {
        reject({ code: "offline", message: "Not connected: wait for the connection to come back." });
        return;
      }
      this.pending.set(ref, { resolve, reject });
    });
  }

  control(action, value) {
    const frame = { type: "control", action };
    if (value !== undefined) frame.value = value;
    return this.send(frame);
  }

  failPending(message) {
    for (const pending of this.pending.values()) pending.reject({ code: "offline", message });
    this.pending.clear();
  }
}
