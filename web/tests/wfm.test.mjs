// Workforce management from the browser: an agent offers hours, the planner enters a
// requirement around now, generates and publishes a schedule, simulates its service
// level (refused until the week has expected contacts) and plans the hires that close
// the gap, the agent sees the shift, the supervisor's adherence view lists the agent
// (scheduled, but offline), another agent picks up the open shift left for what nobody
// offered and offers it for swap, and a third agent whose hours allow it takes it over
// (a fourth, too late, is told why not). Then time zones: an agent in Phoenix (no
// daylight saving) and one in New York offer 09:00–17:00 on their own clocks, and across
// the November change each sees their shifts at those local times, labelled MST, or EDT
// then EST, while the planner reads them in the planning zone.
import { readFile } from 'node:fs/promises';
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

async function signIn(page, email) {
  await page.getByLabel('Organisation').fill(DEMO.org);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Offer every day from `from` to `to` (06:00–22:00) in the time zone `zone` (an IANA
 *  name) on My hours, at most `most` hours a week. */
async function saveHours(page, zone, { from = '06:00', to = '22:00', most = '20' } = {}) {
  await page.getByLabel('Time zone').selectOption(zone);
  for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']) {
    await page.getByLabel(day, { exact: true }).check();
    await page.getByLabel(`${day} from`).fill(from);
    await page.getByLabel(`${day} to`).fill(to);
  }
  await page.getByLabel('Fewest hours a week').fill('1');
  await page.getByLabel('Most hours a week').fill(most);
  await page.getByRole('button', { name: 'Save my hours' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
}

/** An IANA zone where it is closest to noon at `now` (for hours that surely cover now). */
function noonZone(now) {
  let best = 'UTC';
  let bestGap = Infinity;
  for (const z of Intl.supportedValuesOf('timeZone')) {
    const [h, m] = new Intl.DateTimeFormat('en-GB', { timeZone: z, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now).split(':').map(Number);
    const gap = Math.abs(h * 60 + m - 720);
    if (gap < bestGap) {
      best = z;
      bestGap = gap;
    }
  }
  return best;
}

/** The demo seeds the simulated agents' offered hours; withdraw them (no availability) so
 *  that only the hours this test enters count. Through API tokens acting for each. */
async function withdrawSeededHours(base) {
  const admin = await apiSession(base, 'admin@demo-retail.example');
  const users = (await admin.get('/api/users?limit=500')).body.items;
  let n = 0;
  for (const u of users) {
    const t = await admin.post('/api/tokens', { name: `test ${u.email}`, scopes: ['write'], user_id: u.id });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const as = apiClient(base, { authorization: `Bearer ${t.body.token}` });
    const mine = await as.get('/api/wfm/me/preferences');
    if (mine.status !== 200 || !mine.body.saved) continue;
    const r = await as.put('/api/wfm/me/preferences', { windows: [], min_week_hours: 0, max_week_hours: 30 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    n += 1;
  }
  assert.ok(n >= 8, `the demo seeded the simulated agents' hours (${n})`);
}

/** A `datetime-local` value in UTC (the contexts run in UTC). */
const local = (ms) => new Date(ms).toISOString().slice(0, 16);


test('agent offers hours, planner schedules and publishes, agent sees the shift, supervisor sees adherence, open shift picked up, swapped', async (t) => {
  // The planning week runs Monday to Monday in UTC, and this test plans from an hour
  // before now to an hour and a half after: near Monday 00:00 UTC that span straddles two
  // weeks, of which the test opens one.
  const weekMs = 7 * 86_400_000;
  const sinceMonday = (Date.now() - Date.UTC(2026, 0, 5)) % weekMs; // 2026-01-05 was a Monday
  if (sinceMonday < 2 * 3_600_000 || weekMs - sinceMonday < 3 * 3_600_000) {
    t.skip('the test would plan across the start of a planning week (Monday 00:00 UTC)');
    return;
  }
  const errors = [];
  const ctx = (o = {}) => browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', ...o });
  // The open shift starts at the next half hour and is offered for swap and taken over
  // before it begins: keep clear of a half-hour boundary.
  const toBoundary = 1_800_000 - (Date.now() % 1_800_000);
  if (toBoundary < 90_000) await new Promise((r) => setTimeout(r, toBoundary + 1_000));

  // The agent: available every day 06:00–22:00 in a time zone where it is about noon now.
  await withdrawSeededHours(server.url);
  const agentCtx = await ctx();
  const agent = await agentCtx.newPage();
  agent.on('pageerror', (e) => errors.push(e.message));
  await agent.goto(`${server.url}/my-hours/`);
  await signIn(agent, 'alex@demo-retail.example');
  await agent.getByRole('heading', { name: 'My hours' }).waitFor();
  await agent.getByText('No published shifts yet.').waitFor();
  const now = new Date();
  const zone = noonZone(now);
  await saveHours(agent, zone);
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
  // Alex has the agent desktop open (signed in already, offline): it hears of the publishing.
  const desk = await agentCtx.newPage();
  desk.on('pageerror', (e) => errors.push(e.message));
  await desk.goto(`${server.url}/agent/`);
  await desk.getByText('Connected', { exact: true }).waitFor();
  await planner.getByRole('button', { name: 'Publish' }).click();
  await planner.getByTestId('schedule-status').filter({ hasText: 'published' }).waitFor();
  await shot(planner, 'wfm', 'planner-published');
  const news = desk.getByTestId('schedule-notice');
  await news.filter({ hasText: /Your schedule for the week of \d{4}-\d{2}-\d{2} is published: \d+ shifts?\./ }).waitFor();
  assert.equal(await news.getByRole('link', { name: 'See my hours' }).getAttribute('href'), '/my-hours/');
  await shot(desk, 'wfm', 'desktop-schedule-published');
  await news.getByRole('button', { name: 'Dismiss' }).click();
  await news.waitFor({ state: 'detached' });
  await desk.close();

  // Simulating the published schedule needs the week's expected contacts: the requirement
  // was entered by hand, so there are none yet and the server says what to do.
  const simulate = planner.getByRole('button', { name: 'Simulate service level' });
  await planner.getByLabel('Runs').fill('5');
  await simulate.click();
  const noContacts = planner.getByRole('alert').filter({ hasText: 'No expected contacts for this week: make a forecast from the contact history' });
  await noContacts.waitFor();
  assert.ok(await noContacts.isVisible());
  await shot(planner, 'wfm', 'simulate-no-contacts');
  // Three contacts every half hour of the requirement, entered with it through the API in
  // the planner's session; then the simulation runs.
  const week = await planner.getByLabel(/Week starting/).inputValue();
  const entered = await planner.evaluate(async (week) => {
    const me = await (await fetch('/api/me')).json();
    const plan = await (await fetch(`/api/wfm/requirements?week=${week}`)).json();
    const contacts = plan.requirement.map((r) => (r > 0 ? 3 : 0));
    const r = await fetch('/api/wfm/requirements', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
      body: JSON.stringify({ week, peak: plan.peak, requirement: plan.requirement, contacts }),
    });
    return { status: r.status, contacts: contacts.reduce((a, b) => a + b, 0) };
  }, week);
  assert.equal(entered.status, 201);
  assert.ok(entered.contacts > 0);
  await simulate.click();
  const headline = planner.getByTestId('sim-headline');
  await headline.waitFor();
  assert.match(
    await headline.innerText(),
    /^Simulated service level \d+\.\d % ± \d+\.\d \(95 %\), ASA \d+\.\d s, \d+\.\d % abandoned, occupancy \d+ %$/,
  );
  assert.equal(await planner.getByRole('alert').count(), 0);
  const chart = planner.getByRole('img', { name: /Simulated service level per half hour/ });
  await chart.waitFor();
  assert.ok((await chart.locator('polyline.sl, circle.sl-dot').count()) >= 1);
  await planner.getByTestId('sim-summary').filter({ hasText: /half hours with contacts/ }).waitFor();
  await chart.scrollIntoViewIfNeeded();
  await shot(planner, 'wfm', 'planner-simulated');

  // Peak planning: only Alex offered hours, so the second agent needed takes hires; in
  // Alex's time zone the requirement is around noon, inside the patterns' hours.
  await planner.getByLabel("Hires' time zone").selectOption(zone);
  await planner.getByRole('button', { name: 'Plan hires' }).click();
  const hires = planner.getByTestId('hire-headline');
  await hires.waitFor();
  assert.match(
    await hires.innerText(),
    /^\d+ hires? (closes?|narrows?) the gap: shortfall \d+\.\d → \d+\.\d agent-hours a week, \+\d+(\.\d)? paid hours$/,
  );
  const hireRow = planner.getByRole('table', { name: 'Hires by pattern' }).getByTestId('hire-row');
  await hireRow.first().waitFor();
  assert.match(await hireRow.first().innerText(), /\d+[\s\S]*up to \d+(\.\d)? h/);
  assert.equal(await planner.getByRole('alert').count(), 0);
  await planner.evaluate(() => window.scrollTo(0, document.body.scrollHeight)); // the last card
  await shot(planner, 'wfm', 'planner-hires');

  // The agent sees the shift.
  await agent.reload();
  await agent.getByTestId('my-shift').first().waitFor();
  assert.ok((await agent.getByTestId('my-shift').count()) >= 1);
  // …and can take it to a calendar: the link downloads one event per shift.
  const [download] = await Promise.all([
    agent.waitForEvent('download'),
    agent.getByRole('link', { name: 'Add my shifts to my calendar (.ics)' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'my-shifts.ics');
  const ics = await readFile(await download.path(), 'utf8');
  assert.equal((ics.match(/BEGIN:VEVENT/g) ?? []).length, await agent.getByTestId('my-shift').count());
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
  // Today's and this week's figures for the team, and per agent.
  assert.match(await sup.getByTestId('team-adherence').innerText(), /^Today: (adherence \d+ %, conformance \d+ %|nothing scheduled yet) · This week: /);
  const alexRow = sup.getByRole('row').filter({ hasText: 'Alex Morgan' }).last();
  assert.match(await alexRow.innerText(), /(\d+ %|—)/);
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

  // Jordan offers that shift (it starts at the next half hour) for swap.
  const mine = other.getByRole('table', { name: 'My shifts' });
  await mine.getByRole('button', { name: 'Offer for swap' }).first().click();
  await other.getByRole('status').filter({ hasText: 'Offered for swap' }).waitFor();
  await mine.getByTestId('up-for-swap').waitFor();
  await shot(other, 'wfm', 'offered-for-swap');
  // Withdrawn and offered again.
  await mine.getByRole('button', { name: 'Withdraw' }).click();
  await other.getByRole('status').filter({ hasText: 'No longer up for swap' }).waitFor();
  await mine.getByTestId('up-for-swap').waitFor({ state: 'detached' });
  await mine.getByRole('button', { name: 'Offer for swap' }).first().click();
  await other.getByRole('status').filter({ hasText: 'Offered for swap' }).waitFor();
  await mine.getByTestId('up-for-swap').waitFor();

  // Alex works right up to it, so it is not offered to Alex.
  await agent.reload();
  await agent.getByTestId('my-shift').first().waitFor(); // the lists have loaded
  await agent.getByRole('heading', { name: 'Shifts colleagues offer' }).waitFor();
  assert.equal(await agent.getByTestId('swap-offer').count(), 0);
  await agent.getByText('No shifts offered by colleagues that fit you right now.').waitFor();

  // Lucía and Sam offer the same hours as Alex and both see Jordan's shift.
  const colleague = async (email) => {
    const c = await ctx();
    const p = await c.newPage();
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(`${server.url}/my-hours/`);
    await signIn(p, email);
    await p.getByRole('heading', { name: 'My hours' }).waitFor();
    await saveHours(p, zone);
    const row = p.getByRole('table', { name: 'Shifts colleagues offer' }).getByTestId('swap-offer').filter({ hasText: 'Jordan Blake' });
    await row.waitFor();
    return { c, p, row };
  };
  const lucia = await colleague('lucia@demo-retail.example');
  const sam = await colleague('sam@demo-retail.example');
  await lucia.p.evaluate(() => window.scrollTo(0, 0));
  await shot(lucia.p, 'wfm', 'swap-offered-to-colleague');

  // Lucía takes it: it is now hers, marked as a swap.
  await lucia.row.getByRole('button', { name: 'Take shift' }).click();
  await lucia.p.getByRole('status').filter({ hasText: 'Shift taken over from Jordan Blake' }).waitFor();
  const taken = lucia.p.getByTestId('my-shift').filter({ hasText: '(swap)' });
  await taken.waitFor();
  await lucia.row.waitFor({ state: 'detached' });
  await lucia.p.evaluate(() => window.scrollTo(0, 0));
  await shot(lucia.p, 'wfm', 'swap-taken');

  // Sam's list is out of date: taking it too is refused with the server's reason, and the
  // list is reloaded.
  await sam.row.getByRole('button', { name: 'Take shift' }).click();
  const refused = sam.p.getByRole('alert');
  await refused.filter({ hasText: 'not up for swap' }).waitFor();
  await sam.p.getByText('No shifts offered by colleagues that fit you right now.').waitFor();
  await sam.p.evaluate(() => window.scrollTo(0, 0));
  await shot(sam.p, 'wfm', 'swap-refused');

  // Jordan no longer has it.
  await other.reload();
  await other.getByText('No published shifts yet.').waitFor();
  const left = await other.evaluate(async () => (await (await fetch('/api/wfm/me/shifts')).json()).items.length);
  assert.equal(left, 0);
  await lucia.c.close();
  await sam.c.close();
  await otherCtx.close();

  // Next week forecast from the demo's eight weeks of chats, with its track record.
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - ((now.getUTCDay() + 6) % 7) + 7));
  await planner.getByLabel('Week starting (Monday, UTC)').fill(monday.toISOString().slice(0, 10));
  await planner.getByText('No requirement for this week yet.').waitFor();
  await planner.getByRole('button', { name: 'Forecast from history' }).click();
  await planner.getByRole('status').filter({ hasText: 'Forecast made from the contact history' }).waitFor();
  const track = planner.getByTestId('forecast-accuracy');
  await track.waitFor();
  assert.match(await track.innerText(), /^Backtest over the last 14 open days: \d+\.\d % weighted error \(WAPE\), (no )?better than repeating last week/);
  await planner.evaluate(() => window.scrollTo(0, 0));
  await shot(planner, 'wfm', 'planner-forecast');

  assert.deepEqual(errors, []);
  await agentCtx.close();
  await plannerCtx.close();
  await supCtx.close();
});

/** The next November change (first Sunday of November, US rules) after `now`, as the
 *  Mondays of the weeks before and after it. */
function novemberWeeks(now = new Date()) {
  for (let y = now.getUTCFullYear(); ; y++) {
    const nov1 = new Date(Date.UTC(y, 10, 1));
    const sunday = new Date(nov1.getTime() + ((7 - nov1.getUTCDay()) % 7) * 86_400_000);
    const monday = new Date(sunday.getTime() - 6 * 86_400_000);
    if (monday.getTime() > now.getTime()) {
      const day = (d) => d.toISOString().slice(0, 10);
      return { change: day(sunday), before: day(monday), after: day(new Date(monday.getTime() + 7 * 86_400_000)) };
    }
  }
}

test('agents in Phoenix and New York see their own shift times across the November change', async () => {
  const errors = [];
  // The browsers' own clocks are UTC: what they show comes from the agents' zones.
  const ctx = () => browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
  // Agents from the test above have offered hours too: ask for more than everyone can
  // give, so that these two get their full weeks.
  const weeks = novemberWeeks();

  const agents = {};
  for (const [email, zone] of [
    ['alex@demo-retail.example', 'America/Phoenix'],
    ['lucia@demo-retail.example', 'America/New_York'],
  ]) {
    const page = await (await ctx()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/my-hours/`);
    await signIn(page, email);
    await page.getByRole('heading', { name: 'My hours' }).waitFor();
    await saveHours(page, zone, { from: '09:00', to: '17:00', most: '30' });
    agents[zone] = page;
  }

  // The planner: more agents wanted all of both weeks than offer hours; generate and
  // publish each.
  const dana = await apiSession(server.url, 'dana@demo-retail.example');
  for (const week of [weeks.before, weeks.after]) {
    const r = await dana.post('/api/wfm/requirements', { week, requirement: new Array(336).fill(8) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const s = await dana.post('/api/wfm/schedules', { week });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const p = await dana.post(`/api/wfm/schedules/${s.body.id}/publish`, {});
    assert.equal(p.status, 200, JSON.stringify(p.body));
  }

  // Each agent's shifts, on their own wall clock, labelled with the zone's abbreviation.
  const hourOf = (text) => {
    const m = /(\d\d):(\d\d)\s*(AM|PM)?/.exec(text);
    let h = Number(m[1]) % 12;
    if (m[3] === 'PM' || (!m[3] && Number(m[1]) >= 12)) h += 12;
    return h;
  };
  for (const [zone, expect] of [
    ['America/Phoenix', { before: 'MST', after: 'MST', utcNine: [16, 16] }],
    ['America/New_York', { before: 'EDT', after: 'EST', utcNine: [13, 14] }],
  ]) {
    const page = agents[zone];
    await page.reload();
    await page.getByTestId('my-shift').first().waitFor();
    const all = (await (await page.request.get(`${server.url}/api/wfm/me/shifts`)).json()).items;
    assert.equal(await page.getByTestId('my-shift').count(), all.length);
    // This test's two weeks (the test above left shifts this week too).
    const items = all.filter((sh) => sh.local_start.slice(0, 10) >= weeks.before);
    const seen = { before: 0, after: 0 };
    for (let i = 0; i < items.length; i++) {
      const sh = items[i];
      const text = await page.locator(`#my-shift-${sh.id}`).innerText();
      const side = sh.local_start.slice(0, 10) < weeks.change ? 'before' : 'after';
      seen[side] += 1;
      assert.ok(text.endsWith(` ${expect[side]}`), `${zone}: ${text} labelled ${expect[side]}`);
      const start = hourOf(text);
      assert.ok(start >= 9 && start < 17, `${zone}: ${text} starts within 09:00–17:00 local`);
      assert.equal(start, Number(sh.local_start.slice(11, 13)), `${zone}: ${text} is ${sh.local_start}`);
      // The same wall clock is a different UTC hour on either side of the change.
      const utcNine = expect.utcNine[side === 'before' ? 0 : 1];
      assert.equal(new Date(sh.start).getUTCHours(), (start - 9 + utcNine) % 24, `${zone}: ${sh.start}`);
    }
    assert.ok(seen.before > 0 && seen.after > 0, `${zone}: shifts on both sides of ${weeks.change} (${JSON.stringify(seen)})`);
    await shot(page, 'wfm-zones', zone.replace('/', '-'));
  }

  // The planner picks the planning zone and reads the week after the change in it.
  const planner = await (await ctx()).newPage();
  planner.on('pageerror', (e) => errors.push(e.message));
  await planner.goto(`${server.url}/wfm/`);
  await signIn(planner, 'dana@demo-retail.example');
  await planner.getByRole('heading', { name: 'Workforce planning' }).waitFor();
  await planner.getByLabel('Planning zone').selectOption('America/Chicago');
  await planner.getByRole('button', { name: 'Save zone' }).click();
  await planner.getByRole('status').filter({ hasText: 'Planning zone saved' }).waitFor();
  await planner.getByTestId('planning-zone').filter({ hasText: 'America/Chicago' }).waitFor();
  await planner.getByLabel(/Week starting/).fill(weeks.after);
  await planner.getByTestId('planner-shift').first().waitFor();
  const shown = await planner.getByTestId('planner-shift').allInnerTexts();
  assert.ok(shown.length > 0 && shown.every((t) => t.endsWith(' CST')), shown.join(' | '));
  await shot(planner, 'wfm-zones', 'planner');
  assert.deepEqual(errors, []);
});
