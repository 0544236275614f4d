/**
 * The JSON Schema of `.github/switchyard.yml`, generated from the zod schema that validates it,
 * so editors can validate the file too. `npm run schema` writes it; a test keeps it current.
 */
import { z } from 'zod';
import { repoConfigSchema } from './repo.ts';

export const SCHEMA_PATH = 'schema/switchyard.schema.json';

export function repoConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(repoConfigSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://github.com/switchyard-app/switchyard/blob/main/schema/switchyard.schema.json',
    title: '.github/switchyard.yml',
    description: 'Repository settings for the Switchyard GitHub App.',
  };
}

export function renderRepoConfigJsonSchema(): string {
  return `${JSON.stringify(repoConfigJsonSchema(), null, 2)}\n`;
}
