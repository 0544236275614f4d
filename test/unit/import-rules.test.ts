/** The import rules of eslint.config.js refuse what DESIGN.md forbids, and let the rest through. */
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// The project's own config, without type information (the fixtures are not files of the project).
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: [tseslint.configs.disableTypeChecked] });

async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import rules', () => {
  it('keep the scheduler pure', async () => {
    const errors = await importErrors(
      'src/scheduler/fixture.ts',
      "import { Store } from '../store/records.ts';\nexport const store = Store;\n",
    );
    expect(errors).toEqual([expect.stringContaining('The scheduler is pure')]);
  });

  it('keep GitHub out of the runner, and the flow out of the GitHub side', async () => {
    expect(
      await importErrors(
        'src/runner/fixture.ts',
        "import { repoParams } from '../github/client.ts';\nvoid repoParams;\n",
      ),
    ).toHaveLength(1);
    expect(
      await importErrors('src/github/fixture.ts', "import { intake } from '../jobs/intake.ts';\nvoid intake;\n"),
    ).toHaveLength(1);
  });

  it('keep test/ out of src/, and domain/ free of our imports', async () => {
    expect(
      await importErrors(
        'src/jobs/fixture.ts',
        "import { GitHubTwin } from '../../test/twin/index.ts';\nvoid GitHubTwin;\n",
      ),
    ).toHaveLength(1);
    expect(
      await importErrors(
        'src/web/fixture.ts',
        "import { GitHubTwin } from '@switchyard/github-twin';\nvoid GitHubTwin;\n",
      ),
    ).toHaveLength(1);
    expect(
      await importErrors(
        'src/domain/fixture.ts',
        "import { formatUsd } from '../scheduler/budget.ts';\nvoid formatUsd;\n",
      ),
    ).toHaveLength(1);
  });

  it('let the jobs use every edge', async () => {
    const code = [
      "import { repoParams } from '../github/client.ts';",
      "import { Store } from '../store/records.ts';",
      "import { Runner } from '../runner/execute.ts';",
      'void repoParams; void Store; void Runner;',
      '',
    ].join('\n');
    expect(await importErrors('src/jobs/fixture.ts', code)).toEqual([]);
  });
});
