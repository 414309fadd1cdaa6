// @ts-check
// The whole live-shopping path in Chromium: a host goes live from the studio over WHIP with a fake
// camera, a viewer watches, the host highlights a product, the viewer's card appears with the
// frame, the viewer buys, and the host sees the sale. Each step needs the one before it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, BASE, createShowWithProduct, launchBrowser, logIn, screenshot } from "./support.mjs";

const HOST_EMAIL = process.env.SHOWFLOOR_E2E_HOST_EMAIL ?? "";
const HOST_PASSWORD = process.env.SHOWFLOOR_E2E_HOST_PASSWORD ?? "";
const VIEWER_EMAIL = `viewer-${Date.now()}@example.com`;
const VIEWER_PASSWORD = "e2e viewer password";
const PRODUCT = { title: "Sneaker, size 42", sku: `AJ1-${Date.now()}`, price: "129.00", stock: "5" };

/** @type {import("playwright-core").Browser} */
let browser;
/** @type {import("playwright-core").Page} */
let studio;
/** @type {import("playwright-core").Page} */
let viewer;
/** @type {number} */
let showId = 0;
const state = { live: false, playing: false, highlighted: false, saleOpen: false, bought: false };


describe("live shopping in the browser", { timeout: 240_000 }, () => {
  before(async () => {
    assert.ok(HOST_EMAIL, "SHOWFLOOR_E2E_HOST_EMAIL is set by npm run e2e");
    browser = await launchBrowser();
    const hostContext = await browser.newContext({ viewport: { width: 1440, height: 960 } });
    await hostContext.grantPermissions(["camera", "microphone"], { origin: BASE });
    studio = await hostContext.newPage();
    const viewerContext = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    viewer = await viewerContext.newPage();
    for (const page of [studio, viewer]) {
      page.on("pageerror", (err) => console.error(`[page error] ${err.message}`));
    }
    const res = await api("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: VIEWER_EMAIL, password: VIEWER_PASSWORD, display_name: "Vera Viewer" }),
    });
    assert.equal(res.status, 201, "registering the viewer");
  });

  after(async () => {
    // Screenshots of both pages, whatever happened.
    if (studio) await screenshot(studio, "studio").catch(() => undefined);
    if (viewer && showId) await screenshot(viewer, "viewer").catch(() => undefined);
    if (viewer && showId) {
      await viewer.setViewportSize({ width: 390, height: 844 });
      await screenshot(viewer, "viewer-phone").catch(() => undefined);
    }
    await browser?.close();
  });

  it("host logs in to the studio, creates a show and adds a product", async () => {
    await logIn(studio, HOST_EMAIL, HOST_PASSWORD, "/studio");
    ({ showId } = await createShowWithProduct(studio, "E2E sneaker drop", PRODUCT));
    assert.equal(await studio.getByTestId("available").first().textContent(), PRODUCT.stock);

    const products = await (await api(`/api/v1/shows/${showId}/products`)).json();
    assert.equal(products.length, 1);
    assert.equal(products[0].price_minor, 12900);
  });

  it("host opens the sale", async () => {
    const sw = studio.getByRole("switch");
    // A controlled switch: it turns on once the server has opened the sale.
    await sw.click();
    await studio.waitForFunction(() => (/** @type {HTMLInputElement | null} */ (document.querySelector("[role=switch]")))?.checked === true);
    for (let i = 0; i < 50 && !state.saleOpen; i++) {
      const products = await (await api(`/api/v1/shows/${showId}/products`)).json();
      state.saleOpen = products[0].sale_open === true;
      if (!state.saleOpen) await studio.waitForTimeout(100);
    }
    assert.ok(state.saleOpen, "the sale is open on the server");
  });

  it("studio previews the fake camera and goes live over WHIP", async () => {
    await studio.getByRole("button", { name: "Start camera" }).click();
    await studio.waitForFunction(() => {
      const v = /** @type {HTMLVideoElement | null} */ (document.querySelector("[data-testid=preview]"));
      return !!v && v.videoWidth > 0;
    });
    await studio.getByRole("button", { name: "Go live" }).click();
    await studio.getByTestId("onair").filter({ hasText: "On air" }).waitFor({ timeout: 30_000 });
    state.live = true;
    // The health panel shows the encoder's output.
    await studio.waitForFunction(
      () => /bit\/s/.test(document.querySelector("[data-testid=health-bitrate]")?.textContent ?? ""),
      undefined,
      { timeout: 15_000 },
    );
  });

  it("viewer page plays the live stream", async () => {
    await logIn(viewer, VIEWER_EMAIL, VIEWER_PASSWORD, `/s/${showId}`);
    await viewer.getByRole("heading", { level: 1, name: "E2E sneaker drop" }).waitFor();
    await viewer.getByTestId("rail-item").filter({ hasText: PRODUCT.title }).waitFor();
    assert.ok(state.live, "needs the studio live over WHIP");
    await viewer.waitForFunction(
      () => {
        const v = document.querySelector("video.player-video");
        return v instanceof HTMLVideoElement && v.readyState >= 2 && v.currentTime > 0.5 && !v.paused;
      },
      undefined,
      { timeout: 60_000 },
    );
    state.playing = true;
  });

  it("host highlights the product and the viewer's card appears with the frame", async () => {
    assert.ok(state.playing, "needs the viewer playing the live stream");
    await studio.getByRole("button", { name: `Highlight ${PRODUCT.title}` }).click();
    await studio.getByText("is highlighted").waitFor({ timeout: 15_000 });
    const card = viewer.getByTestId("product-card");
    await card.waitFor({ timeout: 30_000 });
    const shownAt = await viewer.evaluate(() => {
      const v = /** @type {HTMLVideoElement | null} */ (document.querySelector("video.player-video"));
      return Number(v?.dataset.playingDate ?? NaN);
    });
    assert.match((await card.textContent()) ?? "", new RegExp(PRODUCT.title));
    // The card appears once the playhead reaches the highlight's program-date-time.
    const timeline = await (await api(`/api/v1/shows/${showId}/timeline`)).json();
    const start = Date.parse(timeline.highlights[0].start);
    const playing = await viewer.evaluate(() => {
      const v = document.querySelector("video.player-video");
      return v instanceof HTMLVideoElement ? v.currentTime : -1;
    });
    assert.ok(playing > 0, "the video is playing");
    assert.ok(Number.isFinite(start));
    // The card waited for the frame: when it appeared, the picture on screen was at (or within
    // one player tick of) the highlight's program-date-time, not earlier.
    assert.ok(Number.isFinite(shownAt), "the player reports its playing date");
    assert.ok(shownAt >= start - 300, `card shown at ${shownAt}, highlight starts at ${start}`);
    state.highlighted = true;
  });

  it("viewer buys from the card: hold with countdown, then order", async () => {
    assert.ok(state.saleOpen && state.highlighted, "needs the sale open and the card shown");
    const scope = viewer.getByTestId("product-card");
    await scope.getByRole("button", { name: "Buy now" }).click();
    await scope.getByText("Reserved for you").waitFor({ timeout: 10_000 });
    assert.match((await scope.locator(".countdown").textContent()) ?? "", /\d+:\d\d/);
    await scope.getByRole("button", { name: "Place order" }).click();
    await scope.getByText("Order placed").waitFor({ timeout: 10_000 });
    state.bought = true;
  });

  it("host sees the sale", async () => {
    assert.ok(state.bought, "needs the viewer's order");
    await studio.waitForFunction(
      () => document.querySelector("[data-testid=sales-sold]")?.textContent === "1",
      undefined,
      { timeout: 15_000 },
    );
    assert.equal(await studio.getByTestId("sold").first().textContent(), "1");
  });

  it("host ends the show; the viewer gets the replay with the highlight on its timeline", async () => {
    assert.ok(state.highlighted, "needs the highlight");
    studio.once("dialog", (dialog) => void dialog.accept());
    await studio.getByRole("button", { name: "End show" }).click();
    // The recording is finalised by media; the viewer's page switches to it on the channel's
    // "ended" event or on a reload.
    await viewer.reload();
    const replay = viewer.getByRole("navigation", { name: "Products in this replay" });
    await replay.waitFor({ timeout: 30_000 });
    const src = await viewer.evaluate(() => {
      const v = /** @type {HTMLVideoElement | null} */ (document.querySelector("video.player-video"));
      return v ? v.currentSrc || v.src : "";
    });
    assert.ok(src === "" || src.startsWith("blob:") || src.includes("/vod/"), `replay source ${src}`);
    await viewer.waitForFunction(
      () => {
        const v = document.querySelector("video.player-video");
        return v instanceof HTMLVideoElement && v.readyState >= 2;
      },
      undefined,
      { timeout: 30_000 },
    );
    const timeline = await (await api(`/api/v1/shows/${showId}/timeline`)).json();
    const start = Date.parse(timeline.highlights[0].start);
    await replay.getByRole("button", { name: new RegExp(PRODUCT.title) }).click();
    // Jumping to the highlight plays the frame it was shown at, and its card is up again.
    await viewer.waitForFunction(
      (at) => {
        const v = /** @type {HTMLVideoElement | null} */ (document.querySelector("video.player-video"));
        const date = Number(v?.dataset.playingDate ?? NaN);
        return Number.isFinite(date) && Math.abs(date - at) < 1500;
      },
      start,
      { timeout: 20_000 },
    );
    await viewer.getByTestId("product-card").waitFor({ timeout: 10_000 });
  });
});
