// The answer bot before the queue, in the demo where it is on for Orders and Returns: a
// customer gets an answer with its article and no agent is bothered; one who types
// "agent" reaches a person at once, and the agent reads the bot's transcript and why it
// handed over; another presses "Talk to a person". The guided action "Where is my
// order" asks for the number and answers from the shop's endpoint. The admin sees the
// bot's settings and tries the action; Insight shows the bot's week.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPage, agentLogin, customer, DEMO, launchBrowser, shot, staffPage, startChat, startServer } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer({}, { answerBot: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const T = 'bot';

test('the bot answers with its article, hands over on request with its transcript, and runs a guided action', async () => {
  const agent = await agentLogin(browser, server.url, DEMO.agents[0]);
  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Bea Bot', 'Orders');
  await cust.page.getByText('Our answer bot replies from our help center.').waitFor();
  const box = cust.page.getByLabel('Your message');
  await box.fill('When will I get my refund?');
  await box.press('Enter');
  const log = cust.page.getByRole('log', { name: 'Conversation' });
  await log.getByText(/From our help center, “When will I get my refund\?”/).waitFor();
  await log.getByText(/\/help\/demo-retail\/a\/refund-time/).waitFor();
  await shot(cust.page, T, 'answered');
  // The bot holds it: no agent is offered it.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await agent.page.getByTestId('offer').count(), 0, 'no offer while the bot answers');

  // "agent": a person at once, with the transcript and the reason.
  await box.fill('agent');
  await box.press('Enter');
  const offer = agent.page.getByTestId('offer');
  await offer.waitFor();
  await offer.getByRole('button', { name: 'Accept' }).click();
  await agent.page.getByRole('tab', { name: /Bea Bot/ }).waitFor();
  const summary = agent.page.getByTestId('bot-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /the customer asked for a person.*Already shown: “When will I get my refund\?”/);
  const agentLog = agent.page.getByRole('log', { name: 'Conversation' });
  await agentLog.getByText('When will I get my refund?', { exact: true }).waitFor();
  await agentLog.getByText(/From our help center/).waitFor();
  await shot(agent.page, T, 'agent-transcript');

  // The button hands over as well.
  const second = await customer(browser, server.url);
  await startChat(second.page, 'Cal Button', 'Returns');
  await second.page.getByRole('button', { name: 'Talk to a person' }).click();
  await second.page.getByText(/You are number|Connecting you to an agent/).waitFor();
  assert.equal(await second.page.getByRole('button', { name: 'Talk to a person' }).count(), 0);

  // The guided action asks for the order number and answers from the shop.
  const third = await customer(browser, server.url);
  await startChat(third.page, 'Dee Order', 'Orders');
  const box3 = third.page.getByLabel('Your message');
  await box3.fill('Hi, where is my order?');
  await box3.press('Enter');
  const log3 = third.page.getByRole('log', { name: 'Conversation' });
  await log3.getByText(/What is your order number\?/).waitFor();
  await box3.fill('HS-12345');
  await box3.press('Enter');
  await log3.getByText(/Your order HS-12345 is (on its way|out for delivery)/).waitFor();
  await shot(third.page, T, 'guided-action');
  for (const c of [cust, second, third]) await c.ctx.close();
  await agent.ctx.close();
});

test('the admin sets the bot up and tries the guided action; Insight shows its week', async () => {
  const admin = await adminPage(browser, server.url, 'kb');
  const settings = admin.page.getByTestId('bot-settings');
  await settings.waitFor();
  assert.equal(await settings.getByRole('checkbox', { name: 'Orders' }).isChecked(), true);
  await settings.getByRole('checkbox', { name: 'Billing' }).check();
  await settings.getByRole('button', { name: 'Save answer bot settings' }).click();
  await settings.getByText('Answer bot settings saved.').waitFor();

  const actions = admin.page.getByTestId('guided-actions');
  await actions.getByRole('button', { name: 'Where is my order' }).click();
  await actions.getByLabel('order_number').fill('HS-12344');
  await actions.getByRole('button', { name: 'Call the endpoint' }).click();
  const tried = actions.getByTestId('action-tried');
  await tried.waitFor();
  assert.match(await tried.innerText(), /The bot would say: “Your order HS-12344 is on its way/);
  await shot(admin.page, T, 'admin');
  assert.deepEqual(admin.errors, []);
  await admin.ctx.close();

  const s = await staffPage(browser, server.url, '/insight/', 'dana@demo-retail.example');
  const bot = s.page.getByTestId('bot-insight');
  await bot.getByText('conversations met the bot').waitFor();
  assert.match(await bot.innerText(), /handed to a person/);
  await shot(s.page, T, 'insight');
  assert.deepEqual(s.errors, []);
  await s.ctx.close();
});
