/**
 * The room's toolbar: play/pause, step, speed, reset, free play, who controls the room, the
 * virtual clock and the connection state. Room-level controls go over the socket as
 * {"type": "control"} frames; only the controller may send them, so they are disabled for a
 * watcher.
 */

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];

export class Toolbar {
  constructor(root, { control, help }) {
    this.root = root;
    this.sendControl = control;
    this.help = help;
    this.clock = { now: 0, speed: 1, paused: false, at: performance.now() };
    this.playLabel = root.querySelector("[data-play-label]");
    this.playButton = root.querySelector('[data-action="toggle"]');
    this.speedSelect = root.querySelector("[data-speed-select]");
    this.clockOut = root.querySelector("[data-clock]");
    this.overloadOut = root.querySelector("[data-overload]");
    this.roleOut = root.querySelector("[data-role]");
    this.connection = root.querySelector("[data-connection]");
    this.freePlay = root.querySelector("[data-free-play]");
    root.addEventListener("click", (e) => {
      const button = e.target.closest("[data-action]");
      if (button && this[button.dataset.action]) this[button.dataset.action]();
    });
    this.wantedSpeed = null;
    this.speedSelect.addEventListener("change", () => {
      this.wantedSpeed = Number(this.speedSelect.value);
      this.sendControl("speed", this.wantedSpeed);
    });
    this.freePlay?.addEventListener("change", () =>
      this.sendControl("free_play", this.freePlay.checked));
    setInterval(() => this.tick(), 100);
  }

  toggle() {
    this.sendControl(this.clock.paused ? "resume" : "pause");
  }

  step() {
    this.sendControl("step");
  }

  faster() {
    this.changeSpeed(+1);
  }

  slower() {
    this.changeSpeed(-1);
  }

  /** Steps from the speed last asked for, so quick presses add up before the server answers. */
  changeSpeed(direction) {
    const from = this.wantedSpeed ?? this.clock.speed;
    const index = SPEEDS.indexOf(from);
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (index < 0 ? 2 : index) + direction))];
    if (next === from) return;
    this.wantedSpeed = next;
    this.sendControl("speed", next);
  }

  reset() {
    this.sendControl("reset");
  }

  setClock({ now, speed, paused, overloaded, effective_speed: effective }) {
    // A room that cannot keep up runs slower: the clock runs on at the speed it really has.
    const rate = overloaded && effective != null ? effective : speed;
    this.clock = { now, speed, paused, rate, overloaded, effective, at: performance.now() };
    const overload = overloaded ? `this room is overloaded: running at ${effective}×` : "";
    if (this.overloadOut && this.overloadOut.textContent !== overload) {
      this.overloadOut.hidden = !overloaded;
      this.overloadOut.textContent = overload;
    }
    if (speed === this.wantedSpeed) this.wantedSpeed = null;
    // Every event batch moves the clock on; the controls are written only when they change.
    const shown = `${paused} ${speed}`;
    if (shown !== this.shown || this.speedSelect.value !== String(speed)) {
      this.shown = shown;
      this.playLabel.textContent = paused ? "Play" : "Pause";
      this.playButton.setAttribute("aria-pressed", String(!paused));
      this.playButton.classList.toggle("paused", paused);
      this.speedSelect.value = String(speed);
      this.root.dataset.paused = String(paused);
      this.root.dataset.speed = String(speed);
    }
    this.tick();
  }

  /** Between frames the clock runs on at the room's speed, so the display never stalls. */
  tick() {
    const { now, speed, rate, paused, at } = this.clock;
    const shown = paused ? now : now + ((performance.now() - at) / 1000) * (rate ?? speed);
    const said = `t = ${shown.toFixed(1)} s`;
    if (this.clockOut.textContent !== said) this.clockOut.textContent = said;
  }

  setControl({ you, free_play: freePlay }) {
    this.wantedSpeed = null;
    for (const el of this.root.querySelectorAll("[data-needs-control]")) el.disabled = !you;
    if (this.freePlay) this.freePlay.checked = freePlay;
    const owner = Boolean(this.freePlay);
    let role;
    if (!you) role = "You are watching";
    else if (freePlay && !owner) role = "Free play: you can drive";
    else role = freePlay ? "You control · free play on" : "You control this room";
    this.roleOut.textContent = role;
    this.roleOut.dataset.you = String(you);
  }

  setConnection(state, seconds) {
    const words = {
      connecting: "Connecting…",
      open: "Live",
      reconnecting: `Reconnecting in ${seconds ?? 1}s…`,
    };
    this.connection.dataset.state = state;
    this.connection.textContent = words[state] || state;
  }
}
