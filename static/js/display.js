/**
 * Display options for a projector: large type and high contrast, remembered in this browser.
 * Each is a class on <html> that the stylesheet reacts to. With large type the room's toolbar
 * and diagram stay stuck at the top; the stylesheet reads their heights from --toolbar-h and
 * --stuck-h, kept current here (the toolbar wraps on a narrow projector).
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

function trackStuckHeights() {
  const toolbar = document.querySelector("[data-toolbar]");
  const diagram = document.querySelector(".diagram-panel");
  if (!toolbar || !diagram) return;
  // Written only when a height really changed: a custom property on <html> restyles the
  // whole page, and the diagram panel is resized often while a room runs.
  const set = (name, value) => {
    const style = document.documentElement.style;
    if (style.getPropertyValue(name) !== value) style.setProperty(name, value);
  };
  const update = () => {
    const below = toolbar.offsetHeight + 8;
    set("--toolbar-h", `${below}px`);
    set("--stuck-h", `${below + diagram.offsetHeight + 8}px`);
  };
  const observer = new ResizeObserver(update);
  observer.observe(toolbar);
  observer.observe(diagram);
}

trackStuckHeights();
