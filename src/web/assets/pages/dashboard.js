// The studio dashboard: totals, a listeners sparkline, every mount with a VU meter and the
// AutoDJ stations, all kept current from /admin/events ("stats", once a second).

import { $, $$, decorateRow, decorateStation, format, live, pageData, patchList } from "../app.js";

const data = pageData.data || {};
const rows = $("[data-mount-rows]");
const rowsEmpty = $("[data-mounts-empty]");
const stations = $("[data-stations]");
const stationsEmpty = $("[data-stations-empty]");
const spark = $("[data-sparkline]");

// mount -> the latest merged document (now playing + statistics)
const known = new Map((data.mounts || []).map((m) => [m.mount, m]));

// ---- listeners sparkline (the last hour) ---------------------------------------------------

const WINDOW_MS = 3600 * 1000;
const BUCKET_MS = 10 * 1000;
let points = (data.listener_points || [])
  .filter((p) => Array.isArray(p) && p.length >= 2)
  .map(([t, n]) => ({ t: Number(t), n: Number(n) || 0 }));

function addPoint(n) {
  const t = Date.now();
  const last = points[points.length - 1];
  if (last && t - last.t < BUCKET_MS && last.live) last.n = n;
  else points.push({ t, n, live: true });
  points = points.filter((p) => p.t >= t - WINDOW_MS);
}

function drawSparkline() {
  if (!spark) return;
  const [area, line] = spark.querySelectorAll("path");
  const now = Date.now();
  const shown = points.filter((p) => p.t >= now - WINDOW_MS);
  if (shown.length < 2) {
    area.setAttribute("d", "");
    line.setAttribute("d", shown.length ? "M0 39 L200 39" : "");
    return;
  }
  const max = Math.max(1, ...shown.map((p) => p.n)) * 1.15;
  const x = (t) => (((t - (now - WINDOW_MS)) / WINDOW_MS) * 200).toFixed(1);
  const y = (n) => (39 - (n / max) * 36).toFixed(1);
  const d = shown.map((p, i) => `${i ? "L" : "M"}${x(p.t)} ${y(p.n)}`).join(" ");
  line.setAttribute("d", d);
  area.setAttribute("d", `${d} L${x(shown[shown.length - 1].t)} 40 L${x(shown[0].t)} 40 Z`);
}

// ---- meters ---------------------------------------------------------------------------------

const dbToFraction = (db) => (Number.isFinite(db) ? Math.min(Math.max((db + 60) / 60, 0), 1) : 0);

function setMeter(row, level) {
  const meter = row.querySelector("[data-meter]");
  if (!meter) return;
  const fill = meter.querySelector(".meter-fill");
  const peak = meter.querySelector(".meter-peak");
  const has = level && typeof level === "object";
  meter.classList.toggle("has-level", Boolean(has));
  fill.style.transform = `scaleX(${has ? dbToFraction(level.rms_db) : 0})`;
  peak.style.left = `calc(${(has ? dbToFraction(level.peak_db) : 0) * 100}% - 2px)`;
  meter.title = has ? `RMS ${Number(level.rms_db).toFixed(1)} dB · peak ${Number(level.peak_db).toFixed(1)} dB` : "";
}

// ---- updates --------------------------------------------------------------------------------

function merge(m) {
  const base = known.get(m.mount) || { mount: m.mount };
  const next = { ...base, mount: m.mount, live: m.live === true, listeners: m.listeners };
  if ("bandwidth_in_bps" in m) next.bandwidth_in_bps = m.bandwidth_in_bps;
  if ("bandwidth_out_bps" in m) next.bandwidth_out_bps = m.bandwidth_out_bps;
  if ("title" in m) {
    // The feed carries the display title only; AutoDJ details come with the stations.
    next.title = m.title || "";
    next.artist = "";
    next.autodj = null;
  }
  const s = m.source;
  if (s && typeof s === "object") {
    next.source = s.origin || "live";
    if (s.content_type) next.content_type = s.content_type;
    if (Number.isFinite(s.bitrate)) next.bitrate = s.bitrate;
  } else if (typeof s === "string" || s === null) {
    next.source = s;
  }
  known.set(m.mount, next);
  return next;
}

function setStat(name, text) {
  const el = $(`[data-stat="${name}"]`);
  if (el && el.textContent !== text) el.textContent = text;
}

function update(feed) {
  const server = feed.server || {};
  if ("listeners" in server) {
    setStat("listeners", String(server.listeners));
    addPoint(Number(server.listeners) || 0);
    drawSparkline();
  }
  if ("sources" in server) setStat("sources", String(server.sources));
  if ("bandwidth_in_bps" in server) setStat("bandwidth_in", format.bps(server.bandwidth_in_bps));
  if ("bandwidth_out_bps" in server) setStat("bandwidth_out", format.bps(server.bandwidth_out_bps));
  if ("uptime" in server) setStat("uptime", format.uptime(server.uptime));

  if (Array.isArray(feed.mounts)) {
    const merged = feed.mounts.map(merge);
    const present = new Set(merged.map((m) => m.mount));
    for (const key of Array.from(known.keys())) if (!present.has(key)) known.delete(key);
    const els = patchList(rows, merged.map(decorateRow), "mount_row");
    els.forEach((el, i) => setMeter(el, feed.mounts[i].level));
    rowsEmpty.hidden = merged.length > 0;
  }
  if (Array.isArray(feed.stations)) {
    patchList(stations, feed.stations.map(decorateStation), "station_card");
    stationsEmpty.hidden = feed.stations.length > 0;
  }
}

for (const row of $$("tr[data-key]", rows)) setMeter(row, null);
drawSparkline();
setInterval(drawSparkline, 30000);
live("/admin/events", "stats", update);
