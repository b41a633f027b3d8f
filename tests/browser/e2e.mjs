#!/usr/bin/env node
// Real-browser end-to-end test for jiuzhu: drives Debian's /usr/bin/chromium through
// playwright-core (no browser download) against a running `jiuzhu serve`.
//
// Environment:
//   JIUZHU_URL          base URL of the running server, e.g. http://127.0.0.1:8080
//   JIUZHU_USER         user name of a window clerk whose scope covers the demo data
//   JIUZHU_PASSWORD     that user's password
//   JIUZHU_SEARCH_NAME  a member's full name that exists in the demo data
//   JIUZHU_OFFICER, JIUZHU_OFFICER_PASSWORD  a user who works alerts (county approver)
//   JIUZHU_APPLICANT_ID  the ID number of a household head, for the intake flow
//   JIUZHU_CHROMIUM     (optional) browser executable, default /usr/bin/chromium
//   JIUZHU_E2E_TIMEOUT_MS (optional) per-action timeout, default 15000
//   JIUZHU_E2E_HEADED   (optional) set to 1 to watch the browser (needs a display)
//
// Exit code 0 = every step passed; 1 = a step failed (the message says which and why);
// 2 = bad usage. Usually run through scripts/browser-test.sh.

import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MASKED_ID = /^\d{6}\*{8}\d{3}[\dX]$/;
const FULL_ID = /^\d{17}[\dX]$/;

function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    console.error(`e2e: environment variable ${name} is required`);
    process.exit(2);
  }
  return v;
}

const BASE = env('JIUZHU_URL').replace(/\/+$/, '');
const USER = env('JIUZHU_USER');
const PASSWORD = env('JIUZHU_PASSWORD');
const SEARCH_NAME = env('JIUZHU_SEARCH_NAME');
const OFFICER = env('JIUZHU_OFFICER');
const OFFICER_PASSWORD = env('JIUZHU_OFFICER_PASSWORD');
const APPLICANT_ID = env('JIUZHU_APPLICANT_ID');
const CHROMIUM = env('JIUZHU_CHROMIUM', '/usr/bin/chromium');
const TIMEOUT = Number(env('JIUZHU_E2E_TIMEOUT_MS', '15000'));
const HEADED = env('JIUZHU_E2E_HEADED', '0') === '1';
const SCREENSHOT = join(process.env.TMPDIR || tmpdir() || '/tmp', 'jiuzhu-e2e-household.png');

const url = (path) => new URL(path, BASE + '/').toString();

class StepFailure extends Error {}

/** Fails the current step with `message` unless `cond` holds. */
function check(cond, message) {
  if (!cond) throw new StepFailure(message);
}

let page; // the one page the whole flow runs in
const serverErrors = []; // responses with status >= 500
const pageErrors = []; // uncaught page exceptions and console errors

let stepNo = 0;
/** Runs one named step; on failure prints diagnostics and exits 1. */
async function step(name, fn) {
  stepNo += 1;
  const label = `[${stepNo}] ${name}`;
  console.log(`${label} ...`);
  const started = Date.now();
  // Each action inside a step has its own TIMEOUT; the whole step gets a few of them.
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new StepFailure(`step took longer than ${(4 * TIMEOUT) / 1000} s`)),
      4 * TIMEOUT,
    );
  });
  try {
    await Promise.race([fn(), guard]);
  } catch (err) {
    clearTimeout(timer);
    await fail(label, err);
  }
  clearTimeout(timer);
  console.log(`${label} ok (${Date.now() - started} ms)`);
}

