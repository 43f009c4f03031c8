// The supervisor's live view: a customer starts a chat while nobody is available, the
// supervisor sees it waiting in its queue; an agent goes available and the agents table
// changes without a reload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, agentLogin, customer, launchBrowser, shot, staffPage, startChat, startServer } from './harness.mjs';

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
  const { ctx: supCtx, page: sup, errors } = await staffPage(browser, server.url, '/live/', 'dana@demo-retail.example');
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
