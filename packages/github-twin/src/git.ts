/**
 * The twin's repositories: local bare git repositories, served over git's smart HTTP protocol by
 * `git http-backend`, exactly as a git client talks to github.com.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { readBranch, readBranches } from './refs.ts';
import type { Mergeability } from './state.ts';

/**
 * GitHub's file size limits, checked before a push is accepted: a file over 100 MiB refuses the
 * whole push (GH001, with the advice to use Git LFS), one over 50 MiB gets a warning.
 */
const FILE_SIZE_HOOK = `#!/bin/sh
zero=0000000000000000000000000000000000000000
status=0
while read old new ref; do
  [ "$new" = "$zero" ] && continue
  if [ "$old" = "$zero" ]; then range="$new --not --all"; else range="$old..$new"; fi
  git rev-list --objects $range | git cat-file --batch-check='%(objecttype) %(objectsize) %(rest)' |
    awk '$1 == "blob" && $2 > 52428800 {
      mb = sprintf("%.2f", $2 / 1048576)
      if ($2 > 104857600) { print "error: File " $3 " is " mb " MB; this exceeds GitHub'"'"'s file size limit of 100.00 MB" > "/dev/stderr"; refused = 1 }
      else print "warning: File " $3 " is " mb " MB; this is larger than GitHub'"'"'s recommended maximum file size of 50.00 MB" > "/dev/stderr"
    } END { exit refused }' || status=1
done
if [ "$status" = 1 ]; then
  echo "error: GH001: Large files detected. You may want to try Git Large File Storage - https://git-lfs.github.com." >&2
fi
exit $status
`;

/** A commit as a push reports it. */
export interface PushedCommit {
  id: string;
  tree: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
}

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LANG: 'C' };

