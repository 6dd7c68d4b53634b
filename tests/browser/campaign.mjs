// A survey campaign from start to end in Debian's Chromium (playwright-core), against a running
// `orgmirror serve`: an analyst creates it on /surveys and downloads the invitation links; each
// invitee opens their link in a fresh browser and answers as a seeded plan says (fully, partly,
// only saved, or not at all), names typed with the keyboard; the form is checked at 375 px; an
// admin closes the campaign and waits for its job; then every link's own mirror is read, and a
// leader's results page, and a member is refused it.
//
// Prints what it saw as JSON on stdout, for the calling test (crates/server/tests/
// campaign_browser.rs) to compare with the server's stored tables: `problems` (each a failed
// check; the test fails on any), `notes`, `screenshots`, `campaign`, `invitations` (the analyst's
// CSV), `names` (the admin's CSV: pseudonym to name), `plans` (what each invitee did and whom they
// named, by the names the form offered), `before` (the campaign page's counts before the close),
// `job`, `mirrors` (pseudonym to question to "k/n"), `results` (the leader's page: cells by
// data-key, notes, hidden groups, answered and invited) and `memberStatus`. Progress goes to stderr.
//
// usage: node tests/browser/campaign.mjs CONFIG.json
// CONFIG: { base, shots, password, seed, opens, closes, questions: [..], min,
//           accounts: { admin, analyst, leader, member: { email } } }
import { existsSync, readFileSync } from 'node:fs';
import { harness, launchChromium, sleep } from './lib.mjs';

const h = harness('campaign.mjs');
const { config, problems, notes, screenshots, say, check, open, clean } = h;
const { base, accounts, questions } = config;
const out = { plans: [], mirrors: {} };

// Seeded choices (mulberry32), so a run can be repeated.
let seed = config.seed >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (n) => Math.floor(random() * n);
function shuffled(xs) {
  const v = [...xs];
  for (let i = v.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

// A screenshot (lib.mjs); the style-src violations its <style> caused are forgotten too, and the
// file must be there.
async function shot(s, name, fullPage = true) {
  const path = await h.shot(s, name, fullPage);
  await s.page.evaluate(() => { window.__csp = (window.__csp || []).filter((v) => !/style-src/.test(v)); }).catch(() => {});
  check(existsSync(path), `${s.label}: no screenshot at ${path}`);
}

// Signs in through the form; a refusal is a problem and ends the step.
async function signIn(s, who) {
  const post = await h.submitSignIn(s, who);
  if (!check(post.status() === 303 || post.status() === 302, `${s.label}: signing in as ${who.email} answered ${post.status()}`)) {
    throw new Error(`cannot sign in as ${who.email}`);
  }
  s.seen.console.length = 0;
  s.seen.errors.length = 0;
}

// A CSV whose fields are plain or double-quoted (names may hold commas).
function parseCsv(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = [];
    let i = 0;
    while (i <= line.length) {
      if (line[i] === '"') {
        let v = '';
        i++;
        while (i < line.length) {
          if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i += 2; } else if (line[i] === '"') { i++; break; } else { v += line[i++]; }
        }
        fields.push(v);
        i++;
      } else {
        const j = line.indexOf(',', i);
        const end = j < 0 ? line.length : j;
        fields.push(line.slice(i, end));
        i = end + 1;
      }
    }
    rows.push(fields);
  }
  const [header, ...body] = rows;
  return { header, rows: body.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]]))) };
}

// The campaign page's counts.
const counts = (s) => s.page.evaluate(() => Object.fromEntries(['state', 'submitted', 'invited']
  .map((k) => [k, document.querySelector(`[data-key="${k}"]`)?.textContent.trim()])));

