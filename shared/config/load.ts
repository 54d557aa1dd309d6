import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { checkPipelines } from './check.js';
import { issuesToErrors, withoutUnknownKeys } from './issues.js';
import { hideProtoNames, restoreProtoNameInError, restoreProtoNames } from './proto-names.js';
import { ConfigSchema, isCalendarDate, PipelineSchema, type Config, type Pipeline } from './schema.js';

export { formatPath } from './issues.js';
export { outputColumnNames } from './references.js';

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

/**
 * Validates a parsed document completely, in one pass: the schema, then what only compiling
 * shows (CEL, time formats, bounds, dialect, column names). Throws an InvalidConfigError that
 * lists every problem, schema problems first. A pipeline whose only schema problems are unknown
 * keys is still compiled, so a typo does not hide the problems after it.
 */
export function parseConfig(document: unknown, source = 'config'): Config {
  // A column may be named "__proto__"; zod would drop it (see hideProtoNames).
  const hidden = hideProtoNames(document);
  const parsed = ConfigSchema.safeParse(hidden);
  const errors = parsed.success ? [] : issuesToErrors(parsed.error.issues, hidden).map(restoreProtoNameInError);
  const pipelines = (parsed.success ? parsed.data.pipelines : pipelinesThatParse(hidden, parsed.error.issues)).map((p) => p && restoreProtoNames(p));
  errors.push(...checkPipelines(pipelines));
  if (errors.length || !parsed.success) throw new InvalidConfigError(source, errors);
  return { ...parsed.data, pipelines: pipelines as Pipeline[] };
}

/** Reads YAML or JSON from disk and validates it completely (see parseConfig); what `run`, `validate` and `cdk synth` call. */
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
  return parseConfig(await withHolidayFiles(document, file), file);
}

/**
 * Reads each completeness calendar's `holidaysFile` (relative to the config) into its `holidays`,
 * so the config a job runs with, locally or deployed, holds the dates themselves. One date a line;
 * `#` starts a comment. A bad line is a config error naming the file and line.
 */
async function withHolidayFiles(document: unknown, file: string): Promise<unknown> {
  const pipelines = (document as { pipelines?: unknown } | null)?.pipelines;
  if (!Array.isArray(pipelines)) return document;
  for (const [p, pipeline] of pipelines.entries()) {
    const rules = (pipeline as { rules?: { dataset?: unknown } } | null)?.rules?.dataset;
    if (!Array.isArray(rules)) continue;
    for (const [r, rule] of rules.entries()) {
      const calendar = (rule as { calendar?: { holidaysFile?: unknown; holidays?: unknown } } | null)?.calendar;
      if (typeof calendar?.holidaysFile !== 'string') continue;
      const at = `pipelines[${p}].rules.dataset[${r}].calendar.holidaysFile`;
      const path = resolve(dirname(file), calendar.holidaysFile);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new ConfigError(at, `cannot read ${calendar.holidaysFile}: ${(e as Error).message}`, { cause: e });
      }
      const dates: string[] = [];
      for (const [i, raw] of text.split(/\r?\n/).entries()) {
        const line = raw.replace(/#.*/, '').trim();
        if (!line) continue;
        if (!isCalendarDate(line)) {
          throw new ConfigError(at, `${calendar.holidaysFile}:${i + 1}: "${line.slice(0, 40)}" is not a date as YYYY-MM-DD`);
        }
        dates.push(line);
      }
      delete calendar.holidaysFile;
      calendar.holidays = [...(Array.isArray(calendar.holidays) ? calendar.holidays : []), ...dates];
    }
  }
  return document;
}

/** Each pipeline of a document that failed the schema, parsed on its own once its unknown keys are dropped; undefined where it still fails. */
function pipelinesThatParse(document: unknown, issues: readonly z.core.$ZodIssue[]): (Pipeline | undefined)[] {
  const pipelines = (withoutUnknownKeys(document, issues) as { pipelines?: unknown } | null | undefined)?.pipelines;
  if (!Array.isArray(pipelines)) return [];
  return pipelines.map((p) => {
    const one = PipelineSchema.safeParse(p);
    return one.success ? one.data : undefined;
  });
}
