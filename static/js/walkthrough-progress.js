/** The home page's walkthrough cards show how far this browser got (walkthrough-store.js). */

import { loadProgress } from "./walkthrough-store.js";

for (const card of document.querySelectorAll("[data-walkthrough]")) {
  const progress = loadProgress(card.dataset.walkthrough);
  const steps = Number(card.dataset.steps);
  const label = card.querySelector("[data-progress]");
  if (progress.done.length >= steps) {
    label.textContent = "✓ completed";
    card.dataset.completed = "true";
  } else if (progress.done.length > 0 || progress.reached > 0) {
    label.textContent = `reached step ${progress.reached + 1} of ${steps}`;
  }
}
