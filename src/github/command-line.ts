/** The `/agent …` line of an issue comment: which command it gives, if any. Pure. */

export const COMMANDS = ['retry', 'cancel', 'status', 'plan', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];

const COMMAND_LINE = /^[ \t]*\/agent\b[ \t]*(\S*)([^\n]*)/im;
// A command shown in a fenced code block is an example, not a request.
const FENCED_BLOCK = /^[ \t]*(`{3,}|~{3,})[\s\S]*?(?:^[ \t]*\1|(?![\s\S]))/gm;

/** The most text taken as a command's arguments (`/agent retry <instructions>`). */
export const MAX_COMMAND_ARGS = 8_000;

/**
 * The command a comment gives (its first `/agent` line outside code blocks), or `undefined`, with
 * its arguments: the rest of that line and the lines after it (`/agent retry` and instructions).
 */
export function parseCommand(body: string | null | undefined): { name: string; args: string } | undefined {
  const text = (body ?? '').replace(FENCED_BLOCK, '');
  const match = COMMAND_LINE.exec(text);
  if (!match) return undefined;
  // The arguments come from the comment as written, code blocks included (instructions may hold some).
  const original = body ?? '';
  const at = original.indexOf(match[0]);
  const rest = (
    at >= 0
      ? `${match[2] ?? ''}${original.slice(at + match[0].length)}`
      : `${match[2] ?? ''}${text.slice(match.index + match[0].length)}`
  ).trim();
  return { name: (match[1] ?? '').toLowerCase(), args: rest.slice(0, MAX_COMMAND_ARGS) };
}

export function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}
