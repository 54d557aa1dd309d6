import { ConfigError } from '../errors.js';

const PROTO = '__proto__';
/** Stands in for a "__proto__" key while zod parses; no key a user writes in YAML or JSON starts with NUL. */
const STAND_IN = '\u0000__proto__';
/** The records of a pipeline keyed by column names. */
const RECORDS = [
  ['schema', 'columns'],
  ['transform', 'rename'],
  ['transform', 'cast'],
  ['transform', 'derive'],
] as const;

type Entries = Record<string, unknown>;
const isEntries = (v: unknown): v is Entries => v !== null && typeof v === 'object' && !Array.isArray(v);
// fromEntries defines own properties, so a "__proto__" key becomes an entry, never the prototype.
const renameKey = (o: Entries, from: string, to: string): Entries => Object.fromEntries(Object.entries(o).map(([k, v]) => [k === from ? to : k, v]));

function renameInRecords<T>(pipeline: T, from: string, to: string): T {
  if (!isEntries(pipeline)) return pipeline;
  let out: Entries = pipeline;
  for (const [group, record] of RECORDS) {
    const g = out[group];
    if (!isEntries(g) || !isEntries(g[record]) || !Object.hasOwn(g[record], from)) continue;
    out = { ...out, [group]: { ...g, [record]: renameKey(g[record], from, to) } };
  }
  return out as T;
}

/**
 * z.record leaves out a "__proto__" key (it builds its result by assignment), but a header may
 * name a column so. A copy of a config document whose column-keyed records (schema.columns,
 * transform.rename, cast and derive) carry that key under a stand-in zod keeps.
 */
export function hideProtoNames(document: unknown): unknown {
  if (!isEntries(document) || !Array.isArray(document.pipelines)) return document;
  return { ...document, pipelines: document.pipelines.map((p: unknown) => renameInRecords(p, PROTO, STAND_IN)) };
}

/** A parsed pipeline with the stand-in of hideProtoNames back as "__proto__", an own entry. */
export function restoreProtoNames<T>(pipeline: T): T {
  return renameInRecords(pipeline, STAND_IN, PROTO);
}

/** A schema error about a stand-in key, as the user wrote it. */
export function restoreProtoNameInError(e: ConfigError): ConfigError {
  if (!e.message.includes(STAND_IN)) return e;
  return new ConfigError(e.path.replaceAll(STAND_IN, PROTO), e.message.slice(e.path.length + 2).replaceAll(STAND_IN, PROTO));
}
