import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  CLIENT_ONLY_SETTINGS,
  EXTRA_SETTINGS_KEY,
  Inspected,
  RESTRICTED_SETTINGS,
  SERVER_SETTINGS,
  buildServerSettings,
  flatten,
  sameSettings,
  settingsForChange,
  trustedInspect,
  userValue,
} from '../src/settings';

function inspector(values: Record<string, Inspected>): (key: string) => Inspected | undefined {
  return (key) => values[key];
}

describe('userValue', () => {
  it('prefers folder over workspace over global and ignores defaults', () => {
    assert.equal(userValue({ defaultValue: 1 }), undefined);
    assert.equal(userValue({ defaultValue: 1, globalValue: 2 }), 2);
    assert.equal(userValue({ globalValue: 2, workspaceValue: 3 }), 3);
    assert.equal(userValue({ globalValue: 2, workspaceValue: 3, workspaceFolderValue: 4 }), 4);
    assert.equal(userValue({ globalValue: false }), false);
    assert.equal(userValue(undefined), undefined);
  });
});

describe('buildServerSettings', () => {
  it('sends nothing when the user set nothing', () => {
    assert.deepEqual(buildServerSettings(() => ({ defaultValue: 'x' })), {});
  });

  it('maps camelCase VS Code keys to the nested snake_case server object', () => {
    const got = buildServerSettings(
      inspector({
        backend: { globalValue: 'ollama' },
        'ollama.host': { workspaceValue: 'http://127.0.0.1:9999' },
        'ollama.keepAlive': { globalValue: '5m' },
        'ollama.timeoutSeconds': { globalValue: 12 },
        'embedded.contextWindow': { globalValue: 2048 },
        'embedded.threads': { globalValue: 2 },
        'completion.enabled': { globalValue: false },
        'completion.maxTokens': { globalValue: 64 },
        'completion.timeoutSeconds': { globalValue: 5 },
        'cache.sizeLimitMb': { globalValue: 10 },
        logLevel: { globalValue: 'debug' },
      }),
    );
    assert.deepEqual(got, {
      backend: 'ollama',
      ollama: { host: 'http://127.0.0.1:9999', keep_alive: '5m', timeout_s: 12 },
      embedded: { n_ctx: 2048, n_threads: 2 },
      completion: { enabled: false, max_tokens: 64, timeout_s: 5 },
      cache: { size_limit_mb: 10 },
      log_level: 'debug',
    });
  });

  it('omits nulls and blank strings for nullable keys', () => {
    const got = buildServerSettings(
      inspector({
        'embedded.modelPath': { globalValue: '   ' },
        'embedded.family': { globalValue: '' },
        'embedded.threads': { globalValue: null },
        'cache.directory': { globalValue: ' /tmp/gc ' },
      }),
    );
    assert.deepEqual(got, { cache: { directory: '/tmp/gc' } });
  });

  it('never sends client-only keys', () => {
    const got = buildServerSettings((key) => ({ globalValue: key === 'backend' ? 'embedded' : undefined }));
    assert.deepEqual(got, { backend: 'embedded' });
    for (const key of CLIENT_ONLY_SETTINGS) {
      assert.ok(!SERVER_SETTINGS.some((s) => s.key === key), key);
    }
  });
});

describe('trustedInspect', () => {
  const values = inspector({
    serverPath: { globalValue: '/home/u/venv/bin/goldcrest', workspaceValue: './evil' },
    'cache.directory': { workspaceFolderValue: '/tmp/x' },
    backend: { workspaceValue: 'ollama' },
  });
  it('drops the workspace values of restricted keys when the workspace is not trusted', () => {
    const untrusted = trustedInspect(values, false);
    assert.equal(userValue(untrusted('serverPath')), '/home/u/venv/bin/goldcrest');
    assert.equal(userValue(untrusted('cache.directory')), undefined);
    assert.equal(userValue(untrusted('backend')), 'ollama');
    assert.deepEqual(buildServerSettings(untrusted), { backend: 'ollama' });
  });
  it('keeps them in a trusted workspace', () => {
    assert.equal(userValue(trustedInspect(values, true)('serverPath')), './evil');
    assert.deepEqual(buildServerSettings(trustedInspect(values, true)), { backend: 'ollama', cache: { directory: '/tmp/x' } });
  });
  it('covers the settings that name programs or files', () => {
    assert.deepEqual([...RESTRICTED_SETTINGS].sort(), ['cache.directory', 'embedded.modelPath', 'serverArgs', 'serverPath']);
  });
});

