/**
 * The simple-git client behind every trusted git command, given the whole environment that
 * `trustedEnvironment` built. It runs where the spawner runs commands (see `spawner.ts`).
 */
import { simpleGit, type SimpleGit } from 'simple-git';

/** The variables a trusted git process is given (its `GIT_CONFIG_*` pairs counted from `env`), and no other. */
function allowedVariables(env: Record<string, string>): string[] {
  const slots = Number(env.GIT_CONFIG_COUNT ?? 0);
  return [
    'GIT_DIR',
    'GIT_COMMON_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
    'GIT_CONFIG_COUNT',
    ...Array.from({ length: slots }, (_, i) => [`GIT_CONFIG_KEY_${i}`, `GIT_CONFIG_VALUE_${i}`]).flat(),
    'GIT_CONFIG_GLOBAL',
    'GIT_CONFIG_NOSYSTEM',
    'GIT_TERMINAL_PROMPT',
    'GIT_NO_REPLACE_OBJECTS',
    'GIT_AUTHOR_NAME',
    'GIT_AUTHOR_EMAIL',
    'GIT_COMMITTER_NAME',
    'GIT_COMMITTER_EMAIL',
  ];
}

export function simpleGitClient(baseDir: string, env: Record<string, string>): SimpleGit {
  // simple-git guards against settings that run programs or change paths. Ours are the ones that
  // switch those off (hooks, fsmonitor, askpass, helpers, ssh, protocols) and the config paths
  // that keep global and system config out; none is ever built from issue or agent text.
  const unsafe = {
    allowUnsafeConfigEnvCount: true,
    allowUnsafeConfigPaths: true,
    allowUnsafeHooksPath: true,
    allowUnsafeFsMonitor: true,
    allowUnsafeAskPass: true,
    allowUnsafeCredentialHelper: true,
    allowUnsafeSshCommand: true,
    allowUnsafeProtocolOverride: true,
  };
  const client = simpleGit({ baseDir, allowEnvironment: allowedVariables(env), maxConcurrentProcesses: 8, unsafe });
  return client.env(env).outputHandler(markOutputSeen);
}

/**
 * simple-git holds back the result of a git that wrote nothing for 50 ms more (its completion
 * plugin, a relic of telling the end from the `exit` event). It already waits for `close`, when
 * every pipe has ended, so the wait buys nothing, and most of a run's git commands are silent
 * (`add`, `fetch --quiet`, `worktree add`, `reset --quiet`): eight of them cost a run 400 ms.
 * An empty chunk, once simple-git listens, counts as output and adds nothing to it.
 */
function markOutputSeen(_command: string, stdout: NodeJS.ReadableStream): void {
  process.nextTick(() => stdout.emit('data', Buffer.alloc(0)));
}
