// The pages that need no organisation data: home, device check, the widget's behaviour
// when chat is unavailable, and the server's headers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launchBrowser, shot, startServer } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('home page links to the apps, with a strict CSP', async () => {
  const res = await fetch(`${server.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(server.url);
  await page.getByRole('link', { name: /Agent desktop/ }).waitFor();
  await shot(page, 'pages', 'home');
  assert.deepEqual(errors, []);
  await page.close();
});

test('device check warns about an operating system without security updates', async () => {
  const ctx = await browser.newContext({
    userAgent: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/device-check/`);
  const check = page.locator('[data-check="browser"]');
  await check.filter({ hasText: 'Windows 7 or older no longer gets security updates' }).waitFor();
  assert.equal(await check.getAttribute('data-status'), 'fail');
  await ctx.close();
});

test('device check reports browser, connection and WebSocket, meters a (fake) microphone and loops call audio back', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/device-check/`);
  await page.getByRole('heading', { name: 'Device check' }).waitFor();
  const status = (id) => page.locator(`[data-check="${id}"]`).getAttribute('data-status');
  // The network verdict depends on the machine's load (jitter on a busy loopback), so
  // the test asks for a measured verdict; the thresholds are unit-tested (checks.test.ts).
  await page.locator('[data-check="network"]:not([data-status="running"]):not([data-status="pending"])').waitFor({ timeout: 15000 });
  assert.match(await page.locator('[data-check="network"]').innerText(), /\d+\s*ms/);
  await page.locator('[data-check="websocket"]:not([data-status="running"]):not([data-status="pending"])').waitFor({ timeout: 15000 });
  assert.equal(await status('browser'), 'pass');
  assert.equal(await status('websocket'), 'pass', await page.locator('[data-check="websocket"]').innerText());
  await page.getByRole('button', { name: 'Test microphone' }).click();
  // Chromium's fake microphone plays a beep: the meter moves and the check passes.
  await page.locator('[data-check="mic"][data-status="pass"]').waitFor({ timeout: 10000 });
  // Call audio: the fake microphone's packets go to the server over WebRTC and come back.
  await page.getByRole('button', { name: 'Test call audio' }).click();
  await page.locator('[data-check="call"]:not([data-status="running"]):not([data-status="pending"])').waitFor({ timeout: 20000 });
  const call = page.locator('[data-check="call"]');
  assert.equal(await call.getAttribute('data-status'), 'pass', await call.innerText());
  assert.match(await call.innerText(), /\d+ audio packets went to the server and came back/);
  await shot(page, 'pages', 'device-check');
  await ctx.close();
});

test('widget says clearly when chat is not available, from another site', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await ctx.newPage();
  // A customer's site on another origin (another port) that embeds the widget for an
  // unknown organisation.
  const site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>Another shop</title><h1>Another shop</h1>
      <script src="${server.url}/widget.js" data-org="no-such-org"></script>`);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  after(() => site.close());
  await page.goto(`http://127.0.0.1:${site.address().port}/`);
  await page.getByRole('button', { name: 'Chat with us' }).click();
  await page.getByRole('alert').filter({ hasText: /not available/ }).waitFor();
  await page.getByRole('button', { name: 'Try again' }).waitFor();
  await shot(page, 'pages', 'widget-unavailable');
  // Escape closes the panel and gives focus back to the launcher.
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Chat with us' }).waitFor();
  await ctx.close();
});

test('hashed assets are cached for long, unknown files are 404, API misses are JSON', async () => {
  const html = await (await fetch(`${server.url}/agent/`)).text();
  const asset = html.match(/\/assets\/[^"]+\.js/)?.[0];
  assert.ok(asset, 'agent page references a hashed script');
  const res = await fetch(server.url + asset);
  assert.match(res.headers.get('cache-control') ?? '', /immutable/);
  assert.equal((await fetch(`${server.url}/assets/nope-123.js`)).status, 404);
  const api = await fetch(`${server.url}/api/definitely-not-here`);
  assert.equal(api.status, 404);
  assert.match(api.headers.get('content-type') ?? '', /json/);
  // A client route inside the agent app gets the agent app.
  const deep = await fetch(`${server.url}/agent/chats/123`);
  assert.equal(deep.status, 200);
  assert.match(await deep.text(), /Agent desktop/);
});

test('unknown paths get a 404 page; the apps\' own routes still work', async () => {
  for (const path of ['/nowhere/', '/nowhere/x', '/nope', '/wfm-old/x']) {
    const res = await fetch(server.url + path);
    assert.equal(res.status, 404, path);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/, path);
    assert.match(await res.text(), /Page not found/, path);
  }
  for (const path of ['/', '/agent/', '/agent/chats/7', '/wfm/', '/my-hours/', '/live/', '/adherence/', '/reports/', '/insight/', '/users/', '/admin/', '/admin/agents', '/device-check/', '/demo-shop.html']) {
    assert.equal((await fetch(server.url + path)).status, 200, path);
  }
  const page = await browser.newPage();
  await page.goto(`${server.url}/nowhere/`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.getByRole('link', { name: 'Agent desktop' }).click();
  await page.getByRole('heading', { name: 'Agent sign in' }).waitFor();
  await shot(page, 'pages', 'not-found');
  await page.close();
});

test('sign-in pages log nothing in the console (no 401 for the session)', async () => {
  const page = await browser.newPage();
  const logged = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && logged.push(`${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => logged.push(e.message));
  for (const path of ['/agent/', '/wfm/', '/my-hours/', '/live/', '/adherence/', '/users/']) {
    await page.goto(server.url + path);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.waitForLoadState('networkidle');
  }
  assert.deepEqual(logged, []);
  await page.close();
});

test('no page breaks its own Content-Security-Policy', async () => {
  const page = await browser.newPage();
  const violations = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
  for (const path of ['/', '/agent/', '/device-check/', '/demo-shop.html']) {
    await page.goto(server.url + path);
    await page.waitForLoadState('networkidle');
  }
  await page.getByRole('button', { name: 'Chat with us' }).click();
  await page.waitForTimeout(300);
  await page.goto(`${server.url}/agent/`);
  await page.getByRole('heading', { name: 'Agent sign in' }).waitFor();
  await shot(page, 'pages', 'agent-login');
  assert.deepEqual(violations, []);
  await page.close();
});
