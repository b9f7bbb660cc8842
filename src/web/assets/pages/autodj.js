// AutoDJ: the stations (/admin/autodj) and one station's studio (/admin/autodj/NAME): transport,
// library browser, playlist (reordered by drag and drop or Alt+arrow keys) and up-next queue.
// Kept current from /admin/events; the playlist is fetched again when its version changes.

import { $, $$, api, confirmDialog, decorateStation, format, live, pageData, patchList, morph, renderElement, shortcut, toast } from "../app.js";
import { formDialog } from "./studio.js";

const data = pageData.data || {};
const fail = (err) => toast(err.message, "error");
const ROWS_SHOWN = 1000; // as autodj_rows_shown in WebUi.cpp

// ---- view models (mirror autodj_entry / autodj_station_view in WebUi.cpp) --------------------

function entryView(e, currentId = 0, index = 0) {
  const path = String(e.file || "");
  const title = String(e.title || "") || path.split("/").pop();
  const artist = String(e.artist || "");
  const id = Number(e.id) || 0;
  const d = Number(e.duration);
  return {
    id, index, number: index + 1, path, title, artist,
    display: artist ? `${artist} - ${title}` : title,
    duration_label: d > 0 ? format.clock(d) : "",
    current: id !== 0 && id === currentId,
    missing: e.missing === true,
  };
}

function stationView(doc) {
  const v = decorateStation(doc);
  v.studio_url = `/admin/autodj/${v.name}`;
  v.running = doc.running === true;
  return v;
}

// ---- the list of stations --------------------------------------------------------------------

function initList() {
  const grid = $("[data-stations]");
  const empty = $("[data-stations-empty]");
  let docs = data.stations || [];
  const mounts = new Map(docs.map((d) => [d.station, d.mount]));
  const show = () => {
    patchList(grid, docs.map(stationView), "autodj_station");
    if (empty) empty.hidden = docs.length > 0;
  };
  const reload = async () => {
    const r = await api("GET", "/api/autodj");
    docs = (r.stations || []).map((s) => ({ ...(s.now_playing || {}), station: s.name, mount: s.mount }));
    docs.forEach((d) => mounts.set(d.station, d.mount));
    show();
  };
  grid.addEventListener("click", async (e) => {
    const b = e.target.closest("[data-action=start], [data-action=stop]");
    if (!b) return;
    b.disabled = true;
    try {
      await api("POST", `/api/autodj/${b.dataset.name}/${b.dataset.action}`);
      toast(`${b.dataset.name} ${b.dataset.action === "start" ? "started" : "stopped"}`, "success");
      await reload();
    } catch (err) {
      fail(err);
    } finally {
      b.disabled = false;
    }
  });
  $("[data-action=create]")?.addEventListener("click", () =>
    formDialog({
      title: "New station",
      confirm: "Create",
      fields: [
        { name: "name", label: "Name", hint: "Letters, digits, - _ and . (used in URLs)" },
        { name: "mount", label: "Mount", placeholder: "/autodj" },
        { name: "music_dir", label: "Music folder", placeholder: "/srv/music", hint: "A folder on the server, scanned recursively" },
        { name: "format", label: "Format", options: ["mp3", "opus", "vorbis", "aac"], value: "mp3" },
        { name: "bitrate", label: "Bitrate (kbit/s)", type: "number", value: 128 },
        { name: "crossfade", label: "Crossfade (seconds)", type: "number", value: 0 },
        { name: "shuffle", label: "Shuffle", type: "checkbox", value: false },
        { name: "loop", label: "Loop the playlist", type: "checkbox", value: true },
        { name: "enabled", label: "Start now", type: "checkbox", value: true },
      ],
      submit: async (v) => {
        await api("POST", "/api/autodj", v);
        toast(`Station ${v.name} created`, "success");
        await reload();
      },
    }),
  );
  live("/admin/events", "stats", (feed) => {
    if (!Array.isArray(feed.stations)) return;
    const byName = new Map(feed.stations.map((s) => [s.station, s]));
    docs = docs.map((d) => ({ ...d, ...(byName.get(d.station) || {}), mount: d.mount || mounts.get(d.station) }));
    show();
  });
}

// ---- one station's studio --------------------------------------------------------------------

