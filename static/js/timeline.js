/**
 * The timeline under the diagram: the room's virtual time from 0 to the furthest instant its
 * branch reached, markers for what went wrong (crashes, dead letters, rebalances, broker
 * failures, alerts), and where the room is now. Dragging the scrubber (or a marker's click)
 * seeks the room, for everyone, when you control it; a watcher looks back on their own (a
 * "peek", answered to this page only) and returns to live. The branch picker and Undo send
 * their control frames; what the room then looks like arrives as a snapshot, as always.
 * No broker knowledge here: the server says what a marker is (mqlab/rooms/history.py).
 */

const TICK_MS = 250;

export class Timeline {
  constructor(root, { control, clock }) {
    this.root = root;
    this.control = control; // (action, value) -> sends a control frame
    this.clock = clock; // () -> the toolbar's clock: now, rate, paused, at
    this.you = false;
    this.peeking = false;
    this.dragging = false;
    this.state = { now: 0, end: 0, markers: [], branches: ["main"], branch: "main", forks: {} };
    this.build();
    setInterval(() => this.follow(), TICK_MS);
  }

  build() {
    this.root.innerHTML = `
      <div class="timeline-head">
        <h2 class="timeline-title">Timeline</h2>
        <output class="timeline-at" data-timeline-at aria-live="off">t = 0.0 s of 0.0 s</output>
        <label class="timeline-branch">Branch
          <select data-timeline-branch aria-label="Branch of this room's history"></select></label>
        <button type="button" class="small" data-timeline-undo
                title="Undo the last command: go back to just before it (it stays on its own branch)">Undo</button>
        <button type="button" class="small primary" data-timeline-live hidden>Return to live</button>
      </div>
      <div class="timeline-track">
        <div class="timeline-markers" data-timeline-markers></div>
        <input type="range" class="timeline-scrubber" data-timeline-scrubber min="0" max="0"
               step="any" value="0" aria-label="Virtual time: drag to go back in this room's history">
      </div>
      <p class="timeline-note muted" data-timeline-note></p>`;
    const $ = (name) => this.root.querySelector(`[data-timeline-${name}]`);
    this.at = $("at");
    this.branch = $("branch");
    this.undo = $("undo");
    this.live = $("live");
    this.markers = $("markers");
    this.scrubber = $("scrubber");
    this.note = $("note");
    this.scrubber.addEventListener("input", () => {
      this.dragging = true;
      this.showPosition(Number(this.scrubber.value));
    });
    this.scrubber.addEventListener("change", () => {
      this.dragging = false;
      this.go(Number(this.scrubber.value));
    });
    this.scrubber.addEventListener("keydown", (event) => this.key(event));
    this.branch.addEventListener("change", () => this.control("branch", this.branch.value));
    this.undo.addEventListener("click", () => this.control("undo"));
    this.live.addEventListener("click", () => this.returnToLive());
    this.markers.addEventListener("click", (event) => {
      const marker = event.target.closest("[data-at]");
      if (marker) this.go(Number(marker.dataset.at));
    });
    this.setControl(false);
  }

  /** Arrows step a hundredth of the history (a second at least), Home and End jump: the
   * scrubber's step is "any" (a seek lands on any instant), which leaves keys to us. */
  key(event) {
    const end = Number(this.scrubber.max);
    const step = Math.max(1, end / 100);
    const now = Number(this.scrubber.value);
    const moves = { ArrowLeft: now - step, ArrowDown: now - step, ArrowRight: now + step,
      ArrowUp: now + step, Home: 0, End: end };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const at = Math.min(end, Math.max(0, moves[event.key]));
    this.scrubber.value = String(at);
    this.go(at);
  }

  /** Seek (for everyone) when this page controls the room; else look back privately. */
  go(at) {
    if (this.you) {
      this.control("seek", at);
    } else {
      this.peeking = true;
      this.live.hidden = false;
      this.control("peek", at);
      this.showPosition(at);
    }
  }

  returnToLive() {
    if (this.you) {
      this.control("seek", this.state.end);
      return;
    }
    this.peeking = false;
    this.live.hidden = true;
    this.control("peek", null);
  }

  setControl(you) {
    this.you = you;
    this.undo.disabled = !you;
    this.branch.disabled = !you;
    this.live.textContent = you ? "Go to the end" : "Return to live";
    this.showPosition(Number(this.scrubber.value));
    this.note.textContent = you
      ? "Drag to go back: everyone sees that moment. A command given there starts a new branch; the old future is kept."
      : "Drag to look back on your own; the room goes on for everyone else.";
  }

  /** A timeline frame from the server (mqlab/wire.py). */
  frame(frame) {
    this.state = { ...frame };
    this.drawBranches(frame);
    this.drawMarkers(frame);
    if (!this.peeking) this.showPosition(frame.now);
  }

  /** A snapshot arrived: a peek's answer (the page now shows the past) or a live one (a
   * return to live, a reconnect: the server streams the room again). */
  snapshot(frame) {
    this.peeking = Boolean(frame.peek);
    if (!this.dragging) this.showPosition(frame.now);
  }

  drawBranches({ branches, branch, forks }) {
    this.branch.replaceChildren(...branches.map((name) => {
      const option = document.createElement("option");
      const at = forks?.[name]?.at;
      option.value = name;
      option.textContent = at == null ? name : `${name} (from t = ${at.toFixed(1)} s)`;
      option.selected = name === branch;
      return option;
    }));
  }

  drawMarkers({ markers, end }) {
    this.setEnd(end);
    this.markers.replaceChildren(...markers.map((marker) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `timeline-marker marker-${marker.kind}`;
      button.dataset.at = String(marker.at);
      button.style.setProperty("--at", String(marker.at)); // placed by the stylesheet
      const times = marker.count > 1 ? ` ×${marker.count}` : "";
      button.title = `${marker.label}${times} at t = ${marker.at.toFixed(1)} s`;
      button.setAttribute("aria-label", button.title);
      return button;
    }));
  }

  /** The clock runs on between frames: keep the scrubber on it (not while dragging). */
  follow() {
    if (this.dragging || this.peeking) return;
    const clock = this.clock();
    if (!clock) return;
    const now = clock.paused ? clock.now : clock.now + (clock.rate * (performance.now() - clock.at)) / 1000;
    if (now > this.state.end) this.setEnd(now);
    this.showPosition(now);
  }

  /** The track spans 0 to ``end``; markers sit at --at / --end of it. */
  setEnd(end) {
    this.state.end = end;
    this.scrubber.max = String(end);
    this.markers.style.setProperty("--end", String(Math.max(end, 0.001)));
  }

  showPosition(now) {
    if (!this.dragging) this.scrubber.value = String(now);
    const end = Math.max(this.state.end, now);
    const where = this.peeking ? " (looking back; the room goes on)" : "";
    // A watcher returns from a look back; the controller goes to the end from behind it.
    this.live.hidden = this.you ? now >= end - 0.05 : !this.peeking;
    this.at.textContent = `t = ${now.toFixed(1)} s of ${end.toFixed(1)} s${where}`;
  }
}
