// Uses a running `orgmirror serve` as its people would, in Debian's Chromium (playwright-core),
// and, where they are installed, in Firefox ESR (playwright-core over WebDriver BiDi) and in
// WebKitGTK's MiniBrowser (WebKitWebDriver, the W3C WebDriver protocol over plain fetch).
// Prints what it found as JSON on stdout: `problems` (each one a failed check; the calling test
// fails on any), `skipped` (browsers not run, and why), `notes`, `visited` (every URL requested)
// and `screenshots`. Progress goes to stderr.
//
// usage: node tests/browser/serve.mjs CONFIG.json
// CONFIG: { base, shots, password, upload, uploadKind,
//           accounts: { admin, analyst, member, leader, small: { email, person? } },
//           browsers: ["chromium", "firefox", "webkit"] }
// Browsers: $CHROMIUM (/usr/bin/chromium), $FIREFOX (/usr/bin/firefox-esr), $WEBKIT_WEBDRIVER
// (/usr/bin/WebKitWebDriver) with $WEBKIT_MINIBROWSER (/usr/lib/*/webkit2gtk-4.1/MiniBrowser) and
// Xvfb when there is no $DISPLAY.
import { firefox } from 'playwright-core';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { harness, launchChromium, sleep } from './lib.mjs';

const h = harness('serve.mjs');
const { config, origin, problems, notes, screenshots, say, check, clean, shot } = h;
const { base, shots, password, accounts } = config;

const skipped = [];
const visited = new Set();
// A step that throws is a problem; the next steps still run.
async function step(name, f) {
  say(name);
  try {
    await f();
  } catch (e) {
    check(false, `${name}: ${String(e && e.stack || e).split('\n').slice(0, 4).join(' | ')}`);
  }
}
const PERSON_ID = /E\d{6}/;
const PSEUDONYM = /^p[0-9a-f]{16}$/;

// Every URL a browser asked for: no person's id in it, and a person named in a path only by a
// pseudonym.
function visit(label, url) {
  visited.add(url);
  check(!PERSON_ID.test(decodeURIComponent(url)), `${label}: a URL names a person by id: ${url}`);
  const m = new URL(url, base).pathname.match(/^\/(?:teams|api\/v1\/teams|api\/v1\/people)\/([^/]+)/);
  if (m) check(PSEUDONYM.test(m[1]), `${label}: a URL names a person other than by pseudonym: ${url}`);
}

// ---------------------------------------------------------------- playwright (Chromium, Firefox)

// A fresh page (lib.mjs) that also records every request (none may name a person) and whether
// every answer of the server carries a Content-Security-Policy.
function open(browser, label) {
  return h.open(browser, label, {
    onRequest: (url) => visit(label, url),
    onResponse: (r) => {
      if (!r.url().startsWith(origin + '/')) return;
      if (r.url().endsWith('/favicon.ico') && r.status() === 404) {
        if (!notes.some((n) => n.startsWith('favicon'))) notes.push(`favicon: ${label} asked for /favicon.ico and got 404 (a console error in Chromium on the first page of a session)`);
      }
      check(!!r.headers()['content-security-policy'], `${label}: no Content-Security-Policy header on ${r.status()} ${r.url()}`);
      const kind = r.request().resourceType();
      if (r.status() >= 400 && !['document', 'fetch', 'xhr'].includes(kind) && !r.url().endsWith('/favicon.ico')) {
        check(false, `${label}: a page's ${kind} answered ${r.status()}: ${r.url()}`);
      }
    },
  });
}

// A person's page shows nobody's id.
async function noIds(s, what) {
  const html = await s.page.content();
  const m = html.match(/\bE\d{6}\b/);
  check(!m, `${s.label}: ${what} shows a person's id (${m && m[0]})`);
}

const mainText = (s) => s.page.locator('main').first().innerText();

