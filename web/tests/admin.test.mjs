// The admin pages (/admin/): an admin creates a queue with a two-step routing policy,
// sees the parser's error (with its column) while an expression is broken and who
// qualifies at each step once it parses, edits and deletes the queue; an agent's skill
// level edited in the browser is saved; a new API token's secret is shown once and
// works; an agent who opens the page is told which role it needs.
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

async function adminPage(hash = '') {
  const ctx = await browser.newContext({ viewport: { width: 1320, height: 1000 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('dialog', (d) => d.accept());
  await page.goto(`${server.url}/admin/${hash}`);
  await signIn(page, 'admin@demo-retail.example');
  return { ctx, page, errors };
}

test('admin creates a queue with a two-step policy: parser errors with their column, who qualifies per step', async () => {
  const { ctx, page, errors } = await adminPage();
  await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor();
  // The demo's queues are listed.
  await page.getByRole('table', { name: 'Queues' }).getByRole('row').filter({ hasText: 'Orders' }).first().waitFor();

  await page.getByRole('button', { name: 'New queue' }).click();
  await page.getByLabel('Name', { exact: true }).fill('VIP orders');
  // Each setting says what it does and its default.
  await page.getByText(/How long an agent has to accept an offer.*Default: 30 seconds/).waitFor();

  // A broken expression: the parser's message, with the column the server reports.
  const broken = 'skill.orders >= 5 AND';
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const expected = await admin.post('/api/routing/preview', { steps: [{ target: broken }], contact: { channel: 'chat' } });
  assert.equal(expected.status, 200, JSON.stringify(expected.body));
  const column = expected.body.steps[0].error.column;
  assert.ok(column > 0);

  const step1 = page.getByLabel('Step 1: who qualifies');
  await step1.fill(broken);
  const err = page.getByTestId('step-1-error');
  await err.waitFor();
  assert.match(await err.innerText(), new RegExp(`Column ${column}: `));
  assert.equal(await step1.getAttribute('aria-invalid'), 'true');
  await shot(page, 'admin', 'parse-error');

  // Fixed: the error goes, and the panel lists the demo's agents with orders at level 5.
  await step1.fill('skill.orders >= 5');
  await err.waitFor({ state: 'detached' });
  const who1 = page.getByRole('list', { name: 'Agents who qualify at step 1' });
  await who1.getByText('Priya Patel').waitFor();
  assert.doesNotMatch(await who1.innerText(), /Alex Morgan|Jordan Blake/);

  // A second, wider step after 45 seconds.
  await page.getByRole('button', { name: 'Add a step' }).click();
  await page.getByLabel('Step 1: wait (seconds)').fill('45');
  await page.getByLabel('Step 2: who qualifies').fill('skill.orders >= 4 OR contact.tier == "gold"');
  const who2 = page.getByRole('list', { name: 'Agents who qualify at step 2' });
  await who2.getByText('Alex Morgan').waitFor();
  const names2 = await who2.innerText();
  for (const n of ['Priya Patel', 'Omar Haddad']) assert.match(names2, new RegExp(n));
  assert.doesNotMatch(names2, /Jordan Blake/);

  // The sample contact's attributes count: a gold customer qualifies everyone at step 2.
  await page.getByRole('button', { name: 'Add an attribute' }).click();
  await page.getByLabel('Attribute name').fill('tier');
  await page.getByLabel('Value', { exact: true }).fill('gold');
  await who2.getByText('Jordan Blake').waitFor();
  await shot(page, 'admin', 'who-qualifies');

  await page.getByRole('button', { name: 'Create queue' }).click();
  await page.getByRole('status').filter({ hasText: 'Queue “VIP orders” is created.' }).waitFor();
  const row = page.getByRole('table', { name: 'Queues' }).getByRole('row').filter({ hasText: 'VIP orders' });
  await row.waitFor();

  const list = await admin.get('/api/queues?limit=500');
  const q = list.body.items.find((x) => x.name === 'VIP orders');
  assert.ok(q, 'the queue is stored');
  assert.deepEqual(q.steps, [
    { target: 'skill.orders >= 5', timeout_s: 45 },
    { target: 'skill.orders >= 4 OR contact.tier == "gold"', timeout_s: null },
  ]);
  assert.equal(q.selection, 'longest_idle');

  // Edit: the form comes back as saved; a changed setting is stored.
  await page.getByRole('button', { name: 'Edit VIP orders' }).click();
  assert.equal(await page.getByLabel('Step 1: who qualifies').inputValue(), 'skill.orders >= 5');
  await page.getByLabel('Priority', { exact: true }).fill('70');
  await page.getByLabel('After-contact work (seconds)').fill('0');
  await page.getByLabel('Agent selection').selectOption('most_skilled');
  await page.getByRole('button', { name: 'Save queue' }).click();
  await page.getByRole('status').filter({ hasText: 'Queue “VIP orders” is saved.' }).waitFor();
  const saved = await admin.get(`/api/queues/${q.id}`);
  assert.equal(saved.body.priority, 70);
  assert.equal(saved.body.after_contact_work_s, 0);
  assert.equal(saved.body.selection, 'most_skilled');
  assert.equal(saved.body.steps.length, 2);

  // Delete.
  await page.getByRole('button', { name: 'Delete VIP orders' }).click();
  await page.getByRole('status').filter({ hasText: 'Queue “VIP orders” is deleted.' }).waitFor();
  assert.equal((await admin.get(`/api/queues/${q.id}`)).status, 404);

  assert.deepEqual(errors, []);
  await ctx.close();
});

test("an agent's skill level edited in the browser is saved", async () => {
  const { ctx, page, errors } = await adminPage('#agents');
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
  const row = page.getByRole('table', { name: 'Agents' }).getByRole('row').filter({ hasText: 'Jordan Blake' }).first();
  await row.waitFor();
  assert.match(await row.innerText(), /returns 4/);
  await page.getByRole('button', { name: 'Edit Jordan Blake' }).click();
  await page.getByLabel('returns level').selectOption('2');
  await page.getByRole('button', { name: 'Save agent' }).click();
  await page.getByRole('status').filter({ hasText: "Jordan Blake's skills and capacity are saved." }).waitFor();
  await page.reload();
  const again = page.getByRole('table', { name: 'Agents' }).getByRole('row').filter({ hasText: 'Jordan Blake' }).first();
  await again.waitFor();
  assert.match(await again.innerText(), /returns 2/);
  await shot(page, 'admin', 'agent-saved');

  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const jordan = (await admin.get('/api/agents')).body.items.find((a) => a.name === 'Jordan Blake');
  assert.deepEqual(jordan.skills, { billing: 3, orders: 3, returns: 2 });
  // The cross-channel rules are kept.
  assert.ok(jordan.capacity_by_channel.rules.length > 0);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test("a new API token's secret is shown once and works", async () => {
  const { ctx, page, errors } = await adminPage('#tokens');
  await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
  await page.getByLabel('Name').fill('CRM sync');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = page.getByTestId('token-secret');
  await secret.waitFor();
  const token = (await secret.innerText()).trim();
  await page.getByRole('button', { name: 'Copy token' }).waitFor();
  await page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: 'CRM sync' }).waitFor();
  const as = apiClient(server.url, { authorization: `Bearer ${token}` });
  assert.equal((await as.get('/api/queues')).status, 200);
  await page.getByRole('button', { name: 'I have stored it' }).click();
  await secret.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Revoke CRM sync' }).click();
  await page.getByRole('status').filter({ hasText: 'The token “CRM sync” is revoked.' }).waitFor();
  assert.equal((await as.get('/api/queues')).status, 401);

  // A token for someone else is an impersonation: short, never admin, and named.
  await page.getByLabel('Name').fill('Look as Alex');
  await page.getByLabel('Acts for').selectOption({ label: 'Alex Morgan (agent)' });
  await page.getByTestId('impersonation-note').filter({ hasText: 'expires within an hour' }).waitFor();
  assert.equal(await page.getByLabel('Expires').inputValue(), String(15 * 60));
  await page.getByRole('checkbox', { name: 'admin' }).check();
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByRole('alert').filter({ hasText: 'cannot carry the admin scope' }).waitFor();
  await page.getByRole('checkbox', { name: 'admin' }).uncheck();
  await page.getByRole('button', { name: 'Create token' }).click();
  const imp = (await page.getByTestId('token-secret').innerText()).trim();
  const row = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: 'Look as Alex' });
  await row.filter({ hasText: 'made by' }).waitFor();
  assert.notEqual(await row.locator('td').nth(4).innerText(), 'Never');
  const asAlex = apiClient(server.url, { authorization: `Bearer ${imp}` });
  assert.equal((await asAlex.get('/api/me')).body.user.name, 'Alex Morgan');
  await shot(page, 'admin', 'impersonation-token');

  // The audit log names the admin behind the token, and downloads as CSV.
  await page.goto(`${server.url}/admin/#audit`);
  await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  const log = page.getByRole('table', { name: 'Audit log' });
  await log.getByRole('row').filter({ hasText: 'token.created' }).first().waitFor();
  await page.getByLabel('Kind').selectOption({ label: 'Users and tokens' });
  await log.getByRole('row').filter({ hasText: 'token.revoked' }).waitFor();
  assert.equal(await log.getByRole('row').filter({ hasText: 'auth.login' }).count(), 0, 'sign-ins are filtered out');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  const csv = await (await download.createReadStream()).toArray();
  const text = Buffer.concat(csv).toString();
  assert.match(text, /^seq,at,kind,who,details\r\n/);
  assert.match(text, /token\.revoked/);
  await shot(page, 'admin', 'audit-log');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('an agent opening /admin/ is told the role it needs', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/admin/`);
  await signIn(page, DEMO.agents[0]);
  const msg = page.getByRole('alert').filter({ hasText: 'You need the admin or supervisor role' });
  await msg.waitFor();
  assert.match(await msg.innerText(), /Alex Morgan.*agent/);
  assert.equal(await page.getByRole('heading', { name: 'Queues' }).count(), 0);
  await shot(page, 'admin', 'role-needed');
  await ctx.close();
});

test('a supervisor gets the admin pages without users, roles and API tokens', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/admin/#agents`);
  await signIn(page, 'dana@demo-retail.example');
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
  const nav = page.getByRole('navigation', { name: 'Admin sections' });
  await nav.getByRole('link', { name: 'Queues' }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'API tokens' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: 'Users and roles' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: 'Call flows' }).count(), 0);
  await nav.getByText('Users, roles, channels, phone lines, call flows and API tokens are managed by admins.').waitFor();
  await ctx.close();
});

