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

/**
 * Whether a route exists: a route the server does not have answers 404 with the generic
 * `not_found` code; an existing one answers anything else (401, 400, 200, or a specific 404).
 * @param {string} method
 * @param {string} path
 * @param {RequestInit} [init]
 */
export async function routeExists(method, path, init = {}) {
  const res = await api(path, { method, ...init });
  if (res.status === 405) return false;
  if (res.status !== 404) return true;
  const body = await res.json().catch(() => null);
  return body != null && typeof body.code === "string" && body.code !== "not_found";
}

/**
 * @param {string} email
 * @param {string} password
 * @returns {Promise<string>} an access token
 */
export async function loginToken(email, password) {
  const res = await api("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`login ${email}: HTTP ${res.status}`);
  return (await res.json()).access_token;
}
