// webui-check.mjs drives the official Iggy Web UI (SvelteKit, built with the
// node adapter, PUBLIC_IGGY_API_URL pointing at shale) in headless Chromium
// and checks that every call it makes to shale's HTTP API succeeds and that
// the pages render without "undefined"/"NaN"/"Invalid Date" or error toasts.
//
// Environment:
//   SHALE_HTTP_URL      shale's HTTP API base (default http://127.0.0.1:3000);
//                       must be the same URL the web UI was started with as
//                       PUBLIC_IGGY_API_URL.
//   WEBUI_URL           the running web UI (default http://127.0.0.1:3050)
//   IGGY_USERNAME       default iggy
//   IGGY_PASSWORD       default iggy
//   CHROMIUM_PATH       default /usr/bin/chromium
//   PLAYWRIGHT_CORE_DIR a directory whose node_modules holds playwright-core
//                       (omit if playwright-core resolves from here)
//   SHOTS_DIR           where screenshots go (default /tmp/webui-shots)
//   STEP_TIMEOUT_MS     per-wait timeout (default 15000)
//
// Prints one line per step ("ok   <step>" / "FAIL <step>: why"), then every
// shale request the browser made, and exits 1 if any step failed or any
// shale response was not 2xx.

import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const API = (process.env.SHALE_HTTP_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
const UI = (process.env.WEBUI_URL || 'http://127.0.0.1:3050').replace(/\/+$/, '');
const USER = process.env.IGGY_USERNAME || 'iggy';
const PASS = process.env.IGGY_PASSWORD || 'iggy';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = process.env.SHOTS_DIR || '/tmp/webui-shots';
const TIMEOUT = Number(process.env.STEP_TIMEOUT_MS || 15000);

async function loadPlaywright() {
  if (process.env.PLAYWRIGHT_CORE_DIR) {
    const req = createRequire(join(process.env.PLAYWRIGHT_CORE_DIR, 'package.json'));
    return req('playwright-core');
  }
  return import('playwright-core');
}

const runId = Date.now().toString(36);
const streamName = `webui-check-${runId}`;
const topicName = `events-${runId}`;
const PARTITIONS = 3;

let failed = false;
const apiLog = []; // {method, url, status, body?}
const pageErrors = [];
const consoleErrors = [];
let page;
// Web UI quirk (not shale): closing a settings modal after a successful
// DELETE throws in AppModals.svelte ("reading 'props'" of the cleared modal
// store), so the UI's own redirect and success toast never run; a periodic
// refresh may then re-fetch the deleted topic (404, as Iggy answers too).
// While `tolerate` is set, a 404 GET on exactly that path and page errors are
// reported as known quirks instead of failures; the step then checks the
// deletion by navigating itself.
let tolerate = null; // { path, reason }
const quirks = [];

function line(s) {
  process.stdout.write(s + '\n');
}

async function shot(name) {
  try {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  } catch {
    /* a failed screenshot is not itself a finding */
  }
}

// Text the user sees that means the UI read a field shale did not send.
async function badText() {
  const text = await page.evaluate(() => document.body.innerText);
  const hits = text.match(/\b(undefined|NaN|Invalid Date|null)\b/g);
  return hits ? [...new Set(hits)] : [];
}

async function errorToasts() {
  return page.evaluate(() =>
    [...document.querySelectorAll('[role="alert"]')]
      .map((e) => e.innerText.trim())
      .filter((t) => /error|fail|unauthori|not found/i.test(t))
  );
}

class Abort extends Error {}

let stepNo = 0;
async function step(name, fn, { shotName, checkText = true } = {}) {
  stepNo++;
  const before = apiLog.length;
  const label = `${String(stepNo).padStart(2, '0')} ${name}`;
  try {
    await fn();
    const problems = [];
    const bad = apiLog.slice(before).filter((r) => !r.tolerated && (r.status < 200 || r.status > 299));
    for (const r of bad) problems.push(`${r.method} ${r.path} -> ${r.status} ${r.body ?? ''}`.trim());
    if (page && checkText) {
      const words = await badText();
      if (words.length) problems.push(`page shows ${words.join('/')}`);
      const toasts = await errorToasts();
      if (toasts.length) problems.push(`error toast: ${toasts.join(' | ').replace(/\s+/g, ' ')}`);
    }
    if (shotName) await shot(shotName);
    if (problems.length) {
      failed = true;
      line(`FAIL ${label}: ${problems.join('; ')}`);
    } else {
      line(`ok   ${label}`);
    }
    return true;
  } catch (e) {
    failed = true;
    if (shotName) await shot(`${shotName}-failed`);
    line(`FAIL ${label}: ${String(e && e.message ? e.message : e).split('\n')[0]}`);
    throw new Abort();
  }
}

function waitApi(method, pathRe) {
  const p = page.waitForResponse(
    (r) =>
      r.url().startsWith(API) &&
      r.request().method() === method &&
      pathRe.test(new URL(r.url()).pathname),
    { timeout: TIMEOUT }
  );
  p.catch(() => {}); // the awaiting step reports the timeout; never an unhandled rejection
  return p;
}

async function expectText(text) {
  await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout: TIMEOUT });
}

