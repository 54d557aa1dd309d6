// The script people write first: csv-parse streaming rows, zod per row, JSON.stringify out.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { z } from 'zod';

const [file, out] = process.argv.slice(2) as [string, string];
const started = performance.now();
const nul = (v: string) => (v === '' || v === 'NA' || v === '-9999' ? null : v);
const ts = z.string().regex(/^\d{12}$/).transform((s) => new Date(Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12))));
const n = (min: number, max: number) => z.preprocess(nul, z.coerce.number().min(min).max(max).nullable());
const Row = z
  .object({
    SITE_ID: z.string().regex(/^[A-Z]{2}-[A-Za-z0-9]{3}$/),
    TIMESTAMP_START: ts,
    TIMESTAMP_END: ts,
    NEE: n(-100, 100), GPP: n(-10, 100), RECO: n(-10, 100), LE: n(-500, 1500), H: n(-500, 1500),
    TA: n(-60, 60), VPD: n(0, 100), SW_IN: n(-10, 1500), P: n(0, 200), USTAR: n(0, 10),
    NEE_QC: z.preprocess(nul, z.coerce.number().int().min(0).max(3).nullable()),
  })
  .refine((r) => r.TIMESTAMP_END > r.TIMESTAMP_START, 'end_after_start')
  .transform((r) => ({ ...r, year: r.TIMESTAMP_START.getUTCFullYear(), NEE_gC: r.NEE === null ? null : r.NEE * 0.02162 }));
const results = createWriteStream(`${out}/results.jsonl`);
const rejects = createWriteStream(`${out}/rejects.jsonl`);
let rowsIn = 0;
let rowsOut = 0;
const parser = createReadStream(file).pipe(parse({ delimiter: '\t', columns: true, relax_column_count: true, quote: false }));
for await (const record of parser) {
  rowsIn++;
  const r = Row.safeParse(record);
  const ok = r.success ? results.write(`${JSON.stringify(r.data)}\n`) : rejects.write(`${JSON.stringify({ record, errors: r.error.issues })}\n`);
  if (r.success) rowsOut++;
  if (!ok) await once(r.success ? results : rejects, 'drain');
}
results.end();
rejects.end();
await Promise.all([once(results, 'close'), once(rejects, 'close')]);
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds, rowsIn, rowsOut, rowsRejected: rowsIn - rowsOut, status: 'SUCCEEDED', maxRssMb: process.resourceUsage().maxRSS / 1024 }));
