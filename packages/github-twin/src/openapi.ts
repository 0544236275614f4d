/**
 * Request validation against GitHub's own OpenAPI description (`@octokit/openapi`).
 *
 * The twin answers only requests that api.github.com would accept: the operation must exist,
 * path and query parameters must match their schemas, and a JSON body must match the
 * operation's request body schema. Anything else is a violation that fails the test that made it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import { ajvForDocument } from './ajv.ts';

const require = createRequire(import.meta.url);

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
  $ref?: string;
}

interface OperationObject {
  operationId: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject | ParameterObject[]>>;
  components: { parameters: Record<string, ParameterObject> };
}

/** One operation of the description, as the router needs it. */
export interface Operation {
  operationId: string;
  method: string;
  template: string;
  /** JSON pointer of the operation inside the document, for schema references. */
  pointer: string;
  parameters: ParameterObject[];
  hasJsonBody: boolean;
  bodyRequired: boolean;
}

export interface MatchedRequest {
  operation: Operation;
  pathParams: Record<string, string>;
}

export interface RequestToValidate {
  pathParams: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  contentType: string | undefined;
}

interface CompiledRoute {
  operation: Operation;
  regex: RegExp;
  names: string[];
  literalSegments: number;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head'];
const DOCUMENT_ID = 'github-rest';

function escapePointerSegment(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}

/** Converts an OpenAPI-typed query string value to the type its schema declares. */
function coerce(value: string, schema: Record<string, unknown> | undefined): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number') {
    return value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  }
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (type === 'array') return value.split(',');
  return value;
}

/** GitHub's REST description, indexed for routing and validation. */
export class RestDescription {
  readonly #routes: CompiledRoute[] = [];
  readonly #ajv: Ajv;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    this.#ajv = ajvForDocument(DOCUMENT_ID, document);

    for (const [template, item] of Object.entries(document.paths)) {
      const shared = (item.parameters as ParameterObject[] | undefined) ?? [];
      for (const method of METHODS) {
        const operation = item[method] as OperationObject | undefined;
        if (!operation) continue;
        const parameters = [...shared, ...(operation.parameters ?? [])].map((p) =>
          p.$ref ? resolveParameter(document, p.$ref) : p,
        );
        const names: string[] = [];
        const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
          names.push(name);
          // A file path (contents API) spans slashes when the client does not encode them.
          return name === 'path' ? '(.+)' : '([^/]+)';
        });
        const json = operation.requestBody?.content?.['application/json'];
        this.#routes.push({
          operation: {
            operationId: operation.operationId,
            method: method.toUpperCase(),
            template,
            pointer: `#/paths/${escapePointerSegment(template)}/${method}`,
            parameters,
            hasJsonBody: json !== undefined,
            bodyRequired: operation.requestBody?.required === true,
          },
          regex: new RegExp(`^${source}$`),
          names,
          literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
        });
      }
    }
    // A literal segment must win over a parameter: /issues/comments/{id} before /issues/{number}.
    this.#routes.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  /** Loads the api.github.com description that ships with `@octokit/openapi`. */
  static load(): RestDescription {
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    return new RestDescription(JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument);
  }

  /** Finds the operation for a method and path; `undefined` when GitHub has no such endpoint. */
  match(method: string, path: string): MatchedRequest | undefined {
    for (const route of this.#routes) {
      if (route.operation.method !== method.toUpperCase()) continue;
      const found = route.regex.exec(path);
      if (!found) continue;
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, index) => {
        pathParams[name] = decodeURIComponent(found[index + 1] ?? '');
      });
      return { operation: route.operation, pathParams };
    }
    return undefined;
  }

  /** Returns every way the request departs from the description; empty when it is valid. */
  validate(operation: Operation, request: RequestToValidate): string[] {
    const problems: string[] = [];
    for (const parameter of operation.parameters) {
      if (parameter.in !== 'path' && parameter.in !== 'query') continue;
      const raw = parameter.in === 'path' ? request.pathParams[parameter.name] : request.query.get(parameter.name);
      if (raw === undefined || raw === null) {
        if (parameter.required) problems.push(`missing required ${parameter.in} parameter "${parameter.name}"`);
        continue;
      }
      const validate = this.#compile(`param:${operation.operationId}:${parameter.name}`, parameter.schema ?? {});
      if (!validate(coerce(raw, parameter.schema))) {
        problems.push(
          `${parameter.in} parameter "${parameter.name}"=${JSON.stringify(raw)}: ${this.#ajv.errorsText(validate.errors)}`,
        );
      }
    }
    const known = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of request.query.keys()) {
      if (!known.has(name)) problems.push(`unknown query parameter "${name}"`);
    }

    if (request.body === undefined) {
      if (operation.bodyRequired) problems.push('missing required request body');
    } else if (!operation.hasJsonBody) {
      problems.push('this operation takes no JSON body');
    } else {
      if (request.contentType && !request.contentType.includes('json')) {
        problems.push(`content-type "${request.contentType}" is not JSON`);
      }
      const pointer = `${operation.pointer}/requestBody/content/${escapePointerSegment('application/json')}/schema`;
      const validate = this.#compile(pointer, { $ref: `${DOCUMENT_ID}${pointer}` });
      if (!validate(request.body)) {
        problems.push(`request body: ${this.#ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
      }
    }
    return problems;
  }

  #compile(key: string, schema: object): ValidateFunction {
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.#ajv.compile(schema);
      this.#validators.set(key, validate);
    }
    return validate;
  }
}

function resolveParameter(document: OpenApiDocument, ref: string): ParameterObject {
  const name = ref.replace('#/components/parameters/', '');
  const parameter = document.components.parameters[name];
  if (!parameter) throw new Error(`unresolvable parameter reference ${ref}`);
  return parameter;
}
