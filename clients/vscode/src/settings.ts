/**
 * VS Code settings <-> Goldcrest server settings.
 *
 * Pure module (no `vscode` import) so it can be unit-tested under plain node.
 *
 * The server validates its settings with one pydantic model and keeps its own defaults for any key
 * it is not sent, so the client sends only the keys the user actually set. VS Code keys are
 * camelCase (`goldcrest.ollama.keepAlive`); the server's are snake_case (`ollama.keep_alive`).
 * `SERVER_SETTINGS` is the single table that maps one to the other; package.json contributes the
 * same keys with the same defaults (a unit test keeps the two in step).
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface SettingSpec {
  /** Key below the `goldcrest.` section in VS Code, e.g. `ollama.keepAlive`. */
  key: string;
  /** Dotted path in the server's settings object, e.g. `ollama.keep_alive`. */
  server: string;
  /** The server's default, mirrored as the package.json default. */
  default: JsonValue;
  /**
   * The server accepts `null` for this key (meaning "unset: the server decides"). VS Code shows
   * such strings as an empty text box, so an empty string is treated as unset too.
   */
  nullable?: boolean;
}

export const SERVER_SETTINGS: readonly SettingSpec[] = [
  { key: 'backend', server: 'backend', default: 'auto' },
  { key: 'ollama.host', server: 'ollama.host', default: 'http://127.0.0.1:11434' },
  { key: 'ollama.model', server: 'ollama.model', default: 'qwen2.5-coder:7b' },
  { key: 'ollama.keepAlive', server: 'ollama.keep_alive', default: '30m' },
  { key: 'ollama.timeoutSeconds', server: 'ollama.timeout_s', default: 30 },
  { key: 'embedded.modelPath', server: 'embedded.model_path', default: null, nullable: true },
  { key: 'embedded.family', server: 'embedded.family', default: null, nullable: true },
  { key: 'embedded.contextWindow', server: 'embedded.n_ctx', default: 4096 },
  { key: 'embedded.threads', server: 'embedded.n_threads', default: null, nullable: true },
  { key: 'completion.enabled', server: 'completion.enabled', default: true },
  { key: 'completion.maxTokens', server: 'completion.max_tokens', default: 96 },
  { key: 'completion.temperature', server: 'completion.temperature', default: 0.1 },
  { key: 'completion.contextTokens', server: 'completion.context_tokens', default: 1024 },
  { key: 'completion.maxLines', server: 'completion.max_lines', default: 12 },
  { key: 'completion.timeoutSeconds', server: 'completion.timeout_s', default: 20 },
  { key: 'cache.enabled', server: 'cache.enabled', default: true },
  { key: 'cache.directory', server: 'cache.directory', default: null, nullable: true },
  { key: 'cache.sizeLimitMb', server: 'cache.size_limit_mb', default: 256 },
  { key: 'cloud.enabled', server: 'cloud.enabled', default: false },
  { key: 'logLevel', server: 'log_level', default: 'info' },
];

/**
 * `goldcrest.serverSettings`: an object in the server's own shape (snake_case, as in
 * goldcrest.toml) for settings without a VS Code setting of their own (tiers, routing, privacy,
 * ...). The typed settings above win where both set a key.
 */
export const EXTRA_SETTINGS_KEY = 'serverSettings';

/**
 * Settings that name programs or files to run or write: an untrusted workspace cannot set them
 * (package.json's `restrictedConfigurations` lists the same keys).
 */
export const RESTRICTED_SETTINGS = ['serverPath', 'serverArgs', 'embedded.modelPath', 'cache.directory'] as const;

/**
 * `inspect` as an untrusted workspace may use it: the workspace's own values of restricted keys
 * are dropped (VS Code's `get()` does that itself; `inspect()` does not).
 */
