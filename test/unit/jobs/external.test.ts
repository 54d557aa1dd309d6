import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExternalCommand, type ExternalRun } from '../../../shared/jobs/external.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

// Writes what it was given: SLUICE_INPUT's kind, name and the files under it.
const DESCRIBE = `
const fs = require('node:fs'), path = require('node:path');
const input = process.env.SLUICE_INPUT;
const files = fs.statSync(input).isDirectory() ? fs.readdirSync(input, { recursive: true }).map(String).sort() : [];
fs.writeFileSync(path.join(process.env.SLUICE_OUTPUT_DIR, 'seen.json'), JSON.stringify({ name: path.basename(input), dir: files.length > 0 || fs.statSync(input).isDirectory(), files, bytes: files.length ? 0 : fs.statSync(input).size }));
`;

function run(over: Partial<ExternalRun>): ExternalRun {
  return {
    command: [process.execPath, '-e', DESCRIBE],
    parts: [],
    partitioned: false,
    emptyInputName: 'part-00003.jsonl',
    resultsPrefix: 'results/p/job/',
    name: 'part-00003',
    configPath: 'pipelines[p].compute.command',
    environment: (vars) => ({ ...process.env, ...vars }),
    ...over,
  };
}

describe('runExternalCommand', () => {
  const store = () => new FsObjectStore(join(dir, 'bucket'));
  const seen = async () => JSON.parse((await store().get('results/p/job/external/part-00003/seen.json'))!.toString()) as { name: string; dir: boolean; files: string[]; bytes: number };

  it('gives a chunk without output rows an empty input file', async () => {
    expect((await runExternalCommand(run({}), store())).written).toEqual(['results/p/job/external/part-00003/seen.json']);
    expect(await seen()).toEqual({ name: 'part-00003.jsonl', dir: false, files: [], bytes: 0 });
  });

  // Linux's /proc is where the figures come from (Lambda, Fargate and CI all have it).
  it.runIf(process.platform === 'linux')('records what the program cost: wall and CPU time, peak memory, bytes written, and labels it', async () => {
    // 0.7 s of its own CPU time (however busy the machine is) on 80 MB it keeps, then 3 MB written to a file.
    const busy = `const a = Buffer.alloc(80 * 2 ** 20, 1); let x = 0; for (;;) { for (let i = 0; i < 1e6; i++) x += Math.sqrt(i + a[i]); const u = process.cpuUsage(); if (u.user + u.system > 700_000) break; } require('node:fs').writeFileSync(require('node:path').join(process.env.SLUICE_OUTPUT_DIR, 'out.bin'), Buffer.alloc(3e6, x % 7));`;
    const { resources } = await runExternalCommand(run({ command: [process.execPath, '-e', busy] }), store());
    expect(resources.wallMs).toBeGreaterThanOrEqual(700);
    // Sampled every 100 ms: at most the last sample's worth is missed.
    expect(resources.cpuUserMs! + resources.cpuSystemMs!).toBeGreaterThanOrEqual(500);
    expect(resources.peakRssBytes).toBeGreaterThan(80 * 2 ** 20);
    expect(resources.bytesWritten).toBeGreaterThanOrEqual(3e6);
    // cpu, or waiting when other work took the cores from it.
    expect(resources).toMatchObject({ retries: 0, bottleneck: expect.stringMatching(/^(cpu|waiting)$/) });
    // A program that mostly waits is no CPU bottleneck.
    const idle = await runExternalCommand(run({ command: [process.execPath, '-e', 'setTimeout(() => undefined, 700)'] }), store());
    expect(idle.resources.wallMs).toBeGreaterThanOrEqual(700);
    expect(idle.resources.bottleneck).toBe('io');
  });

  it('gives partitioned output as a folder with its col=value paths, even for one part', async () => {
    await mkdir(join(dir, 'bucket/results/p/job/year=2019'), { recursive: true });
    await writeFile(join(dir, 'bucket/results/p/job/year=2019/part-00003.jsonl'), '{"a":1}\n');
    const parts = [{ key: 'results/p/job/year=2019/part-00003.jsonl', rows: 1, bytes: 8, sha256: 'x' }];
    await runExternalCommand(run({ parts, partitioned: true }), store());
    expect(await seen()).toEqual({ name: 'input', dir: true, files: ['year=2019', 'year=2019/part-00003.jsonl'], bytes: 0 });
  });

  it('names the setting when the program cannot be started, and the signal when it is killed', async () => {
    await expect(runExternalCommand(run({ command: ['/no/such/program'] }), store())).rejects.toMatchObject({ name: 'ConfigError', message: 'pipelines[p].compute.command: cannot run /no/such/program: ENOENT' });
    await expect(runExternalCommand(run({ command: [process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")'] }), store())).rejects.toMatchObject({ name: 'InputError', message: expect.stringMatching(/was killed by SIGKILL on part-00003$/) });
  });

  it('says how the program exited with the end of what it wrote on stderr, and retries only the exit codes it is told are transient', async () => {
    const failing = [process.execPath, '-e', 'process.stderr.write("reading site US-Ha1\\nyear 20x9 is not a year\\n"); process.exit(3)'];
    await expect(runExternalCommand(run({ command: failing }), store())).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringContaining(`exited with 3 on part-00003; stderr: reading site US-Ha1 | year 20x9 is not a year`),
    });
    await expect(runExternalCommand(run({ command: failing, retryExitCodes: [3] }), store())).rejects.toMatchObject({ name: 'TransientError', message: expect.stringContaining('exited with 3') });
    await expect(runExternalCommand(run({ command: failing, retryExitCodes: [75] }), store())).rejects.toMatchObject({ name: 'InputError' });
  });

  it('kills a program that outlives its time, with what it started, as a transient failure, and starts none when no time is left', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const started = Date.now();
    // A shell that leaves a grandchild holding stderr: the wait must not follow it, and it must die too.
    const command = ['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`];
    await expect(runExternalCommand(run({ command, timeoutMs: 300 }), store())).rejects.toMatchObject({ name: 'TransientError', message: expect.stringMatching(/on part-00003 was killed when the chunk's time ran out \(0\.30 s were left for it\)$/) });
    // Not the grandchild's 30 s: the wait ends with the program.
    expect(Date.now() - started).toBeLessThan(20_000);
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    await new Promise((r) => setTimeout(r, 100));
    // Gone, or a zombie its new parent has not reaped yet (the state letter after the name in /proc).
    const state = await readFile(`/proc/${grandchild}/stat`, 'utf8').then((t) => t.slice(t.lastIndexOf(')') + 2, t.lastIndexOf(')') + 3), () => 'gone');
    expect(['gone', 'Z']).toContain(state);
    await expect(runExternalCommand(run({ command, timeoutMs: 0 }), store())).rejects.toMatchObject({ name: 'TransientError', message: expect.stringContaining('not started: the chunk\'s time (compute.timeoutSeconds) ran out before it') });
  });
});
