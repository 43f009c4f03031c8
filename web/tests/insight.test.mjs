// Insight from the browser: three customers write about the same trouble, an agent
// answers and wraps each up with one reason; a supervisor opens Insight and sees the
// reason among the top ones and the phrase rising, and the digest reads as a page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, apiSession, launchBrowser, shot, staffPage, startServer } from './harness.mjs';

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

test('a reason and a rising phrase on the Insight page', async () => {
  const sup = await apiSession(server.url, 'dana@demo-retail.example');
  const agent = await apiSession(server.url, DEMO.agents[0]);
  const set = await agent.put('/api/agent/state', { state: 'available' });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  const queues = await sup.get('/api/queues?limit=50');
  const queue = queues.body.items[0];
  const codes = await sup.get('/api/wrapup-codes?limit=50');
  assert.equal(codes.status, 200, JSON.stringify(codes.body));
  const code = codes.body.items[0].name;
  const texts = ['My voucher code was rejected at checkout', 'The voucher code does not work', 'voucher code refused, why?'];
  for (const text of texts) {
    const made = await sup.post('/api/contacts', { channel: 'chat', queue_id: queue.id, customer: { name: 'Val' }, text });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id;
    let offer;
    for (let i = 0; i < 100 && !offer; i++) {
      const o = await agent.get('/api/offers');
      offer = o.body.offers.find((x) => x.offer.contact_id === id);
      if (!offer) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(offer, `offered ${id}`);
    for (const [path, body] of [[`/api/offers/${offer.offer.id}/accept`, {}], [`/api/contacts/${id}/end`, {}], [`/api/contacts/${id}/wrapup`, { code }]]) {
      const r = await agent.post(path, body);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    }
  }

  const s = await staffPage(browser, server.url, '/insight/', 'dana@demo-retail.example');
  const page = s.page;
  await page.getByRole('heading', { name: 'Insight', exact: true }).waitFor();
  await page.getByTestId('reason-row').filter({ hasText: code }).waitFor();
  await page.getByTestId('rising-term').filter({ hasText: 'voucher code' }).waitFor();
  const digest = page.getByTestId('digest');
  await digest.getByText(/contacts this week/).first().waitFor();
  assert.match(await digest.textContent(), /voucher code/);
  await shot(page, 'insight', 'week');
  assert.deepEqual(s.errors, []);
});
