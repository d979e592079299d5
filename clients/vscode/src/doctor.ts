/**
 * `goldcrest doctor` as the editor runs it: for the workspace, with the editor's settings (so the
 * report matches what the server does), under a progress notification.
 */
import { execFile } from 'child_process';
import * as vscode from 'vscode';

import { JsonObject } from './settings';

/** The report of `command doctor` (its output, and how it failed if it did). */
export async function doctorReport(command: string, settings: JsonObject): Promise<string> {
  // the workspace's goldcrest.toml and the editor's settings apply as they do to the server
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const args = folder?.scheme === 'file' ? ['doctor', '--workspace', folder.fsPath] : ['doctor'];
  if (Object.keys(settings).length > 0) {
    args.push('--settings', JSON.stringify(settings));
  }
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Goldcrest: running doctor…' },
    () =>
      new Promise<string>((resolve) => {
        execFile(command, args, { timeout: 180_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
          let text = `$ ${command} ${args.join(' ')}\n\n${stdout}`;
          if (stderr) {
            text += `\n${stderr}`;
          }
          if (err) {
            text += `\n(${err.message})\n`;
          }
          resolve(text);
        });
      }),
  );
}
