/**
 * Finding the `goldcrest` executable. Pure module (file-system access and the Python extension's
 * API are injected) so it can be unit-tested under plain node.
 *
 * The rule: an explicit `goldcrest.serverPath` always wins (a wrong one is an error, never
 * silently replaced). A bare name (the default `goldcrest`) is looked up on PATH and then where
 * Python tools usually land and the editor's PATH often does not reach: the environment of the
 * Python extension's active interpreter, pipx's venv, pip --user / pipx's bin folder. When
 * nothing is found the message names every place searched.
 */
import * as path from 'path';

export const INSTALL_COMMAND = 'cd <goldcrest checkout> && python3 -m pip install ".[embedded]"';

export interface FsProbe {
  /** True when `file` exists and may be executed. */
  isExecutable(file: string): boolean;
}

/** A folder searched for the server and why it is searched (for the "not found" message). */
export interface Place {
  dir: string;
  why: string;
}

export interface ResolveOptions {
  /** The `goldcrest.serverPath` setting; a bare name is looked up on PATH and the usual places. */
  configured: string;
  /** `process.env.PATH` */
  pathEnv: string | undefined;
  /** `process.platform` */
  platform: string;
  /** The user's home directory, for `~`, pip --user and pipx. */
  home: string;
  /** `process.env` (PIPX_HOME, PIPX_BIN_DIR). */
  env?: Record<string, string | undefined>;
  /** bin folders of the Python extension's active interpreter environment, if it has one. */
  pythonEnvDirs?: string[];
}

export type Resolution = { ok: true; command: string; via: string } | { ok: false; message: string; searched: Place[] };

function expandHome(p: string, home: string): string {
  if (p === '~') {
    return home;
  }
  if (p.startsWith('~/') || p.startsWith('~\\')) {
    return path.join(home, p.slice(2));
  }
  return p;
}

function candidates(name: string, platform: string): string[] {
  if (platform !== 'win32' || path.extname(name)) {
    return [name];
  }
  return [name, `${name}.exe`, `${name}.cmd`, `${name}.bat`];
}

function join(platform: string, ...parts: string[]): string {
  return platform === 'win32' ? path.win32.join(...parts) : path.posix.join(...parts);
}

/** Where pipx and pip --user put goldcrest, in the order they are searched after PATH. */
export function usualPlaces(home: string, platform: string, env: Record<string, string | undefined> = {}): Place[] {
  const bin = platform === 'win32' ? 'Scripts' : 'bin';
  const venvs: string[] = [];
  if (env.PIPX_HOME) {
    venvs.push(join(platform, env.PIPX_HOME, 'venvs'));
  }
  if (platform === 'win32') {
    venvs.push(join(platform, home, 'pipx', 'venvs'));
  } else {
    // pipx before 1.3, then its platformdirs default (Linux, macOS)
    venvs.push(join(platform, home, '.local', 'pipx', 'venvs'), join(platform, home, '.local', 'share', 'pipx', 'venvs'));
    if (platform === 'darwin') {
      venvs.push(join(platform, home, 'Library', 'Application Support', 'pipx', 'venvs'));
    }
  }
  const places: Place[] = venvs.map((v) => ({ dir: join(platform, v, 'goldcrest', bin), why: 'pipx' }));
  if (env.PIPX_BIN_DIR) {
    places.push({ dir: env.PIPX_BIN_DIR, why: 'PIPX_BIN_DIR' });
  }
  places.push({ dir: join(platform, home, '.local', 'bin'), why: 'pip --user / pipx' });
  return places;
}

/**
 * The bin folders of the interpreter the Python extension (ms-python.python) has selected, read
 * from its exported API (duck-typed: the API object is `unknown` here). Both the current
 * `environments.getActiveEnvironmentPath` and the older `settings.getExecutionDetails` are tried.
 */
export async function pythonEnvDirs(api: unknown, resource: unknown, platform: string): Promise<string[]> {
  const a = api as {
    environments?: { getActiveEnvironmentPath?: (r?: unknown) => { path?: unknown } | undefined };
    settings?: { getExecutionDetails?: (r?: unknown) => { execCommand?: unknown } | undefined };
  } | null;
  let interpreter: string | undefined;
  try {
    const active = a?.environments?.getActiveEnvironmentPath?.(resource);
    if (typeof active?.path === 'string' && active.path) {
      interpreter = active.path;
    } else {
      const exec = a?.settings?.getExecutionDetails?.(resource)?.execCommand;
      if (Array.isArray(exec) && typeof exec[0] === 'string') {
        interpreter = exec[0];
      }
    }
  } catch {
    return [];
  }
  if (!interpreter || !(interpreter.includes('/') || interpreter.includes('\\'))) {
    return []; // a bare "python": PATH is searched anyway
  }
  const p = platform === 'win32' ? path.win32 : path.posix;
  const base = p.basename(interpreter).toLowerCase();
  if (base.startsWith('python')) {
    return [p.dirname(interpreter)];
  }
  // an environment folder (conda reports those)
  return platform === 'win32' ? [p.join(interpreter, 'Scripts'), interpreter] : [p.join(interpreter, 'bin')];
}

function describe(places: Place[]): string {
  const onPath = places.filter((p) => p.why === 'PATH').map((p) => p.dir);
  const rest = places.filter((p) => p.why !== 'PATH').map((p) => `${p.dir} (${p.why})`);
  const parts = [`PATH (${onPath.length ? onPath.join(', ') : 'empty'})`, ...rest];
  return parts.join('; ');
}

export function resolveServer(opts: ResolveOptions, fs: FsProbe): Resolution {
  const configured = expandHome((opts.configured || 'goldcrest').trim(), opts.home);
  const hasDir = configured.includes('/') || (opts.platform === 'win32' && configured.includes('\\'));
  if (hasDir) {
    for (const file of candidates(configured, opts.platform)) {
      if (fs.isExecutable(file)) {
        return { ok: true, command: file, via: 'goldcrest.serverPath' };
      }
    }
    return {
      ok: false,
      searched: [{ dir: configured, why: 'goldcrest.serverPath' }],
      message:
        `Goldcrest: the server "${configured}" (setting goldcrest.serverPath) does not exist or is not executable. ` +
        `Fix the setting, or install the server with: ${INSTALL_COMMAND}`,
    };
  }
  const sep = opts.platform === 'win32' ? ';' : ':';
  const places: Place[] = [];
  const seen = new Set<string>();
  const add = (dir: string, why: string) => {
    if (dir && !seen.has(dir)) {
      seen.add(dir);
      places.push({ dir, why });
    }
  };
  for (const dir of (opts.pathEnv ?? '').split(sep)) {
    add(dir, 'PATH');
  }
  for (const dir of opts.pythonEnvDirs ?? []) {
    add(dir, "the Python extension's interpreter");
  }
  for (const place of usualPlaces(opts.home, opts.platform, opts.env)) {
    add(place.dir, place.why);
  }
  for (const place of places) {
    for (const file of candidates(configured, opts.platform)) {
      const full = join(opts.platform, place.dir, file);
      if (fs.isExecutable(full)) {
        return { ok: true, command: full, via: place.why };
      }
    }
  }
  return {
    ok: false,
    searched: places,
    message:
      `Goldcrest: the server "${configured}" was not found. Searched: ${describe(places)}. ` +
      `Set goldcrest.serverPath to the full path of the goldcrest executable (e.g. a virtualenv's bin/goldcrest), ` +
      `or install it with: ${INSTALL_COMMAND}`,
  };
}
