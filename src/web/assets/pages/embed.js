// The embeddable widget (/embed/MOUNT, shown in an <iframe> on other sites): play/stop, the
// title kept current from /events, and a small visualiser.

import { $, decorateMount, live, pageData } from "../app.js";
import { player, syncButton } from "../audio.js";
import { attachVisualiser } from "../visualiser.js";

let doc = (pageData.data || {}).mount || {};
const mount = doc.mount;
const root = $("[data-player]");
const toggle = $("[data-action=toggle]", root);
const title = $("[data-now-title]", root);
const badge = $("[data-source-label]", root);

function show() {
  const v = decorateMount(doc);
  let line = v.has_title ? v.now_title + (v.now_artist ? ` · ${v.now_artist}` : "") : v.live ? "On air" : "Off air";
  if (player.mount === mount && player.state === "loading") line = "Connecting…";
  if (player.mount === mount && player.state === "error") line = "Stream unavailable";
  title.textContent = line;
  title.title = line;
  badge.textContent = v.source_label;
  badge.className = `badge badge-${v.source_kind}`;
  toggle.disabled = !v.live && !player.active;
  toggle.dataset.label = v.display_name;
  syncButton(toggle, mount);
  if (player.active) player.setInfo({ station: v.display_name, title: v.now_title, artist: v.now_artist });
}

toggle.addEventListener("click", () => {
  const v = decorateMount(doc);
  player.toggle(mount, v.stream_url, { station: v.display_name, title: v.now_title, artist: v.now_artist });
});
player.addEventListener("state", show);

live("/events", "mounts", (feed) => {
  doc = (feed.mounts || []).find((m) => m.mount === mount) || { ...doc, live: false, title: "", artist: "", autodj: null };
  show();
});
attachVisualiser($("[data-vis]", root), { bars: 16, gap: 2, peaks: false });
show();
