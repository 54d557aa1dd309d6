import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../shared/config/index.js';

interface JsonSchema {
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** Every property of the schema, at any depth, as [path, schema]. */
function properties(schema: JsonSchema, at = ''): [string, JsonSchema][] {
  const found: [string, JsonSchema][] = [];
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    found.push([`${at}.${key}`, property], ...properties(property, `${at}.${key}`));
  }
  if (schema.items) found.push(...properties(schema.items, `${at}[]`));
  if (typeof schema.additionalProperties === 'object') found.push(...properties(schema.additionalProperties, `${at}.*`));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) found.push(...properties(branch, at));
  return found;
}

describe('config JSON Schema', () => {
  const schema = configJsonSchema() as JsonSchema;
  const all = properties(schema);

  it('describes every property, for the editor to show', () => {
    // The walk reaches into records, arrays and union branches.
    expect(all.map(([path]) => path)).toEqual(
      expect.arrayContaining(['.pipelines[].schema.columns.*.length.max', '.pipelines[].rules.dataset[].interval', '.pipelines[].schedule.cron', '.$schema']),
    );
    expect(all.filter(([, p]) => !p.description?.trim()).map(([path]) => path)).toEqual([]);
  });

  it('gives defaults as the config applies them', () => {
    const byPath = Object.fromEntries(all);
    expect(byPath['.pipelines[].qualityGate']!.default).toEqual({ maxRejectRatio: 0.1 });
    expect(byPath['.pipelines[].qualityGate.maxRejectRatio']!.default).toBe(0.1);
    expect(byPath['.pipelines[].format.type']!.default).toBe('csv');
    expect(byPath['.pipelines[].chunking.targetSize']!.default).toBe('64MB');
    expect(byPath['.pipelines[].schema.columns.*.type']!.default).toBe('string');
    expect(byPath['.pipelines[].rules.dataset[].severity']!.default).toBe('error');
  });
});
