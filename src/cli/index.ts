#!/usr/bin/env node
/**
 * The `switchyard` command.
 *   switchyard demo [--issues N] [--keep] [--verbose]   the app against the local GitHub twin
 *   switchyard start | web | worker                     the GitHub App (see src/main.ts)
 */
import { parseArgs } from 'node:util';
import { main } from '../main.ts';
import { runDemo } from './demo.ts';

const USAGE = `Usage:
  switchyard demo [--issues N] [--keep] [--verbose] [--port P] [--data-dir DIR] [--github-pacing] [--concurrency N] [--repo-files N]
  switchyard start            web and worker in one process (embedded default)
  switchyard web              webhooks and intake only
  switchyard worker           runs only`;

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
          port: { type: 'string', default: '4010' },
          'data-dir': { type: 'string', default: '.data/demo' },
          'github-pacing': { type: 'boolean', default: false },
          concurrency: { type: 'string' },
          'repo-files': { type: 'string', default: '24' },
        },
      });
      const issues = Number(values.issues);
      if (!Number.isInteger(issues) || issues < 1 || issues > 50) throw new Error('--issues takes a whole number from 1 to 50');
      const concurrency = values.concurrency === undefined ? issues : Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency takes a whole number of at least 1');
      const repoFiles = Number(values['repo-files']);
      if (!Number.isInteger(repoFiles) || repoFiles < 8 || repoFiles > 100_000) throw new Error('--repo-files takes a whole number from 8 to 100000');
      return runDemo({
        // Every even issue edits a track of its own number, so the yard has at least that many.
        repoFiles: Math.max(repoFiles, issues),
        concurrency, issues, keep: values.keep, verbose: values.verbose, port: Number(values.port), dataDir: values['data-dir'], githubPacing: values['github-pacing'] });
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
