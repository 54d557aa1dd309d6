// DuckDB on one thread doing the orders job (examples/orders/pipeline.yaml): the same columns,
// types, checks, row rule and derived column, valid rows to Parquet partitioned by country with
// COPY … (FORMAT PARQUET), rejects to JSONL. Prints a JSON line: `node duckdb-orders-child.js <csv> <out>`.
//
// What differs from Sluice, as far as SQL allows (on the generated files both keep and reject the
// same rows, rule for rule, and the results have the same sums):
// - The CSV is read leniently (strict_mode=false: DuckDB's strict reader stops at the CRLF lines
//   the generator plants) with a tenth column, so a line with a field too many is a 'columns'
//   reject as `unknownColumns: reject` makes it; lines DuckDB still cannot read go to its
//   store_rejects table and the rejects file with their line, not with every failing rule.
// - Numbers: TRY_CAST to DOUBLE also takes blanks around digits, 'inf' and 'nan', which Sluice rejects;
//   integers are checked with a regular expression first, since TRY_CAST('1.5' AS BIGINT) rounds to 2.
// - Timestamps: TRY_CAST to TIMESTAMPTZ (session zone UTC, so no zone means UTC) takes a few more
//   spellings than Sluice's ISO 8601 reader; Parquet gets TIMESTAMP (µs) where Sluice writes TIMESTAMP_MILLIS.
// - note's length is counted in code points (Sluice counts UTF-16 units); the notes here are short.
// - one_row_per_order is counted (duplicate ids among the results) but fails nothing; Sluice fails the job.
// - Row groups: DuckDB's default (122,880 rows); Sluice cuts smaller groups to bound its memory.
import { DuckDBInstance } from '@duckdb/node-api';

const [file, out] = process.argv.slice(2) as [string, string];
const started = performance.now();
const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const c = await db.connect();
const sql = (s: string) => `'${s.replaceAll("'", "''")}'`;
const COLUMNS = ['order_id', 'order_ts', 'customer_id', 'country', 'amount', 'currency', 'quantity', 'status', 'note'] as const;
const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'JP', 'AU'];
const CURRENCIES = ['USD', 'CAD', 'GBP', 'EUR', 'JPY', 'AUD'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const list = (values: string[]) => values.map(sql).join(', ');
const required = (col: string, then: string) => `CASE WHEN ${col} IS NULL THEN '${col}:required' ${then} END`;
const amount = `TRY_CAST(amount AS DOUBLE)`;
const checks = [
  // unknownColumns: reject. A tenth field is one the header does not name.
  `CASE WHEN extra_field IS NOT NULL THEN 'columns' END`,
  required('order_id', `WHEN NOT regexp_full_match(order_id, 'ORD-[0-9]{8,9}') THEN 'order_id:pattern'`),
  required('order_ts', `WHEN TRY_CAST(order_ts AS TIMESTAMPTZ) IS NULL THEN 'order_ts:type'`),
  `CASE WHEN customer_id IS NOT NULL AND NOT regexp_full_match(customer_id, 'C[0-9]{6}') THEN 'customer_id:pattern' END`,
  required('country', `WHEN country NOT IN (${list(COUNTRIES)}) THEN 'country:enum'`),
  required('amount', `WHEN ${amount} IS NULL THEN 'amount:type' WHEN ${amount} < 0 THEN 'amount:min'`),
  required('currency', `WHEN currency NOT IN (${list(CURRENCIES)}) THEN 'currency:enum'`),
  required('quantity', `WHEN NOT regexp_full_match(quantity, '[+-]?[0-9]+') THEN 'quantity:type' WHEN TRY_CAST(quantity AS BIGINT) < 1 THEN 'quantity:min'`),
  required('status', `WHEN status NOT IN (${list(STATUSES)}) THEN 'status:enum'`),
  `CASE WHEN length(note) > 2000 THEN 'note:length' END`,
  // The row rule amount_plausible: JPY has no minor unit, so its cap is in yen.
  `CASE WHEN (currency = 'JPY' AND ${amount} >= 15000000.0) OR (currency <> 'JPY' AND ${amount} >= 100000.0) THEN 'amount_plausible' END`,
];
await c.run(`SET TimeZone = 'UTC'`);
await c.run(`CREATE TEMP TABLE checked AS
  SELECT *, list_filter([${checks.join(', ')}], x -> x IS NOT NULL) AS errors
  FROM read_csv(${sql(file)}, header=true, delim=',', quote='"', escape='"', nullstr=['', 'NULL'], new_line='\\n',
    columns={${[...COLUMNS, 'extra_field'].map((n) => `${sql(n)}: 'VARCHAR'`).join(', ')}}, null_padding=true, auto_detect=false, parallel=false,
    strict_mode=false, store_rejects=true, rejects_table='bad_lines', rejects_scan='bad_scans')`);
// A line from a Windows tool ends in CRLF; Sluice drops the CR, so the last field must not keep it.
await c.run(`UPDATE checked SET note = NULLIF(rtrim(note, chr(13)), '') WHERE note LIKE '%' || chr(13)`);
const typed = `order_id, CAST(TRY_CAST(order_ts AS TIMESTAMPTZ) AS TIMESTAMP) AS order_ts, customer_id, country, ${amount} AS amount, currency,
  CAST(quantity AS BIGINT) AS quantity, status, note,
  CAST(CASE WHEN currency = 'JPY' THEN trunc(${amount}) ELSE trunc(${amount} * 100.0 + 0.5) END AS BIGINT) AS amount_cents`;
await c.run(`COPY (SELECT ${typed} FROM checked WHERE len(errors) = 0) TO ${sql(`${out}/results`)} (FORMAT PARQUET, PARTITION_BY (country), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE)`);
await c.run(`COPY (
    SELECT errors, ${COLUMNS.join(', ')}, NULL AS line, NULL AS raw FROM checked WHERE len(errors) > 0
    UNION ALL SELECT [error_type || ': ' || error_message], ${COLUMNS.map(() => 'NULL').join(', ')}, line, csv_line FROM bad_lines
  ) TO ${sql(`${out}/rejects.jsonl`)} (FORMAT JSON)`);
const counts = await c.runAndReadAll(`SELECT
    count(*) FILTER (WHERE len(errors) = 0),
    count(*) FILTER (WHERE len(errors) > 0),
    (SELECT count(DISTINCT line) FROM bad_lines),
    count(order_id) FILTER (WHERE len(errors) = 0) - count(DISTINCT order_id) FILTER (WHERE len(errors) = 0)
  FROM checked`);
const [ok, bad, unreadable, duplicates] = counts.getRows()[0]!.map(Number) as [number, number, number, number];
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds, rowsIn: ok + bad + unreadable, rowsOut: ok, rowsRejected: bad + unreadable, duplicates, status: 'SUCCEEDED', maxRssMb: process.resourceUsage().maxRSS / 1024 }));
