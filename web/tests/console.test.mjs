// The supervisor console from the browser: an agent raises a hand and a supervisor
// takes it and lands in the conversation; a whisper reaches the agent and not the
// customer; a barge is seen by both; a take-over moves the conversation to the
// supervisor; a state the supervisor sets reaches the agent's desktop; a supervisor
// moves a waiting customer up the line and reads why routing did what it did.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, agentLogin, apiSession, customer, launchBrowser, shot, staffPage, startChat, startServer } from './harness.mjs';

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

async function supervisor() {
  const sup = await staffPage(browser, server.url, '/live/', 'dana@demo-retail.example');
  await sup.page.getByRole('heading', { name: 'Live' }).waitFor();
  await sup.page.getByRole('table', { name: 'Queues' }).waitFor();
  return sup;
}

test('raise hand, take it, whisper, barge, take over', async () => {
  const sup = await supervisor();
  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Hana Help', 'Orders');
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  await alex.page.getByRole('tab', { name: /Hana Help/ }).waitFor();

  // The agent raises a hand about this chat.
  await alex.page.getByRole('button', { name: '✋ Raise hand' }).click();
  await alex.page.getByLabel('What do you need? (optional)').fill('Refund over my limit');
  await alex.page.getByRole('button', { name: 'Ask a supervisor' }).click();
  await alex.page.getByTestId('help-status').filter({ hasText: 'Your hand is raised' }).waitFor();

  // The supervisor sees it at once, takes it, and lands in the conversation.
  const req = sup.page.getByTestId('help-request').filter({ hasText: 'Refund over my limit' });
  await req.waitFor({ timeout: 10_000 });
  await shot(sup.page, 'console', 'raised-hand');
  await req.getByRole('button', { name: 'Take' }).click();
  await req.getByText('taken by Dana Whitfield').waitFor();
  await alex.page.getByTestId('help-status').filter({ hasText: 'Dana Whitfield is coming to help.' }).waitFor();
  const monitor = sup.page.getByTestId('monitor');
  await monitor.waitFor();
  await monitor.getByText('Hana Help', { exact: false }).first().waitFor();
  await alex.page.getByTestId('supervision-notice').filter({ hasText: 'is watching' }).waitFor();

  // A whisper: the agent sees it marked; the customer never does.
  await monitor.getByLabel(/Whisper to the agent/).fill('Offer a 10 % voucher instead');
  await monitor.getByRole('button', { name: 'Whisper' }).click();
  await alex.page.getByTestId('chat-message').filter({ hasText: 'Offer a 10 % voucher instead' }).filter({ hasText: 'Whisper · Dana Whitfield' }).waitFor();
  await shot(alex.page, 'console', 'whisper');

  // Barge: both see the supervisor join and write.
  await monitor.getByRole('button', { name: 'Join the conversation (barge)' }).click();
  await cust.page.getByText('Dana Whitfield (supervisor) joined the conversation.').waitFor();
  await monitor.getByLabel(/Write to the customer/).fill('Hello Hana, I can help with the refund.');
  await monitor.getByRole('button', { name: 'Send' }).click();
  await cust.page.getByText('Hello Hana, I can help with the refund.').waitFor();
  await alex.page.getByText('Hello Hana, I can help with the refund.').waitFor();
  const seen = await cust.page.getByRole('log', { name: 'Conversation' }).innerText();
  assert.ok(!seen.includes('voucher'), `the customer saw the whisper: ${seen}`);

  // Take over: the chat leaves Alex's desktop and continues with Dana.
  await monitor.getByRole('button', { name: 'Take over' }).click();
  await alex.page.getByRole('tab', { name: /Hana Help/ }).waitFor({ state: 'detached' });
  await cust.page.getByText('Dana Whitfield (supervisor) took over this conversation.').waitFor();
  await monitor.getByLabel('Reply to the customer').fill('Your refund is on its way.');
  await monitor.getByRole('button', { name: 'Send' }).click();
  await cust.page.getByText('Your refund is on its way.').waitFor();
  await shot(sup.page, 'console', 'taken-over');

  // The wallboard counts the chat in Orders.
  const orders = sup.page.getByTestId('queue-row').filter({ hasText: 'Orders' });
  await orders.waitFor();
  assert.deepEqual(sup.errors, []);
  await cust.ctx.close();
  await alex.ctx.close();
  await sup.ctx.close();
});

