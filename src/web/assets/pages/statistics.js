// Statistics: listeners over time per mount (canvas chart), listening sessions, top players
// (admins) and recently played titles, for a range of 1 h to 30 days.

import { $, $$, api, decoratePlay, format, pageData, patchList, toast } from "../app.js";
import { TimeChart, countLabel } from "./chart.js";

const data = pageData.data || {};
const RANGES = { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3, "30d": 30 * 86400e3 };
let mount = data.mount || "";
let range = data.range || "24h";
const chartBox = $("[data-chart]");
const chart = new TimeChart(chartBox, { label: "listeners" });
const peak = $("[data-chart-peak]");

// The API says which span it covers (from, to); older answers do not.
function showPoints(points, from, to) {
  to = Number(to) || Date.now();
  chart.set(points || [], Number(from) || to - RANGES[range], to);
  const max = Math.max(0, ...(points || []).map((p) => +p[1] || 0));
  peak.textContent = points?.length ? `peak ${countLabel(max)}` : "no data yet";
}

function setBars() {
  for (const row of $$("[data-fraction]")) {
    row.querySelector(".bar-fill").style.transform = `scaleX(${Math.min(1, Math.max(0, +row.dataset.fraction || 0))})`;
  }
}

function showPlays(plays) {
  const now = Date.now();
  const list = $("[data-plays]");
  patchList(list, plays.map((p) => ({ ...decoratePlay(p, now), mount: String(p.mount || "") })), "statistics_play");
  $("[data-plays-empty]").hidden = plays.length > 0;
}

let seq = 0;
async function load() {
  const mine = ++seq;
  const scope = `${mount ? `mount=${encodeURIComponent(mount)}&` : ""}range=${range}`;
  const history = mount ? `/api/history${mount.split("/").map(encodeURIComponent).join("/")}?limit=50` : "/api/history?limit=50";
  const [listeners, sessions, agents, plays] = await Promise.allSettled([
    api("GET", `/api/stats/listeners?${scope}`),
    api("GET", `/api/stats/sessions?${scope}`),
    data.is_admin ? api("GET", `/api/stats/user-agents?range=${range}&limit=10`) : Promise.resolve(null),
    api("GET", history),
  ]);
  if (mine !== seq) return; // a newer choice is loading
  const failed = [listeners, sessions, agents, plays].find((r) => r.status === "rejected");
  if (failed) toast(failed.reason.message, "error");
  if (listeners.status === "fulfilled") showPoints(listeners.value.points, listeners.value.from, listeners.value.to);
  if (sessions.status === "fulfilled") {
    const s = sessions.value;
    $("[data-summary=sessions]").textContent = String(s.sessions ?? 0);
    $("[data-summary=average]").textContent = format.uptime(s.average_seconds || 0);
    $("[data-summary=total]").textContent = format.uptime(s.total_seconds || 0);
  }
  if (agents.status === "fulfilled" && agents.value) {
    const list = agents.value.agents || [];
    const most = Math.max(1, ...list.map((a) => +a.sessions || 0));
    const rows = list.map((a) => ({ user_agent: a.user_agent || "(none)", sessions: a.sessions, fraction: (+a.sessions || 0) / most }));
    patchList($("[data-agents]"), rows, "statistics_agent");
    $("[data-agents-empty]").hidden = rows.length > 0;
    setBars();
  }
  if (plays.status === "fulfilled") showPlays(plays.value.plays || []);
}

$("[data-ranges]").addEventListener("click", (e) => {
  const b = e.target.closest("[data-range]");
  if (!b || b.dataset.range === range) return;
  range = b.dataset.range;
  for (const x of $$("[data-range]")) x.setAttribute("aria-pressed", String(x === b));
  load();
});
$("[data-mount]").addEventListener("change", (e) => {
  mount = e.target.value;
  load();
});

showPoints(data.points, data.from, data.to);
setBars();
// Keep the chart current while the page is open.
setInterval(() => document.visibilityState === "visible" && load(), 60000);
