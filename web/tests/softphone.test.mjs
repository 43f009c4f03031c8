// A phone call reaches an agent's browser with two-way audio. A caller (Debian's sipp,
// echoing every RTP packet it gets) dials the demo's number; the call waits in Orders and
// rings on Alex's desktop; Alex accepts, the desktop connects the call's audio over
// WebRTC (Chromium's fake microphone), and Alex's voice goes out through the trunk and
// comes back through it: the server counts audio both ways on the agent's leg and the
// desktop's level meter moves. Hold and the keypad reach the line. Hanging up in the
// browser sends the caller a BYE.
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

const T = 'softphone';
const scenario = fileURLToPath(new URL('../../crates/server/tests/data/sipp/echo.xml', import.meta.url));


test('a call rings in the browser, the agent talks over WebRTC both ways, and hangs up', async () => {
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const status = async () => (await admin.get('/api/voice/status')).body;
  const sip = (await status()).listening.replace('udp:', '');
  const agent = await agentLogin(browser, server.url, DEMO.agents[0]);

  const sipp = await sippCall(sip, '15550100', ['-sf', scenario, '-rtp_echo']);
  try {
    const offer = agent.page.getByTestId('offer');
    await offer.waitFor({ timeout: 20_000 });
    await shot(agent.page, T, 'ringing');
    await offer.getByRole('button', { name: 'Accept' }).click();
    const phone = agent.page.getByTestId('softphone');
    await phone.waitFor();
    await agent.page.locator('[data-testid="softphone"][data-state="connected"]').waitFor({ timeout: 20_000 });
    assert.match(await agent.page.getByTestId('channel').first().innerText(), /call/i);

    // Audio both ways on the agent's leg: the browser's microphone in, the caller's
    // line (here, the echo of the agent's own voice) out.
    let call;
    const deadline = Date.now() + 20_000;
    for (;;) {
      call = (await status()).calls[0];
      if (call?.agent_audio && call.agent_frames_in > 100 && call.agent_frames_out > 100) break;
      assert.ok(Date.now() < deadline, `no audio both ways: ${JSON.stringify(call)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // The desktop hears it: the caller's level meter moves.
    await agent.page.waitForFunction(() => Number(document.querySelector('[data-testid="caller-level"]')?.value ?? 0) > 0.001, null, { timeout: 15_000 });
    await shot(agent.page, T, 'on-the-call');

    // Hold: the server has the caller on hold until Resume.
    await phone.getByTestId('hold').click();
    await phone.getByRole('button', { name: 'Resume' }).waitFor();
    const callWhere = async (pred, what) => {
      const end = Date.now() + 10_000;
      for (;;) {
        const c = (await status()).calls[0];
        if (c && pred(c)) return c;
        assert.ok(Date.now() < end, `${what}: ${JSON.stringify(c)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await callWhere((c) => c.held, 'held');
    await phone.getByRole('button', { name: 'Resume' }).click();
    await callWhere((c) => !c.held, 'resumed');
    // The keypad: the key goes out on the line (sipp echoes it back, so the server
    // counts it coming in).
    const before = (await status()).calls[0].key_presses;
    await phone.getByRole('button', { name: 'Keypad' }).click();
    await phone.getByTestId('keypad').getByRole('button', { name: '5' }).click();
    await callWhere((c) => c.key_presses > before, 'the key press, echoed');

    // Orders records its calls in the demo: the agent pauses it for a card number.
    await phone.getByTestId('pause-recording').click();
    await phone.getByRole('button', { name: 'Resume recording' }).waitFor();
    await phone.getByRole('button', { name: 'Resume recording' }).click();
    await phone.getByRole('button', { name: 'Pause recording' }).waitFor();

    await phone.getByRole('button', { name: 'Hang up' }).click();
    assert.equal(await sipp.exited, 0, `sipp: ${sipp.output()}`);
    // The contact is in wrap-up; the call is gone.
    await agent.page.getByText(/wrapup|Wrap up|wrap-up/i).first().waitFor({ timeout: 10_000 });
    assert.equal((await status()).calls.length, 0);
    // The recording is kept with the contact...
    const contactId = call.contact_id;
    let kept;
    const until = Date.now() + 30_000;
    for (;;) {
      kept = (await admin.get(`/api/contacts/${contactId}`)).body;
      if (kept?.recording) break;
      assert.ok(Date.now() < until, `no recording on the contact: ${JSON.stringify(kept)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(kept.recording.seconds >= 1, JSON.stringify(kept.recording));
    // ...and plays in the agent's browser.
    const rec = agent.page.getByTestId('recording');
    await rec.waitFor({ timeout: 15_000 });
    const src = await rec.locator('audio').getAttribute('src');
    const wav = await agent.page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength };
    }, src);
    assert.equal(wav.status, 200);
    assert.match(wav.type, /audio\/wav/);
    assert.ok(wav.size > 44 + 4 * 8000, `a second or more: ${wav.size} bytes`);
    await shot(agent.page, T, 'recording');
  } finally {
    sipp.kill();
  }
  await agent.ctx.close();
});
