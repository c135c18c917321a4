/**
 * Why: a message's life as a trace, and "why didn't it...?" answers, in the inspector.
 *
 * The server builds both (mqlab/rooms/traces.py, mqlab/rooms/why.py): the message partial
 * carries the trace — steps with their virtual time and the cause as a sentence — and the
 * bindings of each exchange that routed it, each marked matched or not, as JSON. This module
 * draws them, remembers the message last opened (the "selected" one), marks an exchange's
 * bindings for it, and offers a "Why didn't it reach here?" button on a queue, a consumer or
 * a partition, which asks GET /rooms/<id>/why/?node=...&message=... .
 * Sentences mark names with backticks; they are drawn as <code>, never as HTML.
 */

/** The message last opened in the inspector: its id and its bindings report. */
let selected = null;
/** The last answer per node and message, so a node pane redrawn by a batch keeps it. */
const answers = new Map();

const ASKABLE = new Set(["rabbitmq:queue", "rabbitmq:consumer", "kafka:consumer",
  "kafka:partition", "sqs:queue", "sqs:consumer"]);

/** Draw the trace in a freshly swapped message partial. */
export function showTrace(root) {
  const holder = root.querySelector("[data-trace]");
  if (!holder) return;
  const steps = readJson(holder.dataset.trace) || [];
  const bindings = readJson(holder.dataset.bindings) || [];
  selected = { id: holder.dataset.traceOf, bindings };
  const parts = [el("h4", {}, "Why: its life, step by step")];
  if (!steps.length) parts.push(el("p", { className: "muted" }, "No steps recorded for this message."));
  const list = el("ol", { className: "trace-steps" });
  for (const step of steps) {
    const item = el("li", { className: `trace-step kind-${step.kind}` });
    item.dataset.rule = step.rule || "";
    item.append(el("span", { className: "trace-time" }, `t=${Number(step.at).toFixed(2)} s`), " ");
    item.append(sentence(step.text, "trace-text"));
    list.append(item);
  }
  parts.push(list);
  const routes = bindingList(bindings);
  if (routes) parts.push(routes);
  holder.replaceChildren(...parts);
}

/** Every binding of the exchanges the message went through, ✓ matched or ✗ not. */
function bindingList(bindings) {
  if (!bindings.length) return null;
  const box = el("section", { className: "trace-bindings" });
  box.append(el("h4", {}, "Bindings it met"));
  const list = el("ul", { className: "binding-verdicts" });
  for (const row of bindings) list.append(verdict(row, true));
  box.append(list);
  return box;
}

function verdict(row, named) {
  const item = el("li", { className: row.matched ? "binding-matched" : "binding-missed" });
  item.append(el("span", { className: "verdict" }, row.matched ? "✓ matched" : "✗ did not match"), " ");
  if (named) item.append(el("code", {}, shortName(row.exchange)), " → ", el("code", {}, shortName(row.target)), " ");
  item.append(el("code", {}, row.label));
  if (row.why) item.append(" ", sentence(row.why, "verdict-why"));
  return item;
}

/**
 * Mark one binding row of an exchange's inspector (inspector.js `routes`) for the selected
 * message: the edge is a binding when its source is the exchange.
 */
export function markBinding(item, edge) {
  if (!selected) return;
  const row = selected.bindings.find((b) => b.exchange === edge.source && b.target === edge.target
    && b.label === edge.label);
  if (!row) return;
  item.classList.add(row.matched ? "binding-matched" : "binding-missed");
  item.append(" ", el("span", { className: "verdict" },
    `${row.matched ? "✓ matches" : "✗ does not match"} ${selected.id}`));
  if (row.why) item.append(" ", sentence(row.why, "verdict-why"));
}

/** The "Why didn't it reach here?" box for a node pane, or null for a node it cannot answer. */
export function whyBox(node, roomId) {
  if (!node || !ASKABLE.has(`${node.broker}:${node.kind}`)) return null;
  const box = el("section", { className: "why-box inspector-section" });
  const about = selected ? ` ${selected.id}` : "";
  const label = node.kind === "consumer" ? `Why didn't it get${about}?`
    : node.kind === "partition" ? "Why didn't it reach this partition?"
      : `Why didn't${about || " it"} reach here?`;
  const button = el("button", { type: "button", className: "small why-ask" }, label);
  button.dataset.why = node.id;
  const key = `${node.id} ${selected?.id || ""}`;
  const answer = el("div", { className: "why-answer", role: "status" });
  answer.dataset.whyFor = key;
  const known = answers.get(key);
  if (known) drawAnswer(answer, known);
  button.addEventListener("click", () => ask(roomId, node.id, key, button));
  box.append(button, answer);
  return box;
}

function ask(roomId, nodeId, key, button) {
  const query = new URLSearchParams({ node: nodeId });
  if (selected?.id) query.set("message", selected.id);
  button.disabled = true;
  fetch(`/rooms/${encodeURIComponent(roomId)}/why/?${query}`, { headers: { Accept: "application/json" } })
    .then((response) => response.json())
    .then((reply) => {
      if (!reply.error) answers.set(key, reply);
      drawWhere(key, reply);
    })
    .catch(() => drawWhere(key, { error: "the server did not answer: try again" }))
    .finally(() => { button.disabled = false; });
}

/** Into the answer box shown now (the node pane may have been redrawn while asking). */
function drawWhere(key, reply) {
  for (const box of document.querySelectorAll(".why-answer")) {
    if (box.dataset.whyFor === key) drawAnswer(box, reply);
  }
}

function drawAnswer(box, reply) {
  if (reply.error) {
    box.replaceChildren(el("p", { className: "status error" }, reply.error));
    return;
  }
  box.replaceChildren(sentence(reply.question, "why-question", "p"), sentence(reply.answer, "why-text", "p"));
}

/** Text with `names` in backticks drawn as <code> (as text nodes: nothing is parsed as HTML). */
function sentence(text, className, tag = "span") {
  const out = el(tag, { className });
  String(text || "").split("`").forEach((part, index) => {
    if (part) out.append(index % 2 ? el("code", {}, part) : document.createTextNode(part));
  });
  return out;
}

function readJson(id) {
  const source = id && document.getElementById(id);
  return source ? JSON.parse(source.textContent) : null;
}

function shortName(nodeId) {
  return String(nodeId || "").split(":").slice(2).join(":") || "(default)";
}

function el(tag, props = {}, textContent) {
  const element = Object.assign(document.createElement(tag), props);
  if (textContent !== undefined) element.textContent = textContent;
  return element;
}
