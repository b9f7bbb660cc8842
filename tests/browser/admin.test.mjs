// Studio pages that change things: creating a mount, kicking a listener, reordering an AutoDJ
// playlist by drag and drop. Each checks the result through the JSON API, not only the DOM.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, launchBrowser, listen, login, newPage, screenshot, startServer, waitFor, WAIT } from "./lib.mjs";

let server;
let browser;
let page;
const listeners = [];

// The confirm button of app.js's confirmDialog(): the last button of the open <dialog>.
const CONFIRM = "dialog[open] .dialog-actions button:last-child";

before(async () => {
  server = await startServer({ stations: [{ name: "main", mount: "/autodj", tracks: 3 }] });
  browser = await launchBrowser();
  page = await newPage(browser);
  await login(page, server);
});

after(async () => {
  for (const l of listeners) l.close();
  await browser?.close();
  await server?.stop();
});

test("create a mount", async (t) => {
  await page.goto(`${server.url}/admin/mounts`);
  await page.click('[data-action="mount-new"]');
  const form = page.locator('form[data-form="mount"]');
  await form.waitFor({ state: "visible" });
  await form.locator("input[name=name]").fill("/browser");
  await form.locator("input[name=password]").fill("browser-source-pw");
  await form.locator("[type=submit]").click();
  await page.waitForFunction(() => document.querySelector('[data-mount-row="/browser"]') !== null);
  const res = await api(server, "GET", "/api/mounts");
  assert.equal(res.status, 200);
  const created = res.body.mounts.find((m) => m.name === "/browser");
  assert.ok(created, `GET /api/mounts lists /browser: ${JSON.stringify(res.body)}`);
  assert.equal(created.defined_in, "api");
  assert.equal(created.settings.has_password, true);
  assert.deepEqual(page.errors, []);
});

test("kick a listener", async (t) => {
  await server.command({ cmd: "source", mount: "/live" });
  await server.command({ cmd: "wait_source", mount: "/live" });
  const listener = listen(server, "/live");
  listeners.push(listener);
  await waitFor(() => listener.bytes > 0, "the listener to receive audio");

  await page.goto(`${server.url}/admin/listeners?mount=/live`);
  const row = page.locator("[data-listener-id]");
  await row.first().waitFor();
  assert.equal(await row.count(), 1, "one listener is shown");
  const id = await row.first().getAttribute("data-listener-id");
  await row.first().locator('[data-action="kick"]').click();
  await page.locator(CONFIRM).click();
  await page.waitForFunction((lid) => document.querySelector(`[data-listener-id="${lid}"]`) === null, id);
  // The server closed the listener's connection.
  await Promise.race([
    listener.done,
    new Promise((_, reject) => setTimeout(() => reject(new Error("the listener was not disconnected")), WAIT)),
  ]);
  assert.equal(listener.closed, true);
  const res = await api(server, "GET", "/api/mounts/live/listeners");
  assert.equal(res.status, 200);
  assert.equal(res.body.listeners.length, 0, JSON.stringify(res.body));
  assert.deepEqual(page.errors, []);
});

test("reorder the AutoDJ playlist by drag and drop", async (t) => {
  // The station fills its playlist with the library once the first scan is done.
  const before = await waitFor(async () => {
    const r = await api(server, "GET", "/api/autodj/main/playlist");
    return r.status === 200 && r.body.entries.length === 3 && r.body;
  }, "the station's playlist of 3 tracks", 30000);
  const ids = before.entries.map((e) => String(e.id));

  await page.goto(`${server.url}/admin/autodj/main`);
  const items = page.locator("[data-playlist] [data-playlist-item]");
  await page.waitForFunction(() => document.querySelectorAll("[data-playlist] [data-playlist-item]").length === 3);
  assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.dataset.id)), ids, "the page shows the API's order");

  await items.nth(0).dragTo(items.nth(2));
  const after = await waitFor(async () => {
    const r = await api(server, "GET", "/api/autodj/main/playlist");
    const order = r.body.entries.map((e) => String(e.id));
    return order.join() !== ids.join() && order;
  }, "the playlist order to change");
  assert.equal(after.length, 3);
  assert.notEqual(after[0], ids[0], "the first entry moved");
  assert.deepEqual([...after].sort(), [...ids].sort(), "no entry was lost or added");
  // The page shows the new order without a reload.
  const shown = () => items.evaluateAll((els) => els.map((e) => e.dataset.id));
  await waitFor(async () => (await shown()).join() === after.join(), `the page to show the order ${after.join()}`)
    .catch(async (e) => {
      const file = await screenshot(page, "autodj-reorder-failed");
      throw new Error(`${e.message}; the page shows ${(await shown()).join()} (before: ${ids.join()}; ` +
        `script errors: ${page.errors.join("; ") || "none"}; screenshot ${file})`);
    });
  await screenshot(page, "autodj-reordered");
  assert.deepEqual(page.errors, []);
});
