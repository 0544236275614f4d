/**
 * Feature work as agents really do it, for the mergeability tests and benchmark: each issue adds
 * its own module, and also edits two files every feature touches, the package's sorted index and
 * the changelog's "Unreleased" section. The repository's own check says the index is right.
 */
import type { AgentCatalogue } from '../../src/config/agents.ts';
import type { Stack } from './stack.ts';

/**
 * An agent that reads `Module: <name>` from the issue: the module, its line in the sorted index,
 * and an entry at the top of "## Unreleased". Redone from scratch on the current base on a repair.
 */
const FEATURE_AGENT = [
  'set -e',
  `m=$(printf '%s\\n' "$SWITCHYARD_ISSUE_BODY" | sed -n 's/^Module: *\\([a-z]*\\).*/\\1/p' | head -n 1)`,
  `printf 'export const %s = () => "%s";\\n' "$m" "$m" > "src/$m.ts"`,
  `{ cat src/index.ts; printf "export * from './%s.js';\\n" "$m"; } | LC_ALL=C sort -u > .index && mv .index src/index.ts`,
  `awk -v entry="- Add the $m module (#$SWITCHYARD_ISSUE_NUMBER)." '{ print } /^## Unreleased/ { getline; print; print entry }' CHANGELOG.md > .changelog && mv .changelog CHANGELOG.md`,
  'sleep 1',
].join('\n');

/** `agent:feature`. */
export const featureAgents: AgentCatalogue = {
  feature: { kind: 'command', command: ['sh', '-c', FEATURE_AGENT], timeout: 60_000, passEnv: [], env: {} },
};

/** The index's text for these modules, in order. */
export const index = (modules: string[]) => modules.map((m) => `export * from './${m}.js';\n`).join('');

/** The project's own test: every module the index names exists, and the index is sorted. */
const CHECK_INDEX = [
  'set -e',
  `for m in $(sed -n "s/^export \\* from '.\\/\\(.*\\)\\.js';$/\\1/p" src/index.ts); do test -f "src/$m.ts"; done`,
  'LC_ALL=C sort -c src/index.ts',
].join('\n');

/** The repository's files, with `config` as its `.github/switchyard.yml`. */
export const featureRepo = (config: string) => ({
  '.github/switchyard.yml': config,
  'src/index.ts': index(['core', 'http', 'util']),
  'src/core.ts': 'export const core = 1;\n',
  'src/http.ts': 'export const http = 1;\n',
  'src/util.ts': 'export const util = 1;\n',
  'scripts/check-index.sh': `${CHECK_INDEX}\n`,
  'CHANGELOG.md': '# Changelog\n\n## Unreleased\n\n## 1.0.0\n\n- First release.\n',
});

/** A file's text on a branch of the stack's repository. */
export async function fileOn(stack: Stack, path: string, ref = 'main'): Promise<string> {
  const { data } = await stack.gh.rest.repos.getContent({ owner: stack.owner, repo: stack.repo, path, ref });
  return 'content' in data ? Buffer.from(data.content, 'base64').toString() : '';
}