const b64 = (s) => Buffer.from(s).toString('base64');

async function apiToken() {
  const r = await fetch(`${API}/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: USER, password: PASS })
  });
  if (!r.ok) throw new Error(`login via API: ${r.status}`);
  return (await r.json()).access_token.token;
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });

  const preflight = step('preflight: shale /ping and web UI /healthz answer', async () => {
    const p = await fetch(`${API}/ping`);
    if (!p.ok) throw new Error(`shale /ping: ${p.status}`);
    const h = await fetch(`${UI}/healthz`);
    if (!h.ok) throw new Error(`web UI /healthz: ${h.status}`);
  }, { checkText: false });
  try {
    await preflight;
  } catch (e) {
    if (e instanceof Abort) return finish(null, null);
    throw e;
  }

  const { chromium } = await loadPlaywright();
  const profile = mkdtempSync(join(tmpdir(), 'webui-check-chrome-'));
  // Playwright owns --user-data-dir: a persistent context on a fresh temp dir.
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'
    ]
  });
  const browser = ctx;
  page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);

  page.on('response', async (r) => {
    if (!r.url().startsWith(API)) return;
    const req = r.request();
    if (req.method() === 'OPTIONS') return;
    const u = new URL(r.url());
    const entry = { method: req.method(), path: u.pathname + u.search, status: r.status() };
    if (tolerate && entry.status === 404 && entry.method === 'GET' && u.pathname === tolerate.path) {
      entry.tolerated = true;
      quirks.push(`GET ${u.pathname} -> 404 (${tolerate.reason})`);
    }
    apiLog.push(entry);
    if (entry.status < 200 || entry.status > 299) {
      try {
        entry.body = (await r.text()).slice(0, 300);
      } catch {
        /* body gone */
      }
    }
  });
  page.on('requestfailed', (req) => {
    if (!req.url().startsWith(API)) return;
    const u = new URL(req.url());
    apiLog.push({ method: req.method(), path: u.pathname + u.search, status: 0, body: req.failure()?.errorText });
  });
  page.on('pageerror', (e) => {
    const msg = String(e.message).split('\n')[0];
    if (tolerate) quirks.push(`page error "${msg}" (${tolerate.reason})`);
    else pageErrors.push(msg);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text().split('\n')[0]);
  });

  try {
    await steps();
  } catch (e) {
    if (!(e instanceof Abort)) throw e;
    line('--- later steps skipped');
  }
  await finish(browser, profile);
}

// deleteFromSettings deletes a stream or topic (kind 'Stream' or 'Topic')
// from its page, as a user does: the settings button beside the title, the
// Delete tab, the name typed again, the confirm button. It checks the DELETE
// the browser sends to apiPath and tolerates the UI's modal-close bug.
async function deleteFromSettings(kind, name, apiPath) {
  const lower = kind.toLowerCase();
  await expectText(`${kind} ${name}`);
  await page.locator('h1', { hasText: `${kind} ${name}` }).locator('xpath=following-sibling::button[1]').click();
  await expectText(`Delete ${lower}`);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.locator('input[name="retypeText"]').fill(name);
  const del = waitApi('DELETE', new RegExp(`^${apiPath}$`));
  tolerate = { path: apiPath, reason: 'web UI modal-close bug after DELETE' };
  try {
    await page.getByRole('button', { name: `Delete ${kind}` }).click();
    const r = await del;
    if (r.status() < 200 || r.status() > 299) throw new Error(`DELETE ${lower} -> ${r.status()}`);
    await page.waitForTimeout(1500);
  } finally {
    tolerate = null;
  }
}

async function steps() {
  let streamId, topicId, firstPartition;

  await step('log in as ' + USER, async () => {
    await page.goto(`${UI}/auth/sign-in`);
    await page.locator('input[name="username"]').fill(USER);
    await page.locator('input[name="password"]').fill(PASS);
    const login = waitApi('POST', /^\/users\/login$/);
    await page.locator('button[type="submit"]').click();
    const r = await login;
    if (r.status() !== 200) throw new Error(`POST /users/login -> ${r.status()}`);
    await page.waitForURL(/\/dashboard\/overview/);
  }, { shotName: '01-login', checkText: false });

  await step('overview page shows server stats', async () => {
    await page.goto(`${UI}/dashboard/overview`);
    await waitApi('GET', /^\/stats$/);
    await expectText('Iggy server version');
    await page.waitForLoadState('networkidle');
  }, { shotName: '02-overview' });

  await step('server settings page shows stats', async () => {
    await page.goto(`${UI}/dashboard/settings/server`);
    await waitApi('GET', /^\/stats$/);
    await page.waitForLoadState('networkidle');
  }, { shotName: '03-settings-server' });

  await step('streams page lists streams', async () => {
    await page.goto(`${UI}/dashboard/streams`);
    await waitApi('GET', /^\/streams$/);
    await expectText('New stream');
  }, { shotName: '04-streams' });

  await step(`create stream ${streamName}`, async () => {
    await page.getByRole('button', { name: 'New stream' }).click();
    await page.locator('input[name="name"]').fill(streamName);
    const created = waitApi('POST', /^\/streams$/);
    await page.locator('form:has(input[name="name"])').getByRole('button', { name: 'Create', exact: true }).click();
    const r = await created;
    if (r.status() < 200 || r.status() > 299) throw new Error(`POST /streams -> ${r.status()}`);
    streamId = (await r.json()).id;
    await expectText(`Stream ${streamName} has been added.`);
    await page.getByRole('link', { name: new RegExp(streamName) }).waitFor();
  }, { shotName: '05-stream-created' });

  await step('open stream page', async () => {
    await page.getByRole('link', { name: new RegExp(streamName) }).click();
    await page.waitForURL(new RegExp(`/dashboard/streams/${streamId}$`));
    await expectText(`Stream ${streamName}`);
    await expectText('This stream has no topics.');
  }, { shotName: '06-stream' });

  await step(`create topic ${topicName} with ${PARTITIONS} partitions`, async () => {
    await page.getByRole('button', { name: 'Add Topic' }).click();
    await page.locator('input[name="topicName"]').fill(topicName);
    await page.locator('input[name="partitionsCount"]').fill(String(PARTITIONS));
    const created = waitApi('POST', new RegExp(`^/streams/${streamId}/topics$`));
    await page.locator('form:has(input[name="topicName"])').getByRole('button', { name: 'Create', exact: true }).click();
    const r = await created;
    if (r.status() < 200 || r.status() > 299) throw new Error(`POST topics -> ${r.status()}`);
    const body = await r.json();
    topicId = body.id;
    if (body.partitions_count !== PARTITIONS) throw new Error(`partitions_count ${body.partitions_count}`);
    await expectText(`Topic ${topicName} has been added.`);
    await page.locator(`a[href$="/streams/${streamId}/topics/${topicId}"]`).waitFor();
  }, { shotName: '07-topic-created' });

  await step('send 3 messages via shale HTTP API (the UI has no send form)', async () => {
    const token = await apiToken();
    const payloads = ['hello from webui-check', '{"kind":"json","n":2}', 'third'];
    const r = await fetch(`${API}/streams/${streamId}/topics/${topicId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        partitioning: { kind: 'partition_id', value: Buffer.from([0, 0, 0, 0]).toString('base64') },
        messages: payloads.map((p, i) => ({
          payload: b64(p),
          ...(i === 0
            ? { user_headers: [{ key: { kind: 'string', value: b64('trace-id') }, value: { kind: 'string', value: b64('abc123') } }] }
            : {})
        }))
      })
    });
    if (!r.ok) throw new Error(`POST messages -> ${r.status} ${await r.text()}`);
  }, { checkText: false });

  await step('topic page lists partitions', async () => {
    await page.locator(`a[href$="/streams/${streamId}/topics/${topicId}"]`).click();
    await page.waitForURL(new RegExp(`/streams/${streamId}/topics/${topicId}$`));
    await expectText(`Topic ${topicName}`);
    await expectText(`Partitions: ${PARTITIONS}`);
    await expectText('Messages: 3');
    const rows = page.locator(`a[href*="/topics/${topicId}/partitions/"]`);
    await rows.first().waitFor();
    const n = await rows.count();
    if (n !== PARTITIONS) throw new Error(`${n} partition rows, want ${PARTITIONS}`);
    const href = await rows.first().getAttribute('href');
    firstPartition = Number(href.match(/partitions\/(\d+)\//)[1]);
  }, { shotName: '08-topic' });

  // The list shows payloads as the API's base64; the inspector decodes them.
  await step('partition messages page shows the messages', async () => {
    await page.locator(`a[href*="/partitions/${firstPartition}/messages"]`).click();
    await page.waitForURL(/\/messages/);
    await expectText(`partition ${firstPartition}`);
    await expectText('Messages: 3');
    await expectText(b64('third'));
    await expectText(b64('hello from webui-check').slice(0, 30));
    await page.waitForLoadState('networkidle');
  }, { shotName: '09-messages' });

  await step('inspect one message (decoded payload and user header)', async () => {
    await page.getByText(b64('hello from webui-check').slice(0, 30)).first().click();
    await expectText('Message details');
    await page.getByRole('button', { name: 'Decode', exact: true }).click();
    await expectText('hello from webui-check');
    await expectText('trace-id');
    await page.waitForTimeout(300);
  }, { shotName: '10-message-inspect' });
  await page.keyboard.press('Escape').catch(() => {});

  await step('users settings page lists the root user', async () => {
    await page.goto(`${UI}/dashboard/settings/users`);
    await waitApi('GET', /^\/users$/);
    await expectText(USER);
    await page.waitForLoadState('networkidle');
  }, { shotName: '11-users' });

  await step('clients page renders', async () => {
    await page.goto(`${UI}/dashboard/clients`);
    await page.waitForLoadState('networkidle');
  }, { shotName: '12-clients' });

  await step('web UI settings page renders', async () => {
    await page.goto(`${UI}/dashboard/settings/webUI`);
    await page.waitForLoadState('networkidle');
  }, { shotName: '13-settings-webui' });

  await step(`delete topic ${topicName}`, async () => {
    // Reach the topic the way a user does (client-side), from the stream page.
    await page.goto(`${UI}/dashboard/streams/${streamId}`);
    await page.locator(`a[href$="/streams/${streamId}/topics/${topicId}"]`).click();
    await page.waitForURL(new RegExp(`/streams/${streamId}/topics/${topicId}$`));
    await deleteFromSettings('Topic', topicName, `/streams/${streamId}/topics/${topicId}`);
    await page.goto(`${UI}/dashboard/streams/${streamId}`);
    await expectText(`Stream ${streamName}`);
    await expectText('This stream has no topics.');
  }, { shotName: '14-topic-deleted' });

  await step(`delete stream ${streamName}`, async () => {
    await page.goto(`${UI}/dashboard/streams/${streamId}`);
    await deleteFromSettings('Stream', streamName, `/streams/${streamId}`);
    const listed = waitApi('GET', /^\/streams$/);
    await page.goto(`${UI}/dashboard/streams`);
    const r = await listed;
    if ((await r.json()).some((st) => st.id === streamId && st.name === streamName)) {
      throw new Error('deleted stream still returned by GET /streams');
    }
    await page.locator(`a[href$="/dashboard/streams/${streamId}"]`).filter({ hasText: streamName })
      .waitFor({ state: 'detached' });
  }, { shotName: '15-stream-deleted' });

  await step('log out', async () => {
    // From a freshly loaded page: after the delete steps the previous page
    // may still carry the UI's broken modal state. The menu button can be
    // clicked before the page has hydrated, so open the menu until it shows.
    await page.goto(`${UI}/dashboard/overview`);
    await expectText('Iggy server version');
    const logOut = page.getByText('Log Out');
    for (let i = 0; ; i++) {
      await page.locator('header button').last().click();
      try {
        await logOut.waitFor({ state: 'visible', timeout: 3000 });
        break;
      } catch (e) {
        if (i === 4) throw e;
      }
    }
    await logOut.click();
    await page.waitForURL(/\/auth\/sign-in/);
    await page.locator('input[name="password"]').waitFor();
  }, { shotName: '16-logged-out', checkText: false });
}

async function finish(browser, profile) {
  if (browser) await browser.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
  line('--- shale requests made by the browser:');
  for (const r of apiLog) {
    line(`${r.status} ${r.method} ${r.path}${r.body ? '  ' + r.body : ''}${r.tolerated ? '  (tolerated)' : ''}`);
  }
  const bad = apiLog.filter((r) => !r.tolerated && (r.status < 200 || r.status > 299));
  line(`--- ${apiLog.length} requests, ${bad.length} unexpected non-2xx`);
  for (const q of quirks) line(`known web UI quirk: ${q}`);
  for (const e of pageErrors) line(`page error: ${e}`);
  for (const e of consoleErrors) line(`console error: ${e}`);
  if (bad.length || pageErrors.length) failed = true;
  line(failed ? 'RESULT: FAIL' : 'RESULT: PASS');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  line(`FAIL driver: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
