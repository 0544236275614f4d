import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { renderRepoConfigJsonSchema, repoConfigJsonSchema, SCHEMA_PATH } from '../../src/config/json-schema.ts';

describe('JSON Schema of .github/switchyard.yml', () => {
  it('is committed as generated (run `npm run schema` after changing the zod schema)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(renderRepoConfigJsonSchema());
  });

  it('accepts a valid file and rejects a wrong one, as the app does', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(repoConfigJsonSchema());
    expect(
      validate({
        batching: { window: '30s' },
        dependencies: { release: 'stacked' },
        checks: ['npm test'],
        limits: { runsPerHour: 5 },
      }),
    ).toBe(true);
    expect(validate({ dependencies: { release: 'eventually' } })).toBe(false);
    expect(validate({ surprise: 1 })).toBe(false);
  });
});
