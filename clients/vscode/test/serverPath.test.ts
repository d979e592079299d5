import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { INSTALL_COMMAND, resolveServer } from '../src/serverPath';

function probe(files: string[]) {
  const set = new Set(files);
  return { isExecutable: (f: string) => set.has(f) };
}

const base = { pathEnv: '/usr/bin:/opt/py/bin', platform: 'linux', home: '/home/u' };

describe('resolveServer', () => {
  it('finds a bare name on PATH', () => {
    assert.deepEqual(resolveServer({ ...base, configured: 'goldcrest' }, probe(['/opt/py/bin/goldcrest'])), {
      ok: true,
      command: '/opt/py/bin/goldcrest',
    });
  });
  it('falls back to ~/.local/bin', () => {
    assert.deepEqual(resolveServer({ ...base, configured: '' }, probe(['/home/u/.local/bin/goldcrest'])), {
      ok: true,
      command: '/home/u/.local/bin/goldcrest',
    });
  });
  it('expands ~ in an explicit path', () => {
    assert.deepEqual(resolveServer({ ...base, configured: '~/venv/bin/goldcrest' }, probe(['/home/u/venv/bin/goldcrest'])), {
      ok: true,
      command: '/home/u/venv/bin/goldcrest',
    });
  });
  it('explains how to install when missing', () => {
    const r = resolveServer({ ...base, configured: 'goldcrest' }, probe([]));
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.message.includes(INSTALL_COMMAND));
    assert.ok(!r.ok && r.message.includes('goldcrest.serverPath'));
  });
  it('reports a bad explicit path', () => {
    const r = resolveServer({ ...base, configured: '/nope/goldcrest' }, probe([]));
    assert.ok(!r.ok && r.message.includes('/nope/goldcrest'));
  });
  it('tries .exe on Windows', () => {
    const r = resolveServer({ configured: 'goldcrest', pathEnv: 'C:\\py\\Scripts', platform: 'win32', home: 'C:\\u', extraDirs: [] }, {
      isExecutable: (f) => f.endsWith('goldcrest.exe'),
    });
    assert.ok(r.ok && r.command.endsWith('goldcrest.exe'));
  });
});
