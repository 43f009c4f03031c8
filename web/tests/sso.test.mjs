// Single sign-on through a real OpenID Connect provider on loopback (the certified
// `oidc-provider` package, in this process, with a static client and accounts that
// have groups): the admin sets it up on the admin page, then people click "Sign in with
// Acme ID" on the sign-in pages and sign in at the provider. A person in the agents'
// group lands on the agent desktop as a new agent (made just in time) and can work
// (a write with the session's CSRF token); a supervisor lands on the admin pages; a
// person in no mapped group is refused with a sentence; a tampered `state` is refused;
// so is a sign-in without a second factor when the organisation requires one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { adminPage, apiSession, launchBrowser, shot, startServer } from './harness.mjs';

const T = 'sso';
const CLIENT_ID = 'homeshore-demo';
const CLIENT_SECRET = 'a-long-client-secret-for-the-test-provider';
const ACCOUNTS = {
  ann: { email: 'ann.sso@demo-retail.example', name: 'Ann Sso', groups: ['everyone', 'cc-agents'] },
  sam: { email: 'sam.sso@demo-retail.example', name: 'Sam Sso', groups: ['cc-supervisors'] },
  nick: { email: 'nick.sso@demo-retail.example', name: 'Nick Sso', groups: ['sales'] },
};

let server;
let browser;
let idp;
let issuer;
let admin;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // The provider listens first, so that its issuer (with the port) is known.
  const http = createServer();
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${http.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${server.url}/api/auth/sso/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    async findAccount(_ctx, id) {
      const a = ACCOUNTS[id];
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: true, name: a.name, groups: a.groups }) };
    },
  });
  http.on('request', provider.callback());
  idp = http;
  admin = await apiSession(server.url, 'admin@demo-retail.example');
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (idp ? idp.close(r) : r()));
  await server?.stop();
});

/** Click "Sign in with Acme ID" on the page at `path` and sign in at the provider as `login`. */
async function ssoSignIn(path, login, { tamper = false } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  if (tamper) {
    // Someone swaps the state on its way to the provider (which sends it back).
    await page.route('**/api/auth/sso/*/start?**', async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const headers = response.headers();
      const to = new URL(headers.location);
      assert.ok(to.searchParams.get('state'), 'start sends a state');
      to.searchParams.set('state', 'forged-state');
      return route.fulfill({ response, headers: { ...headers, location: to.toString() } });
    });
  }
  await page.goto(`${server.url}${path}`);
  await page.getByRole('link', { name: 'Sign in with Acme ID' }).click();
  // The provider's own (development) sign-in form, then its consent page.
  await page.waitForURL((u) => u.href.startsWith(issuer));
  await page.getByPlaceholder('Enter any login').fill(login);
  await page.getByPlaceholder('and password').fill('whatever-the-idp-checks');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((u) => u.href.startsWith(server.url));
  return { ctx, page, errors };
}

test('an admin configures single sign-on on the admin page; the settings are validated and the secret never comes back', async () => {
  // Not https and not loopback: refused with the field named.
  const bad = await admin.put('/api/sso', { enabled: true, provider_name: 'Acme ID', issuer: 'http://idp.example', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  assert.equal(bad.status, 422, JSON.stringify(bad.body));
  assert.match(bad.body.error.message, /^issuer: /);

  const { ctx, page, errors } = await adminPage(browser, server.url, 'sso');
  await page.getByRole('heading', { name: 'Single sign-on' }).waitFor();
  assert.equal(await page.getByTestId('sso-redirect-uri').innerText(), `${server.url}/api/auth/sso/callback`);
  await page.getByLabel('Offer single sign-on on the sign-in pages').check();
  await page.getByLabel('Provider name').fill('Acme ID');
  await page.getByLabel('Issuer URL').fill(issuer);
  await page.getByLabel('Client ID').fill(CLIENT_ID);
  // Saving without the secret: a sentence, nothing saved.
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: 'Enter the client secret' }).waitFor();
  await page.getByLabel('Client secret').fill(CLIENT_SECRET);
  await page.getByLabel('Scopes').fill('openid email profile groups');
  await page.getByRole('button', { name: 'Add a group rule' }).click();
  await page.getByLabel('Group of rule 1').fill('cc-supervisors');
  await page.getByLabel('Role of rule 1').selectOption('supervisor');
  await page.getByRole('button', { name: 'Add a group rule' }).click();
  await page.getByLabel('Group of rule 2').fill('cc-agents');
  await page.getByLabel('Role of rule 2').selectOption('agent');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved. The sign-in pages now offer “Sign in with Acme ID”.' }).waitFor();
  await shot(page, T, 'admin-settings');
  // The secret field is empty again and says one is stored.
  assert.equal(await page.getByLabel('Client secret').inputValue(), '');
  assert.equal(await page.getByLabel('Client secret').getAttribute('placeholder'), 'Stored (leave empty to keep it)');
  assert.deepEqual(errors, []);
  await ctx.close();

  const got = await admin.get('/api/sso');
  assert.equal(got.body.enabled, true);
  assert.equal(got.body.client_secret_set, true);
  assert.deepEqual(got.body.role_rules, [
    { group: 'cc-supervisors', role: 'supervisor' },
    { group: 'cc-agents', role: 'agent' },
  ]);
  assert.equal(got.body.default_role, null);
  assert.ok(!JSON.stringify(got.body).includes(CLIENT_SECRET), 'the secret is never returned');
});

