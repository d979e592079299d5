// End-to-end test (run-e2e.mjs): how the extension finds the server. The one goldcrest.serverPath
// names starts; without the setting it is not found and the message names every place searched;
// installed in pipx's venv, Retry finds it there; the setting set again wins at once.

import fs from 'node:fs';
import path from 'node:path';

import { openFile, statusIcon, statusItem, waitFor, waitReady } from './lib.mjs';

/** The first step: opening sample.py starts the server goldcrest.serverPath names. */
export async function serverStartsStep({ run, page, goldcrest }) {
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
}

/** The last scripted steps: the server without goldcrest.serverPath, then with it again. */
export async function serverPathSteps({ run, page, home, settings, goldcrest }) {
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
