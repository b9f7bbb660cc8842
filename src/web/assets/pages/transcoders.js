// Transcoders: list with state and outputs, start/stop, create, edit and delete (those from the
// config file can only be started and stopped). Status is polled while the page is visible.

import { $, api, confirmDialog, pageData, patchList, toast } from "../app.js";
import { formDialog } from "./studio.js";

const rows = $("[data-transcoders]");
let docs = pageData.data?.transcoders || [];
const fail = (err) => toast(err.message, "error");

// Mirrors transcoder_view() in WebUi.cpp.
function view(t) {
  const cfg = t.config || {};
  const st = t.status || {};
  const enabled = cfg.enabled !== false;
  const state = !st.running ? (enabled ? "stopped" : "disabled") : st.input_live ? "on_air" : "waiting";
  const labels = { on_air: "Transcoding", waiting: "Waiting for input", disabled: "Disabled", stopped: "Stopped" };
  return {
    name: t.name,
    from_config: t.defined_in === "config",
    input: cfg.input || "",
    state,
    state_label: labels[state],
    running: st.running === true,
    outputs: (st.outputs || []).map((o) => ({
      mount: o.mount,
      format: `${String(o.format || "").toUpperCase()}${o.bitrate > 0 ? ` · ${Math.round(o.bitrate)} kbps` : ""}`,
      on_air: o.on_air === true,
      listeners: Math.trunc(+o.listeners || 0),
      error: o.error || "",
    })),
    error: st.error || "",
    decode_errors: Math.trunc(+st.decode_errors || 0),
  };
}

function show() {
  patchList(rows, docs.map(view), "transcoders_row");
  $("[data-transcoders-empty]").hidden = docs.length > 0;
}

async function reload() {
  try {
    docs = (await api("GET", "/api/transcoders")).transcoders || [];
    show();
  } catch (err) {
    fail(err);
  }
}

function edit(t) {
  const c = t?.config || { format: "mp3", bitrate: 128, sample_rate: 0, channels: 2, enabled: true };
  return formDialog({
    title: t ? `Edit ${t.name}` : "New transcoder",
    confirm: t ? "Save" : "Create",
    fields: [
      { name: "name", label: "Name", value: c.name, disabled: Boolean(t), hint: "Letters, digits, - _ and ." },
      { name: "input", label: "Input mount", value: c.input, placeholder: "/live" },
      { name: "output", label: "Output mount", value: c.output, placeholder: "/live.mp3", hint: "With a ladder: the prefix of /NAME-BITRATE (empty = the input's name)" },
      { name: "format", label: "Format", options: ["mp3", "opus", "vorbis", "aac"], value: c.format },
      { name: "bitrate", label: "Bitrate (kbit/s)", type: "number", value: c.bitrate },
      { name: "ladder", label: "Ladder (kbit/s)", kind: "list", value: (c.ladder || []).join(", "), placeholder: "64, 128, 192", hint: "One output per bitrate; leave empty for a single output" },
      { name: "sample_rate", label: "Sample rate (0 = default)", type: "number", value: c.sample_rate },
      { name: "channels", label: "Channels", type: "number", value: c.channels },
      { name: "stream_name", label: "Stream name", value: c.stream_name, hint: "Empty = the input's name" },
      { name: "enabled", label: "Enabled", type: "checkbox", value: c.enabled !== false },
    ],
    submit: async (v) => {
      if (t) await api("PUT", `/api/transcoders/${t.name}`, { ...v, name: t.name });
      else await api("POST", "/api/transcoders", v);
      toast(t ? `${t.name} saved` : `Transcoder ${v.name} created`, "success");
      await reload();
    },
  });
}

rows.addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-action]");
  const t = docs.find((d) => d.name === b?.closest("tr")?.dataset.name);
  if (!b || !t) return;
  const action = b.dataset.action;
  if (action === "edit") return edit(t);
  if (action === "delete" && !(await confirmDialog({ title: `Delete ${t.name}?`, message: "Its outputs go off air and the definition is removed.", confirm: "Delete", danger: true }))) return;
  b.disabled = true;
  try {
    if (action === "delete") await api("DELETE", `/api/transcoders/${t.name}`);
    else await api("POST", `/api/transcoders/${t.name}/${action}`);
    toast(`${t.name}: ${action === "delete" ? "deleted" : action === "start" ? "started" : "stopped"}`, "success");
  } catch (err) {
    fail(err);
  }
  b.disabled = false;
  await reload();
});
$("[data-action=create]").addEventListener("click", () => edit(null));
setInterval(() => document.visibilityState === "visible" && !document.querySelector("dialog[open]") && reload(), 5000);
