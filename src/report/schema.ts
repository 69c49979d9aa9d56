/**
 * JSON Schema (draft 2020-12) of the `lxdcheck.results/v1` document, published
 * for consumers (docs/json-schema.md). lxdcheck never validates its own output
 * at run time; the tests apply this schema with ajv (test/helpers/results-schema.ts)
 * to real reports of the recorded bundles.
 */

/** The keywords this schema uses, so a typo in one is a type error. */
type JsonSchema = {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  title?: string;
  description?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minimum?: number;
};

const nonNegInt: JsonSchema = { type: 'integer', minimum: 0 };

export const resultsJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://lxdcheck.dev/schema/lxdcheck.results.v1.json',
  title: 'lxdcheck results, v1',
  description:
    'One lxdcheck run. Additive changes (new optional fields) keep v1 and consumers must ignore unknown fields; removing or renaming a field or adding a status value is a new major version.',
  type: 'object',
  required: ['schema', 'cluster', 'scenario', 'startedAt', 'durationMs', 'counts', 'hosts', 'results'],
  properties: {
    schema: { const: 'lxdcheck.results/v1' },
    schemaVersion: { type: 'string', description: 'minor version: 1.1 adds diagnosis, metrics and causes' },
    cluster: { type: 'string' },
    scenario: { type: 'string' },
    startedAt: { type: 'string', description: 'ISO 8601 date-time of run start' },
    durationMs: { type: 'number', minimum: 0 },
    counts: {
      type: 'object',
      required: ['pass', 'fail', 'warn', 'skip', 'error', 'total'],
      properties: {
        pass: nonNegInt,
        fail: nonNegInt,
        warn: nonNegInt,
        skip: nonNegInt,
        error: nonNegInt,
        total: nonNegInt,
      },
    },
    hosts: { type: 'array', items: { type: 'string' } },
    results: { type: 'array', items: { $ref: '#/$defs/result' } },
    aborted: { type: 'string', description: 'Why the run stopped early; absent when it completed' },
    diagnosis: {
      type: 'object',
      required: ['rootCauses'],
      properties: {
        rootCauses: { type: 'array', items: { $ref: '#/$defs/rootCause' } },
        timeline: { type: 'array', items: { $ref: '#/$defs/timelineEntry' } },
        converged: {
          type: ['object', 'null'],
          properties: { round: nonNegInt, seconds: { type: 'number', minimum: 0 } },
        },
        rounds: nonNegInt,
      },
    },
    timings: {
      type: 'array',
      description: "Where each host's gather time went; optional",
      items: {
        type: 'object',
        required: ['host', 'totalMs', 'stages', 'sections'],
        properties: {
          host: { type: 'string' },
          totalMs: { type: 'number' },
          stages: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'durationMs'],
              properties: { name: { type: 'string' }, durationMs: { type: 'number' } },
            },
          },
          sections: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'durationMs'],
              properties: {
                name: { type: 'string' },
                stage: { type: 'string' },
                durationMs: { type: 'number' },
                timedOut: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  },
  $defs: {
    result: {
      type: 'object',
      required: ['id', 'title', 'subject', 'status', 'summary', 'evidence', 'durationMs'],
      properties: {
        id: { type: 'string' },
        title: { type: 'string' },
        subject: {
          type: 'object',
          properties: {
            host: { type: 'string' },
            peer: { type: 'string' },
            container: { type: 'string' },
            peerContainer: { type: 'string' },
          },
        },
        status: { enum: ['pass', 'fail', 'warn', 'skip', 'error'] },
        summary: { type: 'string' },
        expected: { type: 'string' },
        actual: { type: 'string' },
        evidence: { type: 'array', items: { $ref: '#/$defs/evidence' } },
        hint: {
          type: 'object',
          properties: {
            why: { type: 'string' },
            fix: { type: 'array', items: { type: 'string' } },
          },
        },
        durationMs: { type: 'number', minimum: 0 },
        metrics: { type: 'object', description: 'what was measured: lossPercent, rttAvgMs, largestMtu, …' },
        involves: { type: 'array', items: { type: 'string' } },
        cause: { $ref: '#/$defs/ref' },
        breaks: { type: 'array', items: { enum: ['host', 'l2', 'address', 'mtu', 'dns', 'multicast'] } },
        root: { type: 'boolean' },
        causedBy: { type: 'string', description: '`<check id> <subject>` of the root cause' },
      },
    },
    ref: {
      type: 'object',
      required: ['check', 'subject'],
      properties: { check: { type: 'string' }, subject: { type: 'object' } },
    },
    rootCause: {
      type: 'object',
      required: ['key', 'check', 'subject', 'status', 'summary', 'fix', 'explains'],
      properties: {
        key: { type: 'string' },
        check: { type: 'string' },
        host: { type: 'string' },
        subject: { type: 'object' },
        status: { enum: ['fail', 'error'] },
        summary: { type: 'string' },
        fix: { type: 'array', items: { type: 'string' } },
        explains: { type: 'array', items: { type: 'string' } },
        inferred: { type: 'boolean' },
      },
    },
    sighting: {
      type: 'object',
      required: ['round', 'seconds'],
      properties: { round: nonNegInt, seconds: { type: 'number' }, hostUptimeSeconds: { type: 'number' } },
    },
    timelineEntry: {
      type: 'object',
      required: ['key', 'check', 'summary', 'firstSeen', 'lastSeen', 'healed'],
      properties: {
        key: { type: 'string' },
        check: { type: 'string' },
        host: { type: 'string' },
        summary: { type: 'string' },
        firstSeen: { $ref: '#/$defs/sighting' },
        lastSeen: { $ref: '#/$defs/sighting' },
        healed: { type: 'boolean' },
      },
    },
    evidence: {
      type: 'object',
      properties: {
        host: { type: 'string' },
        command: { type: 'string' },
        exitCode: { type: ['integer', 'null'] },
        excerpt: { type: 'string' },
        note: { type: 'string' },
      },
    },
  },
} as const satisfies JsonSchema;
