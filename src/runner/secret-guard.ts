/**
 * The last look before a push: a branch whose changes hold one of Switchyard's own secrets is
 * never pushed. An agent outside the sandbox can read the private key, `.env` or a token and
 * write it into a file; this is where that stops.
 *
 * The patch is read as a stream, line by line, and a line is held only up to a window: a large
 * or binary file (one long "line") never sits in Switchyard's memory whole.
 */
import { execa } from 'execa';
import type { Redactor } from '../log/redact.ts';
import { trustedEnvironment } from './git.ts';

/** How much of one line is held before it is looked at and all but its end let go. */
export const WINDOW = 1024 * 1024;

/** The first changed path whose added text (or name) holds a known secret, if any. */
export async function pathHoldingSecret(
  gitDir: string,
  baseSha: string,
  headSha: string,
  redactor: Redactor,
): Promise<string | undefined> {
  // --text: a secret in a file git takes for binary is still looked at.
  const subprocess = execa(
    'git',
    ['diff', '--text', '--no-color', '--no-ext-diff', '--no-renames', '--unified=0', baseSha, headSha],
    {
      env: trustedEnvironment({ gitDir }),
      extendEnv: false,
      buffer: { stdout: false, stderr: true },
      reject: false,
      stdin: 'ignore',
    },
  );
  const scan = new AddedLines(redactor);
  // latin1 keeps every byte as one character: secrets are ASCII, and nothing is lost to decoding.
  subprocess.stdout.setEncoding('latin1');
  subprocess.stdout.on('data', (chunk: string) => {
    if (scan.push(chunk)) subprocess.kill('SIGKILL');
  });
  const result = await subprocess;
  if (scan.found === undefined) scan.end();
  if (scan.found !== undefined) return scan.found;
  if (result.exitCode !== 0) throw new Error(`git diff failed: ${result.stderr}`);
  return undefined;
}

/** Added lines of a patch, fed in chunks: the file path of the first that holds a secret. */
export class AddedLines {
  found: string | undefined;
  #path = '(a changed file)';
  #line = '';
  readonly #redactor: Redactor;
  readonly #overlap: number;

  constructor(redactor: Redactor) {
    this.#redactor = redactor;
    this.#overlap = redactor.longestNeedle;
  }

  /** Takes a chunk; true once a secret is found. */
  push(chunk: string): boolean {
    let start = 0;
    while (this.found === undefined) {
      const end = chunk.indexOf('\n', start);
      if (end === -1) {
        this.#line += chunk.slice(start);
        if (this.#line.length > WINDOW) this.#lookAt(true);
        break;
      }
      this.#line += chunk.slice(start, end);
      this.#lookAt(false);
      start = end + 1;
    }
    return this.found !== undefined;
  }

  /** How much of the current line is held now. */
  get heldChars(): number {
    return this.#line.length;
  }

  end(): void {
    if (this.#line) this.#lookAt(false);
  }

  /** Looks at the line so far; a partial one keeps its first character and its last `overlap`. */
  #lookAt(partial: boolean): void {
    const line = this.#line;
    const header = /^diff --git a\/.* b\/(.*)$/.exec(line);
    if (header?.[1]) this.#path = header[1];
    // Added lines, the new file's name and, for a path, the header.
    if ((line.startsWith('+') || header) && this.#redactor.holdsKnownSecret(line.slice(1))) this.found = this.#path;
    this.#line = partial && this.#overlap > 0 ? line.slice(0, 1) + line.slice(-this.#overlap) : '';
  }
}
