/**
 * Tokens: every movement event (one with a source and a target node) sends a dot along the
 * path between them, coloured by routing key / partition / group, with badges for
 * redelivered, dead-lettered and expired messages. One message's movements play one after the
 * other (publish → route → enqueue → deliver) while different messages move at once.
 *
 * Staying responsive: at most `cap` tokens exist at a time; movements beyond that are counted
 * on their target node instead of drawn, and a message whose journey falls far behind skips to
 * the end. With `prefers-reduced-motion` nothing travels: the target node flashes briefly.
 */

import { div } from "./overlay.js";
import { badgesFor, colourFor, NODE_MARKS } from "./styles.js";
import { svg } from "./svg.js";

const BASE_MS = 900; // a hop at 1× speed
const MAX_BEHIND = 4; // a message more hops behind than this stops animating and catches up
const SAMPLES = 16;
const REDUCED_HOP_MS = 350;
const STAGGER_MS = 40; // messages published together leave one after another, as a stream
const STAGGER_SPAN_MS = 2000;
const MAX_LANDING_MS = 4000; // a node's contents never wait longer for its tokens

export class Tokens {
  constructor(diagram, { cap = 200, onSelectMessage }) {
    this.diagram = diagram;
    this.layer = diagram.tokenLayer;
    this.cap = cap;
    this.onSelectMessage = onSelectMessage;
    this.speed = 1;
    this.inFlight = 0;
    this.started = 0;
    this.skipped = 0;
    this.journeys = new Map(); // message id -> { tail: Promise, pending: number }
    this.reduced = matchMedia("(prefers-reduced-motion: reduce)");
    // Path geometry needs an SVG element in the document; this one is never shown.
    this.probe = svg("path", { class: "probe", visibility: "hidden" }, diagram.root);
    this.pool = []; // landed tokens, hidden, to be used again (no element made per hop)
    this.frames = new Map(); // path -> keyframes
    this.layer.addEventListener("click", (e) => {
      const token = e.target.closest(".token");
      if (token) this.onSelectMessage(token.dataset.messageId);
    });
  }

  /** No room for another journey: every token is flying or waiting for its turn. */
  get busy() {
    return this.inFlight >= this.cap || this.journeys.size >= this.cap;
  }

  get hop() {
    return Math.min(4000, Math.max(120, BASE_MS / this.speed));
  }

  /**
   * Animate a batch. Returns node id -> a promise settled once every token of the batch
   * heading there has landed (at most two hops from now), so the node can take its new
   * contents when the message gets there rather than before it moved.
   */
  play(events) {
    let fresh = 0;
    const counted = new Set(); // messages of this batch that found no room: all hops counted
    const landings = new Map();
    for (const event of events) {
      const id = event.message_id;
      if (!id) continue;
      const starting = !this.journeys.has(id);
      // Every token is taken: a new journey could only be counted later, after a timer and
      // a promise of its own; count it now (a firehose brings thousands per second).
      if (counted.has(id) || (starting && this.busy)) {
        counted.add(id);
        this.skip(event);
        continue;
      }
      this.follow(event, starting ? (fresh++ * STAGGER_MS) % STAGGER_SPAN_MS : 0);
      if (event.target) landings.set(event.target, this.journeys.get(id).tail);
    }
    const latest = wait(Math.min(2 * this.hop, MAX_LANDING_MS));
    return new Map([...landings].map(([node, landed]) => [node, Promise.race([landed, latest])]));
  }

  /** Chain this movement after the message's previous one (a new journey waits `delay` ms). */
  follow(event, delay) {
    const id = event.message_id;
    const journey = this.journeys.get(id) || { tail: wait(delay), pending: 0 };
    journey.pending += 1;
    const run = () => {
      journey.pending -= 1;
      return journey.pending > MAX_BEHIND ? this.skip(event) : this.show(event);
    };
    journey.tail = journey.tail.then(run, run);
    this.journeys.set(id, journey);
    journey.tail.then(() => {
      if (journey.pending === 0 && this.journeys.get(id) === journey) this.journeys.delete(id);
    });
  }

