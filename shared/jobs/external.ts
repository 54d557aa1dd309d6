import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ConfigError, InputError, TransientError } from '../errors.js';
import type { PartInfo } from '../formats/writers.js';
import { bottleneckOf, sampleProcess, type ProcSample, type ResourceRecord } from '../process/resources.js';
import type { ObjectStore } from '../store/object-store.js';

export interface ExternalRun {
  /** The program and its arguments (`compute.command`). */
  readonly command: readonly string[];
  /** The chunk's validated output parts, staged as the program's input. */
  readonly parts: readonly PartInfo[];
  /** Partitioned output: the input is a folder of `col=value/` parts, even when there is one. */
  readonly partitioned: boolean;
  /** The input file's name when the chunk has no output rows (the program gets an empty file). */
  readonly emptyInputName: string;
  /** Names the setting in errors, e.g. `pipelines[flux].compute.command`. */
  readonly configPath: string;
  /** Where the parts live; what the program writes goes under `<resultsPrefix>external/<name>/`. */
  readonly resultsPrefix: string;
  readonly name: string;
  /** Builds the child's environment from the variables Sluice sets; the caller owns the parent environment. */
  readonly environment: (vars: Record<string, string>) => Record<string, string | undefined>;
  /** Exit codes that mean "try again" (a busy licence server, say): a TransientError, retried by the pipeline's policy. */
  readonly retryExitCodes?: readonly number[];
  /** The program is killed, with what it started, after this many ms: what is left of the chunk's time. */
  readonly timeoutMs?: number;
}

/** How often a running program is sampled from /proc: its last sample stands for its whole run. */
const SAMPLE_MS = 100;

/**
 * Samples a program from /proc every SAMPLE_MS until stopped. A program's figures are gone from
 * /proc once it exits, so the last sample (at most SAMPLE_MS before the end) stands for its run:
 * its last moments can be missed. CPU counts the children it waited for, not those it left running.
 */
function watchProcess(pid: number | undefined): { stop(): void; last(): ProcSample | undefined } {
  let last: ProcSample | undefined;
  let reading = false;
  const take = () => {
    if (pid === undefined || reading) return;
    reading = true;
    void sampleProcess(pid).then((s) => ((last = s ?? last), (reading = false)));
  };
  take();
  const timer = setInterval(take, SAMPLE_MS);
  return { stop: () => clearInterval(timer), last: () => last };
}

/** The end of what the program wrote on stderr, kept for its error. */
const STDERR_TAIL = 2048;

/**
 * Runs an external program (the instrument-software case) on a chunk's validated output and
 * uploads every file it writes. SLUICE_INPUT is the staged part (an empty file when the chunk
 * has no output rows), or a folder of them when the output is partitioned; SLUICE_OUTPUT_DIR is an
 * empty folder for its results. Outputs go to deterministic keys, so a rerun overwrites them.
 * Returns the keys written, and what the program cost (sampled from /proc while it ran; see `watchProcess`).
 */
export async function runExternalCommand(run: ExternalRun, objects: ObjectStore): Promise<{ written: string[]; resources: ResourceRecord }> {
  const work = await mkdtemp(join(tmpdir(), 'sluice-'));
  try {
    const inputDir = join(work, 'input');
    const outputDir = join(work, 'output');
    await mkdir(inputDir, { recursive: true });
    await mkdir(outputDir, { recursive: true });
    const staged: string[] = [];
    for (const part of run.parts) {
      const file = join(inputDir, relative(run.resultsPrefix, part.key));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, (await objects.get(part.key)) ?? '');
      staged.push(file);
    }
    let input = inputDir;
    if (!run.partitioned) {
      input = staged[0] ?? join(inputDir, run.emptyInputName);
      if (!staged.length) await writeFile(input, '');
    }
    const [program, ...args] = run.command;
    if (run.timeoutMs !== undefined && run.timeoutMs <= 0) throw new TransientError(`external command ${run.command.join(' ')} on ${run.name} not started: the chunk's time (compute.timeoutSeconds) ran out before it`);
    // Its own process group, so a timeout kills what it started too. stderr goes on to ours and
    // its tail into the error; stdout is the program's own.
    const started = performance.now();
    const child = spawn(program!, args, { stdio: ['ignore', 'inherit', 'pipe'], detached: true, env: run.environment({ SLUICE_INPUT: input, SLUICE_OUTPUT_DIR: outputDir }) });
    const watch = watchProcess(child.pid);
    let tail = '';
    child.stderr!.on('data', (c: Buffer) => {
      process.stderr.write(c);
      tail = (tail + c.toString('utf8')).slice(-STDERR_TAIL);
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    let timedOut = false;
    const timer = run.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), killGroup()), run.timeoutMs);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'EACCES' ? new ConfigError(run.configPath, `cannot run ${program}: ${e.code}`) : e));
      // On exit, not close: what it left running (and holding stderr) is killed with its group.
      child.once('exit', (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      clearTimeout(timer);
      watch.stop();
      killGroup();
    });
    const wallMs = performance.now() - started;
    if (timedOut) throw new TransientError(`external command ${run.command.join(' ')} on ${run.name} was killed when the chunk's time ran out (${((run.timeoutMs ?? 0) / 1000).toFixed(2)} s were left for it)`);
    if (exit.code !== 0) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with ${exit.code}`;
      const said = tail.trim().split('\n').slice(-3).join(' | ').slice(-500);
      const message = `external command ${run.command.join(' ')} ${how} on ${run.name}${said ? `; stderr: ${said}` : ''}`;
      if (exit.code !== null && run.retryExitCodes?.includes(exit.code)) throw new TransientError(message);
      throw new InputError(run.name, 0, message);
    }
    const written: string[] = [];
    let outputBytes = 0;
    for (const f of await readdir(outputDir, { recursive: true, withFileTypes: true })) {
      if (!f.isFile()) continue;
      const path = join(f.parentPath, f.name);
      const key = `${run.resultsPrefix}external/${run.name}/${relative(outputDir, path)}`;
      const body = await readFile(path);
      await objects.put(key, body);
      written.push(key);
      outputBytes += body.length;
    }
    const last = watch.last();
    // What it wrote last may come after the last sample: the files it left count at least.
    const measured = { wallMs, ...(last ?? {}), bytesWritten: Math.max(last?.bytesWritten ?? 0, outputBytes) };
    return { written, resources: { ...measured, retries: 0, bottleneck: bottleneckOf(measured) } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
