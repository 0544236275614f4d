/** Finding the unified diff the built-in `patch` agent applies: the body's first ```diff or ```patch block. */

export type DiffExtraction = { ok: true; diff: string } | { ok: false; problem: string };

const OPENING = /^( {0,3})(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;

/**
 * Extracts the first fenced code block whose info string is `diff` or `patch`, following
 * CommonMark's fence rules (up to three spaces of indentation, a closing fence of the same
 * character at least as long as the opening, and no closing fence meaning "to the end").
 */
export function extractDiff(body: string | null | undefined): DiffExtraction {
  if (!body) return { ok: false, problem: 'The issue body is empty, so there is no diff to apply.' };
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const opening = OPENING.exec(lines[i] ?? '');
    if (!opening) continue;
    const [, indent = '', fence = '', info = ''] = opening;
    const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
    const content: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !closing.test(lines[j] ?? ''); j++) {
      const line = lines[j] ?? '';
      content.push(line.startsWith(indent) ? line.slice(indent.length) : line.replace(/^ +/, ''));
    }
    const language = info.toLowerCase();
    if (language === 'diff' || language === 'patch') {
      const diff = content.join('\n').replace(/\n*$/, '\n');
      if (!/^(?:diff --git |--- |\+\+\+ |@@ )/m.test(diff)) {
        return {
          ok: false,
          problem: `The \`\`\`${language} block in the issue body is not a unified diff (no "---"/"+++" file headers or "@@" hunks).`,
        };
      }
      return { ok: true, diff };
    }
    i = j;
  }
  return {
    ok: false,
    problem: 'The issue body has no fenced code block marked `diff` or `patch` for the patch agent to apply.',
  };
}
