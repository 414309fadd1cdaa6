// @ts-check
// `npm run e2e`: the browser end-to-end tests against a running `showfloor up`.
//
// SHOWFLOOR_E2E_URL=http://127.0.0.1:8080  use that server; host accounts are made with the CLI when
//                                          SHOWFLOOR_VAR_DIR names its data directory, or taken
//                                          from SHOWFLOOR_E2E_HOST_EMAIL / _PASSWORD
// (unset)                                  start `showfloor up` on a free port with a fresh data dir
// SHOWFLOOR_E2E_ARTIFACTS                  where screenshots go (default: <repo>/test-artifacts/e2e)
// CHROMIUM                                 the browser (default /usr/bin/chromium)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const repo = resolve(here, "../..");
const showfloor = join(repo, ".venv/bin/showfloor");

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** @param {string} url */
async function waitHealthy(url, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(new URL("/healthz", url));
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not become healthy`);
}

const env = { ...process.env };
/** @type {import("node:child_process").ChildProcess | null} */
let server = null;
/** @type {string | null} */
let ownVarDir = null;

if (!env.SHOWFLOOR_E2E_URL) {
  ownVarDir = mkdtempSync(join(tmpdir(), "showfloor-e2e-"));
  const port = await freePort();
  env.SHOWFLOOR_E2E_URL = `http://127.0.0.1:${port}`;
  env.SHOWFLOOR_VAR_DIR = ownVarDir;
  env.SHOWFLOOR_RTMP_PORT = String(await freePort());
  server = spawn(showfloor, ["up", "--host", "127.0.0.1", "--port", String(port)], {
    cwd: repo,
    env: { ...env, SHOWFLOOR_LOG_LEVEL: env.SHOWFLOOR_LOG_LEVEL ?? "WARNING" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  console.log(`e2e: started showfloor up on ${env.SHOWFLOOR_E2E_URL} (data in ${ownVarDir})`);
}

let code = 1;
try {
  await waitHealthy(env.SHOWFLOOR_E2E_URL);
  if (!env.SHOWFLOOR_E2E_HOST_EMAIL) {
    if (!env.SHOWFLOOR_VAR_DIR) {
      throw new Error(
        "Set SHOWFLOOR_VAR_DIR (the server's data directory) or SHOWFLOOR_E2E_HOST_EMAIL/_PASSWORD",
      );
    }
    const email = `host-${Date.now()}@example.com`;
    const password = "e2e host password";
    const made = spawnSync(
      showfloor,
      ["user", "create", "--email", email, "--role", "host", "--password-stdin"],
      { cwd: repo, env, input: password + "\n", encoding: "utf8" },
    );
    if (made.status !== 0) throw new Error(`showfloor user create failed: ${made.stderr}`);
    env.SHOWFLOOR_E2E_HOST_EMAIL = email;
    env.SHOWFLOOR_E2E_HOST_PASSWORD = password;
  }
  env.SHOWFLOOR_E2E_ARTIFACTS ??= join(repo, "test-artifacts", "e2e");
  const tests = spawnSync(
    process.execPath,
    [
      "--test",
      "--test-concurrency=1",
      "--test-reporter=spec",
      join(here, "live-shopping.test.mjs"),
      join(here, "fair-drop.test.mjs"),
    ],
    { env, stdio: "inherit" },
  );
  code = tests.status ?? 1;
} finally {
  if (server) {
    server.kill("SIGTERM");
    await new Promise((r) => server?.once("exit", r));
  }
  if (ownVarDir) rmSync(ownVarDir, { recursive: true, force: true });
}
process.exit(code);
