/**
 * "Connect your code" (templates/room/connect_panel.html): fetches the room's connect.json
 * (its controller's only) when the panel is first opened, fills each snippet's placeholders
 * ({amqp.host}, {sqs.endpoint_url}...) with the facts, shows the sections of the protocol the
 * room speaks, and copies a snippet or the token to the clipboard. Open, the panel is a drawer
 * (static/css/connect.css) that starts below the toolbar (static/js/below-toolbar.js), takes the focus, and
 * closes with Esc or its × (the focus goes back to "Connect your code").
 */

const PROTOCOL_OF = { rabbitmq: "amqp", sqs: "sqs", kafka: "kafka" };
const PLACEHOLDER = /\{(amqp|sqs|kafka)\.([a-z_]+)\}/g;

function fill(text, facts) {
  return text.replace(PLACEHOLDER, (whole, protocol, key) =>
    (facts[protocol] && facts[protocol][key] !== undefined ? String(facts[protocol][key]) : whole));
}

function fact(facts, path) {
  const [protocol, key] = path.split(".");
  return facts[protocol] ? facts[protocol][key] : undefined;
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // No clipboard (an insecure origin): select the text so Ctrl+C copies it.
    const code = button.parentElement.querySelector("code");
    if (code) window.getSelection().selectAllChildren(code);
    button.textContent = "Press Ctrl+C";
  }
  setTimeout(() => { button.textContent = button.dataset.label; }, 1500);
}

function render(panel, facts) {
  const spoken = PROTOCOL_OF[panel.dataset.broker];
  for (const section of panel.querySelectorAll("[data-protocol]")) {
    section.hidden = section.dataset.protocol !== spoken || !facts[spoken];
  }
  for (const code of panel.querySelectorAll("[data-fact]")) {
    code.textContent = fact(facts, code.dataset.fact) ?? "";
  }
  for (const code of panel.querySelectorAll("[data-snippet]")) {
    code.dataset.template ??= code.textContent;
    code.textContent = fill(code.dataset.template, facts);
  }
  const status = panel.querySelector("[data-connect-status]");
  status.textContent = facts[spoken] ? "" : "This room has no endpoint for real clients yet.";
  status.hidden = Boolean(facts[spoken]);
}

async function load(panel) {
  const status = panel.querySelector("[data-connect-status]");
  try {
    const response = await fetch(panel.dataset.connectUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    render(panel, await response.json());
  } catch (error) {
    status.textContent = `Could not load the room's endpoints: ${error.message}`;
    panel.dataset.loaded = "";
  }
}

function closeDrawer(panel) {
  const hadFocus = panel.querySelector(".connect-body").contains(document.activeElement);
  panel.open = false;
  if (hadFocus) panel.querySelector("summary").focus();
}

function drawer(panel) {
  panel.addEventListener("toggle", () => {
    if (panel.open) panel.querySelector(".connect-body").focus({ preventScroll: true });
  });
  panel.querySelector("[data-connect-close]")?.addEventListener("click", () => closeDrawer(panel));
  // Capture: the room's own Esc (closing the inspector) waits until this drawer is shut; an
  // open dialog (the keys help) keeps Esc for itself.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !panel.open || document.querySelector("dialog[open]")) return;
    event.stopPropagation();
    event.preventDefault();
    closeDrawer(panel);
  }, true);
}

export function setUp(panel) {
  for (const button of panel.querySelectorAll("button.copy")) button.dataset.label = button.textContent;
  panel.addEventListener("toggle", () => {
    if (panel.open && !panel.dataset.loaded) {
      panel.dataset.loaded = "yes";
      load(panel);
    }
  });
  drawer(panel);
  panel.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const path = button.dataset.copyFact;
    const text = path ? panel.querySelector(`[data-fact="${path}"]`).textContent
      : button.parentElement.querySelector("code").textContent;
    copy(text, button);
  });
}

const panel = document.querySelector("[data-connect-panel]");
if (panel) setUp(panel);
