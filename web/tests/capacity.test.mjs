// Two agents with a capacity of 3 chats each, seven customers: six chats are assigned
// and the seventh customer waits and sees their place in the queue.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentLogin, customer, DEMO, launchBrowser, shot, startChat, startServer } from './harness.mjs';

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

const T = 'capacity';

/** Accept offers on one desktop until it holds `n` chats. */
async function acceptUntil(page, n, deadlineMs = 30000) {
  const end = Date.now() + deadlineMs;
  while ((await page.getByRole('tab').count()) < n) {
    if (Date.now() > end) throw new Error(`only ${await page.getByRole('tab').count()} of ${n} chats accepted`);
    const accept = page.getByTestId('offer').getByRole('button', { name: 'Accept' }).first();
    if (await accept.isVisible().catch(() => false)) await accept.click().catch(() => {});
    else await page.waitForTimeout(100);
  }
}

test('two agents × capacity 3, seven chats: six assigned, one waiting with its position', async () => {
  const a = await agentLogin(browser, server.url, DEMO.agents[0]);
  const b = await agentLogin(browser, server.url, DEMO.agents[1]);

  const customers = [];
  for (let i = 1; i <= 6; i++) {
    const c = await customer(browser, server.url);
    await startChat(c.page, `Customer ${i}`, 'Orders');
    customers.push(c);
  }
  await Promise.all([acceptUntil(a.page, 3), acceptUntil(b.page, 3)]);
  assert.equal(await a.page.getByRole('tab').count(), 3);
  assert.equal(await b.page.getByRole('tab').count(), 3);
  await shot(a.page, T, 'agent-a-three-chats');
  await shot(b.page, T, 'agent-b-three-chats');

  const seventh = await customer(browser, server.url, { phone: true });
  await startChat(seventh.page, 'Customer 7', 'Orders');
  const queue = seventh.page.getByText(/You are number \d+ in the queue/);
  await queue.waitFor();
  assert.match(await queue.innerText(), /number 1 in the queue/);
  await shot(seventh.page, T, 'seventh-waiting-phone');
  // Full agents get no offer for it.
  assert.equal(await a.page.getByTestId('offer').count(), 0);
  assert.equal(await b.page.getByTestId('offer').count(), 0);
  // Every assigned customer is chatting with an agent.
  for (const c of customers) await c.page.getByText(/You are chatting with/).waitFor();

  for (const c of [...customers, seventh, a, b]) await c.ctx.close();
});
