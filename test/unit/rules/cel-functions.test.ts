import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withReference } from '../../../scripts/cel-reference.js';
import { compileRowProcessor, Outcome } from '../../../shared/process/row.js';
import { pipelineOf } from '../../helpers.js';

/** One row of text columns through a pipeline whose derives use the functions. */
function derive(exprs: Record<string, string>, row: string[], header = ['s', 't']) {
  const p = compileRowProcessor(pipelineOf({ schema: { columns: { s: {}, t: { type: 'timestamp', required: true } } }, transform: { derive: exprs } }), header);
  const outcome = p.process(row, undefined);
  return { outcome, values: Object.fromEntries(p.columns.map((c, i) => [c.name, p.values[i]])), failures: p.failures.map((f) => f.message) };
}

describe("Sluice's CEL functions", () => {
  it('replace, trim, lowerAscii and upperAscii clean strings', () => {
    const r = derive({ a: 's.replace(",", "")', b: '" x ".trim()', c: 's.upperAscii()', d: '"ABC".lowerAscii()', e: 's.replace("", "-")' }, ['1,137,000', '2019-01-01T00:00:00Z']);
    expect(r.outcome).toBe(Outcome.OUT);
    expect(r.values).toMatchObject({ a: '1137000', b: 'x', c: '1,137,000', d: 'abc', e: '1,137,000' });
  });

  it('int(timestamp) is Unix seconds, and timestamp(string, format) reads a column format', () => {
    const r = derive({ secs: 'int(t)', at: 'timestamp("3/14/2025 1:20", "M/D/YYYY H:mm")', later: 'timestamp(s, "D MMM YYYY h:mm A") > t' }, ['14 Mar 2025 1:20 PM', '2025-03-14T01:20:00Z']);
    expect(r.outcome).toBe(Outcome.OUT);
    expect(r.values).toMatchObject({ secs: 1741915200, at: Date.UTC(2025, 2, 14, 1, 20), later: true });
  });

  it('a text that is not in the format is a reject that says why', () => {
    const r = derive({ at: 'timestamp(s, "M/D/YYYY")' }, ['2/30/2025', '2025-03-14T01:20:00Z']);
    expect(r.outcome).toBe(Outcome.REJECT);
    expect(r.failures).toEqual(['"2/30/2025" is not a time in format M/D/YYYY: day 30 does not exist in 2025-02']);
  });

  it("are listed in the README's CEL reference, which is generated from the engine's environment", async () => {
    const readme = await readFile(join(import.meta.dirname, '../../../README.md'), 'utf8');
    expect(readme).toBe(withReference(readme));
    for (const name of ['replace', 'trim', 'lowerAscii', 'upperAscii', 'timestamp', 'int']) expect(readme).toContain(`| \`${name}\` |`);
    expect(readme).toContain('`timestamp(string, string): google.protobuf.Timestamp`');
  });
});