// At this width nothing scrolls sideways, and every visible field and button has an accessible
// name (Chromium's own, read through the accessibility tree).
async function narrowForm(s, label) {
  const overflow = await s.page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  check(overflow.scroll <= overflow.client, `${label}: the form scrolls sideways at 375 px (${overflow.scroll} > ${overflow.client})`);
  const wide = await s.page.evaluate(() => [...document.querySelectorAll('main *')]
    .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}`).slice(0, 5));
  check(wide.length === 0, `${label}: at 375 px these stick out to the right: ${wide.join(', ')}`);
  const n = await s.page.evaluate(() => {
    let i = 0;
    for (const e of document.querySelectorAll('input, select, textarea, button')) {
      const r = e.getBoundingClientRect();
      if (e.type === 'hidden' || r.width === 0 || r.height === 0) continue;
      e.setAttribute('data-probe', String(i++));
    }
    return i;
  });
  const cdp = await s.context.newCDPSession(s.page);
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: '[data-probe]' });
  check(nodeIds.length === n && n > 0, `${label}: ${n} visible fields, ${nodeIds.length} found again`);
  const unnamed = [];
  for (const nodeId of nodeIds) {
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
    const name = (nodes[0]?.name?.value || '').trim();
    if (!name) {
      const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId });
      unnamed.push(outerHTML.slice(0, 120));
    }
  }
  await cdp.detach();
  check(unnamed.length === 0, `${label}: fields without an accessible name at 375 px: ${unnamed.join(' ; ')}`);
  return n;
}

// Types `text` into the field with the keyboard: a first part, then (as a person picks from the
// suggestions) the form must offer the colleague among the colleagues that part matches, then the
// rest. Headless Chromium draws no suggestion list, so picking one is typing the rest.
async function typeColleague(s, field, text, label) {
  await field.click();
  await s.page.keyboard.press('Control+A');
  await s.page.keyboard.press('Delete');
  const cut = Math.min(text.length, 3);
  await s.page.keyboard.type(text.slice(0, cut));
  const offered = await field.evaluate((e) => {
    const typed = e.value.toLowerCase();
    return [...(e.list?.options || [])].map((o) => o.value).filter((v) => v.toLowerCase().includes(typed));
  });
  check(offered.includes(text), `${label}: after typing "${text.slice(0, cut)}" the form does not offer "${text}" (${offered.length} offered)`);
  await s.page.keyboard.type(text.slice(cut));
  const value = await field.inputValue();
  check(value === text, `${label}: the field holds "${value}", not "${text}"`);
}

// One invitee's turn: opens the link and answers as the plan says. Returns whom they named under
// each question (by the names the form offered) and how the form was left.
async function answer(browser, invitee, plan, index) {
  const label = `invitee ${index + 1} (${plan.kind})`;
  const done = { person: invitee.person, kind: plan.kind, action: 'none', named: {} };
  if (plan.kind === 'never') return done;
  const s = await open(browser, label, { width: plan.narrow ? 375 : 1280 });
  try {
    const r = await s.page.goto(invitee.link);
    check(r.status() === 200, `${label}: the form answered ${r.status()}`);
    const options = await s.page.evaluate(() => [...document.querySelectorAll('datalist#colleagues option')]
      .map((o) => ({ value: o.value, label: o.label })));
    check(options.length === config.people - 1, `${label}: the form offers ${options.length} colleagues, not ${config.people - 1}`);
    check(!options.some((o) => o.value === invitee.name), `${label}: the form offers the respondent themselves`);
    for (const q of questions) {
      const slots = await s.page.locator(`input[name=a][data-question="${q}"]`).count();
      check(slots >= 3, `${label}: ${slots} fields for ${q}`);
    }
    const weighted = await s.page.locator('select[name=w]').count();
    check(weighted > 0 === questions.some((q) => config.weighted.includes(q)), `${label}: ${weighted} "How often" fields`);
    if (plan.narrow) {
      const n = await narrowForm(s, label);
      notes.push(`form at 375 px: ${n} visible fields, each with an accessible name`);
      await shot(s, 'campaign-form-375');
    }
    if (plan.first) await shot(s, 'campaign-form');
    await clean(s, `${label}: the form`);
    if (plan.kind === 'open') return done;

    const colleagues = options.map((o) => o.value);
    const fill = async (which) => {
      const named = {};
      for (const q of which) {
        const people = shuffled(colleagues).slice(0, plan.names[q]);
        named[q] = people;
        const fields = s.page.locator(`input[name=a][data-question="${q}"]`);
        for (let k = 0; k < people.length; k++) {
          const field = fields.nth(k);
          await typeColleague(s, field, people[k], `${label}: ${q}`);
          // "How often" sits right after its colleague's field.
          const how = s.page.locator(`#${(await field.getAttribute('id')).replace(/^q/, 'w')}`);
          if (await how.count()) await how.selectOption(String(1 + pick(4)));
        }
      }
      return named;
    };
    const send = async (action) => {
      await Promise.all([
        s.page.waitForResponse((x) => x.request().method() === 'POST' && x.url() === invitee.link),
        s.page.click(`button[name=action][value=${action}]`),
      ]);
      await s.page.waitForLoadState('load');
      const said = await s.page.locator('main [role=status]').innerText().catch(() => '');
      check(action === 'submit' ? /Thank you/.test(said) : /Saved/.test(said), `${label}: after "${action}" the page says "${said}"`);
      await clean(s, `${label}: after ${action}`);
    };

    if (plan.kind === 'resume') {
      // Saves a first go, comes back with the same link, finds it, and sends a changed one.
      const first = await fill(questions.slice(0, 1));
      await send('save');
      await s.page.goto(invitee.link);
      const kept = await s.page.locator(`input[name=a][data-question="${questions[0]}"]`).evaluateAll((es) => es.map((e) => e.value).filter(Boolean));
      check(JSON.stringify([...kept].sort()) === JSON.stringify([...first[questions[0]]].sort()), `${label}: coming back, the form shows ${JSON.stringify(kept)}, not the saved ${JSON.stringify(first[questions[0]])}`);
      for (const f of await s.page.locator('input[name=a]').all()) await f.fill('');
    }
    done.named = await fill(plan.answered);
    const action = plan.kind === 'save' ? 'save' : 'submit';
    await send(action);
    done.action = action;
    return done;
  } finally {
    await s.context.close();
  }
}

