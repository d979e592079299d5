/**
 * The editor commands that call the server's actions (list bugs, fix, refactor, explain) through
 * `workspace/executeCommand`, with a cancellable progress notification and the answer shown.
 */
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';

import { acceptanceReport } from './acceptance';
import { REFACTORS, RefactorKind, SERVER_COMMANDS, fixRange, withTier } from './commands';
import { DocView } from './docs';

/** What the actions need from the extension: the running client and a few helpers. */
export interface ActionHost {
  runningClient(): Promise<LanguageClient | undefined>;
  languages(): string[];
  log(line: string): void;
  onChoice(choice: string | undefined): Promise<void>;
}

/** The server's counters and acceptance figures. */
const STATS_REQUEST = 'goldcrest/stats';

export class Actions {
  constructor(
    private readonly host: ActionHost,
    private readonly docs: DocView,
  ) {}

  private editorFor(command: string): vscode.TextEditor | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      this.host.log(`${command}: no active editor`);
      void vscode.window.showInformationMessage(`Goldcrest: open a file to use "${command}".`);
      return undefined;
    }
    if (!this.host.languages().includes(editor.document.languageId)) {
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
        this.host.log(`${command} ${JSON.stringify(args)}`);
        try {
          const result = (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] }, token)) as T;
          this.host.log(`${command} answered in ${Date.now() - t0} ms: ${JSON.stringify(result)}`);
          return result;
        } catch (err) {
          if (!token.isCancellationRequested) {
            const msg = err instanceof Error ? err.message : String(err);
            this.host.log(`${command} failed: ${msg}`);
            void vscode.window.showErrorMessage(`Goldcrest: ${title} failed: ${msg}`, 'Show Log').then((c) => this.host.onChoice(c));
          }
          return undefined;
        }
      },
    );
  }

  async listBugs(selectionOnly: boolean, tier?: string): Promise<void> {
    const editor = this.editorFor('List bugs');
    const client = editor && (await this.host.runningClient());
    if (!editor || !client) {
      return;
    }
    const c2p = client.code2ProtocolConverter;
    const uri = c2p.asUri(editor.document.uri);
    const sel = editor.selection;
    const args = withTier(selectionOnly && !sel.isEmpty ? { uri, range: c2p.asRange(sel) } : { uri }, tier);
    const title = tier ? `listing bugs (${tier} model)` : 'listing bugs';
    this.reportBugCount(await this.execute(client, title, SERVER_COMMANDS.listBugs, args));
  }

  async fix(tier?: string): Promise<void> {
    const editor = this.editorFor('Fix');
    const client = editor && (await this.host.runningClient());
    if (!editor || !client) {
      return;
    }
    const c2p = client.code2ProtocolConverter;
    const diagnostics = vscode.languages.getDiagnostics(editor.document.uri).map((d) => ({ range: c2p.asRange(d.range), source: d.source }));
    const line = editor.document.lineAt(editor.selection.active.line);
    const range = fixRange(c2p.asRange(editor.selection), diagnostics, line.text.length);
    const title = tier ? `fixing (${tier} model)` : 'fixing';
    const result = await this.execute<{ applied?: boolean; problem?: string | null } | null>(
      client,
      title,
      SERVER_COMMANDS.fix,
      withTier({ uri: c2p.asUri(editor.document.uri), range }, tier),
    );
    if (result && result.applied) {
      vscode.window.setStatusBarMessage('Goldcrest: fix applied', 5000);
    }
  }

  async refactor(kind?: RefactorKind): Promise<void> {
    const editor = this.editorFor('Refactor');
    const client = editor && (await this.host.runningClient());
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
    const client = editor && (await this.host.runningClient());
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
  async showExplanation(answer: unknown, arg: unknown): Promise<void> {
    if (answer === null || answer === undefined) {
      return; // nothing to explain there: the server has said so itself
    }
    const text = typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2);
    if (!text.trim()) {
      void vscode.window.showInformationMessage('Goldcrest: no explanation for this spot.');
      return;
    }
    const where = (arg ?? {}) as { uri?: string; position?: { line: number }; range?: { start: { line: number } } };
    const name = where.uri ? decodeURIComponent(where.uri.split('/').pop() ?? 'code') : 'code';
    const line = (where.position?.line ?? where.range?.start.line ?? 0) + 1;
    await this.docs.show(`Explain ${name}:${line}.md`, text, true);
  }

  /** What the user accepted, per tier, model, language and task (the server's figures). */
  async showAcceptance(): Promise<void> {
    const client = await this.host.runningClient();
    if (!client) {
      return;
    }
    try {
      const stats: unknown = await client.sendRequest(STATS_REQUEST, {});
      await this.docs.show('Goldcrest Acceptance.md', acceptanceReport(stats), true, false);
    } catch (err) {
      this.host.log(`${STATS_REQUEST} failed: ${String(err)}`);
      void vscode.window.showErrorMessage(`Goldcrest: the server did not report its figures (${String(err)}).`, 'Show Log').then((c) => this.host.onChoice(c));
    }
  }

  /** A short note after a bug scan; `result` is goldcrest.listBugs' answer ({findings, ...}). */
  reportBugCount(result: unknown): void {
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
}
