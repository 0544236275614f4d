/** One way to build Ajv for GitHub's OpenAPI documents, which mix OpenAPI 3.0 and 3.1 idioms. */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats ships CommonJS with `export default`; under nodenext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * Rewrites OpenAPI 3.0's `nullable: true` into a JSON Schema type list, in place. GitHub's
 * documents use `nullable` also where no `type` is given, which Ajv refuses to compile.
 */
export function normalizeNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) normalizeNullable(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if ('nullable' in record) {
    if (record.nullable === true && typeof record.type === 'string') record.type = [record.type, 'null'];
    delete record.nullable;
  }
  for (const value of Object.values(record)) normalizeNullable(value);
}

/** An Ajv instance holding one whole OpenAPI document under `id`. */
export function ajvForDocument(id: string, document: object): Ajv {
  normalizeNullable(document);
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  addFormats(ajv);
  // GitHub's own payloads carry app and bot addresses such as
  // `49699333+dependabot[bot]@users.noreply.github.com`, which ajv's email pattern refuses.
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/);
  ajv.addSchema(document, id);
  return ajv;
}