export function trustedInspect(inspect: (key: string) => Inspected | undefined, trusted: boolean): (key: string) => Inspected | undefined {
  if (trusted) {
    return inspect;
  }
  return (key) => {
    const found = inspect(key);
    if (!found || !(RESTRICTED_SETTINGS as readonly string[]).includes(key)) {
      return found;
    }
    return { ...found, workspaceValue: undefined, workspaceFolderValue: undefined };
  };
}

/** Settings that only the client reads; never sent to the server. */
export const CLIENT_ONLY_SETTINGS = ['serverPath', 'serverArgs', 'languages', 'trace.server'] as const;

/**
 * What VS Code knows about one key (the shape of `WorkspaceConfiguration.inspect`, trimmed).
 * Anything but `defaultValue` counts as "set by the user".
 */
export interface Inspected {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** The value the user set for a key, most specific scope first; undefined when not set. */
export function userValue(inspected: Inspected | undefined): unknown {
  if (!inspected) {
    return undefined;
  }
  for (const value of [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue]) {
    if (value !== undefined) {
      return value;
    }
  }
  return undefined;
}

function isUnset(spec: SettingSpec, value: unknown): boolean {
  if (value === undefined || value === null) {
    return true;
  }
  return spec.nullable === true && typeof value === 'string' && value.trim() === '';
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A deep copy without null values (the server wants unset keys left out). */
function stripNulls(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value === null || value === undefined) {
      continue;
    }
    out[key] = isObject(value) ? stripNulls(value) : (JSON.parse(JSON.stringify(value)) as JsonValue);
  }
  return out;
}

function setPath(target: JsonObject, dotted: string, value: JsonValue): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
      node[part] = {};
    }
    node = node[part] as JsonObject;
  }
  node[parts[parts.length - 1]] = value;
}

function normalise(spec: SettingSpec, value: unknown): JsonValue {
  if (typeof value === 'string' && spec.key !== 'backend' && spec.key !== 'logLevel') {
    return value.trim();
  }
  return value as JsonValue;
}

/**
 * The server settings object built from what the user set: nested, snake_case, no nulls, no
 * empty strings for nullable keys, no client-only keys. `inspect(key)` answers for `goldcrest.<key>`.
 */
export function buildServerSettings(inspect: (key: string) => Inspected | undefined): JsonObject {
  const extra = userValue(inspect(EXTRA_SETTINGS_KEY));
  const out: JsonObject = isObject(extra) ? stripNulls(extra) : {};
  for (const spec of SERVER_SETTINGS) {
    const value = userValue(inspect(spec.key));
    if (!isUnset(spec, value)) {
      setPath(out, spec.server, normalise(spec, value));
    }
  }
  return out;
}

/** Flatten a nested settings object into dotted server paths. */
export function flatten(settings: JsonObject, prefix = ''): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  for (const [key, value] of Object.entries(settings)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, innerValue] of flatten(value, path)) {
        out.set(inner, innerValue);
      }
    } else {
      out.set(path, value);
    }
  }
  return out;
}

/**
 * What to send in workspace/didChangeConfiguration after a change.
 *
 * The server overlays what it receives on the settings it has, so a key the user has just unset
 * (present in `previous`, absent from `current`) must be sent back at its default, or the server
 * would keep the old value.
 */
export function settingsForChange(previous: JsonObject, current: JsonObject): JsonObject {
  const out: JsonObject = JSON.parse(JSON.stringify(current)) as JsonObject;
  const now = flatten(current);
  for (const path of flatten(previous).keys()) {
    if (!now.has(path)) {
      const spec = SERVER_SETTINGS.find((s) => s.server === path);
      if (spec) {
        setPath(out, path, spec.default);
      }
    }
  }
  return out;
}

/** True when the two settings objects would configure the server identically. */
export function sameSettings(a: JsonObject, b: JsonObject): boolean {
  const fa = flatten(a);
  const fb = flatten(b);
  if (fa.size !== fb.size) {
    return false;
  }
  for (const [key, value] of fa) {
    if (!fb.has(key) || JSON.stringify(fb.get(key)) !== JSON.stringify(value)) {
      return false;
    }
  }
  return true;
}
