/** Writes schema/switchyard.schema.json from the zod schema. */
import { writeFileSync } from 'node:fs';
import { renderRepoConfigJsonSchema, SCHEMA_PATH } from '../config/json-schema.ts';

writeFileSync(SCHEMA_PATH, renderRepoConfigJsonSchema());
console.log(`wrote ${SCHEMA_PATH}`);
