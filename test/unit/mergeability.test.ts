/** Keeping a pull request mergeable: which repair comes next, and what people read about it. */
import { describe, expect, it } from 'vitest';
import {
  afterConflict,
  firstStep,
  listOfPulls,
  quietPass,
  type BranchPush,
  type Mergeability,
  type PassCandidate,
} from '../../src/domain/mergeability.ts';
import { conflictContext, mergeabilityLines, withMergeabilitySection } from '../../src/github/mergeability.ts';
import { renderStatus } from '../../src/github/status-comment.ts';

const found = (over: Partial<Mergeability> = {}): Mergeability => ({
  base: 'main',
  state: 'clean',
  action: 'replayed',
  files: ['CHANGELOG.md'],
  after: [12],
  said: 'Replayed onto `main` after #12 merged; the change itself is the same.',
  collidesWith: [],
  head: 'abc',
  checkedAt: '2026-12-01T00:00:00.000Z',
  ...over,
});

describe('the next repair', () => {
  it('leaves a clean pull request, and a behind one unless the repository asks for updates', () => {
    expect(firstStep('clean', 'conflicting', false)).toEqual({ kind: 'leave' });
    expect(firstStep('behind', 'conflicting', false)).toEqual({ kind: 'leave' });
    expect(firstStep('behind', 'behind', false)).toEqual({ kind: 'replay' });
    expect(firstStep('conflicting', 'conflicting', false)).toEqual({ kind: 'replay' });
    expect(firstStep('conflicting', 'never', false)).toEqual({ kind: 'leave' });
  });

  it('always moves a stacked pull request whose parent merged or moved, whatever the policy', () => {
    expect(firstStep('clean', 'never', true)).toEqual({ kind: 'replay' });
  });

  it('re-runs the agent while repairs are left, then hands the pull request to a person with the reason', () => {
    expect(afterConflict(0, 2, undefined)).toEqual({ kind: 'rerun', repair: 1 });
    expect(afterConflict(1, 2, undefined)).toEqual({ kind: 'rerun', repair: 2 });
    expect(afterConflict(2, 2, undefined)).toEqual({
      kind: 'hand-off',
      reason: 'the agent already had the 2 repairs `pullRequest.maxRepairs` allows',
    });
    expect(afterConflict(0, 0, undefined).kind).toBe('hand-off');
    expect(afterConflict(0, 2, "this repository's budget for today ($5) is spent")).toEqual({
      kind: 'hand-off',
      reason: "this repository's budget for today ($5) is spent",
    });
  });

  it('names pull requests as a sentence does', () => {
    expect(listOfPulls([12])).toBe('#12');
    expect(listOfPulls([12, 13, 14])).toBe('#12, #13 and #14');
  });
});

