// One agent, one customer, three channels: a customer texts by SMS, then writes on
// WhatsApp (a webhook signed as Meta signs it, against a stand-in Graph API), then by
// email. The agent handles all three side by side, sees the SMS among the customer's
// contacts while answering on WhatsApp (the reply goes out through the Cloud API), and
// recognises the mail's sender as the same person: one history across the three. Then an admin adds
// an approved template in the browser, and an agent answers a customer who wrote more
// than 24 hours ago with it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { adminPage, agentLogin, apiSession, DEMO, launchBrowser, shot, startServer } from './harness.mjs';

const SECRET = 'meta-app-secret-for-the-browser-test';
let server;
let browser;
let graph;
const sent = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  graph = createServer((req, res) => {
    // Reading the number (an admin's "Test"): only with the token the admin set.
    if (req.method === 'GET') {
      const ok = req.url.startsWith('/106540352242922?') && req.headers.authorization === 'Bearer EAAG-system-user-token-for-tests';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { display_phone_number: '+1 555-010-6060', verified_name: 'Demo Retail' } : { error: { message: 'Invalid OAuth access token.', code: 190 } }));
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      sent.push({ url: req.url, auth: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messaging_product: 'whatsapp', messages: [{ id: `wamid.OUT${sent.length}` }] }));
    });
  });
  await new Promise((r) => graph.listen(0, '127.0.0.1', r));
});
after(async () => {
  graph?.close();
  await browser?.close();
  await server?.stop();
});

