// Run with: node --test tests/js/   (tests/web/test_interview.py runs it too)
import assert from "node:assert/strict";
import { test } from "node:test";

import { BOXES, INTERVALS, dueIn, load, next, record, summary } from
  "../../static/js/interview-leitner.js";

const IDS = ["a", "b", "c", "d"];

test("a new deck starts with the first card, every card new in box 1", () => {
  const state = load(IDS, null);
  assert.equal(next(state, IDS), "a");
  assert.deepEqual(summary(state), { boxes: [0, 0, 0, 0, 0], fresh: 4, due: 0 });
});

test("a wrong answer comes back after exactly one other card", () => {
  let state = record(load(IDS, null), "a", false);
  assert.equal(state.cards.a.box, 1);
  assert.equal(dueIn(state, "a"), 1);
  assert.equal(next(state, IDS), "b");
  state = record(state, "b", true);
  assert.equal(next(state, IDS), "a", "the missed card is due before the unseen ones");
});

test("a right answer moves the card up a box and it waits longer", () => {
  let state = record(load(IDS, null), "a", false);
  state = record(state, "b", true);
  state = record(state, "a", true);
  assert.equal(state.cards.a.box, 2);
  assert.equal(dueIn(state, "a"), INTERVALS[1]);
  assert.equal(next(state, IDS), "c");
});

test("boxes stop at the last and a wrong answer resets to box 1", () => {
  let state = load(["a"], null);
  for (let i = 0; i < BOXES + 3; i += 1) state = record(state, "a", true);
  assert.equal(state.cards.a.box, BOXES);
  state = record(state, "a", false);
  assert.equal(state.cards.a.box, 1);
});

test("record leaves its input unchanged", () => {
  const state = load(IDS, null);
  const copy = JSON.stringify(state);
  record(state, "a", true);
  assert.equal(JSON.stringify(state), copy);
  assert.throws(() => record(state, "zzz", true));
});

test("when nothing is due and nothing is new, the soonest card comes next", () => {
  let state = load(["a", "b"], null);
  state = record(state, "a", true); // due at turn 1 + 3
  state = record(state, "b", true); // due at turn 2 + 3
  assert.equal(next(state, ["a", "b"]), "a");
});

test("stored progress survives a reload; unknown or corrupt entries are dropped", () => {
  const state = record(load(IDS, null), "c", true);
  const again = load([...IDS, "e"], JSON.parse(JSON.stringify(state)));
  assert.deepEqual(again.cards.c, state.cards.c);
  assert.equal(again.turn, 1);
  assert.equal(again.cards.e.seen, false);
  const corrupt = load(IDS, { turn: -4, cards: { a: { box: 99, due: "x" } } });
  assert.equal(corrupt.turn, 0);
  assert.equal(corrupt.cards.a.seen, false);
});
