// The benchmark's table, ratios and DESIGN §7 targets, from the measured runs.

/** One contender's figures: medians over its rounds. */
export interface Run {
  readonly name: string;
  readonly job: 'flux' | 'orders' | 'workbook';
  readonly file: string;
  readonly mb: number;
  readonly workers: number;
  /** Wall time of the whole process, start to exit. */
  readonly seconds: number;
  readonly mbPerSec: number;
  readonly rowsPerSec: number;
  readonly peakRssMb: number;
  /** Sluice only: (peak RSS − the idle CLI's RSS) / workers. */
  readonly perWorkerRssMb?: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly rowsRejected: number;
  readonly status: string;
  /** Wall seconds of every round. */
  readonly samples: readonly number[];
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  readonly loadAvg: readonly number[];
  /** CPU seconds per wall second that `cores` spinning processes got together. */
  readonly coresGiven: number;
}

interface Target {
  readonly value: number;
  readonly met: boolean;
}

/** Speed ratios (MB/s over MB/s) and the peak RSS ratio of the 10 GB run; a pair missing from the run is left out. */
export function ratiosOf(runs: readonly Run[]): Record<string, number> {
  const by = (name: string) => runs.find((r) => r.name === name);
  const out: Record<string, number> = {};
  const speed = (a: string, b: string) => {
    const x = by(a);
    const y = by(b);
    if (x && y) out[`${a} / ${b}`] = +(x.mbPerSec / y.mbPerSec).toFixed(2);
  };
  speed('sluice-1', 'duckdb-1');
  speed('orders-sluice-1', 'orders-duckdb-1');
  speed('sluice-all', 'sluice-1');
  speed('sluice-1', 'naive');
  const one = by('sluice-1');
  const huge = by('sluice-1-10GB');
  if (one && huge) out['sluice-1-10GB / sluice-1 peak RSS'] = +(huge.peakRssMb / one.peakRssMb).toFixed(2);
  return out;
}

function targetsOf(runs: readonly Run[], ratios: Record<string, number>, cores: number): Record<string, Target> {
  const t: Record<string, Target> = {};
  const one = runs.find((r) => r.name === 'sluice-1');
  const duck = ratios['sluice-1 / duckdb-1'];
  const all = ratios['sluice-all / sluice-1'];
  const huge = ratios['sluice-1-10GB / sluice-1 peak RSS'];
  if (duck !== undefined) t['sluice-1 ≥ 2× duckdb-1 on flux'] = { value: duck, met: duck >= 2 };
  if (one) t['sluice-1 ≥ 100 MB/s (the goal beyond)'] = { value: +one.mbPerSec.toFixed(1), met: one.mbPerSec >= 100 };
  if (all !== undefined) t[`sluice-all (${cores} workers) ≥ 1.8× sluice-1`] = { value: all, met: all >= 1.8 };
  const perWorker = runs.flatMap((r) => (r.perWorkerRssMb === undefined ? [] : [r.perWorkerRssMb]));
  if (perWorker.length) {
    const worst = Math.max(...perWorker);
    t['peak RSS per worker < 200 MB (every Sluice run)'] = { value: Math.round(worst), met: worst < 200 };
  }
  if (huge !== undefined) t['same peak RSS at 10 GB as at --size (within 10%)'] = { value: huge, met: huge <= 1.1 };
  return t;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** Prints the machine, the table, the ratios and the targets; returns the ratios and targets for results.json. */
export function printReport(r: { machine: Machine; runs: readonly Run[]; repeat: number; rssSource: string; idleRssMb: number }): {
  ratios: Record<string, number>;
  targets: Record<string, Target>;
} {
  const { machine: m, runs } = r;
  const ratios = ratiosOf(runs);
  const targets = targetsOf(runs, ratios, m.cores);
  console.log(`\nmachine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GiB, Node ${m.node}, ${m.platform}, load ${m.loadAvg.join(' ')}`);
  console.log(`coresGiven: ${m.coresGiven} (CPU seconds per second that ${m.cores} spinning processes got together; ${m.cores} means every core was free)`);
  console.log(`peak RSS from ${r.rssSource}; the idle CLI (modules loaded, no worker) takes ${r.idleRssMb.toFixed(0)} MB and is subtracted for per-worker figures`);
  console.log(`${r.repeat > 1 ? `medians of ${r.repeat} interleaved rounds` : 'one round'}; time is each process's wall time, start to exit\n`);
  const head = `${'run'.padEnd(17)}${'job'.padEnd(8)}${pad('MB', 7)}${pad('s', 8)}${pad('MB/s', 8)}${pad('rows/s', 11)}${pad('rejected', 10)}${pad('peak RSS', 10)}${pad('/worker', 9)}  status`;
  console.log(head);
  for (const x of runs) {
    const perWorker = x.perWorkerRssMb === undefined ? '' : x.perWorkerRssMb.toFixed(0);
    console.log(
      `${x.name.padEnd(17)}${x.job.padEnd(8)}${pad(x.mb.toFixed(0), 7)}${pad(x.seconds.toFixed(1), 8)}${pad(x.mbPerSec.toFixed(1), 8)}${pad(Math.round(x.rowsPerSec).toLocaleString('en-US'), 11)}${pad(x.rowsRejected, 10)}${pad(x.peakRssMb.toFixed(0), 10)}${pad(perWorker, 9)}  ${x.status}`,
    );
  }
  console.log('\nratios (speed: MB/s over MB/s):');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k}: ${v}`);
  console.log('\ntargets (DESIGN §7):');
  for (const [k, v] of Object.entries(targets)) console.log(`  ${v.met ? 'met   ' : 'MISSED'} ${k}: ${v.value}`);
  return { ratios, targets };
}
