// @ts-check
// A drop through the waiting line in Chromium: the host puts a product in queue mode and announces
// it, two viewers join before the sale opens, the host opens the sale, the one drawn first gets
// their turn with a countdown and buys, the other sees their place in line and then that it sold
// out. Each step needs the one before it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, BASE, createShowWithProduct, launchBrowser, logIn, screenshot } from "./support.mjs";

const HOST_EMAIL = process.env.SHOWFLOOR_E2E_HOST_EMAIL ?? "";
const HOST_PASSWORD = process.env.SHOWFLOOR_E2E_HOST_PASSWORD ?? "";
const STAMP = Date.now();
const VIEWERS = [
  { email: `queue-a-${STAMP}@example.com`, name: "Ana in line" },
  { email: `queue-b-${STAMP}@example.com`, name: "Ben in line" },
];
const VIEWER_PASSWORD = "e2e viewer password";
const PRODUCT = { title: "Limited jacket", sku: `JKT-${STAMP}`, price: "249.00", stock: "1" };

/** @type {import("playwright-core").Browser} */
let browser;
/** @type {import("playwright-core").Page} */
let studio;
/** @type {import("playwright-core").Page[]} */
let viewers = [];
let showId = 0;
const state = { queueMode: false, announced: false, joined: false, opened: false, buyer: -1, bought: false };


/** The product's buy panel in the viewer's product list. @param {import("playwright-core").Page} page */
function railItem(page) {
  return page.getByTestId("rail-item").filter({ hasText: PRODUCT.title });
}

