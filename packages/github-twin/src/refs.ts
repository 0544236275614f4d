/**
 * The branches of a bare repository, read from its ref files (`refs/heads/…`, then
 * `packed-refs`) the way git itself resolves them, without starting a git process. The twin shares
 * its process with the app under test in the demo and the benchmarks; there, a `git rev-parse` per
 * branch read forked that whole process, and a list of pull requests reads two branches per pull.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const SHA = /^[0-9a-f]{40}$/;

/**
 * Whether `branch` can be read straight from a file under `refs/heads`: git's own ref-name rules
 * that keep the path inside that folder. A name that breaks them is no branch git would have made.
 */
function isPlainBranchName(branch: string): boolean {
  if (branch === '' || branch.startsWith('/') || branch.endsWith('/') || branch.endsWith('.lock')) return false;
  if (branch.includes('..') || branch.includes('//') || branch.includes('@{')) return false;
  if (/[\0-\x20\x7f~^:?*[\\]/.test(branch)) return false;
  return branch.split('/').every((part) => part !== '' && !part.startsWith('.'));
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `packed-refs` as ref → sha; a peeled line (`^…`) belongs to the tag above it and is skipped. */
async function packedRefs(gitDir: string): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  for (const line of ((await readOrUndefined(join(gitDir, 'packed-refs'))) ?? '').split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const [sha, ref] = line.split(' ');
    if (sha && ref && SHA.test(sha)) refs.set(ref, sha);
  }
  return refs;
}

/**
 * What a loose ref file says: its commit, `null` when it is not a plain sha (a symbolic ref, a
 * file being written) and git must be asked, `undefined` when there is no such file.
 */
async function looseRef(gitDir: string, ref: string): Promise<string | null | undefined> {
  const text = await readOrUndefined(join(gitDir, ref));
  if (text === undefined) return undefined;
  const sha = text.trim();
  return SHA.test(sha) ? sha : null;
}

/**
 * The commit `refs/heads/<branch>` points at; `undefined` when there is no such branch, `null`
 * when the files cannot tell and git must be asked.
 */
export async function readBranch(gitDir: string, branch: string): Promise<string | null | undefined> {
  if (!isPlainBranchName(branch)) return null;
  const ref = `refs/heads/${branch}`;
  const loose = await looseRef(gitDir, ref);
  if (loose !== undefined) return loose;
  return (await packedRefs(gitDir)).get(ref);
}

async function looseBranchNames(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) names.push(...(await looseBranchNames(join(dir, entry.name), `${prefix}${entry.name}/`)));
    else if (entry.isFile() && !entry.name.endsWith('.lock')) names.push(`${prefix}${entry.name}`);
  }
  return names;
}

/**
 * Every branch and its commit (loose refs over packed ones, as git reads them), or `null` when a
 * loose ref file cannot be read as a plain sha, or went away while being read, and git must be asked.
 */
export async function readBranches(gitDir: string): Promise<Map<string, string> | null> {
  const branches = new Map<string, string>();
  for (const [ref, sha] of await packedRefs(gitDir)) {
    if (ref.startsWith('refs/heads/')) branches.set(ref.slice('refs/heads/'.length), sha);
  }
  for (const name of await looseBranchNames(join(gitDir, 'refs', 'heads'))) {
    const sha = await looseRef(gitDir, `refs/heads/${name}`);
    // Not a plain sha, or deleted or packed between the listing and the read.
    if (sha === null || sha === undefined) return null;
    branches.set(name, sha);
  }
  return new Map([...branches].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
