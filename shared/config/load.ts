import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ConfigSchema, type Config, type Pipeline } from './schema.js';

/** Formats a zod issue path as `pipelines[0].schema.columns.ts.type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

/** Every problem with a config, each with its path. Empty when the config is valid. */
export interface ConfigProblems {
  readonly errors: readonly ConfigError[];
}

/** Thrown when a config has one or more problems; the message lists them all. */
export class InvalidConfigError extends ConfigError {
  constructor(
    readonly source: string,
    readonly errors: readonly ConfigError[],
  ) {
    super(errors[0]?.path ?? '(root)', `${source}: ${errors.length} problem(s)\n${errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
}

function issuesToErrors(issues: readonly z.core.$ZodIssue[]): ConfigError[] {
  return issues.map((i) => {
    const extra = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
    return new ConfigError(formatPath(i.path), `${i.message}${extra}`);
  });
}

/** Validates a parsed document against the schema and the cross-field checks. */
export function parseConfig(document: unknown, source = 'config'): Config {
  const parsed = ConfigSchema.safeParse(document);
  if (!parsed.success) throw new InvalidConfigError(source, issuesToErrors(parsed.error.issues));
  const errors: ConfigError[] = [];
  const names = new Set<string>();
  parsed.data.pipelines.forEach((p, i) => {
    if (names.has(p.name)) errors.push(new ConfigError(`pipelines[${i}].name`, `duplicate pipeline name "${p.name}"`));
    names.add(p.name);
    errors.push(...checkReferences(p, `pipelines[${i}]`));
  });
  if (errors.length) throw new InvalidConfigError(source, errors);
  return parsed.data;
}

/** Reads YAML or JSON from disk and validates it. */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, `cannot read config: ${(e as Error).message}`, { cause: e });
  }
  let document: unknown;
  try {
    document = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new ConfigError(file, `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  return parseConfig(document, file);
}

/** Names used in transforms, dataset rules and partitions must exist. */
function checkReferences(p: Pipeline, at: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const columns = new Set(Object.keys(p.schema.columns));
  const derived = Object.keys(p.transform.derive ?? {});
  const available = new Set([...columns, ...derived]);
  const need = (name: string, path: string, pool: Set<string>) => {
    if (!pool.has(name) && p.schema.unknownColumns !== 'keep') errors.push(new ConfigError(path, `unknown column "${name}"`));
  };
  (p.transform.select ?? []).forEach((c, j) => need(c, `${at}.transform.select[${j}]`, available));
  for (const c of Object.keys(p.transform.cast ?? {})) need(c, `${at}.transform.cast.${c}`, available);
  for (const c of Object.keys(p.transform.rename ?? {})) need(c, `${at}.transform.rename.${c}`, available);
  for (const c of derived) if (columns.has(c)) errors.push(new ConfigError(`${at}.transform.derive.${c}`, `"${c}" is already a column`));
  p.rules.dataset.forEach((r, j) => {
    const cols = r.type === 'unique' ? r.columns : r.type === 'completeness' ? [r.column] : [];
    cols.forEach((c) => need(c, `${at}.rules.dataset[${j}]`, columns));
    if (r.type === 'completeness') {
      const t = p.schema.columns[r.column]?.type;
      if (t && t !== 'timestamp' && t !== 'date') errors.push(new ConfigError(`${at}.rules.dataset[${j}].column`, `"${r.column}" must be a date or timestamp`));
    }
  });
  const outputNames = outputColumnNames(p);
  p.output.partitionBy.forEach((c, j) => {
    if (!outputNames.includes(c)) errors.push(new ConfigError(`${at}.output.partitionBy[${j}]`, `"${c}" is not an output column`));
  });
  return errors;
}

/** Output column names before unknown kept columns are known: schema + derived, then select, then rename. */
export function outputColumnNames(p: Pipeline, extra: readonly string[] = []): string[] {
  const base = [...Object.keys(p.schema.columns), ...extra, ...Object.keys(p.transform.derive ?? {})];
  const selected = p.transform.select ?? base;
  return selected.map((c) => p.transform.rename?.[c] ?? c);
}
