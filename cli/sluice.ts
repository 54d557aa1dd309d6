#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { configJsonSchema, InvalidConfigError, loadConfig, matchPipeline } from '../shared/config/index.js';
import { SluiceError } from '../shared/errors.js';
import { runLocal } from '../shared/local/runner.js';
import { FsObjectStore } from '../shared/local/fs-object-store.js';
import { planChunks } from '../shared/plan/plan.js';
import { compileRowProcessor } from '../shared/process/row.js';
import type { JobReport } from '../shared/report/job-report.js';
import { verifyJob } from '../shared/verify/verify.js';
import { progressReporter } from './progress.js';

const program = new Command('sluice').description('Validate, transform and report on large delimited files.').showHelpAfterError();

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
};

program
  .command('run')
  .description('process files locally on all cores, resumable')
  .argument('<config>', 'sluice.config.yaml or .json')
  .argument('<files...>', 'input files')
  .option('--out <dir>', 'output folder', '.sluice')
  .option('--workers <n>', 'worker threads (default: all cores)', positiveInt)
  .option('--force', 'ignore checkpoints and process every chunk again', false)
  .action(async (configPath: string, files: string[], opts: { out: string; workers?: number; force: boolean }) => {
    const config = await loadConfig(configPath);
    const progress = progressReporter();
    let outcomes;
    try {
      outcomes = await runLocal({ config, files, out: opts.out, workers: opts.workers, force: opts.force, onEvent: progress.onEvent });
    } finally {
      progress.stop();
    }
    for (const o of outcomes) {
      const r = o.report;
      console.log(`${o.status === 'SUCCEEDED' ? '✔' : '✘'} ${o.file} → ${o.pipeline} job ${o.jobId}: ${o.status}${o.error ? ` — ${o.error}` : ''}`);
      if (r) {
        const a = r.accounting;
        console.log(`  rows: ${a.rowsIn} in = ${a.rowsOut} out + ${a.rowsRejected} rejected + ${a.rowsFiltered} filtered ${a.balanced ? '(balanced)' : '(DOES NOT BALANCE)'}`);
        for (const d of r.datasetRules) console.log(`  ${d.passed ? 'pass' : d.severity === 'error' ? 'FAIL' : 'warn'} ${d.name}: ${d.detail}`);
        console.log(`  results: ${relative(process.cwd(), o.resultsDir) || '.'}`);
        console.log(`  rejects: ${relative(process.cwd(), join(opts.out, 'rejects', o.pipeline, o.jobId))}`);
        console.log(`  report:  ${relative(process.cwd(), o.reportPath!)}`);
      }
    }
    if (outcomes.some((o) => o.status !== 'SUCCEEDED')) process.exitCode = 1;
  });

program
  .command('plan')
  .description('print the chunk plan of a file')
  .argument('<config>')
  .argument('<file>')
  .action(async (configPath: string, file: string) => {
    const config = await loadConfig(configPath);
    const pipeline = matchPipeline(config, file) ?? (config.pipelines.length === 1 ? config.pipelines[0]! : undefined);
    if (!pipeline) throw new SluiceError(`${file}: no pipeline matches this file`);
    const plan = await planChunks(new FsObjectStore(process.cwd()), relative(process.cwd(), file), pipeline);
    console.log(JSON.stringify(plan, null, 2));
  });

program
  .command('validate')
  .description('check a config; prints every problem with its path')
  .argument('<config>')
  .action(async (configPath: string) => {
    const config = await loadConfig(configPath);
    // Compiling the CEL and column checks finds the errors zod cannot see.
    config.pipelines.forEach((p, i) => compileRowProcessor(p, undefined, `pipelines[${i}]`));
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
    const r = JSON.parse(await readFile(file, 'utf8')) as JobReport;
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
  .option('--input-root <dir>', 'folder the input key is relative to (local runs)', '.')
  .option('--bucket <name>', 'verify a job in this S3 bucket instead (AWS credentials from the environment)')
  .action(async (jobId: string, opts: { out: string; inputRoot: string; bucket?: string }) => {
    let stores;
    if (opts.bucket) {
      const { S3Client } = await import('@aws-sdk/client-s3');
      const { S3ObjectStore } = await import('../shared/aws/s3-object-store.js');
      const s3 = new S3ObjectStore(new S3Client({}), opts.bucket);
      stores = { input: s3, output: s3 };
    } else {
      stores = { input: new FsObjectStore(opts.inputRoot), output: new FsObjectStore(opts.out) };
    }
    const report = await verifyJob(jobId, stores);
    for (const c of report.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    const counts = report.lost === null ? 'records not compared' : `${report.lost} lost, ${report.duplicated} duplicated`;
    console.log(`${report.ok ? 'verified' : 'NOT verified'}: ${counts}`);
    if (!report.ok) process.exitCode = 1;
  });

program
  .command('status')
  .description('list local jobs and their state')
  .option('--out <dir>', 'output folder', '.sluice')
  .action(async (opts: { out: string }) => {
    const dir = join(opts.out, 'state');
    const ids = await readdir(dir).catch(() => [] as string[]);
    for (const id of ids.sort()) {
      const job = JSON.parse(await readFile(join(dir, id, 'job.json'), 'utf8').catch(() => '{}')) as { status?: string; input?: { key: string }; error?: { message: string } };
      console.log(`${id}\t${job.status ?? 'unknown'}\t${job.input?.key ?? ''}${job.error ? `\t${job.error.message}` : ''}`);
    }
  });

try {
  await program.parseAsync();
} catch (e) {
  // One clear line (or the list of config problems), never a stack trace, for errors we raise.
  if (e instanceof InvalidConfigError) console.error(`sluice: invalid config ${e.message.slice(e.message.indexOf(e.source))}`);
  else if (e instanceof SluiceError) console.error(`sluice: ${e.name}: ${e.message}`);
  else console.error(`sluice: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 2;
}
