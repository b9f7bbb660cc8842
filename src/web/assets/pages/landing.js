// The landing page: live mounts as cards, updated from /events; a play button on each card
// plays the stream in the player bar at the bottom without leaving the page.

import {
  $, $$, api, decorateMount, decoratePlay, format, live, pageData, patchList, shortcut, toast,
} from "../app.js";
import { player, syncButton } from "../audio.js";
import { attachVisualiser } from "../visualiser.js";

const data = pageData.data || {};
const grid = $("[data-mounts]");
const empty = $("[data-empty]");
const count = $("[data-live-count]");
const dot = $(".onair-dot");
const bar = $("[data-player-bar]");

// mount -> its latest now-playing document; mount -> its recent plays (raw API objects)
const mounts = new Map((data.mounts || []).map((m) => [m.mount, m]));
const history = new Map(Object.entries(data.history || {}));
const historyRequests = new Map();

function cardView(m) {
  const view = decorateMount(m);
  view.history = (history.get(m.mount) || []).slice(0, 5).map((p) => decoratePlay(p));
  return view;
}

function liveMounts() {
  return Array.from(mounts.values()).filter((m) => m.live);
}

function renderCards() {
  const list = liveMounts();
  patchList(grid, list.map(cardView), "mount_card");
  empty.hidden = list.length > 0;
  count.textContent = list.length ? format.count(list.length, "stream") + " on air" : "Off air";
  dot.classList.toggle("is-live", list.length > 0);
  syncAll();
}

async function refreshHistory(mount) {
  // One request per mount at a time; titles may change faster than it answers.
  if (historyRequests.has(mount)) return;
  const path = `/api/history${mount.split("/").map(encodeURIComponent).join("/")}?limit=5`;
  const request = api("GET", path)
    .then((res) => {
      history.set(mount, (res && res.plays) || []);
      renderCards();
    })
    .catch(() => {})
    .finally(() => historyRequests.delete(mount));
  historyRequests.set(mount, request);
}

function update(feed) {
  const seen = new Set();
  for (const m of feed.mounts || []) {
    seen.add(m.mount);
    const before = mounts.get(m.mount);
    mounts.set(m.mount, m);
    if (m.live && (!before || before.title_since !== m.title_since)) refreshHistory(m.mount);
  }
  for (const key of Array.from(mounts.keys())) if (!seen.has(key)) mounts.delete(key);
  renderCards();
  updateBar();
}

// ---- player bar -----------------------------------------------------------------------------

function infoOf(mount) {
  const m = mounts.get(mount);
  const view = m ? decorateMount(m) : { display_name: mount, now_title: "", now_artist: "" };
  return { station: view.display_name, title: view.now_title, artist: view.now_artist, view };
}

function updateBar() {
  if (!player.mount) return;
  const { station, title, artist, view } = infoOf(player.mount);
  $("[data-bar-station]", bar).textContent = station;
  $("[data-bar-link]", bar).href = view.player_url || "/";
  let line = title ? (artist ? `${title} · ${artist}` : title) : "";
  if (player.state === "loading") line = "Connecting…";
  if (player.state === "error") line = "The stream is not reachable right now.";
  $("[data-bar-title]", bar).textContent = line;
  player.setInfo({ station, title, artist });
}

function syncAll() {
  for (const btn of $$("[data-action=play]", grid)) {
    btn.dataset.label = btn.closest(".mount-card")?.querySelector("h3")?.textContent.trim() || "";
    syncButton(btn, btn.dataset.mount);
    btn.closest(".mount-card")?.classList.toggle("is-current", player.active && player.mount === btn.dataset.mount);
  }
  const toggle = $("[data-action=bar-toggle]", bar);
  syncButton(toggle);
}

function showBar(show) {
  bar.hidden = !show;
  document.documentElement.style.setProperty("--player-bar-h", show ? `${bar.offsetHeight}px` : "0px");
}

function play(mount) {
  const m = mounts.get(mount);
  if (!m) return;
  const { station, title, artist, view } = infoOf(mount);
  player.toggle(mount, view.stream_url, { station, title, artist });
  showBar(true);
  updateBar();
}

grid.addEventListener("click", (e) => {
  const btn = e.target.closest("[data-action=play]");
  if (btn) play(btn.dataset.mount);
});

$("[data-action=bar-toggle]", bar).addEventListener("click", () => {
  if (player.active) player.stop();
  else if (player.mount) play(player.mount);
});

$("[data-action=bar-close]", bar).addEventListener("click", () => {
  player.stop();
  showBar(false);
});

const volume = $("[data-volume]", bar);
volume.value = String(Math.round(player.volume * 100));
volume.addEventListener("input", () => player.setVolume(Number(volume.value) / 100));
player.addEventListener("volume", () => {
  volume.value = String(Math.round((player.muted ? 0 : player.volume) * 100));
});

player.addEventListener("state", (e) => {
  syncAll();
  updateBar();
  if (e.detail.state === "error") toast("The stream could not be played. Try again in a moment.", "error");
});

attachVisualiser($("[data-bar-vis]", bar), { bars: 28, gap: 2, peaks: false });

shortcut(" ", "Play or stop", () => {
  if (player.active) player.stop();
  else if (player.mount && mounts.has(player.mount)) play(player.mount);
  else if (liveMounts().length) play(liveMounts()[0].mount);
});
shortcut("m", "Mute or unmute", () => player.toggleMute());

syncAll();
live("/events", "mounts", update);
