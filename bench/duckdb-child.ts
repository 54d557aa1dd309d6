// DuckDB on one thread doing the flux job: the same type and range checks and row rule,
// valid rows to JSONL and rejects to JSONL. Prints a JSON line.
import { DuckDBInstance } from '@duckdb/node-api';

const [file, out] = process.argv.slice(2) as [string, string];
const started = performance.now();
const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const c = await db.connect();
const num = (col: string, min: number, max: number) =>
  `CASE WHEN ${col} IS NULL THEN NULL WHEN TRY_CAST(${col} AS DOUBLE) IS NULL THEN 'type:${col}' WHEN TRY_CAST(${col} AS DOUBLE) NOT BETWEEN ${min} AND ${max} THEN 'range:${col}' END`;
const checks = [
  `CASE WHEN SITE_ID IS NULL OR NOT regexp_full_match(SITE_ID, '[A-Z]{2}-[A-Za-z0-9]{3}') THEN 'SITE_ID' END`,
  `CASE WHEN TRY_STRPTIME(TIMESTAMP_START, '%Y%m%d%H%M') IS NULL THEN 'TIMESTAMP_START' END`,
  `CASE WHEN TRY_STRPTIME(TIMESTAMP_END, '%Y%m%d%H%M') IS NULL THEN 'TIMESTAMP_END' END`,
  num('NEE', -100, 100), num('GPP', -10, 100), num('RECO', -10, 100), num('LE', -500, 1500), num('H', -500, 1500),
  num('TA', -60, 60), num('VPD', 0, 100), num('SW_IN', -10, 1500), num('P', 0, 200), num('USTAR', 0, 10),
  `CASE WHEN NEE_QC IS NULL THEN NULL WHEN TRY_CAST(NEE_QC AS INTEGER) IS NULL OR TRY_CAST(NEE_QC AS INTEGER) NOT BETWEEN 0 AND 3 THEN 'NEE_QC' END`,
  `CASE WHEN TRY_STRPTIME(TIMESTAMP_END, '%Y%m%d%H%M') <= TRY_STRPTIME(TIMESTAMP_START, '%Y%m%d%H%M') THEN 'end_after_start' END`,
];
const cols = ['SITE_ID', 'TIMESTAMP_START', 'TIMESTAMP_END', 'NEE', 'GPP', 'RECO', 'LE', 'H', 'TA', 'VPD', 'SW_IN', 'P', 'USTAR', 'NEE_QC'];
await c.run(`CREATE TEMP TABLE checked AS
  SELECT *, list_filter([${checks.join(', ')}], x -> x IS NOT NULL) AS errors
  FROM read_csv('${file}', delim='\t', header=true, quote='', nullstr=['', 'NA', '-9999'], all_varchar=true, strict_mode=false, null_padding=true)`);
const typed = cols
  .map((col) =>
    col === 'SITE_ID' ? col : col.startsWith('TIMESTAMP') ? `STRPTIME(${col}, '%Y%m%d%H%M') AS ${col}` : col === 'NEE_QC' ? `CAST(${col} AS INTEGER) AS ${col}` : `CAST(${col} AS DOUBLE) AS ${col}`,
  )
  .join(', ');
// The example's derived columns.
const derived = `year(STRPTIME(TIMESTAMP_START, '%Y%m%d%H%M')) AS year, CAST(NEE AS DOUBLE) * 0.02162 AS NEE_gC`;
await c.run(`COPY (SELECT ${typed}, ${derived} FROM checked WHERE len(errors) = 0) TO '${out}/results.jsonl' (FORMAT JSON)`);
await c.run(`COPY (SELECT errors, ${cols.join(', ')} FROM checked WHERE len(errors) > 0) TO '${out}/rejects.jsonl' (FORMAT JSON)`);
const counts = await c.runAndReadAll(`SELECT count(*) FILTER (WHERE len(errors) = 0), count(*) FILTER (WHERE len(errors) > 0) FROM checked`);
const [ok, bad] = counts.getRows()[0]!.map(Number) as [number, number];
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds, rowsIn: ok + bad, rowsOut: ok, rowsRejected: bad, status: 'SUCCEEDED', maxRssMb: process.resourceUsage().maxRSS / 1024 }));
