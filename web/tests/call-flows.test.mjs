// Call flows in the browser: an admin opens the demo's menu, reads its outline, makes a
// mistake that the editor points at (clicking the problem selects the wrong part of the
// text), fixes it, sets the language callers hear and saves; a caller on the menu line
// is then seen live at the flow's first step on the Phone lines page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPage, launchBrowser, shot, sippCall, startServer } from './harness.mjs';

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

const T = 'call-flows';

test('an admin edits the menu, is pointed at a mistake, and a caller is seen in the flow', async () => {
  const admin = await adminPage(browser, server.url, 'call-flows');
  const page = admin.page;
  const flows = page.getByTestId('call-flows');
  await flows.getByRole('button', { name: 'demo-menu' }).waitFor();
  assert.match(await flows.textContent(), /\+15550111/);
  await flows.getByRole('button', { name: 'demo-menu' }).click();
  const outline = page.getByLabel('Outline');
  await outline.getByText('key 3 → message').waitFor();
  await shot(page, T, 'outline');

  // A menu option that leads nowhere: the problem names it, and clicking it selects it.
  const text = page.getByTestId('flow-text');
  const json = await text.inputValue();
  await text.fill(json.replace('"2": "returns"', '"2": "refunds"'));
  const problems = page.getByTestId('flow-problems');
  await problems.getByText('no step is named "refunds"').waitFor();
  await problems.getByRole('button', { name: '/steps/welcome/options/2' }).click();
  const selected = await text.evaluate((t) => t.value.slice(t.selectionStart, t.selectionEnd));
  assert.equal(selected, '"refunds"');
  // Saving is refused with the same problem.
  await page.getByRole('button', { name: 'Save call flow' }).click();
  await page.getByRole('alert').filter({ hasText: 'options/2' }).first().waitFor();
  await shot(page, T, 'problem');

  // Fixed, set to speak Spanish, and saved.
  await text.fill(json.replace('"announce_every_s": 45', '"announce_every_s": 30'));
  const language = page.getByTestId('flow-language');
  assert.equal(await language.inputValue(), 'en');
  await language.selectOption('es');
  assert.match(await text.inputValue(), /"language": "es"/);
  await page.getByRole('button', { name: 'Save call flow' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved “demo-menu”' }).waitFor();
  await page.getByTestId('flow-problems').waitFor({ state: 'detached' });
  // A language it does not speak is refused where it is written.
  await text.fill((await text.inputValue()).replace('"language": "es"', '"language": "xx"'));
  await page.getByTestId('flow-problems').getByRole('button', { name: '/language' }).waitFor();
  await language.selectOption('es');
  await page.getByTestId('flow-problems').waitFor({ state: 'detached' });
  // Read back as saved.
  await page.reload();
  await page.getByRole('button', { name: 'demo-menu' }).click();
  assert.equal(await page.getByTestId('flow-language').inputValue(), 'es');

  // A caller on the menu line is in the flow, at its first step.
  await page.goto(`${server.url}/admin/#phone`);
  const lines = page.getByTestId('phone-lines');
  const listening = (await lines.locator('code', { hasText: 'udp:' }).textContent()).replace('udp:', '');
  const sipp = await sippCall(listening, '15550111', ['-sn', 'uac', '-d', '6000']);
  try {
    const live = page.getByTestId('live-calls');
    await live.getByRole('row', { name: /demo-menu: welcome/ }).waitFor({ timeout: 20_000 });
    await shot(page, T, 'caller-in-flow');
    assert.equal(await sipp.exited, 0, `sipp: ${sipp.output()}`);
  } finally {
    sipp.kill();
  }
  assert.deepEqual(admin.errors, []);
  await admin.ctx.close();
});

/** A WAV file: `seconds` of a `freq` Hz tone, 16-bit mono at `rate`. */
function toneWav(freq, seconds, rate) {
  const n = Math.round(seconds * rate);
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / rate)), 44 + i * 2);
  return b;
}

test('an admin records a sentence of the menu, listens to it, and deletes it', async () => {
  const admin = await adminPage(browser, server.url, 'call-flows');
  const page = admin.page;
  const prompts = page.getByTestId('recorded-prompts');
  const sentence = 'Please key in your order number, then press hash.';
  const row = prompts.locator('tr', { hasText: sentence });
  await row.waitFor();
  assert.match(await row.innerText(), /demo-menu/);
  assert.match(await row.innerText(), /Synthesized/);
  await row.getByLabel(`Recording of “${sentence}”`).setInputFiles({ name: 'order.wav', mimeType: 'audio/wav', buffer: toneWav(1000, 1.5, 44100) });
  await prompts.getByRole('status').filter({ hasText: 'Recorded:' }).waitFor();
  await row.getByText('Recorded (1.5 s)').waitFor();
  await row.getByRole('button', { name: 'Listen' }).click();
  await row.locator('audio').waitFor();
  await shot(page, T, 'recorded-prompts');
  // Not a recording: refused, named.
  await row.getByLabel(`Recording of “${sentence}”`).setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await prompts.getByRole('alert').filter({ hasText: 'notes.txt' }).waitFor();
  await row.getByRole('button', { name: 'Delete recording' }).click();
  await row.getByText('Synthesized').waitFor();
  await admin.ctx.close();
});
