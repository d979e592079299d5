// End-to-end test (run-e2e.mjs): Goldcrest's actions on code. A refactor code action applies its
// edit; List Bugs in File puts a diagnostic on the bug and its "Goldcrest: Fix" quick fix applies
// (the server counts each applied edit); the "with Strongest Model" commands send tier
// "strongest".

import fs from 'node:fs';
import path from 'node:path';

import { acceptCounted, codeAction, contextMenu, cursorOnLine, editorText, log, runCommand, waitFor } from './lib.mjs';

export async function codeActionSteps({ run, page, ws }) {
  await run.step('a Goldcrest code action applies its edit', async () => {
    // cursor inside `add`: the refactor.rewrite action "Goldcrest: Add docstring"
    await cursorOnLine(page, 'def add(a, b):');
    await codeAction(page, run, 'Goldcrest: Add docstring', '05-code-actions', 45000);
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
    await codeAction(page, run, 'Goldcrest: Fix', '08-quick-fix-menu');
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
}
