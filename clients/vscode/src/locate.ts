/**
 * Finding `goldcrest` from inside VS Code: the setting, PATH, the Python extension's selected
 * interpreter environment, pipx and ~/.local/bin (the search itself is serverPath.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';

import { Resolution, pythonEnvDirs, resolveServer } from './serverPath';

const PYTHON_EXTENSION = 'ms-python.python';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The bin folders of the Python extension's selected interpreter, when it is installed. */
async function pythonDirs(log: (line: string) => void): Promise<string[]> {
  const ext = vscode.extensions.getExtension(PYTHON_EXTENSION);
  if (!ext) {
    return [];
  }
  try {
    const api: unknown = ext.isActive ? ext.exports : await Promise.race([ext.activate(), sleep(5000).then(() => undefined)]);
    return await pythonEnvDirs(api, vscode.workspace.workspaceFolders?.[0]?.uri, process.platform);
  } catch (err) {
    log(`The Python extension's interpreter is unknown: ${String(err)}`);
    return [];
  }
}

/**
 * Where `goldcrest` is; `explicit` is the user's goldcrest.serverPath as read now (undefined when
 * unset), and always wins when set.
 */
export async function locateServer(explicit: unknown, log: (line: string) => void): Promise<Resolution> {
  const configured = typeof explicit === 'string' && explicit.trim() ? explicit : 'goldcrest';
  const bare = !configured.includes('/') && !configured.includes('\\');
  const resolved = resolveServer(
    {
      configured,
      pathEnv: process.env.PATH,
      platform: process.platform,
      home: os.homedir(),
      env: process.env,
      // an untrusted workspace's interpreter may be a venv inside it: not a server to run
      pythonEnvDirs: bare && vscode.workspace.isTrusted ? await pythonDirs(log) : [],
    },
    { isExecutable },
  );
  const source = explicit === undefined ? 'default' : 'goldcrest.serverPath';
  log(`server: "${configured}" (${source}) -> ${resolved.ok ? `${resolved.command} (found via ${resolved.via})` : 'not found'}`);
  return resolved;
}
