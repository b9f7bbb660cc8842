// The listeners page: the listeners of one mount, refreshed every 5 s and when the live
// statistics say the count changed; kick one, or (admins) move them all to another mount.

import { $, api, confirmDialog, format, live, mountPath, pageData, patchList, toast } from "../app.js";
import { actions, onSubmit } from "../admin-forms.js";

const data = pageData.data || {};
const rows = $("[data-rows]");
const empty = $("[data-empty]");
const total = $("[data-total]");
const select = $("[data-mount-select]");
const destination = $("[data-destination]");
const mounts = new Map((data.mounts || []).map((m) => [m.name, m]));
let mount = data.mount || "";
let listeners = data.listeners || [];
let count = Number(data.total) || 0;
let fetchedAt = performance.now();

/** A table row; mirrors decorate_listener in src/server/WebUi.cpp. */
function decorateListener(l) {
  const mountName = String(l.mount || "");
  const home = String(l.home || "");
  const seconds = Math.trunc(Number(l.connected_seconds) || 0);
  return {
    id: Math.trunc(Number(l.id) || 0),
    ip: String(l.ip || ""),
    user_agent: String(l.user_agent || "") || "Unknown",
    connected_seconds: seconds,
    connected_label: format.uptime(seconds),
    bytes_label: format.bytes(Number(l.bytes)),
    via: home && home !== mountName ? `asked for ${home}, fed by ${mountName}` : "",
  };
}

function draw() {
  if (!rows) return;
  patchList(rows, listeners.map(decorateListener), "listeners_row");
  empty.hidden = listeners.length > 0;
  total.textContent = format.count(count, "listener");
  tickClocks();
}

// Connected times count up between refreshes.
function tickClocks() {
  const extra = (performance.now() - fetchedAt) / 1000;
  for (const cell of rows ? rows.querySelectorAll("[data-connected]") : []) {
    const text = format.uptime(Number(cell.dataset.connected) + extra);
    if (cell.textContent !== text) cell.textContent = text;
  }
}

function drawOptions() {
  for (const opt of select ? select.options : []) {
    const m = mounts.get(opt.value);
    if (m) opt.textContent = `${m.name} (${m.listeners}${m.live ? "" : ", idle"})`;
  }
  if (!destination) return;
  const keep = destination.value;
  const others = Array.from(mounts.values()).filter((m) => m.live && m.name !== mount);
  destination.replaceChildren(
    ...others.map((m) => {
      const o = document.createElement("option");
      o.value = m.name;
      o.textContent = m.name;
      return o;
    }),
  );
  if (others.some((m) => m.name === keep)) destination.value = keep;
  const form = destination.form;
  form.hidden = others.length === 0;
}

let loading = null;
async function refresh() {
  if (!mount || loading) return loading;
  const asked = mount;
  loading = (async () => {
    try {
      const r = await api("GET", `/api/mounts${mountPath(asked)}/listeners`);
      if (asked !== mount) return;
      listeners = r.listeners || [];
      count = Number(r.total) || listeners.length;
      fetchedAt = performance.now();
      draw();
    } catch (err) {
      if (err.status === 404) toast(`${asked} no longer exists`, "error");
    } finally {
      loading = null;
    }
  })();
  return loading;
}

select?.addEventListener("change", () => {
  mount = select.value;
  const url = new URL(window.location.href);
  url.searchParams.set("mount", mount);
  history.replaceState(null, "", url);
  listeners = [];
  draw();
  drawOptions();
  refresh();
});

if (rows) {
  actions(rows, {
    kick: async (btn) => {
      const id = Number(btn.closest("[data-listener-id]").dataset.listenerId);
      const l = listeners.find((x) => x.id === id);
      const ok = await confirmDialog({
        title: `Kick listener ${id}?`,
        message: `${l ? l.ip : "The listener"} is disconnected from ${mount}. Their player may reconnect.`,
        confirm: "Kick",
        danger: true,
      });
      if (!ok) return;
      try {
        await api("DELETE", `/api/mounts${mountPath(mount)}/listeners/${id}`);
        toast(`Listener ${id} disconnected`, "success");
      } catch (err) {
        if (err.status !== 404) {
          toast(err.message, "error");
          return;
        }
        toast(`Listener ${id} had already left`, "info");
      }
      listeners = listeners.filter((x) => x.id !== id);
      count = Math.max(0, count - 1);
      draw();
    },
  });
}

const moveForm = $("[data-form=move]");
if (moveForm) {
  onSubmit(moveForm, async ({ destination: to }) => {
    if (!to) throw new Error("destination: no other live mount to move to");
    const ok = await confirmDialog({
      title: `Move every listener of ${mount} to ${to}?`,
      message: "They keep listening without reconnecting and stay on the new mount.",
      confirm: "Move all",
    });
    if (!ok) return;
    const r = await api("POST", `/api/mounts${mountPath(mount)}/listeners/move`, { destination: to });
    toast(`${format.count(r?.moved ?? 0, "listener")} moved to ${to}`, "success");
    await refresh();
  });
}

live("/admin/events", "stats", (feed) => {
  let changed = false;
  for (const m of feed.mounts || []) {
    const known = mounts.get(m.mount);
    if (!known) continue;
    if (m.mount === mount && m.listeners !== count) changed = true;
    if (known.listeners !== m.listeners || known.live !== (m.live === true)) {
      known.listeners = m.listeners;
      known.live = m.live === true;
      drawOptions();
    }
  }
  if (changed) refresh();
});

drawOptions();
setInterval(() => {
  if (!document.hidden) refresh();
}, 5000);
setInterval(tickClocks, 1000);
