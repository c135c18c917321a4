/**
 * The walkthrough panel of a walkthrough room. The server owns the walkthrough: each
 * "walkthrough" frame (mqlab/wire.py) says which step is shown and in which phase (ready,
 * running, done); this module draws it. The presenter's buttons go back over the room's
 * socket (room.js listens for "mqlab:walkthrough-action"), and every viewer's panel follows.
 *
 * Each browser keeps its own predictions and progress in localStorage (walkthrough-store.js), so a
 * learner sees whether their guess was right and the home page shows how far they got.
 */

import { loadProgress, saveProgress } from "./walkthrough-store.js";

const room = document.getElementById("room");
const panel = document.querySelector("[data-walkthrough-panel]");
const name = panel.dataset.name;
const $ = (selector) => panel.querySelector(selector);
let last = null;
let offeredResume = false;

function send(action, value) {
  const detail = value === undefined ? { action } : { action, value };
  room.dispatchEvent(new CustomEvent("mqlab:walkthrough-action", { detail }));
}

function presenter() {
  return room.dataset.you === "true";
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function seconds(value) {
  return `${Number(value).toFixed(1)} s`;
}

function renderSteps(frame) {
  const list = $("[data-wt-steps]");
  list.replaceChildren(...frame.steps.map((title, index) => {
    const item = element("li");
    const button = element("button", `${index + 1}. ${title}`, "wt-step-link");
    button.type = "button";
    button.disabled = !presenter();
    button.title = presenter() ? "Go to this step (the room is rebuilt)" : "The presenter chooses the step";
    if (index === frame.index) button.setAttribute("aria-current", "step");
    const progress = loadProgress(name);
    if (progress.done.includes(index)) item.dataset.done = "true";
    button.addEventListener("click", () => send("goto", index));
    item.append(button);
    return item;
  }));
}

function renderPrediction(frame) {
  const step = frame.step;
  const box = $("[data-wt-predict]");
  box.hidden = !step.predict;
  if (!step.predict) return;
  $("[data-wt-predict-question]").textContent = step.predict.question;
  const progress = loadProgress(name);
  const mine = progress.answers[frame.index];
  const revealed = step.answer !== null;
  const choices = step.predict.choices.map((choice, index) => {
    const button = element("button", choice, "wt-choice");
    button.type = "button";
    button.dataset.choice = String(index);
    button.setAttribute("aria-pressed", String(mine === index));
    if (revealed && index === step.answer) button.dataset.correct = "true";
    if (revealed && mine === index && index !== step.answer) button.dataset.wrong = "true";
    button.disabled = revealed;
    button.addEventListener("click", () => {
      const stored = loadProgress(name);
      stored.answers[frame.index] = index;
      saveProgress(name, stored);
      renderPrediction(frame);
      send("predict", { choice: index, name: displayName() });
    });
    return button;
  });
  $("[data-wt-choices]").replaceChildren(...choices);
  const verdict = $("[data-wt-verdict]");
  if (!revealed) {
    verdict.textContent = mine === undefined ? "Pick an answer, then run the step." : "Locked in: now run the step and watch.";
    verdict.dataset.result = "";
  } else if (mine === undefined) {
    verdict.textContent = `The answer: ${step.predict.choices[step.answer]}.`;
    verdict.dataset.result = "";
  } else {
    const right = mine === step.answer;
    verdict.textContent = right ? "You predicted it." : `Not quite: the answer is "${step.predict.choices[step.answer]}".`;
    verdict.dataset.result = right ? "right" : "wrong";
  }
}

function displayName() {
  const input = $("[data-wt-name]");
  const value = input ? input.value.trim() : "";
  try { localStorage.setItem("mqlab:display-name", value); } catch { /* private mode */ }
  return value;
}

/** The class's answers: a bar per choice (the presenter live, everyone at the reveal). */
function renderTally(frame) {
  const box = $("[data-wt-tally]");
  const tally = frame.tally;
  box.hidden = !tally;
  if (!tally) return;
  const summary = $("[data-wt-tally-summary]");
  const bars = $("[data-wt-tally-bars]");
  if (!tally.shown) {
    summary.textContent = `${tally.answered} in the room answered so far; the class's answers show at the reveal.`;
    bars.replaceChildren();
    return;
  }
  const total = Math.max(1, tally.answered);
  summary.textContent = tally.answered === 1 ? "1 answer from the room" : `${tally.answered} answers from the room`;
  bars.replaceChildren(...frame.step.predict.choices.map((choice, index) => {
    const row = element("li", null, "wt-tally-row");
    row.dataset.tallyChoice = String(index); // not data-choice: that names the answer buttons
    row.dataset.count = String(tally.counts[index]);
    if (frame.step.answer === index) row.dataset.correct = "true";
    const bar = element("progress", null, "wt-tally-bar"); // a bar without inline styles
    bar.max = total;
    bar.value = tally.counts[index];
    bar.setAttribute("aria-label", choice);
    const names = tally.names[index].length ? ` (${tally.names[index].join(", ")})` : "";
    row.append(element("span", choice, "wt-tally-choice"), bar,
      element("span", `${tally.counts[index]}${names}`, "wt-tally-count"));
    return row;
  }));
}

function renderPresenter(frame) {
  const you = presenter();
  const watching = $("[data-wt-watching]");
  watching.hidden = !you || frame.viewers === undefined;
  if (!watching.hidden) {
    const others = Math.max(0, frame.viewers - 1);
    watching.textContent = others === 1 ? "1 other browser is watching" : `${others} other browsers are watching`;
    watching.dataset.viewers = String(frame.viewers);
  }
  const notes = $("[data-wt-notes]");
  notes.hidden = !you || !frame.step.notes;
  $("[data-wt-notes-text]").textContent = (you && frame.step.notes) || "";
}

function renderReveal(frame) {
  const step = frame.step;
  const box = $("[data-wt-reveal]");
  box.hidden = !step.seen;
  if (!step.seen) return;
  const text = $("[data-wt-reveal-text]");
  text.textContent = step.reveal || "";
  text.hidden = !step.reveal;
  const seen = $("[data-wt-seen]");
  seen.replaceChildren(
    element("span", step.seen.total ? `This step's ${step.seen.total} events:` : "This step produced no events."),
    ...step.seen.kinds.map(({ kind, count }) => element("span", `${count} ${kind}`, "wt-kind-chip")));
  $("[data-wt-notable-title]").hidden = step.seen.notable.length === 0;
  $("[data-wt-notable]").replaceChildren(...step.seen.notable.map((event) => {
    const item = element("li");
    item.append(element("span", `t=${Number(event.at).toFixed(2)}s`, "log-time"), " ",
      element("span", event.kind, "log-kind"), " ", element("span", event.reason, "log-reason"));
    return item;
  }));
}

function renderCheckpoints(frame) {
  const checkpoints = frame.step.checkpoints;
  const count = frame.step.checkpoint_count ?? checkpoints.length;
  $("[data-wt-checkpoints-box]").hidden = count === 0;
  const pending = $("[data-wt-checkpoints-pending]");
  // Before the step has run, only how many: the targets would give the answer away.
  pending.hidden = checkpoints.length > 0;
  pending.textContent = count === 1 ? "1 checkpoint, checked on the engine's state when the step ends."
    : `${count} checkpoints, checked on the engine's state when the step ends.`;
  $("[data-wt-checkpoints]").replaceChildren(...checkpoints.map((checkpoint) => {
    const state = checkpoint.met === null ? "pending" : checkpoint.met ? "met" : "unmet";
    const item = element("li", null, `checkpoint checkpoint-${state}`);
    item.dataset.state = state;
    const mark = { pending: "…", met: "✓", unmet: "✗" }[state];
    const word = { pending: "checked when the step ends", met: "met", unmet: "NOT met" }[state];
    item.append(element("span", mark, "checkpoint-mark"), " ", element("span", checkpoint.text),
      " ", element("span", `(${word})`, "muted"));
    return item;
  }));
}

function renderNav(frame) {
  const you = presenter();
  const buttons = Object.fromEntries([...panel.querySelectorAll("[data-wt-action]")]
    .map((button) => [button.dataset.wtAction, button]));
  buttons.back.disabled = !you || frame.index === 0;
  buttons.replay.disabled = !you || frame.phase === "ready";
  buttons.run.disabled = !you || frame.phase !== "ready";
  buttons.run.textContent = frame.phase === "running" ? "Playing…" : "Run this step";
  buttons.finish.hidden = !you || frame.phase !== "running";
  buttons.finish.disabled = !you || frame.phase !== "running";
  buttons.next.disabled = !you || frame.last;
  buttons.next.classList.toggle("primary", frame.phase === "done" && !frame.last);
  buttons.run.classList.toggle("primary", frame.phase === "ready");
  const complete = frame.last && frame.phase === "done";
  panel.dataset.complete = String(complete);
  $("[data-wt-role]").textContent = (complete ? "Walkthrough complete. " : "") + (you
    ? "You present: everyone who opens this room's address follows your steps."
    : "You are following the presenter: the panel moves when they do.");
}

function renderRunning(frame) {
  const running = $("[data-wt-running]");
  running.hidden = frame.phase !== "running";
  if (frame.phase === "running") {
    running.textContent = `Playing the step live at the room's speed: it ends at t = ${seconds(frame.step.ends_at)}.`;
  }
}

function remember(frame) {
  const progress = loadProgress(name);
  progress.reached = Math.max(progress.reached, frame.index);
  if (frame.phase === "done" && !progress.done.includes(frame.index)) progress.done.push(frame.index);
  progress.steps = frame.steps.length;
  saveProgress(name, progress);
}

function offerResume(frame) {
  const box = $("[data-wt-resume]");
  if (offeredResume) {
    // Offered once; a later frame (someone joined) leaves it, moving on hides it.
    if (frame.index !== 0 || frame.phase !== "ready") box.hidden = true;
    return;
  }
  const progress = loadProgress(name);
  const show = !offeredResume && presenter() && frame.index === 0 && frame.phase === "ready"
    && progress.reached > 0 && progress.reached < frame.steps.length;
  offeredResume = true;
  box.hidden = !show;
  if (show) {
    $("[data-wt-resume-step]").textContent = String(progress.reached + 1);
    $("[data-wt-resume-go]").onclick = () => {
      box.hidden = true;
      send("goto", progress.reached);
    };
  }
}

function render(frame) {
  last = frame;
  panel.dataset.phase = frame.phase;
  panel.dataset.index = String(frame.index);
  $("[data-wt-kind]").textContent = frame.kind === "interview" ? "Interview question" : "Pattern";
  $("[data-wt-title]").textContent = frame.title;
  const question = $("[data-wt-question]");
  question.textContent = frame.question || "";
  question.hidden = !frame.question;
  const step = frame.step;
  $("[data-wt-step-title]").textContent = `Step ${frame.index + 1} of ${frame.steps.length}: ${step.title}`;
  $("[data-wt-narration]").textContent = step.narration;
  $("[data-wt-actions-box]").hidden = step.actions.length === 0;
  $("[data-wt-actions]").replaceChildren(...step.actions.map((text) => element("li", text)));
  remember(frame);
  renderSteps(frame);
  renderPrediction(frame);
  renderTally(frame);
  renderPresenter(frame);
  renderRunning(frame);
  renderReveal(frame);
  renderCheckpoints(frame);
  renderNav(frame);
  offerResume(frame);
}

panel.querySelectorAll("[data-wt-action]").forEach((button) => {
  button.addEventListener("click", () => send(button.dataset.wtAction));
});
room.addEventListener("mqlab:walkthrough", (event) => render(event.detail));
// A frame that arrived before this module loaded (room.js keeps the last one).
if (room.walkthroughFrame) render(room.walkthroughFrame);
const nameInput = $("[data-wt-name]");
try { nameInput.value = localStorage.getItem("mqlab:display-name") || ""; } catch { /* private mode */ }
// Control can change hands (free play): redraw the buttons for the new role.
new MutationObserver(() => {
  if (last) render(last);
}).observe(room, { attributes: true, attributeFilter: ["data-you"] });
