// End-to-end test of the microservices demo's front end in a real browser: Debian's headless
// Chromium driven by playwright-core (see tests/browser.rs, which starts the three services
// and two attacker pages, and runs this script).
//
//   node e2e/browser.mjs http://127.0.0.1:<authority port> \
//     http://127.0.0.1:<sibling attacker port> http://127.0.0.2:<cross-site attacker port>
//
// The page's two modes in turn: the token in localStorage (Authorization header), then in an
// HttpOnly cookie with the CSRF double submit, where both attacker pages try a forged POST.
// Needs `apt-get install -y chromium` (/usr/bin/chromium) and `npm ci --prefix e2e`.
// Prints each step; exits 1 with a clear message (and a screenshot path) on the first failure.
// The browser may only reach 127.0.0.1 and the cross-site attacker's 127.0.0.2: other hosts are
// fenced off, and any request for one fails the run.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const playwrightVersion = createRequire(import.meta.url)("playwright-core/package.json").version;

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const STEP_TIMEOUT_MS = 10_000;
const LAUNCH_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 150_000;
const TOKEN_KEY = "access_token";
const COOKIE_SESSION_KEY = "cookie_session";
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const [authority, siblingAttacker, crossSiteAttacker] = process.argv.slice(2);
if (
  !/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(authority ?? "") ||
  !/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(siblingAttacker ?? "") ||
  !/^http:\/\/127\.0\.0\.2:\d+\/?$/.test(crossSiteAttacker ?? "")
) {
  console.error(
    "usage: node e2e/browser.mjs http://127.0.0.1:<authority port> http://127.0.0.1:<attacker port> http://127.0.0.2:<attacker port>" +
      `  (got ${JSON.stringify(process.argv.slice(2))})`,
  );
  process.exit(2);
}
const authorityUrl = authority.replace(/\/$/, "");
const siblingUrl = siblingAttacker.replace(/\/$/, "");
const crossSiteUrl = crossSiteAttacker.replace(/\/$/, "");
// The hosts the browser may reach: the demo's, and the cross-site attacker's.
const ALLOWED_HOSTS = new Set(["127.0.0.1", "127.0.0.2"]);
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
    cookieMode: document.getElementById("mode-cookie")?.checked ?? null,
    sessionMode: text("session-mode"),
    cookieSession: localStorage.getItem("cookie_session"),
    documentCookie: document.cookie,
    storage: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
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

// The response of the last `call`, for steps that look at what the browser sent.
let lastResponse;

/// Clicks a call button; checks the HTTP status the browser saw and the one the page shows.
async function call(button, service, path, expected, method = "GET") {
  const url = `${service}${path}`;
  const responded = page.waitForResponse(
    (r) => r.url() === url && r.request().method() === method,
    { timeout: STEP_TIMEOUT_MS - 1_000 },
  );
  // Clear the previous result so that an identical earlier answer cannot pass for this one.
  await page.evaluate(() => {
    document.getElementById("status").textContent = "";
    document.getElementById("body").textContent = "";
  });
  await page.click(`#${button}`);
  const response = await responded;
  lastResponse = response;
  check(response.status() === expected, `${method} ${url}: the browser got ${response.status()}, expected ${expected}`);
  const s = await waitFor(`#status should become ${expected}`, (s) => s.status === String(expected));
  log(`     ${method} ${path} -> ${s.status} ${s.body.replace(/\s+/g, " ").slice(0, 160)}`);
  return s;
}

/// The request headers the browser sent for the last `call` (lower-case names).
async function lastRequestHeaders() {
  return lastResponse.request().allHeaders();
}

/// The browser's cookies for the demo's host, by name.
async function demoCookies() {
  const cookies = await context.cookies(authorityUrl);
  return Object.fromEntries(cookies.map((c) => [c.name, c]));
}