describe("a drop through the waiting line", { timeout: 180_000 }, () => {
  before(async () => {
    assert.ok(HOST_EMAIL, "SHOWFLOOR_E2E_HOST_EMAIL is set by npm run e2e");
    browser = await launchBrowser();
    const hostContext = await browser.newContext({ viewport: { width: 1440, height: 960 } });
    studio = await hostContext.newPage();
    for (const v of VIEWERS) {
      const res = await api("/api/v1/auth/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: v.email, password: VIEWER_PASSWORD, display_name: v.name }),
      });
      assert.equal(res.status, 201, `registering ${v.email}`);
      // One viewer on a phone-sized screen, one on a laptop.
      const context = await browser.newContext(
        viewers.length === 0 ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 860 } },
      );
      viewers.push(await context.newPage());
    }
    for (const page of [studio, ...viewers]) {
      page.on("pageerror", (err) => console.error(`[page error] ${err.message}`));
    }
  });

  after(async () => {
    if (studio) await screenshot(studio, "queue-studio").catch(() => undefined);
    for (const [i, page] of viewers.entries()) {
      if (showId) await screenshot(page, `queue-viewer-${i + 1}`).catch(() => undefined);
    }
    await browser?.close();
  });

  it("host creates a show with a product and puts it in queue mode", async () => {
    await logIn(studio, HOST_EMAIL, HOST_PASSWORD, "/studio");
    const created = await createShowWithProduct(studio, "E2E waiting line", PRODUCT);
    showId = created.showId;
    const item = created.item;

    await item.getByRole("combobox", { name: "Mode" }).selectOption("queue");
    await item.getByRole("group", { name: "Waiting line" }).waitFor();
    const products = await (await api(`/api/v1/shows/${showId}/products`)).json();
    assert.equal(products[0].sale_mode, "queue");
    assert.equal(products[0].sale_open, false);
    state.queueMode = true;
  });

  it("host announces the drop", async () => {
    assert.ok(state.queueMode, "needs the product in queue mode");
    const item = studio.getByTestId("studio-product").filter({ hasText: PRODUCT.title });
    await item.getByRole("button", { name: "Announce the drop" }).click();
    await item.getByText("The drop is announced").waitFor({ timeout: 10_000 });
    await item.getByTestId("queue-length").filter({ hasText: "0 in line" }).waitFor({ timeout: 10_000 });
    const product = (await (await api(`/api/v1/shows/${showId}/products`)).json())[0];
    const room = await (await api(`/api/v1/products/${product.id}/queue`)).json();
    assert.equal(room.phase, "waiting");
    state.announced = true;
  });

  it("viewers join the line before the sale opens", async () => {
    assert.ok(state.announced, "needs the drop announced");
    for (const [i, page] of viewers.entries()) {
      await logIn(page, VIEWERS[i]?.email ?? "", VIEWER_PASSWORD, `/s/${showId}`);
      await page.getByRole("heading", { level: 1, name: "E2E waiting line" }).waitFor();
      const item = railItem(page);
      await item.waitFor();
      await item.getByRole("button", { name: "Buy" }).click();
      const join = item.getByRole("button", { name: "Join the line" });
      await join.waitFor();
      // Keyboard: the join button is reachable and pressed with Enter.
      await join.focus();
      await page.keyboard.press("Enter");
      await item.getByText("You are in line").waitFor({ timeout: 10_000 });
      assert.match((await item.getByTestId("queue-status").textContent()) ?? "", /random/);
    }
    const item = studio.getByTestId("studio-product").filter({ hasText: PRODUCT.title });
    await item.getByTestId("queue-length").filter({ hasText: "2 in line" }).waitFor({ timeout: 15_000 });
    state.joined = true;
  });

  it("host opens the sale: one viewer gets the turn, the other sees their place", async () => {
    assert.ok(state.joined, "needs viewers in line");
    await studio.getByRole("switch").click();
    await studio.waitForFunction(() => (/** @type {HTMLInputElement | null} */ (document.querySelector("[role=switch]")))?.checked === true);
    state.opened = true;
    // Only one unit: the line's order is drawn at random, so either viewer may be first.
    const turns = viewers.map((page) => railItem(page).getByTestId("queue-turn"));
    const first = await Promise.any(turns.map((t, i) => t.waitFor({ timeout: 20_000 }).then(() => i)));
    state.buyer = first;
    const other = viewers[1 - first];
    assert.ok(other);
    await railItem(other).getByTestId("queue-position").filter({ hasText: "1" }).waitFor({ timeout: 20_000 });
    assert.match((await railItem(other).getByTestId("queue-status").textContent()) ?? "", /Estimated wait/);
    const turn = railItem(/** @type {import("playwright-core").Page} */ (viewers[first])).getByTestId("queue-turn");
    assert.match((await turn.locator(".countdown").textContent()) ?? "", /\d+:\d\d/);
    await railItem(/** @type {import("playwright-core").Page} */ (viewers[first])).getByRole("button", { name: "Buy now" }).waitFor();
    const studioItem = studio.getByTestId("studio-product").filter({ hasText: PRODUCT.title });
    await studioItem.getByTestId("queue-length").filter({ hasText: "1 admitted so far" }).waitFor({ timeout: 15_000 });
  });

  it("the admitted viewer buys within the turn: hold with countdown, then order", async () => {
    assert.ok(state.buyer >= 0, "needs a viewer admitted");
    const page = /** @type {import("playwright-core").Page} */ (viewers[state.buyer]);
    const item = railItem(page);
    await item.getByRole("button", { name: "Buy now" }).click();
    await item.getByText("Reserved for you").waitFor({ timeout: 10_000 });
    assert.match((await item.locator(".buy-held .countdown").textContent()) ?? "", /\d+:\d\d/);
    await item.getByRole("button", { name: "Place order" }).click();
    await item.getByText("Order placed").waitFor({ timeout: 10_000 });
    state.bought = true;
  });

  it("the other viewer is told it sold out, and the host sees the sale", async () => {
    assert.ok(state.bought, "needs the order");
    const other = /** @type {import("playwright-core").Page} */ (viewers[1 - state.buyer]);
    await railItem(other).getByTestId("queue-status").filter({ hasText: "Sold out" }).waitFor({ timeout: 20_000 });
    await studio.waitForFunction(
      () => document.querySelector("[data-testid=sales-sold]")?.textContent === "1",
      undefined,
      { timeout: 15_000 },
    );
    assert.equal(await studio.getByTestId("sold").first().textContent(), "1");
  });
});

