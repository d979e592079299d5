/**
 * Goldcrest for VS Code: starts `goldcrest serve` over stdio and wires its LSP features,
 * commands and status into the editor.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { CLIENT_COMMANDS, REFACTORS, RefactorKind, SERVER_COMMANDS, fixRange } from './commands';
import { INSTALL_COMMAND, resolveServer } from './serverPath';
import { JsonObject, buildServerSettings, sameSettings, settingsForChange } from './settings';
import { GoldcrestState, parseStatus, reduceStatus, statusView } from './status';

const SECTION = 'goldcrest';
const DOC_SCHEME = 'goldcrest-doc';
const DEFAULT_LANGUAGES = ['python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'java', 'c', 'cpp'];

/** Read-only documents for explanations and the doctor report. */
class DocProvider implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  set(uri: vscode.Uri, content: string): void {
    this.docs.set(uri.toString(), content);
    this.emitter.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '';
  }
}

class Goldcrest implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private command: string | undefined;
  private state: GoldcrestState;
  private lastSent: JsonObject = {};
  private readonly output: vscode.LogOutputChannel;
  private readonly item: vscode.StatusBarItem;
  private readonly docs = new DocProvider();
  private readonly disposables: vscode.Disposable[] = [];
  private starting: Promise<void> | undefined;

  constructor() {
    this.output = vscode.window.createOutputChannel('Goldcrest', { log: true });
    this.item = vscode.window.createStatusBarItem('goldcrest.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Goldcrest';
    this.item.command = CLIENT_COMMANDS.menu;
    this.state = { client: 'starting', paused: !this.completionsEnabled() };
    this.disposables.push(
      this.output,
      this.item,
      vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, this.docs),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChange(e)),
    );
    this.render();
    this.item.show();
  }

  // ---- settings -------------------------------------------------------------------------------

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  private serverSettings(): JsonObject {
    const cfg = this.config();
    return buildServerSettings((key) => cfg.inspect(key));
  }

  private completionsEnabled(): boolean {
    return this.config().get<boolean>('completion.enabled', true);
  }

  private languages(): string[] {
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
    const current = this.serverSettings();
    if (this.client?.isRunning() && !sameSettings(this.lastSent, current)) {
      const settings = settingsForChange(this.lastSent, current);
      this.lastSent = current;
      await this.client.sendNotification('workspace/didChangeConfiguration', { settings: { [SECTION]: settings } });
    }
  }

  // ---- server lifecycle -----------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.starting) {
      return this.starting;
    }
    this.starting = this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    void vscode.commands.executeCommand('setContext', 'goldcrest.languages', this.languages());
    const resolved = resolveServer(
      {
        configured: this.config().get<string>('serverPath', 'goldcrest'),
        pathEnv: process.env.PATH,
        platform: process.platform,
        home: os.homedir(),
      },
      {
        isExecutable: (file) => {
          try {
            fs.accessSync(file, fs.constants.X_OK);
            return fs.statSync(file).isFile();
          } catch {
            return false;
          }
        },
      },
    );
    if (!resolved.ok) {
      this.setClientState('missing');
      this.log(resolved.message);
      void this.offerInstall(resolved.message);
      return;
    }
    this.command = resolved.command;
    const args = ['serve', ...this.config().get<string[]>('serverArgs', [])];
    this.log(`Starting ${resolved.command} ${args.join(' ')}`);

    // No `transport`: with TransportKind.stdio the client would append `--stdio` to the arguments.
    const serverOptions: ServerOptions = { command: resolved.command, args };
    this.lastSent = this.serverSettings();
    const clientOptions: LanguageClientOptions = {
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
            await this.showExplanation(result, quiet[0]);
            return result;
          }
          const result: unknown = await next(command, args);
          if (command === SERVER_COMMANDS.listBugs) {
            this.reportBugCount(result);
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

    const client = new LanguageClient(SECTION, 'Goldcrest', serverOptions, clientOptions);
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
    this.setClientState('starting');
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

  async stop(): Promise<void> {
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

  async restart(): Promise<void> {
    await this.stop();
    this.state = { client: 'starting', paused: !this.completionsEnabled() };
    this.render();
    await this.start();
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

  private async onChoice(choice: string | undefined): Promise<void> {
    if (choice === 'Show Log') {
      this.output.show(true);
    } else if (choice === 'Run Doctor') {
      await this.doctor();
    }
  }

  // ---- status bar -----------------------------------------------------------------------------

  private setClientState(client: GoldcrestState['client']): void {
    this.state = { ...this.state, client };
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
      { label: '$(bug) List bugs in file', run: () => this.listBugs(false) },
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

  // ---- server commands ------------------------------------------------------------------------

  private async runningClient(): Promise<LanguageClient | undefined> {
    if (this.starting) {
      // a command given while the server (re)starts waits for it
      await Promise.race([this.starting, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    }
    if (this.client?.isRunning()) {
      return this.client;
    }
    void vscode.window.showWarningMessage('Goldcrest: the server is not running.', 'Show Log', 'Run Doctor').then((c) => this.onChoice(c));
    return undefined;
  }

  private editorFor(command: string): vscode.TextEditor | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      this.log(`${command}: no active editor`);
      void vscode.window.showInformationMessage(`Goldcrest: open a file to use "${command}".`);
      return undefined;
    }
    if (!this.languages().includes(editor.document.languageId)) {
      void vscode.window.showInformationMessage(`Goldcrest is not enabled for ${editor.document.languageId} (setting goldcrest.languages).`);
      return undefined;
    }
    return editor;
  }

  private async execute<T>(client: LanguageClient, title: string, command: string, args: unknown): Promise<T | undefined> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Goldcrest: ${title}…`, cancellable: true },
      async (_progress, token) => {
        const t0 = Date.now();
        this.log(`${command} ${JSON.stringify(args)}`);
        try {
          const result = (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] }, token)) as T;
          this.log(`${command} answered in ${Date.now() - t0} ms`);
          return result;
        } catch (err) {
          if (!token.isCancellationRequested) {
            const msg = err instanceof Error ? err.message : String(err);
            this.log(`${command} failed: ${msg}`);
            void vscode.window.showErrorMessage(`Goldcrest: ${title} failed: ${msg}`, 'Show Log').then((c) => this.onChoice(c));
          }
          return undefined;
        }
      },
    );
  }

  async listBugs(selectionOnly: boolean): Promise<void> {
    const editor = this.editorFor('List bugs');
    const client = editor && (await this.runningClient());
    if (!editor || !client) {
      return;
    }
    const c2p = client.code2ProtocolConverter;
    const uri = c2p.asUri(editor.document.uri);
    const sel = editor.selection;
    const args = selectionOnly && !sel.isEmpty ? { uri, range: c2p.asRange(sel) } : { uri };
    this.reportBugCount(await this.execute(client, 'listing bugs', SERVER_COMMANDS.listBugs, args));
  }

  async fix(): Promise<void> {
    const editor = this.editorFor('Fix');
    const client = editor && (await this.runningClient());
    if (!editor || !client) {
      return;
    }
    const c2p = client.code2ProtocolConverter;
    const diagnostics = vscode.languages.getDiagnostics(editor.document.uri).map((d) => ({ range: c2p.asRange(d.range), source: d.source }));
    const line = editor.document.lineAt(editor.selection.active.line);
    const range = fixRange(c2p.asRange(editor.selection), diagnostics, line.text.length);
    await this.execute(client, 'fixing', SERVER_COMMANDS.fix, { uri: c2p.asUri(editor.document.uri), range });
  }

  async refactor(kind?: RefactorKind): Promise<void> {
    const editor = this.editorFor('Refactor');
    const client = editor && (await this.runningClient());
    if (!editor || !client) {
      return;
    }
    let spec = REFACTORS.find((r) => r.kind === kind);
    if (!spec) {
      const picked = await vscode.window.showQuickPick(
        REFACTORS.map((r) => ({ label: r.label, detail: r.detail, spec: r })),
        { placeHolder: 'Goldcrest refactor' },
      );
      if (!picked) {
        return;
      }
      spec = picked.spec;
    }
    const c2p = client.code2ProtocolConverter;
    await this.execute(client, spec.label.toLowerCase(), SERVER_COMMANDS.refactor, {
      uri: c2p.asUri(editor.document.uri),
      range: c2p.asRange(editor.selection),
      kind: spec.kind,
    });
  }

  async explain(): Promise<void> {
    const editor = this.editorFor('Explain');
    const client = editor && (await this.runningClient());
    if (!editor || !client) {
      return;
    }
    const c2p = client.code2ProtocolConverter;
    const args = { uri: c2p.asUri(editor.document.uri), position: c2p.asPosition(editor.selection.active) };
    const answer = await this.execute<unknown>(client, 'explaining', SERVER_COMMANDS.explain, args);
    if (answer !== undefined) {
      await this.showExplanation(answer, args);
    }
  }

  /** Show the markdown `goldcrest.explain` answered, beside the code. */
  private async showExplanation(answer: unknown, arg: unknown): Promise<void> {
    if (answer === null || answer === undefined) {
      return; // nothing to explain there: the server has said so itself
    }
    const text = typeof answer === 'string' ? answer : answer === null || answer === undefined ? '' : JSON.stringify(answer, null, 2);
    if (!text.trim()) {
      void vscode.window.showInformationMessage('Goldcrest: no explanation for this spot.');
      return;
    }
    const where = (arg ?? {}) as { uri?: string; position?: { line: number }; range?: { start: { line: number } } };
    const name = where.uri ? decodeURIComponent(where.uri.split('/').pop() ?? 'code') : 'code';
    const line = (where.position?.line ?? where.range?.start.line ?? 0) + 1;
    const uri = vscode.Uri.from({ scheme: DOC_SCHEME, path: `/Explain ${name}:${line}.md` });
    await this.showDoc(uri, text, true);
  }

  /** A short note after a bug scan; `result` is goldcrest.listBugs' answer ({findings, ...}). */
  private reportBugCount(result: unknown): void {
    const editor = vscode.window.activeTextEditor;
    const reported = (result as { findings?: unknown } | null | undefined)?.findings;
    let found: number;
    if (typeof reported === 'number') {
      found = reported;
    } else if (editor) {
      found = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'goldcrest').length;
    } else {
      return;
    }
    vscode.window.setStatusBarMessage(`Goldcrest: ${found === 0 ? 'no likely bugs found' : `${found} possible bug${found === 1 ? '' : 's'}`}`, 5000);
  }

  async doctor(): Promise<void> {
    const command = this.command ?? this.config().get<string>('serverPath', 'goldcrest');
    // the workspace's goldcrest.toml applies to the report as it does to the server
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const args = folder?.scheme === 'file' ? ['doctor', '--workspace', folder.fsPath] : ['doctor'];
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Goldcrest: running doctor…' },
      () =>
        new Promise<string>((resolve) => {
          execFile(command, args, { timeout: 120_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
            let text = `$ ${command} ${args.join(' ')}\n\n${stdout}`;
            if (stderr) {
              text += `\n${stderr}`;
            }
            if (err) {
              const code = (err as NodeJS.ErrnoException).code;
              text += code === 'ENOENT' ? `\nGoldcrest is not installed. Install it with: ${INSTALL_COMMAND}\n` : `\n(${err.message})\n`;
            }
            resolve(text);
          });
        }),
    );
    this.output.appendLine(report);
    await this.showDoc(vscode.Uri.from({ scheme: DOC_SCHEME, path: '/Goldcrest Doctor.txt' }), report, false);
  }

  private async showDoc(uri: vscode.Uri, content: string, markdown: boolean): Promise<void> {
    this.docs.set(uri, content);
    if (markdown) {
      try {
        await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
        return;
      } catch {
        // no markdown preview: show the source instead
      }
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
  }

  isPaused(): boolean {
    return this.state.paused;
  }

  showLog(): void {
    this.output.show(true);
  }

  dispose(): void {
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
  reg(CLIENT_COMMANDS.listBugsInFile, () => gc.listBugs(false));
  reg(CLIENT_COMMANDS.listBugsInSelection, () => gc.listBugs(true));
  reg(CLIENT_COMMANDS.fix, () => gc.fix());
  reg(CLIENT_COMMANDS.refactorPick, () => gc.refactor());
  for (const r of REFACTORS) {
    reg(r.command, () => gc.refactor(r.kind));
  }
  reg(CLIENT_COMMANDS.explain, () => gc.explain());
  reg(CLIENT_COMMANDS.togglePause, () => gc.setPaused(!gc.isPaused()));
  reg(CLIENT_COMMANDS.pause, () => gc.setPaused(true));
  reg(CLIENT_COMMANDS.resume, () => gc.setPaused(false));
  reg(CLIENT_COMMANDS.restart, () => gc.restart());
  reg(CLIENT_COMMANDS.doctor, () => gc.doctor());
  reg(CLIENT_COMMANDS.showLog, () => gc.showLog());
  reg(CLIENT_COMMANDS.menu, () => gc.menu());
  await gc.start();
}

export async function deactivate(): Promise<void> {
  await goldcrest?.stop();
  goldcrest = undefined;
}
