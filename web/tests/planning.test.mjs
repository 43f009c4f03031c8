// A newcomer in the demo: the simulated agents have offered hours already, so the
// planner's "Generate schedule" and "Plan hires" work at the first click; the empty
// states say what to do and link to where to do it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, apiSession, DEMO, launchBrowser, shot, startServer } from './harness.mjs';

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

test('the demo seeds every simulated agent\'s offered hours, with a realistic spread', async () => {
  const sim = ['priya', 'tom', 'grace', 'omar', 'ines', 'mateo', 'hannah', 'kofi'];
  const max = [];
  let peak = 0;
  // One sign-in (the admin's), then API tokens acting for each agent.
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const users = (await admin.get('/api/users?limit=500')).body.items;
  for (const name of sim) {
    const u = users.find((x) => x.email === `${name}@demo-retail.example`);
    const t = await admin.post('/api/tokens', { name: `test ${name}`, scopes: ['read'], user_id: u.id });
    const s = apiClient(server.url, { authorization: `Bearer ${t.body.token}` });
    const p = (await s.get('/api/wfm/me/preferences')).body;
    assert.equal(p.saved, true, name);
    assert.ok(p.windows.length > 0, name);
    assert.ok(p.min_week_hours >= 1 && p.min_week_hours <= p.max_week_hours && p.max_week_hours <= 30, name);
    max.push(p.max_week_hours);
    if (p.peak_max_week_hours) {
      assert.ok(p.peak_max_week_hours <= 60);
      peak += 1;
    }
  }
  assert.ok(max.filter((h) => h >= 20 && h < 30).length > sim.length / 2, `most offer 20–29 hours: ${max}`);
  assert.ok(peak >= 1 && peak <= 3, 'a few opted in to peak weeks');
});

test('planner: forecast, generate schedule and plan hires at first click, empty states point the way', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/wfm/`);
  await page.getByLabel('Organisation').fill(DEMO.org);
  await page.getByLabel('Email').fill('dana@demo-retail.example');
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Workforce planning' }).waitFor();
  // Next week: nothing yet, and the page says what to press.
  const now = new Date();
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - ((now.getUTCDay() + 6) % 7) + 7));
  await page.getByLabel('Week starting (Monday, UTC)').fill(monday.toISOString().slice(0, 10));
  await page.getByText(/No requirement for this week yet\. Press Forecast from history/).waitFor();
  await page.getByText(/No schedule for this week yet\. Add a requirement above first/).waitFor();
  await page.getByRole('button', { name: 'Forecast from history' }).click();
  await page.getByRole('status').filter({ hasText: 'Forecast made from the contact history' }).waitFor();
  const empty = page.getByText(/No schedule for this week yet\. Press Generate schedule/);
  await empty.waitFor();
  assert.equal(await empty.getByRole('link', { name: 'My hours' }).getAttribute('href'), '/my-hours/');

  await page.getByRole('button', { name: 'Generate schedule' }).click();
  await page.getByTestId('schedule-status').filter({ hasText: 'draft' }).waitFor();
  assert.equal(await page.getByRole('alert').count(), 0, 'no error at the first click');
  const shifts = page.getByRole('table', { name: 'Shifts' }).getByRole('row');
  assert.ok((await shifts.count()) > 2, 'shifts for the seeded agents');
  // The agents left for people have not offered hours: named, with the way to fix it.
  const without = page.getByText(/Not scheduled, no hours offered yet: .*Alex Morgan/);
  await without.waitFor();
  assert.equal(await without.getByRole('link', { name: 'My hours' }).getAttribute('href'), '/my-hours/');
  await shot(page, 'planning', 'generated-first-click');

  await page.getByRole('button', { name: 'Plan hires' }).click();
  await page.getByTestId('hire-headline').waitFor();
  assert.equal(await page.getByRole('alert').count(), 0);
  await shot(page, 'planning', 'hires-first-click');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('My hours: a minimum above the maximum is explained before saving, and nothing typed is lost', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/my-hours/`);
  await page.getByLabel('Organisation').fill(DEMO.org);
  await page.getByLabel('Email').fill('sam@demo-retail.example');
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'My hours' }).waitFor();
  await page.getByLabel('Fewest hours a week').fill('25');
  await page.getByLabel('Most hours a week').fill('20');
  await page.getByRole('button', { name: 'Save my hours' }).click();
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'Your weekly minimum (25 h) is above your maximum (20 h). Lower the minimum or raise the maximum, then save.' }).waitFor();
  assert.equal(await page.getByLabel('Fewest hours a week').inputValue(), '25');
  // The server says the same in words, for any other client.
  const s = await apiSession(server.url, 'sam@demo-retail.example');
  const r = await s.put('/api/wfm/me/preferences', { windows: [], min_week_hours: 25, max_week_hours: 20 });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.message, 'The weekly minimum is above the maximum. Lower the minimum or raise the maximum.');
  await shot(page, 'planning', 'my-hours-min-above-max');
  await ctx.close();
});
