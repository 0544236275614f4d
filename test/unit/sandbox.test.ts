import { describe, expect, it } from 'vitest';
import { checkSandbox, SandboxUnavailableError, sandboxed } from '../../src/runner/sandbox.ts';

describe('sandbox', () => {
  it('refuses to start when bubblewrap is chosen but cannot be found, instead of running unsandboxed', async () => {
    const env = { PATH: '/nonexistent' };
    await expect(checkSandbox('bubblewrap', { env })).rejects.toThrow(SandboxUnavailableError);
    await expect(checkSandbox('bubblewrap', { env })).rejects.toThrow(
      /bwrap is not installed .* will not run agents unsandboxed unless you choose it with SWITCHYARD_SANDBOX=none/,
    );
    await expect(checkSandbox('none', { env })).resolves.toEqual({ user: undefined, disableNestedUserns: false });
  });

  it("hides the data directory and lets back in only the run's own paths", () => {
    const argv = sandboxed(
      { kind: 'bubblewrap', dataDir: '/data', secretFiles: [] },
      {
        worktree: '/data/worktrees/o/r/1',
        home: '/data/runs/1/home',
        mirror: '/data/mirrors/o/r.git',
        worktreeGitDir: '/nonexistent',
      },
      ['agent', '--flag'],
    );
    const joined = argv.join(' ');
    expect(joined).toContain('--tmpfs /data --ro-bind /data/mirrors/o/r.git /data/mirrors/o/r.git');
    expect(joined).toContain(
      '--bind /data/worktrees/o/r/1 /data/worktrees/o/r/1 --bind /data/runs/1/home /data/runs/1/home',
    );
    expect(joined).toContain('--unshare-user --unshare-pid --unshare-ipc --unshare-uts');
    expect(joined).toContain('--cap-drop ALL --die-with-parent --new-session');
    expect(joined).not.toContain('--unshare-net');
    expect(
      sandboxed(
        { kind: 'bubblewrap', dataDir: '/data', secretFiles: [], network: 'none', disableNestedUserns: true },
        { worktree: '/w', home: '/h', mirror: '/m', worktreeGitDir: '/nonexistent' },
        ['a'],
      ).join(' '),
    ).toContain('--unshare-net --cap-drop ALL --disable-userns');
    expect(argv.slice(-3)).toEqual(['--', 'agent', '--flag']);
    expect(
      sandboxed(
        { kind: 'none', dataDir: '/data', secretFiles: [] },
        { worktree: '', home: '', mirror: '', worktreeGitDir: '' },
        ['a'],
      ),
    ).toEqual(['a']);
  });
});
