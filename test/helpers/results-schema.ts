/**
 * The published JSON Schema of `lxdcheck.results/v1` (src/report/schema.ts)
 * applied by ajv, a maintained validator of draft 2020-12, so the tests check
 * documents against the schema as consumers will read it.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { resultsJsonSchema } from '../../src/report/schema.js';

// allowUnionTypes: the schema says `type: ['integer', 'null']` on purpose (exitCode).
const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(resultsJsonSchema);

export interface SchemaError {
  /** JSON pointer of the offending value ('' for the document). */
  at: string;
  keyword: string;
  message: string;
}

/** Every way `doc` breaks the schema; empty when it is a valid results document. */
export function resultsSchemaErrors(doc: unknown): SchemaError[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => ({
    at: e.instancePath,
    keyword: e.keyword,
    message: e.message ?? '',
  }));
}
