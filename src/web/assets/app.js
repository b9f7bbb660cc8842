// Shared front-end module of the TinyIce web interface: page data, the JSON API wrapper, live
// events, client-side rendering with the server's partials, toasts, dialogs, keyboard
// shortcuts and formatting. Page modules (pages/*.js) import what they need; see docs/WEB.md.

import { compile, escapeHtml, render as renderTemplate, DEFAULT_LIMITS } from "./template.js";

export { escapeHtml };

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// ---- page data ------------------------------------------------------------------------------

function readPageData() {
  const el = document.getElementById("page-data");
  if (!el) return {};
  try {
    return JSON.parse(el.textContent) || {};
  } catch (e) {
    console.error("page data is not JSON", e);
    return {};
  }
}

/** {page, csrf, user, site, version, assets, data} as rendered by the server. */
export const pageData = readPageData();

// ---- JSON API -------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/**
 * Calls the JSON API. Sends the session's CSRF token on unsafe methods, the body as JSON, and
 * throws ApiError (message = the API's {"error"}; status 0 when the server cannot be reached)
 * for anything but a 2xx answer. Resolves to the parsed JSON, or null for an empty answer.
 */
export async function api(method, path, body) {
  method = method.toUpperCase();
  const headers = { Accept: "application/json", "X-Requested-With": "fetch" };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  if (!SAFE_METHODS.has(method) && pageData.csrf) headers["X-CSRF-Token"] = pageData.csrf;
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError("Cannot reach the server. Check your connection.", 0, null);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const message =
      data && typeof data === "object" && typeof data.error === "string"
        ? data.error
        : `${res.status} ${res.statusText || "error"}`;
    throw new ApiError(message, res.status, data);
  }
  return data;
}

// ---- toasts ---------------------------------------------------------------------------------

let toastBox = null;

/** Shows a short message; kind is "info", "success" or "error". */
export function toast(message, kind = "info", { timeout = kind === "error" ? 8000 : 4000 } = {}) {
  if (!toastBox) {
    toastBox = document.createElement("div");
    toastBox.className = "toasts";
    toastBox.setAttribute("role", "status");
    toastBox.setAttribute("aria-live", "polite");
    document.body.append(toastBox);
  }
  const el = document.createElement("div");
  el.className = `toast toast-${kind}`;
  el.innerHTML = `<span class="toast-text">${escapeHtml(message)}</span>
    <button class="icon-btn" type="button" aria-label="Dismiss">${icon("close")}</button>`;
  const close = () => el.remove();
  el.querySelector("button").addEventListener("click", close);
  toastBox.append(el);
  if (timeout > 0) setTimeout(close, timeout);
  return close;
}

/** An inline SVG icon from the sprite (assets/icons.svg). */
export function icon(name, cls = "icon") {
  const href = `${pageData.assets?.icons || "/assets/icons.svg"}#${name}`;
  return `<svg class="${cls}" aria-hidden="true"><use href="${escapeHtml(href)}"></use></svg>`;
}

// ---- dialogs --------------------------------------------------------------------------------

/**
 * A modal <dialog> with a title, body (HTML string or Node) and buttons; resolves to the value
 * of the button pressed (null when dismissed with Escape).
 */
export function dialog({ title, body = "", buttons = [{ label: "Close", value: null }] }) {
  return new Promise((resolve) => {
    const d = document.createElement("dialog");
    d.setAttribute("aria-labelledby", "dialog-title");
    d.innerHTML = `<form method="dialog"><div class="dialog-body"><h2 id="dialog-title"></h2>
      <div class="dialog-content"></div></div><div class="dialog-actions"></div></form>`;
    d.querySelector("h2").textContent = title;
    const content = d.querySelector(".dialog-content");
    if (body instanceof Node) content.append(body);
    else content.innerHTML = body;
    const actions = d.querySelector(".dialog-actions");
    buttons.forEach((b, i) => {
      const btn = document.createElement("button");
      btn.className = `btn ${b.className || (i === buttons.length - 1 ? "btn-primary" : "")}`;
      btn.value = String(i);
      btn.textContent = b.label;
      actions.append(btn);
    });
    d.addEventListener("close", () => {
      const i = Number.parseInt(d.returnValue, 10);
      d.remove();
      resolve(Number.isInteger(i) && buttons[i] ? buttons[i].value : null);
    });
    document.body.append(d);
    d.showModal();
    const primary = actions.lastElementChild;
    if (primary) primary.focus();
  });
}

