/**
 * Goldcrest for VS Code: starts `goldcrest serve` over stdio and wires its LSP features,
 * commands and status into the editor.
 */
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions, State } from 'vscode-languageclient/node';

import { Actions } from './actions';
import { CLIENT_COMMANDS, REFACTORS, TIER_COMMANDS } from './commands';
import { DocView } from './docs';
import { doctorReport } from './doctor';
import { locateServer } from './locate';
import { MiddlewareHost, middleware } from './middleware';
import { INSTALL_COMMAND, Resolution } from './serverPath';
import { Inspected, JsonObject, buildServerSettings, sameSettings, settingsForChange, trustedInspect, userValue } from './settings';
import { GoldcrestState, isLoading, parseStatus, reduceStatus, statusView } from './status';

const SECTION = 'goldcrest';
const DEFAULT_LANGUAGES = ['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'java', 'c', 'cpp'];
/** How long a start that finds no server waits for settings still on their way (remote windows). */
const SETTINGS_GRACE_MS = 2500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class Goldcrest implements vscode.Disposable, MiddlewareHost {
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

  serverSettings(): JsonObject {
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

  /** Where `goldcrest` is, read from the settings now: an explicit goldcrest.serverPath wins. */
  locateServer(): Promise<Resolution> {
    return locateServer(userValue(this.inspect()('serverPath')), (line) => this.log(line));
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
      middleware: middleware(this, SECTION),
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

  log(line: string): void {
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
      { label: '$(graph) Show acceptance stats', run: () => this.actions.showAcceptance() },
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
    const report = resolved.ok ? await doctorReport(resolved.command, this.serverSettings()) : `${resolved.message}\n`;
    this.output.appendLine(report);
    await this.docs.show('Goldcrest Doctor.txt', report, false);
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
  reg(CLIENT_COMMANDS.showAcceptance, () => actions.showAcceptance());
  reg(CLIENT_COMMANDS.menu, () => gc.menu());
  await gc.start();
}

export async function deactivate(): Promise<void> {
  await goldcrest?.stop();
  goldcrest = undefined;
}
