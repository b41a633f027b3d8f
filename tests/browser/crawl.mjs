#!/usr/bin/env node
// The whole UI crawled as every demo role and as a citizen without sign-in, in Chinese and
// in English, at 1366 and at 390 px: every link the user is shown is followed and every
// form found is opened (GET forms submitted with their defaults, POST forms counted, not
// sent), and the crawl fails on
//   - a link that answers 4xx or 5xx to the user who sees it;
//   - a page wider than the viewport (sideways scrolling);
//   - in Chinese, a text node that is an interface code (`open`, `tekun`,
//     `household.view`), JSON, or an English phrase (an allowlist for units, file formats
//     and names of standards);
//   - a console error, an uncaught script error or a Content Security Policy violation.
//
// Environment:
//   JIUZHU_URL        base URL of a running `jiuzhu serve` on a demo database
//   JIUZHU_USERS      file with the demo users as `jiuzhu demo` prints them
//                     (lines "  name  password  role  scope")
//   JIUZHU_CHROMIUM   (optional) browser, default /usr/bin/chromium
//   JIUZHU_CRAWL_MAX  (optional) pages per role and language, default 400
//   JIUZHU_CRAWL_PER_PATTERN (optional) pages of one shape (/cases/{n}), default 3
//   JIUZHU_SHOTS      (optional) directory for five phone-width screenshots
//   JIUZHU_CRAWL_REPORT (optional) file to write the figures to, as a Markdown table
//
// Exit code 0 = no finding; 1 = findings (each printed with its page); 2 = bad usage.

import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    console.error(`crawl: environment variable ${name} is required`);
    process.exit(2);
  }
  return v;
}

const BASE = env('JIUZHU_URL').replace(/\/+$/, '');
const ORIGIN = new URL(BASE).origin;
const CHROMIUM = env('JIUZHU_CHROMIUM', '/usr/bin/chromium');
const MAX_PAGES = Number(env('JIUZHU_CRAWL_MAX', '400'));
const PER_PATTERN = Number(env('JIUZHU_CRAWL_PER_PATTERN', '3'));
const SHOTS = process.env.JIUZHU_SHOTS || '';
const REPORT = process.env.JIUZHU_CRAWL_REPORT || '';
const TIMEOUT = 20000;

/** The demo users, from the lines `jiuzhu demo` prints. */
function readUsers(file) {
  const users = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^\s+(\S+)\s+(demo-[0-9a-f]{8})\s+(\S+)\s+(\S+)\s*$/);
    if (m) users.push({ name: m[1], password: m[2], role: m[3], scope: m[4] });
  }
  if (users.length === 0) {
    console.error(`crawl: no demo user lines in ${file}`);
    process.exit(2);
  }
  return users;
}

// ---- What a Chinese page must not show -----------------------------------------------

// Words a Chinese page may show in Latin letters: units, file formats, standards, our name.
const ALLOWED_LATIN = new Set([
  'jiuzhu', 'xlsx', 'csv', 'pdf', 'json', 'parquet', 'sha', 'gb', 't', 'id', 'api', 'openapi',
  'kb', 'mb', 'gb', 'km', 'ok', 'qr', 'ems', 'sqlite', 'postgresql', 'echarts', 'wal',
  'e2e', 'cpu', 'ip', 'url', 'http', 'https', 'utf', 'png', 'jpg', 'jpeg',
]);

// The demo users' sign-in names: names people chose, shown as they are.
const USER_NAMES = new Set();

