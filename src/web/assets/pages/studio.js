// Helpers shared by the studio pages (AutoDJ, transcoders): a form in a dialog that stays open
// with the API's error until the request succeeds or the user cancels.

import { dialog, toast } from "../app.js";

let fieldId = 0;

function field(f) {
  const wrap = document.createElement("div");
  wrap.className = f.type === "checkbox" ? "field field-check" : "field";
  const id = `sf-${++fieldId}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = f.label;
  let input;
  if (f.options) {
    input = document.createElement("select");
    for (const o of f.options) input.append(new Option(o, o, false, String(f.value) === o));
  } else {
    input = document.createElement("input");
    input.type = f.type || "text";
    if (input.type === "checkbox") input.checked = f.value === true;
    else input.value = f.value ?? "";
    if (f.placeholder) input.placeholder = f.placeholder;
  }
  input.id = id;
  input.name = f.name;
  input.dataset.kind = f.kind || f.type || "text";
  if (f.disabled) input.disabled = true;
  wrap.append(...(input.type === "checkbox" ? [input, label] : [label, input]));
  if (f.hint) {
    const hint = document.createElement("p");
    hint.className = "field-hint muted";
    hint.textContent = f.hint;
    wrap.append(hint);
  }
  return wrap;
}

function values(form) {
  const out = {};
  for (const el of form.querySelectorAll("input, select")) {
    if (el.disabled) continue;
    const kind = el.dataset.kind;
    const text = el.value.trim();
    if (kind === "checkbox") out[el.name] = el.checked;
    else if (kind === "number") {
      if (text !== "") out[el.name] = Number(text);
    } else if (kind === "list") {
      out[el.name] = text ? text.split(/[\s,]+/).filter(Boolean).map(Number) : [];
    } else out[el.name] = text;
  }
  return out;
}

/**
 * Shows `fields` ({name, label, type, value, options, hint, kind: "number"|"list"}) in a dialog
 * and calls `submit(values)` when confirmed; on an error the dialog opens again with the API's
 * message. Resolves to submit's result, or null when cancelled.
 */
export async function formDialog({ title, fields, confirm = "Save", submit }) {
  const form = document.createElement("div");
  form.className = "form-grid";
  const error = document.createElement("p");
  error.className = "alert alert-error";
  error.setAttribute("role", "alert");
  error.hidden = true;
  form.append(error, ...fields.map(field));
  for (;;) {
    const ok = await dialog({
      title,
      body: form,
      buttons: [
        { label: "Cancel", value: false, className: "btn-ghost" },
        { label: confirm, value: true },
      ],
    });
    if (!ok) return null;
    try {
      return await submit(values(form));
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      toast(err.message, "error");
    }
  }
}
