import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';

/** What a piece of work held the machine for, and what held it up. */
export type Bottleneck = 'cpu' | 'io' | 'memory' | 'waiting';

/**
 * What a chunk attempt, an external run or a whole job cost. Fields a platform cannot measure
 * (an external run's CPU, memory and I/O come from Linux's /proc) are absent.
 */
export interface ResourceRecord {
  readonly wallMs: number;
  readonly cpuUserMs?: number;
  readonly cpuSystemMs?: number;
  /** Time it was ready to run but waited for a free core (Linux's schedstat): CPU contention, not its own work. */
  readonly cpuWaitMs?: number;
  /** Peak resident memory: of the program for an external run; for a chunk, of the process that ran it, so far (its worker threads share it). */
  readonly peakRssBytes?: number;
  /** A chunk: its byte range of the input. An external run: bytes it read through system calls. */
  readonly bytesRead?: number;
  /** A chunk: result parts, rejects and key runs. An external run: bytes it wrote through system calls. */
  readonly bytesWritten?: number;
  /** Attempts before the one that counted. */
  readonly retries: number;
  readonly bottleneck: Bottleneck;
}

/** The rule a bottleneck is labelled by, as the report states it. */
export const BOTTLENECK_RULE =
  'memory when peak RSS reached 90% of the machine’s memory; else cpu when CPU time (user + system) was at least 80% of wall time; else waiting when CPU time and the time it waited for a free core together were; else io. A job is waiting when its chunks and external runs together ran for less than half its wall time (queued, retried or throttled), else the label most of their wall time had.';

const MEMORY_SHARE = 0.9;
const CPU_SHARE = 0.8;

/** The label of one piece of work by BOTTLENECK_RULE. */
export function bottleneckOf(r: Pick<ResourceRecord, 'wallMs' | 'cpuUserMs' | 'cpuSystemMs' | 'cpuWaitMs' | 'peakRssBytes'>, memoryBytes = totalmem()): Bottleneck {
  if (r.peakRssBytes !== undefined && r.peakRssBytes >= MEMORY_SHARE * memoryBytes) return 'memory';
  if (r.cpuUserMs === undefined) return 'io';
  const cpu = r.cpuUserMs + (r.cpuSystemMs ?? 0);
  if (cpu >= CPU_SHARE * r.wallMs) return 'cpu';
  if (cpu + (r.cpuWaitMs ?? 0) >= CPU_SHARE * r.wallMs) return 'waiting';
  return 'io';
}

/** The job's record from its chunks' and external runs' records, by BOTTLENECK_RULE. */
export function jobResources(wallMs: number, chunks: readonly ResourceRecord[], external: readonly ResourceRecord[]): ResourceRecord {
  const all = [...chunks, ...external];
  const sum = (f: (r: ResourceRecord) => number | undefined) => (all.some((r) => f(r) !== undefined) ? all.reduce((n, r) => n + (f(r) ?? 0), 0) : undefined);
  const byLabel = new Map<Bottleneck, number>();
  for (const r of all) byLabel.set(r.bottleneck, (byLabel.get(r.bottleneck) ?? 0) + r.wallMs);
  const busy = all.reduce((n, r) => n + r.wallMs, 0);
  const most = [...byLabel].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'io';
  const peaks = all.flatMap((r) => (r.peakRssBytes === undefined ? [] : [r.peakRssBytes]));
  const cpuUserMs = sum((r) => r.cpuUserMs);
  const cpuSystemMs = sum((r) => r.cpuSystemMs);
  const cpuWaitMs = sum((r) => r.cpuWaitMs);
  const bytesRead = sum((r) => r.bytesRead);
  const bytesWritten = sum((r) => r.bytesWritten);
  return {
    wallMs,
    ...(cpuUserMs !== undefined ? { cpuUserMs } : {}),
    ...(cpuSystemMs !== undefined ? { cpuSystemMs } : {}),
    ...(cpuWaitMs !== undefined ? { cpuWaitMs } : {}),
    ...(peaks.length ? { peakRssBytes: Math.max(...peaks) } : {}),
    ...(bytesRead !== undefined ? { bytesRead } : {}),
    ...(bytesWritten !== undefined ? { bytesWritten } : {}),
    retries: all.reduce((n, r) => n + r.retries, 0),
    bottleneck: busy < 0.5 * wallMs ? 'waiting' : most,
  };
}

