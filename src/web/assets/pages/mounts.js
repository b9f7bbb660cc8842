// The mounts page: every mount with its state and settings; admins create, edit, set
// passwords and delete; anyone may kick the source of a mount they manage. Listener counts and
// states follow /admin/events.

import { $, api, confirmDialog, format, live, mountPath, pageData, patchList, streamFormat, toast } from "../app.js";
import { actions, onSubmit, openDialog } from "../admin-forms.js";

const rows = $("[data-rows]");
const empty = $("[data-empty]");
const docs = new Map(((pageData.data || {}).mounts || []).map((m) => [m.name, m]));

const ORIGINS = { autodj: "AutoDJ", transcoder: "Transcoder", live: "Encoder", "": "Encoder" };
const DEFINED = {
  config: "config file",
  api: "studio",
  "config+api": "config file, changed here",
};

/** A row of the table; mirrors decorate_admin_mount in src/server/WebUi.cpp. */
function decorateAdminMount(doc) {
  const s = doc.settings || {};
  const src = doc.source && typeof doc.source === "object" ? doc.source : null;
  const name = String(doc.name || "");
  const isLive = doc.live === true;
  const origin = src ? String(src.origin || "") : "";
  const defined = String(doc.defined_in || "");
  return {
    name,
    live: isLive,
    state_label: isLive ? "Live" : "Idle",
    origin_label: isLive ? ORIGINS[origin] || origin.charAt(0).toUpperCase() + origin.slice(1) : "",
    format: src ? streamFormat(src.content_type, "", Number(src.bitrate)) : "",
    source_ip: src ? String(src.ip || "") : "",
    listeners: Math.trunc(Number(doc.listeners) || 0),
    listener_peak: Math.trunc(Number(doc.listener_peak) || 0),
    max_label: Number.isFinite(s.max_listeners) ? `max ${s.max_listeners}` : "unlimited",
    buffer_label: `burst ${format.bytes(Number(s.burst_size))} · queue ${format.bytes(Number(s.queue_size))}`,
    fallback: String(s.fallback || ""),
    fallback_override: s.fallback_override === true,
    hidden: s.hidden === true,
    stream_name: String(s.stream_name || ""),
    title: String(doc.title || ""),
    pending: doc.pending === true,
    has_password: s.has_password === true,
    defined: defined !== "",
    defined_label: DEFINED[defined] || "not defined (default password)",
    deletable: defined === "api" || defined === "config+api",
    delete_label: defined === "config+api" ? "Revert" : "Delete",
    owners: Array.isArray(doc.owners) ? doc.owners.join(", ") : "",
    player_url: `/player${mountPath(name)}`,
    listeners_url: `/admin/listeners?mount=${mountPath(name)}`,
  };
}

