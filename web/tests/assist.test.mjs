// Agent assist: while a customer chats, the agent desktop suggests the knowledge base's
// articles that fit the question; one click puts the article's link in the reply, which
// reaches the customer. The agent tells the editors that no article answers another
// question, and the admin finds it on the knowledge-base page.
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

const T = 'assist';

test('an agent sends a suggested article and flags a question no article answers', async () => {
  const agent = await agentLogin(browser, server.url, DEMO.agents[0]);
  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Robin Hale', 'Orders');
  const offer = agent.page.getByTestId('offer');
  await offer.waitFor();
  await offer.getByRole('button', { name: 'Accept' }).click();
  await agent.page.getByRole('tab', { name: /Robin Hale/ }).waitFor();
  const assist = agent.page.getByTestId('assist');
  await assist.getByText('Suggestions appear when the customer writes.').waitFor();

  const box = cust.page.getByLabel('Your message');
  await box.fill('Hi, when will I get my refund?');
  await box.press('Enter');
  const first = assist.getByTestId('suggestion').first();
  await first.getByRole('link', { name: 'When will I get my refund?' }).waitFor();
  assert.match(await first.getByRole('link').getAttribute('href'), /\/help\/demo-retail\/a\/refund-time$/);
  await shot(agent.page, T, 'suggested');

  await first.getByRole('button', { name: 'Insert link' }).click();
  const reply = agent.page.getByLabel('Reply');
  assert.match(await reply.inputValue(), /^When will I get my refund\?: .*\/help\/demo-retail\/a\/refund-time$/);
  await reply.press('Enter');
  await cust.page.getByRole('log', { name: 'Conversation' }).getByText(/help\/demo-retail\/a\/refund-time/).waitFor();

  // A question the knowledge base has no article for.
  await box.fill('Can I pay with two gift cards at once?');
  await box.press('Enter');
  await agent.page.getByRole('log', { name: 'Conversation' }).getByText('Can I pay with two gift cards at once?').waitFor();
  await assist.getByRole('button', { name: 'No article answers this' }).click();
  await assist.getByLabel('What did the customer ask?').fill('Paying with two gift cards on one order');
  await assist.getByRole('button', { name: 'Ask for an article' }).click();
  await assist.getByRole('status').filter({ hasText: 'editors will see it' }).waitFor();

  const admin = await adminPage(browser, server.url, 'kb');
  const flags = admin.page.getByTestId('kb-flags');
  await flags.getByText('Paying with two gift cards on one order').waitFor();
  assert.match(await flags.innerText(), /No article/);
  await shot(admin.page, T, 'flags');
  assert.deepEqual(admin.errors, []);
  await Promise.all([agent.ctx.close(), cust.ctx.close(), admin.ctx.close()]);
});

test('a visitor finds an answer in the widget before starting a chat', async () => {
  const cust = await customer(browser, server.url);
  await cust.page.getByLabel('Your name').waitFor();
  await cust.page.getByLabel(/Search our help center/).fill('when will I get my refund');
  await cust.page.getByRole('button', { name: 'Search', exact: true }).click();
  const link = cust.page.getByRole('list', { name: 'Help center articles' }).getByRole('link').first();
  await link.waitFor();
  assert.equal(await link.textContent(), 'When will I get my refund?');
  assert.match(await link.getAttribute('href'), /\/help\/demo-retail\/a\/refund-time$/);
  await shot(cust.page, T, 'widget-search');
  // Nothing found: the chat is one step away.
  await cust.page.getByLabel(/Search our help center/).fill('zzqx wibble');
  await cust.page.getByRole('button', { name: 'Search', exact: true }).click();
  await cust.page.getByText('No article found. Start a chat below and a person will help.').waitFor();
  await startChat(cust.page, 'Sam Reed', 'Orders');
  await cust.ctx.close();
});
