/**
 * Challenges in the browser. On the home page: mark the cards this browser solved and count
 * them. In a challenge room: count the knobs changed from the broken values (the score is
 * changes against par), remember the hints opened, and when "Check my fix" comes back solved,
 * remember it in localStorage. The server checks the fix; this module only keeps score.
 */

const KEY = "mqlab.challenges";

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}") || {};
  } catch {
    return {};
  }
}

function save(all) {
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    /* private mode or full: progress is a nicety */
  }
}

function entry(all, name) {
  all[name] = all[name] || { solved: false, best: null, hints: 0 };
  return all[name];
}

// -- home page ---------------------------------------------------------------------------------
function showProgress() {
  const all = load();
  let solved = 0;
  const cards = document.querySelectorAll("[data-challenge-card]");
  for (const card of cards) {
    const mine = all[card.dataset.challengeCard];
    const label = card.querySelector("[data-progress]");
    if (mine && mine.solved) {
      solved += 1;
      card.dataset.solved = "true";
      const par = Number(card.dataset.par);
      label.textContent = `✓ solved · ${mine.best} change${mine.best === 1 ? "" : "s"} (par ${par})`;
    }
  }
  const summary = document.querySelector("[data-challenge-progress]");
  if (summary && cards.length) {
    summary.textContent = `Solved in this browser: ${solved} of ${cards.length}.`;
  }
}

// -- challenge room ----------------------------------------------------------------------------
function currentJson(knob) {
  const control = knob.querySelector("select, input");
  if (control.tagName === "SELECT") {
    return control.selectedOptions[0]?.dataset.json ?? "null";
  }
  return control.value === "" ? "null" : JSON.stringify(Number(control.value));
}

function sameJson(a, b) {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

function countChanges(form) {
  const panel = form.closest("[data-challenge]");
  let changes = 0;
  for (const knob of form.querySelectorAll("[data-knob]")) {
    const changed = !sameJson(currentJson(knob), knob.dataset.broken);
    knob.classList.toggle("knob-changed", changed);
    if (changed) changes += 1;
  }
  const out = form.querySelector("[data-changes]");
  if (out) out.textContent = `Changes: ${changes} (par ${panel.dataset.par})`;
}

function initRoom(panel) {
  const name = panel.dataset.challenge;
  const form = panel.querySelector("[data-knobs]");
  form.addEventListener("input", () => countChanges(form));
  form.addEventListener("change", () => countChanges(form));
  form.addEventListener("reset", () => setTimeout(() => countChanges(form)));
  countChanges(form);
  for (const hint of panel.querySelectorAll("[data-hint]")) {
    hint.addEventListener("toggle", () => {
      if (!hint.open) return;
      const all = load();
      const mine = entry(all, name);
      mine.hints = Math.max(mine.hints || 0, Number(hint.dataset.hint));
      save(all);
    });
  }
  const mine = load()[name];
  if (mine && mine.solved) panel.dataset.solvedBefore = "true";
}

document.body.addEventListener("htmx:afterSettle", (event) => {
  const result = event.detail.elt?.id === "challenge-result" ? event.detail.elt
    : document.getElementById("challenge-result");
  if (!result || result.dataset.solved !== "true" || result.dataset.recorded) return;
  result.dataset.recorded = "true";
  const all = load();
  const mine = entry(all, result.dataset.challenge);
  const changes = Number(result.dataset.changes);
  mine.solved = true;
  mine.best = mine.best === null ? changes : Math.min(mine.best, changes);
  save(all);
});

showProgress();
for (const panel of document.querySelectorAll("section[data-challenge]")) initRoom(panel);
