/**
 * Keyboard shortcuts for the room: space play/pause, "." or "s" step, "+"/"-" speed, "?" help,
 * Escape closes the inspector. Keys typed into a form field are left alone, and so is space on
 * a focused button (it already presses the button).
 */

const KEYS = {
  " ": "toggle",
  ".": "step",
  s: "step",
  "+": "faster",
  "=": "faster",
  "-": "slower",
  _: "slower",
  "?": "help",
  Escape: "close",
};

function typing(target) {
  return target.closest?.("input, textarea, select, [contenteditable]");
}

function pressable(target) {
  return target.closest?.("button, a, summary, .node, [role=button]");
}

export function bindShortcuts(actions) {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const action = KEYS[event.key];
    if (!action || !actions[action]) return;
    if (action !== "close" && typing(event.target)) return;
    if (event.key === " " && pressable(event.target)) return;
    event.preventDefault();
    actions[action]();
  });
}
