// Outbound messages as an agent sees them: an admin points SMS at an integration in the
// browser (its signing secret shown once), a customer's text arrives through
// /api/inbound, and the agent's replies show where they stand with the channel: sent,
// then delivered when the integration's receipt arrives, or not delivered with the
// integration's words when it refuses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { adminPage, agentLogin, apiSession, DEMO, launchBrowser, shot, startServer } from './harness.mjs';

let server;
let browser;
let relay;
const received = [];
// What the integration answers, in turn.
const answers = [
  [200, { provider_message_id: 'SM-browser-1' }],
  [400, { error: '21610 the customer replied STOP' }],
];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  relay = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ body: JSON.parse(body), signature: req.headers['x-homeshore-signature'] });
      const [status, answer] = answers.shift() ?? [200, {}];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => relay.listen(0, '127.0.0.1', r));
});
after(async () => {
  relay?.close();
  await browser?.close();
  await server?.stop();
});

test('an admin sets the SMS endpoint; an agent sees replies sent, delivered, and refused', async () => {
  const relayUrl = `http://127.0.0.1:${relay.address().port}/outbound`;
  const { ctx, page, errors } = await adminPage(browser, server.url, 'channels');
  await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
  await page.getByText(/No channel sends anywhere yet/).waitFor();
  // A refused address says what to write instead.
  await page.getByLabel('Endpoint URL').fill('sms-relay:8080');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: /starting with http:\/\// }).waitFor();
  await page.getByLabel('Endpoint URL').fill(relayUrl);
  await page.getByRole('button', { name: 'Save' }).click();
  const secret = page.getByTestId('endpoint-secret');
  await secret.waitFor();
  assert.ok((await secret.innerText()).trim().length >= 32);
  await page.getByRole('table', { name: 'Channel endpoints' }).getByRole('row').filter({ hasText: relayUrl }).waitFor();
  await shot(page, 'delivery', 'admin-channels');
  await page.getByRole('button', { name: 'I have stored it' }).click();
  await secret.waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await ctx.close();

  // A customer texts in; Alex takes it.
  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const queues = await admin.get('/api/queues');
  const orders = queues.body.items.find((q) => q.name === 'Orders');
  const inbound = await admin.post('/api/inbound', {
    channel: 'sms',
    from: { kind: 'phone', value: '+15550107788', name: 'Tess Texter' },
    message_id: 'SM-in-browser-1',
    text: 'Has my order shipped?',
    queue_id: orders.id,
  });
  assert.equal(inbound.status, 200, JSON.stringify(inbound.body));
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  await alex.page.getByRole('tab', { name: /Tess Texter/ }).waitFor();
  const log = alex.page.getByRole('log', { name: 'Conversation' });
  await log.getByText('Has my order shipped?').waitFor();

  // The first reply is sent, then delivered when the integration says so.
  const reply = alex.page.getByLabel('Reply');
  await reply.fill('Yes, it left today.');
  await reply.press('Enter');
  const first = log.locator('.msg').filter({ hasText: 'Yes, it left today.' });
  await first.locator('.delivery').filter({ hasText: /^sent$/ }).waitFor();
  assert.equal(received.length, 1);
  assert.equal(received[0].body.to.value, '+15550107788');
  assert.match(received[0].signature, /^t=\d+,v1=[0-9a-f]{64}$/);
  const receipt = await admin.post('/api/receipts', { channel: 'sms', provider_message_id: 'SM-browser-1', status: 'delivered' });
  assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
  await first.locator('.delivery').filter({ hasText: /^delivered$/ }).waitFor();

  // The second is refused: the agent sees it failed, and why.
  await reply.fill('Anything else I can do?');
  await reply.press('Enter');
  const second = log.locator('.msg').filter({ hasText: 'Anything else I can do?' });
  await second.locator('.delivery').filter({ hasText: 'not delivered' }).waitFor();
  await second.getByText(/21610 the customer replied STOP/).waitFor();
  await shot(alex.page, 'delivery', 'agent-receipts');

  // After a reload, the desktop shows the same from the server's record.
  await alex.page.reload();
  await alex.page.getByRole('tab', { name: /Tess Texter/ }).click();
  await alex.page.getByRole('log', { name: 'Conversation' }).locator('.msg').filter({ hasText: 'Anything else I can do?' }).getByText('not delivered').waitFor();
  await alex.ctx.close();
});
