// The end-to-end test's embedded-model part: the same editor, switched to backend "embedded" (the
// real Qwen2.5-Coder-1.5B in the server process). Only what does not depend on the model's exact
// words is checked: the first start shows the model loading in the status bar, ghost text from
// the model is accepted (and counted) and the file is still valid Python, list bugs and fix
// complete (a fix is applied and parses, or is withheld with a reason and leaves the file alone).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { acceptCounted, cursorOnLine, editorText, log, openFile, runCommand, statusItem, waitFor, waitReady } from './lib.mjs';

/** Seconds the model may take per step on a busy 2-core machine. */
const MODEL_STEP_S = Number(process.env.E2E_MODEL_STEP_S || 240);

function parses(python, file) {
  const r = spawnSync(python, ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', file], { encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr.trim().split('\n').pop();
}

/** The answers the extension logged for `command` ("[client] goldcrest.fix answered in N ms: {...}"). */
function answers(run, command) {
  const marker = `[client] ${command} answered in `;
  return run
    .goldcrestLog()
    .split('\n')
    .filter((l) => l.includes(marker))
    .map((l) => JSON.parse(l.slice(l.indexOf(': ', l.indexOf(marker)) + 2)));
}

export async function realModelSteps({ run, page, ws, settings, python }) {
  await run.step('the embedded model: the first start shows it loading in the status bar', async () => {
    // the embedded backend, one answer per request (no best-of-N, one list-bugs sample and no
    // corrected version, no repair round) and room for a busy 2-core machine; serverSettings
    // restarts the server
    await settings.update(page, {
      'goldcrest.backend': 'embedded',
      'goldcrest.ollama.host': undefined,
      'goldcrest.ollama.model': undefined,
      'goldcrest.completion.timeoutSeconds': 60,
      'goldcrest.completion.maxTokens': 48,
      // one llama.cpp thread: on 2 cores shared with other work, two threads wait on each other
      'goldcrest.embedded.threads': 1,
      'goldcrest.serverSettings': { actions: { best_of: 1, bug_samples: 1, bug_rewrites: 0, repair: false, max_tokens: 256, timeout_s: 200 } },
    });
    const item = statusItem(page);
    await waitFor('"loading model" in the status bar', async () => /loading model/.test(await item.innerText()), 30000, 100);
    await run.shot('20-embedded-model-loading');
    const t0 = Date.now();
    await waitReady(page, 'the embedded model ready', MODEL_STEP_S * 1000);
    log(`the embedded model was ready ${((Date.now() - t0) / 1000).toFixed(1)} s after "loading model" showed`);
    if (!/using backend embedded/.test(run.goldcrestLog())) {
      throw new Error('the server did not say it uses the embedded backend');
    }
    await run.shot('21-embedded-model-ready');
  });

  await run.step('the embedded model: ghost text appears, Tab accepts it, the file is valid Python', async () => {
    await openFile(page, 'convert.py');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('    return ', { delay: 40 });
    const ghost = page.locator('.ghost-text-decoration, .ghost-text, .ghost-text-decoration-preview');
    const ghostText = async () => (await ghost.allTextContents()).join('').replace(/\u00a0/g, ' ').trim();
    // asking again cancels the answer in progress, so only once, late
    let shown = await waitFor('ghost text from the model', ghostText, MODEL_STEP_S * 600, 300).catch(() => '');
    if (!shown) {
      log('no ghost text yet: asking again with Alt+\\');
      await page.keyboard.press('Alt+Backslash');
      shown = await waitFor('ghost text from the model', ghostText, MODEL_STEP_S * 400, 300).catch(() => '');
    }
    if (!shown) {
      throw new Error(`no ghost text from the embedded model within ${MODEL_STEP_S} s`);
    }
    log(`ghost text from the model: ${JSON.stringify(shown)}`);
    await run.shot('22-embedded-model-ghost-text');
    const firstWord = shown.split(/\s+/)[0];
    await page.keyboard.press('Tab');
    await waitFor('the suggestion in the editor', async () => (await editorText(page)).includes(`return ${firstWord}`), 10000);
    await acceptCounted(run, 'full', 2);
    await page.keyboard.press('Control+S');
    const file = path.join(ws, 'convert.py');
    await waitFor('convert.py saved', () => fs.readFileSync(file, 'utf8').includes(`return ${firstWord}`), 10000);
    const problem = parses(python, file);
    if (problem) {
      throw new Error(`the accepted suggestion left invalid Python (${problem}):\n${fs.readFileSync(file, 'utf8')}`);
    }
    await run.shot('23-embedded-model-ghost-text-accepted');
  });

  await run.step('the embedded model: List Bugs in File answers', async () => {
    await openFile(page, 'palindrome.py');
    const before = answers(run, 'goldcrest.listBugs').length;
    await runCommand(page, 'Goldcrest: List Bugs in File');
    await waitFor('goldcrest.listBugs to answer', () => answers(run, 'goldcrest.listBugs').length > before, MODEL_STEP_S * 1000, 1000);
    const result = answers(run, 'goldcrest.listBugs').pop();
    log(`list bugs answered: ${JSON.stringify(result)}`);
    if (!result || result.cancelled || typeof result.findings !== 'number') {
      throw new Error(`list bugs did not complete: ${JSON.stringify(result)}`);
    }
    await page.waitForTimeout(500); // let the diagnostics render
    await run.shot('24-embedded-model-bugs');
  });

  await run.step('the embedded model: Fix completes (applied and valid, or withheld with a reason)', async () => {
    const file = path.join(ws, 'palindrome.py');
    const original = fs.readFileSync(file, 'utf8');
    await cursorOnLine(page, 'return text == text[::1]');
    const before = answers(run, 'goldcrest.fix').length;
    await runCommand(page, 'Goldcrest: Fix');
    await waitFor('goldcrest.fix to answer', () => answers(run, 'goldcrest.fix').length > before, MODEL_STEP_S * 1000, 1000);
    const result = answers(run, 'goldcrest.fix').pop();
    log(`fix answered: ${JSON.stringify(result)}`);
    await page.waitForTimeout(500);
    await run.shot('25-embedded-model-fix');
    await page.keyboard.press('Control+S');
    if (result?.applied) {
      await waitFor('palindrome.py saved with the fix', () => fs.readFileSync(file, 'utf8') !== original, 10000);
      const problem = parses(python, file);
      if (problem) {
        throw new Error(`the applied fix is not valid Python (${problem}):\n${fs.readFileSync(file, 'utf8')}`);
      }
      log(`fixed file:\n${fs.readFileSync(file, 'utf8')}`);
    } else {
      // withheld for what the model answered, not because it never answered
      if (!result?.problem || /did not answer/.test(result.problem)) {
        throw new Error(`no fix from the model: ${JSON.stringify(result)}`);
      }
      await page.waitForTimeout(1000);
      if (fs.readFileSync(file, 'utf8') !== original) {
        throw new Error('the fix was withheld, yet the file changed');
      }
    }
  });
}