/** Why a text node of a Chinese page is wrong there, or null. */
function chineseTextProblem(text) {
  // File names, digests and sign-in names are shown as they are.
  const t = text
    .replace(/[\w.-]+\.(csv|xlsx|pdf|db|json|parquet|png|jpe?g|txt|html)\b/gi, ' ')
    .replace(/\b[0-9a-f]{8,64}\b/g, ' ')
    .replace(/[A-Za-z][\w-]*/g, (w) => (USER_NAMES.has(w) ? ' ' : w))
    .trim();
  if (!t) return null;
  if (/\{"|"\s*:\s*["{\[\d]/.test(t)) return 'JSON';
  // A bare code: a lone lowercase word or identifier (`open`, `window`, `dibao_edge`).
  if (/^[a-z][a-z0-9]*([_.][a-z0-9]+)*$/.test(t) && !ALLOWED_LATIN.has(t)) return 'code';
  // An identifier inside a sentence (`hospital_bill`, `household.view`), file names aside.
  for (const m of t.matchAll(/\b[a-z][a-z0-9]*(?:[_.][a-z][a-z0-9]*)+\b/g)) {
    if (!/\.(csv|xlsx|pdf|db|json|parquet|png|jpg|html|js|css)$/.test(m[0]) && !/^(www|e\.g)\./.test(m[0])) {
      return `code ${JSON.stringify(m[0])}`;
    }
  }
  // English: two Latin words in a row, neither on the allowlist (`Sign in`, `not found`).
  const words = [...t.matchAll(/[A-Za-z][A-Za-z'-]*/g)].map((m) => m[0]);
  let run = 0;
  let prevEnd = -1;
  for (const m of t.matchAll(/[A-Za-z][A-Za-z'-]*/g)) {
    const w = m[0].toLowerCase();
    const gap = prevEnd < 0 ? '' : t.slice(prevEnd, m.index);
    const adjacent = prevEnd >= 0 && /^[\s,;:'()-]+$/.test(gap);
    prevEnd = m.index + m[0].length;
    if (ALLOWED_LATIN.has(w) || w.length < 2) {
      run = 0;
      continue;
    }
    run = adjacent && run > 0 ? run + 1 : 1;
    if (run >= 2) return `English ${JSON.stringify(t.slice(0, 80))}`;
  }
  if (words.length === 1 && /^[a-z]{3,}$/.test(words[0]) && t === words[0]) return 'code';
  return null;
}

// Runs in the page: the text nodes a Chinese reader sees, each with where it is.
function visibleTexts() {
  const out = [];
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE']);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || skip.has(el.tagName)) continue;
    // Content shown as it is kept, on purpose: a pack's source, a file's digest, user input.
    if (el.closest('[data-verbatim], [lang="en"], option')) continue;
    const text = n.textContent;
    if (!text.trim()) continue;
    const tag = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') +
      (el.className && typeof el.className === 'string' ? `.${el.className.split(/\s+/)[0]}` : '');
    out.push([tag, text]);
  }
  return out;
}

// Runs in the page: what sticks out past the viewport's right edge.
function overflow() {
  const width = document.documentElement.clientWidth;
  const doc = document.documentElement.scrollWidth;
  if (doc <= width + 1) return null;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0) {
      // Only the outermost sticking-out element of each branch.
      let p = el.parentElement;
      let outer = true;
      while (p && p !== document.body) {
        if (p.getBoundingClientRect().right > width + 1) { outer = false; break; }
        p = p.parentElement;
      }
      if (outer) {
        wide.push(el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') +
          (typeof el.className === 'string' && el.className ? `.${el.className.split(/\s+/)[0]}` : '') +
          ` (${Math.round(r.right)} px)`);
      }
    }
    if (wide.length >= 4) break;
  }
  return { doc, width, wide };
}

// Runs in the page: links and forms.
function linksAndForms() {
  const links = [];
  for (const a of document.querySelectorAll('a[href]')) {
    if (a.closest('[hidden]')) continue;
    links.push(a.href);
  }
  const forms = [];
  for (const f of document.querySelectorAll('form')) {
    const method = (f.getAttribute('method') || 'get').toLowerCase();
    const action = f.action || location.href;
    let query = '';
    if (method === 'get') {
      const data = new FormData(f);
      const params = new URLSearchParams();
      for (const [k, v] of data) if (typeof v === 'string') params.append(k, v);
      query = params.toString();
    }
    forms.push({ method, action, query, id: f.id || '' });
  }
  return { links, forms };
}

// ---- The crawl ---------------------------------------------------------------------

/** The shape of a URL: numbers and codes as #, the query's keys without their values. */
function pattern(u) {
  const url = new URL(u);
  const path = url.pathname.split('/').map((s) => (/\d/.test(s) && /^[\w-]+$/.test(s) && !/^[a-z_]+$/.test(s) ? '#' : s)).join('/');
  const keys = [...new Set([...url.searchParams.keys()])].sort().join('&');
  return keys ? `${path}?${keys}` : path;
}

const NOT_FOLLOWED = [/^\/lang\b/, /^\/logout\b/, /^\/healthz$/, /^\/static\//, /^\/api\//];
const DOWNLOAD = [/\.(xlsx|pdf|csv|parquet|png|jpe?g)$/, /^\/case-files\//, /\/scan$/];

const findings = [];
const figures = [];

function finding(who, url, what) {
  findings.push({ who, url: url.replace(ORIGIN, ''), what });
}

async function signIn(page, user) {
  await page.goto(`${BASE}/login`, { waitUntil: 'load' });
  await page.fill('input#username', user.name);
  await page.fill('input#password', user.password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button#login')]);
  if (new URL(page.url()).pathname === '/login') throw new Error(`${user.name} could not sign in`);
}

async function newContext(browser, lang, width) {
  const context = await browser.newContext({
    locale: lang === 'zh' ? 'zh-CN' : 'en-GB',
    timezoneId: 'Asia/Shanghai',
    viewport: width < 500 ? { width, height: 844 } : { width, height: 900 },
    isMobile: width < 500,
    hasTouch: width < 500,
    deviceScaleFactor: width < 500 ? 2 : 1,
  });
  await context.addCookies([{ name: 'jz_lang', value: lang, url: BASE }]);
  return context;
}

/**
 * Crawls as `user` (null: a citizen without sign-in) in `lang` at `width`. With `only`, visits
 * exactly those pages (the phone pass revisits what the desktop pass found) and follows nothing.
 */
async function crawl(browser, user, lang, width, only) {
  const who = `${user ? user.name : 'citizen'}/${lang}/${width}`;
  const context = await newContext(browser, lang, width);
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  let current = '';
  page.on('console', (m) => {
    if (m.type() === 'error') finding(who, current, `console: ${m.text().slice(0, 200)}`);
  });
  page.on('pageerror', (e) => finding(who, current, `script error: ${e.message.slice(0, 200)}`));
  if (user) await signIn(page, user);

  const queue = only ? [...only] : (user ? ['/'] : ['/', '/login', '/apply', '/status']).map((p) => BASE + p);
  const seen = new Set(queue.map((u) => u.split('#')[0]));
  const perPattern = new Map();
  const pages = [];
  let links = 0;
  let downloads = 0;
  let getForms = 0;
  let postForms = 0;

  const enqueue = (href, from) => {
    let u;
    try {
      u = new URL(href, from);
    } catch {
      return;
    }
    if (u.origin !== ORIGIN) return;
    u.hash = '';
    if (NOT_FOLLOWED.some((r) => r.test(u.pathname))) return;
    const s = u.toString();
    links += 1;
    if (seen.has(s)) return;
    const p = pattern(s);
    const n = perPattern.get(p) || 0;
    if (n >= PER_PATTERN) return;
    perPattern.set(p, n + 1);
    seen.add(s);
    queue.push(s);
  };

  while (queue.length > 0 && pages.length < MAX_PAGES) {
    const target = queue.shift();
    const path = new URL(target).pathname;
    current = target;
    if (DOWNLOAD.some((r) => r.test(path))) {
      const r = await context.request.get(target, { maxRedirects: 5 });
      downloads += 1;
      if (r.status() >= 400) finding(who, target, `download answers HTTP ${r.status()}`);
      continue;
    }
    let response;
    try {
      response = await page.goto(target, { waitUntil: 'load' });
    } catch (e) {
      if (/Download is starting/.test(e.message)) {
        const r = await context.request.get(target, { maxRedirects: 5 });
        downloads += 1;
        if (r.status() >= 400) finding(who, target, `download answers HTTP ${r.status()}`);
      } else {
        finding(who, target, `navigation failed: ${e.message.split('\n')[0]}`);
      }
      continue;
    }
    const status = response ? response.status() : 0;
    if (status >= 400 || status === 0) {
      finding(who, target, `answers HTTP ${status}`);
      continue;
    }
    const type = (response.headers()['content-type'] || '').split(';')[0];
    if (type !== 'text/html') {
      downloads += 1;
      continue;
    }
    pages.push(page.url());
    const wide = await page.evaluate(overflow);
    if (wide) {
      finding(who, target, `${wide.doc} px wide in a ${wide.width} px viewport: ${wide.wide.join(', ')}`);
    }
    if (lang === 'zh') {
      for (const [where, text] of await page.evaluate(visibleTexts)) {
        const problem = chineseTextProblem(text);
        if (problem) finding(who, target, `${problem} in ${where}: ${JSON.stringify(text.trim().slice(0, 80))}`);
      }
    }
    if (SHOTS && width < 500) await screenshot(page, who);
    if (only) continue;
    const found = await page.evaluate(linksAndForms);
    for (const href of found.links) enqueue(href, page.url());
    for (const f of found.forms) {
      if (f.method === 'get') {
        getForms += 1;
        const u = new URL(f.action);
        u.search = f.query;
        enqueue(u.toString(), page.url());
      } else {
        postForms += 1;
      }
    }
  }
  await context.close();
  figures.push({ who, pages: pages.length, links, downloads, getForms, postForms });
  return pages;
}

// Five pages at phone width, for the docs: the first page of each shape, in Chinese.
const SHOT_PAGES = [
  ['home', /^clerk\/zh/, /^\/$/],
  ['case', /^[a-z]+\/zh/, /^\/cases\/\d+$/],
  ['household', /^[a-z]+\/zh/, /^\/households\/\d+$/],
  ['alert', /^county\/zh/, /^\/alerts\/\d+$/],
  ['intake', /^clerk\/zh/, /^\/intake$/],
];
const shot = new Set();
async function screenshot(page, who) {
  const path = new URL(page.url()).pathname;
  for (const [name, whoRe, pathRe] of SHOT_PAGES) {
    if (!shot.has(name) && whoRe.test(who) && pathRe.test(path)) {
      shot.add(name);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `phone-${name}.png`), fullPage: true });
    }
  }
}

async function main() {
  const users = readUsers(env('JIUZHU_USERS'));
  for (const u of users) USER_NAMES.add(u.name);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
  const started = Date.now();
  for (const user of [null, ...users]) {
    for (const lang of ['zh', 'en']) {
      const pages = await crawl(browser, user, lang, 1366);
      await crawl(browser, user, lang, 390, pages);
    }
  }
  await browser.close();

  const lines = ['| who / language / width | pages | links followed | downloads | GET forms sent | POST forms seen |', '|---|---|---|---|---|---|'];
  for (const f of figures) {
    lines.push(`| ${f.who} | ${f.pages} | ${f.links} | ${f.downloads} | ${f.getForms} | ${f.postForms} |`);
  }
  const total = figures.reduce((a, f) => a + f.pages, 0);
  console.log(lines.join('\n'));
  console.log(`crawl: ${total} pages in ${((Date.now() - started) / 1000).toFixed(0)} s, ${findings.length} finding(s)`);
  if (REPORT) writeFileSync(REPORT, `${lines.join('\n')}\n`);
  if (findings.length > 0) {
    // One line per finding, the same finding on many pages of one shape once.
    const once = new Map();
    for (const f of findings) {
      const key = `${f.who.replace(/\/\d+$/, '')} ${pattern(ORIGIN + f.url)} ${f.what}`;
      if (!once.has(key)) once.set(key, f);
    }
    for (const f of once.values()) console.error(`FINDING ${f.who} ${f.url}: ${f.what}`);
    console.error(`crawl: FAILED with ${findings.length} finding(s) (${once.size} distinct)`);
    process.exit(1);
  }
  console.log('crawl: PASS');
}

main().catch((e) => {
  console.error(`crawl: ${e.stack || e}`);
  process.exit(1);
});
