// A small line/area chart on <canvas> for time series ([[unix_ms, value], ...]): time and
// count axes, a hover/keyboard tooltip, crisp on high-density screens. No library.

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

// "Nice" steps for the count axis: 1, 2, 5 x 10^n.
function niceStep(max, ticks) {
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) || raw;
}

const MIN = 60e3;
const TICKS = [MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, 60 * MIN, 120 * MIN, 180 * MIN, 360 * MIN, 720 * MIN, 1440 * MIN, 2880 * MIN, 10080 * MIN];

/** 3, 2.4 (bucket averages keep one decimal) */
export const countLabel = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

const pad2 = (n) => String(n).padStart(2, "0");
function timeLabel(ms, span) {
  const d = new Date(ms);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (span <= 86400e3) return hm;
  const day = `${d.getDate()} ${d.toLocaleString(undefined, { month: "short" })}`;
  return hm === "00:00" ? day : `${day} ${hm}`;
}

export class TimeChart {
  constructor(box, { label = "value" } = {}) {
    this.box = box;
    this.canvas = box.querySelector("canvas");
    this.tip = box.querySelector("[data-chart-tip]");
    this.label = label;
    this.points = [];
    this.hover = -1;
    this.canvas.tabIndex = 0;
    new ResizeObserver(() => this.draw()).observe(box);
    this.canvas.addEventListener("pointermove", (e) => this.pick(e.offsetX));
    this.canvas.addEventListener("pointerleave", () => this.setHover(-1));
    this.canvas.addEventListener("blur", () => this.setHover(-1));
    this.canvas.addEventListener("keydown", (e) => {
      if (!this.points.length || (e.key !== "ArrowLeft" && e.key !== "ArrowRight")) return;
      e.preventDefault();
      const i = this.hover < 0 ? this.points.length - 1 : this.hover + (e.key === "ArrowLeft" ? -1 : 1);
      this.setHover(Math.max(0, Math.min(this.points.length - 1, i)));
    });
  }

  /** points: [[unix_ms, n]]; from/to: the time range shown (unix ms). */
  set(points, from, to) {
    this.points = points.filter((p) => Array.isArray(p) && Number.isFinite(+p[0])).map(([t, n]) => [+t, +n || 0]);
    this.from = from;
    this.to = to;
    this.hover = -1;
    this.draw();
  }

  geometry() {
    const w = this.box.clientWidth;
    const h = Math.max(180, Math.min(320, Math.round(w * 0.38)));
    const max = Math.max(4, ...this.points.map((p) => p[1]));
    const step = Math.max(1, niceStep(max, 4)); // counts are whole numbers
    const top = Math.ceil(max / step) * step;
    const left = 12 + 8 * String(top).length;
    const plot = { x: left, y: 12, w: Math.max(10, w - left - 12), h: h - 40 };
    const x = (t) => plot.x + ((t - this.from) / Math.max(1, this.to - this.from)) * plot.w;
    const y = (n) => plot.y + plot.h - (n / top) * plot.h;
    return { w, h, plot, step, top, x, y };
  }

  draw() {
    const g = this.geometry();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(g.w * dpr);
    this.canvas.height = Math.round(g.h * dpr);
    this.canvas.style.height = `${g.h}px`;
    const c = this.canvas.getContext("2d");
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, g.w, g.h);
    const accent = css("--accent") || "#ff7a1a";
    c.font = `12px ${css("--font") || "sans-serif"}`;
    c.lineWidth = 1;
    // Grid and count labels.
    c.textAlign = "right";
    c.textBaseline = "middle";
    for (let n = 0; n <= g.top; n += g.step) {
      const yy = Math.round(g.y(n)) + 0.5;
      c.strokeStyle = css("--line") || "#2a2a33";
      c.beginPath();
      c.moveTo(g.plot.x, yy);
      c.lineTo(g.plot.x + g.plot.w, yy);
      c.stroke();
      c.fillStyle = css("--text-3") || "#8e8e9b";
      c.fillText(String(n), g.plot.x - 8, yy);
    }
    // Time labels on round times (every 5 min, 1 h, 6 h, 1 day, ...), at most one per 90 px.
    c.textAlign = "center";
    c.textBaseline = "top";
    const span = this.to - this.from;
    const tick = TICKS.find((t) => span / t <= g.plot.w / 90) || TICKS[TICKS.length - 1];
    const zone = new Date(this.from).getTimezoneOffset() * 60e3; // round in local time
    for (let t = Math.ceil((this.from - zone) / tick) * tick + zone; t <= this.to; t += tick) {
      const xx = g.x(t);
      const w = c.measureText(timeLabel(t, span)).width;
      if (xx - w / 2 < g.plot.x - 4 || xx + w / 2 > g.w) continue;
      c.fillText(timeLabel(t, span), xx, g.plot.y + g.plot.h + 8);
    }
    const pts = this.points;
    if (!pts.length) {
      c.textAlign = "center";
      c.textBaseline = "middle";
      c.fillStyle = css("--text-2") || "#b6b6c2";
      c.fillText(`No ${this.label} data in this range yet`, g.plot.x + g.plot.w / 2, g.plot.y + g.plot.h / 2);
    } else {
      c.beginPath();
      pts.forEach(([t, n], i) => (i ? c.lineTo(g.x(t), g.y(n)) : c.moveTo(g.x(t), g.y(n))));
      c.lineJoin = "round";
      c.lineWidth = 2;
      c.strokeStyle = accent;
      c.stroke();
      c.lineTo(g.x(pts[pts.length - 1][0]), g.y(0));
      c.lineTo(g.x(pts[0][0]), g.y(0));
      c.closePath();
      const fill = c.createLinearGradient(0, g.plot.y, 0, g.plot.y + g.plot.h);
      fill.addColorStop(0, `${accent}55`.length === 9 ? `${accent}55` : "rgba(255,122,26,.3)");
      fill.addColorStop(1, "rgba(0,0,0,0)");
      c.fillStyle = fill;
      c.fill();
    }
    if (this.hover >= 0 && pts[this.hover]) {
      const [t, n] = pts[this.hover];
      const xx = g.x(t);
      c.strokeStyle = css("--text-3") || "#888";
      c.lineWidth = 1;
      c.beginPath();
      c.moveTo(xx, g.plot.y);
      c.lineTo(xx, g.plot.y + g.plot.h);
      c.stroke();
      c.fillStyle = accent;
      c.beginPath();
      c.arc(xx, g.y(n), 4.5, 0, Math.PI * 2);
      c.fill();
      this.tip.hidden = false;
      this.tip.textContent = `${new Date(t).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })} · ${countLabel(n)} ${this.label}`;
      const tw = this.tip.offsetWidth;
      this.tip.style.transform = `translate(${Math.round(Math.min(Math.max(0, xx - tw / 2), g.w - tw))}px, ${Math.round(Math.max(0, g.y(n) - 44))}px)`;
    } else if (this.tip) this.tip.hidden = true;
    this.canvas.setAttribute("aria-label", pts.length ? `${this.label} over time, peak ${countLabel(Math.max(...pts.map((p) => p[1])))}` : `No ${this.label} data`);
  }

  pick(px) {
    if (!this.points.length) return;
    const g = this.geometry();
    let best = -1;
    let dist = Infinity;
    this.points.forEach(([t], i) => {
      const d = Math.abs(g.x(t) - px);
      if (d < dist) [best, dist] = [i, d];
    });
    this.setHover(dist < 40 ? best : -1);
  }

  setHover(i) {
    if (i === this.hover) return;
    this.hover = i;
    this.draw();
  }
}
