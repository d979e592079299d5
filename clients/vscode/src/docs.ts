/**
 * Read-only documents beside the code: explanations (markdown preview) and the doctor report.
 */
import * as vscode from 'vscode';

export const DOC_SCHEME = 'goldcrest-doc';

export class DocView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly docs = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  private readonly registration: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '';
  }

  /**
   * Show `content` as the document `/<name>` beside the editor (markdown: as a preview; a wide
   * one, `beside` false, in the editor's place).
   */
  async show(name: string, content: string, markdown: boolean, beside = true): Promise<void> {
    const uri = vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${name}` });
    this.docs.set(uri.toString(), content);
    this.emitter.fire(uri);
    if (markdown) {
      try {
        await vscode.commands.executeCommand(beside ? 'markdown.showPreviewToSide' : 'markdown.showPreview', uri);
        return;
      } catch {
        // no markdown preview: show the source instead
      }
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.emitter.dispose();
  }
}
