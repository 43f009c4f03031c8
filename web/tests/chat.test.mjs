// A customer chats with an agent from start to end, through a reload, and rates the chat.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPage, agentLogin, customer, DEMO, launchBrowser, shot, startChat, startServer } from './harness.mjs';

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

const T = 'chat';
// A 1×1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

test('widget chat: offer, messages both ways, attachment, reload, wrap-up, rating', async () => {
  const agent = await agentLogin(browser, server.url, DEMO.agents[0]);
  await shot(agent.page, T, 'agent-available');

  const cust = await customer(browser, server.url);
  await cust.page.getByLabel('Your name').waitFor();
  await shot(cust.page, T, 'customer-prechat');
  await startChat(cust.page, 'Maria Lopez', 'Orders');
  await shot(cust.page, T, 'customer-waiting');

  // The offer rings on the desktop with a countdown; the agent accepts.
  const offer = agent.page.getByTestId('offer');
  await offer.waitFor();
  assert.match(await offer.innerText(), /Maria Lopez/);
  assert.match(await offer.locator('.countdown').innerText(), /^\d+s$/);
  await shot(agent.page, T, 'agent-offer');
  await offer.getByRole('button', { name: 'Accept' }).click();
  await agent.page.getByRole('tab', { name: /Maria Lopez/ }).waitFor();
  await cust.page.getByText(/You are chatting with/).waitFor();

  // Customer → agent.
  const custBox = cust.page.getByLabel('Your message');
  await custBox.fill('Hello, where is my order DR-1001?');
  await custBox.press('Enter');
  const agentLog = agent.page.getByRole('log', { name: 'Conversation' });
  await agentLog.getByText('Hello, where is my order DR-1001?').waitFor();

  // Agent → customer with a canned response and its variables.
  const reply = agent.page.getByLabel('Reply');
  await reply.fill('/hi');
  await reply.press('Tab');
  assert.match(await reply.inputValue(), /^Hi Maria, I'm Alex from Demo Retail/);
  await reply.press('Enter');
  const custLog = cust.page.getByRole('log', { name: 'Conversation' });
  await custLog.getByText(/Hi Maria, I'm Alex/).waitFor();

  // Typing shows on the other side.
  await reply.pressSequentially('Let me check');
  await cust.page.getByText(/is typing/).waitFor();
  await reply.press('Enter');
  await custLog.getByText('Let me check').waitFor();

  // An internal note stays among staff.
  const noteToggle = agent.page.getByRole('checkbox', { name: 'Internal note' });
  await noteToggle.check();
  const note = agent.page.locator('textarea[id^="draft-"]');
  await note.fill('VIP customer, be quick');
  await note.press('Enter');
  await agentLog.getByText('VIP customer, be quick').waitFor();
  await noteToggle.uncheck();
  await shot(agent.page, T, 'agent-conversation');
  await shot(cust.page, T, 'customer-conversation');

  // The customer reloads mid-conversation: everything is still there, once.
  await cust.page.reload();
  if (!(await cust.page.getByLabel('Your message').isVisible())) {
    await cust.page.getByRole('button', { name: /Chat with us|Open chat/ }).click();
  }
  const custLog2 = cust.page.getByRole('log', { name: 'Conversation' });
  await custLog2.getByText('Let me check').waitFor();
  const texts = await custLog2.locator('.hs-text').allInnerTexts();
  assert.deepEqual(
    texts.filter((t) => /DR-1001|Hi Maria|Let me check/.test(t)).length,
    3,
    `each message once after reload: ${JSON.stringify(texts)}`,
  );
  assert.ok(!texts.some((t) => t.includes('VIP')), 'internal notes are never shown to the customer');
  await shot(cust.page, T, 'customer-after-reload');
  await cust.page.getByLabel('Your message').fill('Thanks, still here after the reload');
  await cust.page.getByLabel('Your message').press('Enter');
  await agentLog.getByText('Thanks, still here after the reload').waitFor();
  assert.equal(await agentLog.getByText('Hello, where is my order DR-1001?').count(), 1);
  // A card number and a phone number typed by the customer reach the agent masked; the
  // phone number is shown again for a reason (recorded), the card number never.
  await cust.page.getByLabel('Your message').fill('Card 4242 4242 4242 4242, call me on +1 312 555 0199');
  await cust.page.getByLabel('Your message').press('Enter');
  await agentLog.getByText('Card [card ending 4242], call me on [phone ending 99]').waitFor();
  assert.equal(await agentLog.getByText('4242 4242 4242 4242').count(), 0);
  await agentLog.getByRole('button', { name: 'Show hidden details' }).click();
  await agentLog.getByLabel('Why do you need them?').fill('customer asked for a call back');
  await agentLog.getByRole('button', { name: 'Show', exact: true }).click();
  const revealed = agentLog.getByRole('list', { name: 'Hidden details' });
  await revealed.getByText('+1 312 555 0199').waitFor();
  await revealed.getByText('not kept (card numbers never are)').waitFor();
  await shot(agent.page, T, 'hidden-details');
  // The admin finds that reveal in the audit log: who asked, and why.
  {
    const admin = await adminPage(browser, server.url, 'audit');
    await admin.page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await admin.page.getByLabel('Words').fill('customer asked for a call back');
    const row = admin.page.getByRole('table', { name: 'Audit log' }).getByRole('row').filter({ hasText: 'pii.revealed' });
    await row.waitFor();
    assert.equal(await row.count(), 1, 'one reveal, once');
    assert.match(await row.innerText(), /Alex Morgan/, 'it names the agent');
    await shot(admin.page, T, 'reveal-in-audit-log');
    assert.deepEqual(admin.errors, []);
    await admin.ctx.close();
  }
  // The customer sends a picture; the agent sees it (fetched from the server, not the customer).
  await cust.page.locator('input[type="file"]').setInputFiles({
    name: 'receipt.png',
    mimeType: 'image/png',
    buffer: Buffer.from(PNG, 'base64'),
  });
  await agentLog.locator('img[alt="receipt.png"]').waitFor();
  await custLog2.locator('img[alt="receipt.png"]').waitFor();
  // The agent read the customer's messages: the widget says so.

  await cust.page.locator('.hs-mark', { hasText: 'Read' }).waitFor();

  // The agent ends the chat and wraps up; the customer rates it.
  await agent.page.getByRole('button', { name: 'End chat' }).click();
  await agent.page.getByLabel('Wrap-up code').selectOption({ index: 1 });
  await agent.page.getByLabel('Notes').fill('Order is on its way');
  await shot(agent.page, T, 'agent-wrapup');
  await agent.page.getByRole('button', { name: 'Finish wrap-up' }).click();
  await agent.page.getByRole('tab', { name: /Maria Lopez/ }).waitFor({ state: 'detached' });

  await cust.page.getByText('The chat has ended. How did we do?').waitFor();
  await cust.page.locator('.hs-stars label', { hasText: '5 stars' }).click();
  await cust.page.getByLabel(/Anything to add/).fill('Quick and friendly');
  await shot(cust.page, T, 'customer-rating');
  await cust.page.getByRole('button', { name: 'Send rating' }).click();
  await cust.page.getByText('Thank you for your feedback!').waitFor();
  await shot(cust.page, T, 'customer-thanks');
  await shot(agent.page, T, 'agent-done');

  await cust.ctx.close();
  await agent.ctx.close();
});
