/**
 * Goldcrest for VS Code: starts `goldcrest serve` over stdio and wires its LSP features,
 * commands and status into the editor.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions, State } from 'vscode-languageclient/node';

import { acceptanceReport } from './acceptance';
import { Actions } from './actions';
import { CLIENT_COMMANDS, REFACTORS, SERVER_COMMANDS, TIER_COMMANDS } from './commands';
import { DocView } from './docs';
import { INSTALL_COMMAND, Resolution, pythonEnvDirs, resolveServer } from './serverPath';
import { Inspected, JsonObject, buildServerSettings, sameSettings, settingsForChange, trustedInspect, userValue } from './settings';
import { GoldcrestState, isLoading, parseStatus, reduceStatus, statusView } from './status';

const SECTION = 'goldcrest';
const DEFAULT_LANGUAGES = ['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'java', 'c', 'cpp'];
const PYTHON_EXTENSION = 'ms-python.python';
/** The server's counters and acceptance figures. */
const STATS_REQUEST = 'goldcrest/stats';
/** How long a start that finds no server waits for settings still on their way (remote windows). */
const SETTINGS_GRACE_MS = 2500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

class Goldcrest implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private state: GoldcrestState;
  private lastSent: JsonObject = {};
  private readonly output: vscode.LogOutputChannel;
  private readonly item: vscode.StatusBarItem;
  private readonly docs = new DocView();
  readonly actions: Actions;
  private readonly disposables: vscode.Disposable[] = [];
  /** Starts, stops and restarts run one after the other, each reading the settings afresh. */
  private lifecycle: Promise<void> = Promise.resolve();
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor() {
    this.output = vscode.window.createOutputChannel('Goldcrest', { log: true });
    this.item = vscode.window.createStatusBarItem('goldcrest.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Goldcrest';
    this.item.command = CLIENT_COMMANDS.menu;
    this.state = { client: 'starting', paused: !this.completionsEnabled() };
    this.actions = new Actions(
      {
        runningClient: () => this.runningClient(),
        languages: () => this.languages(),
        log: (line) => this.log(line),
        onChoice: (choice) => this.onChoice(choice),
      },
      this.docs,
    );
    this.disposables.push(
      this.output,
      this.item,
      this.docs,
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChange(e)),
      // trusted now: the workspace's own server settings apply
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.restart()),
    );
    this.render();
    this.item.show();
  }

  // ---- settings -------------------------------------------------------------------------------

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** What the user set, read the way the workspace's trust allows. */
  private inspect(): (key: string) => Inspected | undefined {
    const cfg = this.config();
    return trustedInspect((key) => cfg.inspect(key), vscode.workspace.isTrusted);
  }

  private serverSettings(): JsonObject {
    return buildServerSettings(this.inspect());
  }

  private completionsEnabled(): boolean {
    return this.config().get<boolean>('completion.enabled', true);
  }

  languages(): string[] {
    const langs = this.config().get<string[]>('languages', DEFAULT_LANGUAGES);
    return Array.isArray(langs) && langs.length > 0 ? langs : DEFAULT_LANGUAGES;
  }

  private async onConfigChange(e: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!e.affectsConfiguration(SECTION)) {
      return;
    }
    this.state = { ...this.state, paused: !this.completionsEnabled() };
    this.render();
    // serverSettings is free-form: a key removed from it cannot be reset by a notification
    if (['serverPath', 'serverArgs', 'languages', 'serverSettings'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
      this.log('Server path, arguments, languages or serverSettings changed: restarting the server.');
      await this.restart();
      return;
    }
    // after any start in progress (it sent the settings it read as initializationOptions), so a
    // change that arrives while the server starts is not lost
    await this.serial(async () => {
      const current = this.serverSettings();
      if (this.client?.isRunning() && !sameSettings(this.lastSent, current)) {
        const settings = settingsForChange(this.lastSent, current);
        this.lastSent = current;
        this.log(`Settings changed: workspace/didChangeConfiguration ${JSON.stringify(settings)}`);
        await this.client.sendNotification('workspace/didChangeConfiguration', { settings: { [SECTION]: settings } });
      }
    });
  }

  // ---- finding the server ---------------------------------------------------------------------

  /** The bin folders of the Python extension's selected interpreter, when it is installed. */
  private async pythonDirs(): Promise<string[]> {
    const ext = vscode.extensions.getExtension(PYTHON_EXTENSION);
    if (!ext) {
      return [];
    }
    try {
      const api: unknown = ext.isActive ? ext.exports : await Promise.race([ext.activate(), sleep(5000).then(() => undefined)]);
      return await pythonEnvDirs(api, vscode.workspace.workspaceFolders?.[0]?.uri, process.platform);
    } catch (err) {
      this.log(`The Python extension's interpreter is unknown: ${String(err)}`);
      return [];
    }
  }

  /** Where `goldcrest` is, read from the settings now: an explicit goldcrest.serverPath wins. */
  async locateServer(): Promise<Resolution> {
    const explicit = userValue(this.inspect()('serverPath'));
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
        pythonEnvDirs: bare && vscode.workspace.isTrusted ? await this.pythonDirs() : [],
      },
      { isExecutable },
    );
    const source = explicit === undefined ? 'default' : 'goldcrest.serverPath';
    this.log(`server: "${configured}" (${source}) -> ${resolved.ok ? `${resolved.command} (found via ${resolved.via})` : 'not found'}`);
    return resolved;
  }

  // ---- server lifecycle -----------------------------------------------------------------------

  /** Run `step` after every start/stop queued before it. */
  private serial(step: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(step, step);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  start(): Promise<void> {
    return this.serial(() => this.doStart(true));
  }

  stop(): Promise<void> {
    return this.serial(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.serial(async () => {
      await this.doStop();
      this.state = { client: 'starting', paused: !this.completionsEnabled() };
      this.render();
      await this.doStart(false);
    });
  }

  private async doStart(activation: boolean): Promise<void> {
    void vscode.commands.executeCommand('setContext', 'goldcrest.languages', this.languages());
    this.setClientState('starting');
    let resolved = await this.locateServer();
    if (!resolved.ok && activation) {
      // In a remote window (code-server, SSH) the user's settings can reach the extension host
      // after activation; a change then restarts the server. Give them a moment before crying.
      await sleep(SETTINGS_GRACE_MS);
      resolved = await this.locateServer();
    }
    if (!resolved.ok) {
      this.setClientState('missing');
      this.log(resolved.message);
      void this.offerInstall(resolved.message);
      return;
    }
    const extra = userValue(this.inspect()('serverArgs'));
    const args = ['serve', ...(Array.isArray(extra) ? extra.map(String) : [])];
    this.log(`Starting ${resolved.command} ${args.join(' ')}`);

    // No `transport`: with TransportKind.stdio the client would append `--stdio` to the arguments.
    const serverOptions: ServerOptions = { command: resolved.command, args };
    this.lastSent = this.serverSettings();
    const client = new LanguageClient(SECTION, 'Goldcrest', serverOptions, this.clientOptions());
    this.client = client;
    client.onDidChangeState(({ newState }) => {
      if (this.client !== client) {
        return;
      }
      if (newState === State.Running) {
        this.setClientState('running');
      } else if (newState === State.Starting) {
        this.setClientState('starting');
      } else if (this.state.client !== 'failed') {
        this.setClientState('stopped');
      }
    });
    client.onNotification('goldcrest/status', (raw: unknown) => {
      const params = parseStatus(raw);
      if (params && this.client === client) {
        this.state = reduceStatus(this.state, params);
        this.render();
      }
    });
    try {
      await client.start();
      this.log(`Server started (running: ${client.isRunning()})`);
    } catch (err) {
      this.setClientState('failed');
      this.log(`The Goldcrest server failed to start: ${String(err)}`);
      void vscode.window
        .showErrorMessage(`Goldcrest: the server failed to start (${String(err)}).`, 'Show Log', 'Run Doctor')
        .then((choice) => this.onChoice(choice));
    }
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: this.languages().flatMap((language) => [
        { scheme: 'file', language },
        { scheme: 'untitled', language },
      ]),
      initializationOptions: this.lastSent,
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      middleware: {
        provideInlineCompletionItems: (document, position, context, token, next) => {
          if (this.state.paused) {
            return null;
          }
          return next(document, position, context, token);
        },
        // Code actions that carry a server command (e.g. "Goldcrest: Explain") run through
        // here; VS Code drops a command's result, so show the ones that answer with text.
        executeCommand: async (command, args, next) => {
          if (command === SERVER_COMMANDS.explain) {
            // `show: true` asks the server to pop the text up as a message; we show it better
            const quiet = args.map((a: unknown) => (a !== null && typeof a === 'object' ? { ...a, show: false } : a));
            const result: unknown = await next(command, quiet);
            await this.actions.showExplanation(result, quiet[0]);
            return result;
          }
          const result: unknown = await next(command, args);
          if (command === SERVER_COMMANDS.accepted) {
            // VS Code ran an accepted inline suggestion's command: the log tells what the server made of it
            this.log(`${command} ${JSON.stringify(args[0])} answered: ${JSON.stringify(result)}`);
          }
          if (command === SERVER_COMMANDS.listBugs) {
            this.actions.reportBugCount(result);
          }
          return result;
        },
        workspace: {
          // A server that pulls settings (workspace/configuration) gets the same object as
          // initializationOptions, never the raw VS Code section with client-only keys.
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (!Array.isArray(answer)) {
              return answer; // a ResponseError
            }
            return answer.map((value: unknown, i: number) => (params.items[i]?.section === SECTION ? this.serverSettings() : value));
          },
        },
      },
    };
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.log(`Stopping the server (state ${client.state})`);
      try {
        if (client.isRunning()) {
          await client.stop(5000);
        }
      } catch (err) {
        this.log(`Stopping the server: ${String(err)}`);
      }
      try {
        await client.dispose(2000);
      } catch {
        // already stopped
      }
    }
  }

  private async offerInstall(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Copy Install Command', 'Open Settings', 'Retry');
    if (choice === 'Copy Install Command') {
      await vscode.env.clipboard.writeText(INSTALL_COMMAND);
      void vscode.window.showInformationMessage(`Copied: ${INSTALL_COMMAND}`);
    } else if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'goldcrest.serverPath');
    } else if (choice === 'Retry') {
      await this.restart();
    }
  }

  async onChoice(choice: string | undefined): Promise<void> {
    if (choice === 'Show Log') {
      this.output.show(true);
    } else if (choice === 'Run Doctor') {
      await this.doctor();
    }
  }

  /** The running client; a command given while the server (re)starts waits for it. */
  async runningClient(): Promise<LanguageClient | undefined> {
    await Promise.race([this.lifecycle, sleep(30_000)]);
    if (this.client?.isRunning()) {
      return this.client;
    }
    void vscode.window.showWarningMessage('Goldcrest: the server is not running.', 'Show Log', 'Run Doctor').then((c) => this.onChoice(c));
    return undefined;
  }

  // ---- status bar -----------------------------------------------------------------------------

  private setClientState(client: GoldcrestState['client']): void {
    const runningSince = client === 'running' ? (this.state.runningSince ?? Date.now()) : undefined;
    this.state = { ...this.state, client, runningSince };
    this.render();
  }

  private render(): void {
    const view = statusView(this.state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    // while the model loads, the status bar counts the seconds
    if (isLoading(this.state) && !this.ticker) {
      this.ticker = setInterval(() => this.render(), 1000);
    } else if (!isLoading(this.state) && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private log(line: string): void {
    this.output.info(`[client] ${line}`);
  }

  async menu(): Promise<void> {
    type Entry = vscode.QuickPickItem & { run: () => unknown };
    const paused = this.state.paused;
    const entries: Entry[] = [
      paused
        ? { label: '$(debug-start) Resume inline completions', run: () => this.setPaused(false) }
        : { label: '$(debug-pause) Pause inline completions', run: () => this.setPaused(true) },
      { label: '$(debug-restart) Restart server', run: () => this.restart() },
      { label: '$(pulse) Run goldcrest doctor', run: () => this.doctor() },
      { label: '$(output) Show log', run: () => this.output.show(true) },
      { label: '$(graph) Show acceptance stats', run: () => this.showAcceptance() },
      { label: '$(bug) List bugs in file', run: () => this.actions.listBugs(false) },
      { label: '$(gear) Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', '@ext:goldcrest.goldcrest') },
    ];
    const picked = await vscode.window.showQuickPick(entries, { title: statusView(this.state).tooltip.split('\n')[0], placeHolder: 'Goldcrest' });
    if (picked) {
      await picked.run();
    }
  }

  async setPaused(paused: boolean): Promise<void> {
    const cfg = this.config();
    const info = cfg.inspect<boolean>('completion.enabled');
    const target =
      info?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : info?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    await cfg.update('completion.enabled', !paused, target);
    this.state = { ...this.state, paused };
    this.render();
    vscode.window.setStatusBarMessage(paused ? 'Goldcrest: inline completions paused' : 'Goldcrest: inline completions resumed', 3000);
  }

  isPaused(): boolean {
    return this.state.paused;
  }

  /** `goldcrest doctor` with the editor's settings, found the way the server is found. */
  async doctor(): Promise<void> {
    const resolved = await this.locateServer();
    if (!resolved.ok) {
      await this.docs.show('Goldcrest Doctor.txt', `${resolved.message}\n`, false);
      return;
    }
    const command = resolved.command;
    // the workspace's goldcrest.toml and the editor's settings apply as they do to the server
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const args = folder?.scheme === 'file' ? ['doctor', '--workspace', folder.fsPath] : ['doctor'];
    const settings = this.serverSettings();
    if (Object.keys(settings).length > 0) {
      args.push('--settings', JSON.stringify(settings));
    }
    const report = await vscode.window.withProgress(
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
    this.output.appendLine(report);
    await this.docs.show('Goldcrest Doctor.txt', report, false);
  }

  /** What the user accepted, per tier, model, language and task (the server's figures). */
  async showAcceptance(): Promise<void> {
    const client = await this.runningClient();
    if (!client) {
      return;
    }
    try {
      const stats: unknown = await client.sendRequest(STATS_REQUEST, {});
      await this.docs.show('Goldcrest Acceptance.md', acceptanceReport(stats), true);
    } catch (err) {
      this.log(`${STATS_REQUEST} failed: ${String(err)}`);
      void vscode.window.showErrorMessage(`Goldcrest: the server did not report its figures (${String(err)}).`, 'Show Log').then((c) => this.onChoice(c));
    }
  }

  showLog(): void {
    this.output.show(true);
  }

  dispose(): void {
    if (this.ticker) {
      clearInterval(this.ticker);
    }
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

let goldcrest: Goldcrest | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const gc = new Goldcrest();
  goldcrest = gc;
  context.subscriptions.push(gc);
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  const actions = gc.actions;
  reg(CLIENT_COMMANDS.listBugsInFile, () => actions.listBugs(false));
  reg(CLIENT_COMMANDS.listBugsInSelection, () => actions.listBugs(true));
  reg(CLIENT_COMMANDS.fix, () => actions.fix());
  for (const t of TIER_COMMANDS) {
    reg(t.command, () => (t.action === 'fix' ? actions.fix(t.tier) : actions.listBugs(true, t.tier)));
  }
  reg(CLIENT_COMMANDS.refactorPick, () => actions.refactor());
  for (const r of REFACTORS) {
    reg(r.command, () => actions.refactor(r.kind));
  }
  reg(CLIENT_COMMANDS.explain, () => actions.explain());
  reg(CLIENT_COMMANDS.togglePause, () => gc.setPaused(!gc.isPaused()));
  reg(CLIENT_COMMANDS.pause, () => gc.setPaused(true));
  reg(CLIENT_COMMANDS.resume, () => gc.setPaused(false));
  reg(CLIENT_COMMANDS.restart, () => gc.restart());
  reg(CLIENT_COMMANDS.doctor, () => gc.doctor());
  reg(CLIENT_COMMANDS.showLog, () => gc.showLog());
  reg(CLIENT_COMMANDS.showAcceptance, () => gc.showAcceptance());
  reg(CLIENT_COMMANDS.menu, () => gc.menu());
  await gc.start();
}

export async function deactivate(): Promise<void> {
  await goldcrest?.stop();
  goldcrest = undefined;
}
