// One Sluice run in its own process, so its peak RSS is its own. Prints a JSON line.
import { loadConfig } from '../shared/config/load.js';
import { runLocal } from '../shared/local/runner.js';

const [config, file, out, workers] = process.argv.slice(2) as [string, string, string, string];
const started = performance.now();
const [job] = await runLocal({ config: await loadConfig(config), files: [file], out, workers: Number(workers), force: true });
const seconds = (performance.now() - started) / 1000;
if (!job?.report) throw new Error(`${file}: ${job?.status ?? 'no job'}: ${job?.error ?? 'no report'}`);
const a = job.report.accounting;
console.log(JSON.stringify({ seconds, rowsIn: a.rowsIn, rowsOut: a.rowsOut, rowsRejected: a.rowsRejected, status: job.status, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
