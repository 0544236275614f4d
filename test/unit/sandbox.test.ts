import { describe, expect, it } from 'vitest';
import { checkSandbox, SandboxUnavailableError, sandboxed } from '../../src/runner/sandbox.ts';

describe('sandbox', () => {
  it('refuses to start when bubblewrap is chosen but cannot be found, instead of running unsandboxed', async () => {
    await expect(checkSandbox('bubblewrap', { PATH: '/nonexistent' })).rejects.toThrow(SandboxUnavailableError);
    await expect(checkSandbox('bubblewrap', { PATH: '/nonexistent' })).rejects.toThrow(/will not run agents unsandboxed/);
    await expect(checkSandbox('none', { PATH: '/nonexistent' })).resolves.toBeUndefined();
  });

  it('hides the data directory and lets back in only the run\'s own paths', () => {
    const argv = sandboxed(
      { kind: 'bubblewrap', dataDir: '/data', secretFiles: [] },
      { worktree: '/data/worktrees/o/r/1', home: '/data/runs/1/home', mirror: '/data/mirrors/o/r.git', worktreeGitDir: '/nonexistent' },
      ['agent', '--flag'],
    );
    const joined = argv.join(' ');
    expect(joined).toContain('--tmpfs /data --ro-bind /data/mirrors/o/r.git /data/mirrors/o/r.git');
    expect(joined).toContain('--bind /data/worktrees/o/r/1 /data/worktrees/o/r/1 --bind /data/runs/1/home /data/runs/1/home');
    expect(joined).toContain('--unshare-pid --die-with-parent');
    expect(argv.slice(-3)).toEqual(['--', 'agent', '--flag']);
    expect(sandboxed({ kind: 'none', dataDir: '/data', secretFiles: [] }, { worktree: '', home: '', mirror: '', worktreeGitDir: '' }, ['a'])).toEqual(['a']);
  });
});
