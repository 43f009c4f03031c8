// Limits are shown before they are hit and nothing typed is lost to an error: the
// agent's 20,000-character reply keeps its draft, a refused message goes back into the
// box, the customer's box shows a counter instead of cutting at 4,000 characters, and a
// file-too-big error goes away when the chat ends. The customer card's long ids fit.
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

const T = 'limits';

test('long replies, refused messages and big files: counters, drafts kept, errors that clear', async () => {
  const agent = await agentLogin(browser, server.url, DEMO.agents[0]);
  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Noor Haddad', 'Orders');
  const offer = agent.page.getByTestId('offer');
  await offer.getByRole('button', { name: 'Accept' }).click();
  await agent.page.getByRole('tab', { name: /Noor Haddad/ }).waitFor();
  await cust.page.getByText(/You are chatting with/).waitFor();
  // "Alex joined the chat" sits where it happened: above the agent's first message.
  await cust.page.getByText(/^Alex.* joined the chat\.$/).waitFor();
  await agent.page.getByLabel('Reply').fill('Hello Noor, how can I help?');
  await agent.page.getByLabel('Reply').press('Enter');
  const custLog = cust.page.getByRole('log', { name: 'Conversation' });
  await custLog.getByText('Hello Noor, how can I help?').waitFor();
  const order = await custLog.locator('.hs-text, .hs-system').allInnerTexts();
  const joined = order.findIndex((t) => /joined the chat\.$/.test(t));
  assert.ok(joined >= 0 && joined < order.indexOf('Hello Noor, how can I help?'), JSON.stringify(order));
  // After a reload the line is still there, in the same place.
  await cust.page.reload();
  await cust.page.waitForLoadState('networkidle');
  if (!(await cust.page.getByLabel('Your message').isVisible())) {
    await cust.page.getByRole('button', { name: /Chat with us|Open chat/ }).click();
  }
  await custLog.getByText('Hello Noor, how can I help?').waitFor();
  await cust.page.getByText(/^Alex.* joined the chat\.$/).waitFor();
  const again = await custLog.locator('.hs-text, .hs-system').allInnerTexts();
  const joinedAgain = again.findIndex((t) => /joined the chat\.$/.test(t));
  assert.ok(joinedAgain >= 0 && joinedAgain < again.indexOf('Hello Noor, how can I help?'), JSON.stringify(again));

  // The agent pastes 20,000 characters: the counter says by how much it is over, Send is
  // off, and Enter keeps the draft.
  const reply = agent.page.getByLabel('Reply');
  const long = 'x'.repeat(20_000);
  await reply.fill(long);
  const count = agent.page.getByTestId('draft-count');
  await count.filter({ hasText: '20,000 / 10,000 characters. This message is 10,000 characters too long. Shorten it or send it in two parts.' }).waitFor();
  assert.equal(await agent.page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true);
  await reply.press('Enter');
  assert.equal((await reply.inputValue()).length, 20_000, 'the draft is kept');
  await agent.page.getByRole('alert').filter({ hasText: 'Shorten it or send it in two parts.' }).waitFor();
  await shot(agent.page, T, 'agent-reply-too-long');
  // Near the limit the counter shows before it is hit.
  await reply.fill('y'.repeat(9_500));
  await count.filter({ hasText: '9,500 / 10,000 characters' }).waitFor();
  await reply.fill('');
  assert.equal(await count.innerText(), '');

  // A message the server refuses goes back into the box, with a sentence saying why.
  await agent.page.route('**/api/contacts/*/messages', (route) =>
    route.request().method() === 'POST'
      ? route.fulfill({ status: 422, contentType: 'application/json', body: JSON.stringify({ error: { code: 'invalid', message: 'text: not allowed here' } }) })
      : route.continue(),
  );
  await reply.fill('Your parcel left the warehouse today.');
  await reply.press('Enter');
  await agent.page.getByRole('alert').filter({ hasText: 'Text: not allowed here. Correct it and try again. Your message is back in the box.' }).waitFor();
  assert.equal(await reply.inputValue(), 'Your parcel left the warehouse today.');
  await agent.page.unroute('**/api/contacts/*/messages');
  await reply.press('Enter');
  await cust.page.getByRole('log', { name: 'Conversation' }).getByText('Your parcel left the warehouse today.').waitFor();
  assert.equal(await reply.inputValue(), '');

  // The customer's box: a counter near 4,000 characters, nothing cut past it.
  const box = cust.page.getByLabel('Your message');
  await box.fill('a'.repeat(3_700));
  await cust.page.getByText('3,700 / 4,000 characters').waitFor();
  await box.fill('b'.repeat(4_100));
  assert.equal((await box.inputValue()).length, 4_100, 'the text is not cut');
  await cust.page.getByText('This message is 100 characters too long. Shorten it or send it in two parts.').waitFor();
  assert.equal(await cust.page.getByRole('button', { name: 'Send' }).isDisabled(), true);
  await box.press('Enter');
  assert.equal((await box.inputValue()).length, 4_100, 'Enter keeps it too');
  await shot(cust.page, T, 'customer-too-long');
  await box.fill('Thanks!');
  await box.press('Enter');
  await agent.page.getByRole('log', { name: 'Conversation' }).getByText('Thanks!').waitFor();

  // A file too big: said with its size and what to do; gone when the chat ends.
  await cust.page.locator('input[type="file"]').setInputFiles({ name: 'scan.png', mimeType: 'image/png', buffer: Buffer.alloc(11 * 1024 * 1024, 1) });
  const tooBig = cust.page.getByRole('alert').filter({ hasText: 'larger than the 10 MB limit. Pick a smaller file' });
  await tooBig.waitFor();
  await shot(cust.page, T, 'file-too-big');
  await agent.page.getByRole('button', { name: 'End chat' }).click();
  await cust.page.getByText('The chat has ended. How did we do?').waitFor();
  assert.equal(await tooBig.count(), 0, 'the error went with the chat');
  assert.equal(await cust.page.getByRole('alert').count(), 0);

  // The customer card: long ids stay inside it.
  const card = agent.page.getByRole('complementary', { name: 'Customer' });
  const fits = await card.evaluate((el) => el.scrollWidth <= el.clientWidth + 1);
  assert.ok(fits, 'nothing overflows the customer card');
  await shot(agent.page, T, 'agent-card');

  await cust.ctx.close();
  await agent.ctx.close();
});
