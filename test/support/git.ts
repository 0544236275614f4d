/** Unified diffs for test issues; seeding lives with the twin. */
export { pushFiles } from '@switchyard/github-twin/seed';

/** A unified diff that replaces one line of a file. */
export function replaceLineDiff(path: string, before: string, after: string): string {
  return [
    `diff --git a/${path} b/${path}`,
    `--- a/${path}`,
    `+++ b/${path}`,
    '@@ -1 +1 @@',
    `-${before}`,
    `+${after}`,
    '',
  ].join('\n');
}

/** A unified diff that creates a new file (the demo's own). */
export { newFile as newFileDiff } from '../../src/cli/sample-repo.ts';
