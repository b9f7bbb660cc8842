// A spectrum visualiser drawn from the player's AnalyserNode: log-spaced frequency bands as
// bars with falling peak caps. It draws only while something plays, follows the canvas size
// (and the screen's pixel ratio), and with prefers-reduced-motion it updates twice a second
// without peaks instead of animating.

import { player } from "./audio.js";

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

function accentColour() {
  return getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#ff7a1a";
}

/**
 * Draws into `canvas`. Options: bars (count), gap (CSS px), peaks (caps), reflection (a faint
 * mirror image below, for large canvases), idle (draw a quiet baseline when stopped).
 */
export function attachVisualiser(canvas, { bars = 48, gap = 2, peaks = true, reflection = false, idle = true } = {}) {
  const g = canvas.getContext("2d");
  if (!g) return { detach() {} };
  let width = 0;
  let height = 0;
  let dpr = 1;
  const levels = new Float32Array(bars);
  const caps = new Float32Array(bars);
  let data = null;
  let bands = null;
  let frame = 0;
  let timer = 0;
  let colour = accentColour();

  const resize = () => {
    dpr = Math.min(window.devicePixelRatio || 1, 2);
    width = Math.max(1, Math.round(canvas.clientWidth * dpr));
    height = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    draw(false);
  };

  // Frequency bins of each band, log-spaced from 40 Hz to 16 kHz.
  const makeBands = (analyser) => {
    const nyquist = analyser.context.sampleRate / 2;
    const bins = analyser.frequencyBinCount;
    const lo = Math.log(40);
    const hi = Math.log(Math.min(16000, nyquist));
    const out = [];
    for (let i = 0; i < bars; i++) {
      const f0 = Math.exp(lo + ((hi - lo) * i) / bars);
      const f1 = Math.exp(lo + ((hi - lo) * (i + 1)) / bars);
      const b0 = Math.min(bins - 1, Math.floor((f0 / nyquist) * bins));
      const b1 = Math.min(bins, Math.max(b0 + 1, Math.ceil((f1 / nyquist) * bins)));
      out.push([b0, b1]);
    }
    return out;
  };

  const sample = () => {
    const analyser = player.analyser;
    const playing = player.state === "playing" && analyser;
    if (!playing) {
      for (let i = 0; i < bars; i++) {
        levels[i] *= 0.85;
        caps[i] = Math.max(levels[i], caps[i] - 0.02);
      }
      return;
    }
    if (!data || data.length !== analyser.frequencyBinCount) {
      data = new Uint8Array(analyser.frequencyBinCount);
      bands = makeBands(analyser);
    }
    analyser.getByteFrequencyData(data);
    for (let i = 0; i < bars; i++) {
      const [b0, b1] = bands[i];
      let peak = 0;
      for (let b = b0; b < b1; b++) peak = Math.max(peak, data[b]);
      // A gentle tilt: higher bands carry less energy; lift them so the display looks even.
      const v = Math.min(1, (peak / 255) * (0.85 + (0.35 * i) / bars));
      levels[i] = Math.max(v, levels[i] * 0.82);
      caps[i] = Math.max(levels[i], caps[i] - 0.012);
    }
  };

  const draw = (animate) => {
    g.clearRect(0, 0, width, height);
    const area = reflection ? height * 0.8 : height;
    const slot = width / bars;
    const barW = Math.max(1, slot - gap * dpr);
    const grad = g.createLinearGradient(0, area, 0, 0);
    grad.addColorStop(0, colour);
    grad.addColorStop(1, "rgba(255,255,255,0.92)");
    const stopped = player.state !== "playing";
    for (let i = 0; i < bars; i++) {
      let level = levels[i];
      if (stopped && idle) level = Math.max(level, 0.035 + 0.025 * Math.sin(i * 0.7));
      const h = Math.max(dpr * 2, level * area * 0.94);
      const x = i * slot + (slot - barW) / 2;
      g.globalAlpha = stopped ? 0.35 : 1;
      g.fillStyle = grad;
      g.fillRect(x, area - h, barW, h);
      if (reflection) {
        g.globalAlpha = stopped ? 0.06 : 0.14;
        g.fillRect(x, area + dpr, barW, Math.min(h * 0.35, height - area));
      }
      if (peaks && animate && !stopped && caps[i] > 0.02) {
        g.globalAlpha = 0.9;
        g.fillStyle = "#fff";
        g.fillRect(x, area - caps[i] * area * 0.94 - 3 * dpr, barW, 2 * dpr);
      }
    }
    g.globalAlpha = 1;
  };

  const loop = () => {
    frame = 0;
    sample();
    draw(!reducedMotion.matches);
    if (player.state === "playing" || levels.some((l) => l > 0.01)) schedule();
  };

  const schedule = () => {
    if (frame || timer) return;
    if (reducedMotion.matches) {
      timer = setTimeout(() => {
        timer = 0;
        loop();
      }, 500);
    } else {
      frame = requestAnimationFrame(loop);
    }
  };

  const onState = () => {
    colour = accentColour();
    schedule();
  };

  const observer = new ResizeObserver(resize);
  observer.observe(canvas);
  player.addEventListener("state", onState);
  resize();
  schedule();

  return {
    detach() {
      observer.disconnect();
      player.removeEventListener("state", onState);
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    },
  };
}
