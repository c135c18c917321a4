/**
 * The drills page: each [data-deck] shows one [data-item] at a time, chosen by the Leitner
 * schedule (interview-leitner.js) and kept in localStorage under mqlab.interview.<deck>.
 * A drill is answered by one of its [data-option] buttons; a flash card by a [data-grade]
 * button after its answer is shown. Without this module every item stays visible with its
 * answer behind a <details>.
 */

import { dueIn, load, next, record, summary } from "./interview-leitner.js";

const PREFIX = "mqlab.interview.";

function readStored(name) {
  try {
    return JSON.parse(localStorage.getItem(PREFIX + name) || "null");
  } catch {
    return null; // storage blocked or corrupt: start fresh
  }
}

function store(name, state) {
  try {
    localStorage.setItem(PREFIX + name, JSON.stringify(state));
  } catch {
    /* progress just is not remembered */
  }
}

function waitText(turns) {
  if (turns <= 0) return "due now";
  return turns === 1 ? "back after 1 card" : `back after ${turns} cards`;
}

function setupDeck(deck) {
  const name = deck.dataset.deck;
  const items = new Map([...deck.querySelectorAll("[data-item]")].map((el) => [el.dataset.item, el]));
  const ids = [...items.keys()];
  const status = deck.querySelector("[data-deck-status]");
  let state = load(ids, readStored(name));
  let current = null;

  function paintSchedule() {
    for (const [id, el] of items) {
      const card = state.cards[id];
      el.dataset.box = String(card.box);
      el.dataset.seen = String(card.seen);
      el.dataset.dueIn = String(dueIn(state, id));
    }
    const counts = summary(state);
    const boxes = counts.boxes.map((n, i) => `box ${i + 1}: ${n}`).join(" · ");
    status.textContent = `${counts.fresh} new · ${counts.due} due · ${boxes}`;
  }

  function show(id) {
    current = id;
    for (const [itemId, el] of items) {
      el.hidden = itemId !== id;
      el.classList.remove("answered", "right", "wrong");
      const result = el.querySelector("[data-result]");
      result.open = false;
      result.hidden = el.classList.contains("drill");
      for (const option of el.querySelectorAll("[data-option]")) {
        option.disabled = false;
        option.removeAttribute("data-picked");
        option.removeAttribute("data-correct");
      }
    }
    paintSchedule();
  }

  function grade(el, correct) {
    state = record(state, el.dataset.item, correct);
    store(name, state);
    el.classList.add("answered", correct ? "right" : "wrong");
    paintSchedule();
    const card = state.cards[el.dataset.item];
    return `Box ${card.box}, ${waitText(dueIn(state, el.dataset.item))}.`;
  }

  deck.addEventListener("click", (event) => {
    const el = event.target.closest("[data-item]");
    const option = event.target.closest("[data-option]");
    if (el && option && !el.classList.contains("answered")) {
      const correct = option.dataset.option === el.dataset.answer;
      option.dataset.picked = "true";
      for (const each of el.querySelectorAll("[data-option]")) {
        each.disabled = true;
        if (each.dataset.option === el.dataset.answer) each.dataset.correct = "true";
      }
      const when = grade(el, correct);
      const result = el.querySelector("[data-result]");
      result.querySelector("[data-verdict]").textContent =
        `${correct ? "Right." : "Not quite."} ${when}`;
      result.hidden = false;
      result.open = true;
      result.querySelector("[data-next]")?.focus();
      return;
    }
    const gradeButton = event.target.closest("[data-grade]");
    if (el && gradeButton && !el.classList.contains("answered")) {
      grade(el, gradeButton.dataset.grade === "1");
      show(next(state, ids));
      return;
    }
    if (event.target.closest("[data-next]")) {
      show(next(state, ids));
      items.get(current).querySelector("button, summary")?.focus();
      return;
    }
    if (event.target.closest("[data-deck-reset]")) {
      state = load(ids, null);
      store(name, state);
      show(next(state, ids));
    }
  });

  deck.classList.add("scheduled");
  show(next(state, ids));
}

for (const deck of document.querySelectorAll("[data-deck]")) setupDeck(deck);
