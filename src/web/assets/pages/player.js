// The player page of one mount: transport, volume, a large visualiser, now playing and the
// recent plays kept current from /events, listen links and the embed snippet.

import {
  $, api, decorateMount, decoratePlay, live, pageData, patchList, render, morph, shortcut, toast,
} from "../app.js";
import { player, syncButton } from "../audio.js";
import { attachVisualiser } from "../visualiser.js";

const data = pageData.data || {};
let doc = data.mount || {};
const mount = doc.mount;
let plays = data.history || [];
let fetching = false;

const root = $("[data-player]");
const toggle = $("[data-action=toggle]", root);
const mute = $("[data-action=mute]", root);
const volume = $("[data-volume]", root);
const status = $("[data-status]", root);
const hint = $("[data-vis-hint]", root);
const historyList = $("[data-history]");
const historyEmpty = $("[data-history-empty]");

function view() {
  return decorateMount(doc);
}

function info() {
  const v = view();
  return { station: v.display_name, title: v.now_title, artist: v.now_artist };
}

function renderNow() {
  const v = view();
  const now = $("[data-now]", root);
  const holder = document.createElement("div");
  holder.innerHTML = render("now_playing", v);
  const fresh = holder.firstElementChild;
  const current = now.firstElementChild;
  if (current && fresh) morph(current, fresh);
  $("[data-source-label]", root).textContent = v.source_label;
  $("[data-source-label]", root).className = `badge badge-${v.source_kind}`;
  $("[data-format]", root).textContent = v.format;
  $("[data-listeners]", root).textContent = v.listeners_label;
  $("[data-fact=format]").textContent = v.format || "—";
  $("[data-fact=listeners]").textContent = String(v.listeners);
  $("[data-fact=peak]").textContent = String(v.listener_peak);
  toggle.disabled = !v.live && !player.active;
  if (player.active) player.setInfo(info());
  syncStatus();
}

function renderHistory() {
  patchList(historyList, plays.slice(0, 10).map((p) => decoratePlay(p)), "history_item");
  historyEmpty.hidden = plays.length > 0;
}

async function refreshHistory() {
  if (fetching) return;
  fetching = true;
  try {
    const path = `/api/history${mount.split("/").map(encodeURIComponent).join("/")}?limit=10`;
    const res = await api("GET", path);
    plays = (res && res.plays) || [];
    renderHistory();
  } catch {
    /* keep what is shown */
  } finally {
    fetching = false;
  }
}

function update(feed) {
  const next = (feed.mounts || []).find((m) => m.mount === mount);
  const before = doc;
  // A mount missing from the feed went off air (or is hidden): keep its name, drop the rest.
  doc = next || { ...doc, live: false, listeners: 0, source: null, title: "", artist: "", autodj: null };
  if (doc.title_since !== before.title_since && doc.live) refreshHistory();
  renderNow();
}

function syncStatus() {
  syncButton(toggle, mount);
  const v = view();
  const text = {
    loading: "Connecting…",
    playing: "Playing",
    error: "The stream is not reachable right now",
  }[player.mount === mount ? player.state : "idle"];
  status.textContent = text || (v.live ? "" : "Off air");
  hint.hidden = player.state === "playing";
  hint.textContent = v.live ? "Press play to start the stream" : "This stream is off air right now";
}

function togglePlay() {
  if (!view().live && !player.active) return;
  player.toggle(mount, view().stream_url, info());
}

toggle.dataset.label = view().display_name;
toggle.addEventListener("click", togglePlay);
mute.addEventListener("click", () => player.toggleMute());
volume.value = String(Math.round(player.volume * 100));
volume.addEventListener("input", () => player.setVolume(Number(volume.value) / 100));

function syncVolume() {
  mute.setAttribute("aria-pressed", String(player.muted));
  mute.setAttribute("aria-label", player.muted ? "Unmute" : "Mute");
  volume.value = String(Math.round((player.muted ? 0 : player.volume) * 100));
}
player.addEventListener("volume", syncVolume);
player.addEventListener("state", (e) => {
  syncStatus();
  if (e.detail.state === "error") toast("The stream could not be played. Try again in a moment.", "error");
});

// The embed snippet with this page's real origin (the server only guessed it).
const code = $("[data-embed-code]");
if (code) {
  const url = new URL(code.dataset.embedUrl, window.location.origin).href;
  const iframe = document.createElement("iframe");
  iframe.setAttribute("src", url);
  iframe.setAttribute("title", code.dataset.embedTitle || "Radio player");
  iframe.setAttribute("width", "400");
  iframe.setAttribute("height", "96");
  iframe.setAttribute("loading", "lazy");
  code.value = iframe.outerHTML;
  $("[data-action=copy-embed]").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.value);
      toast("Embed code copied", "success");
    } catch {
      code.select();
      toast("Press Ctrl+C to copy the selected code");
    }
  });
}

attachVisualiser($("[data-vis]", root), { bars: 64, gap: 3, reflection: true });
shortcut(" ", "Play or stop", togglePlay);
shortcut("k", "Play or stop", togglePlay);
shortcut("m", "Mute or unmute", () => player.toggleMute());
shortcut("ArrowUp", "Volume up", () => player.setVolume(player.volume + 0.05));
shortcut("ArrowDown", "Volume down", () => player.setVolume(player.volume - 0.05));

syncVolume();
syncStatus();
live("/events", "mounts", update);
document.title = `${view().display_name} · ${pageData.site?.title || "TinyIce"}`;