async function whatsappIn(wamid, text, { from = '15550106060', name = 'Casey Cross', at = Date.now() } = {}) {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { phone_number_id: '106540352242922' },
      contacts: [{ wa_id: from, profile: { name } }],
      messages: [{ from, id: wamid, timestamp: String(Math.floor(at / 1000)), type: 'text', text: { body: text } }],
    } }] }],
  });
  const signature = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
  const r = await fetch(`${server.url}/api/webhooks/whatsapp/${DEMO.org}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  });
  return r.status;
}

test('an agent answers one customer on SMS and WhatsApp side by side, with the history across both', async () => {
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const orders = (await admin.get('/api/queues')).body.items.find((q) => q.name === 'Orders');
  const wa = await admin.put('/api/channel-endpoints/whatsapp', {
    provider: 'whatsapp',
    phone_number_id: '106540352242922',
    access_token: 'EAAG-system-user-token-for-tests',
    app_secret: SECRET,
    verify_token: 'verify-token-for-tests',
    queue_id: orders.id,
    api_base: `http://127.0.0.1:${graph.address().port}`,
  });
  assert.equal(wa.status, 200, JSON.stringify(wa.body));

  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  // First a text, through the integrations' receive path.
  const sms = await admin.post('/api/inbound', {
    channel: 'sms',
    from: { kind: 'phone', value: '+15550106060', name: 'Casey Cross' },
    message_id: 'SM-browser-cross-1',
    text: 'My order has not arrived',
    queue_id: orders.id,
  });
  assert.equal(sms.status, 200, JSON.stringify(sms.body));
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  await alex.page.getByRole('tab', { name: /Casey Cross · SMS/ }).waitFor();

  // Then WhatsApp: a forged webhook is refused; the signed one becomes a second contact
  // of the same customer.
  const forged = await fetch(`${server.url}/api/webhooks/whatsapp/${DEMO.org}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' },
    body: '{"object":"whatsapp_business_account","entry":[]}',
  });
  assert.equal(forged.status, 403);
  assert.equal(await whatsappIn('wamid.IN-browser-1', 'Also, can I change the address?'), 200);
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  const waTab = alex.page.getByRole('tab', { name: /Casey Cross · WhatsApp/ });
  await waTab.waitFor();
  await waTab.click();
  const panel = alex.page.getByRole('tabpanel');
  await panel.getByTestId('channel').filter({ hasText: 'WhatsApp' }).waitFor();
  await panel.getByRole('log', { name: 'Conversation' }).getByText('Also, can I change the address?').waitFor();
  // The customer's other contact is there, on SMS.
  await alex.page.getByTestId('customer-panel').getByTestId('history-item').filter({ hasText: 'SMS' }).first().waitFor();

  // A reply on WhatsApp goes out through the Cloud API and shows as sent.
  await alex.page.getByLabel('Reply').fill('Yes, send me the new address here.');
  await alex.page.getByLabel('Reply').press('Enter');
  const mine = panel.locator('.msg').filter({ hasText: 'Yes, send me the new address here.' });
  await mine.locator('.delivery').filter({ hasText: /^sent$/ }).waitFor();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].url, '/106540352242922/messages');
  assert.equal(sent[0].body.to, '15550106060');
  assert.equal(sent[0].auth, 'Bearer EAAG-system-user-token-for-tests');
  await shot(alex.page, 'channels', 'whatsapp-beside-sms');

  // The SMS tab is still there beside it.
  await alex.page.getByRole('tab', { name: /Casey Cross · SMS/ }).click();
  await alex.page.getByRole('tabpanel').getByRole('log', { name: 'Conversation' }).getByText('My order has not arrived').waitFor();

  // Then a mail, through the raw-mail ingress: a third contact, from an address the
  // center has not seen, so at first a customer of its own.
  const mailEp = await admin.put('/api/channel-endpoints/email', {
    provider: 'email',
    address: 'help@demo-retail.example',
    queue_id: orders.id,
    smtp: { host: '127.0.0.1', port: 2525, security: 'none' },
  });
  assert.equal(mailEp.status, 200, JSON.stringify(mailEp.body));
  const mailed = await fetch(`${server.url}/api/webhooks/email/${DEMO.org}`, {
    method: 'POST',
    headers: { 'content-type': 'message/rfc822', authorization: `Bearer ${mailEp.body.secret}` },
    body: 'From: Casey Cross <casey.cross@example.net>\r\nTo: help@demo-retail.example\r\nSubject: Order photos\r\nMessage-ID: <cc-1@example.net>\r\n\r\nHere are the photos of the box.\r\n',
  });
  assert.equal(mailed.status, 200, await mailed.text());
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  const mailTab = alex.page.getByRole('tab', { name: /Casey Cross · Email/ });
  await mailTab.waitFor();
  await mailTab.click();
  const mailPanel = alex.page.getByRole('tabpanel');
  await mailPanel.getByRole('log', { name: 'Conversation' }).getByText('Here are the photos of the box.').waitFor();
  // The agent recognises the sender by the phone number they gave and merges them.
  const customer = alex.page.getByTestId('customer-panel');
  await customer.getByRole('button', { name: 'Same person as…' }).click();
  await customer.getByLabel('Same person as…').fill('+1 555 010 6060');
  await customer.getByRole('button', { name: 'Search' }).click();
  await customer.getByTestId('customer-hit').filter({ hasText: 'Casey Cross' }).getByRole('button', { name: 'Merge into this customer' }).click();
  await customer.getByRole('status').filter({ hasText: 'is now this customer' }).waitFor();
  const history = customer.getByTestId('history-item');
  await history.filter({ hasText: 'SMS' }).first().waitFor();
  await history.filter({ hasText: 'WhatsApp' }).first().waitFor();
  await history.filter({ hasText: 'Email' }).first().waitFor();
  await shot(alex.page, 'channels', 'three-channels-one-history');
  await alex.ctx.close();
});

test('past the 24-hour window an agent sends an approved template that an admin added', async () => {
  // The admin copies a template from WhatsApp Manager into Admin → Channels.
  const { ctx, page, errors } = await adminPage(browser, server.url, 'channels');
  await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Edit WhatsApp' }).click();
  await page.getByRole('button', { name: 'Add a template' }).click();
  const row = page.locator('[data-template="0"]');
  await row.getByLabel('Name').fill('Order Update');
  await row.getByLabel('Body').fill('Hi {{1}}, your order {{2}} is ready for pickup.');
  await page.getByRole('button', { name: 'Save' }).click();
  // Refused before it is sent: WhatsApp's names are lowercase.
  await page.getByRole('alert').filter({ hasText: /lowercase letters, digits and _/ }).waitFor();
  await row.getByLabel('Name').fill('order_update');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('table', { name: 'Channel endpoints' }).getByText('Templates: order_update (en_US)').waitFor();
  // "Test" checks the stored token with WhatsApp, sending nobody anything.
  const sentBefore = sent.length;
  await page.getByRole('button', { name: 'Test WhatsApp' }).click();
  await page.getByTestId('endpoint-test').filter({ hasText: 'Works: WhatsApp accepted the access token for +1 555-010-6060 (Demo Retail)' }).waitFor();
  assert.equal(sent.length, sentBefore);
  await shot(page, 'channels', 'admin-whatsapp-templates');
  assert.deepEqual(errors, []);
  await ctx.close();

  // A customer wrote on WhatsApp a day and more ago (WhatsApp's own time is kept).
  const before = sent.length;
  assert.equal(await whatsappIn('wamid.IN-old-1', 'Is my order ready?', { from: '15550107070', name: 'Dana Delay', at: Date.now() - 25 * 3600e3 }), 200);
  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  const tab = alex.page.getByRole('tab', { name: /Dana Delay · WhatsApp/ });
  await tab.waitFor();
  await tab.click();
  const panel = alex.page.getByRole('tabpanel');
  await panel.getByTestId('reply-window').filter({ hasText: /approved template instead/ }).waitFor();
  // The picker opens by itself; the preview fills in as the agent types.
  const picker = panel.getByRole('form', { name: 'Send a template' });
  await picker.getByLabel('Template').selectOption({ label: 'order_update (en_US)' });
  const send = picker.getByRole('button', { name: 'Send template' });
  assert.equal(await send.isDisabled(), true, 'parameters first');
  await picker.getByLabel('Parameter 1').fill('Dana');
  await picker.getByLabel('Parameter 2').fill('A-1042');
  await picker.getByTestId('template-preview').filter({ hasText: 'Hi Dana, your order A-1042 is ready for pickup.' }).waitFor();
  await send.click();
  const mine = panel.locator('.msg').filter({ hasText: 'Hi Dana, your order A-1042 is ready for pickup.' });
  await mine.getByText('template order_update').waitFor();
  await mine.locator('.delivery').filter({ hasText: /^sent$/ }).waitFor();
  await picker.waitFor({ state: 'detached' });
  await shot(alex.page, 'channels', 'whatsapp-template-sent');
  assert.equal(sent.length, before + 1);
  const out = sent.at(-1).body;
  assert.equal(out.type, 'template');
  assert.equal(out.to, '15550107070');
  assert.deepEqual(out.template, {
    name: 'order_update',
    language: { code: 'en_US' },
    components: [{ type: 'body', parameters: [{ type: 'text', text: 'Dana' }, { type: 'text', text: 'A-1042' }] }],
  });
  await alex.ctx.close();
});
