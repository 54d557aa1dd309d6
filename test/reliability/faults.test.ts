import { execFileSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.js';
import { FsObjectStore } from '../../shared/local/fs-object-store.js';
import { runLocal, type RunEvent } from '../../shared/local/runner.js';
import { readJobPipeline, readJobPlan } from '../../shared/plan/manifest.js';
import { FileStateStore } from '../../shared/local/file-state-store.js';
import { finalizeJob } from '../../shared/report/finalize.js';
import { verifyJob } from '../../shared/verify/verify.js';
import { FLUX_CONFIG, fluxTsv } from '../fixtures.js';
import { tempDir } from '../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const config = parseConfig(FLUX_CONFIG);

async function tree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])) as { isFile(): boolean; name: string; parentPath: string }[]) {
    if (f.isFile()) out[join(f.parentPath, f.name).slice(root.length)] = (await readFile(join(f.parentPath, f.name))).toString('base64');
  }
  return out;
}

async function verified(jobId: string, out: string) {
  const v = await verifyJob(jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(out) });
  expect(v.checks.filter((c) => !c.ok)).toEqual([]);
  return v;
}

describe('local faults', () => {
  it('sets a corrupt checkpoint aside, reprocesses that chunk and ends with identical results', async () => {
    const file = join(dir, 'corrupt-checkpoint.tsv');
    await writeFile(file, fluxTsv(3000).text);
    const clean = join(dir, 'clean');
    const [first] = await runLocal({ config, files: [file], out: clean, workers: 2 });
    const before = await tree(join(clean, 'results'));
    await writeFile(join(clean, 'state', first!.jobId, 'chunk-000002.json'), '{"jobId": "trunc');
    const events: RunEvent[] = [];
    const [second] = await runLocal({ config, files: [file], out: clean, workers: 2, onEvent: (e) => events.push(e) });
    expect(second!.status).toBe('SUCCEEDED');
    expect(events.find((e) => e.type === 'warning')).toMatchObject({ message: expect.stringMatching(/chunk-000002\.json is unreadable .* moved to .*corrupt-\d+ and the chunk will run again/) });
    const chunks = events.filter((e) => e.type === 'chunk') as Extract<RunEvent, { type: 'chunk' }>[];
    expect(chunks.filter((c) => !c.skipped).map((c) => c.index)).toEqual([2]);
    expect((await readdir(join(clean, 'state', first!.jobId))).some((f) => f.startsWith('chunk-000002.json.corrupt-'))).toBe(true);
    expect(await tree(join(clean, 'results'))).toEqual(before);
    await verified(second!.jobId, clean);
  });

  it('stops a chunk that exceeds its timeout, retries it a bounded number of times, fails clearly, and resumes', async () => {
    const file = join(dir, 'slow.tsv');
    await writeFile(file, fluxTsv(60_000).text);
    const out = join(dir, 'slow');
    const pipeline = { ...FLUX_CONFIG.pipelines[0], chunking: { targetSize: '8MB' }, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } };
    const events: RunEvent[] = [];
    const tight = parseConfig({ pipelines: [{ ...pipeline, compute: { timeoutSeconds: 0.05 } }] });
    const [slow] = await runLocal({ config: tight, files: [file], out, workers: 1, onEvent: (e) => events.push(e) });
    expect(slow!.status).toBe('FAILED');
    expect(slow!.error).toMatch(/TransientError: chunk 0 of slow\.tsv timed out after 0\.05 s/);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
    const [resumed] = await runLocal({ config: parseConfig({ pipelines: [pipeline] }), files: [file], out, workers: 1 });
    expect(resumed!.jobId).toBe(slow!.jobId);
    expect(resumed!.status).toBe('SUCCEEDED');
    await verified(resumed!.jobId, out);
  });

  it('stops every job when a checkpoint cannot be written, runs nothing after it throws, and resumes to identical results', async () => {
    const files = [join(dir, 'stop-a.tsv'), join(dir, 'stop-b.tsv')];
    await writeFile(files[0]!, fluxTsv(8000).text);
    await writeFile(files[1]!, fluxTsv(8000, 89).text);
    const out = join(dir, 'stop');
    let jobA = '';
    let broken = '';
    // After A's first checkpoint, A's state folder becomes a file: its next checkpoint write fails.
    const breakState = (e: RunEvent) => {
      if (e.type === 'planned' && e.file === files[0]) jobA = e.plan.jobId;
      if (broken || e.type !== 'chunk' || e.skipped || e.jobId !== jobA) return;
      broken = join(out, 'state', e.jobId);
      // Moved aside in one step: worker threads may be writing checkpoints into it right now.
      renameSync(broken, `${broken}.gone`);
      writeFileSync(broken, '');
    };
    // ENOENT when a checkpoint was already being written in the folder as it went: its rename then finds no folder.
    await expect(runLocal({ config, files, out, workers: 2, onEvent: breakState })).rejects.toThrow(/E(NOTDIR|EXIST|NOENT)/);
    const after = await tree(out);
    await sleep(1000);
    expect(await tree(out)).toEqual(after);

    await rm(broken);
    const resumed = await runLocal({ config, files, out, workers: 2 });
    expect(resumed.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const clean = join(dir, 'stop-clean');
    await runLocal({ config, files, out: clean, workers: 2 });
    for (const sub of ['results', 'rejects']) expect(await tree(join(out, sub))).toEqual(await tree(join(clean, sub)));
    for (const j of resumed) await verified(j.jobId, out);
  });

  it('finalizes twice (a crash after the report, before the status) to the same outputs', async () => {
    const file = join(dir, 'twice.tsv');
    await writeFile(file, fluxTsv(2000).text);
    const out = join(dir, 'twice');
    const [job] = await runLocal({ config, files: [file], out, workers: 1 });
    const first = await tree(join(out, 'results'));
    const rejects = await tree(join(out, 'rejects'));
    const store = new FsObjectStore(out);
    const state = new FileStateStore(join(out, 'state'));
    const chunks = await state.listChunks(job!.jobId);
    const again = await finalizeJob(await readJobPipeline(store, job!.jobId), await readJobPlan(store, job!.jobId), chunks.map((c) => c.result!), store, 'then');
    expect(again.report.status).toBe('SUCCEEDED');
    expect(await tree(join(out, 'results'))).toEqual(first);
    expect(await tree(join(out, 'rejects'))).toEqual(rejects);
    await verified(job!.jobId, out);
  });

  it('gives a new upload of the same file its own job and leaves the first job valid', async () => {
    const file = join(dir, 'reupload.tsv');
    await writeFile(file, fluxTsv(500).text);
    const out = join(dir, 'reupload');
    const [a] = await runLocal({ config, files: [file], out, workers: 1 });
    await writeFile(file, fluxTsv(700).text);
    const [b] = await runLocal({ config, files: [file], out, workers: 1 });
    expect(b!.jobId).not.toBe(a!.jobId);
    expect(b!.report!.accounting.rowsIn).toBe(700);
    expect(JSON.parse(await readFile(join(out, 'results/flux', a!.jobId, '_SUCCESS'), 'utf8')).rows.in).toBe(500);
    await verified(b!.jobId, out);
    // The first job's input is gone (a local file has one version): verify says so instead of comparing against the new bytes.
    const stale = await verifyJob(a!.jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(out) });
    expect([stale.ok, stale.lost, stale.duplicated]).toEqual([false, null, null]);
    expect(stale.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['input unchanged', 'input readable as planned']);
  });

  it('fails a job whose input changes after planning, naming the file, instead of mixing two uploads', async () => {
    const file = join(dir, 'changing.tsv');
    await writeFile(file, fluxTsv(800).text);
    const out = join(dir, 'changing');
    // Rewritten after the plan and before any chunk reads it.
    const [a] = await runLocal({ config, files: [file], out, workers: 1, onEvent: (e) => void (e.type === 'planned' && writeFileSync(file, fluxTsv(900).text)) });
    expect(a!.status).toBe('FAILED');
    expect(a!.error).toMatch(/chunk\(s\) failed; first: InputError: changing\.tsv: changed since the job was planned \(etag \S+, now \S+\); the new upload has its own job$/);
    expect(await readdir(join(out, 'results/flux', a!.jobId)).catch(() => [])).toEqual([]);
    const [b] = await runLocal({ config, files: [file], out, workers: 1 });
    expect(b!.jobId).not.toBe(a!.jobId);
    expect(b!.report!.accounting.rowsIn).toBe(900);
    await verified(b!.jobId, out);
  });
});