test('a person in the agents group signs in through the provider and lands on the agent desktop as a new agent', async () => {
  const { ctx, page, errors } = await ssoSignIn('/agent/', 'ann');
  // Signed in on the desktop, and the session works for writes (CSRF token and all).
  await page.getByRole('button', { name: 'Available' }).click();
  await page.getByTestId('agent-state').filter({ hasText: 'Available' }).waitFor();
  await shot(page, T, 'agent-signed-in');
  const users = await admin.get('/api/users?limit=500');
  const ann = users.body.items.find((u) => u.email === ACCOUNTS.ann.email);
  assert.ok(ann, 'the account was made at the first sign-in');
  assert.equal(ann.role, 'agent');
  assert.equal(ann.name, 'Ann Sso');
  const events = await admin.get('/api/events?limit=1000');
  const kinds = events.body.items.map((e) => [e.kind, e.data]);
  assert.ok(kinds.some(([k, d]) => k === 'user.provisioned' && d.user_id === ann.id && d.source === 'oidc'), 'user.provisioned is logged');
  assert.ok(kinds.some(([k, d]) => k === 'auth.sso_login' && d.user_id === ann.id && d.actor.id === ann.id && d.issuer === issuer), 'auth.sso_login is logged with the user as actor');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a supervisor signs in through the provider on the admin pages', async () => {
  const { ctx, page } = await ssoSignIn('/admin/', 'sam');
  await page.getByRole('navigation', { name: 'Admin sections' }).waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/me')).json());
  assert.equal(me.user.email, ACCOUNTS.sam.email);
  assert.equal(me.user.role, 'supervisor');
  await shot(page, T, 'supervisor-admin');
  await ctx.close();
});

test('the groups at the provider decide the role at every sign-in', async () => {
  ACCOUNTS.ann.groups = ['cc-supervisors'];
  try {
    const { ctx, page } = await ssoSignIn('/admin/', 'ann');
    await page.getByRole('navigation', { name: 'Admin sections' }).waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/me')).json());
    assert.equal(me.user.email, ACCOUNTS.ann.email);
    assert.equal(me.user.role, 'supervisor');
    await ctx.close();
  } finally {
    ACCOUNTS.ann.groups = ['everyone', 'cc-agents'];
  }
  const events = await admin.get('/api/events?limit=1000');
  assert.ok(
    events.body.items.some((e) => e.kind === 'user.synced' && e.data.role === 'supervisor' && e.data.source === 'oidc' && e.data.actor.kind === 'system'),
    'user.synced is logged',
  );
});

test('a person in no mapped group is refused with a sentence, and no account is made', async () => {
  const { ctx, page } = await ssoSignIn('/agent/', 'nick');
  await page.getByRole('alert').filter({ hasText: 'not in a group that may use Homeshore' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Available' }).count(), 0);
  assert.ok(!page.url().includes('sso_error'), 'the code is taken out of the address bar');
  await shot(page, T, 'no-access');
  const users = await admin.get('/api/users?limit=500');
  assert.ok(!users.body.items.some((u) => u.email === ACCOUNTS.nick.email));
  const events = await admin.get('/api/events?limit=1000');
  assert.ok(
    events.body.items.some((e) => e.kind === 'auth.sso_refused' && e.data.email === ACCOUNTS.nick.email && e.data.reason === 'no_access'),
    'the refusal is logged',
  );
  await ctx.close();
});

test('a tampered state is refused', async () => {
  const { ctx, page } = await ssoSignIn('/agent/', 'ann', { tamper: true });
  await page.getByRole('alert').filter({ hasText: 'That sign-in expired or was started in another browser' }).waitFor();
  const session = await page.evaluate(async () => (await fetch('/api/auth/session')).json());
  assert.equal(session.signed_in, false);
  await ctx.close();
});

test('a deactivated account cannot sign in through the provider', async () => {
  const users = await admin.get('/api/users?limit=500');
  const ann = users.body.items.find((u) => u.email === ACCOUNTS.ann.email);
  assert.equal((await admin.patch(`/api/users/${ann.id}`, { disabled: true })).status, 200);
  const { ctx, page } = await ssoSignIn('/agent/', 'ann');
  await page.getByRole('alert').filter({ hasText: 'This account is deactivated' }).waitFor();
  await ctx.close();
  assert.equal((await admin.patch(`/api/users/${ann.id}`, { disabled: false })).status, 200);
});

test('an organisation that requires two-factor authentication refuses a provider sign-in that reports none', async () => {
  assert.equal((await admin.patch('/api/org', { mfa_required: true })).status, 200);
  const { ctx, page } = await ssoSignIn('/admin/', 'sam');
  await page.getByRole('alert').filter({ hasText: 'requires two-factor authentication' }).waitFor();
  const session = await page.evaluate(async () => (await fetch('/api/auth/session')).json());
  assert.equal(session.signed_in, false);
  await ctx.close();
});

test('the demo offers "Sign in with Demo ID" through its own identity provider: ann lands on the agent desktop', async () => {
  const { listenDemoIdp } = await import('../demo-idp.mjs');
  const demoIdp = await listenDemoIdp(0);
  const demo = await startServer({ HOMESHORE_DEMO_IDP: demoIdp.issuer });
  demoIdp.serve([demo.url]);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  try {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${demo.url}/agent/`);
    await page.getByRole('link', { name: 'Sign in with Demo ID' }).click();
    await page.waitForURL((u) => u.href.startsWith(demoIdp.issuer));
    await page.getByPlaceholder('Enter any login').fill('ann');
    await page.getByPlaceholder('and password').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${demo.url}/agent/`));
    await page.getByRole('button', { name: 'Available' }).waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/me')).json());
    assert.equal(me.user.email, 'ann@demo-retail.example');
    assert.equal(me.user.role, 'agent', 'the demo provider\'s agents group signs in as an agent');
    await shot(page, T, 'demo-sign-in');
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
    await demo.stop();
    await demoIdp.close();
  }
});
