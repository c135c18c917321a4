/**
 * Leitner boxes for the interview drills, as pure functions over a plain state object (so it
 * can be stored as JSON and tested with `node --test`).
 *
 * Time is counted in turns (answers given in this deck), not in days: a card in box b waits
 * INTERVALS[b - 1] turns after it was answered. A wrong answer sends a card back to box 1, so
 * it returns after one other card; a right answer moves it up a box, up to the last.
 *
 * The next card is: the most overdue seen card that is due now; else the first card never
 * seen, in deck order; else the seen card due soonest (the deck never runs dry).
 */

export const INTERVALS = [1, 3, 7, 15, 31];
export const BOXES = INTERVALS.length;

/** A state for the deck `ids`, keeping what `stored` knew about cards still in the deck. */
export function load(ids, stored) {
  const state = { turn: 0, cards: {} };
  const known = stored && typeof stored === "object" && stored.cards ? stored : null;
  if (known && Number.isInteger(known.turn) && known.turn >= 0) state.turn = known.turn;
  for (const id of ids) {
    const card = known ? known.cards[id] : undefined;
    if (card && Number.isInteger(card.box) && card.box >= 1 && card.box <= BOXES &&
        Number.isInteger(card.due)) {
      state.cards[id] = { box: card.box, due: card.due, seen: true };
    } else {
      state.cards[id] = { box: 1, due: 0, seen: false };
    }
  }
  return state;
}

/** The state after answering card `id` right (`correct`) or wrong; the input is unchanged. */
export function record(state, id, correct) {
  if (!(id in state.cards)) throw new Error(`no card ${id} in this deck`);
  const turn = state.turn + 1;
  const box = correct ? Math.min(state.cards[id].box + 1, BOXES) : 1;
  const cards = { ...state.cards, [id]: { box, due: turn + INTERVALS[box - 1], seen: true } };
  return { turn, cards };
}

/** The id of the card to show next, given the deck order `ids`. */
export function next(state, ids) {
  let overdue = null;
  for (const id of ids) {
    const card = state.cards[id];
    if (card.seen && card.due <= state.turn && (overdue === null || card.due < state.cards[overdue].due)) {
      overdue = id;
    }
  }
  if (overdue !== null) return overdue;
  const fresh = ids.find((id) => !state.cards[id].seen);
  if (fresh !== undefined) return fresh;
  return ids.reduce((best, id) => (state.cards[id].due < state.cards[best].due ? id : best));
}

/** How many answers until card `id` is due again (0: due now). */
export function dueIn(state, id) {
  return Math.max(0, state.cards[id].due - state.turn);
}

/** Counts for a status line: cards per box among those seen, and how many are new or due. */
export function summary(state) {
  const boxes = new Array(BOXES).fill(0);
  let fresh = 0;
  let due = 0;
  for (const card of Object.values(state.cards)) {
    if (!card.seen) fresh += 1;
    else {
      boxes[card.box - 1] += 1;
      if (card.due <= state.turn) due += 1;
    }
  }
  return { boxes, fresh, due };
}