  show(event) {
    const { source, target, kind } = event;
    const moves = source && target && source !== target &&
      this.diagram.has(source) && this.diagram.has(target);
    if (!moves) {
      const at = this.diagram.has(target) ? target : source;
      if (NODE_MARKS[kind]) this.diagram.mark(at, NODE_MARKS[kind], kind, this.hop * 1.5);
      return Promise.resolve();
    }
    if (this.reduced.matches) {
      // No travel, but the highlights still go one hop at a time, so the path reads in order.
      this.diagram.flash(target);
      if (NODE_MARKS[kind]) this.diagram.mark(target, NODE_MARKS[kind], kind, 600);
      return wait(REDUCED_HOP_MS);
    }
    // A hidden tab paints nothing: count the movement rather than queue an animation.
    if (this.inFlight >= this.cap || document.hidden) return this.skip(event);
    return this.travel(event);
  }

  skip(event) {
    this.skipped += 1;
    this.layer.dataset.skipped = String(this.skipped);
    if (event.target && this.diagram.has(event.target)) this.diagram.overflow(event.target, 1);
    return Promise.resolve();
  }

  travel(event) {
    const d = this.diagram.route(event.source, event.target);
    if (!d) return Promise.resolve();
    const token = this.draw(event);
    this.inFlight += 1;
    this.started += 1;
    this.layer.dataset.started = String(this.started);
    const animation = token.animate(this.keyframes(d), { duration: this.hop, easing: "ease-in-out",
      fill: "forwards" });
    return animation.finished.catch(() => {}).then(() => {
      this.inFlight -= 1;
      if (NODE_MARKS[event.kind]) this.diagram.mark(event.target, NODE_MARKS[event.kind],
        event.kind, this.hop);
      animation.cancel();
      token.hidden = true;
      if (this.pool.length + this.inFlight < this.cap) this.pool.push(token);
      else token.remove();
    });
  }

  /** A token (an HTML element on the overlay, see overlay.js), from the pool when one waits. */
  draw(event) {
    const token = this.pool.pop() || div("token", this.layer);
    token.hidden = false;
    token.className = `token token-${event.kind}`;
    token.dataset.messageId = event.message_id;
    token.dataset.kind = event.kind;
    const dot = token.firstElementChild || div("token-dot", token);
    dot.style.background = colourFor(event);
    while (dot.nextSibling) dot.nextSibling.remove();
    const badges = badgesFor(event);
    badges.forEach((badge, i) => {
      const el = div("token-badge", token);
      el.style.left = `${20 + i * 20}px`;
      el.textContent = badge.text;
    });
    token.title = `${event.message_id} ${event.kind}${badges.length ? ` (${badges.map((b) => b.title).join(", ")})` : ""}`;
    return token;
  }

  /** Before the diagram is redrawn: land every token now, so none flies over stale geometry. */
  land() {
    this.layer.getAnimations?.({ subtree: true }).forEach((a) => a.finish());
    this.frames.clear();
  }

  /** Keyframes per path, measured once: a burst sends hundreds of tokens down one edge. */
  keyframes(d) {
    if (!this.frames.has(d)) this.frames.set(d, keyframes(this.probe, d));
    return this.frames.get(d);
  }

  clear() {
    this.layer.getAnimations?.({ subtree: true }).forEach((a) => a.cancel());
    this.journeys.clear();
    this.frames.clear();
  }
}

function wait(ms) {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Sample the path into translate keyframes: WAAPI cannot animate along an SVG path. */
function keyframes(probe, d) {
  probe.setAttribute("d", d);
  const length = probe.getTotalLength();
  const frames = [];
  for (let i = 0; i <= SAMPLES; i += 1) {
    const p = probe.getPointAtLength((length * i) / SAMPLES);
    frames.push({ transform: `translate(${p.x}px, ${p.y}px)`, opacity: i === SAMPLES ? 0.35 : 1 });
  }
  return frames;
}