/** Asks for confirmation; resolves true when confirmed. */
export async function confirmDialog({ title, message, confirm = "OK", cancel = "Cancel", danger = false }) {
  const body = document.createElement("p");
  body.className = "muted";
  body.textContent = message;
  const value = await dialog({
    title,
    body,
    buttons: [
      { label: cancel, value: false, className: "btn-ghost" },
      { label: confirm, value: true, className: danger ? "btn-danger" : "btn-primary" },
    ],
  });
  return value === true;
}

// ---- live events ----------------------------------------------------------------------------

const liveFeeds = new Set();

function showConnection() {
  let state = "live";
  for (const f of liveFeeds) {
    if (f.state === "offline") state = "offline";
    else if (f.state === "connecting" && state !== "offline") state = "connecting";
  }
  const label = { live: "Live", connecting: "Connecting…", offline: "Reconnecting…" }[state];
  for (const el of $$("[data-conn]")) {
    el.hidden = liveFeeds.size === 0;
    el.dataset.state = state;
    el.textContent = label;
    el.title = state === "live" ? "Receiving live updates" : "Live updates interrupted; retrying";
  }
}

/**
 * Subscribes to a server-sent event stream: handler(parsedData) for every `event`. Reconnects
 * with exponential backoff (1 s up to 30 s) after errors and drives the connection indicators
 * ([data-conn]). Returns {close()}.
 */
export function live(url, event, handler) {
  const feed = { state: "connecting", source: null, timer: 0, delay: 1000, closed: false };
  const connect = () => {
    if (feed.closed) return;
    const es = new EventSource(url, { withCredentials: true });
    feed.source = es;
    es.addEventListener("open", () => {
      feed.state = "live";
      feed.delay = 1000;
      showConnection();
    });
    es.addEventListener(event, (e) => {
      if (feed.state !== "live") {
        feed.state = "live";
        showConnection();
      }
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        console.warn(`${url}: ${event} event is not JSON`);
        return;
      }
      try {
        handler(data);
      } catch (err) {
        console.error(err);
      }
    });
    es.addEventListener("error", () => {
      // The browser's own retry has no backoff and gives up on HTTP errors: take over.
      es.close();
      feed.state = feed.state === "live" ? "connecting" : "offline";
      showConnection();
      clearTimeout(feed.timer);
      const jitter = Math.random() * 300;
      feed.timer = setTimeout(connect, feed.delay + jitter);
      feed.delay = Math.min(feed.delay * 2, 30000);
    });
  };
  liveFeeds.add(feed);
  showConnection();
  connect();
  return {
    close() {
      feed.closed = true;
      clearTimeout(feed.timer);
      if (feed.source) feed.source.close();
      liveFeeds.delete(feed);
      showConnection();
    },
  };
}

// ---- client-side rendering ------------------------------------------------------------------

const compiled = new Map();

/** The compiled partial NAME, emitted by the server as <template id="tpl-NAME">. */
export function template(name) {
  let t = compiled.get(name);
  if (!t) {
    const el = document.getElementById(`tpl-${name}`);
    if (!el) return null;
    // The server writes the template's source as text, so the parser leaves it untouched.
    t = compile(el.content.textContent);
    compiled.set(name, t);
  }
  return t;
}

/**
 * Renders partial `name` with `data` on top of the page's globals (assets, site, user), as the
 * server does; returns HTML.
 */
export function render(name, data) {
  const t = template(name);
  if (!t) throw new Error(`no client template '${name}' (list it for the page in WebUi.cpp)`);
  const globals = { assets: pageData.assets || {}, site: pageData.site || {}, user: pageData.user };
  return renderTemplate(t, data, template, DEFAULT_LIMITS, [globals, data]);
}

/** Renders partial `name` into a new element (its first element). */
export function renderElement(name, data) {
  const holder = document.createElement("template");
  holder.innerHTML = render(name, data).trim();
  return holder.content.firstElementChild;
}

/**
 * Updates `to`-like DOM in place: attributes and text change, structure is reused, so focus,
 * scroll positions and CSS transitions survive. Style properties set by scripts are kept.
 */
export function morph(from, to) {
  if (from.nodeType !== to.nodeType || from.nodeName !== to.nodeName) {
    from.replaceWith(to);
    return;
  }
  if (from.nodeType === Node.TEXT_NODE || from.nodeType === Node.COMMENT_NODE) {
    if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
    return;
  }
  if (from.nodeType !== Node.ELEMENT_NODE) return;
  for (const { name, value } of Array.from(to.attributes)) {
    if (from.getAttribute(name) !== value) from.setAttribute(name, value);
  }
  for (const { name } of Array.from(from.attributes)) {
    if (name !== "style" && !name.startsWith("data-js-") && !to.hasAttribute(name)) {
      from.removeAttribute(name);
    }
  }
  const a = Array.from(from.childNodes);
  const b = Array.from(to.childNodes);
  b.forEach((child, i) => {
    if (i < a.length) morph(a[i], child);
    else from.append(child);
  });
  for (let i = b.length; i < a.length; i++) a[i].remove();
}

