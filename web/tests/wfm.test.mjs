// Workforce management from the browser: an agent offers hours, the planner enters a
// requirement around now, generates and publishes a schedule, the agent sees the shift,
// the supervisor's adherence view lists the agent (scheduled, but offline), and another
// agent picks up the open shift left for what nobody offered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, launchBrowser, shot, startServer } from './harness.mjs';

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

async function signIn(page, email) {
  await page.getByLabel('Organisation').fill(DEMO.org);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A `datetime-local` value in UTC (the contexts run in UTC). */
const local = (ms) => new Date(ms).toISOString().slice(0, 16);

test('agent offers hours, planner schedules and publishes, agent sees the shift, supervisor sees adherence, open shift picked up', async () => {
  const errors = [];
  const ctx = (o = {}) => browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', ...o });

  // The agent: available every day 06:00–22:00 in a time zone where it is about noon now.
  const agentCtx = await ctx();
  const agent = await agentCtx.newPage();
  agent.on('pageerror', (e) => errors.push(e.message));
  await agent.goto(`${server.url}/my-hours/`);
  await signIn(agent, 'alex@demo-retail.example');
  await agent.getByRole('heading', { name: 'My hours' }).waitFor();
  await agent.getByText('No published shifts yet.').waitFor();
  const now = new Date();
  const utcMin = now.getUTCHours() * 60 + now.getUTCMinutes();
  let offset = Math.round((12 * 60 - utcMin) / 30) * 30;
  if (offset > 14 * 60) offset -= 1440;
  if (offset < -12 * 60) offset += 1440;
  await agent.getByLabel('Time zone').selectOption(String(offset));
  for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']) {
    await agent.getByLabel(day, { exact: true }).check();
    await agent.getByLabel(`${day} from`).fill('06:00');
    await agent.getByLabel(`${day} to`).fill('22:00');
  }
  await agent.getByLabel('Fewest hours a week').fill('1');
  await agent.getByLabel('Most hours a week').fill('20');
  await agent.getByRole('button', { name: 'Save my hours' }).click();
  await agent.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  await shot(agent, 'wfm', 'my-hours-saved');

  // The planner: two agents needed from an hour before now to an hour and a half after;
  // only Alex has offered hours, so the second is an open shift.
  const plannerCtx = await ctx();
  const planner = await plannerCtx.newPage();
  planner.on('pageerror', (e) => errors.push(e.message));
  await planner.goto(`${server.url}/wfm/`);
  await signIn(planner, 'dana@demo-retail.example');
  await planner.getByRole('heading', { name: 'Workforce planning' }).waitFor();
  const half = Math.floor(now.getTime() / 1_800_000) * 1_800_000;
  await planner.getByLabel('From', { exact: true }).fill(local(half - 3_600_000));
  await planner.getByLabel('To', { exact: true }).fill(local(half + 5_400_000));
  await planner.getByLabel('Agents needed').fill('2');
  await planner.getByRole('button', { name: 'Add to requirement' }).click();
  await planner.getByRole('status').filter({ hasText: 'Requirement saved' }).waitFor();
  await planner.getByRole('img', { name: /Required against scheduled/ }).waitFor();
  await planner.getByRole('button', { name: 'Generate schedule' }).click();
  await planner.getByTestId('schedule-status').filter({ hasText: 'draft' }).waitFor();
  await planner.getByRole('table', { name: 'Shifts' }).getByText('Alex Morgan').waitFor();
  const shortfall = Number(await planner.getByTestId('shortfall').innerText());
  const bound = Number(await planner.getByTestId('lower-bound').innerText());
  assert.ok(shortfall >= bound, `shortfall ${shortfall} ≥ lower bound ${bound}`);
  await shot(planner, 'wfm', 'planner-draft');
  await planner.getByRole('button', { name: 'Publish' }).click();
  await planner.getByTestId('schedule-status').filter({ hasText: 'published' }).waitFor();
  await shot(planner, 'wfm', 'planner-published');

  // The agent sees the shift.
  await agent.reload();
  await agent.getByTestId('my-shift').first().waitFor();
  assert.ok((await agent.getByTestId('my-shift').count()) >= 1);
  await shot(agent, 'wfm', 'my-shift');

  // The supervisor: Alex is scheduled to work now but offline.
  const supCtx = await ctx();
  const sup = await supCtx.newPage();
  sup.on('pageerror', (e) => errors.push(e.message));
  await sup.goto(`${server.url}/adherence/`);
  await signIn(sup, 'dana@demo-retail.example');
  await sup.getByRole('heading', { name: 'Adherence' }).waitFor();
  const row = sup.getByTestId('out-of-adherence').filter({ hasText: 'Alex Morgan' });
  await row.waitFor();
  assert.match(await row.innerText(), /work[\s\S]*offline/);
  await shot(sup, 'wfm', 'adherence');

  // Another agent picks up the open shift.
  const otherCtx = await ctx();
  const other = await otherCtx.newPage();
  other.on('pageerror', (e) => errors.push(e.message));
  await other.goto(`${server.url}/my-hours/`);
  await signIn(other, 'jordan@demo-retail.example');
  await other.getByRole('table', { name: 'Open shifts' }).getByRole('button', { name: 'Pick up' }).first().click();
  await other.getByRole('status').filter({ hasText: 'Shift picked up' }).waitFor();
  await other.getByTestId('my-shift').first().waitFor();
  await shot(other, 'wfm', 'open-shift-picked-up');
  await otherCtx.close();

  assert.deepEqual(errors, []);
  await agentCtx.close();
  await plannerCtx.close();
  await supCtx.close();
});