function draw() {
  const list = Array.from(docs.values()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  patchList(rows, list.map(decorateAdminMount), "mounts_row");
  empty.hidden = list.length > 0;
  const names = $("#mount-names");
  if (names) {
    names.replaceChildren(
      ...list.map((m) => {
        const o = document.createElement("option");
        o.value = m.name;
        return o;
      }),
    );
  }
}

const apiPath = (name) => `/api/mounts${mountPath(name)}`;
const nameOf = (btn) => btn.closest("[data-mount-row]").dataset.mountRow;

// ---- create and edit ---------------------------------------------------------------------

const dlg = $("[data-dialog=mount]");
const form = dlg && $("form", dlg);
let editing = null; // the mount document being edited; null = a new mount
let initial = {}; // the form's values when opened, to send only what changed

// The editable fields of a mount document, named like the API (and the form's inputs).
function fieldsOf(doc) {
  const s = doc.settings || {};
  const out = { name: doc.name, password: "" };
  for (const k of ["username", "max_listeners", "burst_size", "queue_size", "flush_interval_ms", "metaint", "fallback", "fallback_override", "hidden", "stream_name", "charset"]) {
    out[k] = s[k] ?? null;
  }
  return out;
}

function openMountForm(doc, define = false) {
  editing = define ? null : doc;
  const title = $("[data-dialog-title]", form);
  title.textContent = doc ? (define ? `Define ${doc.name}` : `Edit ${doc.name}`) : "New mount";
  $("[data-submit]", form).textContent = editing ? "Save changes" : "Create mount";
  form.elements.name.readOnly = Boolean(doc);
  $("[data-create-only]", form).hidden = Boolean(editing);
  form.elements.password.disabled = Boolean(editing);
  // A new definition starts from the server's defaults (a mount being defined: just its name).
  initial = editing ? fieldsOf(doc) : { name: doc ? doc.name : "/", hidden: false, fallback_override: true };
  openDialog(dlg, initial);
  if (editing) form.elements.stream_name.focus();
}

if (form) {
  onSubmit(form, async (values) => {
    if (!editing) {
      const body = {};
      for (const [k, v] of Object.entries(values)) {
        // Empty fields are left to the server's defaults.
        if (v !== null && v !== "" && !(k === "name" && v === "/")) body[k] = v;
      }
      if (!body.name) throw new Error("name: enter the mount's path, e.g. /show");
      if (!body.name.startsWith("/")) body.name = `/${body.name}`;
      const doc = await api("POST", "/api/mounts", body);
      docs.set(doc.name, doc);
      toast(`Mount ${doc.name} created`, "success");
    } else {
      const body = {};
      for (const [k, v] of Object.entries(values)) {
        if (k === "name" || k === "password") continue;
        const was = initial[k] ?? (typeof v === "boolean" ? false : null);
        const now = v === "" && typeof was !== "string" ? null : v;
        if (now !== was && !(now === "" && was === null)) body[k] = now;
      }
      if (Object.keys(body).length === 0) return;
      const doc = await api("PATCH", apiPath(editing.name), body);
      docs.set(doc.name, doc);
      toast(doc.pending ? `${doc.name} saved; buffer changes apply when it is idle` : `${doc.name} saved`, "success");
    }
    draw();
  });
}

// ---- password ----------------------------------------------------------------------------

const pwDlg = $("[data-dialog=mount-password]");
const pwForm = pwDlg && $("form", pwDlg);
let pwMount = "";
if (pwForm) {
  onSubmit(pwForm, async ({ password }) => {
    const doc = await api("PATCH", apiPath(pwMount), { password });
    docs.set(doc.name, doc);
    toast(password ? `New source password for ${pwMount}` : `${pwMount} now uses the default source password`, "success");
    draw();
  });
}

// ---- row actions -------------------------------------------------------------------------

actions(document.querySelector("main"), {
  "mount-new": () => openMountForm(null),
  "mount-edit": (btn) => openMountForm(docs.get(nameOf(btn))),
  "mount-define": (btn) => openMountForm(docs.get(nameOf(btn)), true),
  "mount-password": (btn) => {
    pwMount = nameOf(btn);
    $("[data-mount-name]", pwDlg).textContent = pwMount;
    openDialog(pwDlg, { password: "" });
  },
  "mount-kick": async (btn) => {
    const name = nameOf(btn);
    const ok = await confirmDialog({
      title: `Kick the source of ${name}?`,
      message: "The encoder is disconnected; its listeners move to the fallback mount, if there is a live one.",
      confirm: "Kick source",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("POST", `${apiPath(name)}/kick`);
      toast(`Source of ${name} disconnected`, "success");
      const doc = docs.get(name);
      if (doc) docs.set(name, { ...doc, live: false, source: null });
      draw();
    } catch (err) {
      toast(err.message, "error");
    }
  },
  "mount-delete": async (btn) => {
    const name = nameOf(btn);
    const doc = docs.get(name) || {};
    const revert = doc.defined_in === "config+api";
    const ok = await confirmDialog({
      title: revert ? `Revert ${name} to the config file?` : `Delete ${name}?`,
      message: revert
        ? "The changes made here are dropped and the mount uses its definition from the config file again."
        : `The mount is deleted${doc.live ? "; its source is disconnected first" : ""}. This cannot be undone.`,
      confirm: revert ? "Revert" : "Delete",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", apiPath(name));
      if (revert) docs.set(name, await api("GET", apiPath(name)));
      else docs.delete(name);
      toast(revert ? `${name} reverted` : `${name} deleted`, "success");
      draw();
    } catch (err) {
      toast(err.message, "error");
    }
  },
});

// ---- live updates ------------------------------------------------------------------------

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const { mounts } = await api("GET", "/api/mounts");
    docs.clear();
    for (const m of mounts) docs.set(m.name, m);
    draw();
  } catch {
    // The next event tries again.
  } finally {
    refreshing = false;
  }
}

const unlisted = new Set(); // feed mounts the API did not list (asked once, not every second)

live("/admin/events", "stats", (feed) => {
  if (!Array.isArray(feed.mounts)) return;
  let changedSet = false;
  for (const m of feed.mounts) {
    const doc = docs.get(m.mount);
    // A new mount or a source that came or went: the full document has more to show.
    if (!doc) {
      if (!unlisted.has(m.mount)) changedSet = true;
      unlisted.add(m.mount);
    } else if (doc.live !== (m.live === true)) {
      changedSet = true;
    } else {
      doc.listeners = m.listeners;
    }
  }
  if (changedSet) refresh();
  else draw();
});
