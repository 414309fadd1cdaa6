// @ts-check
// Shared pieces of the browser tests: the browser, the server's features, screenshots.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = process.env.SHOWFLOOR_E2E_URL ?? "http://127.0.0.1:8080";
export const ARTIFACTS = process.env.SHOWFLOOR_E2E_ARTIFACTS ?? "test-artifacts/e2e";

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      // A synthetic camera (moving test pattern) and microphone (beeps), no permission prompt.
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

/**
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 */
export async function api(path, init = {}) {
  return fetch(new URL(path, BASE), init);
}

/** Log in through the login page and land on `next`.
 * @param {import("playwright-core").Page} page @param {string} email @param {string} password */
export async function logIn(page, email, password, next = "/") {
  await page.goto(`${BASE}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => url.pathname === next);
}

/** In the studio: create a show and add one product with the form; returns the show's id and
 * the product's row in the studio.
 * @param {import("playwright-core").Page} studio @param {string} title
 * @param {{ title: string, sku: string, price: string, stock: string }} product */
export async function createShowWithProduct(studio, title, product) {
  await studio.getByLabel("Title", { exact: true }).fill(title);
  await studio.getByRole("button", { name: "Create show" }).click();
  await studio.waitForURL(/\/studio\/\d+$/);
  const showId = Number(new URL(studio.url()).pathname.split("/").pop());
  await studio.getByRole("heading", { level: 1, name: title }).waitFor();
  await studio.getByRole("button", { name: "Add a product" }).click();
  const form = studio.locator("form.add-product");
  await form.getByLabel("Title").fill(product.title);
  await form.getByLabel("SKU").fill(product.sku);
  await form.getByLabel("Price").fill(product.price);
  await form.getByLabel("Stock").fill(product.stock);
  await form.getByRole("button", { name: "Add product" }).click();
  const item = studio.getByTestId("studio-product").filter({ hasText: product.title });
  await item.waitFor();
  return { showId, item };
}
