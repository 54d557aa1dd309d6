import { ConfigError } from '../errors.js';
import { celEnvironment, columnVariables, compileCel, declareCelVariable } from '../rules/cel.js';
import { columnBound } from '../rules/columns.js';
import { compileTimeFormat } from '../rules/time.js';
import { checkReferences } from './references.js';
import { dialectOf } from './resolve.js';
import type { Column, Pipeline } from './schema.js';

/**
 * What the schema cannot see, for pipelines that passed it: the dialect, column bounds and time
 * formats, every CEL expression (compiled as the row processor compiles them), and the names
 * transforms, dataset rules and partitions use. Pipelines are indexed as in the document;
 * `undefined` stands for one that did not pass the schema. Returns every problem, in that order.
 */
export function checkPipelines(pipelines: readonly (Pipeline | undefined)[]): ConfigError[] {
  const errors: ConfigError[] = [];
  const names = new Set<string>();
  pipelines.forEach((p, i) => {
    if (!p) return;
    const at = `pipelines[${i}]`;
    if (names.has(p.name)) errors.push(new ConfigError(`${at}.name`, `duplicate pipeline name "${p.name}"`));
    names.add(p.name);
    errors.push(...checkDialect(p, at));
    for (const [name, column] of Object.entries(p.schema.columns)) errors.push(...checkColumn(column, `${at}.schema.columns.${name}`));
    errors.push(...checkExpressions(p, at));
    errors.push(...checkReferences(p, at));
  });
  return errors;
}

const isLineBreak = (c: string) => c === '\n' || c === '\r';

/** A delimiter or quote that is a line break, or a delimiter that is also the quote, cannot be read back. */
function checkDialect(p: Pipeline, at: string): ConfigError[] {
  if (p.format.type === 'jsonl') {
    // Kept keys differ per record; only JSONL output has room for them.
    if (p.schema.unknownColumns === 'keep' && p.output.format !== 'jsonl') {
      return [new ConfigError(`${at}.schema.unknownColumns`, `keep with jsonl input needs output.format jsonl (keys not in the schema vary per record; ${p.output.format} has fixed columns)`)];
    }
    return [];
  }
  const errors: ConfigError[] = [];
  const { delimiter, quote } = dialectOf(p);
  if (isLineBreak(delimiter)) errors.push(new ConfigError(`${at}.format.delimiter`, 'a line break cannot be the delimiter'));
  if (isLineBreak(quote)) errors.push(new ConfigError(`${at}.format.quote`, 'a line break cannot be the quote'));
  if (quote !== '' && delimiter === quote) {
    const what = p.format.quote === undefined ? `the ${p.format.type} quote (set format.quote to another character or false)` : 'format.quote';
    errors.push(new ConfigError(`${at}.format.delimiter`, `${JSON.stringify(delimiter)} is also ${what}`));
  }
  return errors;
}

/** Time format, min and max as compileColumn reads them, and min ≤ max. */
function checkColumn(c: Column, path: string): ConfigError[] {
  const errors: ConfigError[] = [];
  // An absent column is null, which a required column refuses: every row would be a reject.
  if (c.required && c.allowMissing) errors.push(new ConfigError(`${path}.allowMissing`, 'a required column cannot be allowed to be missing'));
  if (c.type === 'date' || c.type === 'timestamp') {
    try {
      compileTimeFormat(c.format, c.type, c.timezone);
    } catch (e) {
      errors.push(new ConfigError(`${path}.format`, (e as Error).message, { cause: e }));
    }
  }
  if (c.type !== 'string' && c.type !== 'enum') {
    const bound = (key: 'min' | 'max'): number | undefined => {
      const v = c[key];
      // A string bound is read as an ISO time; on a number column that is never what was meant.
      if ((c.type === 'integer' || c.type === 'number') && typeof v === 'string') {
        errors.push(new ConfigError(`${path}.${key}`, `"${v}" is not a number`));
        return undefined;
      }
      return collect(errors, () => columnBound(c.type, v, `${path}.${key}`));
    };
    const min = bound('min');
    const max = bound('max');
    if (min !== undefined && max !== undefined && min > max) errors.push(new ConfigError(`${path}.min`, `${show(c.min)} is greater than max ${show(c.max)}`));
  }
  if (typeof c.length === 'object' && c.length.min !== undefined && c.length.max !== undefined && c.length.min > c.length.max) {
    errors.push(new ConfigError(`${path}.length.min`, `${c.length.min} is greater than max ${c.length.max}`));
  }
  return errors;
}

/** Compiles every CEL expression in the order and environment of the row processor: rules, then derive (each derived column visible to the next), then filter. */
function checkExpressions(p: Pipeline, at: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const env = celEnvironment(columnVariables(p.schema.columns));
  p.rules.row.forEach((r, i) => collect(errors, () => compileCel(env, r.expr, `${at}.rules.row[${i}].expr`, 'bool')));
  for (const [name, expr] of Object.entries(p.transform.derive ?? {})) {
    collect(errors, () => compileCel(env, expr, `${at}.transform.derive.${name}`));
    // A derive named like a column is reported by checkReferences; registering it twice would throw.
    if (!Object.hasOwn(p.schema.columns, name)) declareCelVariable(env, name, 'dyn');
  }
  if (p.transform.filter !== undefined) collect(errors, () => compileCel(env, p.transform.filter!, `${at}.transform.filter`, 'bool'));
  return errors;
}

/** Runs a compile step; a ConfigError it throws joins `errors` instead of stopping the check. */
function collect<T>(errors: ConfigError[], step: () => T): T | undefined {
  try {
    return step();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    errors.push(e);
    return undefined;
  }
}

const show = (v: number | string | undefined) => (typeof v === 'string' ? `"${v}"` : String(v));
