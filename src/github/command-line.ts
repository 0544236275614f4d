/** The `/agent …` line of an issue comment: which command it gives, if any. Pure. */

export const COMMANDS = ['retry', 'cancel', 'status', 'plan'] as const;
export type CommandName = (typeof COMMANDS)[number];

const COMMAND_LINE = /^[ \t]*\/agent\b[ \t]*(\S*)/im;
// A command shown in a fenced code block is an example, not a request.
const FENCED_BLOCK = /^[ \t]*(`{3,}|~{3,})[\s\S]*?(?:^[ \t]*\1|(?![\s\S]))/gm;

/** The command a comment gives (its first `/agent` line outside code blocks), or `undefined`. */
export function parseCommand(body: string | null | undefined): { name: string } | undefined {
  const match = COMMAND_LINE.exec((body ?? '').replace(FENCED_BLOCK, ''));
  return match ? { name: (match[1] ?? '').toLowerCase() } : undefined;
}

export function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}