// Disk full needs a small filesystem: a tmpfs, which only root may mount.
let tiny: string | undefined;
let why = '';
try {
  tiny = join((await import('node:os')).tmpdir(), `sluice-tiny-${process.pid}`);
  await mkdir(tiny, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', tiny], { stdio: 'ignore' });
} catch {
  why = 'cannot mount a tmpfs here (needs root)';
  tiny = undefined;
}
if (why) console.warn(`disk-full test skipped: ${why}`);

describe.skipIf(!tiny)('disk full', () => {
  afterAll(async () => {
    execFileSync('umount', [tiny!]);
    await rm(tiny!, { recursive: true, force: true });
  });

  it('rejects a write that runs out of space, then aborts without hanging and leaves no temp file', async () => {
    const w = new FsObjectStore(tiny!).writer('big.bin');
    // 16 MiB: past the stream's 8 MiB buffer, so a write itself must wait for the disk and see its error.
    let written = 0;
    const fill = async () => {
      for (; written < 16; written++) await w.write(Buffer.alloc(1 << 20));
    };
    await expect(fill()).rejects.toThrow(/ENOSPC/);
    expect(written).toBeLessThan(16);
    await expect(w.commit()).rejects.toThrow(/ENOSPC/);
    await w.abort();
    expect((await readdir(tiny!)).filter((f) => f.startsWith('big.bin'))).toEqual([]);
  });

  it('fails the job with a clear error, leaves no partial output, and resumes to identical results', async () => {
    const file = join(dir, 'full.tsv');
    await writeFile(file, fluxTsv(20_000).text);
    // The worker's write fails, then so does the runner's failure checkpoint: one clear error either way.
    const failure = await runLocal({ config, files: [file], out: tiny!, workers: 1 }).then(
      ([job]) => `${job!.status}: ${job!.error}`,
      (e: Error) => `${e.name}: ${e.message}`,
    );
    expect(failure).toMatch(/^(FAILED|OutputError): .*ENOSPC: no space left on device/);
    expect(failure).not.toContain('\n');
    const left = Object.keys(await tree(join(tiny!, 'results')));
    expect(left.filter((f) => f.includes('sluice-tmp'))).toEqual([]);
    expect(left.filter((f) => f.endsWith('_SUCCESS'))).toEqual([]);

    // With room again, the same command resumes to the results of a clean run.
    execFileSync('mount', ['-o', 'remount,size=64m', tiny!]);
    const [resumed] = await runLocal({ config, files: [file], out: tiny!, workers: 1 });
    expect(resumed!.status).toBe('SUCCEEDED');
    const clean = join(dir, 'full-clean');
    await runLocal({ config, files: [file], out: clean, workers: 1 });
    expect(await tree(join(tiny!, 'results'))).toEqual(await tree(join(clean, 'results')));
    await verified(resumed!.jobId, tiny!);
  });
});
