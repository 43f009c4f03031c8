// Click-to-dial: an admin gives the demo's phone line an outbound address (a carrier,
// here sipp answering and echoing audio); Alex types a number in the desktop's "Call a
// number…", the call goes out, and it is a new contact of Alex's whose softphone
// carries audio both ways. Hanging up sends the callee a BYE.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { agentLogin, apiSession, DEMO, freeUdpPort, launchBrowser, shot, startServer } from './harness.mjs';

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

test('an agent dials a number from the desktop and talks', async () => {
  const admin = await apiSession(server.url, 'admin@demo-retail.example');
  const status = async () => (await admin.get('/api/voice/status')).body;
  // The carrier: sipp's answering scenario, echoing what it hears, on a port of its own.
  const port = await freeUdpPort();
  const carrier = spawn(
    'sipp',
    ['-sn', 'uas', '-rtp_echo', '-m', '1', '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', String(port),
      '-mp', String(await freeUdpPort()), '-nostdin', '-timeout', '120', '-timeout_error'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  carrier.stdout.on('data', (d) => (out += d));
  carrier.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => carrier.on('exit', r));
  try {
    const line = (await admin.get('/api/voice/trunks')).body.items[0];
    const saved = await admin.put(`/api/voice/trunks/${line.name}`, {
      enabled: line.enabled,
      numbers: line.numbers,
      allow: line.allow,
      outbound: `127.0.0.1:${port}`,
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));

    const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
    await alex.page.getByRole('button', { name: 'Call a number…' }).click();
    const form = alex.page.getByRole('form', { name: 'Call a number' });
    await form.getByLabel('Number', { exact: true }).fill('+1 555 000 7777');
    await form.getByLabel('Name (a new number)').fill('Nadia Number');
    await form.getByRole('button', { name: 'Call' }).click();
    await alex.page.getByRole('tab', { name: /Nadia Number/ }).waitFor({ timeout: 15_000 });
    await alex.page.locator('[data-testid="softphone"][data-state="connected"]').waitFor({ timeout: 20_000 });
    let call;
    const deadline = Date.now() + 20_000;
    for (;;) {
      call = (await status()).calls[0];
      if (call?.state === 'confirmed' && call.agent_audio && call.agent_frames_in > 50 && call.agent_frames_out > 50) break;
      assert.ok(Date.now() < deadline, `no call out with audio both ways: ${JSON.stringify(call)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const contact = (await admin.get(`/api/contacts/${call.contact_id}`)).body;
    assert.equal(contact.channel, 'voice');
    assert.equal(contact.status, 'active');
    assert.deepEqual(contact.outbound, { number: '+15550007777' });
    await shot(alex.page, 'dial', 'on-the-call');
    await alex.page.getByTestId('softphone').getByRole('button', { name: 'Hang up' }).click();
    assert.equal(await exited, 0, `sipp: ${out.slice(-2000)}`);
    await alex.ctx.close();
  } finally {
    carrier.kill('SIGKILL');
  }
});