// What each invitee does: about two thirds answer everything, one in six partly (some questions
// blank, or nothing, or only saved), one in six not at all (some open the form and leave).
function plans(n) {
  const order = shuffled([...Array(n).keys()]);
  const none = Math.round(n / 6);
  const partly = Math.round(n / 6);
  const kinds = [];
  for (let i = 0; i < n; i++) {
    if (i < none) kinds.push(i < Math.ceil(none / 2) ? 'never' : 'open');
    else if (i < none + partly) kinds.push(['some', 'save', 'some', 'blank', 'save'][(i - none) % 5]);
    else kinds.push(i === none + partly ? 'resume' : 'full');
  }
  const byInvitee = new Array(n);
  order.forEach((who, i) => {
    const kind = kinds[i];
    const names = Object.fromEntries(questions.map((q) => [q, 1 + pick(4)]));
    let answered = questions;
    if (kind === 'some') answered = questions.filter((_, k) => k === 0 || (k === questions.length - 1 && random() < 0.5));
    if (kind === 'blank') answered = [];
    if (kind === 'save') answered = questions.slice(0, 2);
    byInvitee[who] = { kind, names, answered };
  });
  return byInvitee;
}

async function run() {
  const browser = await launchChromium();
  try {
    // 1. The analyst creates the campaign and downloads its links.
    say('analyst: a new campaign');
    const a = await open(browser, 'analyst');
    await signIn(a, accounts.analyst);
    await a.page.goto(base + '/surveys');
    await a.page.fill('#name', config.name);
    await a.page.selectOption('#department', 'all');
    await a.page.fill('#questions', questions.join(', '));
    await a.page.fill('#opens', config.opens);
    await a.page.fill('#closes', config.closes);
    await a.page.fill('#min', String(config.min));
    await a.page.check('input[name=match_interactions]');
    await clean(a, '/surveys');
    await Promise.all([
      a.page.waitForURL(/\/surveys\/\d+$/),
      a.page.click('form[action="/surveys"] button[type=submit]'),
    ]);
    const id = Number(new URL(a.page.url()).pathname.split('/').pop());
    out.campaign = id;
    const created = await counts(a);
    check(created.state === 'open' && created.submitted === '0' && created.invited === String(config.people),
      `analyst: the new campaign's page says ${JSON.stringify(created)}`);
    const [download] = await Promise.all([
      a.page.waitForEvent('download'),
      a.page.click(`a[href="/surveys/${id}/invitations.csv"]`),
    ]);
    const csv = parseCsv(readFileSync(await download.path(), 'utf8'));
    check(JSON.stringify(csv.header) === JSON.stringify(['person', 'name', 'link', 'answered']), `analyst: the invitations' columns are ${csv.header}`);
    out.invitations = csv.rows;
    for (const r of csv.rows) {
      check(/^\/s\/[0-9a-f]{64}$/.test(new URL(r.link).pathname), `analyst: an invitation's link is ${r.link}`);
      check(r.answered === 'false', `analyst: a new invitation says answered=${r.answered}`);
    }
    await clean(a, `/surveys/${id}`);
    await a.context.close();

    // The admin's copy of the list names people (the analyst's does not): how the test maps the
    // names typed into the form back to pseudonyms.
    const m = await open(browser, 'admin');
    await signIn(m, accounts.admin);
    const names = await m.page.evaluate(async (u) => (await fetch(u)).text(), `/surveys/${id}/invitations.csv`);
    out.names = Object.fromEntries(parseCsv(names).rows.map((r) => [r.person, r.name]));
    await m.context.close();

    // 2. Each invitee in a fresh browser.
    const invitees = csv.rows.map((r) => ({ ...r, name: out.names[r.person] }));
    const plan = plans(invitees.length);
    const firstFull = plan.findIndex((p) => p.kind === 'full');
    plan[firstFull].first = true;
    plan[plan.findIndex((p, i) => p.kind === 'full' && i !== firstFull)].narrow = true;
    for (let i = 0; i < invitees.length; i++) {
      say(`invitee ${i + 1} of ${invitees.length}: ${plan[i].kind}`);
      try {
        out.plans.push(await answer(browser, invitees[i], plan[i], i));
      } catch (e) {
        check(false, `invitee ${i + 1}: ${String(e && e.stack || e).split('\n').slice(0, 4).join(' | ')}`);
        out.plans.push({ person: invitees[i].person, kind: plan[i].kind, action: 'failed', named: {} });
      }
    }

    // 3. The admin closes it and waits for its job.
    say('admin: close');
    const ad = await open(browser, 'admin');
    await signIn(ad, accounts.admin);
    await ad.page.goto(`${base}/surveys/${id}`);
    out.before = await counts(ad);
    await Promise.all([
      ad.page.waitForURL(`**/surveys/${id}`),
      ad.page.click(`form[action="/surveys/${id}/close"] button[type=submit]`),
    ]);
    const t0 = Date.now();
    let job;
    while (Date.now() - t0 < 120000) {
      const { jobs } = await ad.page.evaluate(async () => (await fetch('/api/v1/jobs')).json());
      job = jobs.find((j) => j.what === `close campaign ${id}`);
      if (job && (job.state === 'done' || job.state === 'failed')) break;
      await sleep(250);
    }
    out.job = job;
    check(job && job.state === 'done', `admin: the close's job ended ${JSON.stringify(job)}`);
    notes.push(`close job: ${job && job.state} in ${Date.now() - t0} ms: ${job && job.message}`);
    await ad.page.goto(`${base}/surveys/${id}`);
    const after = await counts(ad);
    check(after.state === 'closed', `admin: after the close the campaign page says ${JSON.stringify(after)}`);
    check(await ad.page.locator(`a[href="/surveys/${id}/results"]`).count() === 1, 'admin: the closed campaign does not link its results');
    await clean(ad, `/surveys/${id} after the close`);
    await ad.context.close();

    // 4. Every link, answered or not, shows its own mirror.
    say('respondents: their mirrors');
    const r = await open(browser, 'mirrors');
    for (const [i, inv] of invitees.entries()) {
      const form = await r.page.goto(inv.link);
      check(form.status() === 200, `invitee ${i + 1}: the link answered ${form.status()} after the close`);
      const text = await r.page.locator('main').innerText();
      check(/has closed/.test(text), `invitee ${i + 1}: after the close the form says "${text.slice(0, 120)}"`);
      await Promise.all([r.page.waitForURL(`**/mirror`), r.page.click('a[data-key=mirror]')]);
      const mirror = await r.page.evaluate(() => Object.fromEntries([...document.querySelectorAll('li[data-key^="named|"]')]
        .map((li) => [li.dataset.key.slice('named|'.length), li.dataset.value])));
      out.mirrors[inv.person] = mirror;
      const plain = await r.page.content();
      check(!/\bE\d{6}\b/.test(plain), `invitee ${i + 1}: the mirror shows a person's id`);
      if (plan[i].first) await shot(r, 'campaign-mirror');
      await clean(r, `invitee ${i + 1}: the mirror`);
    }
    await r.context.close();

    // 5. The leader's aggregate; a member is refused it.
    say('leader: results');
    const l = await open(browser, 'leader');
    await signIn(l, accounts.leader);
    const res = await l.page.goto(`${base}/surveys/${id}/results`);
    check(res.status() === 200, `leader: the results page answered ${res.status()}`);
    out.results = await l.page.evaluate(() => ({
      cells: [...document.querySelectorAll('td[data-key]')].map((td) => [td.dataset.key, td.dataset.value]),
      notes: [...document.querySelectorAll('p[data-key=note]')].map((p) => p.textContent),
      hidden: document.querySelector('[data-key=hidden_groups]')?.textContent ?? null,
      answered: document.querySelector('[data-key=answered]')?.textContent,
      invited: document.querySelector('[data-key=invited]')?.textContent,
      rowGroups: [...new Set([...document.querySelectorAll('table.results tbody th[scope=row]')].map((th) => th.textContent))],
    }));
    await shot(l, 'campaign-results');
    await clean(l, 'the results page');
    await l.context.close();
    const mb = await open(browser, 'member');
    await signIn(mb, accounts.member);
    const refused = await mb.page.goto(`${base}/surveys/${id}/results`);
    out.memberStatus = refused.status();
    out.memberApiStatus = await mb.page.evaluate(async (u) => (await fetch(u)).status, `/api/v1/surveys/${id}/results`);
    await mb.context.close();
  } finally {
    await browser.close();
  }
}

try {
  await run();
} catch (e) {
  check(false, String(e && e.stack || e).split('\n').slice(0, 6).join(' | '));
}
process.stdout.write(JSON.stringify({ problems, notes, screenshots, ...out }) + '\n');