/**
 * Keeps `container`'s children equal to `items` rendered with partial `name`, matched by their
 * data-key attribute (the partial must set it). Unchanged items are left alone; changed ones
 * are morphed; new ones inserted; missing ones removed. Returns the elements in order.
 */
export function patchList(container, items, name) {
  const existing = new Map();
  for (const el of Array.from(container.children)) {
    if (el.dataset.key !== undefined) existing.set(el.dataset.key, el);
  }
  const result = [];
  items.forEach((item, index) => {
    const html = render(name, item);
    const fresh = (() => {
      const holder = document.createElement("template");
      holder.innerHTML = html.trim();
      return holder.content.firstElementChild;
    })();
    const key = fresh.dataset.key;
    let el = existing.get(key);
    if (el) {
      existing.delete(key);
      if (el._html !== html) {
        morph(el, fresh);
        el._html = html;
      }
    } else {
      el = fresh;
      el._html = html;
    }
    const at = container.children[index];
    if (at !== el) container.insertBefore(el, at || null);
    result.push(el);
  });
  for (const el of existing.values()) el.remove();
  return result;
}

// ---- formatting (mirrors web_format in src/server/WebUi.cpp) --------------------------------

const pad2 = (n) => String(n).padStart(2, "0");

export const format = {
  /** 0:42, 3:07, 1:02:03 */
  clock(seconds) {
    let s = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
    if (s >= 3600) return `${Math.floor(s / 3600)}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
    return `${Math.floor(s / 60)}:${pad2(s % 60)}`;
  },
  /** 45s, 12m 05s, 3h 04m, 2d 03h */
  uptime(seconds) {
    const s = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${pad2(s % 60)}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${pad2(Math.floor(s / 60) % 60)}m`;
    return `${Math.floor(s / 86400)}d ${pad2(Math.floor(s / 3600) % 24)}h`;
  },
  /** 950 bps, 12.3 kbps, 128 kbps, 1.24 Mbps */
  bps(bps) {
    const v = Number.isFinite(bps) && bps > 0 ? bps : 0;
    if (v < 1000) return `${Math.round(v)} bps`;
    if (v < 1e6) {
      const k = v / 1000;
      return k < 10 ? `${k.toFixed(1)} kbps` : `${Math.round(k)} kbps`;
    }
    const m = v / 1e6;
    return m < 10 ? `${m.toFixed(2)} Mbps` : `${m.toFixed(1)} Mbps`;
  },
  /** 512 B, 1.5 kB, 23 MB, 1.20 GB (SI units) */
  bytes(n) {
    const v = Number.isFinite(n) && n > 0 ? n : 0;
    if (v < 1000) return `${Math.round(v)} B`;
    const units = ["kB", "MB", "GB", "TB"];
    let x = v;
    let u = -1;
    while (x >= 1000 && u < units.length - 1) {
      x /= 1000;
      u++;
    }
    return `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x)} ${units[u]}`;
  },
  /** just now, 4 min ago, 3 h ago, 2 d ago (from unix milliseconds) */
  ago(ms, now = Date.now()) {
    const s = (now - ms) / 1000;
    if (s < 45) return "just now";
    if (s < 90) return "1 min ago";
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    if (s < 86400) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
  },
  count(n, one, many = `${one}s`) {
    return `${n} ${n === 1 ? one : many}`;
  },
};

// ---- view models (mirror decorate_* in src/server/WebUi.cpp) -------------------------------

