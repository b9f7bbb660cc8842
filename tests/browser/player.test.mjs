// The public pages: the landing page picks up a mount that goes live (SSE), the player page
// really plays the stream in chromium (currentTime advances) with its visualiser, and the
// embeddable widget loads with a play button.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, launchBrowser, newPage, screenshot, startServer, WAIT } from "./lib.mjs";

let server;
let browser;
let page;

// The player's <audio> element is made by audio.js and never put in the document; remember
// every media element that is asked to play so the test can read its currentTime.
function recordMediaElements() {
  window.__media = [];
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function recordAndPlay(...args) {
    if (!window.__media.includes(this)) window.__media.push(this);
    return play.apply(this, args);
  };
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await newPage(browser);
  await page.context().addInitScript(recordMediaElements);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the landing page shows a mount as soon as it goes live", async () => {
  await page.goto(`${server.url}/`);
  await page.waitForSelector("[data-empty]", { state: "visible" });
  assert.equal(await page.locator("[data-mounts] [data-key]").count(), 0);
  await page.evaluate(() => {
    window.__noReload = true;
  });

  await server.command({ cmd: "source", mount: "/live", name: "Browser FM" });
  await page.waitForFunction(() => document.querySelector('[data-mounts] [data-key="/live"]') !== null, null, {
    timeout: WAIT,
  });
  const card = page.locator('[data-mounts] [data-key="/live"]');
  // A title change reaches the card over the same feed.
  const set = await api(server, "POST", "/api/mounts/live/metadata", { artist: "Test Artist", title: "Landing Song" });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  await page.waitForFunction(() =>
    document.querySelector('[data-mounts] [data-key="/live"] .now')?.textContent.includes("Landing Song"),
  );
  assert.ok(await page.isHidden("[data-empty]"), "the empty state is hidden");
  assert.equal(await card.locator("a[href='/player/live']").count() > 0, true, "the card links to the player");
  assert.equal(await page.evaluate(() => window.__noReload), true, "the page was not reloaded");
  await screenshot(page, "landing-live");
  assert.deepEqual(page.errors, []);
});

test("the player page plays the stream and draws the visualiser", async () => {
  await page.goto(`${server.url}/player/live`);
  const toggle = page.locator("[data-player] [data-action=toggle]");
  await toggle.waitFor();
  assert.equal(await toggle.isEnabled(), true, "play is enabled while the mount is live");
  await toggle.click();
  await page.waitForFunction(() => (window.__media || []).some((a) => a.currentTime > 1 && !a.paused), null, {
    timeout: WAIT,
  });
  assert.equal(await toggle.getAttribute("aria-pressed"), "true");
  const canvas = page.locator("[data-player] canvas[data-vis]");
  assert.equal(await canvas.count(), 1, "the visualiser canvas exists");
  const box = await canvas.boundingBox();
  assert.ok(box && box.width > 0 && box.height > 0, "the visualiser is laid out");
  await screenshot(page, "player-playing");

  // Stopping releases the stream.
  await toggle.click();
  await page.waitForFunction(() => (window.__media || []).every((a) => a.paused));
  assert.equal(await toggle.getAttribute("aria-pressed"), "false");
  assert.deepEqual(page.errors, []);
});

test("the embed widget loads with a play button", async () => {
  const res = await page.goto(`${server.url}/embed/live`);
  assert.equal(res.status(), 200);
  // Any site may frame the widget.
  assert.match(res.headers()["content-security-policy"] || "", /frame-ancestors \*/);
  assert.equal(res.headers()["x-frame-options"], undefined);
  const play = page.locator("[data-player] button[data-action=toggle]");
  await play.waitFor();
  assert.equal(await play.isEnabled(), true);
  assert.equal(await page.locator("canvas[data-vis]").count(), 1);
  await screenshot(page, "embed");
  assert.deepEqual(page.errors, []);
});
