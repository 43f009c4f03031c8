// The chat widget on phones and tablets: the launcher and the open panel stay inside
// the visual viewport at 320, 390 and 768 px, on the demo shop and on a customer's page
// that is wider than the screen; the demo shop itself fits the screen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launchBrowser, shot, startServer } from './harness.mjs';

let server;
let browser;
let site;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // A customer's page on another origin, with content 1,200 px wide (a wide table).
  site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Wide shop</title></head><body style="margin:0;font-family:sans-serif">
      <h1>Wide shop</h1><div style="width:1200px;height:1600px;background:linear-gradient(90deg,#eee,#ccc)">A very wide price table</div>
      <script src="${server.url}/widget.js" data-org="demo-retail"></script></body></html>`);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
});
after(async () => {
  await browser?.close();
  await server?.stop();
  site?.close();
});

const T = 'phone';
const WIDTHS = [320, 390, 768];

/** Where a widget element is against the visual viewport (CSS px). */
function placement(page, selector) {
  return page.evaluate((sel) => {
    const el = document.getElementById('homeshore-chat')?.shadowRoot?.querySelector(sel);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const vv = window.visualViewport;
    const v = { left: vv.offsetLeft, top: vv.offsetTop, right: vv.offsetLeft + vv.width, bottom: vv.offsetTop + vv.height };
    const inside = r.width > 0 && r.left >= v.left - 0.5 && r.top >= v.top - 0.5 && r.right <= v.right + 0.5 && r.bottom <= v.bottom + 0.5;
    return { inside, rect: { left: r.left, top: r.top, right: r.right, bottom: r.bottom }, viewport: v };
  }, selector);
}

async function assertInside(page, selector, what) {
  // The widget follows the visual viewport on its resize/scroll events: give it a frame.
  await page.waitForTimeout(100);
  const p = await placement(page, selector);
  assert.ok(p?.inside, `${what}: ${JSON.stringify(p)}`);
}

async function phone(width) {
  return browser.newContext({ viewport: { width, height: width < 700 ? 740 : 1000 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
}

for (const width of WIDTHS) {
  test(`${width} px: the demo shop fits the screen and its chat opens`, async () => {
    const ctx = await phone(width);
    const page = await ctx.newPage();
    await page.goto(`${server.url}/demo-shop.html`);
    await page.getByRole('heading', { name: /Spring sale/ }).waitFor();
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(scroll <= client, `the shop is ${scroll} px wide on a ${client} px screen`);
    await assertInside(page, '.hs-launcher', 'launcher');
    await page.getByRole('button', { name: 'Chat with us' }).click({ timeout: 5000 });
    await page.getByLabel('Your name').fill('Pat');
    await assertInside(page, '.hs-panel', 'panel');
    await shot(page, T, `shop-${width}`);
    await ctx.close();
  });

  test(`${width} px: on a page wider than the screen, launcher and panel stay on screen`, async () => {
    const ctx = await phone(width);
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${site.address().port}/`);
    await page.getByRole('button', { name: 'Chat with us' }).waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.visualViewport.width);
    assert.ok(wide, 'the page is wider than the screen');
    await assertInside(page, '.hs-launcher', 'launcher');
    // Scrolled down and sideways: still on screen.
    await page.evaluate(() => window.scrollTo(300, 400));
    await assertInside(page, '.hs-launcher', 'launcher after scrolling');
    await page.getByRole('button', { name: 'Chat with us' }).click({ timeout: 5000 });
    await page.getByLabel('Your name').waitFor();
    await assertInside(page, '.hs-panel', 'panel');
    await page.getByLabel('Your name').fill('Pat');
    await shot(page, T, `wide-page-${width}`);
    // Minimised, the launcher is back where it can be tapped.
    await page.getByRole('button', { name: 'Minimise chat' }).click();
    await assertInside(page, '.hs-launcher', 'launcher after minimising');
    await page.getByRole('button', { name: 'Chat with us' }).click({ timeout: 5000 });
    await ctx.close();
  });
}
