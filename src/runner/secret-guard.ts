/**
 * The last look before a push: a branch whose changes hold one of Switchyard's own secrets is
 * never pushed. An agent outside the sandbox can read the private key, `.env` or a token and
 * write it into a file; this is where that stops.
 */
import type { SimpleGit } from 'simple-git';
import type { Redactor } from '../log/redact.ts';

/** The first changed path whose added text (or name) holds a known secret, if any. */
export async function pathHoldingSecret(
  git: SimpleGit,
  baseSha: string,
  headSha: string,
  redactor: Redactor,
): Promise<string | undefined> {
  // --text: a secret in a file git takes for binary is still looked at.
  const patch = await git.raw([
    'diff',
    '--text',
    '--no-color',
    '--no-ext-diff',
    '--no-renames',
    '--unified=0',
    baseSha,
    headSha,
  ]);
  for (const filePatch of patch.split(/^(?=diff --git )/m)) {
    const added = filePatch
      .split('\n')
      .filter((line) => line.startsWith('+') || line.startsWith('diff --git '))
      .map((line) => line.slice(1))
      .join('\n');
    if (!redactor.holdsKnownSecret(added)) continue;
    const header = /^diff --git a\/(.*) b\/(.*)$/m.exec(filePatch);
    return header?.[2] ?? '(a changed file)';
  }
  return undefined;
}
