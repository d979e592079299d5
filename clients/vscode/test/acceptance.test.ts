import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { acceptanceReport, acceptanceRows } from '../src/acceptance';

const row = {
  tier: 'local',
  model: 'qwen2.5-coder:1.5b',
  language: 'python',
  task: 'complete',
  shown: 4,
  accepted: 1,
  partial: 1,
  chars: 12,
  undone: 0,
  rate: 0.5,
  p50_ms_accepted: 812.4,
  p50_ms_ignored: null,
};

describe('acceptanceRows', () => {
  it('reads the acceptance rows of a goldcrest/stats answer', () => {
    assert.deepEqual(acceptanceRows({ counters: {}, acceptance: [row] }), [row]);
  });
  it('has none for an answer without them (an older server) or a bad one', () => {
    assert.deepEqual(acceptanceRows({ counters: {} }), []);
    assert.deepEqual(acceptanceRows(null), []);
    assert.deepEqual(acceptanceRows({ acceptance: 'x' }), []);
  });
  it('fills what a row lacks', () => {
    assert.deepEqual(acceptanceRows({ acceptance: [{ task: 'fix', shown: 2 }] })[0], {
      ...row,
      tier: '-',
      model: '-',
      language: '-',
      task: 'fix',
      shown: 2,
      accepted: 0,
      partial: 0,
      chars: 0,
      rate: 0,
      p50_ms_accepted: null,
    });
  });
});

describe('acceptanceReport', () => {
  it('shows one table line per row with the rate and the waits', () => {
    const text = acceptanceReport({ acceptance: [row] });
    assert.ok(text.includes('| qwen2.5-coder:1.5b (local) | python | complete | 4 | 1 (1) | 50% | 12 | 0 | 812 ms / - |'), text);
  });
  it('says when nothing was counted', () => {
    assert.match(acceptanceReport({ acceptance: [] }), /Nothing shown yet/);
  });
});
