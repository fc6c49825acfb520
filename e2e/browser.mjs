// End-to-end test of the microservices demo's front end in a real browser: Debian's headless
// Chromium driven by playwright-core (see tests/browser.rs, which starts the three services
// and runs this script).
//
//   node e2e/browser.mjs http://127.0.0.1:<authority port>
//
// Needs `apt-get install -y chromium` (/usr/bin/chromium) and `npm ci --prefix e2e`.
// Prints each step; exits 1 with a clear message (and a screenshot path) on the first failure.
// The browser may only reach 127.0.0.1: other hosts are fenced off, and any request for one fails
// the run.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const playwrightVersion = createRequire(import.meta.url)("playwright-core/package.json").version;

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const STEP_TIMEOUT_MS = 10_000;
const LAUNCH_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 100_000;
const TOKEN_KEY = "access_token";

const authority = process.argv[2];
if (!authority || !/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(authority)) {
  console.error(`usage: node e2e/browser.mjs http://127.0.0.1:<port>  (got ${JSON.stringify(authority)})`);
  process.exit(2);
}
const authorityUrl = authority.replace(/\/$/, "");
const started = Date.now();
let profile;
let context;
let page;
let stepsPassed = 0;
const blocked = [];
const consoleLines = [];
const pageErrors = [];

function log(line) {
  console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
}

class StepError extends Error {}