/** "/my show" -> "/my%20show": each segment percent-encoded like the server does. */
export function mountPath(mount) {
  return String(mount)
    .split("/")
    .map((seg) =>
      encodeURIComponent(seg).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join("/");
}

export function streamFormat(contentType, subtype, bitrate) {
  const type = String(contentType || "").split(";")[0].trim().toLowerCase();
  let label;
  if (type === "audio/mpeg" || type === "audio/mp3") label = "MP3";
  else if (type === "audio/aac" || type === "audio/aacp" || type === "audio/x-aac") label = "AAC";
  else if (type === "audio/ogg" || type === "application/ogg") label = subtype ? `Ogg ${subtype}` : "Ogg";
  else if (type === "audio/opus") label = "Opus";
  else if (type === "audio/flac") label = "FLAC";
  else if (type === "audio/webm") label = "WebM";
  else label = type;
  if (Number.isFinite(bitrate) && bitrate > 0) label += `${label ? " · " : ""}${Math.round(bitrate)} kbps`;
  return label;
}

function splitTitle(full, artist) {
  let title = String(full || "");
  let who = String(artist || "");
  if (who) {
    if (title.startsWith(`${who} - `)) title = title.slice(who.length + 3);
  } else {
    const dash = title.indexOf(" - ");
    if (dash >= 0) {
      who = title.slice(0, dash);
      title = title.slice(dash + 3);
    }
  }
  return [title, who];
}

function progressOf(elapsed, duration) {
  const e = Math.min(Math.max(Number(elapsed) || 0, 0), duration);
  return { elapsed: e, duration, elapsed_label: format.clock(e), duration_label: format.clock(duration) };
}

const SOURCE_LABELS = { off: "Off air", live: "Live", autodj: "AutoDJ", transcoder: "Transcoded" };

/** The view of a now-playing document that the mount partials use. */
export function decorateMount(np) {
  const mount = String(np.mount || "");
  let name = String(np.name || "");
  if (name === "Unspecified name") name = "";
  const description = np.description === "Unspecified description" ? "" : String(np.description || "");
  const genre = np.genre === "various" ? "" : String(np.genre || "");
  const live = np.live === true;
  let kind = "off";
  if (live) kind = typeof np.source === "string" && np.source ? np.source : "live";
  const listeners = Math.trunc(Number(np.listeners) || 0);
  const path = mountPath(mount);
  let title;
  let artist;
  const autodj = np.autodj && typeof np.autodj === "object" ? np.autodj : null;
  const track = autodj && autodj.track && typeof autodj.track === "object" ? autodj.track : null;
  if (track) {
    title = String(track.title || "");
    artist = String(track.artist || "");
    if (!title) [title, artist] = splitTitle(track.display, artist);
  } else {
    [title, artist] = splitTitle(np.title, np.artist);
  }
  let progress = null;
  let next = "";
  if (autodj) {
    const d = Number(autodj.duration);
    if (Number.isFinite(d) && d > 0 && live) progress = progressOf(autodj.elapsed, d);
    if (autodj.next && typeof autodj.next === "object") next = String(autodj.next.display || autodj.next.title || "");
  }
  return {
    mount,
    stream_name: name,
    display_name: name || mount,
    description,
    genre,
    live,
    source_kind: kind,
    source_label: SOURCE_LABELS[kind] || kind.charAt(0).toUpperCase() + kind.slice(1),
    format: streamFormat(np.content_type, np.subtype, Number(np.bitrate)),
    listeners,
    listeners_label: format.count(listeners, "listener"),
    listener_peak: Math.trunc(Number(np.listener_peak) || 0),
    stream_url: path,
    player_url: `/player${path}`,
    embed_url: `/embed${path}`,
    m3u_url: `${path}.m3u`,
    pls_url: `${path}.pls`,
    xspf_url: `${path}.xspf`,
    now_title: title,
    now_artist: artist,
    has_title: title !== "",
    title_since: Math.trunc(Number(np.title_since) || 0),
    progress,
    next_display: next,
  };
}

/** A play of the history API, for the history_item partial. */
export function decoratePlay(p, now = Date.now()) {
  let title = String(p.title || "");
  let artist = String(p.artist || "");
  if (!artist) {
    const dash = title.indexOf(" - ");
    if (dash >= 0) {
      artist = title.slice(0, dash);
      title = title.slice(dash + 3);
    }
  }
  if (!title) title = String(p.file || "");
  const started = Math.trunc(Number(p.started_at) || 0);
  return {
    title: title || "Untitled",
    artist,
    started_at: started,
    iso: new Date(started).toISOString(),
    ago: format.ago(started, now),
  };
}

/** An AutoDJ now-playing document, for the station_card partial. */
export function decorateStation(doc) {
  const name = String(doc.station || doc.name || "");
  const mount = String(doc.mount || "");
  const running = doc.running === true;
  let state = running ? String(doc.state || "") : "off";
  let label = { playing: "Playing", paused: "Paused", off: "Not running" }[state] || "Stopped";
  if (running && state === "playing" && "on_air" in doc && doc.on_air !== true) {
    state = "standby";
    label = "Standby";
  }
  let fmt = String(doc.format || "").toUpperCase();
  const br = Number(doc.bitrate);
  if (Number.isFinite(br) && br > 0) fmt += `${fmt ? " · " : ""}${Math.round(br)} kbps`;
  let track = null;
  if (doc.track && typeof doc.track === "object") {
    track = { title: String(doc.track.title || doc.track.display || ""), artist: String(doc.track.artist || "") };
  }
  const d = Number(doc.duration);
  let next = "";
  if (doc.next && typeof doc.next === "object") next = String(doc.next.display || doc.next.title || "");
  return {
    name,
    mount,
    player_url: mount ? `/player${mountPath(mount)}` : "",
    state,
    state_label: label,
    format: fmt,
    listeners: Math.trunc(Number(doc.listeners) || 0),
    track,
    progress: Number.isFinite(d) && d > 0 && running ? progressOf(doc.elapsed, d) : null,
    next_display: next,
    last_error: String(doc.last_error || ""),
  };
}

/** A dashboard row: a mount's now-playing document merged with its live statistics. */
export function decorateRow(m) {
  const row = decorateMount(m);
  row.in_label = Number.isFinite(m.bandwidth_in_bps) ? format.bps(m.bandwidth_in_bps) : "—";
  row.out_label = Number.isFinite(m.bandwidth_out_bps) ? format.bps(m.bandwidth_out_bps) : "—";
  return row;
}

// ---- live clocks: track progress bars and "3 min ago" labels --------------------------------

function tick() {
  const now = performance.now();
  for (const el of $$("[data-progress]")) {
    // Restart the local clock whenever the server sends a new position.
    if (!el.dataset.jsT0 || el.dataset.jsBase !== el.dataset.elapsed) {
      el.dataset.jsT0 = String(now);
      el.dataset.jsBase = el.dataset.elapsed;
    }
    const duration = Number(el.dataset.duration) || 0;
    const elapsed = Math.min((Number(el.dataset.elapsed) || 0) + (now - Number(el.dataset.jsT0)) / 1000, duration);
    const fill = el.querySelector(".progress-fill");
    if (fill && duration > 0) fill.style.transform = `scaleX(${elapsed / duration})`;
    const label = el.querySelector("[data-progress-elapsed]");
    const text = format.clock(elapsed);
    if (label && label.textContent !== text) label.textContent = text;
    const bar = el.querySelector("[role=progressbar]");
    if (bar) bar.setAttribute("aria-valuenow", String(Math.round(elapsed)));
  }
}

function tickAgo() {
  for (const el of $$("[data-ago]")) {
    const text = format.ago(Number(el.dataset.ago));
    if (el.textContent !== text) el.textContent = text;
  }
}

// ---- keyboard shortcuts ---------------------------------------------------------------------

const shortcuts = [];

/** Registers a single-key shortcut (ignored while typing in a field). */
export function shortcut(key, description, handler) {
  shortcuts.push({ key, description, handler });
}

function typing(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) &&
    !(target instanceof HTMLInputElement && target.type === "range")
  );
}

