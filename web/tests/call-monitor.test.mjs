// A supervisor joins a live call from the browser. A caller (Debian's sipp, echoing the
// audio it gets) dials the demo's number and Alex answers over WebRTC; Dana, the
// supervisor, opens the call on the live page, listens (her browser hears the call),
// then whispers and barges: the server reports each mode on the call, and each is in
// the audit log. Which side hears whom in each mode is checked tone by tone in the
// server's own tests (telephony::media).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { agentLogin, apiSession, DEMO, launchBrowser, shot, sippCall, staffPage, startServer } from './harness.mjs';

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

const T = 'call-monitor';
const scenario = fileURLToPath(new URL('../../crates/server/tests/data/sipp/echo.xml', import.meta.url));

test('a supervisor listens to a call, then whispers and barges', async () => {
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const status = async () => (await admin.get('/api/voice/status')).body;
  const sip = (await status()).listening.replace('udp:', '');
  const agent = await agentLogin(browser, server.url, DEMO.agents[0]);
  const sipp = await sippCall(sip, '15550100', ['-sf', scenario, '-rtp_echo']);
  try {
    const offer = agent.page.getByTestId('offer');
    await offer.waitFor({ timeout: 20_000 });
    await offer.getByRole('button', { name: 'Accept' }).click();
    await agent.page.locator('[data-testid="softphone"][data-state="connected"]').waitFor({ timeout: 20_000 });

    const sup = await staffPage(browser, server.url, '/live/', 'dana@demo-retail.example');
    const row = sup.page.getByTestId('live-contact').filter({ hasText: 'Ada Caller' });
    const deadline = Date.now() + 20_000;
    while (!(await row.filter({ hasText: 'active' }).count())) {
      assert.ok(Date.now() < deadline, 'the call is never listed as active');
      await sup.page.getByRole('button', { name: 'Refresh' }).click();
      await sup.page.waitForTimeout(300);
    }
    await row.getByRole('button', { name: 'Monitor' }).click();
    const panel = sup.page.getByTestId('call-monitor');
    await panel.getByRole('button', { name: 'Listen' }).click();
    await sup.page.locator('[data-testid="call-monitor"][data-state="connected"][data-mode="listen"]').waitFor({ timeout: 20_000 });
    // Her browser hears the call.
    await sup.page.waitForFunction(() => Number(document.querySelector('[data-testid="call-level"]')?.value ?? 0) > 0.001, null, { timeout: 15_000 });
    const mode = async () => (await status()).calls[0]?.monitor;
    assert.equal(await mode(), 'listen');
    await shot(sup.page, T, 'listening');

    await panel.getByRole('button', { name: 'Whisper' }).click();
    await sup.page.locator('[data-testid="call-monitor"][data-mode="whisper"]').waitFor();
    assert.equal(await mode(), 'whisper');
    await panel.getByRole('button', { name: 'Barge in' }).click();
    await sup.page.locator('[data-testid="call-monitor"][data-mode="barge"]').waitFor();
    assert.equal(await mode(), 'barge');
    await shot(sup.page, T, 'barged');

    // Each is on the record.
    let audit = '';
    for (let after = 0; ; ) {
      const page = (await admin.get(`/api/events?after_seq=${after}&limit=1000`)).body;
      audit += JSON.stringify(page.items);
      if (page.next_after_seq == null) break;
      after = page.next_after_seq;
    }
    for (const action of ['call_listen', 'call_whisper', 'call_barge']) assert.match(audit, new RegExp(action));

    await agent.page.getByTestId('softphone').getByRole('button', { name: 'Hang up' }).click();
    assert.equal(await sipp.exited, 0, `sipp: ${sipp.output()}`);
    assert.deepEqual(sup.errors, []);
    await sup.ctx.close();
  } finally {
    sipp.kill();
  }
  await agent.ctx.close();
});
