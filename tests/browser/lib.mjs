// Shared helpers of the browser tests: a private tinyice (through server.py, which reuses the
// integration harness), Debian's chromium driven by playwright-core, screenshots, HTTP helpers.

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));

export const CHROMIUM = process.env.TINYICE_CHROMIUM || "/usr/bin/chromium";
// Without the background-networking flags chromium keeps trying Google's hosts, which this
// machine's closed network refuses; --autoplay-policy lets the player start without a real
// user gesture should a click not count as one in headless mode.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--autoplay-policy=no-user-gesture-required",
];

/** Upper bound of every single wait in the tests (ms). */
export const WAIT = 15000;

/**
 * Starts tinyice with a private config (see server.py for `spec`). Resolves to
 * {port, url, admin_user, admin_password, command(obj), stop()} once it accepts connections.
 */
export async function startServer(spec = {}) {
  const binary = process.env.TINYICE_BINARY;
  if (!binary) throw new Error("TINYICE_BINARY is not set (ctest sets it; point it at a built tinyice)");
  const child = spawn("python3", ["-u", path.join(here, "server.py"), JSON.stringify(spec)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  const queued = [];
  lines.on("line", (line) => {
    const w = waiting.shift();
    if (w) w.resolve(line);
    else queued.push(line);
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  exited.then(({ code, signal }) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`server.py exited (${code ?? signal})`));
  });
  // A test process that dies without calling stop() still ends the server: closing stdin
  // (which the kernel does for us) makes server.py stop everything.
  const killOnExit = () => child.kill("SIGTERM");
  process.on("exit", killOnExit);

  const nextLine = (ms) =>
    new Promise((resolve, reject) => {
      if (queued.length) return resolve(queued.shift());
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error("server.py is not running"));
      const w = { resolve, reject };
      waiting.push(w);
      setTimeout(() => {
        const i = waiting.indexOf(w);
        if (i >= 0) {
          waiting.splice(i, 1);
          reject(new Error(`server.py did not answer within ${ms} ms`));
        }
      }, ms).unref();
    });

  const info = JSON.parse(await nextLine(120000));
  let chain = Promise.resolve();
  const server = {
    ...info,
    /** Sends one command to server.py; resolves to its reply, throws on {"ok": false}. */
    command(msg, ms = 30000) {
      const run = chain.then(async () => {
        child.stdin.write(`${JSON.stringify(msg)}\n`);
        const reply = JSON.parse(await nextLine(ms));
        if (!reply.ok) throw new Error(`server.py ${msg.cmd}: ${reply.error}`);
        return reply;
      });
      chain = run.catch(() => {});
      return run;
    },
    async log() {
      return (await server.command({ cmd: "log" })).log;
    },
    /** Stops ffmpeg and tinyice (bounded); safe to call twice. */
    async stop() {
      process.off("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  return server;
}

/** Debian's chromium, headless, with a fresh profile (playwright makes a new one each launch). */
export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
}

/** A page with bounded default timeouts, its console errors and page errors collected. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.setDefaultNavigationTimeout(WAIT);
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  return page;
}

let shotDir = null;
/** Saves a full-page PNG in this run's screenshot folder; returns its path. */
export async function screenshot(page, name) {
  if (!shotDir) {
    shotDir = mkdtempSync(path.join(tmpdir(), "tinyice-browser-shots-"));
    console.log(`screenshots: ${shotDir}`);
  }
  const file = path.join(shotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Signs in through the /login form as the config file's administrator; ends on /admin. */
export async function login(page, server) {
  await page.goto(`${server.url}/login`);
  await page.fill("input[name=username]", server.admin_user);
  await page.fill("input[name=password]", server.admin_password);
  await Promise.all([page.waitForURL(`${server.url}/admin`), page.click("[data-submit]")]);
}

/** A JSON API call with the administrator's Basic credentials: {status, body}. */
export async function api(server, method, apiPath, body) {
  const auth = Buffer.from(`${server.admin_user}:${server.admin_password}`).toString("base64");
  const res = await fetch(`${server.url}${apiPath}`, {
    method,
    headers: { Authorization: `Basic ${auth}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(WAIT),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/** Polls fn() (async allowed) until it returns a truthy value; throws after `ms`. */
export async function waitFor(fn, what, ms = WAIT, interval = 100) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * A listener reading `mountPath` over plain HTTP; {bytes, closed, done (a promise that settles
 * when the server closes the connection), close()}.
 */
export function listen(server, mountPath) {
  const state = { bytes: 0, closed: false, status: 0 };
  let req;
  state.done = new Promise((resolve) => {
    req = http.get(`${server.url}${mountPath}`, { headers: { "User-Agent": "tinyice-browser-test/1.0" } }, (res) => {
      state.status = res.statusCode;
      res.on("data", (chunk) => {
        state.bytes += chunk.length;
      });
      res.on("close", () => {
        state.closed = true;
        resolve();
      });
    });
    req.on("error", () => {
      state.closed = true;
      resolve();
    });
  });
  state.close = () => req.destroy();
  return state;
}

/**
 * The first event of a server-sent event feed, read as the administrator (HTTP Basic):
 * {event, data (parsed JSON)}.
 */
export function firstEvent(server, feedPath) {
  const auth = Buffer.from(`${server.admin_user}:${server.admin_password}`).toString("base64");
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.url}${feedPath}`, { headers: { Authorization: `Basic ${auth}` } }, (res) => {
      if (res.statusCode !== 200) {
        req.destroy();
        reject(new Error(`GET ${feedPath}: ${res.statusCode}`));
        return;
      }
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
        const m = /event: (\S+)\ndata: (.*)\n\n/.exec(text);
        if (m) {
          req.destroy();
          resolve({ event: m[1], data: JSON.parse(m[2]) });
        }
      });
    });
    req.setTimeout(WAIT, () => req.destroy(new Error(`no event on ${feedPath} within ${WAIT} ms`)));
    req.on("error", reject);
  });
}