function showShortcuts() {
  const list = document.createElement("dl");
  list.className = "shortcut-list";
  const all = [...shortcuts, { key: "?", description: "Show this list" }];
  for (const s of all) {
    const dt = document.createElement("dt");
    dt.innerHTML = `<kbd>${escapeHtml(s.key === " " ? "Space" : s.key)}</kbd>`;
    const dd = document.createElement("dd");
    dd.textContent = s.description;
    list.append(dt, dd);
  }
  dialog({ title: "Keyboard shortcuts", body: list, buttons: [{ label: "Close", value: null }] });
}

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
  if (document.querySelector("dialog[open]")) return;
  if (e.key === "?") {
    e.preventDefault();
    showShortcuts();
    return;
  }
  const s = shortcuts.find((x) => x.key === e.key || x.key.toLowerCase() === e.key.toLowerCase());
  if (s && !(e.key === " " && e.target instanceof HTMLButtonElement)) {
    e.preventDefault();
    s.handler(e);
  }
});

// ---- layout behaviour -----------------------------------------------------------------------

function initLayout() {
  const sidebar = $("[data-sidebar]");
  const toggle = $("[data-action=nav-toggle]");
  if (sidebar && toggle) {
    toggle.addEventListener("click", () => {
      const open = sidebar.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  for (const btn of $$("[data-action=logout]")) {
    btn.addEventListener("click", async () => {
      try {
        await api("DELETE", "/api/session");
      } catch (e) {
        if (e.status !== 401) {
          toast(`Could not sign out: ${e.message}`, "error");
          return;
        }
      }
      window.location.assign("/login");
    });
  }
  tick();
  setInterval(tick, 1000);
  setInterval(tickAgo, 30000);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initLayout);
else initLayout();