describe('what people read', () => {
  it('puts one mergeability section in a pull request body, replacing the last one', () => {
    const once = withMergeabilitySection('Closes #3.\n', found());
    expect(once).toContain('### Mergeability');
    expect(once).toContain('🔀 Replayed onto `main` after #12 merged');
    const twice = withMergeabilitySection(
      once,
      found({ action: 'handed-off', state: 'conflicting', said: 'Hands off.' }),
    );
    expect(twice.match(/### Mergeability/g)).toHaveLength(1);
    expect(twice).toContain('⚠️ Hands off.');
    expect(twice).not.toContain('Replayed');
    expect(twice.startsWith('Closes #3.')).toBe(true);
  });

  it('says which open pull requests collide, and what happens then', () => {
    const lines = mergeabilityLines(
      found({
        action: 'none',
        said: 'Mergeable into `main`.',
        collidesWith: [{ number: 14, files: ['src/index.ts'] }],
      }),
    );
    expect(lines).toEqual([
      '✔️ Mergeable into `main`.',
      'Conflicts with #14 in `src/index.ts`: whichever merges first makes the other conflict, and Switchyard then repairs it.',
    ]);
  });

  it('shows the mergeability under the status headline', () => {
    const body = renderStatus({
      agent: 'claude',
      attempt: 1,
      state: 'succeeded',
      pullRequest: { number: 15, url: 'https://github.test/o/r/pull/15' },
      mergeability: found(),
    });
    expect(body).toMatch(/Succeeded.*#15[^\n]*\n\n🔀 Replayed onto `main` after #12 merged/);
  });

  it('tells a repairing agent what collided and hands it its previous change', () => {
    const context = conflictContext({
      pullRequest: 15,
      base: 'main',
      files: ['src/index.ts'],
      collide: [{ number: 12, issue: 3 }],
      previousDiff: "+export * from './auth.js';\n",
    });
    expect(context.author).toBe('switchyard');
    expect(context.body).toContain(
      '#12 (for issue #3) merged into `main` and changed the same lines of `src/index.ts`.',
    );
    expect(context.body).toContain("```diff\n+export * from './auth.js';\n```");
  });
});

describe('a pass with nothing new to find', () => {
  const created = new Date('2026-12-01T10:00:00.000Z');
  const later = (seconds: number) => new Date(created.getTime() + seconds * 1000);
  const run = (over: Partial<PassCandidate> = {}): PassCandidate => ({
    branch: 'agent/7-add-page',
    headSha: 'abc',
    baseBranch: null,
    createdAt: created,
    mergeability: null,
    trigger: { kind: 'label', repo: { defaultBranch: 'main' } },
    ...over,
  });
  const checked = (at: Date, over: Partial<Mergeability> = {}) =>
    found({ action: 'none', files: [], after: [], checkedAt: at.toISOString(), ...over });
  const push = (ref: string, sha: string, at: Date): BranchPush => ({ ref, sha, seenAt: at });

  it('needs no pass for a new pull request on a base nobody moved: only a first record, from the mirror', () => {
    const fresh = run();
    const own = push('refs/heads/agent/7-add-page', 'abc', later(30));
    const before = push('refs/heads/main', 'base', later(-60));
    expect(quietPass([fresh], [own, before])).toEqual({ unchecked: [fresh] });
    expect(quietPass([run({ mergeability: checked(later(40)) })], [own, before])).toEqual({ unchecked: [] });
  });

  it('needs a pass after a push to the base since the last check, or since the run was created', () => {
    const main = push('refs/heads/main', 'moved', later(20));
    expect(quietPass([run()], [main])).toBeUndefined();
    expect(quietPass([run({ mergeability: checked(later(10)) })], [main])).toBeUndefined();
    expect(quietPass([run({ mergeability: checked(later(30)) })], [main])).toEqual({ unchecked: [] });
    // Clocks differ a little between the database and a worker: a push just before the check counts.
    expect(quietPass([run({ mergeability: checked(later(21)) })], [main])).toBeUndefined();
  });

  it("needs a pass when someone else pushed to the pull request's branch", () => {
    const theirs = push('refs/heads/agent/7-add-page', 'someone', later(50));
    expect(quietPass([run({ mergeability: checked(later(40)) })], [theirs])).toBeUndefined();
  });

  it('needs a pass for anything left to follow up: a collision, a wait, a conflict, a repair, a stack', () => {
    const at = later(40);
    for (const left of [
      run({ mergeability: checked(at, { collidesWith: [{ number: 9, files: ['CHANGELOG.md'] }] }) }),
      run({ mergeability: checked(at, { action: 'waiting', state: 'conflicting' }) }),
      run({ mergeability: checked(at, { action: 'handed-off' }) }),
      run({ mergeability: checked(at, { head: 'older' }) }),
      run({ mergeability: checked(at, { repaired: true }) }),
      run({ trigger: { kind: 'repair', repo: { defaultBranch: 'main' } } }),
      run({ baseBranch: 'agent/6-parent' }),
      run({ headSha: null }),
    ])
      expect(quietPass([run({ mergeability: checked(at) }), left], [])).toBeUndefined();
  });
});