// Signs in through the form; answers the page landed on. If the form is refused, that is a
// problem, and the session is opened through the JSON API instead so that the other checks run.
async function signIn(s, who) {
  const post = await h.submitSignIn(s, who);
  if (post.status() !== 303 && post.status() !== 302) {
    const sent = await post.request().allHeaders();
    const text = (await mainText(s).catch(() => '')).replace(/\s+/g, ' ').trim();
    check(false, `${s.label}: signing in as ${who.email} through the form answered ${post.status()} ("${text.slice(0, 120)}"); the browser sent Origin: ${sent.origin ?? '(none)'}`);
    const status = await s.page.evaluate(async ([email, pw]) => {
      const r = await fetch('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: pw }) });
      return r.status;
    }, [who.email, password]);
    check(status === 200, `${s.label}: signing in as ${who.email} through the API answered ${status}`);
    await s.page.goto(base + '/');
  }
  // What the sign-in itself logged is reported above; the pages are checked from here on.
  await s.page.evaluate(() => { window.__csp = []; }).catch(() => {});
  s.seen.console.length = 0;
  s.seen.errors.length = 0;
  return new URL(s.page.url()).pathname;
}

// Tab from the top of the page: the skip link first, then the navigation's links in order, then
// the sign-out button; Enter on the skip link sends the next Tab into the main content.
async function keyboard(s, path) {
  await s.page.goto(base + path);
  const expected = await s.page.evaluate(() => [...document.querySelectorAll('nav.app a')].map((a) => a.getAttribute('href')));
  const focused = () => s.page.evaluate(() => {
    const e = document.activeElement;
    const r = e.getBoundingClientRect();
    return { tag: e.tagName.toLowerCase(), cls: e.className, text: (e.textContent || '').trim(), href: e.getAttribute('href'), visible: r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth };
  });
  await s.page.keyboard.press('Tab');
  const first = await focused();
  check(first.tag === 'a' && first.text === 'Skip to content', `${s.label}: ${path}: the first Tab reaches ${JSON.stringify(first)}, not the "Skip to content" link`);
  check(first.visible, `${s.label}: ${path}: the focused "Skip to content" link is not visible`);
  if (first.text === 'Skip to content') await shot(s, `keyboard-skip-link${path.replace(/\//g, '-')}`, false);
  const order = [];
  for (let i = 0; i < expected.length; i++) {
    await s.page.keyboard.press('Tab');
    order.push((await focused()).href);
  }
  check(JSON.stringify(order) === JSON.stringify(expected), `${s.label}: ${path}: Tab goes ${JSON.stringify(order)}, the navigation is ${JSON.stringify(expected)}`);
  await s.page.keyboard.press('Tab');
  const out = await focused();
  check(out.text === 'Sign out', `${s.label}: ${path}: after the navigation's links Tab reaches ${JSON.stringify(out)}, not "Sign out"`);
  // The skip link works: Enter on it, and the next Tab is inside <main id="content">.
  await s.page.goto(base + path);
  await s.page.keyboard.press('Tab');
  await s.page.keyboard.press('Enter');
  const target = await s.page.evaluate(() => location.hash);
  check(target === '#content', `${s.label}: ${path}: Enter on "Skip to content" went to "${target}", not #content`);
  // With something to focus in the main content, the next Tab is there.
  const focusable = await s.page.evaluate(() => !!document.querySelector('#content').querySelector('a[href], button, input, select, textarea, summary, [tabindex]'));
  if (focusable) {
    await s.page.keyboard.press('Tab');
    const inMain = await s.page.evaluate(() => !!document.activeElement.closest('#content'));
    check(inMain, `${s.label}: ${path}: after Enter on "Skip to content", Tab does not land inside the main content (${JSON.stringify(await focused())})`);
  }
  return { expected, order };
}

// Fetches as the signed-in page does (cookies, same origin); answers the status.
const fetchStatus = (s, url) => s.page.evaluate(async (u) => (await fetch(u)).status, url);

// The network picture is drawn: frames counted and a share of its pixels inked.
async function network(s) {
  await s.page.waitForFunction(() => window.orgmirrorNetwork && window.orgmirrorNetwork.frames > 0, null, { timeout: 30000 });
  return s.page.evaluate(() => {
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
    const n = window.orgmirrorNetwork;
    return { renderer: n.renderer, nodes: n.nodes, edges: n.edges, frames: n.frames, inked: inked / (probe.width * probe.height), charts: document.querySelectorAll('svg').length };
  });
}

async function chromiumRun() {
  const browser = await launchChromium(['--enable-unsafe-swiftshader']);
  const L = 'chromium';
  try {
    // 1. Signing in: a wrong password is refused on the page, the right one lands on the role's page.
    await step('sign-in page and a wrong password', async () => {
      const s = await open(browser, L);
      const r = await s.page.goto(base + '/login');
      check(r.status() === 200, `${L}: /login answered ${r.status()}`);
      check(!!r.headers()['content-security-policy'], `${L}: /login has no Content-Security-Policy`);
      await shot(s, 'sign-in');
      await s.page.fill('#email', accounts.member.email);
      await s.page.fill('#password', 'not the password at all');
      const [post] = await Promise.all([
        s.page.waitForResponse((x) => x.request().method() === 'POST' && x.url() === base + '/login'),
        s.page.click('main button[type=submit]'),
      ]);
      await s.page.waitForLoadState('load');
      const alert = await s.page.locator('[role=alert]').first().innerText().catch(() => '');
      check(post.status() === 401 && /wrong e-mail or password/.test(alert),
        `${L}: a wrong password answered ${post.status()} with "${alert}", not 401 "wrong e-mail or password"`);
      check(new URL(s.page.url()).pathname === '/login', `${L}: a wrong password left the sign-in page for ${s.page.url()}`);
      await shot(s, 'sign-in-wrong-password');
      await clean(s, 'sign-in page');
      await s.context.close();
    });

    // 2. A member: their own mirror, and nothing else.
    await step('member: my mirror, refusals, keyboard', async () => {
      const s = await open(browser, L);
      const landed = await signIn(s, accounts.member);
      check(landed === '/me', `${L}: a member lands on ${landed}, not /me`);
      const r = await s.page.goto(base + '/me');
      check(r.status() === 200, `${L}: /me answered ${r.status()}`);
      const h1 = await s.page.locator('h1').first().innerText();
      check(h1.includes('Your mirror'), `${L}: /me's heading is "${h1}", not "Your mirror"`);
      const basis = await s.page.evaluate(() => [...document.querySelectorAll('h1,h2,h3,h4,summary,section,.basis')]
        .some((e) => /what this is based on/i.test(e.textContent)));
      check(basis, `${L}: /me has no "What this is based on" section`);
      const svgs = await s.page.evaluate(() => document.querySelectorAll('svg').length);
      check(svgs >= 1, `${L}: /me draws no chart`);
      await noIds(s, '/me');
      await shot(s, 'my-mirror');
      await clean(s, '/me');
      const org = await s.page.goto(base + '/org');
      check(org.status() === 403, `${L}: a member opening /org got ${org.status()}, not 403`);
      const other = accounts.leader.person;
      const api = await fetchStatus(s, `/api/v1/people/${other}/mirror`);
      check(api === 403, `${L}: a member reading /api/v1/people/${other}/mirror got ${api}, not 403`);
      const own = await fetchStatus(s, '/api/v1/me/mirror');
      check(own === 200, `${L}: a member reading their own /api/v1/me/mirror got ${own}`);
      await keyboard(s, '/me');
      await s.context.close();
    });

    // 3. Leaders: a team of at least the minimum size is shown as aggregates, a smaller one is not.
    await step('leader: my teams and a team', async () => {
      const s = await open(browser, L);
      const p = accounts.leader.person;
      const landed = await signIn(s, accounts.leader);
      check(landed === '/me', `${L}: a leader lands on ${landed}, not /me`);
      await s.page.goto(base + '/teams');
      const link = s.page.locator(`a[href="/teams/${p}?window=all"]`);
      check(await link.count() === 1, `${L}: /teams does not link the leader's team in window all`);
      await Promise.all([s.page.waitForURL(`**/teams/${p}?window=all`), link.click()]);
      const h1 = await s.page.locator('h1').first().innerText();
      check(h1.includes(`Team of ${p}`), `${L}: the team page's heading is "${h1}"`);
      const rows = await s.page.evaluate(() => Object.fromEntries([...document.querySelectorAll('main table tr')]
        .map((tr) => [tr.querySelector('th')?.textContent.trim(), tr.querySelector('td')?.textContent.trim()])));
      for (const k of ['Directive share', 'Autonomy', 'Reciprocity', 'Events this rests on']) {
        check(k in rows, `${L}: the team page has no "${k}" row (${JSON.stringify(rows)})`);
      }
      check(Number(rows['Events this rests on']) > 0, `${L}: the team rests on ${rows['Events this rests on']} events`);
      check(await s.page.locator('main svg').count() === 1, `${L}: the team page draws no position`);
      await noIds(s, 'the team page');
      await shot(s, 'team');
      await clean(s, 'the team page');
      await s.context.close();
    });
    await step('small-team leader: refused', async () => {
      const s = await open(browser, L);
      const p = accounts.small.person;
      await signIn(s, accounts.small);
      await s.page.goto(base + '/teams');
      const text = await mainText(s);
      check(/not shown/.test(text), `${L}: the small team's leader's /teams does not say the team is not shown: "${text.slice(0, 200)}"`);
      check(await s.page.locator(`a[href^="/teams/${p}"]`).count() === 0, `${L}: /teams links a team under the minimum size`);
      const r = await s.page.goto(`${base}/teams/${p}?window=all`);
      check(r.status() === 403, `${L}: the small team's page answered ${r.status()}, not 403`);
      const alert = await s.page.locator('[role=alert]').first().innerText().catch(() => '');
      check(/fewer than/.test(alert), `${L}: the small team's refusal says "${alert}"`);
      await shot(s, 'team-refused');
      const api = await fetchStatus(s, `/api/v1/teams/${p}?window=all`);
      check(api === 403, `${L}: the small team's /api/v1/teams answered ${api}, not 403`);
      await s.context.close();
    });

    // 4. An analyst: the org mirror with its network picture, groups and findings.
    await step('analyst: org mirror, groups, findings', async () => {
      const s = await open(browser, L);
      const landed = await signIn(s, accounts.analyst);
      check(landed === '/org', `${L}: an analyst lands on ${landed}, not /org`);
      await s.page.goto(base + '/org');
      const h1 = await s.page.locator('h1').first().innerText();
      check(/org mirror/i.test(h1), `${L}: /org's heading is "${h1}"`);
      const net = await network(s);
      notes.push(`${L}: /org network picture: ${JSON.stringify(net)}`);
      check(net.inked > 0.03, `${L}: the network picture is nearly empty: ${JSON.stringify(net)}`);
      check(net.charts >= 2, `${L}: /org draws ${net.charts} charts`);
      const communities = await s.page.evaluate(() => document.querySelector('[data-key="communities"]')?.textContent.trim());
      await noIds(s, '/org');
      await shot(s, 'org-mirror');
      await s.page.locator('#net').screenshot({ path: join(shots, 'org-network.png') });
      screenshots.push(join(shots, 'org-network.png'));
      await clean(s, '/org');

      const g = await s.page.goto(base + '/org/groups');
      check(g.status() === 200, `${L}: /org/groups answered ${g.status()}`);
      const groups = await s.page.locator('details').count();
      check(groups > 0, `${L}: /org/groups lists no group`);
      if (groups > 0) {
        // Opened with the keyboard: focus the first group's summary, Enter.
        const d = s.page.locator('details').first();
        await d.locator('summary').focus();
        await s.page.keyboard.press('Enter');
        const open = await d.evaluate((e) => e.open);
        check(open, `${L}: Enter on a focused group's summary does not open it`);
        const measures = await d.locator('table tr').count();
        const withheld = /withheld/.test(await d.locator('summary').innerText());
        check(measures > 0 || withheld, `${L}: an opened group shows no measures`);
        await s.page.keyboard.press('Enter');
        check(!(await d.evaluate((e) => e.open)), `${L}: Enter again does not close the group`);
        await s.page.keyboard.press('Enter');
      }
      const headings = await s.page.locator('main h2').allInnerTexts();
      notes.push(`${L}: /org/groups sections: ${headings.join(' | ')}`);
      // The drill-down lists the communities the org mirror counts.
      const listed = headings.map((h) => h.match(/^Communit\w* \((\d+)\)/)).find(Boolean);
      check(listed && listed[1] === communities, `${L}: /org counts ${communities} communities, /org/groups lists "${listed ? listed[0] : 'none'}"`);
      check(headings.includes(`Communities (${communities})`), `${L}: /org/groups headings read ${JSON.stringify(headings)}, not "Communities (${communities})"`);
      await noIds(s, '/org/groups');
      await shot(s, 'org-groups');
      await clean(s, '/org/groups');

      const f = await s.page.goto(base + '/org/findings');
      check(f.status() === 200, `${L}: /org/findings answered ${f.status()}`);
      const findings = await s.page.locator('main table tbody tr').count();
      check(findings > 0, `${L}: /org/findings lists no finding`);
      await noIds(s, '/org/findings');
      await shot(s, 'org-findings');
      await clean(s, '/org/findings');

      const d = await s.page.goto(base + '/data');
      check(d.status() === 403, `${L}: an analyst opening /data got ${d.status()}, not 403`);
      await s.context.close();
    });

    // 5. An admin: an upload through the page's form, its progress, its job done; the access log.
    // 6. (again) the keyboard through the longest navigation.
    await step('admin: upload, jobs, audit', async () => {
      const s = await open(browser, L);
      const landed = await signIn(s, accounts.admin);
      check(landed === '/org', `${L}: an admin lands on ${landed}, not /org`);
      await keyboard(s, '/data');
      await s.page.goto(base + '/data');
      // The upload is slowed down (Chromium's network emulation) so that its progress shows.
      const cdp = await s.context.newCDPSession(s.page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
      await s.page.selectOption('#kind', config.uploadKind);
      await s.page.setInputFiles('#file', config.upload);
      await s.page.click('#upload button[type=submit]');
      const samples = [];
      let midShot = false;
      const t0 = Date.now();
      while (Date.now() - t0 < 30000) {
        const now = await s.page.evaluate(() => {
          const b = document.getElementById('upload-bar');
          return { value: b.value, max: b.max, status: document.getElementById('upload-status').textContent };
        });
        samples.push(now);
        if (!midShot && now.value > 0 && now.value < now.max) {
          await shot(s, 'upload-progress', false);
          midShot = true;
        }
        if (/^Uploaded/.test(now.status) || /fail|refused|error/i.test(now.status)) break;
        await sleep(100);
      }
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      const last = samples[samples.length - 1];
      check(samples.some((x) => x.value > 0 && x.value < x.max && /Uploading/.test(x.status)), `${L}: the upload's progress never showed part-way (${JSON.stringify(samples.slice(0, 3))} … ${JSON.stringify(last)})`);
      const job = (last.status.match(/job (\d+)/) || [])[1];
      check(!!job, `${L}: the upload ended with "${last.status}"`);
      check(last.value === last.max && last.max > 1, `${L}: the upload bar ended at ${last.value} of ${last.max}`);
      await shot(s, 'upload');
      if (job) {
        const row = s.page.locator(`#jobs tr[data-job="${job}"]`);
        await s.page.waitForFunction((id) => {
          const tr = document.querySelector(`#jobs tr[data-job="${id}"]`);
          return tr && (tr.dataset.state === 'done' || tr.dataset.state === 'failed');
        }, job, { timeout: 60000 });
        const state = await row.getAttribute('data-state');
        const cells = await row.locator('td').allInnerTexts();
        check(state === 'done', `${L}: upload job ${job} ended ${state}: ${cells.join(' | ')}`);
        check(/rows read/.test(cells[4] || ''), `${L}: upload job ${job}'s result says "${cells[4]}"`);
        notes.push(`${L}: upload job: ${cells.join(' | ')}`);
        await shot(s, 'upload-done');
      }
      await clean(s, '/data');

      const a = await s.page.goto(base + '/audit');
      check(a.status() === 200, `${L}: /audit answered ${a.status()}`);
      const lines = await s.page.evaluate(() => [...document.querySelectorAll('#audit tbody tr')].map((tr) => {
        const td = [...tr.querySelectorAll('td')].map((x) => x.textContent);
        return { who: td[2], what: td[3], about: td[4] };
      }));
      const has = (who, what, about) => lines.some((l) => l.who === who && what.test(l.what) && (about === undefined || l.about === about));
      const m = accounts.member;
      check(has(m.email, /^(show|report) person$/, m.person), `${L}: /audit has no "show/report person" line for ${m.email} about ${m.person}`);
      check(has(m.email, /^refused: GET \/org$/), `${L}: /audit has no "refused: GET /org" line for ${m.email}`);
      check(has(m.email, /^refused: /, accounts.leader.person), `${L}: /audit has no refusal of ${m.email} reading ${accounts.leader.person}`);
      check(has(accounts.leader.email, /^team view$/, accounts.leader.person), `${L}: /audit has no "team view" line for ${accounts.leader.email}`);
      check(has(accounts.small.email, /^refused: team view$/, accounts.small.person), `${L}: /audit has no "refused: team view" line for ${accounts.small.email}`);
      check(has(accounts.analyst.email, /^report org$/), `${L}: /audit has no "report org" line for ${accounts.analyst.email}`);
      check(has(accounts.analyst.email, /^show groups$/), `${L}: /audit has no "show groups" line for ${accounts.analyst.email}`);
      check(has(accounts.analyst.email, /^show findings$/), `${L}: /audit has no "show findings" line for ${accounts.analyst.email}`);
      check(has(accounts.analyst.email, /^refused: GET \/data$/), `${L}: /audit has no "refused: GET /data" line for ${accounts.analyst.email}`);
      check(has(m.email, /^refused: sign in$/), `${L}: /audit has no "refused: sign in" line for the wrong password`);
      notes.push(`${L}: /audit shows ${lines.length} lines; actions: ${[...new Set(lines.map((l) => l.what))].join(', ')}`);
      await noIds(s, '/audit');
      await shot(s, 'audit');
      await clean(s, '/audit');
      await s.context.close();
    });
  } finally {
    await browser.close();
  }
}

// ------------------------------------------------- Firefox ESR over WebDriver BiDi (playwright)

async function firefoxRun() {
  const executablePath = process.env.FIREFOX || '/usr/bin/firefox-esr';
  if (!existsSync(executablePath)) {
    skipped.push(`firefox: ${executablePath} is missing (apt-get install firefox-esr, or set FIREFOX)`);
    return;
  }
  const L = 'firefox';
  // channel moz-firefox: playwright-core drives a stock Firefox over WebDriver BiDi.
  const browser = await firefox.launch({ channel: 'moz-firefox', executablePath, headless: true });
  notes.push(`${L}: ${browser.version()}`);
  try {
    await step('firefox: sign-in and my mirror', async () => {
      const s = await open(browser, L);
      await s.page.goto(base + '/login');
      await shot(s, 'firefox-sign-in');
      const landed = await signIn(s, accounts.member);
      check(landed === '/me', `${L}: a member lands on ${landed}, not /me`);
      const h1 = await s.page.locator('h1').first().innerText();
      check(h1.includes('Your mirror'), `${L}: /me's heading is "${h1}"`);
      await shot(s, 'firefox-my-mirror');
      await clean(s, '/me');
      await s.context.close();
    });
    await step('firefox: org mirror', async () => {
      const s = await open(browser, L);
      await signIn(s, accounts.analyst);
      await s.page.goto(base + '/org');
      const net = await network(s);
      notes.push(`${L}: /org network picture: ${JSON.stringify(net)}`);
      check(net.inked > 0.03, `${L}: the network picture is nearly empty: ${JSON.stringify(net)}`);
      await shot(s, 'firefox-org-mirror');
      await clean(s, '/org');
      await s.context.close();
    });
  } finally {
    await browser.close();
  }
}

// ---------------------------------------- WebKitGTK's MiniBrowser over W3C WebDriver (fetch)

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function miniBrowser() {
  if (process.env.WEBKIT_MINIBROWSER) return process.env.WEBKIT_MINIBROWSER;
  for (const d of existsSync('/usr/lib') ? readdirSync('/usr/lib') : []) {
    const p = `/usr/lib/${d}/webkit2gtk-4.1/MiniBrowser`;
    if (existsSync(p)) return p;
  }
  return null;
}

async function waitFor(f, ms, what) {
  const t0 = Date.now();
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch { /* not yet */ }
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function webkitRun() {
  const driver = process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver';
  const binary = miniBrowser();
  if (!existsSync(driver) || !binary) {
    skipped.push(`webkit: ${!existsSync(driver) ? `${driver} is missing (apt-get install webkit2gtk-driver)` : 'MiniBrowser is missing (libwebkit2gtk-4.1-0)'}`);
    return;
  }
  const children = [];
  const env = { ...process.env };
  try {
    // WebKitGTK draws into a display: Xvfb's when there is none.
    if (!env.DISPLAY) {
      if (!existsSync('/usr/bin/Xvfb')) {
        skipped.push('webkit: no $DISPLAY and no /usr/bin/Xvfb (apt-get install xvfb)');
        return;
      }
      // Xvfb picks a free display itself and writes its number once it accepts connections
      // (-displayfd), so tests running side by side do not take the same one.
      const x = spawn('/usr/bin/Xvfb', ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(x);
      let said = '';
      x.stdout.on('data', (d) => { said += d; });
      await waitFor(() => /^\d+\n/.test(said), 10000, 'Xvfb');
      env.DISPLAY = `:${said.trim()}`;
    }
    const port = await freePort();
    const wd = spawn(driver, [`--port=${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(wd);
    let wdErr = '';
    wd.stderr.on('data', (d) => { wdErr += d; });
    const url = `http://127.0.0.1:${port}`;
    async function call(method, path, body) {
      const r = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const j = await r.json();
      if (!r.ok) throw new Error(`WebDriver ${method} ${path}: ${r.status} ${JSON.stringify(j.value || j).slice(0, 300)}`);
      return j.value;
    }
    await waitFor(() => call('GET', '/status').then((v) => v.ready !== false), 10000, 'WebKitWebDriver');
    const L = 'webkit';
    const session = await call('POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary, args: ['--automation'] } } },
    });
    notes.push(`${L}: MiniBrowser, WebKitGTK ${session.capabilities.browserVersion}`);
    const S = `/session/${session.sessionId}`;
    await call('POST', `${S}/window/rect`, { width: 1280, height: 900 }).catch((e) => notes.push(`webkit: window size: ${e}`));
    const go = async (u) => { await call('POST', `${S}/url`, { url: base + u }); visit(L, base + u); };
    const here = async () => { const u = await call('GET', `${S}/url`); visit(L, u); return new URL(u).pathname; };
    const js = (script, ...args) => call('POST', `${S}/execute/sync`, { script, args });
    const find = async (css) => Object.values(await call('POST', `${S}/element`, { using: 'css selector', value: css }))[0];
    const shotWk = async (name) => {
      const png = await call('GET', `${S}/screenshot`);
      const path = join(shots, `${name}.png`);
      writeFileSync(path, Buffer.from(png, 'base64'));
      screenshots.push(path);
    };
    const signInWk = async (who) => {
      await go('/login');
      await call('POST', `${S}/element/${await find('#email')}/value`, { text: who.email });
      await call('POST', `${S}/element/${await find('#password')}/value`, { text: password });
      await call('POST', `${S}/element/${await find('main button[type=submit]')}/click`, {});
      await waitFor(async () => (await here()) !== '/login' || (await js('return document.readyState')) === 'complete', 10000, 'the sign-in to answer');
      let landed = await here();
      if (landed === '/login') {
        const text = await js('return document.querySelector("main").innerText');
        check(false, `${L}: signing in as ${who.email} through the form stayed on /login: "${text.replace(/\s+/g, ' ').slice(0, 120)}"`);
        const status = await call('POST', `${S}/execute/async`, {
          script: 'const done = arguments[arguments.length - 1]; fetch("/api/v1/session", {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify({email: arguments[0], password: arguments[1]})}).then(r => done(r.status), e => done(String(e)));',
          args: [who.email, password],
        });
        check(status === 200, `${L}: signing in as ${who.email} through the API answered ${status}`);
        await go('/');
        landed = await here();
      }
      return landed;
    };
    try {
      await step('webkit: sign-in and my mirror', async () => {
        await go('/login');
        await shotWk('webkit-sign-in');
        const landed = await signInWk(accounts.member);
        check(landed === '/me', `${L}: a member lands on ${landed}, not /me`);
        const h1 = await js('return document.querySelector("h1").textContent');
        check(h1.includes('Your mirror'), `${L}: /me's heading is "${h1}"`);
        await shotWk('webkit-my-mirror');
        await go('/login');
      });
      await step('webkit: org mirror', async () => {
        await call('DELETE', `${S}/cookie`);
        const landed = await signInWk(accounts.analyst);
        check(landed === '/org', `${L}: an analyst lands on ${landed}, not /org`);
        // Violations from here on are caught: the picture is drawn again with another colouring.
        await js('window.__csp = []; document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " at " + e.sourceFile + ":" + e.lineNumber));');
        const net = await waitFor(() => js('const n = window.orgmirrorNetwork; return n && n.frames > 0 ? {renderer: n.renderer, nodes: n.nodes, frames: n.frames} : null'), 30000, 'the network picture');
        notes.push(`${L}: /org network picture: ${JSON.stringify(net)}`);
        await js('const s = document.getElementById("net-colour"); if (s) { s.value = s.options[s.options.length - 1].value; s.dispatchEvent(new Event("change")); }');
        await sleep(300);
        const csp = await js('return window.__csp');
        check(csp.length === 0, `${L}: /org: CSP violations when the picture is coloured again: ${[...new Set(csp)].slice(0, 3).join('; ')}`);
        await shotWk('webkit-org-mirror');
      });
    } finally {
      await call('DELETE', S).catch(() => {});
      if (wdErr.trim()) notes.push(`webkit: WebKitWebDriver said: ${wdErr.trim().slice(0, 300)}`);
    }
  } finally {
    for (const c of children.reverse()) c.kill();
  }
}

const runs = { chromium: chromiumRun, firefox: firefoxRun, webkit: webkitRun };
for (const name of config.browsers || ['chromium']) {
  say(`== ${name}`);
  try {
    await runs[name]();
  } catch (e) {
    check(false, `${name}: ${String(e && e.stack || e).split('\n').slice(0, 4).join(' | ')}`);
  }
}
process.stdout.write(JSON.stringify({ problems, skipped, notes, visited: [...visited], screenshots }, null, 1) + '\n');
