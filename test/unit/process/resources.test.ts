import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { bottleneckOf, jobResources, processPeakRss, procTimes, resourceLine, sampleProcess, threadCpu, type ResourceRecord } from '../../../shared/process/resources.js';

const GiB = 2 ** 30;
const rec = (over: Partial<ResourceRecord>): ResourceRecord => ({ wallMs: 1000, cpuUserMs: 100, cpuSystemMs: 0, retries: 0, bottleneck: 'io', ...over });

describe('bottleneck labels', () => {
  it('says memory at 90% of the machine, else cpu at 80% of wall time in CPU, else io', () => {
    expect(bottleneckOf({ wallMs: 1000, cpuUserMs: 990, cpuSystemMs: 0, peakRssBytes: 0.9 * GiB }, GiB)).toBe('memory');
    expect(bottleneckOf({ wallMs: 1000, cpuUserMs: 700, cpuSystemMs: 100, peakRssBytes: 0.89 * GiB }, GiB)).toBe('cpu');
    expect(bottleneckOf({ wallMs: 1000, cpuUserMs: 700, cpuSystemMs: 99 }, GiB)).toBe('io');
    // Ready to run but no core free: CPU and run-queue wait together reach 80%.
    expect(bottleneckOf({ wallMs: 1000, cpuUserMs: 600, cpuSystemMs: 0, cpuWaitMs: 200 }, GiB)).toBe('waiting');
    expect(bottleneckOf({ wallMs: 1000, cpuUserMs: 600, cpuSystemMs: 0, cpuWaitMs: 199 }, GiB)).toBe('io');
    expect(bottleneckOf({ wallMs: 1000 }, GiB)).toBe('io');
  });

  it('labels a job waiting when its chunks ran less than half its time, else by the label with the most chunk time', () => {
    const chunks = [rec({ wallMs: 300, bottleneck: 'cpu' }), rec({ wallMs: 200, bottleneck: 'io' }), rec({ wallMs: 200, bottleneck: 'io' })];
    expect(jobResources(1_000, chunks, []).bottleneck).toBe('io');
    expect(jobResources(1_401, chunks, []).bottleneck).toBe('waiting');
    const job = jobResources(1_000, [rec({ cpuUserMs: 50, cpuSystemMs: 5, cpuWaitMs: 4, peakRssBytes: 10, bytesRead: 7, retries: 1 }), rec({ cpuUserMs: 20, cpuSystemMs: 1, peakRssBytes: 30, bytesWritten: 9 })], [rec({ wallMs: 10, cpuUserMs: 3, cpuSystemMs: 2, peakRssBytes: 20, retries: 2 })]);
    expect(job).toEqual({ wallMs: 1_000, cpuUserMs: 73, cpuSystemMs: 8, cpuWaitMs: 4, peakRssBytes: 30, bytesRead: 7, bytesWritten: 9, retries: 3, bottleneck: 'io' });
    expect(jobResources(500, [], [])).toEqual({ wallMs: 500, retries: 0, bottleneck: 'waiting' });
    // The label with the most time wins, external runs counted; a figure no record has stays absent.
    expect(jobResources(1_000, [{ wallMs: 300, retries: 0, bottleneck: 'io' }], [{ wallMs: 500, retries: 0, bottleneck: 'cpu' }])).toEqual({ wallMs: 1_000, retries: 0, bottleneck: 'cpu' });
    expect(jobResources(1_000, [{ wallMs: 600, retries: 0, bottleneck: 'memory' }, { wallMs: 100, retries: 0, bottleneck: 'io' }], []).bottleneck).toBe('memory');
  });

  it('prints one line for a person', () => {
    expect(resourceLine(rec({ wallMs: 12_310, cpuUserMs: 10_900, cpuSystemMs: 300, peakRssBytes: 181e6, bottleneck: 'cpu' }))).toBe('12.31 s wall, CPU 11.20 s (10.90 user + 0.30 system), peak RSS 181 MB, 0 retries, bottleneck cpu');
    expect(resourceLine(rec({ wallMs: 2_000, cpuUserMs: 1_000, cpuSystemMs: 100, cpuWaitMs: 700, bottleneck: 'waiting' }))).toBe('2.00 s wall, CPU 1.10 s (1.00 user + 0.10 system), 0.70 s waiting for a core, 0 retries, bottleneck waiting');
    expect(resourceLine({ wallMs: 5, retries: 1, bottleneck: 'waiting' })).toBe('0.01 s wall, 1 retry, bottleneck waiting');
  });
});

describe('CPU and memory from /proc', () => {
  it('reads the times of a stat line whose command holds spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const line = '4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 120 0 0 0 250 37 12 3 20 0 1 0 100 1000000 200';
    expect(procTimes(line)).toEqual({ user: 2_500, system: 370, childUser: 120, childSystem: 30 });
  });

  it.runIf(process.platform === 'linux')('counts the calling thread’s CPU, not a busy neighbour’s', async () => {
    // Held against the process's CPU time (every thread's), so a busy machine does not matter.
    const proc = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const own = () => {
      const t = threadCpu();
      return t.user + t.system;
    };
    const [p0, t0] = [proc(), own()];
    // Another thread spins through 300 ms of CPU while this one waits.
    const spin = 'const start = process.cpuUsage(); let x = 0; for (;;) { for (let i = 0; i < 1e6; i++) x += Math.sqrt(i); const u = process.cpuUsage(start); if (u.user + u.system > 300_000) break; }';
    await new Promise<void>((resolve, reject) => new Worker(spin, { eval: true }).on('exit', () => resolve()).on('error', reject));
    const [p1, t1] = [proc(), own()];
    expect(p1 - p0).toBeGreaterThanOrEqual(250);
    expect(t1 - t0).toBeLessThan(0.5 * (p1 - p0));
    // Then this thread spins: its own time moves with the process's.
    let x = 0;
    while (proc() - p1 < 300) for (let i = 0; i < 1e6; i++) x += Math.sqrt(i);
    const [p2, t2] = [proc(), own()];
    expect(x).toBeGreaterThan(0);
    expect(t2 - t1).toBeGreaterThanOrEqual(0.7 * (p2 - p1) - 20);
  });

  it('gives this process\'s peak RSS in bytes', () => {
    const peak = processPeakRss();
    expect(peak).toBeGreaterThanOrEqual(0.5 * process.memoryUsage().rss);
    expect(peak).toBeLessThan(64 * GiB);
  });

  it.runIf(process.platform === 'linux')('samples a running program and finds nothing once it is gone', async () => {
    const own = await sampleProcess(process.pid);
    expect(own!.peakRssBytes).toBeGreaterThan(10e6);
    expect(own!.cpuUserMs).toBeGreaterThan(0);
    expect(await sampleProcess(2 ** 22 + 12_345)).toBeUndefined();
  });
});
