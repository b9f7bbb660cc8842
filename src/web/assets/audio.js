// One audio player per page: plays a mount's stream, reconnects after network hiccups, keeps
// the volume across visits, and exposes a Web Audio AnalyserNode for the visualisers. The
// AudioContext is created (and resumed) on the first play, which is always a user gesture, as
// browsers require.

const RETRY_LIMIT = 6;

function stored(key, fallback) {
  try {
    const v = window.localStorage.getItem(key);
    return v === null ? fallback : JSON.parse(v);
  } catch {
    return fallback;
  }
}

function store(key, value) {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* private mode: not remembered */
  }
}

export class StreamPlayer extends EventTarget {
  constructor() {
    super();
    this.audio = new Audio();
    this.audio.preload = "none";
    this.state = "idle"; // idle | loading | playing | error
    this.mount = null;
    this.url = null;
    this.info = {};
    this.wanted = false;
    this.retries = 0;
    this.retryTimer = 0;
    this.ctx = null;
    this.analyser = null;
    this.gain = null;
    this.volume = Math.min(Math.max(Number(stored("tinyice.volume", 0.8)) || 0, 0), 1);
    this.muted = stored("tinyice.muted", false) === true;
    this.applyVolume();

    this.audio.addEventListener("playing", () => {
      this.retries = 0;
      this.set("playing");
    });
    for (const ev of ["waiting", "stalled"]) {
      this.audio.addEventListener(ev, () => {
        if (this.wanted && this.state !== "idle") this.set("loading");
      });
    }
    for (const ev of ["error", "ended"]) {
      this.audio.addEventListener(ev, () => {
        if (this.wanted) this.retry();
      });
    }
    if ("mediaSession" in navigator) {
      navigator.mediaSession.setActionHandler("play", () => this.mount && this.play(this.mount, this.url, this.info));
      navigator.mediaSession.setActionHandler("pause", () => this.stop());
      navigator.mediaSession.setActionHandler("stop", () => this.stop());
    }
  }

  set(state) {
    if (this.state === state) return;
    this.state = state;
    if ("mediaSession" in navigator) {
      navigator.mediaSession.playbackState = state === "playing" || state === "loading" ? "playing" : "paused";
    }
    this.dispatchEvent(new CustomEvent("state", { detail: { state, mount: this.mount } }));
  }

  ensureGraph() {
    if (this.ctx) return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      this.ctx = new Ctx();
      const source = this.ctx.createMediaElementSource(this.audio);
      this.analyser = this.ctx.createAnalyser();
      this.analyser.fftSize = 2048;
      this.analyser.smoothingTimeConstant = 0.78;
      this.gain = this.ctx.createGain();
      // The analyser sees the stream before the volume, so the visualiser does not shrink
      // when the listener turns it down.
      source.connect(this.analyser);
      this.analyser.connect(this.gain);
      this.gain.connect(this.ctx.destination);
      this.audio.volume = 1;
      this.applyVolume();
    } catch (e) {
      console.warn("Web Audio unavailable; no visualiser", e);
      this.ctx = null;
      this.analyser = null;
      this.gain = null;
    }
  }

  applyVolume() {
    const v = this.muted ? 0 : this.volume * this.volume; // a perceptual curve
    if (this.gain) this.gain.gain.value = v;
    else this.audio.volume = v;
  }

  setVolume(v) {
    this.volume = Math.min(Math.max(v, 0), 1);
    if (this.volume > 0) this.muted = false;
    store("tinyice.volume", this.volume);
    store("tinyice.muted", this.muted);
    this.applyVolume();
    this.dispatchEvent(new CustomEvent("volume"));
  }

  toggleMute() {
    this.muted = !this.muted;
    store("tinyice.muted", this.muted);
    this.applyVolume();
    this.dispatchEvent(new CustomEvent("volume"));
  }

  /** Starts `url` (a mount's stream path). `info` = {title, artist, station} for the OS. */
  async play(mount, url, info = {}) {
    clearTimeout(this.retryTimer);
    this.mount = mount;
    this.url = url;
    this.wanted = true;
    this.retries = 0;
    this.setInfo(info);
    this.ensureGraph();
    this.load();
    try {
      if (this.ctx && this.ctx.state === "suspended") await this.ctx.resume();
      await this.audio.play();
    } catch (e) {
      if (e && e.name === "NotAllowedError") {
        this.wanted = false;
        this.set("idle");
      } else if (!e || e.name !== "AbortError") {
        this.retry();
      }
    }
  }

  load() {
    // A fresh URL each time: a live stream must start at the live edge, never from a cache.
    const sep = this.url.includes("?") ? "&" : "?";
    this.audio.src = `${this.url}${sep}_=${Date.now()}`;
    this.set("loading");
  }

  retry() {
    clearTimeout(this.retryTimer);
    if (this.retries >= RETRY_LIMIT) {
      this.wanted = false;
      this.release();
      this.set("error");
      return;
    }
    const delay = Math.min(1000 * 2 ** this.retries, 15000);
    this.retries++;
    this.set("loading");
    this.retryTimer = setTimeout(() => {
      if (!this.wanted) return;
      this.load();
      this.audio.play().catch(() => {});
    }, delay);
  }

  release() {
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load();
  }

  /** Stops and disconnects (a paused live stream would only fall behind). */
  stop() {
    clearTimeout(this.retryTimer);
    this.wanted = false;
    this.release();
    this.set("idle");
  }

  toggle(mount, url, info) {
    if (this.wanted && this.mount === mount) this.stop();
    else this.play(mount, url, info);
  }

  setInfo(info = {}) {
    this.info = info;
    if ("mediaSession" in navigator && "MediaMetadata" in window) {
      navigator.mediaSession.metadata = new window.MediaMetadata({
        title: info.title || info.station || "",
        artist: info.artist || "",
        album: info.station || "",
      });
    }
  }

  get active() {
    return this.wanted;
  }
}

export const player = new StreamPlayer();

/** Reflects the player's state on a .play-btn for `mount` (null = whatever is playing). */
export function syncButton(button, mount = null) {
  const mine = mount === null || player.mount === mount;
  const state = mine ? player.state : "idle";
  button.classList.toggle("is-playing", state === "playing");
  button.classList.toggle("is-loading", state === "loading");
  button.setAttribute("aria-pressed", String(state === "playing" || state === "loading"));
  const name = button.dataset.label || "";
  const verb = state === "playing" || state === "loading" ? "Stop" : "Play";
  button.setAttribute("aria-label", name ? `${verb} ${name}` : verb);
}
