// Historical reports from the browser: a supervisor opens the reports page, sees a
// contact made a moment ago counted, drills down from the figure to the contact behind
// it, and downloads the contacts as CSV.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiSession, launchBrowser, shot, staffPage, startServer } from './harness.mjs';

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

test('a figure, the contacts behind it, and the CSV', async () => {
  // A contact that waits, then is ended before anyone answers: offered and abandoned.
  const api = await apiSession(server.url, 'dana@demo-retail.example');
  const queues = await api.get('/api/queues?limit=50');
  assert.equal(queues.status, 200);
  const queue = queues.body.items[0];
  const made = await api.post('/api/contacts', { channel: 'chat', queue_id: queue.id, customer: { name: 'Rita Report' }, text: 'Where is my parcel?' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const ended = await api.post(`/api/contacts/${made.body.id}/end`, {});
  assert.equal(ended.status, 200, JSON.stringify(ended.body));

  const sup = await staffPage(browser, server.url, '/reports/', 'dana@demo-retail.example');
  const page = sup.page;
  await page.getByRole('heading', { name: 'Reports' }).waitFor();
  await page.getByRole('table', { name: 'Report' }).waitFor();
  const offered = Number(await page.getByTestId('total-offered').textContent());
  assert.ok(offered >= 1, `offered ${offered}`);

  // Rows by queue: the queue's abandoned figure opens the contact.
  await page.getByLabel('Rows').selectOption('queue');
  await page.getByRole('button', { name: 'Show' }).click();
  const row = page.getByTestId('report-row').filter({ hasText: queue.name });
  await row.waitFor();
  await row.locator('button[data-figure="abandoned"]').click();
  const drill = page.getByTestId('drill');
  await drill.getByRole('heading', { name: new RegExp(`Abandoned · ${queue.name}`) }).waitFor();
  // Ids made in the same minute share their first characters: the row shows the tail too.
  const line = drill.getByTestId('drill-row').filter({ has: page.locator(`code[title="${made.body.id}"]`) });
  await line.waitFor();
  assert.match(await line.textContent(), /abandoned/);
  await shot(page, 'reports', 'drill-down');

  // The contacts as CSV: a header and the contact's line.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-contacts').click()]);
  const csv = Buffer.concat(await (await download.createReadStream()).toArray()).toString('utf8');
  const lines = csv.trim().split(/\r?\n/);
  assert.match(lines[0], /^contact_id,stay,queue_id,queue,channel/);
  assert.ok(lines.some((l) => l.startsWith(made.body.id) && l.includes(',abandoned,')), csv);
  assert.deepEqual(sup.errors, []);
});
