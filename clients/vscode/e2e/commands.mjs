// End-to-end test (run-e2e.mjs): the extension's commands. The status bar menu pauses and resumes
// completions; Run Doctor reports with the editor's settings; Restart Server (twice) comes back
// with the configured server; Explain (palette, code action) shows the answer beside the code.

import { codeAction, cursorOnLine, editorText, framesShow, runCommand, statusIcon, statusItem, waitFor, waitReady } from './lib.mjs';

export async function commandSteps({ run, page, goldcrest }) {
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
    await codeAction(page, run, 'Goldcrest: Explain', '15-explain-code-action');
    await previewTab.waitFor({ state: 'visible', timeout: 45000 });
    await waitFor('explanation shown again', () => framesShow(page, 'adds each value'), 45000, 500);
    await run.shot('16-explain-from-code-action');
    await page.locator('.editor-instance .view-line', { hasText: 'def mean(values):' }).first().click();
    await runCommand(page, 'View: Close Editors in Other Groups');
  });
}
