import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { INSTALL_COMMAND, pythonEnvDirs, resolveServer, usualPlaces } from '../src/serverPath';

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
      via: 'PATH',
    });
  });
  it('uses an explicit path even when PATH has another goldcrest', () => {
    const r = resolveServer({ ...base, configured: '/srv/venv/bin/goldcrest' }, probe(['/usr/bin/goldcrest', '/srv/venv/bin/goldcrest']));
    assert.deepEqual(r, { ok: true, command: '/srv/venv/bin/goldcrest', via: 'goldcrest.serverPath' });
  });
  it('never replaces a wrong explicit path with one found elsewhere', () => {
    const r = resolveServer({ ...base, configured: '/nope/goldcrest' }, probe(['/usr/bin/goldcrest']));
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.message.includes('/nope/goldcrest') && r.message.includes('goldcrest.serverPath'));
  });
  it('expands ~ in an explicit path', () => {
    assert.deepEqual(resolveServer({ ...base, configured: '~/venv/bin/goldcrest' }, probe(['/home/u/venv/bin/goldcrest'])), {
      ok: true,
      command: '/home/u/venv/bin/goldcrest',
      via: 'goldcrest.serverPath',
    });
  });
  it('looks in the Python extension interpreter environment after PATH', () => {
    const r = resolveServer({ ...base, configured: 'goldcrest', pythonEnvDirs: ['/w/.venv/bin'] }, probe(['/w/.venv/bin/goldcrest', '/home/u/.local/bin/goldcrest']));
    assert.deepEqual(r, { ok: true, command: '/w/.venv/bin/goldcrest', via: "the Python extension's interpreter" });
  });
  it("falls back to pipx's venv, then ~/.local/bin", () => {
    const pipx = '/home/u/.local/pipx/venvs/goldcrest/bin/goldcrest';
    assert.deepEqual(resolveServer({ ...base, configured: '' }, probe([pipx, '/home/u/.local/bin/goldcrest'])), { ok: true, command: pipx, via: 'pipx' });
    assert.deepEqual(resolveServer({ ...base, configured: '' }, probe(['/home/u/.local/bin/goldcrest'])), {
      ok: true,
      command: '/home/u/.local/bin/goldcrest',
      via: 'pip --user / pipx',
    });
  });
  it('names every place it searched when missing, and how to install', () => {
    const r = resolveServer({ ...base, configured: 'goldcrest', pythonEnvDirs: ['/w/.venv/bin'], env: { PIPX_HOME: '/p' } }, probe([]));
    assert.equal(r.ok, false);
    if (r.ok) {
      return;
    }
    for (const place of ['/usr/bin', '/opt/py/bin', '/w/.venv/bin', '/p/venvs/goldcrest/bin', '/home/u/.local/pipx/venvs/goldcrest/bin', '/home/u/.local/share/pipx/venvs/goldcrest/bin', '/home/u/.local/bin']) {
      assert.ok(r.message.includes(place), `${place} missing from: ${r.message}`);
      assert.ok(r.searched.some((p) => p.dir === place), place);
    }
    assert.ok(r.message.includes(INSTALL_COMMAND));
    assert.ok(r.message.includes('goldcrest.serverPath'));
  });
  it('searches a folder once', () => {
    const r = resolveServer({ ...base, pathEnv: '/home/u/.local/bin:/usr/bin:/usr/bin', configured: 'goldcrest' }, probe([]));
    assert.ok(!r.ok && r.searched.filter((p) => p.dir === '/usr/bin').length === 1);
    assert.ok(!r.ok && r.searched.filter((p) => p.dir === '/home/u/.local/bin').length === 1);
  });
  it('tries .exe on Windows', () => {
    const r = resolveServer({ configured: 'goldcrest', pathEnv: 'C:\\py\\Scripts', platform: 'win32', home: 'C:\\u' }, {
      isExecutable: (f) => f === 'C:\\py\\Scripts\\goldcrest.exe',
    });
    assert.ok(r.ok && r.command === 'C:\\py\\Scripts\\goldcrest.exe');
  });
});

describe('usualPlaces', () => {
  it('honours PIPX_HOME and PIPX_BIN_DIR', () => {
    const dirs = usualPlaces('/home/u', 'linux', { PIPX_HOME: '/opt/pipx', PIPX_BIN_DIR: '/opt/bin' }).map((p) => p.dir);
    assert.equal(dirs[0], '/opt/pipx/venvs/goldcrest/bin');
    assert.ok(dirs.includes('/opt/bin'));
  });
  it('uses Scripts folders on Windows', () => {
    assert.ok(usualPlaces('C:\\u', 'win32').some((p) => p.dir === 'C:\\u\\pipx\\venvs\\goldcrest\\Scripts'));
  });
});

describe('pythonEnvDirs (the Python extension API)', () => {
  it('reads the active environment path (current API)', async () => {
    const api = { environments: { getActiveEnvironmentPath: () => ({ id: 'x', path: '/w/.venv/bin/python' }) } };
    assert.deepEqual(await pythonEnvDirs(api, undefined, 'linux'), ['/w/.venv/bin']);
  });
  it('reads an environment folder (conda)', async () => {
    const api = { environments: { getActiveEnvironmentPath: () => ({ id: 'x', path: '/opt/conda/envs/gc' }) } };
    assert.deepEqual(await pythonEnvDirs(api, undefined, 'linux'), ['/opt/conda/envs/gc/bin']);
  });
  it('falls back to the older execution details API', async () => {
    const api = { settings: { getExecutionDetails: () => ({ execCommand: ['/usr/local/py/bin/python3.12'] }) } };
    assert.deepEqual(await pythonEnvDirs(api, undefined, 'linux'), ['/usr/local/py/bin']);
  });
  it('ignores a bare interpreter name, a missing or a broken API', async () => {
    assert.deepEqual(await pythonEnvDirs({ settings: { getExecutionDetails: () => ({ execCommand: ['python'] }) } }, undefined, 'linux'), []);
    assert.deepEqual(await pythonEnvDirs(undefined, undefined, 'linux'), []);
    const throws = {
      environments: {
        getActiveEnvironmentPath: () => {
          throw new Error('not ready');
        },
      },
    };
    assert.deepEqual(await pythonEnvDirs(throws, undefined, 'linux'), []);
  });
});
