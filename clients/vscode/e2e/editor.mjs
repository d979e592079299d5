// The editor the end-to-end test (run-e2e.mjs) drives, set up the way a user has it: a workspace
// with the fixtures, a throw-away HOME and a PATH without any goldcrest, the scripted fake Ollama,
// code-server with the extension installed and goldcrest.serverPath set, Chromium on its workbench.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { SettingsFile, freePort, log, waitFor, which } from './lib.mjs';

/** PATH without any folder that holds a goldcrest: the editor must find the server otherwise. */
function scrubbedPath(pathEnv, nodeBinDir) {
  const dirs = (pathEnv || '').split(':').filter((d) => d && !fs.existsSync(path.join(d, 'goldcrest')));
  return [nodeBinDir, ...dirs].join(':');
}

async function startFakeOllama(run, cfg) {
  const fake = run.start('fake-ollama', cfg.python, [
    path.resolve(cfg.root, '..', '..', 'tests', 'fake_ollama.py'),
    '--port', '0',
    '--rules', path.resolve(cfg.root, '..', 'testing', 'rules.json'),
    '--model', 'qwen2.5-coder:1.5b',
    '--log', path.join(run.tmp, 'fake-ollama-requests.jsonl'),
    '--lifetime', String(cfg.totalTimeoutS + 60),
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

/** The user's settings before the first start: the fake Ollama, and a quiet, predictable editor. */
function initialSettings(goldcrest, fakeUrl) {
  return {
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
}

/**
 * Set up and open the editor (cfg: here, root, codeServer, nodeBinDir, chromiumPath, python,
 * vsix, totalTimeoutS, goldcrest); the browser goes to run.browser, the page to run.page.
 * Returns the context the steps take, and the page errors seen so far (the list grows).
 */
export async function openEditor(run, cfg) {
  const { goldcrest, python } = cfg;
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
  fs.copyFileSync(path.join(cfg.here, 'fixtures', 'sample.py.in'), path.join(ws, 'sample.py'));
  fs.copyFileSync(path.join(cfg.here, 'fixtures', 'convert.py.in'), path.join(ws, 'convert.py'));
  fs.copyFileSync(path.join(cfg.here, 'fixtures', 'palindrome.py'), path.join(ws, 'palindrome.py'));

  const env = { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), PATH: scrubbedPath(process.env.PATH, cfg.nodeBinDir) };
  const onPath = which('goldcrest', env);
  if (onPath) {
    throw new Error(`goldcrest is still on the editor's PATH (${onPath}); the test needs it outside`);
  }
  log(`server: ${goldcrest} (not on the editor's PATH: ${env.PATH})`);

  const fakeUrl = await startFakeOllama(run, cfg);
  log(`fake Ollama at ${fakeUrl}`);

  const settings = new SettingsFile(path.join(userData, 'User', 'settings.json'));
  settings.write(initialSettings(goldcrest, fakeUrl));

  const csArgs = ['--user-data-dir', userData, '--extensions-dir', extDir];
  log('installing the extension into code-server');
  const inst = spawnSync(cfg.codeServer, [...csArgs, '--install-extension', cfg.vsix], { env, encoding: 'utf8', timeout: 120000 });
  if (inst.status !== 0 || !/successfully installed/i.test(inst.stdout + inst.stderr)) {
    throw new Error(`--install-extension failed (${inst.status}): ${inst.stdout}\n${inst.stderr}`);
  }
  log(inst.stdout.trim().split('\n').pop());

  const port = await freePort();
  run.start('code-server', cfg.codeServer, [
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

  run.browser = await chromium.launch({
    executablePath: cfg.chromiumPath,
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await run.browser.newContext({ viewport: { width: 1440, height: 900 } });
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

  return { ctx: { run, page, ws, home, settings, goldcrest, python }, pageErrors };
}