function initStudio() {
  const name = data.name;
  const base = `/api/autodj/${name}`;
  let station = data.station || {};
  let playlist = data.playlist || { version: 0, entries: [] };
  let queue = data.queue || { entries: [] };
  let libPath = "";
  const list = $("[data-playlist]");
  const queueList = $("[data-queue]");
  const lib = $("[data-library]");
  const currentId = () => Number(station.track?.id) || 0;

  // -- transport
  function renderNow() {
    const view = decorateStation(station);
    const now = $("[data-now]");
    const fresh = renderElement("autodj_now", view);
    if (now.firstElementChild) morph(now.firstElementChild, fresh);
    else now.append(fresh);
    const playing = station.running === true && station.state === "playing";
    const toggle = $("[data-player=toggle]");
    toggle.classList.toggle("is-playing", playing);
    toggle.setAttribute("aria-label", playing ? "Pause" : "Play");
    for (const b of $$("[data-mode]")) b.setAttribute("aria-pressed", String(station.modes?.[b.dataset.mode] === true));
    for (const input of $$("[data-option]")) {
      const key = input.dataset.option;
      if (document.activeElement !== input && Number.isFinite(station[key])) {
        input.value = String(station[key]);
        showOption(input);
      }
    }
    const power = $("[data-action=station-power]");
    power.dataset.running = station.running ? "1" : "";
    power.textContent = station.running ? "Stop station" : "Start station";
  }
  function showOption(input) {
    $(`[data-option-label=${input.dataset.option}]`).textContent =
      input.dataset.option === "volume" ? `${input.value}%` : `${input.value} s`;
  }
  const merge = (doc) => {
    if (doc && typeof doc === "object") station = { ...station, ...doc };
    renderNow();
  };
  async function player(action, body) {
    try {
      merge(await api("POST", `${base}/player/${action}`, body));
    } catch (err) {
      fail(err);
    }
  }
  async function setOptions(body) {
    try {
      merge(await api("PUT", `${base}/options`, body));
    } catch (err) {
      fail(err);
      renderNow();
    }
  }
  $(".dj-transport").addEventListener("click", async (e) => {
    const p = e.target.closest("[data-player]");
    const m = e.target.closest("[data-mode]");
    const power = e.target.closest("[data-action=station-power]");
    if (p) player(p.dataset.player);
    if (m) setOptions({ [m.dataset.mode]: m.getAttribute("aria-pressed") !== "true" });
    if (power) {
      const running = power.dataset.running === "1";
      if (running && !(await confirmDialog({ title: `Stop ${name}?`, message: "The station releases its mount; listeners move to its fallback, if any.", confirm: "Stop station", danger: true }))) return;
      try {
        await api("POST", `${base}/${running ? "stop" : "start"}`);
        const doc = await api("GET", base);
        merge(doc.now_playing);
      } catch (err) {
        fail(err);
      }
    }
  });
  for (const input of $$("[data-option]")) {
    input.addEventListener("input", () => showOption(input));
    input.addEventListener("change", () => setOptions({ [input.dataset.option]: Number(input.value) }));
  }
  shortcut(" ", "Play or pause the station", () => player("toggle"));
  shortcut("n", "Next track", () => player("next"));
  shortcut("p", "Previous track", () => player("previous"));

  // -- playlist
  function renderPlaylist() {
    const focused = document.activeElement?.closest?.("[data-playlist-item]")?.dataset.id;
    const entries = playlist.entries || [];
    const views = entries.slice(0, ROWS_SHOWN).map((e, i) => entryView(e, currentId(), i));
    patchList(list, views, "autodj_entry");
    $("[data-playlist-count]").textContent = format.count(entries.length, "track");
    $("[data-playlist-empty]").hidden = entries.length > 0;
    const more = $("[data-playlist-more]");
    more.hidden = entries.length <= ROWS_SHOWN;
    more.textContent = `${entries.length - ROWS_SHOWN} more not shown`;
    if (focused) list.querySelector(`[data-id="${focused}"]`)?.focus();
  }
  // One request at a time; a refresh asked for meanwhile runs once the current one is done, so
  // the last answer shown is never older than the last change.
  let fetching = null;
  let again = false;
  async function refreshPlaylist() {
    if (fetching) {
      again = true;
      return fetching;
    }
    fetching = (async () => {
      do {
        again = false;
        try {
          playlist = await api("GET", `${base}/playlist`);
          renderPlaylist();
        } catch (err) {
          fail(err);
        }
      } while (again);
      fetching = null;
    })();
    return fetching;
  }
  async function change(method, path, body, done) {
    try {
      const r = await api(method, `${base}${path}`, body);
      if (done) toast(typeof done === "function" ? done(r) : done, "success");
    } catch (err) {
      fail(err);
    }
    await refreshPlaylist();
  }
  async function move(id, to) {
    const entries = playlist.entries || [];
    const from = entries.findIndex((e) => String(e.id) === String(id));
    if (from < 0 || to < 0 || to >= entries.length || from === to) return;
    // Show the new order at once; the server's answer follows.
    const [moved] = entries.splice(from, 1);
    entries.splice(to, 0, moved);
    renderPlaylist();
    await change("POST", "/playlist/move", { id: Number(id), to });
  }
  list.addEventListener("click", async (e) => {
    const row = e.target.closest("[data-playlist-item]");
    const action = e.target.closest("[data-action]")?.dataset.action;
    if (!row || !action) return;
    if (action === "jump") player("jump", { id: Number(row.dataset.id) });
    if (action === "remove") change("DELETE", `/playlist/${row.dataset.id}`);
  });
  list.addEventListener("keydown", (e) => {
    const row = e.target.closest("[data-playlist-item]");
    if (!row || e.target !== row) return;
    const index = Number(row.dataset.index);
    if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      move(row.dataset.id, index + (e.key === "ArrowUp" ? -1 : 1));
    } else if (!e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      (e.key === "ArrowUp" ? row.previousElementSibling : row.nextElementSibling)?.focus();
    } else if (e.key === "Enter") {
      player("jump", { id: Number(row.dataset.id) });
    } else if (e.key === "Delete") {
      row.nextElementSibling?.focus();
      change("DELETE", `/playlist/${row.dataset.id}`);
    }
  });
  let dragId = null;
  const clearDrop = () => $$(".is-drop-target, .is-dragging", list).forEach((el) => el.classList.remove("is-drop-target", "is-dragging"));
  list.addEventListener("dragstart", (e) => {
    const row = e.target.closest?.("[data-playlist-item]");
    if (!row) return;
    dragId = row.dataset.id;
    row.classList.add("is-dragging");
    if (e.dataTransfer) {
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", dragId);
    }
  });
  list.addEventListener("dragover", (e) => {
    const row = e.target.closest?.("[data-playlist-item]");
    if (!row || dragId === null) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
    if (!row.classList.contains("is-drop-target")) {
      $$(".is-drop-target", list).forEach((el) => el.classList.remove("is-drop-target"));
      row.classList.add("is-drop-target");
    }
  });
  list.addEventListener("drop", (e) => {
    const row = e.target.closest?.("[data-playlist-item]");
    const id = dragId ?? e.dataTransfer?.getData("text/plain");
    e.preventDefault();
    clearDrop();
    dragId = null;
    if (row && id) move(id, Number(row.dataset.index));
  });
  list.addEventListener("dragend", () => {
    clearDrop();
    dragId = null;
  });
  $(".dj-playlist .dj-tools").addEventListener("click", async (e) => {
    const action = e.target.closest("button[data-action]")?.dataset.action;
    if (action === "shuffle-playlist") change("POST", "/playlist/shuffle", undefined, "Playlist shuffled");
    if (action === "clear" && (await confirmDialog({ title: "Clear the playlist?", message: "Every entry is removed; the library is not touched.", confirm: "Clear", danger: true })))
      change("POST", "/playlist/clear", undefined, "Playlist cleared");
  });
  $("[data-action=import]").addEventListener("change", async (e) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    if (file.size > 16 * 1024 * 1024) return toast("The playlist file is larger than 16 MiB", "error");
    change("POST", "/playlist/import", await file.text(), (r) => `Imported ${format.count(r.added, "track")}${r.skipped ? `, ${r.skipped} skipped (not in the library)` : ""}`);
  });

  // -- up next
  function renderQueue() {
    const entries = queue.entries || [];
    patchList(queueList, entries.map((e, i) => entryView(e, 0, i)), "autodj_queue_item");
    $("[data-queue-empty]").hidden = entries.length > 0;
  }
  async function refreshQueue() {
    try {
      queue = await api("GET", `${base}/queue`);
      renderQueue();
    } catch (err) {
      fail(err);
    }
  }
  async function queueChange(method, path, body) {
    try {
      await api(method, `${base}/queue${path}`, body);
    } catch (err) {
      fail(err);
    }
    await refreshQueue();
  }
  queueList.addEventListener("click", (e) => {
    const row = e.target.closest("[data-queue-item]");
    const action = e.target.closest("[data-action]")?.dataset.action;
    if (!row || !action) return;
    const i = Number(row.dataset.index);
    if (action === "queue-remove") queueChange("DELETE", `/${i}`);
    const to = action === "queue-up" ? i - 1 : i + 1;
    if ((action === "queue-up" || action === "queue-down") && to >= 0 && to < queueList.children.length)
      queueChange("POST", "/move", { from: i, to });
  });
  $("[data-action=queue-clear]").addEventListener("click", () => queueChange("POST", "/clear"));

  // -- library
  const crumbs = $("[data-crumbs]");
  const search = $("[data-search]");
  function renderLibrary(folders, tracks, label) {
    const items = folders.map((p) => ({ folder: true, key: `d:${p}`, path: p, title: p.split("/").pop() }));
    tracks.slice(0, ROWS_SHOWN).forEach((t, i) => items.push({ ...entryView(t, 0, i), folder: false, key: `t:${t.file}` }));
    patchList(lib, items, "autodj_track");
    $("[data-library-empty]").hidden = items.length > 0;
    crumbs.replaceChildren();
    const parts = label ? [[label, null]] : [["Music", ""], ...libPath.split("/").filter(Boolean).map((p, i, a) => [p, a.slice(0, i + 1).join("/")])];
    parts.forEach(([text, path], i) => {
      const b = document.createElement(path === null || i === parts.length - 1 ? "span" : "button");
      b.textContent = text;
      if (b.tagName === "BUTTON") {
        b.type = "button";
        b.className = "link-btn";
        b.dataset.path = path;
      }
      if (i) crumbs.append(" / ");
      crumbs.append(b);
    });
  }
  async function browse(path) {
    try {
      const r = await api("GET", `${base}/library?path=${encodeURIComponent(path)}`);
      libPath = r.path || "";
      renderLibrary(r.folders || [], r.tracks || []);
    } catch (err) {
      fail(err);
    }
  }
  let searchTimer = 0;
  let searchSeq = 0;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      const q = search.value.trim();
      const seq = ++searchSeq;
      if (!q) return browse(libPath);
      try {
        const r = await api("GET", `${base}/library/search?q=${encodeURIComponent(q)}&limit=200`);
        if (seq === searchSeq) renderLibrary([], r.tracks || [], `${format.count((r.tracks || []).length, "result")} for “${q}”`);
      } catch (err) {
        fail(err);
      }
    }, 300);
  });
  crumbs.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-path]");
    if (b) browse(b.dataset.path);
  });
  lib.addEventListener("click", async (e) => {
    const row = e.target.closest("[data-path]");
    const action = e.target.closest("[data-action]")?.dataset.action;
    if (!row || !action) return;
    const path = row.dataset.path;
    if (action === "open") {
      search.value = "";
      browse(path);
    } else if (action === "add") {
      change("POST", "/playlist", { path }, (r) => `Added ${format.count(r.added?.length || 0, "track")} to the playlist`);
    } else if (action === "queue") {
      await queueChange("POST", "", { path, position: 0 });
      toast(`${row.querySelector(".dj-title").textContent} plays next`, "success");
    }
  });
  const scan = $("[data-scan]");
  function scanLabel(st) {
    if (st.scanning) return `Scanning… ${st.files_seen || 0} files seen, ${st.probed || 0} read`;
    return `${format.count(st.tracks || 0, "track")} · ${st.artists || 0} artists · ${format.uptime(st.total_duration || 0)}`;
  }
  let polling = false;
  async function pollScan() {
    polling = true;
    try {
      const st = await api("GET", `${base}/library/status`);
      scan.textContent = scanLabel(st) + (st.error ? ` · ${st.error}` : "");
      scan.classList.toggle("is-scanning", st.scanning === true);
      if (st.scanning || st.analysing) return void setTimeout(pollScan, 1500);
      if (!search.value.trim()) browse(libPath);
    } catch (err) {
      fail(err);
    }
    polling = false;
  }
  $("[data-action=rescan]").addEventListener("click", async () => {
    try {
      await api("POST", `${base}/library/scan`);
      toast("Rescanning the music folder", "info");
      if (!polling) pollScan();
    } catch (err) {
      fail(err);
    }
  });
  if (data.status?.scanning && !polling) pollScan();

  // -- live
  live("/admin/events", "stats", (feed) => {
    const doc = (feed.stations || []).find((s) => s.station === name);
    if (!doc) return;
    const before = currentId();
    merge(doc);
    if (doc.playlist_version !== playlist.version) refreshPlaylist();
    else if (currentId() !== before) renderPlaylist();
    if (doc.queue_length !== (queue.entries || []).length) refreshQueue();
  });
  renderNow();
}

if (data.mode === "list") initList();
else if (data.mode === "station") initStudio();
