// Opens orgmirror reports in headless Chromium (Debian's, through playwright-core) as a person
// would, and prints what it saw as JSON: console errors, page errors, failed requests, which
// renderer drew the network picture and how many of its pixels are not background, every
// `data-key` value on the page, and where the screenshots went.
//
// usage: node tests/browser/check.mjs SCREENSHOT_DIR REPORT.html [REPORT.html ...]
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [shots, ...files] = process.argv.slice(2);
if (!shots || files.length === 0) {
  console.error('usage: node check.mjs SCREENSHOT_DIR REPORT.html [REPORT.html ...]');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--disable-quic',
    // WebGL in software: headless with --disable-gpu has no GPU to draw with.
    '--enable-unsafe-swiftshader',
  ],
});
const results = [];
try {
  for (const file of files) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const consoleErrors = [];
    const pageErrors = [];
    const requests = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: 'load' });
    const hasNet = await page.evaluate(() => !!document.getElementById('net'));
    let net = null;
    if (hasNet) {
      await page.waitForFunction(() => window.orgmirrorNetwork && window.orgmirrorNetwork.frames > 0, null, { timeout: 30000 });
      net = await page.evaluate(() => {
        const c = document.getElementById('net');
        const probe = document.createElement('canvas');
        probe.width = 400;
        probe.height = Math.max(1, Math.round(400 * c.height / c.width));
        const g = probe.getContext('2d');
        g.drawImage(c, 0, 0, probe.width, probe.height);
        const px = g.getImageData(0, 0, probe.width, probe.height).data;
        let inked = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (px[i + 3] > 0 && (px[i] < 245 || px[i + 1] < 245 || px[i + 2] < 245)) inked++;
        }
        const s = window.orgmirrorNetwork;
        return { renderer: s.renderer, nodes: s.nodes, edges: s.edges, inked, pixels: probe.width * probe.height };
      });
      // How fluid: the median of ten full redraws (software WebGL here, so an upper bound).
      net.redrawMs = await page.evaluate(() => {
        const t = [];
        for (let k = 0; k < 10; k++) t.push(window.orgmirrorNetwork.redraw());
        t.sort((a, b) => a - b);
        return Math.round(10 * (t[4] + t[5]) / 2) / 10;
      });
      // Hover the middle of the picture and search for the first person: the tooltip and the
      // search answer must appear.
      await page.locator('#net').scrollIntoViewIfNeeded();
      const box = await page.locator('#net').boundingBox();
      net.hover = null;
      for (let k = 0; k < 40 && !net.hover; k++) {
        const x = box.x + box.width * (0.3 + 0.4 * ((k * 7) % 10) / 10);
        const y = box.y + box.height * (0.3 + 0.4 * ((k * 3) % 10) / 10);
        await page.mouse.move(x, y);
        const visible = await page.evaluate(() => !document.getElementById('net-tip').hidden);
        if (visible) net.hover = await page.locator('#net-tip').innerText();
      }
      const first = await page.evaluate(() => JSON.parse(document.getElementById('net-data').textContent).label[0] || '');
      await page.fill('#net-search', first);
      await page.press('#net-search', 'Enter');
      net.searched = first;
      net.found = await page.locator('#net-found').innerText();
      await page.selectOption('#net-colour', 'comm');
      await page.click('#net-reset');
      await page.waitForTimeout(100);
      await page.locator('#net').screenshot({ path: `${shots}/${basename(file, '.html')}-network.png` });
    }
    const keys = await page.evaluate(() => {
      const out = {};
      for (const e of document.querySelectorAll('[data-key]')) {
        out[e.dataset.key] = e.dataset.count !== undefined ? Number(e.dataset.count) : e.textContent.trim();
      }
      return out;
    });
    const svgs = await page.evaluate(() => document.querySelectorAll('svg.chart').length);
    const screenshot = `${shots}/${basename(file, '.html')}.png`;
    await page.screenshot({ path: screenshot, fullPage: true });
    const pdf = `${shots}/${basename(file, '.html')}.pdf`;
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    results.push({ file, consoleErrors, pageErrors, requests, net, keys, svgs, screenshot, pdf });
    await context.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results, null, 1) + '\n');
