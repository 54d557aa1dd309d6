import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ConfigSchema } from './schema.js';
import { didYouMean } from './suggest.js';

/** Formats a zod issue path as `pipelines[0].schema.columns.ts.type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

/**
 * One ConfigError per zod issue, and one per unknown key, with a "did you mean" where a key, an
 * enum value or a union's `type` is a near miss. `document` is what was parsed: it picks the
 * branch of a discriminated union and holds the value a user wrote.
 */
export function issuesToErrors(issues: readonly z.core.$ZodIssue[], document: unknown): ConfigError[] {
  return issues.flatMap((i) => {
    const at = formatPath(i.path);
    if (i.code === 'unrecognized_keys') {
      const allowed = objectKeysAt(ConfigSchema, document, i.path);
      return i.keys.map((k) => new ConfigError(at, `unknown key "${k}"${didYouMean(k, allowed)}`));
    }
    const written = valueAt(document, i.path);
    if (i.code === 'invalid_value' && typeof written === 'string') {
      return [new ConfigError(at, `${i.message}${didYouMean(written, i.values.filter((v): v is string => typeof v === 'string'))}`)];
    }
    if (i.code === 'invalid_union' && typeof written === 'string' && i.path.length > 0) {
      return [new ConfigError(at, `${i.message}${didYouMean(written, discriminatorValues(document, i.path))}`)];
    }
    return [new ConfigError(at, i.message)];
  });
}

/** Removes the keys zod reported as unknown, so the rest of a pipeline can still be checked. */
export function withoutUnknownKeys(document: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(document);
  for (const i of issues) {
    if (i.code !== 'unrecognized_keys') continue;
    const target = valueAt(copy, i.path);
    if (target && typeof target === 'object') for (const k of i.keys) delete (target as Record<string, unknown>)[k];
  }
  return copy;
}

function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let v = document;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** The keys the strict object at `path` allows, found by walking the schema beside the document. */
function objectKeysAt(root: z.ZodType, document: unknown, path: readonly PropertyKey[]): string[] {
  const schema = unwrap(schemaAt(root, document, path), valueAt(document, path));
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The tags a discriminated union allows, for an issue at its discriminator (`path` ends in it). */
function discriminatorValues(document: unknown, path: readonly PropertyKey[]): string[] {
  let union = schemaAt(ConfigSchema, document, path.slice(0, -1));
  while (union instanceof z.ZodDefault || union instanceof z.ZodOptional) union = union.unwrap() as z.ZodType;
  if (!(union instanceof z.ZodDiscriminatedUnion)) return [];
  const discriminator = String(path.at(-1));
  return (union.options as z.ZodType[]).flatMap((o) => {
    const literal = o instanceof z.ZodObject ? o.shape[discriminator] : undefined;
    return literal instanceof z.ZodLiteral ? [...literal.values].filter((v): v is string => typeof v === 'string') : [];
  });
}

/** The schema of the value at `path`, as written (defaults, optionals and unions not yet unwrapped). */
function schemaAt(root: z.ZodType, document: unknown, path: readonly PropertyKey[]): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  let value = document;
  for (const p of path) {
    schema = unwrap(schema, value);
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(p)];
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else return undefined;
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p] : undefined;
  }
  return schema;
}

/** Strips defaults and optionals; of a union, the object branch the value belongs to. */
function unwrap(schema: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  for (;;) {
    if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    else if (schema instanceof z.ZodUnion) schema = unionBranch(schema, value);
    else return schema;
  }
}

function unionBranch(union: z.ZodUnion, value: unknown): z.ZodType | undefined {
  const objects = (union.options as z.ZodType[]).map((o) => unwrap(o, value)).filter((o): o is z.ZodObject => o instanceof z.ZodObject);
  const discriminator = union instanceof z.ZodDiscriminatedUnion ? (union._zod.def.discriminator as string) : undefined;
  if (discriminator === undefined) return objects[0];
  const tag = value && typeof value === 'object' ? (value as Record<string, unknown>)[discriminator] : undefined;
  return objects.find((o) => {
    const literal = o.shape[discriminator];
    return literal instanceof z.ZodLiteral && literal.values.has(tag as z.core.util.Literal);
  });
}
