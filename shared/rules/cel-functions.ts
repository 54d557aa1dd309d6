import type { Environment } from '@marcbachmann/cel-js';
import { compileTimeFormat, type TimeParser } from './time.js';

const patterns = new Map<string, TimeParser>();

/** A time pattern compiled once (the pattern of a CEL literal repeats on every row). */
function patternOf(format: string): TimeParser {
  let p = patterns.get(format);
  if (!p) {
    p = compileTimeFormat(format, 'timestamp');
    if (patterns.size > 256) patterns.clear();
    patterns.set(format, p);
  }
  return p;
}

/**
 * The functions Sluice adds to CEL's standard set, for cleaning values: registered on every
 * environment the engine and the config check use, and listed in the README's CEL reference.
 */
export function registerSluiceFunctions(env: Environment): Environment {
  return env
    .registerFunction('string.replace(string, string): string', (s: string, from: string, to: string) => (from === '' ? s : s.split(from).join(to)), {
      description: 'Every occurrence of the first string replaced by the second: "1,137".replace(",", "") is "1137"',
    })
    .registerFunction('int(google.protobuf.Timestamp): int', (t: Date) => BigInt(Math.floor(t.getTime() / 1000)), {
      description: 'Seconds since 1970-01-01T00:00:00Z (Unix time), rounded down',
    })
    .registerFunction(
      'timestamp(string, string): google.protobuf.Timestamp',
      (text: string, format: string) => {
        const parse = patternOf(format);
        const ms = parse(text);
        if (Number.isNaN(ms)) throw new Error(`"${text}" is not a time in format ${format}${parse.why ? `: ${parse.why(text)}` : ''}`);
        return new Date(ms);
      },
      { description: 'The text read with a format of the same tokens as a column\'s format (UTC): timestamp("3/14/2025 1:20", "M/D/YYYY H:mm")' },
    );
}

/** The CEL reference of the README: every function of `env`, grouped by name, with its overloads. */
export function celReference(env: Environment): string {
  const byName = new Map<string, { signatures: string[]; description: string | null }>();
  for (const f of env.getDefinitions().functions) {
    const entry = byName.get(f.name) ?? { signatures: [], description: null };
    entry.signatures.push(f.signature);
    entry.description ??= f.description ?? null;
    byName.set(f.name, entry);
  }
  const rows = [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, e]) => `| \`${name.replace(/\|/g, '\\|')}\` | ${e.signatures.map((s) => `\`${s.replace(/\|/g, '\\|')}\``).join('<br>')} | ${e.description ?? ''} |`);
  return ['| function | overloads | notes |', '| --- | --- | --- |', ...rows].join('\n');
}
