// What the scripts that use a running `orgmirror serve` in a browser share (serve.mjs,
// campaign.mjs): the configuration named on the command line, Debian's Chromium through
// playwright-core, pages that record console errors, page errors and CSP violations, screenshots,
// the sign-in form, and the problems, notes and screenshots the calling test reads.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Debian's Chromium ($CHROMIUM, else /usr/bin/chromium), headless, with `extra` arguments.
export function launchChromium(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
      ...extra,
    ],
  });
}

// One script's run: its configuration (the JSON file named on the command line, with at least
// `base`, `shots` and `password`), the screenshot folder made, and what it finds: `problems` (each
// one a failed check; the calling test fails on any), `notes` and `screenshots`. Progress goes to
// stderr, each line starting with `[tag]`.
export function harness(tag) {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const { base, shots, password } = config;
  const origin = new URL(base).origin;
  mkdirSync(shots, { recursive: true });
  const problems = [];
  const notes = [];
  const screenshots = [];
  const say = (...a) => console.error(`[${tag}]`, ...a);

  function check(ok, message) {
    if (!ok) {
      problems.push(message);
      say('PROBLEM:', message);
    }
    return ok;
  }

  // A fresh context and page, `width` pixels wide, that record console errors, page errors and
  // CSP violations (the `securitypolicyviolation` event), and check that no request leaves the
  // server. `onRequest(url)` sees each request first, `onResponse(response)` each answer.
  async function open(browser, label, { width = 1280, onRequest, onResponse } = {}) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    await context.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        // The pages' CSP allows no eval, so a violation from eval'd code is the automation's own.
        if (/ > eval\b/.test(decodeURIComponent(e.sourceFile || ''))) return;
        window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    const page = await context.newPage();
    const seen = { console: [], errors: [] };
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // Chromium logs every answer of 400 or more as "Failed to load resource", the refusals the
      // scripts ask for included; a page's own files that fail are caught by their status.
      if (/^Failed to load resource/.test(m.text())) return;
      seen.console.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => seen.errors.push(`${page.url()}: ${e}`));
    page.on('request', (r) => {
      const url = r.url();
      if (url.startsWith('data:') || url.startsWith('blob:')) return;
      if (onRequest) onRequest(url);
      check(url.startsWith(origin + '/'), `${label}: a request left the server: ${url}`);
    });
    if (onResponse) page.on('response', onResponse);
    return { context, page, seen, label };
  }

  // No console errors, page errors or CSP violations since the last call.
  async function clean(s, what) {
    let csp = [];
    try {
      csp = await s.page.evaluate(() => (window.__csp || []).splice(0));
    } catch (e) {
      csp = [`could not read: ${e}`];
    }
    check(csp.length === 0, `${s.label}: ${what}: ${csp.length} CSP violations: ${[...new Set(csp)].slice(0, 5).join('; ')}`);
    const c = s.seen.console.splice(0);
    check(c.length === 0, `${s.label}: ${what}: console errors: ${[...new Set(c)].slice(0, 5).join('; ')}`);
    const e = s.seen.errors.splice(0);
    check(e.length === 0, `${s.label}: ${what}: page errors: ${e.slice(0, 5).join('; ')}`);
  }

  // A screenshot `name`.png in the shots folder; answers its path.
  async function shot(s, name, fullPage = true) {
    const path = join(shots, `${name}.png`);
    // Playwright's screenshots inject a <style> of their own (always in Firefox; in Chromium to
    // hide the caret), which the pages' CSP refuses: what that logs is the harness's, not the
    // page's.
    const before = s.seen.errors.length;
    await s.page.screenshot({ path, fullPage, caret: 'initial' });
    await s.page.waitForTimeout(50);
    const after = s.seen.errors.splice(before);
    s.seen.errors.push(...after.filter((e) => !/style-src-elem/.test(e)));
    screenshots.push(path);
    return path;
  }

  // Fills in the sign-in form as `who` and sends it; answers the server's response to the POST.
  async function submitSignIn(s, who) {
    await s.page.goto(base + '/login');
    await s.page.fill('#email', who.email);
    await s.page.fill('#password', password);
    const [post] = await Promise.all([
      s.page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === base + '/login'),
      s.page.click('main button[type=submit]'),
    ]);
    await s.page.waitForLoadState('load');
    return post;
  }

  return { config, origin, problems, notes, screenshots, say, check, open, clean, shot, submitSignIn };
}
