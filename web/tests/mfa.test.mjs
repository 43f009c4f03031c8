// An organisation that requires two-factor authentication, from the browser alone: at
// sign-in a user without it is taken to the set-up (QR code, the key to type by hand,
// a code to confirm), sees the recovery codes once, then works; a recovery code signs
// in once; a locked account is told how long to wait; an admin unlocks it and resets a
// lost phone's two-factor. Sign-in pages log no error (no 401 for the session).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiSession, DEMO, launchBrowser, shot, startServer, totpCode } from './harness.mjs';

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

const T = 'mfa';
const ADMIN = 'admin@demo-retail.example';

async function signIn(page, email, password = DEMO.password) {
  await page.getByLabel('Organisation').fill(DEMO.org);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Go through the set-up page: returns the key and the recovery codes. */
async function enrol(page, { step = 0 } = {}) {
  await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
  const qr = page.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 20), 'the QR code is an image');
  const key = (await page.getByTestId('mfa-key').innerText()).replace(/\s/g, '');
  assert.match(key, /^[A-Z2-7]{16,}$/);
  // A wrong code first: a sentence that says what to do, and the page stays.
  await page.getByLabel('Enter the 6-digit code the app shows').fill('000000');
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await page.getByRole('alert').filter({ hasText: 'That code is wrong or has expired. Enter the code your authenticator app shows now.' }).waitFor();
  await page.getByLabel('Enter the 6-digit code the app shows').fill(totpCode(key, Date.now() + step * 30_000));
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  const codes = await page.getByTestId('recovery-codes').getByRole('listitem').allInnerTexts();
  assert.equal(codes.length, 10);
  const cont = page.getByRole('button', { name: 'Continue' });
  assert.equal(await cont.isDisabled(), true, 'continue only once the codes are saved');
  return { key, codes: codes.map((c) => c.trim()) };
}

test('mandatory MFA: enrol at sign-in, recovery codes once, sign in with a recovery code; admin unlocks and resets', async () => {
  // The admin makes two-factor mandatory (as `org create --mfa-required` would).
  const setup = await apiSession(server.url, ADMIN);
  const patch = await setup.patch('/api/org', { mfa_required: true });
  assert.equal(patch.status, 200, JSON.stringify(patch.body));

  // The admin signs in to the users page: no console error before signing in, then the
  // set-up page instead of the app.
  const adminCtx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const admin = await adminCtx.newPage();
  const consoleErrors = [];
  admin.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  admin.on('pageerror', (e) => consoleErrors.push(e.message));
  await admin.goto(`${server.url}/users/`);
  await admin.getByRole('heading', { name: 'Users and sign-in' }).waitFor();
  await admin.waitForLoadState('networkidle');
  assert.deepEqual(consoleErrors, [], 'the sign-in page logs nothing');
  await signIn(admin, ADMIN);
  const { codes } = await enrol(admin);
  await shot(admin, T, 'recovery-codes');
  await admin.getByLabel('I have saved my recovery codes').check();
  await admin.getByRole('button', { name: 'Continue' }).click();
  await admin.getByRole('table', { name: 'Users' }).waitFor();
  await admin.getByText('Your organisation requires two-factor authentication').waitFor();
  // Shown once: a reload shows the page, not the codes.
  await admin.reload();
  await admin.getByRole('table', { name: 'Users' }).waitFor();
  assert.equal(await admin.getByTestId('recovery-codes').count(), 0);
  await shot(admin, T, 'users');

  // An agent: set-up at the desktop's sign-in, then the desktop works (no reconnect loop).
  const agentCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const agent = await agentCtx.newPage();
  await agent.goto(`${server.url}/agent/`);
  await signIn(agent, DEMO.agents[1]);
  await enrol(agent);
  await agent.getByLabel('I have saved my recovery codes').check();
  await agent.getByRole('button', { name: 'Continue' }).click();
  await agent.getByText('Connected', { exact: true }).waitFor();
  await shot(agent, T, 'agent-desktop-after-enrolment');

  // A recovery code signs the admin in once, in place of the app's code.
  const other = await (await browser.newContext()).newPage();
  await other.goto(`${server.url}/users/`);
  await signIn(other, ADMIN);
  await other.getByLabel('Code').fill(codes[0]);
  await other.getByRole('button', { name: 'Verify' }).click();
  await other.getByRole('table', { name: 'Users' }).waitFor();
  const again = await (await browser.newContext()).newPage();
  await again.goto(`${server.url}/users/`);
  await signIn(again, ADMIN);
  await again.getByLabel('Code').fill(codes[0]);
  await again.getByRole('button', { name: 'Verify' }).click();
  await again.getByRole('alert').filter({ hasText: 'That code is wrong or has expired' }).waitFor();
  assert.equal(await again.getByLabel('Code').inputValue(), '', 'the used code is cleared for another');

  // Five wrong passwords lock Sam out; the right one is then refused with the wait.
  const sam = 'sam@demo-retail.example';
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org: DEMO.org, email: sam, password: 'not-the-password' }),
    });
    assert.equal(r.status, 401);
  }
  const samCtx = await browser.newContext();
  const samPage = await samCtx.newPage();
  await samPage.goto(`${server.url}/agent/`);
  await signIn(samPage, sam);
  await samPage.getByRole('alert').filter({ hasText: /locked after too many failed sign-ins\. Try again in 15 minutes, or ask an admin to unlock it\./ }).waitFor();
  await shot(samPage, T, 'locked');
  // The admin unlocks Sam; Sam signs in (and is taken to the set-up).
  const row = admin.getByRole('row').filter({ hasText: sam });
  await row.getByRole('button', { name: 'Unlock' }).click();
  await admin.getByRole('status').filter({ hasText: 'Sam Okafor is unlocked and can sign in again.' }).waitFor();
  await samPage.getByRole('button', { name: 'Sign in' }).click();
  await samPage.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();

  // Jordan lost their phone: the admin resets two-factor; Jordan is signed out and sets
  // it up again at the next sign-in.
  admin.once('dialog', (d) => d.accept());
  await admin.getByRole('row').filter({ hasText: DEMO.agents[1] }).getByRole('button', { name: 'Reset two-factor' }).click();
  await admin.getByRole('status').filter({ hasText: 'is reset: they set it up again at their next sign-in' }).waitFor();
  await agent.reload();
  await signIn(agent, DEMO.agents[1]);
  await agent.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
  await shot(agent, T, 'enrol-again-after-reset');
});