function check(condition, message) {
  if (!condition) throw new StepError(message);
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StepError(`timed out after ${ms / 1000} s: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function cleanup() {
  if (context) await withTimeout(context.close(), 5_000, "closing the browser").catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
}

async function fail(name, error) {
  console.error(`\nE2E FAILED at step "${name}": ${error instanceof StepError ? error.message : error?.stack || error}`);
  if (page) {
    try {
      const state = await withTimeout(page.evaluate(pageState), 3_000, "reading the page");
      console.error(`page state: ${JSON.stringify(state, null, 2)}`);
    } catch (e) {
      console.error(`(could not read the page state: ${e.message})`);
    }
    const shot = join(tmpdir(), `auth-e2e-failure-${process.pid}-${Date.now()}.png`);
    try {
      await withTimeout(page.screenshot({ path: shot, fullPage: true }), 5_000, "screenshot");
      console.error(`screenshot: ${shot}`);
    } catch (e) {
      console.error(`(no screenshot: ${e.message})`);
    }
  }
  if (consoleLines.length) console.error(`browser console:\n  ${consoleLines.join("\n  ")}`);
  if (pageErrors.length) console.error(`page errors:\n  ${pageErrors.join("\n  ")}`);
  if (blocked.length) console.error(`requests beyond 127.0.0.1 (fenced off):\n  ${blocked.join("\n  ")}`);
  await cleanup();
  process.exit(1);
}

// Runs in the page: what the test looks at.
function pageState() {
  const text = (id) => document.getElementById(id)?.textContent ?? null;
  const visible = (id) => {
    const el = document.getElementById(id);
    return Boolean(el && !el.hidden && el.getClientRects().length > 0);
  };
  return {
    url: location.href,
    loginFormVisible: visible("login-form"),
    appVisible: visible("app"),
    who: text("who"),
    status: text("status"),
    body: text("body"),
    loginError: text("login-error"),
    token: localStorage.getItem("access_token"),
  };
}

async function state() {
  return page.evaluate(pageState);
}

async function step(name, body, ms = STEP_TIMEOUT_MS) {
  const t0 = Date.now();
  try {
    await withTimeout(Promise.resolve().then(body), ms, name);
    if (pageErrors.length) throw new StepError(`uncaught error in the page: ${pageErrors[0]}`);
    if (blocked.length) throw new StepError(`the page tried to reach beyond 127.0.0.1: ${blocked[0]}`);
  } catch (error) {
    await fail(name, error);
  }
  stepsPassed += 1;
  log(`ok   ${name} (${Date.now() - t0} ms)`);
}

/// Waits until the page state satisfies `predicate` (polled); fails with `what` and the last state.
async function waitFor(what, predicate, ms = STEP_TIMEOUT_MS - 1_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await state();
    if (predicate(last)) return last;
    if (Date.now() > deadline) {
      throw new StepError(`${what}; the page shows ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function logIn(username, password) {
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("#login");
}

function parseBody(s) {
  try {
    return JSON.parse(s.body);
  } catch {
    throw new StepError(`#body is not JSON: ${JSON.stringify(s.body)}`);
  }
}

/// Clicks a call button; checks the HTTP status the browser saw and the one the page shows.
async function call(button, service, path, expected) {
  const url = `${service}${path}`;
  const responded = page.waitForResponse(
    (r) => r.url() === url && r.request().method() === "GET",
    { timeout: STEP_TIMEOUT_MS - 1_000 },
  );
  // Clear the previous result so that an identical earlier answer cannot pass for this one.
  await page.evaluate(() => {
    document.getElementById("status").textContent = "";
    document.getElementById("body").textContent = "";
  });
  await page.click(`#${button}`);
  const response = await responded;
  check(response.status() === expected, `GET ${url}: the browser got ${response.status()}, expected ${expected}`);
  const s = await waitFor(`#status should become ${expected}`, (s) => s.status === String(expected));
  log(`     GET ${path} -> ${s.status} ${s.body.replace(/\s+/g, " ").slice(0, 160)}`);
  return s;
}

const overall = setTimeout(() => {
  console.error(`\nE2E FAILED: the whole run took longer than ${TOTAL_TIMEOUT_MS / 1000} s`);
  if (profile) rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
overall.unref();

let usersUrl;
let reportsUrl;
let bobToken;
let aliceToken;

await step(
  "launch headless Chromium",
  async () => {
    profile = mkdtempSync(join(tmpdir(), "auth-e2e-profile-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: LAUNCH_TIMEOUT_MS,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Fences so that the browser reaches nothing but 127.0.0.1: every other host goes through
        // a proxy on a closed loopback port (loopback itself bypasses proxies), and no name
        // resolves. Not Playwright's request routing: it answers CORS preflights itself, and
        // the services' real preflight answers are part of what this test checks.
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      ],
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS - 1_000);
    context.on("request", (request) => {
      const url = new URL(request.url());
      if ((url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "127.0.0.1") {
        blocked.push(request.url());
      }
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    const cdp = await context.newCDPSession(page);
    const { product } = await cdp.send("Browser.getVersion");
    await cdp.detach();
    log(`     ${product} (${CHROMIUM}), playwright-core ${playwrightVersion}, profile ${profile}`);
  },
  LAUNCH_TIMEOUT_MS + 5_000,
);

await step("open the demo page: the login form, no token", async () => {
  const response = await page.goto(`${authorityUrl}/`, { waitUntil: "load" });
  check(response && response.status() === 200, `GET / answered ${response?.status()}`);
  const s = await waitFor("the login form should be visible", (s) => s.loginFormVisible && !s.appVisible);
  check(s.token === null, `a fresh profile should have no token, found ${s.token}`);
  const services = await page.evaluate(() => SERVICES);
  usersUrl = services.users;
  reportsUrl = services.reports;
  check(/^http:\/\/127\.0\.0\.1:\d+$/.test(usersUrl), `the page's users URL is ${usersUrl}`);
  check(/^http:\/\/127\.0\.0\.1:\d+$/.test(reportsUrl), `the page's reports URL is ${reportsUrl}`);
  check(await page.evaluate(() => typeof axios === "function"), "Axios did not load");
});

await step("a wrong password is refused (401 shown, still logged out)", async () => {
  await logIn("bob", "not-bobs-password");
  const s = await waitFor("#login-error should say the login failed", (s) => /Login failed \(401\)/.test(s.loginError));
  check(s.loginFormVisible && !s.appVisible && s.token === null, "a refused login must not log in");
});

await step("log in as bob", async () => {
  await logIn("bob", "bob-password");
  const s = await waitFor("#app should be visible with #who = bob", (s) => s.appVisible && s.who === "bob");
  check(!s.loginFormVisible, "the login form should be hidden once logged in");
  check(s.loginError === "", `the earlier error should be cleared, got ${JSON.stringify(s.loginError)}`);
  check(typeof s.token === "string" && s.token.split(".").length === 3, `localStorage should hold a JWT, got ${s.token}`);
  bobToken = s.token;
});

await step("bob: users GET /me -> 200 with bob", async () => {
  const s = await call("call-me", usersUrl, "/me", 200);
  const body = parseBody(s);
  check(body.sub === "bob", `/me should answer sub bob, got ${JSON.stringify(body)}`);
  check(Array.isArray(body.roles) && body.roles.includes("user"), `bob should have role user: ${JSON.stringify(body)}`);
});

await step("bob: users GET /admin/users -> 403 shown", async () => {
  const s = await call("call-admin-users", usersUrl, "/admin/users", 403);
  check(s.appVisible && s.token === bobToken, "a 403 must not log bob out");
  check(await page.isVisible("#status"), "#status should be visible");
  check(!s.body.includes("alice"), `a 403 must not leak the user list: ${s.body}`);
});

await step("bob: reports GET /reports/all -> 403 shown", async () => {
  const s = await call("call-all-reports", reportsUrl, "/reports/all", 403);
  check(s.appVisible && s.token === bobToken, "a 403 must not log bob out");
});

await step("reload: still logged in as bob", async () => {
  await page.reload({ waitUntil: "load" });
  const s = await waitFor("after a reload #app should be visible with #who = bob", (s) => s.appVisible && s.who === "bob");
  check(!s.loginFormVisible, "the login form should stay hidden after a reload");
  check(s.token === bobToken, "the token in localStorage should survive the reload unchanged");
});

await step("bob: reports GET /reports -> 200, the users service's answer for bob (token forwarded)", async () => {
  const s = await call("call-reports", reportsUrl, "/reports", 200);
  const body = parseBody(s);
  check(
    Array.isArray(body.reports) && body.reports.includes("monthly report for bob"),
    `/reports should list bob's report: ${JSON.stringify(body)}`,
  );
  const says = body.users_service_says;
  check(
    says && says.status === 200 && says.body && says.body.sub === "bob",
    `the reports service should show the users service answering 200 for bob: ${JSON.stringify(says)}`,
  );
});

await step("log out: the login form again, token gone", async () => {
  await page.click("#logout");
  const s = await waitFor("the login form should be visible after logging out", (s) => s.loginFormVisible && !s.appVisible);
  check(s.token === null, `logging out should remove the token, found ${s.token}`);
  check(s.status === "" && s.body === "", "logging out should clear the last answer");
});

await step("log in as alice", async () => {
  await logIn("alice", "alice-password");
  const s = await waitFor("#app should be visible with #who = alice", (s) => s.appVisible && s.who === "alice");
  check(s.token && s.token !== bobToken, "alice should get her own token");
  check(s.status === "" && s.body === "", "a new login should start with no answer shown");
  aliceToken = s.token;
});

await step("alice: users GET /admin/users -> 200 with the user list", async () => {
  const s = await call("call-admin-users", usersUrl, "/admin/users", 200);
  const body = parseBody(s);
  const names = (body.users || []).map((u) => u.name).sort();
  check(JSON.stringify(names) === '["alice","bob"]', `the user list should be alice and bob: ${JSON.stringify(body)}`);
});

await step("alice: reports GET /reports/all -> 200", async () => {
  const s = await call("call-all-reports", reportsUrl, "/reports/all", 200);
  const body = parseBody(s);
  check(
    Array.isArray(body.reports) && body.reports.includes("monthly report for alice") && body.reports.includes("monthly report for bob"),
    `/reports/all should list every report: ${JSON.stringify(body)}`,
  );
});

await step("alice: users GET /me -> 200 with alice, role admin", async () => {
  const s = await call("call-me", usersUrl, "/me", 200);
  const body = parseBody(s);
  check(body.sub === "alice" && body.roles.includes("admin"), `/me should answer alice, admin: ${JSON.stringify(body)}`);
});

await step("an invalid token in localStorage: reload, GET /me -> 401 clears it and shows the login form", async () => {
  // alice's token with its payload rewritten (sub "mallory"): well formed, signature no longer valid.
  const [header, payload, signature] = aliceToken.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  claims.sub = "mallory";
  claims.roles = ["admin"];
  const forged = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
  await page.evaluate(([key, token]) => localStorage.setItem(key, token), [TOKEN_KEY, forged]);
  await page.reload({ waitUntil: "load" });
  // The page trusts nothing it decodes itself: it shows the claimed name until a service says no.
  await waitFor("after a reload the page should show the stored token's subject", (s) => s.appVisible && s.who === "mallory");
  const s0 = await call("call-me", usersUrl, "/me", 401);
  check(!/"sub"/.test(s0.body), `a 401 must not answer /me: ${s0.body}`);
  const s = await waitFor("a 401 should show the login form", (s) => s.loginFormVisible && !s.appVisible);
  check(s.token === null, `a 401 should remove the token from localStorage, found ${s.token}`);
  check(/session ended/i.test(s.loginError), `a 401 should tell the user to log in again, got ${JSON.stringify(s.loginError)}`);
});

await step("after the 401: log in as bob again", async () => {
  await logIn("bob", "bob-password");
  const s = await waitFor("#app should be visible with #who = bob", (s) => s.appVisible && s.who === "bob");
  check(s.loginError === "", "the session-ended message should be cleared by a new login");
  await call("call-me", usersUrl, "/me", 200);
});

await cleanup();
clearTimeout(overall);
log(`all ${stepsPassed} browser steps passed`);
