/**
 * The editor commands Goldcrest contributes and the server commands they call. Pure module.
 *
 * Client command ids deliberately differ from the server's executeCommand ids
 * (`goldcrest.listBugs`, `goldcrest.fix`, `goldcrest.refactor`, `goldcrest.explain`): the
 * language client registers each command the server advertises as a VS Code command of the same
 * name (that is how code actions carrying a command reach the server), and a second registration
 * of the same id would fail.
 */

export const SERVER_COMMANDS = {
  listBugs: 'goldcrest.listBugs',
  fix: 'goldcrest.fix',
  refactor: 'goldcrest.refactor',
  explain: 'goldcrest.explain',
  /** Run by the editor when the user accepts a suggestion that carries it (the server counts it). */
  accepted: 'goldcrest.accepted',
} as const;

export type RefactorKind = 'simplify' | 'extract_function' | 'type_hints' | 'docstring';

export interface RefactorSpec {
  command: string;
  kind: RefactorKind;
  label: string;
  detail: string;
}

export const REFACTORS: readonly RefactorSpec[] = [
  { command: 'goldcrest.refactorSimplify', kind: 'simplify', label: 'Simplify', detail: 'Rewrite the code more simply, same behaviour' },
  { command: 'goldcrest.refactorExtractFunction', kind: 'extract_function', label: 'Extract function', detail: 'Move the selection into a new function' },
  { command: 'goldcrest.refactorAddTypeHints', kind: 'type_hints', label: 'Add type hints', detail: 'Annotate parameters and return values' },
  { command: 'goldcrest.refactorAddDocstring', kind: 'docstring', label: 'Add docstring', detail: 'Document the function' },
];

export const CLIENT_COMMANDS = {
  listBugsInFile: 'goldcrest.listBugsInFile',
  listBugsInSelection: 'goldcrest.listBugsInSelection',
  fix: 'goldcrest.fixAtCursor',
  refactorPick: 'goldcrest.refactorPick',
  explain: 'goldcrest.explainAtCursor',
  togglePause: 'goldcrest.togglePause',
  pause: 'goldcrest.pauseCompletions',
  resume: 'goldcrest.resumeCompletions',
  restart: 'goldcrest.restartServer',
  doctor: 'goldcrest.runDoctor',
  showLog: 'goldcrest.showLog',
  showAcceptance: 'goldcrest.showAcceptance',
  menu: 'goldcrest.statusMenu',
  fixWithStrongest: 'goldcrest.fixWithStrongest',
  listBugsWithStrongest: 'goldcrest.listBugsWithStrongest',
} as const;

/** The `tier` value that asks the server for its strongest usable model. */
export const STRONGEST = 'strongest';

/** Client commands that ask a particular tier; `tier` goes into the server command's argument. */
export const TIER_COMMANDS: readonly { command: string; action: 'fix' | 'listBugs'; tier: string; title: string }[] = [
  { command: CLIENT_COMMANDS.fixWithStrongest, action: 'fix', tier: STRONGEST, title: 'Fix with Strongest Model' },
  { command: CLIENT_COMMANDS.listBugsWithStrongest, action: 'listBugs', tier: STRONGEST, title: 'List Bugs with Strongest Model' },
];

/**
 * A server command's argument object with the optional `tier` ("strongest" or a tier's name):
 * left out when no tier was asked for, so the server routes the request itself.
 */
export function withTier<T extends object>(args: T, tier?: string): T & { tier?: string } {
  return tier ? { ...args, tier } : { ...args };
}

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

export interface DiagnosticLike {
  range: LspRange;
  source?: string;
}

function contains(range: LspRange, pos: LspPosition): boolean {
  const before = (a: LspPosition, b: LspPosition) => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(range.start, pos) && before(pos, range.end);
}

export function isEmpty(range: LspRange): boolean {
  return range.start.line === range.end.line && range.start.character === range.end.character;
}

/**
 * The range `Fix` works on: the selection when there is one; else the Goldcrest diagnostic under
 * the cursor; else the cursor's whole line (`lineLength` in UTF-16 code units).
 */
export function fixRange(selection: LspRange, diagnostics: readonly DiagnosticLike[], lineLength: number): LspRange {
  if (!isEmpty(selection)) {
    return selection;
  }
  const cursor = selection.start;
  const hit = diagnostics.find((d) => d.source === 'goldcrest' && contains(d.range, cursor));
  if (hit) {
    return hit.range;
  }
  return { start: { line: cursor.line, character: 0 }, end: { line: cursor.line, character: lineLength } };
}
