// Signing in to the studio, the dashboard following a live source and a listener without a
// reload (server-sent events), and signing out.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, firstEvent, launchBrowser, listen, newPage, screenshot, startServer, WAIT } from "./lib.mjs";

let server;
let browser;
let page;
const listeners = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await newPage(browser);
});

after(async () => {
  for (const l of listeners) l.close();
  await browser?.close();
  await server?.stop();
});

test("a wrong password shows an error and stays on /login", async () => {
  await page.goto(`${server.url}/admin`);
  // Anonymous visitors are sent to the sign-in page, which remembers where they were going.
  assert.match(page.url(), /\/login\?next=/);
  await page.fill("input[name=username]", server.admin_user);
  await page.fill("input[name=password]", "not-the-password");
  await page.click("[data-submit]");
  const error = page.locator("[data-error]");
  await error.waitFor({ state: "visible" });
  assert.match(await error.textContent(), /Wrong user name or password/);
  assert.match(page.url(), /\/login/);
  assert.equal(await page.inputValue("input[name=password]"), "", "the password field is cleared");
});

test("the right password lands on the dashboard", async () => {
  await page.fill("input[name=username]", server.admin_user);
  await page.fill("input[name=password]", server.admin_password);
  await Promise.all([page.waitForURL(`${server.url}/admin`), page.click("[data-submit]")]);
  await page.waitForSelector("[data-mount-rows]", { state: "attached" });
  assert.equal(await page.locator('[data-mount-rows] tr[data-key="/live"]').count(), 0);
  assert.equal((await page.textContent("[data-stat=sources]")).trim(), "0");
  // The live indicator shows the SSE feed is connected.
  await page.waitForFunction(() => document.querySelector("[data-conn]")?.dataset.state === "live");
});

test("the dashboard follows a source and a listener without a reload", async (t) => {
  // The dashboard's numbers come from the server totals in /admin/events.
  const first = await firstEvent(server, "/admin/events");
  assert.ok(first.data.server && Array.isArray(first.data.mounts), JSON.stringify(first.data).slice(0, 200));
  // A marker on window disappears on a reload: it proves the updates came over SSE.
  await page.evaluate(() => {
    window.__noReload = true;
  });
  await server.command({ cmd: "source", mount: "/live" });
  await page.waitForFunction(
    () => document.querySelector('[data-mount-rows] tr[data-key="/live"]')?.classList.contains("is-live"),
    null,
    { timeout: WAIT },
  );
  await page.waitForFunction(() => document.querySelector("[data-stat=sources]")?.textContent.trim() === "1");
  const set = await api(server, "POST", "/api/mounts/live/metadata", { artist: "Test Artist", title: "Dashboard Song" });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  await page.waitForFunction(() =>
    document.querySelector('[data-mount-rows] tr[data-key="/live"] .row-now')?.textContent.includes("Dashboard Song"),
  );
  assert.ok(await page.isHidden("[data-mounts-empty]"));

  const listener = listen(server, "/live");
  listeners.push(listener);
  await page.waitForFunction(
    () => document.querySelector('[data-mount-rows] tr[data-key="/live"] td[data-label=Listeners]')?.textContent.trim() === "1",
  );
  await page.waitForFunction(() => document.querySelector("[data-stat=listeners]")?.textContent.trim() === "1");
  // Bandwidth out leaves zero once the listener is fed.
  await page.waitForFunction(() => {
    const text = document.querySelector("[data-stat=bandwidth_out]")?.textContent || "";
    return /[1-9]/.test(text);
  });
  assert.ok(listener.bytes > 0, "the listener received audio");
  assert.equal(await page.evaluate(() => window.__noReload), true, "the page was not reloaded");
  await screenshot(page, "dashboard-streaming");

  listener.close();
  await page.waitForFunction(
    () => document.querySelector('[data-mount-rows] tr[data-key="/live"] td[data-label=Listeners]')?.textContent.trim() === "0",
  );
  assert.deepEqual(page.errors, [], "no script errors on the dashboard");
});

test("signing out ends the session", async () => {
  await Promise.all([page.waitForURL(/\/login$/), page.click("[data-action=logout]")]);
  const res = await page.request.get(`${server.url}/api/session`);
  assert.equal(res.status(), 401, "the session is gone");
  await page.goto(`${server.url}/admin`);
  assert.match(page.url(), /\/login\?next=/, "the studio asks to sign in again");
});