test("a state the supervisor sets reaches the agent's desktop", async () => {
  const sup = await supervisor();
  const jordan = await agentLogin(browser, server.url, DEMO.agents[1]);
  const row = sup.page.getByTestId('agent-row').filter({ hasText: 'Jordan Blake' });
  await row.filter({ hasText: 'available' }).waitFor({ timeout: 10_000 });
  await row.getByRole('button', { name: "Change Jordan Blake's state" }).click();
  await sup.page.getByLabel('New state').selectOption('break');
  await sup.page.getByLabel('Reason (they see it)').fill('Coaching session');
  await sup.page.getByRole('button', { name: 'Apply' }).click();
  await jordan.page.getByTestId('agent-state').filter({ hasText: 'On break' }).waitFor();
  await jordan.page.getByTestId('supervision-notice').filter({ hasText: 'Dana Whitfield set you to break: Coaching session' }).waitFor();
  await row.filter({ hasText: 'break' }).waitFor({ timeout: 10_000 });
  await shot(jordan.page, 'console', 'state-forced');
  assert.deepEqual(sup.errors, []);
  await jordan.ctx.close();
  await sup.ctx.close();
});

test('a supervisor sets an alert rule on the admin page; a waiting chat trips it on the console', async () => {
  const { ctx, page, errors } = await staffPage(browser, server.url, '/admin/#alerts', 'dana@demo-retail.example');
  await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
  const form = page.getByRole('form', { name: 'Alert rules' });
  await form.getByRole('button', { name: 'Add a rule' }).click();
  await form.getByLabel('Name of rule 1').fill('Returns line');
  await form.getByLabel('Queue of rule 1').selectOption({ label: 'Returns' });
  await form.getByLabel('Figure of rule 1').selectOption('waiting');
  await form.getByLabel('Threshold of rule 1').fill('0');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Rules are checked every second.' }).waitFor();
  await shot(page, 'console', 'alert-rules');
  await ctx.close();

  const sup = await supervisor();
  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Rhea Return', 'Returns');
  const alert = sup.page.getByTestId('alert').filter({ hasText: 'Returns line' });
  await alert.waitFor({ timeout: 10_000 });
  assert.match(await alert.innerText(), /Returns: waiting 1 \(above 0\)/);
  await shot(sup.page, 'console', 'alert-up');
  // Put back for the other tests.
  const dana = await apiSession(server.url, 'dana@demo-retail.example');
  assert.equal((await dana.put('/api/alerts', { rules: [] })).status, 200);
  await sup.page.getByTestId('alert').waitFor({ state: 'detached', timeout: 10_000 });
  assert.deepEqual(errors, []);
  await sup.ctx.close();
  await cust.ctx.close();
});

test('a supervisor moves a waiting customer up the line and reads its routing history', async () => {
  // Nobody takes chats during this test, so both customers wait in line.
  for (const email of DEMO.agents) {
    const a = await apiSession(server.url, email);
    assert.equal((await a.put('/api/agent/state', { state: 'offline' })).status, 200);
  }
  const first = await customer(browser, server.url);
  await startChat(first.page, 'Walt Waiting', 'Returns');
  const second = await customer(browser, server.url);
  await startChat(second.page, 'Pia Priority', 'Returns');
  // Others came first (this test's first customer, and any still waiting before).
  await second.page.getByText(/You are number [2-9] in the queue\./).waitFor({ timeout: 10_000 });
  const sup = await supervisor();
  const list = sup.page.getByRole('table', { name: 'Live conversations' });
  await sup.page.getByRole('button', { name: 'Refresh' }).click();
  const row = list.getByTestId('live-contact').filter({ hasText: 'Pia Priority' });
  await row.waitFor({ timeout: 10_000 });
  await row.getByLabel('Priority of Pia Priority').fill('5');
  await row.getByRole('button', { name: 'Set' }).click();
  await sup.page.getByRole('status').filter({ hasText: 'Pia Priority now has priority 5' }).waitFor();
  await row.getByRole('button', { name: 'Why?' }).click();
  const history = sup.page.getByRole('list', { name: 'Routing history of Pia Priority' });
  await history.getByText('Entered Returns with priority 0.').waitFor();
  await history.getByText('Priority set to 5.').waitFor();
  await shot(sup.page, 'console', 'routing-history');
  // Their place in line follows: the widget shows them first now.
  await second.page.getByText('You are number 1 in the queue.').waitFor({ timeout: 10_000 });
  assert.deepEqual(sup.errors, []);
  await sup.ctx.close();
  await first.ctx.close();
  await second.ctx.close();
});
