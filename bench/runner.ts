/**
 * Runner benchmark: on a generated repository (~20,000 files, ~200 MB of history) hosted by the
 * GitHub twin, the time to provision a run's worktree — a fresh `worktree add` from the mirror,
 * a reused worktree reset, `git clone --local` of the mirror (with git's default checkout, and
 * with the parallel one Switchyard's own git uses), a plain `git clone` of the remote —
 * each as a full cycle (provision, then give back), measured in one run; and the whole runner's
 * per-run overhead with a no-op agent. Last line: JSON.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { agentDefinition } from '../src/config/agents.ts';
import { Redactor } from '../src/log/redact.ts';
import { Runner } from '../src/runner/execute.ts';
import { authorizationHeader, TRUSTED_CONFIG } from '../src/runner/git.ts';
import { RepoCache } from '../src/runner/repo-cache.ts';
import type { RepoRef } from '../src/domain/run.ts';
import { RUN_STEPS, type StepTimings } from '../src/domain/steps.ts';
import { GitHubTwin } from '@switchyard/github-twin';

const FILES = Number(process.env.BENCH_FILES ?? 20_000);
const HISTORY_MB = Number(process.env.BENCH_HISTORY_MB ?? 200);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 7);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Writes the history with git fast-import: one commit of every file, then commits that rewrite a tenth. */
async function generate(gitDir: string): Promise<void> {
  const importer = spawn('git', ['--git-dir', gitDir, 'fast-import', '--quiet'], {
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const write = (chunk: string | Buffer) =>
    new Promise<void>((resolve) => (importer.stdin.write(chunk) ? resolve() : importer.stdin.once('drain', resolve)));
  const fileBytes = 1024;
  const perCommit = Math.floor(FILES / 10);
  const commits = Math.max(1, Math.ceil((HISTORY_MB * 1024 * 1024 - FILES * fileBytes) / (perCommit * fileBytes)));
  let mark = 0;
  for (let commit = 0; commit <= commits; commit++) {
    const paths =
      commit === 0
        ? Array.from({ length: FILES }, (_, i) => i)
        : Array.from({ length: perCommit }, () => Math.floor(Math.random() * FILES));
    const message = commit === 0 ? 'Initial import' : `Change ${commit}`;
    await write(
      `commit refs/heads/main\nmark :${++mark}\ncommitter bench <bench@x.invalid> ${1_700_000_000 + commit} +0000\ndata ${message.length}\n${message}\n`,
    );
    if (commit > 0) await write(`from :${mark - 1}\n`);
    for (const index of new Set(paths)) {
      const content = Buffer.from(`${randomBytes((fileBytes * 3) / 4).toString('base64')}\n`);
      await write(`M 100644 inline pkg-${index % 200}/mod-${index}.txt\ndata ${content.length}\n`);
      await write(content);
      await write('\n');
    }
  }
  importer.stdin.end();
  await new Promise((resolve, reject) =>
    importer.on('close', (code) => (code === 0 ? resolve(code) : reject(new Error(`fast-import exited ${code}`)))),
  );
  await execa('git', ['--git-dir', gitDir, 'gc', '--quiet']);
}

const twin = await GitHubTwin.start();
const work = await mkdtemp(join(tmpdir(), 'switchyard-bench-runner-'));
try {
  await twin.octokit('bench').rest.repos.createForAuthenticatedUser({ name: 'big', auto_init: false });
  const remoteDir = join(twin.dataDir, 'git', 'bench', 'big.git');
  console.log(`generating ${FILES} files and ~${HISTORY_MB} MB of history…`);
  console.log(`generated in ${Math.round(await timed(() => generate(remoteDir)))} ms`);
  const repoKb = Number((await execa('du', ['-sk', remoteDir])).stdout.split('\t')[0]);
  const token = twin.createUser('bench').token;
  const repo: RepoRef = {
    owner: 'bench',
    name: 'big',
    fullName: 'bench/big',
    cloneUrl: `${twin.url}/bench/big.git`,
    defaultBranch: 'main',
  };
  const cache = new RepoCache(join(work, 'data'));
  const gitEnv = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: authorizationHeader(token),
  };

  // The first run clones the mirror; not part of any figure.
  const first = await cache.prepare({ repo, token, runId: 'warm', branch: 'agent/0-warm', base: 'main' });
  await cache.release(repo, first);

  const baseSha = (
    await execa('git', ['--git-dir', cache.mirrorDir(repo), 'rev-parse', 'refs/remotes/origin/main'])
  ).stdout.trim();
  const fresh: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    fresh.push(
      await timed(async () => {
        const worktree = await cache.prepare({
          repo,
          token,
          runId: `fresh-${i}`,
          branch: `agent/1${i}-fresh`,
          base: 'main',
        });
        await cache.release(repo, worktree);
      }),
    );
  }
  const pooled = await cache.prepare({ repo, token, runId: 'pool', branch: 'agent/2-pool', base: 'main', poolSize: 1 });
  await cache.release(repo, pooled);
  const reuse: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    reuse.push(
      await timed(async () => {
        const worktree = await cache.prepare({
          repo,
          token,
          runId: `reuse-${i}`,
          branch: `agent/3${i}-reuse`,
          base: 'main',
          poolSize: 1,
        });
        await cache.release(repo, worktree);
      }),
    );
  }
  const cloneLocal: number[] = [];
  const cloneLocalParallel: number[] = [];
  const checkoutWorkers = TRUSTED_CONFIG.find(([key]) => key === 'checkout.workers')?.[1] ?? '1';
  const clone: number[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(SAMPLES / 2)); i++) {
    const localTarget = join(work, `local-${i}`);
    cloneLocal.push(
      await timed(async () => {
        // The mirror keeps branches under refs/remotes: clone without checkout, then check out the base.
        await execa('git', ['clone', '--quiet', '--local', '--no-checkout', cache.mirrorDir(repo), localTarget]);
        await execa('git', ['-C', localTarget, 'checkout', '--quiet', '--detach', baseSha]);
        await rm(localTarget, { recursive: true, force: true });
      }),
    );
    // The same with the parallel checkout Switchyard's own git uses, for a like-for-like ratio.
    const parallelTarget = join(work, `local-parallel-${i}`);
    cloneLocalParallel.push(
      await timed(async () => {
        await execa('git', ['clone', '--quiet', '--local', '--no-checkout', cache.mirrorDir(repo), parallelTarget]);
        await execa('git', [
          '-C',
          parallelTarget,
          '-c',
          `checkout.workers=${checkoutWorkers}`,
          'checkout',
          '--quiet',
          '--detach',
          baseSha,
        ]);
        await rm(parallelTarget, { recursive: true, force: true });
      }),
    );
    const target = join(work, `clone-${i}`);
    clone.push(
      await timed(async () => {
        await execa('git', ['clone', '--quiet', repo.cloneUrl, target], { env: gitEnv });
        await rm(target, { recursive: true, force: true });
      }),
    );
  }

  const runner = new Runner({
    cache,
    identity: { name: 'bench', email: 'bench@x.invalid' },
    redactor: new Redactor([token]),
    sandbox: { kind: 'none', dataDir: join(work, 'data'), secretFiles: [] },
  });
  const overhead: number[] = [];
  const overheadReuse: number[] = [];
  const stepsReuse: StepTimings[] = [];
  for (const [poolSize, into] of [
    [0, overhead],
    [1, overheadReuse],
  ] as const) {
    for (let i = 0; i < SAMPLES; i++) {
      const started = performance.now();
      const outcome = await runner.execute({
        runId: `noop-${poolSize}-${i}`,
        repo,
        issue: { number: 900 + i, title: 'No-op', body: '', labels: [], url: 'u', author: 'a' },
        agentName: 'noop',
        agent: agentDefinition.parse({ kind: 'command', command: ['true'] }),
        branch: `agent/9${poolSize}${i}-noop`,
        base: 'main',
        token,
        attempt: 1,
        timeoutMs: 60_000,
        checks: { commands: [], timeoutMs: 1000 },
        poolSize,
        keep: [],
        log: pino({ level: 'silent' }),
      });
      into.push(performance.now() - started - outcome.agentMs);
      if (poolSize === 1) stepsReuse.push(outcome.steps);
    }
  }

  const figures = {
    files: FILES,
    repo_mb: Math.round(repoKb / 1024),
    samples: SAMPLES,
    fresh_add_p50_ms: percentile(fresh, 50),
    fresh_add_p95_ms: percentile(fresh, 95),
    reuse_p50_ms: percentile(reuse, 50),
    reuse_p95_ms: percentile(reuse, 95),
    clone_local_p50_ms: percentile(cloneLocal, 50),
    clone_local_parallel_p50_ms: percentile(cloneLocalParallel, 50),
    clone_p50_ms: percentile(clone, 50),
    overhead_p50_ms: percentile(overhead, 50),
    overhead_reuse_p50_ms: percentile(overheadReuse, 50),
    reuse_vs_clone: Number((percentile(reuse, 50) / percentile(clone, 50)).toFixed(3)),
    fresh_add_vs_clone: Number((percentile(fresh, 50) / percentile(clone, 50)).toFixed(3)),
    fresh_add_vs_clone_local: Number((percentile(fresh, 50) / percentile(cloneLocal, 50)).toFixed(3)),
    fresh_add_vs_clone_local_parallel: Number((percentile(fresh, 50) / percentile(cloneLocalParallel, 50)).toFixed(3)),
    // Where a reused worktree's no-op run spends its time, step by step.
    steps_reuse_p50_ms: Object.fromEntries(
      RUN_STEPS.flatMap((step) => {
        const times = stepsReuse.flatMap((steps) => (steps[step] === undefined ? [] : [steps[step]]));
        return times.length > 0 ? [[step, percentile(times, 50)]] : [];
      }),
    ),
  };
  console.log(
    `fresh add p50 ${figures.fresh_add_p50_ms} ms · reuse p50 ${figures.reuse_p50_ms} ms · clone --local p50 ${figures.clone_local_p50_ms} ms (parallel checkout ${figures.clone_local_parallel_p50_ms} ms) · clone p50 ${figures.clone_p50_ms} ms · runner overhead p50 ${figures.overhead_p50_ms} ms (reuse ${figures.overhead_reuse_p50_ms} ms)`,
  );
  console.log(JSON.stringify(figures));
} finally {
  await twin.stop();
  await rm(work, { recursive: true, force: true });
}
