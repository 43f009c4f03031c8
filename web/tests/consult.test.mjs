// A warm transfer in two browsers. A caller (sipp, echoing its audio) reaches Alex;
// Alex asks Jordan to join; Jordan's desktop shows the request and joins over WebRTC;
// the two talk (Jordan hears Alex's microphone) while the caller waits; Alex makes it a
// conference, then hands the call over: it becomes Jordan's, Jordan's softphone takes
// the audio both ways, Alex's tab closes, and Jordan hangs up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { agentLogin, apiSession, DEMO, launchBrowser, shot, sippCall, startServer } from './harness.mjs';

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

const T = 'consult';
const scenario = fileURLToPath(new URL('../../crates/server/tests/data/sipp/echo.xml', import.meta.url));

test('an agent consults a colleague, confers, and hands the call over', async () => {
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const status = async () => (await admin.get('/api/voice/status')).body;
  const callWhere = async (pred, what) => {
    const end = Date.now() + 20_000;
    for (;;) {
      const c = (await status()).calls[0];
      if (c && pred(c)) return c;
      assert.ok(Date.now() < end, `${what}: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const sip = (await status()).listening.replace('udp:', '');
  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  const sipp = await sippCall(sip, '15550100', ['-sf', scenario, '-rtp_echo']);
  try {
    const offer = alex.page.getByTestId('offer');
    await offer.waitFor({ timeout: 20_000 });
    await offer.getByRole('button', { name: 'Accept' }).click();
    const phone = alex.page.getByTestId('softphone');
    await alex.page.locator('[data-testid="softphone"][data-state="connected"]').waitFor({ timeout: 20_000 });
    // Jordan signs in once the call is Alex's.
    const jordan = await agentLogin(browser, server.url, DEMO.agents[1]);

    await phone.getByTestId('consult-with').selectOption({ label: 'Jordan Blake' });
    await phone.getByRole('button', { name: 'Ask to join' }).click();
    await alex.page.locator('[data-testid="consult"][data-state="invited"]').waitFor();
    const ask = jordan.page.getByTestId('consult-call');
    await ask.waitFor({ timeout: 15_000 });
    assert.match(await ask.innerText(), /asks you to join a call/);
    await shot(jordan.page, T, 'asked');
    await ask.getByRole('button', { name: 'Join the call' }).click();
    await jordan.page.locator('[data-testid="consult-call"][data-state="connected"]').waitFor({ timeout: 20_000 });
    await alex.page.locator('[data-testid="consult"][data-state="consult"]').waitFor({ timeout: 10_000 });
    await callWhere((c) => c.consult?.state === 'consult', 'the consult on the call');
    // Jordan hears Alex (Chromium's fake microphone) through the call's mixer.
    await jordan.page.waitForFunction(() => Number(document.querySelector('[data-testid="consult-level"]')?.value ?? 0) > 0.001, null, {
      timeout: 15_000,
    });
    await shot(alex.page, T, 'consulting');

    await phone.getByRole('button', { name: 'Conference' }).click();
    await alex.page.locator('[data-testid="consult"][data-state="conference"]').waitFor();
    await callWhere((c) => c.consult?.state === 'conference', 'the conference');
    await jordan.page.getByText(/Conference with/).waitFor({ timeout: 10_000 });

    await phone.getByRole('button', { name: 'Hand over to Jordan Blake' }).click();
    // Alex's tab closes; the call is Jordan's, whose softphone takes its audio.
    await alex.page.getByTestId('softphone').waitFor({ state: 'detached', timeout: 15_000 });
    await jordan.page.getByTestId('consult-call').waitFor({ state: 'detached', timeout: 15_000 });
    const jphone = jordan.page.getByTestId('softphone');
    await jordan.page.locator('[data-testid="softphone"][data-state="connected"]').waitFor({ timeout: 20_000 });
    const call = await callWhere((c) => c.consult === null && c.agent_audio, 'Jordan on the call, the consult over');
    const contact = (await admin.get(`/api/contacts/${call.contact_id}`)).body;
    const agents = (await admin.get('/api/agents?limit=100')).body.items;
    assert.equal(contact.agent_id, agents.find((a) => a.name === 'Jordan Blake')?.id, JSON.stringify(contact));
    assert.equal(contact.status, 'active');
    const base = call.agent_frames_out;
    await callWhere((c) => c.agent_frames_in > 50 && c.agent_frames_out > base + 50, 'audio both ways on Jordan’s leg');
    await shot(jordan.page, T, 'handed-over');

    await jphone.getByRole('button', { name: 'Hang up' }).click();
    assert.equal(await sipp.exited, 0, `sipp: ${sipp.output()}`);
    await jordan.ctx.close();
  } finally {
    sipp.kill();
  }
  await alex.ctx.close();
});
