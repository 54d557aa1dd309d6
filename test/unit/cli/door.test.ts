import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../../package.json' with { type: 'json' };
import { FLUX_CONFIG, fluxTsv, writeJson } from '../../fixtures.js';
import { SLUICE_BIN, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await writeJson(join(dir, 'config.json'), { pipelines: [{ ...FLUX_CONFIG.pipelines[0], match: { suffix: '.tsv' } }] });
  await writeFile(join(dir, 'site.tsv'), fluxTsv(500).text);
});
afterAll(() => cleanup());

function sluice(args: string[], cwd = dir) {
  return spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8', cwd, timeout: 30_000 });
}

/** The CLI's failure contract: the exit code, exactly one line on stderr, and no stack trace. */
function expectOneLine(r: ReturnType<typeof sluice>, code: number, line: RegExp) {
  expect(r.status, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(r.stderr).not.toMatch(/ {4}at /);
}

describe('the CLI as a user runs it', () => {
  it('prints the package version', () => {
    const r = sluice(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('prints the committed JSON Schema', async () => {
    const r = sluice(['schema']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(await readFile(join(import.meta.dirname, '../../../sluice.schema.json'), 'utf8'));
  });

  it('lists examples and exit codes in --help', () => {
    const r = sluice(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}sluice run /);
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}every job succeeded\n {2}1 {2}a job or a collection failed/);
    expect(r.stdout).toMatch(/\n {2}2 {2}bad usage/);
  });

  it('refuses a serve --host that is not an address, and a port out of range, with one line and exit 2', () => {
    expectOneLine(sluice(['serve', '--host', 'example.com']), 2, /^sluice: option '--host <address>' argument 'example\.com' is invalid\. expected an IP address/);
    expectOneLine(sluice(['serve', '--port', '70000']), 2, /^sluice: option '--port <n>' argument '70000' is invalid\. expected a port from 0 to 65535/);
  });

  it('refuses a redrive of something that is not an SQS queue ARN, before any AWS call', () => {
    expectOneLine(sluice(['redrive', 'Sluice-DeadLetters']), 2, /^sluice: not an SQS queue ARN: Sluice-DeadLetters/);
  });

  it.each(['0', 'abc', '-2', '1.5'])('refuses --workers %s with one line and exit 2', (n) => {
    expectOneLine(sluice(['run', 'config.json', 'site.tsv', '--workers', n]), 2, new RegExp(`^sluice: option '--workers <n>' argument '${n.replace('.', '\\.')}' is invalid\\. expected a whole number of at least 1`));
  });

  it('refuses an unknown command and a missing argument with exit 2', () => {
    expectOneLine(sluice(['bogus']), 2, /^sluice: unknown command 'bogus'/);
    expectOneLine(sluice(['run']), 2, /^sluice: missing required argument 'config'/);
  });

  it('refuses --out pointing at an existing file', async () => {
    await writeFile(join(dir, 'a-file'), 'x');
    expectOneLine(sluice(['run', 'config.json', 'site.tsv', '--out', 'a-file']), 2, /^sluice: --out a-file: it is a file, not a folder$/);
    expectOneLine(sluice(['run', 'config.json', 'site.tsv', '--out', 'a-file/sub']), 2, /^sluice: --out a-file\/sub: .*a-file is a file, not a folder$/);
  });

  it.each(['/proc/sluice-out', '/sys/sluice-out'])('refuses --out %s (a kernel file system) at once', (out) => {
    const started = Date.now();
    expectOneLine(sluice(['run', 'config.json', 'site.tsv', '--out', out]), 2, /^sluice: --out \/(proc|sys)\/sluice-out: \/(proc|sys) is on (procfs|sysfs), a kernel file system/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('names a missing or foreign report file', async () => {
    expectOneLine(sluice(['report', 'missing.json']), 2, /^sluice: missing\.json: cannot read: no such file or directory \(ENOENT\)$/);
    expectOneLine(sluice(['report', 'config.json']), 2, /^sluice: config\.json: not a Sluice report\.json \(no accounting\)$/);
  });

  it('says a file holding only a byte-order mark is empty', async () => {
    await writeFile(join(dir, 'bom.tsv'), Buffer.from([0xef, 0xbb, 0xbf]));
    expectOneLine(sluice(['run', 'config.json', 'bom.tsv', '--out', 'bom-out']), 2, /^sluice: bom\.tsv:1: file is empty \(only a byte-order mark\): expected a header line$/);
  });

  it('holds a single pipeline to its match, and --pipeline forces one', async () => {
    await writeFile(join(dir, 'site.csv'), fluxTsv(50).text);
    expectOneLine(sluice(['run', 'config.json', 'site.csv', '--out', 'm-out']), 2, /^sluice: site\.csv: no pipeline matches this file \(flux takes suffix "\.tsv"\); --pipeline NAME forces one$/);
    expectOneLine(sluice(['run', 'config.json', 'site.csv', '--pipeline', 'nope']), 2, /^sluice: --pipeline: no pipeline named "nope" \(pipelines: flux\)$/);
    const forced = sluice(['run', 'config.json', 'site.csv', '--out', 'm-out', '--pipeline', 'flux', '--workers', '1']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/site\.csv → flux job flux-\w+: SUCCEEDED\n {2}rows: 50 in = 49 out \+ 1 rejected/);
  });

  it('plans a file outside the working folder', async () => {
    await mkdir(join(dir, 'a-folder-beside'));
    const r = sluice(['plan', join(dir, 'config.json'), join(dir, 'site.tsv')], join(dir, 'a-folder-beside'));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ input: { key: 'site.tsv' }, chunks: [{ index: 0 }, { index: 1 }], header: ['SITE_ID', 'TIMESTAMP_START', 'TIMESTAMP_END', 'NEE', 'TA', 'NEE_QC'] });
  });

  it('fails a job that rejected every row, with exit 1 and no _SUCCESS', async () => {
    const config = { pipelines: [{ ...FLUX_CONFIG.pipelines[0], qualityGate: { maxRejectRatio: 1 }, schema: { columns: { ...FLUX_CONFIG.pipelines[0]!.schema.columns, TA: { type: 'number', max: -100 } } } }] };
    await writeJson(join(dir, 'all-bad.json'), config);
    const r = sluice(['run', 'all-bad.json', 'site.tsv', '--out', 'bad-out', '--workers', '1']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAILED — quality gate: 500 rows in and none out \(500 rejected, 0 filtered\)/);
    const jobId = (await readdir(join(dir, 'bad-out/state')))[0]!;
    expect(await readdir(join(dir, 'bad-out/results/flux', jobId)).catch(() => [])).not.toContain('_SUCCESS');
    const report = JSON.parse(await readFile(join(dir, 'bad-out/reports/flux', jobId, 'report.json'), 'utf8'));
    expect(report.qualityGate).toEqual({ maxRejectRatio: 1, requireOutput: true, passed: false });
  });

  it('fails by default a job that rejects more than 10% of its rows', async () => {
    const { pipelines } = FLUX_CONFIG;
    const { qualityGate: _gate, ...rest } = pipelines[0]!;
    await writeJson(join(dir, 'default-gate.json'), { pipelines: [{ ...rest, schema: { columns: { ...rest.schema.columns, NEE_QC: { type: 'integer', max: 2 } } } }] });
    const r = sluice(['run', 'default-gate.json', 'site.tsv', '--out', 'gate-out', '--workers', '1']);
    // NEE_QC cycles 0..3, so a quarter of the rows have 3: above the default 10%.
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAILED — quality gate: reject ratio 2\d\.\d\d% is above 10\.00%/);
  });

  it('verifies a job from another folder, for an input given by an absolute path', async () => {
    const r = sluice(['run', join(dir, 'config.json'), join(dir, 'site.tsv'), '--out', join(dir, 'abs-out'), '--workers', '1'], join(dir, '..'));
    expect(r.status, r.stderr).toBe(0);
    const jobId = (await readdir(join(dir, 'abs-out/state')))[0]!;
    const v = sluice(['verify', jobId, '--out', 'abs-out'], dir);
    expect(v.stdout, v.stderr).toMatch(/verified: 0 lost, 0 duplicated/);
    expect(v.status).toBe(0);
    const root = sluice(['verify', jobId, '--out', 'abs-out', '--input-root', '/'], dir);
    expect(root.status).toBe(1);
    expect(root.stdout).toMatch(/NOT verified: records not compared/);
    expect(root.stderr).toBe('');
    expectOneLine(sluice(['verify', 'no-such-job', '--out', 'abs-out'], dir), 2, /^sluice: abs-out\/state\/no-such-job: no such job under abs-out/);
  });

  it('prints a header, counts, age and results for each job, and says when there are none', async () => {
    expect(sluice(['status', '--out', 'nothing-here']).stdout.trim()).toBe('no jobs under nothing-here');
    const r = sluice(['status', '--out', 'abs-out'], dir);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^JOB +STATUS +ROWS IN +OUT +REJECTED +CHUNKS +AGE +INPUT +RESULTS$/);
    expect(row).toMatch(/^flux-\w+ +SUCCEEDED +500 +494 +6 +2\/2 +\d+ s +site\.tsv +abs-out\/results\/flux\/flux-\w+$/);
  });
});

describe('two runs of the same job', () => {
  it('refuses the second while the first runs, shows a killed run as STALE, and the first ends as a clean run', async () => {
    const config = { pipelines: [{ ...FLUX_CONFIG.pipelines[0], chunking: { targetSize: '64KB' } }] };
    await writeJson(join(dir, 'lock.json'), config);
    await writeFile(join(dir, 'big.tsv'), fluxTsv(100_000).text);
    const clean = sluice(['run', 'lock.json', 'big.tsv', '--out', 'lock-clean', '--workers', '1']);
    expect(clean.status, clean.stderr).toBe(0);

    const first = spawn(process.execPath, [SLUICE_BIN, 'run', 'lock.json', 'big.tsv', '--out', 'lock-out', '--workers', '1'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => first.once('exit', r));
    let lock = '';
    for (let i = 0; i < 400 && !lock; i++) {
      await sleep(25);
      const ids = await readdir(join(dir, 'lock-out/state')).catch(() => [] as string[]);
      lock = ids[0] ? await readFile(join(dir, 'lock-out/state', ids[0], 'lock'), 'utf8').catch(() => '') : '';
    }
    expect(JSON.parse(lock)).toMatchObject({ pid: first.pid });
    const second = sluice(['run', 'lock.json', 'big.tsv', '--out', 'lock-out', '--workers', '1']);
    const stillRunning = first.exitCode === null;
    expectOneLine(second, 2, new RegExp(`^sluice: job flux-\\w+ is being run by pid ${first.pid} since `));
    expect(stillRunning).toBe(true);
    expect(await exited).toBe(0);
    const results = async (out: string) => {
      const id = (await readdir(join(dir, out, 'state')))[0]!;
      const folder = join(dir, out, 'results/flux', id);
      return Object.fromEntries(await Promise.all((await readdir(folder)).map(async (f) => [f, await readFile(join(folder, f), 'base64')])));
    };
    expect(await results('lock-out')).toEqual(await results('lock-clean'));

    // A run killed with SIGKILL leaves its lock behind; status sees its process is gone.
    const killed = spawn(process.execPath, [SLUICE_BIN, 'run', 'lock.json', 'big.tsv', '--out', 'lock-killed', '--workers', '1'], { cwd: dir, stdio: 'ignore' });
    for (let i = 0; i < 400; i++) {
      await sleep(25);
      const ids = await readdir(join(dir, 'lock-killed/state')).catch(() => [] as string[]);
      if (ids[0] && (await readdir(join(dir, 'lock-killed/state', ids[0]))).some((f) => f.startsWith('chunk-'))) break;
    }
    killed.kill('SIGKILL');
    await new Promise((r) => killed.once('exit', r));
    expect(sluice(['status', '--out', 'lock-killed']).stdout).toMatch(/\nflux-\w+ +STALE \(rerun to resume\) +\d+/);
    const resumed = sluice(['run', 'lock.json', 'big.tsv', '--out', 'lock-killed', '--workers', '1']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(await results('lock-killed')).toEqual(await results('lock-clean'));
  });
});

describe('a job lock', () => {
  it('refuses a run while a live process holds the job, and takes over a lock whose process is gone', async () => {
    await writeJson(join(dir, 'held.json'), { pipelines: [{ ...FLUX_CONFIG.pipelines[0] }] });
    await writeFile(join(dir, 'held.tsv'), fluxTsv(100).text);
    const first = sluice(['run', 'held.json', 'held.tsv', '--out', 'held-out', '--workers', '1']);
    expect(first.status, first.stderr).toBe(0);
    const jobId = (await readdir(join(dir, 'held-out/state')))[0]!;
    const lockFile = join(dir, 'held-out/state', jobId, 'lock');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await writeFile(lockFile, JSON.stringify({ pid: holder.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
      const before = await readFile(join(dir, 'held-out/state', jobId, 'job.json'), 'utf8');
      expectOneLine(sluice(['run', 'held.json', 'held.tsv', '--out', 'held-out', '--workers', '1']), 2, new RegExp(`^sluice: job ${jobId} is being run by pid ${holder.pid} since 2026-01-01T00:00:00\\.000Z$`));
      expect(await readFile(join(dir, 'held-out/state', jobId, 'job.json'), 'utf8')).toBe(before);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // The holder is gone now: the next run takes the lock over and releases it when done.
    const again = sluice(['run', 'held.json', 'held.tsv', '--out', 'held-out', '--workers', '1']);
    expect(again.status, again.stderr).toBe(0);
    await expect(readFile(lockFile, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
