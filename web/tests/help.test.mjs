// The public help center of the demo organisation: categories, a search, an article
// rendered from Markdown, and the "was this helpful?" vote, with no script errors under
// the strict CSP (the chat widget's script is on every page).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, launchBrowser, shot, startServer } from './harness.mjs';

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

test('the help center searches, renders an article and takes a vote', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const res = await page.goto(`${server.url}/help/${DEMO.org}/`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'] ?? '', /script-src 'self'/);
  await page.getByRole('heading', { name: 'How can we help?' }).waitFor();
  await page.getByRole('link', { name: 'Returns', exact: true }).waitFor();

  await page.getByLabel('Search the help center').fill('when will I get my refund');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('status').filter({ hasText: /found/ }).waitFor();
  const first = page.locator('.results li a').first();
  assert.equal(await first.textContent(), 'When will I get my refund?');
  await shot(page, 'help', 'search');

  await first.click();
  await page.getByRole('heading', { level: 1, name: 'When will I get my refund?' }).waitFor();
  // Markdown rendered: the bold text is <strong>.
  assert.equal(await page.locator('article strong').first().textContent(), '2 working days');
  await page.getByRole('button', { name: 'Yes' }).click();
  await page.getByText('Thank you for your feedback.').waitFor();
  await shot(page, 'help', 'article');
  assert.deepEqual(errors, []);
  await page.close();
});
