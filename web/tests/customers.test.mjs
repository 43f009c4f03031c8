// One customer across channels: a customer chats on the web after texting about the same
// order. The agent finds the texting customer by phone number ("same person as…"),
// merges them into the chat's customer and sees both contacts, SMS and web chat, in the
// history; writes to them by SMS from the chat, which opens a second conversation;
// then splits the phone back off, which takes the SMS contacts with it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentLogin, apiSession, customer, DEMO, launchBrowser, shot, startChat, startServer } from './harness.mjs';

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

const T = 'customers';

test('an agent merges two customers and sees both contacts in the history', async () => {
  const agent = await agentLogin(browser, server.url, DEMO.agents[0]);
  const errors = [];
  agent.page.on('pageerror', (e) => errors.push(e.message));
  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Robin Merge', 'Orders');
  const offer = agent.page.getByTestId('offer').filter({ hasText: 'Robin Merge' });
  await offer.waitFor();
  await offer.getByRole('button', { name: 'Accept' }).click();
  await agent.page.getByRole('tab', { name: /Robin Merge/ }).waitFor();
  const box = cust.page.getByLabel('Your message');
  await box.fill('Hello from the web chat about order 4711');
  await box.press('Enter');
  await agent.page.getByRole('log', { name: 'Conversation' }).getByText('Hello from the web chat about order 4711').waitFor();

  // The same person texted earlier, from their phone: another customer so far.
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const queues = await admin.get('/api/queues?limit=100');
  const orders = queues.body.items.find((q) => q.name === 'Orders');
  assert.ok(orders, 'the demo has an Orders queue');
  const sms = await admin.post('/api/inbound', {
    channel: 'sms',
    from: { kind: 'phone', value: '+15550142424', name: 'Robin M.' },
    message_id: 'SM-browser-merge-1',
    text: 'Texted about order 4711',
    queue_id: orders.id,
  });
  assert.equal(sms.status, 200, JSON.stringify(sms.body));

  const panel = agent.page.getByTestId('customer-panel');
  await panel.getByTestId('history-item').first().waitFor();
  assert.equal(await panel.getByTestId('history-item').count(), 1);
  await panel.getByRole('button', { name: 'Same person as…' }).click();
  await panel.getByLabel('Same person as…').fill('+1 555 014 2424');
  await panel.getByRole('button', { name: 'Search' }).click();
  const hit = panel.getByTestId('customer-hit').filter({ hasText: 'Robin M.' });
  await hit.waitFor();
  assert.match(await hit.innerText(), /phone/);
  await shot(agent.page, T, 'found');
  await hit.getByRole('button', { name: 'Merge into this customer' }).click();
  await panel.getByRole('status').filter({ hasText: 'Robin M. is now this customer' }).waitFor();

  // Both contacts, on both channels, in one history; both identities.
  const items = panel.getByTestId('history-item');
  await items.filter({ hasText: 'SMS' }).getByText('Texted about order 4711').waitFor();
  await items.filter({ hasText: 'Web chat' }).getByText('Hello from the web chat about order 4711').waitFor();
  assert.equal(await items.count(), 2);
  const identities = panel.getByTestId('identity');
  assert.equal(await identities.count(), 2);
  await identities.filter({ hasText: '+15550142424' }).waitFor();
  await shot(agent.page, T, 'merged');

  // The customer is now reachable by text too: the agent writes from the chat, and the
  // text opens its own conversation in a second tab.
  const put = await admin.put('/api/channel-endpoints/sms', { webhook_url: 'http://127.0.0.1:9/texts' });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await panel.getByRole('button', { name: 'Write on another channel…' }).click();
  const write = panel.getByRole('form', { name: 'Write on another channel' });
  await write.getByLabel('Channel').selectOption('sms');
  await write.getByLabel('Message').fill('Here is your tracking link by text');
  await write.getByRole('button', { name: 'Send' }).click();
  await panel.getByRole('status').filter({ hasText: 'Sent by SMS' }).waitFor();
  await agent.page.getByRole('tab', { name: /Robin Merge/ }).nth(1).waitFor();
  // Taken at once: no offer card is left for it.
  await agent.page.getByTestId('offer').filter({ hasText: 'Robin Merge' }).waitFor({ state: 'detached' });
  await items.filter({ hasText: 'Here is your tracking link by text' }).waitFor();
  assert.equal(await items.count(), 3);

  // A wrong merge undone: the phone goes back off with the SMS contacts.
  await identities.filter({ hasText: 'phone' }).getByRole('button', { name: 'Split off' }).click();
  const group = panel.getByRole('group', { name: 'Split off' });
  assert.equal(await group.getByRole('checkbox', { checked: true }).count(), 2, 'the SMS contacts go with the phone');
  await group.getByRole('button', { name: 'Split into a new customer' }).click();
  await panel.getByRole('status').filter({ hasText: 'new customer with 2 contacts' }).waitFor();
  await panel.getByTestId('history-item').filter({ hasText: 'SMS' }).first().waitFor({ state: 'detached' });
  assert.equal(await panel.getByTestId('history-item').count(), 1);
  assert.equal(await panel.getByTestId('identity').count(), 1);
  await shot(agent.page, T, 'split');
  assert.deepEqual(errors, []);
  await Promise.all([agent.ctx.close(), cust.ctx.close()]);
});