async function fail(label, err) {
  console.error('');
  console.error(`FAIL ${label}`);
  console.error(`  ${err instanceof StepFailure ? err.message : err?.stack || err}`);
  if (page) {
    let text = '';
    try {
      text = await page.innerText('body', { timeout: 2000 });
    } catch (e) {
      text = `(could not read page text: ${e.message.split('\n')[0]})`;
    }
    console.error(`  page URL: ${page.url()}`);
    try {
      console.error(`  page title: ${await page.title()}`);
    } catch {
      /* page gone */
    }
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 1200);
    console.error(`  page text: ${snippet || '(empty)'}`);
    try {
      const failShot = SCREENSHOT.replace(/\.png$/, '-failure.png');
      await page.screenshot({ path: failShot, fullPage: true, timeout: 5000 });
      console.error(`  screenshot: ${failShot}`);
    } catch {
      /* best effort */
    }
  }
  for (const e of serverErrors) console.error(`  server error: ${e}`);
  for (const e of pageErrors) console.error(`  page error: ${e}`);
  await closeBrowser();
  process.exit(1);
}

let browser;
async function closeBrowser() {
  if (browser) {
    const b = browser;
    browser = undefined;
    await b.close().catch(() => {});
  }
}

/** Clicks `selector` and waits for the main frame to load the next document (after redirects). */
async function clickAndLoad(selector) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: TIMEOUT }),
    page.click(selector, { timeout: TIMEOUT }),
  ]);
  if (response) {
    check(response.status() < 500, `${selector}: server answered HTTP ${response.status()} for ${response.url()}`);
  }
  return response;
}

/** Navigates to `path` and returns the final response. */
async function visit(path) {
  const response = await page.goto(url(path), { waitUntil: 'load', timeout: TIMEOUT });
  check(response, `no response for ${path}`);
  check(response.status() < 500, `GET ${path}: HTTP ${response.status()}`);
  return response;
}

const pathname = () => new URL(page.url()).pathname;

/** The trimmed text of every element matching `selector`. */
async function texts(selector) {
  return (await page.locator(selector).allInnerTexts()).map((t) => t.trim());
}

async function expectVisible(selector, what) {
  try {
    await page.locator(selector).first().waitFor({ state: 'visible', timeout: TIMEOUT });
  } catch {
    throw new StepFailure(`${what}: no visible element matches ${selector}`);
  }
}

async function expectPresent(selector, what) {
  const n = await page.locator(selector).count();
  check(n > 0, `${what}: no element matches ${selector}`);
}

function checkAllMasked(ids, where) {
  check(ids.length > 0, `${where}: no td.id-number cells`);
  const bad = ids.filter((t) => !MASKED_ID.test(t));
  check(
    bad.length === 0,
    `${where}: ${bad.length} of ${ids.length} td.id-number cells are not masked ` +
      `(want ${MASKED_ID}), e.g. ${JSON.stringify(bad.slice(0, 3))}`,
  );
}

