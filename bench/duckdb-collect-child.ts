// DuckDB on one thread doing the collection of bench --collect: the site files combined, one row
// per (site, t) with the largest v (nulls lose, ties to the first file and row), sorted by site
// and t, written as JSON lines. Prints a JSON line.
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, out] = process.argv.slice(2) as [string, string];
const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const c = await db.connect();
const read = `read_csv('${dir}/*.csv', filename = true, header = true, columns = {'site': 'VARCHAR', 't': 'TIMESTAMPTZ', 'v': 'DOUBLE', 'n': 'INTEGER'})`;
const rowsIn = Number((await c.runAndReadAll(`SELECT count(*) FROM ${read}`)).getRows()[0]![0]);
await c.run(`COPY (
  SELECT site, t, v, n FROM ${read}
  QUALIFY row_number() OVER (PARTITION BY site, t ORDER BY v DESC NULLS LAST, filename, n) = 1
  ORDER BY site, t
) TO '${out}/collection.jsonl' (FORMAT JSON)`);
const rowsOut = Number((await c.runAndReadAll(`SELECT count(*) FROM read_json('${out}/collection.jsonl')`)).getRows()[0]![0]);
c.closeSync();
db.closeSync();
console.log(JSON.stringify({ rowsIn, rowsOut, rowsRejected: 0, status: 'SUCCEEDED' }));
