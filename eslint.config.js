import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Who may import whom (DESIGN.md): domain ← everyone and imports nothing of ours; the scheduler
 * is pure (domain only); the I/O edges (github, runner, store, agents, config) never reach into
 * the flow (jobs, roles) or the engine; nothing under src/ imports test/ or the GitHub twin (but
 * the demo command). test/unit/import-rules
 * shows one refused.
 */
const ours = [
  'domain',
  'scheduler',
  'store',
  'runner',
  'github',
  'agents',
  'config',
  'jobs',
  'roles',
  'queue',
  'web',
  'cli',
  'log',
];
/** The GitHub twin, a workspace package for tests, benchmarks and the demo. */
const TWIN = ['@switchyard/github-twin', '@switchyard/github-twin/*'];
const folders = (...names) => names.map((name) => `**/${name}/*`);
const forbid = (files, names, why) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [{ group: [...folders(...names), '**/test/**', ...TWIN], message: why }] },
    ],
  },
});
const importRules = [
  forbid(
    ['src/domain/**'],
    ours.filter((name) => name !== 'domain'),
    'domain/ imports nothing of ours.',
  ),
  forbid(
    ['src/scheduler/**'],
    ours.filter((name) => name !== 'domain' && name !== 'scheduler'),
    'The scheduler is pure: it imports domain/ only.',
  ),
  forbid(
    ['src/store/**'],
    ['runner', 'github', 'agents', 'config', 'jobs', 'roles', 'queue', 'web', 'cli'],
    'store/ is SQL over domain/ words only.',
  ),
  forbid(
    ['src/runner/**'],
    ['github', 'store', 'jobs', 'roles', 'queue', 'web', 'cli'],
    'The runner knows nothing of GitHub, the records or the flow.',
  ),
  forbid(
    ['src/agents/**'],
    ['github', 'store', 'runner', 'jobs', 'roles', 'queue', 'web', 'cli'],
    'agents/ describes agents; it runs and records nothing.',
  ),
  forbid(
    ['src/github/**'],
    ['runner', 'jobs', 'roles', 'queue', 'web', 'cli'],
    'The GitHub side knows nothing of worktrees or the flow.',
  ),
  forbid(
    ['src/config/**'],
    ['runner', 'jobs', 'roles', 'queue', 'web', 'cli'],
    'config/ reads settings; it does not reach the flow.',
  ),
  forbid(
    ['src/queue/**'],
    ['domain', 'scheduler', 'runner', 'github', 'agents', 'config', 'jobs', 'roles', 'web', 'cli'],
    'queue/ is the engine only: queues, not what their jobs mean.',
  ),
  forbid(['src/jobs/**', 'src/web/**', 'src/log/**'], ['roles', 'cli'], 'Only roles/ and cli/ compose the process.'),
  forbid(['src/roles/**', 'src/app.ts', 'src/main.ts'], ['cli'], 'Only the demo command reaches the GitHub twin.'),
  // The demo is the one command that starts the GitHub twin; `switchyard demo` loads it only when run.
  { ...forbid(['src/cli/**'], [], 'Only the demo command reaches the GitHub twin.'), ignores: ['src/cli/demo.ts'] },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      // A promise returned from a try without await lets the finally run first (it stopped bench:crash's twin).
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
  {
    // vitest's asymmetric matchers (expect.stringContaining, …) are typed `any` by design.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  ...importRules,
  {
    files: ['eslint.config.js', 'bin/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
