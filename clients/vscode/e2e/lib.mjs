// Helpers for the end-to-end test (run-e2e.mjs): child processes, waiting, steps with
// screenshots, and driving VS Code's UI (palette, status bar, editor text, settings file).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export function log(msg) {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

export function which(cmd, env = process.env) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Thrown inside a waitFor condition to stop waiting at once. */
export class AbortWait extends Error {}

export async function waitFor(what, fn, timeoutMs, intervalMs = 250) {
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

/** One test run: its temp folder, child processes, results and the browser page. */
export class Run {
  constructor(tmp, artifacts) {
    this.tmp = tmp;
    this.artifacts = artifacts;
    this.children = [];
    this.results = [];
    this.page = undefined;
    this.browser = undefined;
  }

  start(name, cmd, args, opts = {}) {
    const out = fs.openSync(path.join(this.tmp, `${name}.log`), 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', opts.pipeStdout ? 'pipe' : out, out], detached: true, ...opts });
    this.children.push({ name, child });
    child.on('exit', (code, signal) => log(`${name} exited (${code ?? signal})`));
    return child;
  }

  async shot(name) {
    const file = path.join(this.artifacts, `${name}.png`);
    await this.page.screenshot({ path: file }).catch((e) => log(`screenshot ${name} failed: ${e.message}`));
    log(`screenshot ${path.relative(process.cwd(), file)}`);
  }

  async step(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      this.results.push({ name, ok: true });
      log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      if (this.page) {
        await this.shot(`FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`);
        const notes = await this.page.locator('.notification-list-item-message').allTextContents().catch(() => []);
        if (notes.length) {
          log(`notifications on screen: ${notes.join(' | ')}`);
        }
      }
      this.results.push({ name, ok: false, err });
      log(`FAIL ${name}: ${err.stack || err}`);
      throw err;
    }
  }

  /** The files below `dir` whose path matches `wanted`, not descending into `skip` folders. */
  files(dir, wanted, skip = /^$/) {
    const found = [];
    const walk = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory() && !skip.test(p)) {
          walk(p);
        } else if (e.isFile() && wanted.test(p)) {
          found.push(p);
        }
      }
    };
    try {
      walk(dir);
    } catch {
      // not there (yet)
    }
    return found;
  }

  /** The extension's output channel (LogOutputChannel "Goldcrest") as written to disk. */
  goldcrestLog() {
    const logs = this.files(path.join(this.tmp, 'user-data', 'logs'), /\/Goldcrest\.log$/);
    return logs.map((p) => fs.readFileSync(p, 'utf8')).join('\n');
  }

  dumpLogs() {
    const wanted = /(Goldcrest[^/]*\.log|exthost\.log|remoteagent\.log|fake-ollama[^/]*|code-server\.log)$/;
    for (const p of this.files(this.tmp, wanted, /extensions$|CachedProfilesData|node_modules|home$/)) {
      const text = fs.readFileSync(p, 'utf8');
      console.log(`----- ${p} (last 60 lines) -----`);
      console.log(text.split('\n').slice(-60).map((l) => l.slice(0, 400)).join('\n'));
    }
  }

  async cleanup(keep) {
    if (this.browser) {
      await this.browser.close().catch(() => {});
    }
    for (const { child } of this.children) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const { child } of this.children) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (keep) {
      log(`kept ${this.tmp}`);
    } else {
      fs.rmSync(this.tmp, { recursive: true, force: true });
    }
  }
}

/**
 * The user's settings.json. Before the editor runs it is written directly; while it runs it is
 * edited the way a user does (the JSON settings editor, saved), so VS Code applies the change.
 */
export class SettingsFile {
  constructor(file) {
    this.file = file;
  }

  read() {
    return JSON.parse(fs.readFileSync(this.file, 'utf8'));
  }

  write(settings) {
    fs.writeFileSync(this.file, JSON.stringify(settings, null, 2));
  }

  /** Set (or, with `undefined`, remove) keys through "Preferences: Open User Settings (JSON)". */
  async update(page, changes) {
    const next = this.read();
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) {
        delete next[key];
      } else {
        next[key] = value;
      }
    }
    const text = JSON.stringify(next, null, 2);
    await runCommand(page, 'Preferences: Open User Settings (JSON)');
    // it opens focused (in a tab, or a modal editor in newer builds)
    await page.locator('.view-line', { hasText: '"workbench.startupEditor"' }).first().waitFor({ timeout: 15000 });
    // pasted: typed text would get auto-closed brackets and auto-indent
    await page.evaluate((t) => navigator.clipboard.writeText(t), text);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Control+V');
    await page.keyboard.press('Control+S');
    await waitFor('settings.json saved', () => JSON.stringify(this.read()) === JSON.stringify(next), 10000);
    // newer builds open it as a modal editor (with its own close button), older ones in a tab
    const line = page.locator('.view-line', { hasText: '"workbench.startupEditor"' }).first();
    const closeModal = page.locator('.modal-editor-action-container .codicon-close').first();
    if (await closeModal.isVisible()) {
      await closeModal.click();
    } else {
      await line.click();
      await runCommand(page, 'View: Close Editor');
    }
    // closed a moment before the editor noticed its own save: "Save" writes the same text again
    const save = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Save$/ }).first();
    if (await save.waitFor({ state: 'visible', timeout: 1500 }).then(() => true, () => false)) {
      log('the settings editor asked to save again: saving');
      await save.click();
    }
    await line.waitFor({ state: 'detached', timeout: 10000 });
  }
}

