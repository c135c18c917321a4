/**
 * The command forms (htmx): the server renders them from the room's command groups, with no
 * broker knowledge here either. This module
 * - marks the field a status names as invalid, so the error sits beside the culprit;
 * - keeps what the user typed, and each form's last status, when the forms are re-fetched
 *   after a topology change (names in the choices change, the user's typing must not);
 * - enables or disables the forms when control of the room changes hands.
 */

export function bindControls(root) {
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target?.id?.startsWith("status-")) markField(document.getElementById(target.id));
  });
  let saved = null;
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target?.id === "controls") saved = saveForms(event.detail.target);
  });
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (saved && event.detail.target?.id === "controls") {
      restoreForms(document.getElementById("controls"), saved);
      saved = null;
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

function markField(status) {
  const form = status?.closest("form");
  if (!form) return;
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.closest(".field")?.classList.remove("invalid");
  }
  const name = status.dataset.field;
  if (!name || !status.classList.contains("error")) return;
  const input = [...form.querySelectorAll("[name]")].find((i) => i.name === name && i.type !== "hidden");
  if (!input) return;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-errormessage", status.id);
  input.closest(".field")?.classList.add("invalid");
}

function saveForms(controls) {
  const forms = {};
  for (const form of controls.querySelectorAll("form[data-command]")) {
    const values = {};
    for (const input of form.querySelectorAll("[name]")) {
      if (input.type === "hidden") continue;
      values[input.name] = input.type === "checkbox" ? input.checked : input.value;
    }
    const status = form.querySelector(".status");
    forms[form.dataset.command] = { values, status: status?.outerHTML, open: openGroups(controls) };
  }
  const focused = document.activeElement;
  const focus = focused?.name && controls.contains(focused)
    ? { command: focused.form?.dataset.command, name: focused.name } : null;
  return { forms, focus };
}

function openGroups(controls) {
  return [...controls.querySelectorAll("details[data-group]")]
    .filter((d) => d.open).map((d) => d.dataset.group);
}

function restoreForms(controls, saved) {
  for (const form of controls.querySelectorAll("form[data-command]")) {
    const old = saved.forms[form.dataset.command];
    if (!old) continue;
    for (const input of form.querySelectorAll("[name]")) {
      if (!(input.name in old.values) || input.type === "hidden") continue;
      if (input.type === "checkbox") input.checked = old.values[input.name];
      else if (input.tagName === "SELECT" && ![...input.options].some((o) => o.value === old.values[input.name])) continue;
      else input.value = old.values[input.name];
    }
    const status = form.querySelector(".status");
    if (status && old.status) {
      status.outerHTML = old.status;
      markField(form.querySelector(".status"));
    }
  }
  const open = Object.values(saved.forms)[0]?.open;
  if (open) {
    for (const d of controls.querySelectorAll("details[data-group]")) d.open = open.includes(d.dataset.group);
  }
  if (saved.focus) {
    const form = controls.querySelector(`form[data-command="${saved.focus.command}"]`);
    form?.querySelector(`[name="${saved.focus.name}"]:not([type=hidden])`)?.focus();
  }
}
