// Email in the browser: an admin connects the support address (replies through an SMTP
// server, mail in through the raw-mail ingress with its secret); a customer's mail
// reaches an agent, whose reply goes out with the thread's headers; the customer's
// answer to it joins the same conversation, its quoted history folded away.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { adminPage, agentLogin, DEMO, launchBrowser, shot, startServer } from './harness.mjs';

let server;
let browser;
let smtp;
const mails = [];

/** A small SMTP server that keeps every mail it is given. */
function startSmtp() {
  const s = createServer((sock) => {
    let buf = '';
    let data = null;
    sock.write('220 sink ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data !== null) {
          if (line === '.') {
            mails.push(data);
            data = null;
            sock.write('250 queued\r\n');
          } else data += (line.startsWith('..') ? line.slice(1) : line) + '\r\n';
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') sock.write('250-sink\r\n250 8BITMIME\r\n');
        else if (verb === 'DATA') {
          data = '';
          sock.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') sock.end('221 bye\r\n');
        else sock.write('250 OK\r\n');
      }
    });
  });
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(s)));
}

const header = (mail, name) =>
  mail
    .split('\r\n\r\n')[0]
    .split('\r\n')
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    ?.slice(name.length + 1)
    .trim();

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  smtp = await startSmtp();
});
after(async () => {
  smtp?.close();
  await browser?.close();
  await server?.stop();
});

async function mailIn(secret, raw) {
  const r = await fetch(`${server.url}/api/webhooks/email/${DEMO.org}`, {
    method: 'POST',
    headers: { 'content-type': 'message/rfc822', authorization: `Bearer ${secret}` },
    body: raw.replaceAll('\n', '\r\n'),
  });
  return { status: r.status, body: await r.json() };
}

test('an admin connects the support address; an agent answers a mail and the reply threads back', async () => {
  const { ctx, page, errors } = await adminPage(browser, server.url, 'channels');
  await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
  const form = page.getByRole('form', { name: 'Channel endpoint' });
  await form.getByLabel('Channel').selectOption('email');
  await form.getByLabel('Provider').selectOption('email');
  await form.getByLabel('Support address').fill('help@demo-retail.example');
  await form.getByLabel('Replies come from').fill('Demo Retail Help');
  await form.getByLabel('Read mail from an IMAP mailbox').uncheck();
  await form.getByLabel('SMTP host').fill('');
  await form.getByRole('button', { name: 'Save' }).click();
  // What is missing is said before anything is sent.
  await form.getByRole('alert').filter({ hasText: /SMTP server’s host name/ }).waitFor();
  await form.getByLabel('SMTP host').fill('127.0.0.1');
  await form.getByRole('spinbutton', { name: 'Port' }).fill(String(smtp.address().port));
  await form.getByLabel('Security').selectOption('none');
  await form.getByLabel('Signature').fill('{agent}\nDemo Retail Help');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Ingress secret for Email' }).waitFor();
  const secret = (await page.getByTestId('endpoint-secret').textContent()).trim();
  await page.getByRole('table', { name: 'Channel endpoints' }).getByText(/help@demo-retail\.example: ingress only, replies through 127\.0\.0\.1/).waitFor();
  await shot(page, 'email', 'admin-connects-mail');
  assert.deepEqual(errors, []);
  await ctx.close();

  // Without the secret nothing is taken.
  const first = 'From: Erin Example <erin@example.net>\nTo: help@demo-retail.example\nSubject: Parcel damaged\nMessage-ID: <e1@example.net>\n\nThe parcel came crushed. Can you send a new one?\n';
  assert.equal((await mailIn('wrong-secret-wrong-secret', first)).status, 401);
  const taken = await mailIn(secret, first);
  assert.equal(taken.status, 200, JSON.stringify(taken.body));
  assert.equal(taken.body.status, 'stored');

  const alex = await agentLogin(browser, server.url, DEMO.agents[0]);
  await alex.page.getByTestId('offer').getByRole('button', { name: 'Accept' }).click();
  const tab = alex.page.getByRole('tab', { name: /Erin Example · Email/ });
  await tab.waitFor();
  await tab.click();
  const panel = alex.page.getByRole('tabpanel');
  await panel.getByText('Parcel damaged').first().waitFor();
  await panel.getByRole('log', { name: 'Conversation' }).getByText('The parcel came crushed.', { exact: false }).waitFor();
  await alex.page.getByLabel('Reply').fill('Sorry about that! A new one ships today.');
  await alex.page.getByLabel('Reply').press('Enter');
  const mine = panel.locator('.msg').filter({ hasText: 'A new one ships today.' });
  await mine.locator('.delivery').filter({ hasText: /^sent$/ }).waitFor();
  assert.equal(mails.length, 1);
  const out = mails[0];
  assert.equal(header(out, 'In-Reply-To'), '<e1@example.net>');
  assert.equal(header(out, 'Subject'), 'Re: Parcel damaged');
  assert.match(out, /Demo Retail Help/);
  assert.match(out, /> The parcel came crushed\./);
  const ours = header(out, 'Message-ID');

  // A picture goes as an attachment of the next mail.
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
  await panel.getByLabel('Attach a file').setInputFiles({ name: 'label.png', mimeType: 'image/png', buffer: png });
  const withFile = panel.locator('.msg.mine').filter({ has: alex.page.getByRole('img', { name: 'label.png' }) });
  await withFile.locator('.delivery').filter({ hasText: /^sent$/ }).waitFor();
  assert.equal(mails.length, 2);
  assert.match(mails[1], /multipart\/mixed/);
  assert.match(mails[1], /filename="?label\.png"?/);

  // Erin answers that mail: it joins the same conversation, the quote folded away.
  const answer = await mailIn(
    secret,
    `From: erin@example.net\nTo: help@demo-retail.example\nSubject: Re: Parcel damaged\nMessage-ID: <e2@example.net>\nIn-Reply-To: ${ours}\nReferences: <e1@example.net> ${ours}\n\nThank you, that is quick!\n\nOn Mon, Demo Retail Help wrote:\n> Sorry about that! A new one ships today.\n`,
  );
  assert.equal(answer.body.status, 'stored');
  assert.equal(answer.body.opened, false, 'threaded, not a new contact');
  const thanks = panel.locator('.msg').filter({ hasText: 'Thank you, that is quick!' });
  await thanks.waitFor();
  const quoted = thanks.locator('details.quoted');
  await quoted.getByText('Quoted text').waitFor();
  assert.equal(await quoted.locator('p').isVisible(), false, 'the quote is folded');
  await quoted.getByText('Quoted text').click();
  await quoted.locator('p').filter({ hasText: '> Sorry about that!' }).waitFor();
  await shot(alex.page, 'email', 'reply-threaded');
  await alex.ctx.close();
});
