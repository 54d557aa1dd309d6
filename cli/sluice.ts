#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, relative } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { configJsonSchema, loadConfig, selectPipeline } from '../shared/config/index.js';
import { ConfigError, InputError } from '../shared/errors.js';
import { writeReplayInput } from '../shared/jobs/replay.js';
import { FileStateStore } from '../shared/local/file-state-store.js';
import { FsObjectStore } from '../shared/local/fs-object-store.js';
import { reason } from '../shared/local/output-dir.js';
import { inputLocation, runLocalBatch, type runLocal } from '../shared/local/runner.js';
import { planChunks } from '../shared/plan/plan.js';
import type { JobReport } from '../shared/report/job-report.js';
import { resourceLine } from '../shared/process/resources.js';
import type { JobRecord } from '../shared/state/models.js';
import { verifyJob } from '../shared/verify/verify.js';
import { describeFailure, ExitCode } from './failure.js';
import { progressReporter } from './progress.js';
import { formatJobs, formatTable, listJobs } from './status.js';

const HELP_AFTER = `
Examples:
  sluice run examples/flux/pipeline.yaml examples/flux/data/*.tsv --out .sluice
  sluice validate sluice.config.yaml
  sluice status --out .sluice
  sluice serve --out .sluice --port 8080
  sluice verify <jobId> --out .sluice
  sluice replay sluice.config.yaml <jobId> --out .sluice
  sluice redrive arn:aws:sqs:eu-west-1:123456789012:Sluice-DeadLetters

Exit codes:
  0  every job succeeded
  1  a job or a collection failed (quality gate, dataset rule, bad rows under fail-job, chunks that
     kept failing, files that disagree on their columns),
     verify found a mismatch, or a redrive's move failed
  2  bad usage, bad config, an unreadable input, an unwritable --out, or a job another run holds`;

/** `runLocalBatch` with the progress bar (or lines) on stderr. */
async function runWithProgress(options: Omit<Parameters<typeof runLocal>[0], 'onEvent'>): ReturnType<typeof runLocalBatch> {
  const progress = progressReporter();
  try {
    return await runLocalBatch({ ...options, onEvent: progress.onEvent });
  } finally {
    progress.stop();
  }
}

/** Per job: its status, accounting, gate, dataset rules, cost and where its outputs are; then per collection. */
function printOutcomes({ jobs, collections }: Awaited<ReturnType<typeof runLocalBatch>>, out: string): void {
  for (const o of jobs) {
    const r = o.report;
    console.log(`${o.status === 'SUCCEEDED' ? '✔' : '✘'} ${o.file} → ${o.pipeline} job ${o.jobId}: ${o.status}${o.error ? ` — ${o.error}` : ''}`);
    if (r) {
      const a = r.accounting;
      console.log(`  rows: ${a.rowsIn} in = ${a.rowsOut} out + ${a.rowsRejected} rejected + ${a.rowsFiltered} filtered ${a.balanced ? '(balanced)' : '(DOES NOT BALANCE)'}`);
      console.log(`  gate: ${r.qualityGate.passed ? 'pass' : 'FAIL'} reject ratio ${(r.rejectRatio * 100).toFixed(2)}% (at most ${(r.qualityGate.maxRejectRatio * 100).toFixed(2)}%), rows out ${a.rowsOut} (at least 1)`);
      for (const d of r.datasetRules) console.log(`  ${d.passed ? 'pass' : d.severity === 'error' ? 'FAIL' : 'warn'} ${d.name}: ${d.detail}`);
      if (r.resources) console.log(`  cost:    ${resourceLine(r.resources.job)}`);
      console.log(`  results: ${relative(process.cwd(), o.resultsDir) || '.'}`);
      console.log(`  rejects: ${relative(process.cwd(), join(out, 'rejects', o.pipeline, o.jobId))}`);
      console.log(`  report:  ${relative(process.cwd(), o.reportPath!)}`);
    }
  }
  for (const c of collections) {
    const a = c.report.accounting;
    console.log(`${c.status === 'SUCCEEDED' ? '✔' : '✘'} collection of ${c.report.files.length} file(s) → ${c.pipeline} ${c.collectionId}: ${c.status}${c.error ? ` — ${c.error}` : ''}${c.skipped ? ' (combined by an earlier run)' : ''}`);
    console.log(`  rows: ${a.rowsIn} in = ${a.rowsOut} out + ${a.duplicatesDropped} duplicates dropped ${a.balanced ? '(balanced)' : '(DOES NOT BALANCE)'}`);
    console.log(`  schema: ${c.report.schema.agreed ? 'the files agree' : c.report.schema.differences.join('; ')}`);
    if (c.status === 'SUCCEEDED') console.log(`  results: ${relative(process.cwd(), c.resultsDir)}`);
    console.log(`  report:  ${relative(process.cwd(), c.reportPath)}`);
  }
}

