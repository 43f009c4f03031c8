// The supervisor's live view: a customer starts a chat while nobody is available, the
// supervisor sees it waiting in its queue; an agent goes available and the agents table
// changes without a reload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, agentLogin, customer, launchBrowser, shot, startChat, startServer } from './harness.mjs';

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

test('supervisor sees a waiting chat in its queue and an agent becoming available, live', async () => {
  const errors = [];
  const supCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const sup = await supCtx.newPage();
  sup.on('pageerror', (e) => errors.push(e.message));
  await sup.goto(`${server.url}/live/`);
  await sup.getByLabel('Organisation').fill(DEMO.org);
  await sup.getByLabel('Email').fill('dana@demo-retail.example');
  await sup.getByLabel('Password').fill(DEMO.password);
  await sup.getByRole('button', { name: 'Sign in' }).click();
  await sup.getByRole('heading', { name: 'Live' }).waitFor();

  const alexRow = sup.getByRole('table', { name: 'Agents' }).getByRole('row').filter({ hasText: 'Alex' });
  await alexRow.waitFor();
  assert.match(await alexRow.innerText(), /offline/);

  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Waiting Customer', 'Orders');

  // Queue figures arrive every few seconds: Orders shows one waiting.
  const orders = sup.getByTestId('queue-row').filter({ hasText: 'Orders' });
  await orders.filter({ has: sup.getByRole('cell', { name: '1', exact: true }) }).first().waitFor({ timeout: 20_000 });
  await shot(sup, 'live', 'waiting');

  // The agent goes available: the supervisor's table follows without a reload.
  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  await alexRow.filter({ hasText: 'available' }).waitFor({ timeout: 10_000 });
  await shot(sup, 'live', 'agent-available');

  assert.deepEqual(errors, []);
  await alex.ctx.close();
  await cust.ctx.close();
  await supCtx.close();
});