/** Clock ticks per second in /proc's times: USER_HZ, 100 on every Linux Node runs on. */
const TICKS = 100;

/** utime and stime, and cutime and cstime (waited-for children), in ms, from a /proc/…/stat line. */
export function procTimes(stat: string): { user: number; system: number; childUser: number; childSystem: number } {
  // The command name, in parentheses, may hold spaces: the fields start after its last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (i: number) => (Number(f[i]) * 1000) / TICKS;
  // After the name: state (0), …, utime (11), stime (12), cutime (13), cstime (14).
  return { user: ms(11), system: ms(12), childUser: ms(13), childSystem: ms(14) };
}

/**
 * CPU time of the calling thread (a worker thread's own, not its neighbours'), in ms: Node's
 * threadCpuUsage where it has one (Node 23.9 on), else /proc/thread-self/stat, else the process's;
 * and, where Linux tells (schedstat), the time it waited for a free core.
 */
export function threadCpu(): { user: number; system: number; wait?: number } {
  const wait = runQueueWait('/proc/thread-self/schedstat');
  const own = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  if (own) {
    const u = own();
    return { user: u.user / 1000, system: u.system / 1000, ...(wait !== undefined ? { wait } : {}) };
  }
  try {
    const t = procTimes(readFileSync('/proc/thread-self/stat', 'utf8'));
    return { user: t.user, system: t.system, ...(wait !== undefined ? { wait } : {}) };
  } catch {
    const u = process.cpuUsage();
    return { user: u.user / 1000, system: u.system / 1000 };
  }
}

/** Run-queue wait in ms from a schedstat file (`<cpu ns> <wait ns> <slices>`); undefined where there is none. */
function runQueueWait(file: string): number | undefined {
  try {
    const ns = Number(readFileSync(file, 'utf8').split(' ')[1]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident memory of this process so far, in bytes. */
export function processPeakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** What /proc says of a running program: CPU (its own and its waited-for children's), peak RSS, bytes through read/write calls. */
export interface ProcSample {
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly cpuWaitMs?: number;
  readonly peakRssBytes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/** One sample of a running program from /proc/<pid>; undefined where there is no /proc, or once it is gone. */
export async function sampleProcess(pid: number): Promise<ProcSample | undefined> {
  try {
    const [stat, status, io] = await Promise.all(['stat', 'status', 'io'].map((f) => readFile(`/proc/${pid}/${f}`, 'utf8')));
    const t = procTimes(stat!);
    const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    // An exited, unreaped program (a zombie) has no memory lines left: that sample is no sample.
    if (!/^VmHWM:/m.test(status!)) return undefined;
    const wait = runQueueWait(`/proc/${pid}/schedstat`);
    return {
      cpuUserMs: t.user + t.childUser,
      cpuSystemMs: t.system + t.childSystem,
      ...(wait !== undefined ? { cpuWaitMs: wait } : {}),
      peakRssBytes: field(status!, 'VmHWM') * 1024,
      bytesRead: field(io!, 'rchar'),
      bytesWritten: field(io!, 'wchar'),
    };
  } catch {
    return undefined;
  }
}

/** One line for a person: `12.31 s wall, CPU 11.20 s (10.90 user + 0.30 system), peak RSS 181 MB, 0 retries, bottleneck cpu`. */
export function resourceLine(r: ResourceRecord): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const cpu = r.cpuUserMs === undefined ? '' : `, CPU ${s(r.cpuUserMs + (r.cpuSystemMs ?? 0))} s (${s(r.cpuUserMs)} user + ${s(r.cpuSystemMs ?? 0)} system)`;
  const wait = r.cpuWaitMs ? `, ${s(r.cpuWaitMs)} s waiting for a core` : '';
  const rss = r.peakRssBytes === undefined ? '' : `, peak RSS ${Math.round(r.peakRssBytes / 1e6)} MB`;
  return `${s(r.wallMs)} s wall${cpu}${wait}${rss}, ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}, bottleneck ${r.bottleneck}`;
}