test('an admin sets retention periods: the organisation, one channel shorter, one kept; bad days are refused', async () => {
  const { ctx, page, errors } = await adminPage('#retention');
  await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
  const form = page.getByRole('form', { name: 'Retention settings' });
  await form.getByTestId('retention-days').fill('0');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: 'Organisation: a whole number of days' }).waitFor();
  await form.getByTestId('retention-days').fill('90');
  await form.getByLabel('Days for sms').fill('30');
  await form.getByLabel('Days for voice').fill('keep');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'The next hourly run deletes closed contacts past their period.' }).waitFor();
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const r = await admin.get('/api/retention');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { days: 90, channels: { sms: 30, voice: null } });
  // Shown again as saved after a reload.
  await page.reload();
  await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
  assert.equal(await page.getByTestId('retention-days').inputValue(), '90');
  assert.equal(await page.getByLabel('Days for voice').inputValue(), 'keep');
  await shot(page, 'admin', 'retention');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test("an admin keeps customers' files to admins and supervisors; the saved choice is in effect for the API", async () => {
  const { ctx, page, errors } = await adminPage('#protection');
  await page.getByRole('heading', { name: 'Data protection', level: 1 }).waitFor();
  const form = page.getByRole('form', { name: 'Data protection settings' });
  assert.equal(await form.getByTestId('attachments-agent').isChecked(), true, 'agents open files by default');
  assert.equal(await form.getByTestId('attachments-analyst').isChecked(), false);
  await form.getByTestId('attachments-agent').uncheck();
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: "Customers' files open for admins, supervisors." }).waitFor();
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const r = await admin.get('/api/protection');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { attachment_roles: ['admin', 'supervisor'] });
  await page.reload();
  await page.getByRole('heading', { name: 'Data protection', level: 1 }).waitFor();
  assert.equal(await page.getByTestId('attachments-agent').isChecked(), false);
  await shot(page, 'admin', 'protection');
  // Put back as it was for the other tests.
  assert.equal((await admin.put('/api/protection', { attachment_roles: ['admin', 'supervisor', 'agent'] })).status, 200);
  assert.deepEqual(errors, []);
  await ctx.close();
});