describe("a raffle drop", { timeout: 120_000 }, () => {
  const RAFFLE = { title: "Signed poster", sku: `PST-${STAMP}`, price: "40.00", stock: "1" };
  const ENTRANT = { email: `raffle-${STAMP}@example.com`, name: "Rae Raffle" };
  /** @type {import("playwright-core").Browser} */
  let raffleBrowser;
  /** @type {import("playwright-core").Page} */
  let host;
  /** @type {import("playwright-core").Page} */
  let viewer;
  let raffleShow = 0;
  const steps = { open: false, entered: false, drawn: false };

  before(async () => {
    raffleBrowser = await launchBrowser();
    host = await (await raffleBrowser.newContext({ viewport: { width: 1440, height: 960 } })).newPage();
    viewer = await (await raffleBrowser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
    const res = await api("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: ENTRANT.email, password: VIEWER_PASSWORD, display_name: ENTRANT.name }),
    });
    assert.equal(res.status, 201, "registering the entrant");
  });

  after(async () => {
    if (host) await screenshot(host, "raffle-studio").catch(() => undefined);
    if (viewer && raffleShow) await screenshot(viewer, "raffle-viewer").catch(() => undefined);
    await raffleBrowser?.close();
  });

  it("host puts a product in raffle mode and opens entries", async () => {
    await logIn(host, HOST_EMAIL, HOST_PASSWORD, "/studio");
    const created = await createShowWithProduct(host, "E2E raffle", RAFFLE);
    raffleShow = created.showId;
    const item = created.item;
    await item.getByRole("combobox", { name: "Mode" }).selectOption("raffle");
    const group = item.getByRole("group", { name: "Raffle" });
    await group.getByRole("button", { name: "Open entries" }).click();
    await group.getByTestId("raffle-entries").filter({ hasText: "0 entries" }).waitFor({ timeout: 10_000 });
    steps.open = true;
  });

  it("a viewer enters and sees the entry", async () => {
    assert.ok(steps.open, "needs entries open");
    await logIn(viewer, ENTRANT.email, VIEWER_PASSWORD, `/s/${raffleShow}`);
    const item = viewer.getByTestId("rail-item").filter({ hasText: RAFFLE.title });
    await item.getByRole("button", { name: "Buy" }).click();
    await item.getByRole("button", { name: "Enter the raffle" }).click();
    await item.getByText("You are in the raffle").waitFor({ timeout: 10_000 });
    const group = host.getByTestId("studio-product").filter({ hasText: RAFFLE.title }).getByRole("group", { name: "Raffle" });
    await group.getByTestId("raffle-entries").filter({ hasText: "1 entry" }).waitFor({ timeout: 15_000 });
    steps.entered = true;
  });

  it("host draws: the winner's item is reserved with a countdown, and they order it", async () => {
    assert.ok(steps.entered, "needs an entry");
    const group = host.getByTestId("studio-product").filter({ hasText: RAFFLE.title }).getByRole("group", { name: "Raffle" });
    host.once("dialog", (d) => void d.accept());
    await group.getByRole("button", { name: "Close entries and draw" }).click();
    await group.getByText("Drawn: 1 winner from 1 entry").waitFor({ timeout: 10_000 });
    steps.drawn = true;
    const item = viewer.getByTestId("rail-item").filter({ hasText: RAFFLE.title });
    await item.getByText("You won! Reserved for you").waitFor({ timeout: 20_000 });
    assert.match((await item.locator(".countdown").textContent()) ?? "", /\d+:\d\d/);
    await item.getByRole("button", { name: "Place order" }).click();
    await item.getByText("Order placed").waitFor({ timeout: 10_000 });
    const entries = await (await api(`/api/v1/products/${(await (await api(`/api/v1/shows/${raffleShow}/products`)).json())[0].id}/raffle/entries`)).json();
    assert.equal(entries.entries[0].outcome, "winner");
    assert.ok(entries.seed, "the seed is published after the draw");
  });
});
