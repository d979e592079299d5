/**
 * What the extension does between VS Code and the language client: no ghost text while paused,
 * answers of server commands that VS Code would drop (explain, list bugs) shown, accepted
 * suggestions' commands logged, and the server's own settings object for workspace/configuration.
 */
import { Middleware } from 'vscode-languageclient/node';

import { Actions } from './actions';
import { SERVER_COMMANDS } from './commands';
import { JsonObject } from './settings';

/** What the middleware needs from the extension. */
export interface MiddlewareHost {
  isPaused(): boolean;
  serverSettings(): JsonObject;
  log(line: string): void;
  readonly actions: Actions;
}

export function middleware(host: MiddlewareHost, section: string): Middleware {
  return {
    provideInlineCompletionItems: (document, position, context, token, next) => {
      if (host.isPaused()) {
        return null;
      }
      return next(document, position, context, token);
    },
    // Code actions that carry a server command (e.g. "Goldcrest: Explain") and accepted inline
    // suggestions (goldcrest.accepted) run through here; VS Code drops a command's result, so
    // show the ones that answer with text.
    executeCommand: async (command, args, next) => {
      if (command === SERVER_COMMANDS.explain) {
        // `show: true` asks the server to pop the text up as a message; we show it better
        const quiet = args.map((a: unknown) => (a !== null && typeof a === 'object' ? { ...a, show: false } : a));
        const result: unknown = await next(command, quiet);
        await host.actions.showExplanation(result, quiet[0]);
        return result;
      }
      const result: unknown = await next(command, args);
      if (command === SERVER_COMMANDS.accepted) {
        // VS Code ran an accepted suggestion's command: the log tells what the server made of it
        host.log(`${command} ${JSON.stringify(args[0])} answered: ${JSON.stringify(result)}`);
      }
      if (command === SERVER_COMMANDS.listBugs) {
        host.actions.reportBugCount(result);
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
        return answer.map((value: unknown, i: number) => (params.items[i]?.section === section ? host.serverSettings() : value));
      },
    },
  };
}
