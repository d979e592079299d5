import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GoldcrestState, StatusParams, isLoading, parseStatus, reduceStatus, statusView } from '../src/status';

const ready: StatusParams = { state: 'ready', backend: 'ollama', model: 'qwen2.5-coder:7b', tier: null, message: null };

describe('parseStatus', () => {
  it('accepts the goldcrest/status shape', () => {
    assert.deepEqual(parseStatus({ state: 'thinking', backend: 'embedded', model: 'q', tier: 'local', message: '' }), {
      state: 'thinking',
      backend: 'embedded',
      model: 'q',
      tier: 'local',
      message: null,
    });
  });
  it('rejects anything else', () => {
    assert.equal(parseStatus(null), undefined);
    assert.equal(parseStatus('ready'), undefined);
    assert.equal(parseStatus({ state: 'sleeping' }), undefined);
  });
  it('tolerates missing optional fields', () => {
    assert.deepEqual(parseStatus({ state: 'offline' }), { state: 'offline', backend: '', model: '', tier: null, message: null });
  });
});

describe('reduceStatus', () => {
  it('remembers the last tier that answered', () => {
    let st: GoldcrestState = { client: 'starting', paused: false };
    st = reduceStatus(st, ready);
    assert.equal(st.client, 'running');
    assert.equal(st.lastTier, undefined);
    st = reduceStatus(st, { ...ready, state: 'thinking', tier: 'local-7b' });
    st = reduceStatus(st, ready);
    assert.equal(st.lastTier, 'local-7b');
    st = reduceStatus(st, { ...ready, tier: 'cloud' });
    assert.equal(st.lastTier, 'cloud');
  });
});

describe('statusView', () => {
  it('shows ready with backend and model in the tooltip', () => {
    const v = statusView({ client: 'running', paused: false, server: ready });
    assert.equal(v.text, '$(sparkle) Goldcrest');
    assert.equal(v.severity, 'normal');
    assert.match(v.tooltip, /Goldcrest is ready/);
    assert.match(v.tooltip, /Backend: ollama · qwen2\.5-coder:7b/);
  });
  it('shows thinking with a spinner and the last tier', () => {
    const v = statusView({ client: 'running', paused: false, server: { ...ready, state: 'thinking' }, lastTier: 'local' });
    assert.equal(v.text, '$(loading~spin) Goldcrest · local');
    assert.match(v.tooltip, /Last answer from: local/);
  });
  it('warns when the backend is down and carries the server message', () => {
    const v = statusView({ client: 'running', paused: false, server: { ...ready, state: 'offline', message: 'Ollama is not running: start it with `ollama serve`' } });
    assert.equal(v.severity, 'warning');
    assert.match(v.text, /debug-disconnect/);
    assert.match(v.tooltip, /backend is down/);
    assert.match(v.tooltip, /ollama serve/);
  });
  it('is an error when the server errs, is missing or failed', () => {
    assert.equal(statusView({ client: 'running', paused: false, server: { ...ready, state: 'error' } }).severity, 'error');
    assert.equal(statusView({ client: 'missing', paused: false }).severity, 'error');
    assert.match(statusView({ client: 'missing', paused: false }).tooltip, /not found/);
    assert.equal(statusView({ client: 'failed', paused: false }).severity, 'error');
  });
  it('shows the model loading, with the seconds spent, until the server first reports', () => {
    const loading: GoldcrestState = { client: 'running', paused: false, runningSince: 1_000 };
    assert.ok(isLoading(loading));
    assert.equal(statusView(loading, 1_500).text, '$(sync~spin) Goldcrest: loading model');
    assert.equal(statusView(loading, 13_200).text, '$(sync~spin) Goldcrest: loading model 12 s');
    assert.match(statusView(loading, 2_000).tooltip, /loading its model/);
    assert.equal(statusView({ ...loading, paused: true }, 1_000).text, '$(sync~spin) Goldcrest: loading model (paused)');
    const ready = reduceStatus(loading, { state: 'ready', backend: 'embedded', model: 'q', tier: null, message: null });
    assert.ok(!isLoading(ready));
    assert.equal(statusView(ready, 20_000).text, '$(sparkle) Goldcrest');
  });
  it('shows starting and stopped', () => {
    assert.equal(statusView({ client: 'starting', paused: false }).text, '$(sync~spin) Goldcrest');
    assert.equal(statusView({ client: 'stopped', paused: false }).text, '$(circle-slash) Goldcrest');
  });
  it('shows paused', () => {
    assert.equal(statusView({ client: 'running', paused: true, server: ready }).text, '$(debug-pause) Goldcrest (paused)');
    assert.equal(statusView({ client: 'running', paused: true, server: ready, lastTier: 'local' }).text, '$(debug-pause) Goldcrest (paused) · local');
    assert.match(statusView({ client: 'running', paused: true, server: ready }).tooltip, /paused/);
  });
});