describe('serverSettings (free-form extra settings)', () => {
  it('is merged under the typed settings, which win, without nulls', () => {
    const got = buildServerSettings(
      inspector({
        serverSettings: {
          globalValue: {
            tiers: [{ name: 'local', backend: 'ollama' }],
            routing: { large_chars: 100, deep_nesting: null },
            backend: 'embedded',
          },
        },
        backend: { globalValue: 'ollama' },
      }),
    );
    assert.deepEqual(got, { tiers: [{ name: 'local', backend: 'ollama' }], routing: { large_chars: 100 }, backend: 'ollama' });
  });
  it('ignores a non-object value', () => {
    assert.deepEqual(buildServerSettings(inspector({ serverSettings: { globalValue: 'nope' } })), {});
  });
});

describe('settingsForChange', () => {
  it('sends current values plus defaults for keys the user removed', () => {
    const previous = { backend: 'ollama', ollama: { host: 'http://h:1', model: 'm' }, embedded: { model_path: '/x.gguf' } };
    const current = { ollama: { host: 'http://h:2' } };
    assert.deepEqual(settingsForChange(previous, current), {
      backend: 'auto',
      ollama: { host: 'http://h:2', model: 'qwen2.5-coder:7b' },
      embedded: { model_path: null },
    });
  });

  it('does not modify its inputs', () => {
    const current = { ollama: { host: 'a' } };
    settingsForChange({ backend: 'ollama' }, current);
    assert.deepEqual(current, { ollama: { host: 'a' } });
  });
});

describe('sameSettings / flatten', () => {
  it('compares by value', () => {
    assert.ok(sameSettings({ a: { b: 1 } }, { a: { b: 1 } }));
    assert.ok(!sameSettings({ a: { b: 1 } }, { a: { b: 2 } }));
    assert.ok(!sameSettings({ a: { b: 1 } }, { a: { b: 1, c: 2 } }));
    assert.deepEqual([...flatten({ a: { b: 1, c: { d: 'x' } }, e: true })], [['a.b', 1], ['a.c.d', 'x'], ['e', true]]);
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const props: Record<string, { default: unknown }> = pkg.contributes.configuration.properties;

  it('contributes every server setting with the server default', () => {
    for (const spec of SERVER_SETTINGS) {
      const prop = props[`goldcrest.${spec.key}`];
      assert.ok(prop, `goldcrest.${spec.key} missing from package.json`);
      const expected = spec.default === null && prop.default === '' ? '' : spec.default;
      assert.deepEqual(prop.default, expected, `default of goldcrest.${spec.key}`);
      if (spec.default === null) {
        assert.ok(spec.nullable, `${spec.key} defaults to null so must be nullable`);
      }
    }
  });

  it('contributes nothing that is neither a server nor a client setting', () => {
    const known = new Set<string>([...SERVER_SETTINGS.map((s) => s.key), ...CLIENT_ONLY_SETTINGS, EXTRA_SETTINGS_KEY]);
    for (const key of Object.keys(props)) {
      assert.ok(known.has(key.replace(/^goldcrest\./, '')), `unexpected setting ${key}`);
    }
  });

  it('declares every command it binds or shows in menus', () => {
    const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
    const used: string[] = [
      ...pkg.contributes.menus['goldcrest.editorContext'].map((m: { command: string }) => m.command),
      ...pkg.contributes.menus.commandPalette.map((m: { command: string }) => m.command),
      ...pkg.contributes.keybindings.map((k: { command: string }) => k.command).filter((c: string) => c.startsWith('goldcrest.')),
    ];
    for (const c of used) {
      assert.ok(declared.has(c), c);
    }
  });
});
