/**
 * Predicted file sets: the paths an issue names (backticked paths, a `Files:` list, globs), and
 * whether two issues' sets overlap. Issues that name no file are not restricted.
 */
import picomatch from 'picomatch';

const BACKTICKED = /`([^`\s]+)`/g;
const FILES_LINE = /^\s*(?:[-*]\s*)?files?\s*:\s*(.+)$/gim;
// A path has a slash or a file extension, and no spaces; a glob may have * ? [ ] { }.
const PATH_LIKE = /^(?:\.\/)?[\w.*?[\]{}@+-]+(?:\/[\w.*?[\]{}@+-]+)*\/?$/;

function looksLikePath(token: string): boolean {
  if (!PATH_LIKE.test(token) || /^\d+(\.\d+)*$/.test(token)) return false;
  return token.includes('/') || /\.[A-Za-z0-9]{1,8}$/.test(token) || /[*?]/.test(token);
}

function normalize(path: string): string {
  const trimmed = path.replace(/^\.\//, '').replace(/[.,;:)]+$/, '');
  return trimmed.endsWith('/') ? `${trimmed}**` : trimmed;
}

export function predictFiles(body: string | null | undefined): string[] {
  const text = (body ?? '')
    .replace(/\r\n?/g, '\n')
    .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[ \t]*$|(?![\s\S]))/gm, '');
  const found = new Set<string>();
  for (const match of text.matchAll(BACKTICKED)) {
    const token = match[1] ?? '';
    if (looksLikePath(token)) found.add(normalize(token));
  }
  for (const match of text.matchAll(FILES_LINE)) {
    for (const token of (match[1] ?? '').split(/[\s,]+/)) {
      const clean = token.replace(/^`|`$/g, '');
      if (clean && looksLikePath(clean)) found.add(normalize(clean));
    }
  }
  return [...found].sort();
}

const matcherCache = new Map<string, (path: string) => boolean>();

function matcher(glob: string): (path: string) => boolean {
  let match = matcherCache.get(glob);
  if (!match) {
    match = picomatch(glob, { dot: true });
    matcherCache.set(glob, match);
  }
  return match;
}

/** The part of a glob before its first wildcard: every path it matches starts with it. */
function staticPrefix(glob: string): string {
  const index = glob.search(/[*?[{]/);
  return index === -1 ? glob : glob.slice(0, index);
}

/** The first pair of entries (path or glob) from `a` and `b` that can name the same file. */
export function overlap(a: readonly string[], b: readonly string[]): string | undefined {
  for (const left of a) {
    for (const right of b) {
      if (left === right) return left;
      const leftGlob = picomatch.scan(left).isGlob;
      const rightGlob = picomatch.scan(right).isGlob;
      if (!leftGlob && !rightGlob) continue;
      if (!leftGlob && matcher(right)(left)) return left;
      if (!rightGlob && matcher(left)(right)) return right;
      if (leftGlob && rightGlob) {
        // Two globs: they may meet when one's fixed prefix extends the other's.
        const l = staticPrefix(left);
        const r = staticPrefix(right);
        if (l.startsWith(r) || r.startsWith(l)) return l.length >= r.length ? left : right;
      }
    }
  }
  return undefined;
}
