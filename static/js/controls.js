/**
 * The command forms (htmx): the server renders them from the room's command groups, with no
 * broker knowledge here either. This module
 * - marks the field a status names as invalid, so the error sits beside the culprit;
 * - clears a declaration's form once it succeeded (`data-fresh`), so the next queue does not
 *   silently inherit the last one's TTL or length limit;
 * - after a topology change, merges the freshly rendered forms' name lists (datalists of
 *   exchanges, queues, consumers; select choices) and untouched fields' starting values
 *   (a routing key that routes, a free name) into the forms on the page, leaving what
 *   the user typed, each form's last status and the focus alone (a whole swap would lose
 *   them, and would orphan a status that is still on its way back);
 * - enables or disables the forms when control of the room changes hands.
 */

export function bindControls(root) {
  // After settling: htmx gives a swapped-in element its final attributes (the error class) then.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    const id = event.detail.target?.id;
    if (!id?.startsWith("status-")) return;
    const status = document.getElementById(id);
    markField(status);
    // A declaration's form starts afresh: its settings must not carry over unseen.
    const form = status?.closest("form[data-fresh]");
    if (form && status.classList.contains("ok")) form.reset();
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    if (elt?.id === "controls" && event.detail.successful) {
      mergeChoices(elt, event.detail.xhr.responseText);
    }
  });
  return {
    setEnabled(enabled) {
      const controls = root.querySelector("#controls");
      if (!controls) return;
      controls.querySelector("fieldset.controls-set").disabled = !enabled;
      controls.classList.toggle("watching", !enabled);
    },
  };
}

function mergeChoices(controls, html) {
  const fresh = new DOMParser().parseFromString(html, "text/html");
  for (const list of fresh.querySelectorAll("datalist[id]")) {
    document.getElementById(list.id)?.replaceChildren(...list.children);
  }
  // A field the user has not touched takes the room's new starting value (a routing key that
  // routes now, a free producer name); what they typed stays.
  for (const input of fresh.querySelectorAll("input[id]:not([type='checkbox']), textarea[id]")) {
    const mine = document.getElementById(input.id);
    if (!mine || !controls.contains(mine) || mine === document.activeElement) continue;
    if (mine.value === mine.defaultValue) mine.defaultValue = input.defaultValue;
  }
  for (const select of fresh.querySelectorAll("select[id]")) {
    const mine = document.getElementById(select.id);
    if (!mine || !controls.contains(mine)) continue;
    const value = mine.value;
    mine.replaceChildren(...select.children);
    if ([...mine.options].some((o) => o.value === value)) mine.value = value;
  }
}

function markField(status) {
  const form = status?.closest("form");
  if (!form) return;
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    input.closest(".field")?.classList.remove("invalid");
  }
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  const name = status.dataset.field;
  if (!name || !status.classList.contains("error")) return;
  const input = [...form.querySelectorAll("[name]")].find((i) => i.name === name && i.type !== "hidden");
  if (!input) return;
  const folded = input.closest("details");
  if (folded) folded.open = true;
  // The message also sits right under the culprit: the form's own status may be out of view.
  const message = document.createElement("small");
  message.className = "field-error";
  message.id = `${status.id}-field`;
  message.textContent = (status.querySelector(".status-message") || status).textContent.trim();
  input.after(message);
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", message.id);
  input.closest(".field")?.classList.add("invalid");
  input.focus();
}
