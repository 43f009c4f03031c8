// The agent's own computer: the desktop keeps nothing of customers in the browser's
// storage, marks transcripts with who is looking, and locks itself when left alone (a
// short idle time here), unlocking only with the password.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentLogin, customer, DEMO, launchBrowser, shot, startChat, startServer } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer({ HOMESHORE_IDLE_LOCK_SECS: '4' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the desktop stores nothing, watermarks transcripts and locks when left alone', async () => {
  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  // Alex is busy at the desk until the lock is what is tested: the mouse moves.
  const busy = setInterval(() => alex.page.mouse.move(20 + Math.random() * 40, 300).catch(() => {}), 700);
  const cust = await customer(browser, server.url);
  await startChat(cust.page, 'Wanda Watermark', 'Orders');
  await cust.page.getByLabel('Your message').fill('Hello from Wanda');
  await cust.page.getByLabel('Your message').press('Enter');
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  const log = alex.page.getByRole('log', { name: 'Conversation' });
  await log.getByText('Hello from Wanda').waitFor();
  assert.match(await alex.page.getByTestId('watermark').innerText(), /Alex Morgan · alex@demo-retail\.example · \d{4}-\d\d-\d\d \d\d:\d\d/);

  // Nothing in the browser's storage: local, session, IndexedDB.
  const stored = await alex.page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    idb: (await indexedDB.databases()).length,
  }));
  assert.deepEqual(stored, { local: 0, session: 0, idb: 0 });

  // Left alone, it locks: the transcript is covered and cannot be reached.
  clearInterval(busy);
  const lock = alex.page.getByRole('dialog', { name: 'Locked' });
  await lock.waitFor({ timeout: 15_000 });
  assert.equal(await alex.page.locator('.desk[inert]').count(), 1);
  await shot(alex.page, 'device', 'locked');
  await lock.getByLabel('Password').fill('not-it');
  await lock.getByRole('button', { name: 'Unlock' }).click();
  await lock.getByRole('alert').filter({ hasText: 'That password is wrong' }).waitFor();
  await lock.getByLabel('Password').fill(DEMO.password);
  await lock.getByRole('button', { name: 'Unlock' }).click();
  await lock.waitFor({ state: 'detached' });
  assert.equal(await alex.page.locator('.desk[inert]').count(), 0);
  await log.getByText('Hello from Wanda').waitFor();
  await alex.ctx.close();
  await cust.ctx.close();
});
