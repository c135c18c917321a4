/**
 * Display options for a projector: large type and high contrast, remembered in this browser.
 * Each is a class on <html> that the stylesheet reacts to.
 */

const OPTIONS = ["large", "contrast"];

function apply(option, on) {
  document.documentElement.classList.toggle(option, on);
  for (const button of document.querySelectorAll(`[data-display-toggle="${option}"]`)) {
    button.setAttribute("aria-pressed", String(on));
  }
}

function stored(option) {
  try {
    return localStorage.getItem(`mqlab.${option}`) === "1";
  } catch {
    return false; // storage may be blocked; the option just is not remembered
  }
}

function store(option, on) {
  try {
    localStorage.setItem(`mqlab.${option}`, on ? "1" : "0");
  } catch {
    /* not remembered, still applied */
  }
}

for (const option of OPTIONS) apply(option, stored(option));

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-display-toggle]");
  if (!button) return;
  const option = button.dataset.displayToggle;
  const on = !document.documentElement.classList.contains(option);
  apply(option, on);
  store(option, on);
});
