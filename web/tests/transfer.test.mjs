// A transferred chat arrives at the next agent saying where it comes from, with the
// note left for them; the customer is told who took it where.
import { after, before, test } from 'node:test';
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

test('a transfer tells the customer and the next agent, who gets the note', async () => {
  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Tariq Transfer', 'Orders');
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  const tab = alex.page.getByRole('tab', { name: /Tariq Transfer/ });
  await tab.waitFor();
  // Jordan comes online after the chat was taken.
  const jordan = await agentLogin(browser, server.url, DEMO.agents[1]);
  await alex.page.getByLabel('Transfer to').selectOption({ label: 'Jordan Blake' });
  await alex.page.getByLabel('Note for whoever takes it next').fill('Wants to return order 1042');
  await alex.page.getByRole('button', { name: 'Transfer' }).click();
  await tab.waitFor({ state: 'detached' });

  await cust.page.getByText(/^Alex.* transferred this conversation to Jordan Blake\.$/).waitFor();
  await jordan.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  await jordan.page.getByRole('tab', { name: /Tariq Transfer/ }).waitFor();
  await jordan.page.getByText(/transferred this conversation to Jordan Blake\./).waitFor();
  await jordan.page.getByText(/Wants to return order 1042/).waitFor();
  await shot(jordan.page, 'transfer', 'next-agent');
  // The note stays between staff.
  const seen = await cust.page.getByRole('log', { name: 'Conversation' }).innerText();
  if (seen.includes('order 1042')) throw new Error(`the customer saw the note: ${seen}`);
});