const program = new Command('sluice')
  .description('Validate, transform and report on large delimited files.')
  .version(pkg.version, '-V, --version', 'print the version')
  .option('--debug', 'print the stack trace of a failure')
  .exitOverride()
  .configureOutput({ outputError: () => undefined })
  .addHelpText('after', HELP_AFTER);

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
};

program
  .command('run')
  .description('process files locally on all cores, resumable')
  .argument('<config>', 'sluice.config.yaml or .json')
  .argument('<files...>', 'input files')
  .option('--out <dir>', 'output folder', '.sluice')
  .option('--workers <n>', 'worker threads (default: all cores)', positiveInt)
  .option('--pipeline <name>', 'run every file through this pipeline, whatever its match says')
  .option('--force', 'ignore checkpoints and process every chunk again', false)
  .action(async (configPath: string, files: string[], opts: { out: string; workers?: number; pipeline?: string; force: boolean }) => {
    const config = await loadConfig(configPath);
    const outcomes = await runWithProgress({ config, files, out: opts.out, workers: opts.workers, pipeline: opts.pipeline, force: opts.force });
    printOutcomes(outcomes, opts.out);
    if ([...outcomes.jobs, ...outcomes.collections].some((o) => o.status !== 'SUCCEEDED')) process.exitCode = ExitCode.JOB_FAILED;
  });

program
  .command('plan')
  .description('print the chunk plan of a file')
  .argument('<config>')
  .argument('<file>')
  .option('--pipeline <name>', 'plan with this pipeline, whatever its match says')
  .action(async (configPath: string, file: string, opts: { pipeline?: string }) => {
    const config = await loadConfig(configPath);
    const { root, key } = inputLocation(file);
    const pipeline = selectPipeline(config, key, opts.pipeline);
    // As `sluice run` plans it: a quoted file in one pass.
    const plan = await planChunks(new FsObjectStore(root), key, pipeline, undefined, { windows: false });
    console.log(JSON.stringify(plan, null, 2));
  });

program
  .command('validate')
  .description('check a config; prints every problem with its path')
  .argument('<config>')
  .action(async (configPath: string) => {
    // loadConfig runs every check (schema, CEL, time formats, column references) in one pass.
    const config = await loadConfig(configPath);
    console.log(`${configPath}: valid (${config.pipelines.length} pipeline(s): ${config.pipelines.map((p) => p.name).join(', ')})`);
  });

program
  .command('schema')
  .description('print the JSON Schema of the config, for editors')
  .action(() => {
    console.log(JSON.stringify(configJsonSchema(), null, 2));
  });

program
  .command('report')
  .description('print the summary of a report.json')
  .argument('<report.json>')
  .action(async (file: string) => {
    const text = await readFile(file, 'utf8').catch((e: unknown) => {
      throw new InputError(file, 0, `cannot read: ${reason(e)}`);
    });
    let r: JobReport;
    try {
      r = JSON.parse(text) as JobReport;
    } catch (e) {
      throw new InputError(file, 0, `not JSON: ${(e as Error).message}`);
    }
    if (typeof r?.accounting?.rowsIn !== 'number') throw new InputError(file, 0, 'not a Sluice report.json (no accounting)');
    const a = r.accounting;
    console.log(`${r.pipeline} ${r.jobId} ${r.status}${r.failure ? ` — ${r.failure}` : ''}`);
    console.log(`rows: ${a.rowsIn} in = ${a.rowsOut} out + ${a.rowsRejected} rejected + ${a.rowsFiltered} filtered (${a.balanced ? 'balanced' : 'NOT balanced'})`);
    for (const [rule, t] of Object.entries(r.stats.rules)) console.log(`  ${rule}: ${t.count}`);
  });

