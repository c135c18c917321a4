/**
 * Walkthrough progress of this browser, in localStorage under "mqlab.walkthrough.<name>":
 * the furthest step reached, the steps seen to their end, and the prediction picked per step.
 * Nothing of it goes to the server: it is the learner's own.
 */

const PREFIX = "mqlab.walkthrough.";

export function loadProgress(name) {
  const empty = { reached: 0, done: [], answers: {}, steps: 0 };
  try {
    const stored = JSON.parse(localStorage.getItem(PREFIX + name) || "null");
    return stored && typeof stored === "object" ? { ...empty, ...stored } : empty;
  } catch {
    return empty; // storage disabled or a damaged entry: start afresh
  }
}

export function saveProgress(name, progress) {
  try {
    localStorage.setItem(PREFIX + name, JSON.stringify(progress));
  } catch {
    // storage full or disabled: progress is a convenience, the walkthrough still works
  }
}
