import { ConfigError } from '../errors.js';
import { ANOMALY_METRIC, type Pipeline } from './schema.js';
import { didYouMean } from './suggest.js';

/**
 * Names used in dataset rules, transforms and partitions must exist where they are used. With
 * `unknownColumns: keep` a name may be a header column nobody listed, so unknown names pass.
 */
export function checkReferences(p: Pipeline, at: string): ConfigError[] {
  const errors: ConfigError[] = [];
  const columns = Object.keys(p.schema.columns);
  const derived = Object.keys(p.transform.derive ?? {});
  const available = [...columns, ...derived];
  const keep = p.schema.unknownColumns === 'keep';
  const known = (name: string, path: string, pool: readonly string[]): boolean => {
    if (pool.includes(name) || keep) return true;
    errors.push(new ConfigError(path, `unknown column "${name}"${didYouMean(name, pool)}`));
    return false;
  };

  p.rules.dataset.forEach((r, j) => {
    const rule = `${at}.rules.dataset[${j}]`;
    if (r.type === 'unique') r.columns.forEach((c, k) => known(c, `${rule}.columns[${k}]`, columns));
    if (r.type === 'completeness' && known(r.column, `${rule}.column`, columns)) {
      const t = p.schema.columns[r.column]?.type;
      if (t && t !== 'timestamp' && t !== 'date') errors.push(new ConfigError(`${rule}.column`, `"${r.column}" must be a date or timestamp`));
    }
    if (r.type === 'rowCount' && r.min !== undefined && r.max !== undefined && r.min > r.max) {
      errors.push(new ConfigError(`${rule}.min`, `${r.min} is greater than max ${r.max}`));
    }
  });

  for (const c of derived) if (columns.includes(c)) errors.push(new ConfigError(`${at}.transform.derive.${c}`, `"${c}" is already a column`));
  const select = p.transform.select;
  select?.forEach((c, j) => {
    known(c, `${at}.transform.select[${j}]`, available);
    if (select.indexOf(c) !== j) errors.push(new ConfigError(`${at}.transform.select[${j}]`, `"${c}" is selected twice`));
  });
  // cast and rename act on the selected columns; naming another one has no effect, so it is a mistake.
  const onOutput = (c: string, path: string) => {
    if (known(c, path, available) && select && !select.includes(c) && available.includes(c)) errors.push(new ConfigError(path, `"${c}" is not in transform.select`));
  };
  for (const c of Object.keys(p.transform.cast ?? {})) onOutput(c, `${at}.transform.cast.${c}`);
  for (const c of Object.keys(p.transform.rename ?? {})) onOutput(c, `${at}.transform.rename.${c}`);
  const base = select ?? available;
  const taken = new Set(base.filter((c) => renamed(p, c) === undefined));
  for (const c of base) {
    const to = renamed(p, c);
    if (to === undefined) continue;
    if (taken.has(to)) errors.push(new ConfigError(`${at}.transform.rename.${c}`, `"${to}" is already an output column`));
    taken.add(to);
  }

  const outputs = outputColumnNames(p);
  p.output.partitionBy.forEach((c, j) => {
    if (!outputs.includes(c)) errors.push(new ConfigError(`${at}.output.partitionBy[${j}]`, `"${c}" is not an output column${didYouMean(c, outputs)}`));
  });
  // Groups, anomaly columns and collect's columns are read from output rows; with `keep` and no
  // select, a header column nobody listed may be one.
  const onOut = (c: string, path: string) => {
    if (!outputs.includes(c) && !(keep && !select)) errors.push(new ConfigError(path, `"${c}" is not an output column${didYouMean(c, outputs)}`));
  };
  p.rules.dataset.forEach((r, j) => {
    const column = r.type === 'anomaly' ? ANOMALY_METRIC.exec(r.metric)?.[3] : undefined;
    if (column !== undefined) onOut(column, `${at}.rules.dataset[${j}].metric`);
    if (r.type === 'completeness') r.groupBy.forEach((c, k) => onOut(c, `${at}.rules.dataset[${j}].groupBy[${k}]`));
  });
  const collect = p.collect;
  if (collect) {
    collect.dedupe?.key.forEach((c, k) => onOut(c, `${at}.collect.dedupe.key[${k}]`));
    const by = collect.dedupe?.keep;
    if (typeof by === 'object') onOut('max' in by ? by.max : by.min, `${at}.collect.dedupe.keep.${'max' in by ? 'max' : 'min'}`);
    collect.sort.forEach((c, k) => onOut(c, `${at}.collect.sort[${k}]`));
  }
  return errors;
}

/** Output column names before unknown kept columns are known: schema + derived, then select, then rename. */
export function outputColumnNames(p: Pipeline, extra: readonly string[] = []): string[] {
  const base = [...Object.keys(p.schema.columns), ...extra, ...Object.keys(p.transform.derive ?? {})];
  const selected = p.transform.select ?? base;
  return selected.map((c) => renamed(p, c) ?? c);
}

/** The new name of a column, if renamed; own keys only, so a column named "constructor" is no exception. */
function renamed(p: Pipeline, column: string): string | undefined {
  const rename = p.transform.rename;
  return rename && Object.hasOwn(rename, column) ? rename[column] : undefined;
}