async function main() {
  rmSync(SCREENSHOT.replace(/\.png$/, '-failure.png'), { force: true });
  check(existsSync(CHROMIUM), `browser not found at ${CHROMIUM} (apt-get install -y chromium)`);
  console.log(`e2e: base URL ${BASE}, user ${USER}, search name ${SEARCH_NAME}, browser ${CHROMIUM}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: !HEADED,
    args: [
      ...(HEADED ? [] : ['--headless']),
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  console.log(`e2e: chromium ${browser.version()}`);
  const context = await browser.newContext({
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1280, height: 900 },
  });
  page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.setDefaultNavigationTimeout(TIMEOUT);
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    // Failed loads show up as HTTP statuses already (expected 401s, a missing favicon): skip them.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      pageErrors.push(`console: ${m.text()}`);
    }
  });

  // a. Sign-in --------------------------------------------------------------------------
  await step('GET / without a session redirects to /login', async () => {
    const response = await visit('/');
    check(pathname() === '/login', `expected to land on /login, landed on ${page.url()}`);
    check(response.request().redirectedFrom() !== null, 'GET / was not redirected (no 3xx in the chain)');
    await expectVisible('input#username', 'login page');
    await expectVisible('input#password', 'login page');
    await expectVisible('button#login', 'login page');
  });

  await step('a wrong password shows .error and stays on /login', async () => {
    await page.fill('input#username', USER);
    await page.fill('input#password', `${PASSWORD}-wrong-e2e`);
    await clickAndLoad('button#login');
    check(pathname() === '/login', `expected to stay on /login, got ${page.url()}`);
    await expectVisible('.error', 'login page after a wrong password');
    const err = (await page.locator('.error').first().innerText()).trim();
    check(err.length > 0, '.error is empty');
    console.log(`    error shown: ${err}`);
    await expectVisible('input#username', 'login page after a wrong password');
    await expectVisible('input#password', 'login page after a wrong password');
  });

  await step('the right password signs in', async () => {
    await page.fill('input#username', USER);
    await page.fill('input#password', PASSWORD);
    await clickAndLoad('button#login');
    check(pathname() !== '/login', `still on the sign-in page after the right password: ${page.url()}`);
    check((await page.locator('input#password').count()) === 0, 'a password field is still shown after sign-in');
  });

  // b. Home page navigation ------------------------------------------------------------
  await step('home page links to /households via a#nav-households', async () => {
    await expectVisible('a#nav-households', 'home page');
    const href = await page.getAttribute('a#nav-households', 'href');
    check(href !== null, 'a#nav-households has no href');
    check(new URL(href, page.url()).pathname === '/households', `a#nav-households href is ${href}, want /households`);
    await clickAndLoad('a#nav-households');
    check(pathname() === '/households', `expected /households, got ${page.url()}`);
  });

  // c. Search --------------------------------------------------------------------------
  let householdUrl;
  await step(`search households for "${SEARCH_NAME}"; ID numbers are masked`, async () => {
    await expectVisible('form#search', 'households page');
    await expectVisible('form#search input#q', 'households page');
    await expectVisible('form#search button#search-btn', 'households page');
    await page.fill('input#q', SEARCH_NAME);
    await clickAndLoad('button#search-btn');
    await expectVisible('table#results', 'search results');
    const rows = page.locator('table#results tr.household');
    const n = await rows.count();
    check(n > 0, `no tr.household rows in table#results for "${SEARCH_NAME}"`);
    console.log(`    ${n} household row(s)`);
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      check((await row.locator('a.household-link').count()) > 0, `row ${i + 1} has no a.household-link`);
      check((await row.locator('td.id-number').count()) > 0, `row ${i + 1} has no td.id-number`);
    }
    checkAllMasked(await texts('table#results tr.household td.id-number'), 'search results');
    const bodyText = await page.innerText('body');
    check(bodyText.includes(SEARCH_NAME), `the results page does not show the searched name "${SEARCH_NAME}"`);
    await clickAndLoad('table#results tr.household a.household-link >> nth=0');
    check(/^\/households\/\d+\/?$/.test(pathname()), `expected /households/ID, got ${page.url()}`);
    householdUrl = page.url();
  });

  // d. Household page: masked members, reveal -----------------------------------------
  let maskedOnPage = [];
  await step('household page shows members with masked ID numbers', async () => {
    await expectVisible('section#members', 'household page');
    await expectPresent('section#members table', 'household page');
    const ids = await texts('section#members td.id-number');
    checkAllMasked(ids, 'section#members');
    maskedOnPage = await texts('td.id-number');
    console.log(`    ${ids.length} member ID number(s), all masked`);
  });

  await step('form.reveal reveals one full ID number', async () => {
    await expectVisible('form.reveal', 'household page');
    const submit = page
      .locator('form.reveal')
      .first()
      .locator('button:not([type]), button[type=submit], input[type=submit]')
      .first();
    check((await submit.count()) > 0, 'the first form.reveal has no submit button');
    check(
      !(await page.locator('.revealed').first().isVisible()),
      'a .revealed element is visible before anything was revealed',
    );
    // The reveal may be a full form post (new document) or done in place; wait for the result either way.
    await submit.click();
    const revealed = page.locator('.revealed').first();
    try {
      await revealed.waitFor({ state: 'visible', timeout: TIMEOUT });
    } catch {
      throw new StepFailure('no visible .revealed element after submitting form.reveal');
    }
    await page.waitForLoadState('load');
    const full = (await revealed.innerText()).trim();
    check(FULL_ID.test(full), `.revealed text ${JSON.stringify(full)} is not a full 18-character ID number`);
    const asMasked = `${full.slice(0, 6)}********${full.slice(14)}`;
    check(
      maskedOnPage.includes(asMasked),
      `revealed number ${full.slice(0, 6)}…${full.slice(14)} matches none of the masked numbers on the page ` +
        `${JSON.stringify(maskedOnPage.slice(0, 5))}`,
    );
    check(/^\/households\/\d+/.test(pathname()), `expected to stay on /households/ID…, got ${page.url()}`);
    console.log(`    revealed ${full.slice(0, 6)}********${full.slice(14)} (full number shown)`);
  });

  // e. Edit the address ---------------------------------------------------------------
  const newAddress = `E2E测试路${Date.now()}号`;
  await step(`edit the address to "${newAddress}"`, async () => {
    await expectVisible('a#edit-household', 'household page');
    await clickAndLoad('a#edit-household');
    await expectVisible('form#household-form', 'edit page');
    await expectVisible('form#household-form input#address', 'edit page');
    await page.fill('input#address', newAddress);
    await clickAndLoad('button#save');
    check(/^\/households\/\d+\/?$/.test(pathname()), `expected to land on /households/ID after saving, got ${page.url()}`);
    check(
      new URL(page.url()).pathname.replace(/\/$/, '') === new URL(householdUrl).pathname.replace(/\/$/, ''),
      `landed on ${page.url()}, not the edited household ${householdUrl}`,
    );
    await expectVisible('#address-value', 'household page after saving');
    const shown = (await page.innerText('#address-value')).trim();
    check(shown.includes(newAddress), `#address-value shows ${JSON.stringify(shown)}, want ${JSON.stringify(newAddress)}`);
  });

  // f. Audit trail --------------------------------------------------------------------
  await step('audit trail lists household.update and sensitive.reveal', async () => {
    await expectVisible('section#audit-trail', 'household page');
    const rows = await page.locator('section#audit-trail tr.audit-row').count();
    check(rows > 0, 'section#audit-trail has no tr.audit-row rows');
    const actions = await page
      .locator('section#audit-trail tr.audit-row td.action')
      .evaluateAll((cells) => cells.map((c) => c.dataset.action));
    check(actions.includes('household.update'), `no td.action "household.update" among ${JSON.stringify(actions)}`);
    check(actions.includes('sensitive.reveal'), `no td.action "sensitive.reveal" among ${JSON.stringify(actions)}`);
    const said = await texts('section#audit-trail tr.audit-row td.action');
    check(said.includes('修改家庭信息') && said.includes('查看敏感信息'),
      `the audit trail names its actions in Chinese: ${JSON.stringify(said)}`);
    console.log(`    ${rows} audit row(s): ${[...new Set(actions)].join(', ')}`);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`    screenshot: ${SCREENSHOT}`);
  });

  // g. A field error keeps the form and the typed value -------------------------------
  await step('an invalid bank account shows .field-error and keeps the input', async () => {
    await clickAndLoad('a#edit-household');
    await expectVisible('form#household-form', 'edit page');
    await expectVisible('input#bank_account', 'edit page');
    await page.fill('input#bank_account', 'abc');
    await clickAndLoad('button#save');
    await expectVisible('form#household-form', 'page after saving an invalid bank account (should stay on the form)');
    await expectVisible('.field-error', 'page after saving an invalid bank account');
    const msg = (await page.locator('.field-error').first().innerText()).trim();
    check(msg.length > 0, '.field-error is empty');
    console.log(`    field error: ${msg}`);
    const kept = await page.inputValue('input#bank_account');
    check(kept === 'abc', `#bank_account holds ${JSON.stringify(kept)} after the failed save, want "abc"`);
  });

  await step('the invalid edit was not saved', async () => {
    await visit(householdUrl);
    await expectVisible('#address-value', 'household page');
    const shown = (await page.innerText('#address-value')).trim();
    check(shown.includes(newAddress), `#address-value shows ${JSON.stringify(shown)}, want ${JSON.stringify(newAddress)}`);
  });

  // h. Sign out -----------------------------------------------------------------------
  await step('sign out; /households then redirects to /login', async () => {
    await expectVisible('form#logout button', 'page header');
    await clickAndLoad('form#logout button');
    await visit('/households');
    check(pathname() === '/login', `GET /households after signing out landed on ${page.url()}, want /login`);
    await expectVisible('input#username', 'login page after signing out');
  });

  // i. An alert's life: inbox → assigned → investigating → closed ----------------------
  let alertUrl;
  await step('the officer signs in and the alert inbox lists masked alerts', async () => {
    await visit('/login');
    await page.fill('input#username', OFFICER);
    await page.fill('input#password', OFFICER_PASSWORD);
    await clickAndLoad('button#login');
    check(pathname() !== '/login', `officer sign-in failed: ${page.url()}`);
    await clickAndLoad('a#nav-alerts');
    check(pathname() === '/alerts', `nav-alerts led to ${page.url()}`);
    const rows = await page.locator('table#alerts tr.alert-row.status-new').count();
    check(rows > 0, 'no new alerts in the inbox (the demo raises some for 2026-10)');
    const subjects = await texts('table#alerts tr.alert-row td.subject');
    const unmasked = subjects.filter((t) => FULL_ID.test(t.trim()));
    check(unmasked.length === 0, `unmasked ID numbers in the inbox: ${JSON.stringify(unmasked.slice(0, 3))}`);
    console.log(`    ${rows} new alert(s) on the first page`);
  });

  await step('select all (a script the Content Security Policy lets run) ticks and clears every alert', async () => {
    const boxes = page.locator('table#alerts input.pick');
    const n = await boxes.count();
    check(n > 0, 'no alert boxes to tick');
    await page.locator('input#select-all').check();
    const ticked = await page.locator('table#alerts input.pick:checked').count();
    check(ticked === n, `select all ticked ${ticked} of ${n} boxes`);
    await page.locator('input#select-all').uncheck();
    const left = await page.locator('table#alerts input.pick:checked').count();
    check(left === 0, `clearing select all left ${left} boxes ticked`);
  });

  await step('bulk-assign the first new alert to the officer', async () => {
    const first = page.locator('table#alerts tr.alert-row.status-new').first();
    const id = await first.getAttribute('data-id');
    alertUrl = `/alerts/${id}`;
    await first.locator('input.pick').check();
    await page.selectOption('select#bulk-assignee', OFFICER);
    await clickAndLoad('button#bulk-assign-submit');
    await expectVisible('p#message', 'inbox after assigning');
    const row = page.locator(`table#alerts tr.alert-row[data-id="${id}"]`);
    if ((await row.count()) > 0) {
      const assignee = (await row.locator('td.assignee').innerText()).trim();
      check(assignee === OFFICER, `assignee shows ${JSON.stringify(assignee)}, want ${OFFICER}`);
    }
  });

  await step('open the alert, start the investigation, close it as a false alarm', async () => {
    await visit(alertUrl);
    const status = (await page.innerText('#alert-status')).trim();
    check(status.length > 0, 'no #alert-status');
    await expectVisible('section#prescription', 'alert page (the household\'s prescription)');
    await clickAndLoad('form#investigate-form button');
    await expectVisible('form#close-form', 'alert page while investigating');
    await page.selectOption('form#close-form select[name=outcome]', 'false_alarm');
    await page.fill('form#close-form textarea[name=note]', '入户核实：费用已由商业保险报销');
    await clickAndLoad('form#close-form button');
    const cls = await page.getAttribute('#alert-status', 'class');
    check(cls === 'status-closed', `#alert-status class is ${cls}, want status-closed`);
    const outcome = (await page.innerText('#alert-outcome')).trim();
    check(outcome.includes('入户核实'), `#alert-outcome shows ${JSON.stringify(outcome)}`);
    const steps = await page.locator('table#alert-history td.action[data-action="alert.advance"]').allInnerTexts();
    check(steps.length >= 3 && steps.every((t) => t.trim() === '预警办理'),
      `the history lacks the three steps, said in Chinese: ${JSON.stringify(steps)}`);
  });

  await step('the rule page counts the closed false alarm', async () => {
    await clickAndLoad('a#nav-rules');
    const closed = (await texts('table#rule-stats td.closed')).map((t) => Number(t.trim()));
    const falses = (await texts('table#rule-stats td.false-alarms')).map((t) => Number(t.trim()));
    check(closed.reduce((a, b) => a + b, 0) >= 1, `no closed alert in the rule statistics: ${closed}`);
    check(falses.reduce((a, b) => a + b, 0) >= 1, `no false alarm in the rule statistics: ${falses}`);
    await page.screenshot({ path: SCREENSHOT.replace(/household/, 'rules'), fullPage: true });
  });

  // j. One application from intake to decision, across two roles ----------------------
  async function signInAs(user, password) {
    await visit('/login');
    if (pathname() !== '/login') {
      await clickAndLoad('form#logout button');
      await visit('/login');
    }
    await page.fill('input#username', user);
    await page.fill('input#password', password);
    await clickAndLoad('button#login');
    check(pathname() !== '/login', `sign-in as ${user} failed: ${page.url()}`);
  }
  let caseUrl;
  await step('the clerk takes a near-dibao application before the household signed its authorisation', async () => {
    await signInAs(USER, PASSWORD);
    await clickAndLoad('a#nav-intake');
    await page.fill('input#lookup-id', APPLICANT_ID);
    await clickAndLoad('button#lookup');
    await expectVisible('section#intake-household', 'intake page after the lookup');
    for (const box of await page.locator('table#proposals input[name=program]').all()) await box.uncheck();
    await page.check('tr.proposal[data-program="dibao_edge"] input[name=program]');
    await clickAndLoad('button#take-application');
    check(/^\/applications\/\d+$/.test(pathname()), `taking the application led to ${page.url()}`);
    await expectVisible('ol#one-time-notice li', 'application page (one-time notice)');
    await clickAndLoad('tr.item[data-program="dibao_edge"] a.item-link');
    caseUrl = pathname();
    console.log(`    application ${(await page.innerText('h1')).trim()} → ${caseUrl}`);
  });

  await step('acceptance waits for the authorisation; recording it from the case page unblocks it', async () => {
    await expectVisible('li.step-current[data-step="accept"]', 'case page');
    await expectVisible('div#authorisation-needed form#case-authorisation-form', 'case page before the authorisation');
    await clickAndLoad('button#complete-step');
    const refused = (await page.innerText('p#message')).trim();
    check(/授权书/.test(refused), `acceptance without the authorisation should say so in Chinese, got ${JSON.stringify(refused)}`);
    check(!/[A-Za-z]{4,} [A-Za-z]{3,}/.test(refused), `the refusal is in English: ${JSON.stringify(refused)}`);
    await expectVisible('li.step-current[data-step="accept"]', 'case page after the refusal');
    await page.fill('form#case-authorisation-form input[name=signer_name]', '户主');
    await page.setInputFiles('form#case-authorisation-form input[name=scan]', {
      name: 'authorisation.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 signed authorisation'),
    });
    await clickAndLoad('button#record-authorisation');
    check(pathname() === caseUrl, `recording the authorisation led to ${page.url()}, want the case ${caseUrl}`);
    check((await page.locator('div#authorisation-needed').count()) === 0, 'the case still asks for the authorisation');
  });

  await step('a step cannot be skipped; accept, investigate, verify, review', async () => {
    await expectVisible('li.step-current[data-step="accept"]', 'case page');
    await clickAndLoad('button#complete-step');
    await expectVisible('li.step-current[data-step="investigate"]', 'case page after acceptance');
    await clickAndLoad('button#complete-step');
    await expectVisible('p#message', 'an empty investigation is returned with what is missing');
    for (const name of ['living', 'income', 'property', 'expenditure', 'health', 'housing']) {
      await page.fill(`input[name=area_${name}]`, '已入户核实');
    }
    await page.fill('input[name=staff]', '张三、李四');
    await page.setInputFiles('input[name=photo]', { name: 'home.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) });
    await clickAndLoad('button#complete-step');
    await expectVisible('li.step-current[data-step="verify"]', 'case page after the investigation');
    await clickAndLoad('button#complete-step');
    const refused = (await page.innerText('p#message')).trim();
    check(refused.includes('verification'), `verify without a report should be refused, got ${JSON.stringify(refused)}`);
    await clickAndLoad('section#current-step a[href$="/verification"]');
    await clickAndLoad('form#verify-form button');
    check(/^\/verification\/\d+$/.test(pathname()), `verification led to ${page.url()}`);
    await visit(caseUrl);
    await clickAndLoad('button#complete-step');
    await expectVisible('li.step-current[data-step="review"]', 'case page after verification');
    await page.fill('textarea[name=opinion]', '审核同意');
    await clickAndLoad('button#complete-step');
    await expectVisible('li.step-current[data-step="approve"]', 'case page after review');
    check((await page.locator('button#complete-step').count()) === 0, 'a window clerk must not see the approval button');
  });

  await step('the approver approves and decides; the decision document is produced', async () => {
    await signInAs(OFFICER, OFFICER_PASSWORD);
    await visit(caseUrl);
    await page.fill('textarea[name=opinion]', '同意纳入低保边缘家庭');
    await clickAndLoad('button#complete-step');
    await expectVisible('li.step-current[data-step="decide"]', 'case page after approval');
    await clickAndLoad('button#complete-step');
    const status = await page.locator('#case-status').getAttribute('data-status');
    check(status === 'approved', `#case-status is ${JSON.stringify(status)}, want approved`);
    const said = (await page.innerText('#case-status')).trim();
    check(said === '已批准', `#case-status says ${JSON.stringify(said)}, want 已批准`);
    await clickAndLoad('ul#documents a.document[href$="/decision"]');
    const title = (await page.innerText('#document-title')).trim();
    check(title.includes('审批决定书'), `document title ${JSON.stringify(title)}`);
    const body = await page.innerText('body');
    check(/SHA-256/.test(body), 'the decision does not cite its receipt');
    if (process.env.JIUZHU_SHOTS) {
      // The decided case at phone width, for the docs.
      await page.setViewportSize({ width: 390, height: 844 });
      await visit(caseUrl);
      await page.screenshot({ path: join(process.env.JIUZHU_SHOTS, 'phone-case.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  await step('the approver uploads a roster at /import; the report counts it and names the refused row', async () => {
    // Signed in as the county approver since the last step.
    const first17 = '33032619750505033';
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
    const idNumber = first17 + '10X98765432'[sum % 11];
    const dir = mkdtempSync(join(process.env.TMPDIR || tmpdir() || '/tmp', 'jiuzhu-e2e-roster-'));
    try {
      writeFileSync(join(dir, 'households.csv'),
        'household_id,region_code,hukou\nE2E0000001,330326100013,urban\nE2E0000002,330326999999,rural\n');
      writeFileSync(join(dir, 'persons.csv'), `id_number,household_id,name\n${idNumber},E2E0000001,测试甲\n`);
      await visit('/import');
      await page.setInputFiles('input[name=households]', join(dir, 'households.csv'));
      await page.setInputFiles('input[name=persons]', join(dir, 'persons.csv'));
      await clickAndLoad('form#roster-import button[type=submit]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const added = (await page.innerText('#households-added')).trim();
    check(added === '1', `#households-added is ${JSON.stringify(added)}, want 1`);
    const refused = await texts('#refused-rows li');
    check(refused.length === 1 && refused[0].startsWith('households.csv:3: region_code:'),
      `refused rows ${JSON.stringify(refused)}`);
  });

  await step('no page raised a script error or broke the Content Security Policy', async () => {
    check(pageErrors.length === 0, `${pageErrors.length} page error(s): ${JSON.stringify(pageErrors.slice(0, 5))}`);
  });

  await closeBrowser();
  console.log(`\nPASS: all ${stepNo} steps passed`);
}

process.on('unhandledRejection', async (err) => {
  await fail('(unhandled)', err);
});

main().catch((err) => fail('(setup)', err));
