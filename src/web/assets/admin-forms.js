// Form dialogs and row actions shared by the studio's admin pages (mounts, listeners, users,
// security, settings, account). The API names the bad field at the start of its error
// ("name: is required"), so an error is shown next to the form and that field is marked.

import { $, $$, toast } from "./app.js";

/** The fields of a form as an API body: checkboxes as booleans, empty numbers as null. */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.type === "submit" || el.type === "button") continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "number") out[el.name] = el.value === "" ? null : Number(el.value);
    else if (el.multiple) out[el.name] = Array.from(el.selectedOptions, (o) => o.value);
    else out[el.name] = el.value;
  }
  return out;
}

/** Sets a form's fields from an object (missing keys empty the field). */
export function fillForm(form, values = {}) {
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button") continue;
    const v = values[el.name];
    if (el.type === "checkbox") el.checked = v === true;
    else if (el.multiple) for (const o of el.options) o.selected = Array.isArray(v) && v.includes(o.value);
    else el.value = v === null || v === undefined ? (el.tagName === "SELECT" ? el.options[0]?.value ?? "" : "") : String(v);
  }
}

/** Shows `message` in the form's [data-form-error] and marks the field it names. */
export function showError(form, message) {
  const box = $("[data-form-error]", form);
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
  const field = /^([a-z_]+)(?:\.[a-z_]+)?:/.exec(message)?.[1];
  const el = field && form.elements[field];
  if (el && el.focus) {
    el.setAttribute("aria-invalid", "true");
    el.focus();
  }
}

export function clearError(form) {
  const box = $("[data-form-error]", form);
  if (box) box.hidden = true;
  for (const el of $$("[aria-invalid]", form)) el.removeAttribute("aria-invalid");
}

/**
 * Calls `action(values, form)` on submit; while it runs the submit button is disabled. An
 * ApiError (or any error) is shown next to the form and as a toast; the promise `action`
 * returns decides success (the dialog around the form, if any, then closes).
 */
export function onSubmit(form, action) {
  form.addEventListener("input", (e) => e.target.removeAttribute?.("aria-invalid"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearError(form);
    const submit = $("[type=submit]", form);
    if (submit) submit.disabled = true;
    try {
      await action(formValues(form), form);
      form.closest("dialog")?.close();
    } catch (err) {
      showError(form, err.message);
      toast(err.message, "error");
    } finally {
      if (submit) submit.disabled = false;
    }
  });
}

/** Opens a <dialog> holding a form, filled with `values`; focuses its first usable field. */
export function openDialog(dlg, values) {
  const form = $("form", dlg);
  if (form) {
    if (values) fillForm(form, values);
    clearError(form);
  }
  if (!dlg.open) dlg.showModal();
  const first = $$("input, select, textarea, button", dlg).find(
    (el) => !el.disabled && !el.readOnly && el.type !== "hidden" && !el.closest("[hidden]"),
  );
  if (first) first.focus();
}

// Every dialog's [data-close] button closes it; a click on the backdrop does not (forms).
document.addEventListener("click", (e) => {
  const close = e.target.closest("dialog [data-close]");
  if (close) close.closest("dialog").close();
});

/** Delegated clicks on [data-action] inside `root`: handlers[action](button, event). */
export function actions(root, handlers) {
  root.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-action]");
    if (!btn || !root.contains(btn)) return;
    const handler = handlers[btn.dataset.action];
    if (handler) {
      e.preventDefault();
      handler(btn, e);
    }
  });
}

/** Runs an API call behind a button: disabled while it runs; errors become a toast. */
export async function busy(btn, work) {
  if (btn) btn.disabled = true;
  try {
    return await work();
  } catch (err) {
    toast(err.message, "error");
    return undefined;
  } finally {
    if (btn && btn.isConnected) btn.disabled = false;
  }
}

const pad2 = (n) => String(n).padStart(2, "0");

/** "2026-12-02 05:01 UTC" from unix ms; `none` for 0 or nothing (date_label in WebUi.cpp). */
export function dateLabel(ms, none = "—") {
  const v = Number(ms);
  if (!Number.isFinite(v) || v <= 0) return none;
  const d = new Date(v);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} UTC`;
}

export const joined = (a) => (Array.isArray(a) ? a.filter((x) => typeof x === "string").join(", ") : "");
