#!/usr/bin/env node
/**
 * The `switchyard` command.
 *   switchyard demo [--issues N] [--keep] [--verbose]   the app against the local GitHub twin
 *   switchyard start | web | worker                     the GitHub App (see src/main.ts)
 */
import { parseArgs } from 'node:util';
import { loadServerSettings } from '../config/server.ts';
import { loadDotEnv, main } from '../main.ts';
import { doctor, formatChecks } from './doctor.ts';

const DEMO_USAGE = `Usage: switchyard demo [options]

Starts a local GitHub twin and Switchyard (embedded defaults, no credentials), opens issues whose
bodies carry diffs in a sample repository, labels them agent:patch, and shows each run through to
its pull request. The last line of output is JSON with the figures.

Options:
  --issues N         issues to open (1-50, default 5)
  --concurrency N    runs at once (default: as many as issues)
  --repo-files N     files in the sample repository (default 24)
  --port P           the twin's port (default 4010, or a free one when 4010 is taken); the app listens on P+1 with --keep
  --data-dir DIR     where the twin and the app keep their data (default .data/demo)
  --keep             leave the twin and the app running, and print their URLs and a token to look around with
  --verbose          the app's log on stderr
  --github-pacing    pace writes as against github.com
  -h, --help         this text`;

const USAGE = `Usage:
  switchyard demo [--issues N] [--keep] [--verbose] [--port P] [--data-dir DIR] [--github-pacing] [--concurrency N] [--repo-files N]
  switchyard start            web and worker in one process (embedded default)
  switchyard web              webhooks and intake only
  switchyard worker           runs only
  switchyard doctor           checks the credentials against GitHub, the key, the database, the sandbox, the disk and each agent`;

async function cli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: {
          issues: { type: 'string', default: '5' },
          keep: { type: 'boolean', default: false },
          verbose: { type: 'boolean', default: false },
          port: { type: 'string' },
          'data-dir': { type: 'string', default: '.data/demo' },
          'github-pacing': { type: 'boolean', default: false },
          concurrency: { type: 'string' },
          'repo-files': { type: 'string', default: '24' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
      if (values.help) {
        console.log(DEMO_USAGE);
        return 0;
      }
      const issues = Number(values.issues);
      if (!Number.isInteger(issues) || issues < 1 || issues > 50)
        throw new Error('--issues takes a whole number from 1 to 50');
      const concurrency = values.concurrency === undefined ? issues : Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new Error('--concurrency takes a whole number of at least 1');
      const repoFiles = Number(values['repo-files']);
      if (!Number.isInteger(repoFiles) || repoFiles < 8 || repoFiles > 100_000)
        throw new Error('--repo-files takes a whole number from 8 to 100000');
      // Loaded only here: the demo needs the GitHub twin and its development dependencies
      // (`npm ci`), which a production install (`npm ci --omit=dev`) does not have.
      const { runDemo } = await import('./demo.ts').catch((error: unknown) => {
        throw new Error(
          `The demo needs the development dependencies (the GitHub twin): run \`npm ci\` first. ${(error as Error).message}`,
          { cause: error },
        );
      });
      return runDemo({
        // Every even issue edits a track of its own number, so the yard has at least that many.
        repoFiles: Math.max(repoFiles, issues),
        concurrency,
        issues,
        keep: values.keep,
        verbose: values.verbose,
        port: values.port === undefined ? undefined : Number(values.port),
        dataDir: values['data-dir'],
        githubPacing: values['github-pacing'],
      });
    }
    case 'doctor': {
      loadDotEnv();
      const checks = await doctor(loadServerSettings());
      console.log(formatChecks(checks));
      return checks.every((check) => check.ok) ? 0 : 1;
    }
    case 'start':
      await main(['all']);
      return -1;
    case 'web':
    case 'worker':
      await main([command]);
      return -1;
    default:
      console.error(USAGE);
      return command === undefined || command === '--help' ? 0 : 2;
  }
}

cli(process.argv.slice(2)).then(
  (code) => {
    // A server command keeps running; -1 means "do not exit".
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
