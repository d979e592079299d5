/**
 * Finding the `goldcrest` executable. Pure module (file-system access is injected) so it can be
 * unit-tested under plain node.
 */
import * as path from 'path';

export const INSTALL_COMMAND = 'cd <goldcrest checkout> && python3 -m pip install ".[embedded]"';

export interface FsProbe {
  /** True when `file` exists and may be executed. */
  isExecutable(file: string): boolean;
}

export interface ResolveOptions {
  /** The `goldcrest.serverPath` setting; a bare name is looked up on PATH. */
  configured: string;
  /** `process.env.PATH` */
  pathEnv: string | undefined;
  /** `process.platform` */
  platform: string;
  /** The user's home directory, for `~` and for pip's `--user` bin folder. */
  home: string;
  /** Folders searched after PATH (pip --user, pipx); computed from `home` when omitted. */
  extraDirs?: string[];
}

export type Resolution = { ok: true; command: string } | { ok: false; message: string };

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

/** Where pip --user and pipx put console scripts; searched when PATH does not have `goldcrest`. */
export function defaultExtraDirs(home: string, platform: string): string[] {
  if (platform === 'win32') {
    return [];
  }
  return [path.join(home, '.local', 'bin')];
}

export function resolveServer(opts: ResolveOptions, fs: FsProbe): Resolution {
  const configured = expandHome((opts.configured || 'goldcrest').trim(), opts.home);
  const sep = opts.platform === 'win32' ? ';' : ':';
  const hasDir = configured.includes('/') || (opts.platform === 'win32' && configured.includes('\\'));
  if (hasDir) {
    for (const file of candidates(configured, opts.platform)) {
      if (fs.isExecutable(file)) {
        return { ok: true, command: file };
      }
    }
    return {
      ok: false,
      message:
        `Goldcrest: the server "${configured}" (setting goldcrest.serverPath) does not exist or is not executable. ` +
        `Install the server with: ${INSTALL_COMMAND} — or fix the setting.`,
    };
  }
  const dirs = (opts.pathEnv ?? '').split(sep).filter((d) => d !== '');
  dirs.push(...(opts.extraDirs ?? defaultExtraDirs(opts.home, opts.platform)));
  for (const dir of dirs) {
    for (const file of candidates(configured, opts.platform)) {
      const full = path.join(dir, file);
      if (fs.isExecutable(full)) {
        return { ok: true, command: full };
      }
    }
  }
  return {
    ok: false,
    message:
      `Goldcrest: the server "${configured}" was not found on PATH. Install it with: ${INSTALL_COMMAND} ` +
      `(or set goldcrest.serverPath to the full path of the goldcrest executable).`,
  };
}
