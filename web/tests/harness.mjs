// Browser-test harness: starts the real `homeshore` binary on a free loopback port with a
// throw-away data directory, waits for /healthz, and drives Debian's Chromium with
// playwright-core. Screenshots go to <repo>/test-artifacts/.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const artifacts = join(repo, 'test-artifacts');

export const DEMO = {
  org: 'demo-retail',
  password: 'demo-retail-2026',
  agents: ['alex@demo-retail.example', 'jordan@demo-retail.example'],
};

export function binaryPath() {
  const candidates = [
    process.env.HOMESHORE_BIN,
    process.env.CARGO_TARGET_DIR && join(process.env.CARGO_TARGET_DIR, 'debug/homeshore'),
    join(repo, 'target/debug/homeshore'),
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`homeshore binary not found (tried ${candidates.join(', ')}): run cargo build -p homeshore`);
  return found;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** A UDP port free on loopback now (for a SIP peer such as sipp). */
export function freeUdpPort() {
  return new Promise((res) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Debian's sipp calling `number` at `sip` (host:port) on loopback, with `args` before
 * the target (a scenario, `-d`, `-rtp_echo`…): `exited` resolves to its exit code,
 * `output()` is what it printed, `kill()` stops it.
 */
export async function sippCall(sip, number, args) {
  const child = spawn(
    'sipp',
    [...args, '-s', number, '-m', '1', '-i', '127.0.0.1', '-mi', '127.0.0.1',
      '-p', String(await freeUdpPort()), '-mp', String(await freeUdpPort()), '-nostdin',
      '-timeout', '120', '-timeout_error', sip],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.on('exit', r));
  return { exited, output: () => out.slice(-2000), kill: () => child.kill('SIGKILL') };
}

/**
 * Start `homeshore demo --no-simulation` and wait until it answers /healthz. The answer
 * bot is off (chats go straight to the queues) unless `answerBot` is true.
 */
export async function startServer(env = {}, { answerBot = false } = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'homeshore-browser-'));
  const bin = binaryPath();
  const args = ['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--no-simulation'];
  if (!answerBot) args.push('--no-answer-bot');
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = null;
  child.on('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`homeshore exited with ${exited} before it was ready:\n${output}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`homeshore did not answer /healthz within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    output: () => output,
    dump: () => console.error(output),
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
        if (exited === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium is not at ${executablePath}. Install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH; bash scripts/test.sh installs it when run as root.`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
}

let shotIndex = 0;
/** Save a screenshot as test-artifacts/<test>-NN-<step>.png. */
export async function shot(page, test, step) {
  mkdirSync(artifacts, { recursive: true });
  shotIndex += 1;
  const file = join(artifacts, `${test}-${String(shotIndex).padStart(2, '0')}-${step}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Log in to the agent desktop and go Available. */
export async function agentLogin(browser, base, email) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/agent/`);
  await page.getByLabel('Organisation').fill(DEMO.org);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Available' }).click();
  await page.getByTestId('agent-state').filter({ hasText: 'Available' }).waitFor();
  await page.getByText('Connected', { exact: true }).waitFor();
  return { ctx, page };
}

/**
 * A staff member of the demo signed in on a staff page (`path`, e.g. `/live/`), with the
 * page's script errors collected in `errors`.
 */
export async function staffPage(browser, base, path, email) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}${path}`);
  await page.getByLabel('Organisation').fill(DEMO.org);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return { ctx, page, errors };
}

/**
 * The demo's admin signed in on an admin page (`hash`, e.g. `channels`), with the page's
 * script errors collected in `errors`.
 */
export async function adminPage(browser, base, hash) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/admin/#${hash}`);
  await page.getByLabel('Organisation').fill(DEMO.org);
  await page.getByLabel('Email').fill('admin@demo-retail.example');
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return { ctx, page, errors };
}

/** A customer on the demo shop page, with the chat panel open. */
export async function customer(browser, base, { phone = false } = {}) {
  const ctx = await browser.newContext(phone ? { viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true } : { viewport: { width: 1200, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/demo-shop.html`);
  await page.getByRole('button', { name: 'Chat with us' }).click();
  return { ctx, page };
}

export async function startChat(page, name, topic) {
  await page.getByLabel('Your name').fill(name);
  if (topic) await page.getByLabel('Topic').selectOption({ label: topic });
  await page.getByRole('button', { name: 'Start chat' }).click();
  await page.getByLabel('Your message').waitFor();
}

/**
 * A signed-in API session from Node (cookie and CSRF token), for setting up what a test
 * needs without clicking through it. `token` instead of a password: a bearer API token.
 */
export async function apiSession(base, email, { password = DEMO.password, org = DEMO.org, totp_code } = {}) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org, email, password, totp_code }),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(body)}`);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
  return apiClient(base, { cookie, 'x-csrf-token': body.csrf_token });
}

/** An API client that sends `headers` (a cookie and CSRF token, or a bearer token). */
export function apiClient(base, headers) {
  const call = async (method, path, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  return {
    headers,
    get: (p) => call('GET', p),
    post: (p, b = {}) => call('POST', p, b),
    put: (p, b = {}) => call('PUT', p, b),
    patch: (p, b = {}) => call('PATCH', p, b),
  };
}

/** The 6-digit TOTP code of a base32 `secret` at `unixMs` (SHA-1, 30 s steps). */
export function totpCode(secret, unixMs = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixMs / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}
