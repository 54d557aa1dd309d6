// How the benchmark measures a child process: wall time from the parent, peak RSS from GNU time
// (`/usr/bin/time -v`) when it is there, else from the child's own process.resourceUsage() at exit.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type RssSource = '/usr/bin/time -v' | 'process.resourceUsage() at exit';

export interface Measured {
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const GNU_TIME = '/usr/bin/time';
const probe = join(import.meta.dirname, 'rss-probe.mjs');

/** Which way peak RSS is measured on this machine. */
export function rssSource(): RssSource {
  if (!existsSync(GNU_TIME)) return 'process.resourceUsage() at exit';
  const r = spawnSync(GNU_TIME, ['-v', 'true'], { encoding: 'utf8' });
  return r.status === 0 && r.stderr.includes('Maximum resident set size') ? '/usr/bin/time -v' : 'process.resourceUsage() at exit';
}

/** Runs `node <args>` to its end; wall time includes Node's start, as a user waits for it. */
export async function measureNode(args: readonly string[], source: RssSource): Promise<Measured> {
  const rssFile = join(tmpdir(), `sluice-bench-rss-${process.pid}-${Date.now()}.txt`);
  const probeArgs = source === '/usr/bin/time -v' ? [] : ['--import', `${pathToFileURL(probe).href}?out=${encodeURIComponent(rssFile)}`];
  const argv = [process.execPath, ...probeArgs, ...args];
  const started = performance.now();
  const r = await run(source === '/usr/bin/time -v' ? [GNU_TIME, '-v', ...argv] : argv);
  const seconds = (performance.now() - started) / 1000;
  let peakRssMb: number;
  if (source === '/usr/bin/time -v') {
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    peakRssMb = kb ? Number(kb[1]) / 1024 : NaN;
  } else {
    peakRssMb = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN'));
    await rm(rssFile, { force: true });
  }
  return { ...r, seconds, peakRssMb };
}

function run(argv: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    // Keep the tail only: a long run's progress lines add up.
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-1 << 16)));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * How many cores the machine really gives: `n` CPU-bound processes spin for about two seconds
 * side by side, and their CPU time is divided by the wall time. 2.0 on two free cores; less when
 * a neighbour or a CPU quota takes a share.
 */
export async function coresGiven(n: number): Promise<number> {
  // Each process divides its own CPU time by its own wall time over the spin, so Node's start is left out.
  const spin = 'const c=process.cpuUsage(),t=performance.now();let x=0;while(performance.now()-t<2000)x++;const u=process.cpuUsage(c);console.log((u.user+u.system)/1e3/(performance.now()-t))';
  const shares = await Promise.all(Array.from({ length: n }, () => run([process.execPath, '-e', spin]).then((r) => Number(r.stdout.trim()))));
  return shares.reduce((a, b) => a + b, 0);
}
