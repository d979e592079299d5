import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as fs from 'node:fs';
import * as path from 'node:path';

import { CLIENT_COMMANDS, REFACTORS, SERVER_COMMANDS, STRONGEST, TIER_COMMANDS, fixRange, withTier } from '../src/commands';

const at = (line: number, character: number) => ({ line, character });

describe('command ids', () => {
  it('never collide with server executeCommand ids', () => {
    const server = new Set<string>(Object.values(SERVER_COMMANDS));
    for (const id of [...Object.values(CLIENT_COMMANDS), ...REFACTORS.map((r) => r.command)]) {
      assert.ok(!server.has(id), id);
    }
  });
  it('cover the four refactor kinds the server knows', () => {
    assert.deepEqual(REFACTORS.map((r) => r.kind).sort(), ['docstring', 'extract_function', 'simplify', 'type_hints']);
  });
});

describe('fixRange', () => {
  const diag = { range: { start: at(3, 4), end: at(3, 20) }, source: 'goldcrest' };
  it('uses a non-empty selection as is', () => {
    const sel = { start: at(1, 0), end: at(2, 5) };
    assert.deepEqual(fixRange(sel, [diag], 10), sel);
  });
  it('uses the goldcrest diagnostic under the cursor', () => {
    assert.deepEqual(fixRange({ start: at(3, 6), end: at(3, 6) }, [diag], 30), diag.range);
  });
  it('ignores other sources', () => {
    const other = { ...diag, source: 'pyright' };
    assert.deepEqual(fixRange({ start: at(3, 6), end: at(3, 6) }, [other], 30), { start: at(3, 0), end: at(3, 30) });
  });
  it('falls back to the whole line', () => {
    assert.deepEqual(fixRange({ start: at(7, 2), end: at(7, 2) }, [diag], 12), { start: at(7, 0), end: at(7, 12) });
  });
});

describe('tier', () => {
  it('is added to the argument only when asked for', () => {
    const uri = 'file:///w/a.py';
    assert.deepEqual(withTier({ uri }), { uri });
    assert.deepEqual(withTier({ uri }, ''), { uri });
    assert.deepEqual(withTier({ uri, range: { start: at(1, 0), end: at(2, 0) } }, STRONGEST), {
      uri,
      range: { start: at(1, 0), end: at(2, 0) },
      tier: 'strongest',
    });
    assert.deepEqual(withTier({ uri }, 'cloud'), { uri, tier: 'cloud' });
  });
  it('does not modify its input', () => {
    const args = { uri: 'file:///w/a.py' };
    withTier(args, STRONGEST);
    assert.deepEqual(args, { uri: 'file:///w/a.py' });
  });
  it('"with Strongest Model" commands are contributed, in the context menu, and ask for strongest', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const declared = new Map<string, string>(pkg.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]));
    const context = new Set<string>(pkg.contributes.menus['goldcrest.editorContext'].map((m: { command: string }) => m.command));
    assert.deepEqual(TIER_COMMANDS.map((t) => t.action).sort(), ['fix', 'listBugs']);
    for (const t of TIER_COMMANDS) {
      assert.equal(t.tier, STRONGEST);
      assert.equal(declared.get(t.command), t.title);
      assert.ok(context.has(t.command), `${t.command} not in the context menu`);
    }
  });
});