async function git(gitDir: string, args: string[], input?: string): Promise<string> {
  const result = await execa('git', ['--git-dir', gitDir, ...args], {
    env: GIT_ENV,
    input,
    stripFinalNewline: true,
  });
  return result.stdout;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

export class GitHost {
  readonly root: string;
  /**
   * Answers that depend only on the commits they name (a diff between two shas), kept so that a
   * list of pull requests, rendered again on every read, does not start a git process per pull.
   */
  readonly #byCommits = new Map<string, Promise<unknown>>();

  constructor(root: string) {
    this.root = root;
  }

  gitDir(owner: string, name: string): string {
    return join(this.root, owner, `${name}.git`);
  }

  /** Creates a bare repository, with one commit holding a README when `autoInit` is set. */
  async create(owner: string, name: string, defaultBranch: string, autoInit: boolean): Promise<void> {
    const dir = this.gitDir(owner, name);
    await mkdir(dir, { recursive: true });
    await execa('git', ['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, dir], { env: GIT_ENV });
    await git(dir, ['config', 'http.receivepack', 'true']);
    await writeFile(join(dir, 'hooks', 'pre-receive'), FILE_SIZE_HOOK, { mode: 0o755 });
    if (!autoInit) return;
    const blob = await git(dir, ['hash-object', '-w', '--stdin'], `# ${name}\n`);
    const tree = await git(dir, ['mktree'], `100644 blob ${blob}\tREADME.md\n`);
    const commit = await execa('git', ['--git-dir', dir, 'commit-tree', tree, '-m', 'Initial commit'], {
      env: { ...GIT_ENV, ...identity('twin', 'twin@twin.invalid') },
    });
    await git(dir, ['update-ref', `refs/heads/${defaultBranch}`, commit.stdout.trim()]);
  }

  /** The commit a branch points at, or `undefined` when the branch does not exist. */
  async branchSha(owner: string, name: string, branch: string): Promise<string | undefined> {
    const dir = this.gitDir(owner, name);
    // git refuses to write anything but a commit to a branch, so the file's sha is the commit.
    const read = await readBranch(dir, branch);
    if (read !== null) return read;
    try {
      return await git(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
    } catch {
      return undefined;
    }
  }

  /**
   * Merges `head` into `base` the way the merge button does, without a work tree.
   * Returns the new commit, or `undefined` when the branches conflict.
   */
  async merge(
    owner: string,
    name: string,
    options: { base: string; head: string; message: string; squash: boolean; author: { name: string; email: string } },
  ): Promise<string | undefined> {
    const dir = this.gitDir(owner, name);
    const baseSha = await git(dir, ['rev-parse', `refs/heads/${options.base}`]);
    const headSha = await git(dir, ['rev-parse', `refs/heads/${options.head}`]);
    const tree = await execa('git', ['--git-dir', dir, 'merge-tree', '--write-tree', baseSha, headSha], {
      env: GIT_ENV,
      reject: false,
    });
    if (tree.exitCode !== 0) return undefined;
    const treeSha = tree.stdout.split('\n')[0] ?? '';
    const parents = options.squash ? ['-p', baseSha] : ['-p', baseSha, '-p', headSha];
    const commit = await execa('git', ['--git-dir', dir, 'commit-tree', treeSha, ...parents, '-m', options.message], {
      env: { ...GIT_ENV, ...identity(options.author.name, options.author.email) },
    });
    const sha = commit.stdout.trim();
    await git(dir, ['update-ref', `refs/heads/${options.base}`, sha, baseSha]);
    return sha;
  }

  /**
   * Whether `headSha` merges into `baseSha` without conflicts (`git merge-tree`, as the merge
   * button would), and whether the base has commits the head lacks.
   */
  async mergeability(owner: string, name: string, baseSha: string, headSha: string): Promise<Mergeability> {
    const dir = this.gitDir(owner, name);
    const tree = await execa('git', ['--git-dir', dir, 'merge-tree', '--write-tree', '--name-only', baseSha, headSha], {
      env: GIT_ENV,
      reject: false,
    });
    const behind = Number(await git(dir, ['rev-list', '--count', `${headSha}..${baseSha}`])) > 0;
    return { clean: tree.exitCode === 0, behind };
  }

  /** A file's content and blob sha at a ref, or `undefined` when there is no such file. */
  async readFile(
    owner: string,
    name: string,
    ref: string,
    path: string,
  ): Promise<{ content: Buffer; sha: string } | undefined> {
    const dir = this.gitDir(owner, name);
    const sha = await execa('git', ['--git-dir', dir, 'rev-parse', '--verify', '--quiet', `${ref}:${path}`], {
      env: GIT_ENV,
      reject: false,
    });
    if (sha.exitCode !== 0) return undefined;
    const type = await git(dir, ['cat-file', '-t', sha.stdout.trim()]);
    if (type !== 'blob') return undefined;
    // A file's bytes as they are: execa would otherwise strip its final newline.
    const content = await execa('git', ['--git-dir', dir, 'cat-file', 'blob', sha.stdout.trim()], {
      env: GIT_ENV,
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    return { content: Buffer.from(content.stdout), sha: sha.stdout.trim() };
  }

  /** Every branch and the commit it points at. */
  async branches(owner: string, name: string): Promise<Map<string, string>> {
    const read = await readBranches(this.gitDir(owner, name));
    if (read) return read;
    const out = await git(this.gitDir(owner, name), [
      'for-each-ref',
      '--format=%(refname:lstrip=2) %(objectname)',
      'refs/heads',
    ]);
    return new Map(
      out
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ') as [string, string]),
    );
  }

  /** The commits of `after` that `before` lacks, oldest first, at most `limit` (a push's commits). */
  async commitsBetween(
    owner: string,
    name: string,
    before: string | null,
    after: string,
    limit = 20,
  ): Promise<PushedCommit[]> {
    const dir = this.gitDir(owner, name);
    if ((before === null || FULL_SHA.test(before)) && FULL_SHA.test(after))
      return this.#onceFor(`commitsBetween\0${dir}\0${before ?? ''}\0${after}\0${limit}`, () =>
        this.#commitsBetween(dir, before, after, limit),
      );
    return this.#commitsBetween(dir, before, after, limit);
  }

  async #commitsBetween(dir: string, before: string | null, after: string, limit: number): Promise<PushedCommit[]> {
    const range = before ? [`${before}..${after}`] : [after, '--max-count=1'];
    const out = await git(dir, [
      'log',
      '--reverse',
      `--max-count=${limit}`,
      '--format=%H%x00%T%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e',
      ...range,
    ]);
    return out
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter(Boolean)
      .map((record) => {
        const [id, tree, authorName, authorEmail, authorDate, committerName, committerEmail, committerDate, message] =
          record.split('\0');
        return {
          id: id ?? '',
          tree: tree ?? '',
          author: { name: authorName ?? '', email: authorEmail ?? '', date: authorDate ?? '' },
          committer: { name: committerName ?? '', email: committerEmail ?? '', date: committerDate ?? '' },
          message: (message ?? '').trimEnd(),
        };
      });
  }

  /**
   * The commit a ref names, as GitHub's `{ref}` parameters take it: a commit SHA, a branch or a
   * tag name (`heads/…` and `tags/…` too); `undefined` when it names no commit.
   */
  async commitOf(owner: string, name: string, ref: string): Promise<string | undefined> {
    if (!/^[\w.][\w./-]*$/.test(ref)) return undefined;
    const candidates = /^[0-9a-f]{40}$/.test(ref)
      ? [ref]
      : [`refs/heads/${ref.replace(/^heads\//, '')}`, `refs/tags/${ref.replace(/^tags\//, '')}`];
    for (const candidate of candidates) {
      try {
        return await git(this.gitDir(owner, name), ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`]);
      } catch {
        // not this one
      }
    }
    return undefined;
  }

  /** A commit's parents. */
  async parentsOf(owner: string, name: string, sha: string): Promise<string[]> {
    const out = await git(this.gitDir(owner, name), ['rev-list', '--parents', '-n', '1', sha]);
    return out.split(' ').slice(1).filter(Boolean);
  }

  /** Whether `ancestor` is reachable from `descendant`: a push that is not a force push. */
  async isAncestor(owner: string, name: string, ancestor: string, descendant: string): Promise<boolean> {
    const result = await execa(
      'git',
      ['--git-dir', this.gitDir(owner, name), 'merge-base', '--is-ancestor', ancestor, descendant],
      {
        env: GIT_ENV,
        reject: false,
      },
    );
    return result.exitCode === 0;
  }

  /** Points `branch` at `sha` if it still points at `expected`. */
  async moveBranch(owner: string, name: string, branch: string, sha: string, expected: string): Promise<void> {
    await git(this.gitDir(owner, name), ['update-ref', `refs/heads/${branch}`, sha, expected]);
  }

  async deleteBranch(owner: string, name: string, branch: string): Promise<void> {
    await git(this.gitDir(owner, name), ['update-ref', '-d', `refs/heads/${branch}`]);
  }

  /** A value computed from commits alone, computed once; a failure is not kept. */
  #onceFor<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const known = this.#byCommits.get(key) as Promise<T> | undefined;
    if (known) return known;
    const answer = compute();
    this.#byCommits.set(key, answer);
    answer.catch(() => this.#byCommits.delete(key));
    if (this.#byCommits.size > 5000) this.#byCommits.delete(this.#byCommits.keys().next().value ?? '');
    return answer;
  }

  /** Lists `git diff --numstat` of head against the merge base with base. */
  async diffStat(owner: string, name: string, base: string, head: string) {
    const dir = this.gitDir(owner, name);
    if (FULL_SHA.test(base) && FULL_SHA.test(head))
      return this.#onceFor(`diffStat\0${dir}\0${base}\0${head}`, () => this.#diffStat(dir, base, head));
    return this.#diffStat(dir, base, head);
  }

  async #diffStat(dir: string, base: string, head: string) {
    const out = await git(dir, ['diff', '--numstat', `${base}...${head}`]);
    let additions = 0;
    let deletions = 0;
    let files = 0;
    for (const line of out.split('\n').filter(Boolean)) {
      const [added, removed] = line.split('\t');
      additions += Number(added) || 0;
      deletions += Number(removed) || 0;
      files += 1;
    }
    return { additions, deletions, files };
  }

  /**
   * Serves one smart-HTTP request through `git http-backend` (CGI). `remoteUser` is the
   * authenticated user; without it http-backend refuses pushes.
   */
  serve(req: IncomingMessage, res: ServerResponse, pathInfo: string, query: string, remoteUser: string): void {
    const child = spawn('git', ['http-backend'], {
      env: {
        ...GIT_ENV,
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: this.root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: pathInfo,
        QUERY_STRING: query,
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_USER: remoteUser,
        REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(key, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      if (!headersDone) res.writeHead(500).end(`git http-backend failed (${code}): ${stderr}`);
      else res.end();
    });
  }
}

function identity(name: string, email: string): Record<string, string> {
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
}