program
  .command('verify')
  .description('check that every input record of a job is in exactly one place (results, rejects, filtered)')
  .argument('<jobId>')
  .option('--out <dir>', 'output folder of a local run', '.sluice')
  .option('--input-root <dir>', 'folder the input key is relative to (default: where the job read it)')
  .option('--bucket <name>', 'verify a job in this S3 bucket instead (AWS credentials from the environment)')
  .action(async (jobId: string, opts: { out: string; inputRoot?: string; bucket?: string }) => {
    let stores;
    if (opts.bucket) {
      const { S3Client } = await import('@aws-sdk/client-s3');
      const { S3ObjectStore } = await import('../shared/aws/s3-object-store.js');
      const s3 = new S3ObjectStore(new S3Client({}), opts.bucket);
      stores = { input: s3, output: s3 };
    } else {
      const job = await readFile(join(opts.out, 'state', jobId, 'job.json'), 'utf8').then((t) => JSON.parse(t) as JobRecord, () => undefined);
      if (!job && !opts.inputRoot) throw new InputError(join(opts.out, 'state', jobId), 0, `no such job under ${opts.out} (see sluice status --out ${opts.out})`);
      stores = { input: new FsObjectStore(opts.inputRoot ?? job?.inputRoot ?? '.'), output: new FsObjectStore(opts.out) };
    }
    const report = await verifyJob(jobId, stores);
    for (const c of report.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    const counts = report.lost === null ? 'records not compared' : `${report.lost} lost, ${report.duplicated} duplicated`;
    console.log(`${report.ok ? 'verified' : 'NOT verified'}: ${counts}`);
    if (!report.ok) process.exitCode = ExitCode.JOB_FAILED;
  });

program
  .command('replay')
  .description("run a job's rejected records again through the config as it is now (after a fix), as a job of their own")
  .argument('<config>', 'the config with the fix')
  .argument('<jobId>', 'the job whose rejects to replay (see sluice status)')
  .option('--out <dir>', 'output folder of the job, and of the replay', '.sluice')
  .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
  .action(async (configPath: string, jobId: string, opts: { out: string; workers?: number }) => {
    const config = await loadConfig(configPath);
    const replay = await writeReplayInput(new FsObjectStore(opts.out), jobId, (name) => {
      const p = config.pipelines.find((x) => x.name === name);
      if (!p) throw new ConfigError('pipelines', `no pipeline named "${name}" (job ${jobId} ran through it)`);
      return p;
    });
    const file = join(opts.out, replay.key);
    if (replay.skippedLines.length) console.log(`left out ${replay.skippedLines.length} reject(s) whose text is not their record (cut to a preview of maxLineBytes, or bytes that were not UTF-8): lines ${replay.skippedLines.slice(0, 10).join(', ')}${replay.skippedLines.length > 10 ? ', …' : ''}`);
    if (replay.records === 0) {
      console.log(`job ${jobId} has no rejected records: nothing to replay`);
      return;
    }
    console.log(`replaying ${replay.records} rejected record(s) of job ${jobId} from ${relative(process.cwd(), file)}`);
    const pipelines = [...config.pipelines.filter((p) => p.name !== replay.pipeline.name), replay.pipeline];
    const outcomes = await runWithProgress({ config: { ...config, pipelines }, files: [file], out: opts.out, workers: opts.workers, pipeline: replay.pipeline.name });
    printOutcomes(outcomes, opts.out);
    const a = outcomes.jobs[0]?.report?.accounting;
    if (a) console.log(`  replay:  ${a.rowsOut} of ${replay.records} record(s) recovered, ${a.rowsRejected} still rejected, ${a.rowsFiltered} filtered; their lines in the input: ${relative(process.cwd(), join(opts.out, 'replay', jobId, 'lines.json'))}`);
    if (outcomes.jobs.some((o) => o.status !== 'SUCCEEDED')) process.exitCode = ExitCode.JOB_FAILED;
  });

program
  .command('history')
  .description("a pipeline's finished jobs, oldest first: rows, rejects, duration, and per column with --columns")
  .argument('<pipeline>')
  .option('--out <dir>', 'output folder of the local runs', '.sluice')
  .option('--last <n>', 'only the last N jobs', positiveInt)
  .option('--json', 'the entries as JSON lines', false)
  .action(async (pipeline: string, opts: { out: string; last?: number; json: boolean }) => {
    const entries = await new FileStateStore(join(opts.out, 'state')).history(pipeline, opts.last !== undefined ? { last: opts.last } : {});
    if (opts.json) {
      for (const e of entries) console.log(JSON.stringify(e));
      return;
    }
    if (!entries.length) {
      console.log(`no finished job of pipeline ${pipeline} under ${opts.out}`);
      return;
    }
    const rows = entries.map((e) => [e.finishedAt, e.status, String(e.rowsIn), String(e.rowsOut), String(e.rowsRejected), `${(e.rejectRatio * 100).toFixed(2)}%`, `${(e.durationMs / 1000).toFixed(1)} s`, e.jobId, e.input.key]);
    console.log(formatTable(['FINISHED', 'STATUS', 'IN', 'OUT', 'REJECTED', 'REJECT %', 'TIME', 'JOB', 'INPUT'], rows));
  });

program
  .command('redrive')
  .description('move dead-lettered S3 events back to the ingest queue (after a fix is deployed), wait, and say how many moved')
  .argument('<dlqArn>', 'the dead-letter queue (the stack output DeadLetterQueueArn)')
  .option('--to <queueArn>', 'where to move them (default: back to the queues they came from)')
  .option('--per-second <n>', 'messages moved per second at most', positiveInt)
  .option('--timeout <seconds>', 'how long to wait for the move to end', positiveInt, 900)
  .action(async (dlqArn: string, opts: { to?: string; perSecond?: number; timeout: number }) => {
    if (!/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$/.test(dlqArn)) throw new InvalidArgumentError(`not an SQS queue ARN: ${dlqArn}`);
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const { redriveDeadLetters } = await import('../shared/aws/redrive.js');
    const r = await redriveDeadLetters(new SQSClient({}), { source: dlqArn, ...(opts.to ? { destination: opts.to } : {}), ...(opts.perSecond ? { maxPerSecond: opts.perSecond } : {}), timeoutMs: opts.timeout * 1000 });
    console.log(`${r.status}: moved ${r.moved} of ${r.toMove} messages from ${dlqArn}${r.failureReason ? ` (${r.failureReason})` : ''}`);
    if (r.status !== 'COMPLETED') process.exitCode = ExitCode.JOB_FAILED;
  });

program
  .command('serve')
  .description('a dashboard and JSON API over the jobs under --out: progress, reports, rejects, trends')
  .option('--out <dir>', 'output folder of the local runs', '.sluice')
  .option('--port <n>', 'port (0: any free one)', (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535');
    return n;
  }, 8080)
  .option('--host <address>', 'address to listen on; only 127.0.0.1 (this machine) unless given', (v: string) => {
    if (!isIP(v) && v !== 'localhost') throw new InvalidArgumentError('expected an IP address (0.0.0.0: every interface) or localhost');
    return v;
  })
  .action(async (opts: { out: string; port: number; host?: string }) => {
    const { serveLocal } = await import('../shared/local/serve.js');
    const server = await serveLocal({ out: opts.out, port: opts.port, ...(opts.host ? { host: opts.host } : {}) });
    console.log(`sluice serve: ${server.url} (jobs under ${opts.out}); Ctrl-C stops`);
    if (server.exposed) console.log(`warning: listening on ${server.host}, beyond this machine: the API has no authentication`);
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(resolve));
    });
  });

program
  .command('status')
  .description('list local jobs: status, counts, age, input and results folder')
  .option('--out <dir>', 'output folder', '.sluice')
  .action(async (opts: { out: string }) => {
    console.log(formatJobs(await listJobs(opts.out), opts.out));
  });

try {
  await program.parseAsync();
} catch (e) {
  const code = (e as { code?: string }).code;
  // --help and --version end through exitOverride too; they are not failures.
  if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exitCode = ExitCode.OK;
  else if (code === 'commander.help') process.exitCode = ExitCode.USAGE;
  else {
    const failure = describeFailure(e, process.argv.includes('--debug'));
    console.error(failure.text);
    process.exitCode = failure.code;
  }
}
