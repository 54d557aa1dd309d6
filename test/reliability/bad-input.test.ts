import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.js';
import { FsObjectStore } from '../../shared/local/fs-object-store.js';
import { runLocal, type JobOutcome } from '../../shared/local/runner.js';
import { verifyJob } from '../../shared/verify/verify.js';
import { tempDir } from '../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const base = {
  name: 'bad',
  format: { type: 'csv', maxLineBytes: 200 },
  chunking: { targetSize: 64 },
  // Small files with one bad row each: the gate is not what these cases test.
  qualityGate: { maxRejectRatio: 1 },
  schema: { columns: { a: { type: 'integer', required: true }, b: { type: 'string' }, c: { type: 'number' } } },
};

type Case = {
  name: string;
  content: string | Buffer;
  file?: string;
  pipeline?: Record<string, unknown>;
} & ({ rejects: { count: number; reason: RegExp } } | { fails: RegExp } | { succeeds: number });

const rows = (n: number, eol = '\n') => Array.from({ length: n }, (_, i) => `${i},"v${i}",${i / 2}`).join(eol);
const cases: Case[] = [
  { name: 'an empty file', content: '', fails: /an-empty-file\.csv:1: file is empty: expected a header line/ },
  { name: 'a header only', content: 'a,b,c\n', succeeds: 0 },
  { name: 'a UTF-8 BOM', content: `\uFEFFa,b,c\n${rows(20)}\n`, succeeds: 20 },
  { name: 'CRLF and mixed line endings', content: `a,b,c\r\n${rows(10, '\r\n')}\n${rows(10)}\r\n`, succeeds: 20 },
  { name: 'an unterminated quote', content: `a,b,c\n${rows(5)}\n7,"open,1\n`, rejects: { count: 1, reason: /unterminated quoted field/ } },
  { name: 'a quoted newline across a chunk boundary', content: `a,b,c\n${Array.from({ length: 30 }, (_, i) => `${i},"line one\nline two, ""quoted""\nthree",${i}`).join('\n')}\n`, succeeds: 30 },
  { name: 'ragged rows', content: `a,b,c\n${rows(5)}\n1,2\n1,2,3,4\n`, rejects: { count: 2, reason: /expected 3 fields, found [24]/ } },
  { name: 'invalid UTF-8', content: Buffer.concat([Buffer.from(`a,b,c\n${rows(5)}\n9,`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(',1\n')]), rejects: { count: 1, reason: /invalid UTF-8/ } },
  { name: 'NUL bytes', content: `a,b,c\n${rows(5)}\n9,x\u0000y,1\n`, rejects: { count: 1, reason: /NUL byte/ } },
  { name: 'a line longer than the limit', content: `a,b,c\n${rows(5)}\n9,${'x'.repeat(1000)},1\n${rows(3)}\n`, rejects: { count: 1, reason: /record longer than maxLineBytes \(200\)/ } },
  { name: 'a truncated gzip', file: 'trunc.csv.gz', content: gzipSync(`a,b,c\n${rows(2000)}\n`).subarray(0, 400), fails: /trunc\.csv\.gz: (truncated gzip|corrupt or truncated gzip)/ },
  { name: 'a corrupt gzip', file: 'corrupt.csv.gz', content: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.from('definitely not deflate data '.repeat(20))]), fails: /corrupt\.csv\.gz: (corrupt|truncated)/ },
  { name: 'the wrong delimiter', content: `a;b;c\n1;x;2\n`, fails: /wrong-delimiter\.csv:1: columns "a", "b", "c" not in the header, which has 1 field\(s\) \(one field: is format\.delimiter right\?\): a;b;c;/ },
  { name: 'duplicate header names', content: 'a,b,b\n1,2,3\n', fails: /duplicate-header-names\.csv:1: duplicate header name "b"/ },
  { name: 'a missing header name', content: 'a,,c\n1,2,3\n', fails: /a-missing-header-name\.csv:1: header column 2 has no name/ },
  {
    name: '2,000 columns',
    content: `${['a', 'b', 'c', ...Array.from({ length: 1997 }, (_, i) => `x${i}`)].join(',')}\n${Array.from({ length: 5 }, (_, r) => [r, 'v', 1.5, ...Array.from({ length: 1997 }, (_, i) => i)].join(',')).join('\n')}\n`,
    pipeline: { format: { type: 'csv', maxLineBytes: 100_000 }, schema: { ...base.schema, unknownColumns: 'keep' } },
    succeeds: 5,
  },
];

const fileName = (c: Case) => c.file ?? `${c.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}.csv`;

describe('bad input ends in precise rejects or one clear permanent error, and nothing is lost', () => {
  for (const c of cases) {
    it(`handles ${c.name}`, async () => {
      const file = join(dir, fileName(c));
      await writeFile(file, c.content);
      const out = join(dir, `out-${fileName(c)}`);
      const config = parseConfig({ pipelines: [{ ...base, ...c.pipeline }] });
      let outcome: JobOutcome | undefined;
      let error: Error | undefined;
      try {
        [outcome] = await runLocal({ config, files: [file], out, workers: 1 });
      } catch (e) {
        error = e as Error;
      }
      const message = error?.message ?? outcome?.error ?? '';
      if ('fails' in c) {
        expect(message).toMatch(c.fails);
        expect(message).not.toContain('\n');
        // Nothing half-written: no result parts, no commit marker, no temp files.
        const written = await readdir(join(out, 'results'), { recursive: true }).catch(() => [] as string[]);
        expect(written.filter((f) => /part-|_SUCCESS|sluice-tmp/.test(String(f)))).toEqual([]);
        return;
      }
      expect(error).toBeUndefined();
      expect(outcome!.status).toBe('SUCCEEDED');
      const a = outcome!.report!.accounting;
      if ('succeeds' in c) expect(a).toMatchObject({ rowsIn: c.succeeds, rowsOut: c.succeeds, rowsRejected: 0 });
      if ('rejects' in c) {
        expect(a.rowsRejected).toBe(c.rejects.count);
        const rules = outcome!.report!.stats.rules;
        const messages = Object.values(rules).flatMap((t) => t.samples.map((s) => s.message));
        expect(messages.some((m) => c.rejects.reason.test(m))).toBe(true);
      }
      const verified = await verifyJob(outcome!.jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(out) });
      expect(verified.checks.filter((x) => !x.ok)).toEqual([]);
      expect([verified.lost, verified.duplicated]).toEqual([0, 0]);
    });
  }
});