// ---- VS Code's UI ----------------------------------------------------------------------------

/** The text of the active editor, as Monaco renders it (spaces normalised). */
export async function editorText(page) {
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
export function statusItem(page) {
  return page.locator('.statusbar-item[id$="goldcrest.status"]').first();
}

export async function statusIcon(page) {
  return (await statusItem(page).locator('.codicon').first().getAttribute('class')) || '';
}

/** Wait until the status bar shows Goldcrest ready (✨); stop at once if it shows an error. */
export async function waitReady(page, what, timeoutMs) {
  await waitFor(what, async () => {
    const cls = await statusIcon(page);
    if (/codicon-error\b/.test(cls)) {
      throw new AbortWait(`Goldcrest shows an error: ${await statusItem(page).getAttribute('aria-label')}`);
    }
    return /codicon-sparkle/.test(cls);
  }, timeoutMs, 200);
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function runCommand(page, title) {
  const input = page.locator('.quick-input-widget input');
  // on a busy machine a key press can land while the workbench is still moving focus: try again
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    if (await input.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) {
      break;
    }
    if (attempt === 4) {
      throw new Error(`the command palette did not open to run "${title}"`);
    }
    log(`the command palette did not open (attempt ${attempt}); pressing F1 again`);
  }
  await input.fill(`>${title}`);
  // the row whose label is exactly the title (recently used commands may be listed first)
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escape(title)}$`) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 10000 });
  await row.click();
}

/** Right-click in the editor and pick Goldcrest → `entry` from the context menu. */
export async function contextMenu(page, run, entry, shotName) {
  await page.locator('.editor-instance .view-lines').first().click({ button: 'right' });
  const menu = page.locator('.monaco-menu').first();
  await menu.waitFor({ state: 'visible', timeout: 10000 });
  await menu.locator('.action-item', { hasText: /^Goldcrest/ }).first().hover();
  const item = page.locator('.monaco-menu .action-label', { hasText: new RegExp(`^${escape(entry)}$`) }).first();
  await item.waitFor({ state: 'visible', timeout: 10000 });
  if (shotName) {
    await run.shot(shotName);
  }
  await item.click();
}

/** Open the code action menu (Ctrl+.) at the cursor and pick the entry `title` (screenshot first). */
export async function codeAction(page, run, title, shotName, timeoutMs = 20000) {
  await page.keyboard.press('Control+.');
  const menu = page.locator('.action-widget').first();
  await menu.waitFor({ state: 'visible', timeout: 20000 });
  const entry = menu.locator('.monaco-list-row', { hasText: title }).first();
  await entry.waitFor({ state: 'visible', timeout: timeoutMs });
  await run.shot(shotName);
  await entry.click();
}

/** Open a workspace file from the Explorer (pinned, not a preview) and focus its editor. */
export async function openFile(page, name) {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^${escape(name)}$`) }).first();
  await row.waitFor({ state: 'visible', timeout: 60000 });
  await row.dblclick();
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 30000 });
  const lines = page.locator('.editor-instance .view-lines').first();
  await lines.waitFor({ timeout: 30000 });
  await lines.click();
}

/** The cursor on `text`'s line, `column` characters in (End when omitted). */
export async function cursorOnLine(page, text, column) {
  await page.locator('.editor-instance .view-line', { hasText: text }).first().click();
  if (column === undefined) {
    await page.keyboard.press('End');
    return;
  }
  await page.keyboard.press('Home');
  await page.keyboard.press('Home'); // the first press may stop at the indentation
  for (let i = 0; i < column; i++) {
    await page.keyboard.press('ArrowRight');
  }
}

/** The text every frame of the page shows (markdown previews are iframes), one after another. */
export async function framesText(page) {
  const texts = [];
  for (const f of page.frames()) {
    texts.push(await f.evaluate(() => document.body?.innerText || '').catch(() => ''));
  }
  return texts.join('\n');
}

/** Whether any frame of the page shows `text`. */
export async function framesShow(page, text) {
  return (await framesText(page)).includes(text);
}

/**
 * Wait until VS Code has run the goldcrest.accepted command of `n` suggestions accepted whole
 * (`kind` "full") or edits applied (`kind` "applied") in all (the extension logs each with the
 * server's answer), and check the server counted the last.
 */
export async function acceptCounted(run, kind, n) {
  const acks = () => run.goldcrestLog().split('\n').filter((l) => l.includes('[client] goldcrest.accepted {') && l.includes(`"kind":"${kind}"`));
  await waitFor(`VS Code to run goldcrest.accepted (${kind} ${n})`, () => acks().length >= n, 10000);
  const last = acks().pop();
  if (!last.includes('answered: {"counted":true}')) {
    throw new Error(`not counted: ${last}`);
  }
  log(last.replace(/^.*\[client\] /, ''));
}
