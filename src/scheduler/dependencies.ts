/**
 * Dependencies written in an issue body: `Depends on #12`, `Blocked by #12, #14`,
 * `depends on: #3 and #4`, `Requires #7`, also inside task-list items. References inside code
 * blocks, inline code and quotes are not dependencies; a reference to another repository is
 * reported as foreign rather than guessed at.
 */

export interface BodyDependencies {
  /** Issue numbers in the same repository. */
  issues: number[];
  /** References the scheduler cannot follow: `owner/repo#12` or a URL to another repository. */
  foreign: string[];
}

const KEYWORD = /\b(?:depends\s+on|blocked\s+by|requires)\b\s*:?\s*/gi;
// One reference: #12, owner/repo#12, or an issue URL.
const REFERENCE = /^(?:#(\d+)|([\w.-]+\/[\w.-]+)#(\d+)|https?:\/\/[^\s/]+\/([\w.-]+\/[\w.-]+)\/issues\/(\d+))/;
const SEPARATOR = /^(?:\s*(?:,|and|&|\+)\s*|\s+)/i;

/** The body with code blocks, inline code, quotes and HTML comments removed. */
function prose(body: string): string {
  return body
    .replace(/\r\n?/g, '\n')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[ \t]*$|(?![\s\S]))/gm, '')
    .replace(/`[^`\n]*`/g, '')
    .split('\n')
    .filter((line) => !/^\s*>/.test(line))
    .join('\n');
}

export function parseDependencies(body: string | null | undefined, repoFullName: string): BodyDependencies {
  const issues = new Set<number>();
  const foreign = new Set<string>();
  const text = prose(body ?? '');
  for (const match of text.matchAll(KEYWORD)) {
    let rest = text.slice((match.index ?? 0) + match[0].length);
    for (;;) {
      const reference = REFERENCE.exec(rest);
      if (!reference) break;
      const [whole, local, otherRepo, otherNumber, urlRepo, urlNumber] = reference;
      if (local) issues.add(Number(local));
      const repo = otherRepo ?? urlRepo;
      const number = otherNumber ?? urlNumber;
      if (repo && number) {
        if (repo.toLowerCase() === repoFullName.toLowerCase()) issues.add(Number(number));
        else foreign.add(`${repo}#${number}`);
      }
      rest = rest.slice(whole.length);
      const separator = SEPARATOR.exec(rest);
      if (!separator || separator[0].includes('\n')) break;
      rest = rest.slice(separator[0].length);
    }
  }
  return { issues: [...issues].sort((a, b) => a - b), foreign: [...foreign].sort() };
}