/// Waits until the browser holds neither cookie of the cookie mode.
async function waitForNoDemoCookies(what) {
  const deadline = Date.now() + STEP_TIMEOUT_MS - 2_000;
  for (;;) {
    const cookies = await demoCookies();
    if (!cookies.access_token && !cookies.csrf_token) return;
    if (Date.now() > deadline) throw new StepError(`${what}; the browser still holds ${JSON.stringify(Object.keys(cookies))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/// Requests a report with the page's POST button and title.
async function requestReport(title, expected) {
  await page.fill("#report-title", title);
  return call("call-request-report", reportsUrl, "/reports", expected, "POST");
}

/// Requests a report titled `title` for bob, which must be recorded (201); returns the headers
/// the browser sent with it.
async function requestBobsReport(title) {
  const body = parseBody(await requestReport(title, 201));
  check(
    body.title === title && body.requested_by === "bob",
    `POST /reports should answer the recorded report: ${JSON.stringify(body)}`,
  );
  return lastRequestHeaders();
}

/// Opens `attackerUrl` in a new tab: its page submits a form POST to the reports service at
/// once. Returns the status and body of that navigation's response.
async function forgedPost(attackerUrl) {
  const attacker = await context.newPage();
  attacker.on("pageerror", (e) => pageErrors.push(`attacker page: ${e}`));
  try {
    const responded = attacker.waitForResponse(
      (r) => r.url() === `${reportsUrl}/reports` && r.request().method() === "POST",
      { timeout: STEP_TIMEOUT_MS - 2_000 },
    );
    await attacker.goto(`${attackerUrl}/`, { waitUntil: "load" });
    const response = await responded;
    const request = response.request();
    const contentType = (await request.allHeaders())["content-type"] ?? "";
    check(
      contentType.startsWith("application/x-www-form-urlencoded"),
      `the forged request should be a plain form POST, its content type was ${JSON.stringify(contentType)}`,
    );
    check(!(await request.allHeaders())["x-csrf-token"], "a form POST cannot carry X-CSRF-Token");
    const status = response.status();
    const text = await response.text();
    log(`     forged POST /reports from ${attackerUrl} -> ${status} ${text.replace(/\s+/g, " ").slice(0, 160)}`);
    return { status, text };
  } finally {
    await attacker.close();
  }
}

/// `fetch` from the demo page with the browser's cookies and `headers`; status and JSON body.
async function fetchFromPage(url, headers = {}, method = "GET") {
  return page.evaluate(
    async ([url, headers, method]) => {
      const response = await fetch(url, { method, headers, credentials: "include" });
      let body = null;
      try {
        body = await response.json();
      } catch (_) {
        // No JSON body.
      }
      return { status: response.status, body };
    },
    [url, headers, method],
  );
}

/// A copy of `token` with its payload rewritten (sub "mallory", role admin): well formed, its
/// signature no longer valid.
function forge(token) {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  claims.sub = "mallory";
  claims.roles = ["admin"];
  return [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
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
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2",
      ],
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS - 1_000);
    context.on("request", (request) => {
      const url = new URL(request.url());
      if ((url.protocol === "http:" || url.protocol === "https:") && !ALLOWED_HOSTS.has(url.hostname)) {
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
  check(s.cookieMode === false, "the localStorage mode should be chosen by default");
  const cookies = await context.cookies();
  check(cookies.length === 0, `a fresh profile should have no cookies, found ${JSON.stringify(cookies)}`);
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

await step("bob: reports POST /reports -> 201 with the header token alone (no CSRF proof owed, no cookies)", async () => {
  const headers = await requestBobsReport("bob's header-mode report");
  check(headers.authorization === `Bearer ${bobToken}`, "the POST should carry bob's token in the Authorization header");
  check(!headers["x-csrf-token"], "the header mode sends no CSRF header");
  const cookies = await context.cookies();
  check(cookies.length === 0, `the header mode sets no cookies, found ${JSON.stringify(cookies.map((c) => c.name))}`);
});

await step("bob: reports POST /reports with an empty title -> 400 shown", async () => {
  const s = await requestReport("   ", 400);
  check(parseBody(s).error === "invalid_title", `an empty title should be refused as invalid_title: ${s.body}`);
  check(s.appVisible && s.token === bobToken, "a 400 must not log bob out");
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
  const titles = (body.requested || []).map((r) => r.title);
  check(
    JSON.stringify(titles) === JSON.stringify(["bob's header-mode report"]),
    `/reports should list the report bob requested, and only it: ${JSON.stringify(body)}`,
  );
});

await step("the page shows when its token expires, and refreshes it itself (here: Refresh now)", async () => {
  let s = await state();
  const expiresAt = await page.textContent("#expires-at");
  check(/\d/.test(expiresAt ?? ""), `#expires-at should show a time, got ${JSON.stringify(expiresAt)}`);
  check(/\d/.test((await page.textContent("#refresh-at")) ?? ""), "#refresh-at should show a time");
  check(typeof s.storage.refresh_token === "string" && s.storage.refresh_token.length > 20, "a refresh token is kept");
  const refreshed = page.waitForResponse((r) => r.url() === `${authorityUrl}/oauth/token` && r.request().method() === "POST");
  await page.click("#refresh-now");
  check((await refreshed).status() === 200, "the refresh grant should answer 200");
  s = await waitFor("#refreshes should become 1 with a new token", (s) => s.token && s.token !== bobToken && s.storage.refreshes === "1");
  check(s.storage.refresh_token !== undefined, "the rotated refresh token is kept");
  bobToken = s.token;
  const me = await call("call-me", usersUrl, "/me", 200);
  check(parseBody(me).sub === "bob", "the refreshed token works");
});

await step("log out everywhere: this session and bob's other one end on every service", async () => {
  // A second session of bob's, as another device would have.
  const login = await fetch(`${authorityUrl}/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "bob", password: "bob-password" }),
  });
  const other = (await login.json()).access_token;
  const me = (token) => fetch(`${usersUrl}/me`, { headers: { Authorization: `Bearer ${token}` } });
  check((await me(other)).status === 200, "bob's other session works before");
  await page.click("#logout-everywhere");
  const s = await waitFor("the login form should be visible after logging out everywhere", (s) => s.loginFormVisible && !s.appVisible);
  check(s.token === null && s.storage.refresh_token === undefined, "the tokens are forgotten");
  for (const [name, token] of [["this page's", bobToken], ["the other session's", other]]) {
    const users = await me(token);
    check(users.status === 401, `${name} token should be refused by users after logging out everywhere, got ${users.status}`);
    check(/revoked/.test(users.headers.get("www-authenticate") ?? ""), "the challenge says revoked");
    const reports = await fetch(`${reportsUrl}/reports`, { headers: { Authorization: `Bearer ${token}` } });
    check(reports.status === 401, `${name} token should be refused by reports, got ${reports.status}`);
  }
});

await step("log in as bob again", async () => {
  await logIn("bob", "bob-password");
  const s = await waitFor("#app should be visible with #who = bob", (s) => s.appVisible && s.who === "bob");
  bobToken = s.token;
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

await step("an invalid token in localStorage, no refresh token: reload, GET /me -> 401 clears it and shows the login form", async () => {
  // alice's token with its payload rewritten (sub "mallory"): well formed, signature no longer
  // valid; and no refresh token, so that the page cannot renew its way out.
  const forged = forge(aliceToken);
  await page.evaluate(([key, token]) => {
    localStorage.setItem(key, token);
    localStorage.removeItem("refresh_token");
  }, [TOKEN_KEY, forged]);
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
  bobToken = s.token;
});

// ---- The cookie mode: the token in an HttpOnly cookie, CSRF double submit. ----

let cookieToken;
let csrfValue;

await step("log out, choose the cookie mode; the choice survives a reload", async () => {
  await page.click("#logout");
  await waitFor("the login form should be visible after logging out", (s) => s.loginFormVisible && !s.appVisible);
  await page.check("#mode-cookie");
  await page.reload({ waitUntil: "load" });
  const s = await waitFor("after a reload the cookie mode should still be chosen", (s) => s.loginFormVisible && s.cookieMode === true);
  check(s.storage.token_mode === "cookie", `the choice should be kept in localStorage: ${JSON.stringify(s.storage)}`);
});

await step("cookie mode: log in as bob: an HttpOnly SameSite=Strict token cookie, a readable CSRF cookie, no token for scripts", async () => {
  const loggedIn = page.waitForResponse((r) => r.url() === `${authorityUrl}/login` && r.request().method() === "POST");
  await logIn("bob", "bob-password");
  const response = await loggedIn;
  check(response.status() === 200, `POST /login answered ${response.status()}`);
  const s = await waitFor("#app should be visible with #who = bob", (s) => s.appVisible && s.who === "bob");
  check(/cookie/.test(s.sessionMode), `the page should say the token is in a cookie, it says ${JSON.stringify(s.sessionMode)}`);
  const cookies = await demoCookies();
  const access = cookies.access_token;
  const csrf = cookies.csrf_token;
  check(access && csrf, `the login should set access_token and csrf_token, the browser holds ${JSON.stringify(Object.keys(cookies))}`);
  check(access.httpOnly === true, "access_token must be HttpOnly");
  check(access.sameSite === "Strict" && csrf.sameSite === "Strict", `both cookies must be SameSite=Strict: ${access.sameSite}, ${csrf.sameSite}`);
  check(access.path === "/" && csrf.path === "/", "both cookies should have Path=/");
  check(csrf.httpOnly === false, "csrf_token must be readable by the page's scripts");
  check(access.expires > Date.now() / 1000 && csrf.expires > Date.now() / 1000, "both cookies should last as long as the token");
  check(JWT.test(access.value), `access_token should hold a JWT, got ${access.value}`);
  check(/^[A-Za-z0-9_-]{43}$/.test(csrf.value), `csrf_token should be 32 random bytes in base64url, got ${csrf.value}`);
  cookieToken = access.value;
  csrfValue = csrf.value;
  // The scripts never see the token: not in the login response's body, not in storage, not in
  // document.cookie.
  const body = await response.text();
  check(!body.includes(cookieToken) && !/access_token/.test(body), `the login body must not carry the token: ${body}`);
  check(JSON.parse(body).sub === "bob", `the login body should say who logged in: ${body}`);
  check(s.token === null, "localStorage must not hold a token in the cookie mode");
  for (const [key, value] of Object.entries(s.storage)) {
    check(!JWT.test(value) && !value.includes(cookieToken), `localStorage[${key}] holds a token: ${value}`);
  }
  check(!s.documentCookie.includes(cookieToken) && !/access_token/.test(s.documentCookie), `document.cookie shows the token: ${s.documentCookie}`);
  check(s.documentCookie.includes(`csrf_token=${csrfValue}`), `document.cookie should show csrf_token: ${s.documentCookie}`);
});

await step("cookie mode: users GET /me -> 200 with bob, by the cookie alone", async () => {
  const s = await call("call-me", usersUrl, "/me", 200);
  const body = parseBody(s);
  check(body.sub === "bob", `/me should answer sub bob, got ${JSON.stringify(body)}`);
  const headers = await lastRequestHeaders();
  check(!headers.authorization, `the cookie mode sends no Authorization header, got ${headers.authorization}`);
});

await step("cookie mode: users GET /admin/users -> 403, reports GET /reports/all -> 403", async () => {
  let s = await call("call-admin-users", usersUrl, "/admin/users", 403);
  check(!s.body.includes("alice"), `a 403 must not leak the user list: ${s.body}`);
  s = await call("call-all-reports", reportsUrl, "/reports/all", 403);
  check(s.appVisible && s.who === "bob", "a 403 must not log bob out");
});

await step("cookie mode: reload: still logged in as bob", async () => {
  await page.reload({ waitUntil: "load" });
  const s = await waitFor("after a reload #app should be visible with #who = bob", (s) => s.appVisible && s.who === "bob");
  check(/cookie/.test(s.sessionMode), "the session should still be the cookie mode's");
  await call("call-me", usersUrl, "/me", 200);
});

await step("cookie mode: reports POST /reports with X-CSRF-Token -> 201", async () => {
  const headers = await requestBobsReport("bob's cookie-mode report");
  check(headers["x-csrf-token"] === csrfValue, `the POST should echo the CSRF cookie in X-CSRF-Token, sent ${headers["x-csrf-token"]}`);
  check(!headers.authorization, "the cookie mode sends no Authorization header");
});

await step("cookie mode: reports GET /reports -> 200, the new report listed, the cookie's token forwarded to users", async () => {
  const s = await call("call-reports", reportsUrl, "/reports", 200);
  const body = parseBody(s);
  const titles = (body.requested || []).map((r) => r.title);
  check(titles.includes("bob's cookie-mode report"), `/reports should list the report just requested: ${JSON.stringify(body)}`);
  const says = body.users_service_says;
  check(
    says && says.status === 200 && says.body && says.body.sub === "bob",
    `the reports service should forward the cookie's token to the users service: ${JSON.stringify(says)}`,
  );
});

await step("a forged form POST from another origin of the same site: the cookies go along, no CSRF header -> 403 csrf_failed", async () => {
  const { status, text } = await forgedPost(siblingUrl);
  // 403 and not 401: the browser did send the token cookie, and the CSRF check refused it.
  check(status === 403, `the forged POST should be refused with 403, got ${status}: ${text}`);
  check(/"error"\s*:\s*"csrf_failed"/.test(text), `the refusal should say csrf_failed: ${text}`);
});

await step("a forged form POST from another site (127.0.0.2): SameSite=Strict keeps the cookies home -> 401", async () => {
  const { status, text } = await forgedPost(crossSiteUrl);
  check(status === 401, `the cross-site POST should arrive without the cookie (401), got ${status}: ${text}`);
});

await step("neither forged report was recorded", async () => {
  const s = await call("call-reports", reportsUrl, "/reports", 200);
  const titles = (parseBody(s).requested || []).map((r) => r.title);
  check(!titles.some((t) => /forged/.test(t)), `a forged report was recorded: ${JSON.stringify(titles)}`);
  check(
    JSON.stringify(titles) === JSON.stringify(["bob's header-mode report", "bob's cookie-mode report"]),
    `bob's reports should be exactly the two he requested: ${JSON.stringify(titles)}`,
  );
});

await step("a token in both places (Authorization header and cookie) -> 400 invalid_request", async () => {
  const both = await fetchFromPage(`${usersUrl}/me`, { Authorization: `Bearer ${bobToken}` });
  check(
    both.status === 400 && both.body && both.body.error === "invalid_request",
    `a token in two places should be a 400 invalid_request: ${JSON.stringify(both)}`,
  );
  // Each alone is fine.
  const cookieOnly = await fetchFromPage(`${usersUrl}/me`);
  check(cookieOnly.status === 200, `the cookie alone should still be accepted: ${JSON.stringify(cookieOnly)}`);
});

await step("cookie mode: Refresh now renews the token cookie from the HttpOnly refresh cookie", async () => {
  const before = (await demoCookies()).access_token.value;
  const refreshed = page.waitForResponse((r) => r.url() === `${authorityUrl}/refresh` && r.request().method() === "POST");
  await page.click("#refresh-now");
  check((await refreshed).status() === 200, "POST /refresh should answer 200");
  const deadline = Date.now() + 5_000;
  while ((await demoCookies()).access_token?.value === before) {
    check(Date.now() < deadline, "the token cookie should change");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const refresh = (await context.cookies(`${authorityUrl}/refresh`)).find((c) => c.name === "refresh_token");
  check(refresh && refresh.httpOnly && refresh.path === "/refresh", `the refresh cookie is HttpOnly, for /refresh only: ${JSON.stringify(refresh)}`);
  check(!(await state()).documentCookie.includes("refresh_token"), "scripts cannot read the refresh cookie");
  cookieToken = (await demoCookies()).access_token.value;
  await call("call-me", usersUrl, "/me", 200);
});

await step("cookie mode: a forged token cookie, no refresh cookie: GET /me -> 401 ends the session and clears the cookies", async () => {
  await context.clearCookies({ name: "access_token" });
  await context.clearCookies({ name: "refresh_token" });
  await context.addCookies([
    { name: "access_token", value: forge(cookieToken), url: `${authorityUrl}/`, httpOnly: true, sameSite: "Strict" },
  ]);
  const planted = await context.cookies(authorityUrl);
  check(
    planted.filter((c) => c.name === "access_token").length === 1,
    `there should be exactly one access_token cookie: ${JSON.stringify(planted)}`,
  );
  const s0 = await call("call-me", usersUrl, "/me", 401);
  check(!/"sub"/.test(s0.body), `a 401 must not answer /me: ${s0.body}`);
  const s = await waitFor("a 401 should show the login form", (s) => s.loginFormVisible && !s.appVisible);
  check(s.cookieSession === null, `a 401 should forget the cookie session, found ${s.cookieSession}`);
  check(/session ended/i.test(s.loginError), `a 401 should tell the user to log in again, got ${JSON.stringify(s.loginError)}`);
  await waitForNoDemoCookies("after a 401 the page should have the authority clear the cookies");
});

await step("cookie mode: log in as bob again -> GET /me 200", async () => {
  check((await state()).cookieMode === true, "the cookie mode should still be chosen");
  await logIn("bob", "bob-password");
  await waitFor("#app should be visible with #who = bob", (s) => s.appVisible && s.who === "bob");
  const cookies = await demoCookies();
  check(cookies.access_token && cookies.access_token.value !== cookieToken, "a new login should set a new token cookie");
  await call("call-me", usersUrl, "/me", 200);
});

await step("cookie mode: log out: both cookies cleared, GET /me -> 401", async () => {
  const loggedOut = page.waitForResponse((r) => r.url() === `${authorityUrl}/logout` && r.request().method() === "POST");
  await page.click("#logout");
  check((await loggedOut).status() === 204, "POST /logout should answer 204");
  const s = await waitFor("the login form should be visible after logging out", (s) => s.loginFormVisible && !s.appVisible);
  check(s.cookieSession === null && s.token === null, "logging out should forget the session");
  check(s.status === "" && s.body === "", "logging out should clear the last answer");
  await waitForNoDemoCookies("logging out should clear both cookies");
  const after = await fetchFromPage(`${usersUrl}/me`);
  check(after.status === 401, `after logging out GET /me should be 401, got ${JSON.stringify(after)}`);
});

await cleanup();
clearTimeout(overall);
log(`all ${stepsPassed} browser steps passed`);
