#!/usr/bin/env node
/* global console, process */
// Stands in for a scientific processor run once per site-year: it reads the validated rows Sluice
// hands it (SLUICE_INPUT, JSON lines) and writes a summary into SLUICE_OUTPUT_DIR, which Sluice
// collects under the job's results. A site-year without rows is an error, as a real tool's would be.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const rows = readFileSync(process.env.SLUICE_INPUT, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
if (rows.length === 0) {
  console.error(`summarize: no rows in ${process.env.SLUICE_INPUT}`);
  process.exit(2);
}
const sites = [...new Set(rows.map((r) => r.SITE_ID))].sort();
const nee = rows.map((r) => r.NEE).filter((v) => typeof v === 'number');
const ta = rows.map((r) => r.TA).filter((v) => typeof v === 'number');
const summary = {
  sites,
  years: [...new Set(rows.map((r) => r.year))].sort(),
  rows: rows.length,
  first: rows[0].TIMESTAMP_START,
  last: rows[rows.length - 1].TIMESTAMP_START,
  neeMean: nee.length ? nee.reduce((a, b) => a + b, 0) / nee.length : null,
  // Net carbon uptake over the rows, g C m-2 (NEE_gC is per half hour).
  neeTotalGc: rows.reduce((a, r) => a + (typeof r.NEE_gC === 'number' ? r.NEE_gC : 0), 0),
  taMin: ta.length ? Math.min(...ta) : null,
  taMax: ta.length ? Math.max(...ta) : null,
};
writeFileSync(join(process.env.SLUICE_OUTPUT_DIR, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
