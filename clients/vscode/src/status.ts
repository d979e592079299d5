/**
 * Goldcrest's state as the status bar shows it. Pure module (no `vscode` import).
 *
 * The server sends `goldcrest/status` notifications; the client also knows things the server
 * cannot say (the process is starting, it died, completions are paused here). `reduceStatus` folds
 * notifications into one state that remembers which tier answered last; `statusView` turns that
 * into the status bar's text, tooltip and colour.
 */

export type ServerState = 'ready' | 'thinking' | 'offline' | 'error';

/** Params of the `goldcrest/status` notification. */
export interface StatusParams {
  state: ServerState;
  backend: string;
  model: string;
  tier: string | null;
  message: string | null;
}

/** The life of the server process as the client sees it. */
export type ClientState = 'starting' | 'running' | 'stopped' | 'failed' | 'missing';

export interface GoldcrestState {
  client: ClientState;
  paused: boolean;
  server?: StatusParams;
  /** The tier that produced the last answer, kept while later notifications carry none. */
  lastTier?: string;
  /**
   * When the server process came up (ms since the epoch). Until its first `goldcrest/status` it
   * is still choosing a backend and loading the model (the first start with the embedded model
   * assembles and checks a 1.1 GB file), which the status bar shows with the time spent.
   */
  runningSince?: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** 'warning' and 'error' map to the status bar's warning/error background colours. */
  severity: 'normal' | 'warning' | 'error';
}

const STATES: readonly string[] = ['ready', 'thinking', 'offline', 'error'];

/** Check an incoming notification; returns undefined for anything that is not a status. */
export function parseStatus(raw: unknown): StatusParams | undefined {
  if (raw === null || typeof raw !== 'object') {
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  if (typeof r.state !== 'string' || !STATES.includes(r.state)) {
    return undefined;
  }
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const opt = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  return {
    state: r.state as ServerState,
    backend: str(r.backend),
    model: str(r.model),
    tier: opt(r.tier),
    message: opt(r.message),
  };
}

export function reduceStatus(prev: GoldcrestState, params: StatusParams): GoldcrestState {
  return {
    ...prev,
    client: 'running',
    server: params,
    lastTier: params.tier ?? prev.lastTier,
  };
}

function describeModel(s: StatusParams | undefined): string {
  if (!s) {
    return '';
  }
  if (s.backend && s.model) {
    return `${s.backend} · ${s.model}`;
  }
  return s.backend || s.model;
}

/** Whether the server is up but has not yet said it is ready (it is loading its model). */
export function isLoading(st: GoldcrestState): boolean {
  return st.client === 'running' && st.server === undefined;
}

export function statusView(st: GoldcrestState, now: number = Date.now()): StatusView {
  const lines: string[] = [];
  const model = describeModel(st.server);
  let text: string;
  let headline: string;
  let severity: StatusView['severity'] = 'normal';

  switch (st.client) {
    case 'missing':
      text = '$(error) Goldcrest';
      headline = 'Goldcrest server not found';
      severity = 'error';
      break;
    case 'failed':
      text = '$(error) Goldcrest';
      headline = 'Goldcrest server failed to start or stopped unexpectedly';
      severity = 'error';
      break;
    case 'stopped':
      text = '$(circle-slash) Goldcrest';
      headline = 'Goldcrest server stopped';
      break;
    case 'starting':
      text = '$(sync~spin) Goldcrest';
      headline = 'Goldcrest is starting…';
      break;
    default: {
      if (isLoading(st)) {
        const secs = st.runningSince === undefined ? 0 : Math.floor((now - st.runningSince) / 1000);
        text = `$(sync~spin) Goldcrest: loading model${secs >= 1 ? ` ${secs} s` : ''}`;
        headline = 'Goldcrest is loading its model (the first start assembles and checks the embedded model, about 1 GB; later starts take seconds)';
        break;
      }
      const state = st.server?.state ?? 'ready';
      if (state === 'thinking') {
        text = '$(loading~spin) Goldcrest';
        headline = 'Goldcrest is thinking…';
      } else if (state === 'offline') {
        text = '$(debug-disconnect) Goldcrest';
        headline = 'Goldcrest: model backend is down';
        severity = 'warning';
      } else if (state === 'error') {
        text = '$(warning) Goldcrest';
        headline = 'Goldcrest: error';
        severity = 'error';
      } else {
        text = '$(sparkle) Goldcrest';
        headline = 'Goldcrest is ready';
      }
      if (st.lastTier && state !== 'offline' && state !== 'error') {
        text += ` · ${st.lastTier}`;
      }
    }
  }

  if (st.paused) {
    if (!isLoading(st)) {
      text = text.replace(/^\$\([^)]*\)/, '$(debug-pause)');
    }
    if (!/·/.test(text)) {
      text += ' (paused)';
    } else {
      text = text.replace(' · ', ' (paused) · ');
    }
  }

  lines.push(headline);
  if (model) {
    lines.push(`Backend: ${model}`);
  }
  if (st.lastTier) {
    lines.push(`Last answer from: ${st.lastTier}`);
  }
  if (st.server?.message) {
    lines.push(st.server.message);
  }
  lines.push(st.paused ? 'Inline completions are paused.' : 'Inline completions are on.');
  lines.push('Click for Goldcrest actions.');
  return { text, tooltip: lines.join('\n'), severity };
}
