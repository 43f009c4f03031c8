// Phone lines in the browser: an admin finds the demo's line, adds a second one for a new
// number, and the very next call to that number (a real SIP peer, Debian's sipp) shows up
// live on the page, answered and waiting in the queue the admin chose.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPage, launchBrowser, shot, sippCall, startServer } from './harness.mjs';

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

const T = 'phone-lines';


test('an admin adds a phone line and the next call to its number is live on the page', async () => {
  const admin = await adminPage(browser, server.url, 'phone');
  const page = admin.page;
  const lines = page.getByTestId('phone-lines');
  await lines.getByRole('button', { name: 'demo-line' }).waitFor();
  assert.match(await lines.textContent(), /\+15550100 → Orders/);
  const listening = (await lines.locator('code', { hasText: 'udp:' }).textContent()).replace('udp:', '');

  await lines.getByRole('button', { name: 'New phone line' }).click();
  await page.getByTestId('line-name').fill('second-line');
  await page.getByTestId('line-number').fill('+15550177');
  await page.getByTestId('line-queue').selectOption({ label: 'Returns' });
  await page.getByTestId('line-allow').fill('127.0.0.1');
  // A mistake first: the error names the field, and the form keeps what was typed.
  await page.getByTestId('line-allow').fill('127.0.0.999');
  await page.getByRole('button', { name: 'Save phone line' }).click();
  await page.getByRole('alert').filter({ hasText: 'allow[0]' }).waitFor();
  await page.getByTestId('line-allow').fill('127.0.0.1');
  await page.getByRole('button', { name: 'Save phone line' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved “second-line”' }).waitFor();
  await lines.getByRole('button', { name: 'second-line' }).waitFor();
  await shot(page, T, 'saved');

  // A caller dials the new number at once and stays on the line for a few seconds.
  const sipp = await sippCall(listening, '15550177', ['-sn', 'uac', '-d', '8000']);
  try {
    const live = page.getByTestId('live-calls');
    await live.getByRole('row', { name: /second-line/ }).filter({ hasText: 'confirmed' }).waitFor({ timeout: 20_000 });
    await shot(page, T, 'live-call');
    assert.equal(await sipp.exited, 0, `sipp: ${sipp.output()}`);
    // Hung up: the call leaves the page.
    await live.getByText('No calls right now.').waitFor({ timeout: 10_000 });
  } finally {
    sipp.kill();
  }
  assert.deepEqual(admin.errors, []);
  await admin.ctx.close();
});
