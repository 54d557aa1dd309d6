import cliProgress from 'cli-progress';
import type { RunEvent } from '../shared/local/runner.js';

export interface ProgressOptions {
  /** The clock, in milliseconds; `Date.now` unless set (tests drive it). */
  readonly now?: () => number;
  /** Least time between two progress lines when the stream is not a TTY; 5000 ms unless set. */
  readonly plainIntervalMs?: number;
}

/** What this run has done so far, and what is left. Skipped (checkpointed) chunks count apart. */
export interface ProgressFigures {
  readonly chunksDone: number;
  /** Chunks this run has to process: planned minus skipped. */
  readonly chunksToDo: number;
  /** Finished chunks of this run plus the in-flight progress of running ones. */
  readonly bytesDone: number;
  readonly bytesToDo: number;
  readonly rowsPerSec: number;
  readonly bytesPerSec: number;
  /** Seconds left at this run's byte rate; undefined until something has been done. */
  readonly etaSeconds: number | undefined;
  readonly skippedChunks: number;
  readonly skippedBytes: number;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** `13 s`, `2 min 5 s`, `1 h 3 min`; `?` while there is no rate to go by. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The figures of a progress line or bar: `3/16 chunks, 41.2 MB of 250.0 MB, 120,000 rows/s, 14.5 MB/s, ETA 13 s`. */
export function formatFigures(f: ProgressFigures): string {
  const skipped = f.skippedChunks ? ` (${f.skippedChunks} chunk(s) skipped, ${mb(f.skippedBytes)})` : '';
  return `${f.chunksDone}/${f.chunksToDo} chunks, ${mb(f.bytesDone)} of ${mb(f.bytesToDo)}, ${Math.round(f.rowsPerSec).toLocaleString('en-US')} rows/s, ${(f.bytesPerSec / 1e6).toFixed(1)} MB/s, ETA ${formatEta(f.etaSeconds)}${skipped}`;
}

/**
 * Renders run events: a live bar on a TTY driven by bytes (redrawn at least once a second),
 * plain `progress:` lines every `plainIntervalMs` otherwise. Rates and ETA count only this run's
 * work, from the last plan to now: finished chunks plus the progress of running ones. Chunks
 * skipped by checkpoint are shown apart and are neither in the rate nor in the work left.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, options: ProgressOptions = {}): { onEvent: (e: RunEvent) => void; stop: () => void } {
  const now = options.now ?? Date.now;
  const plainInterval = options.plainIntervalMs ?? 5000;
  let started = now();
  let working = false;
  let plannedChunks = 0;
  let plannedBytes = 0;
  let skippedChunks = 0;
  let skippedBytes = 0;
  let chunksDone = 0;
  let bytesDone = 0;
  let rowsDone = 0;
  let inFlightBytes = 0;
  let inFlightRows = 0;
  // Running chunks' latest progress, by `jobId:index`; a chunk leaves it when it finishes or retries.
  const inFlight = new Map<string, { rows: number; bytes: number }>();
  const finished = new Set<string>();
  // Jobs with checkpointed chunks, to say once per job how much was skipped.
  const resumed = new Map<string, { file: string; expected: number; seen: number; bytes: number }>();
  let lastLine: number | undefined;

  const figures = (): ProgressFigures => {
    const secs = Math.max((now() - started) / 1000, 0.001);
    const bytes = bytesDone + inFlightBytes;
    const bytesToDo = Math.max(plannedBytes - skippedBytes, 0);
    const bytesPerSec = bytes / secs;
    return {
      chunksDone,
      chunksToDo: plannedChunks - skippedChunks,
      bytesDone: bytes,
      bytesToDo,
      rowsPerSec: (rowsDone + inFlightRows) / secs,
      bytesPerSec,
      etaSeconds: bytesPerSec > 0 ? Math.max(bytesToDo - bytes, 0) / bytesPerSec : undefined,
      skippedChunks,
      skippedBytes,
    };
  };

  const tty = stream.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar({ stream, format: '|{bar}| {figures}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  let ticker: NodeJS.Timeout | undefined;
  const draw = () => {
    if (!bar) return;
    const f = figures();
    if (!ticker) {
      bar.start(f.bytesToDo, f.bytesDone, { figures: formatFigures(f) });
      // Rates and ETA move with the clock even while no event arrives.
      ticker = setInterval(draw, 1000).unref();
      return;
    }
    bar.setTotal(f.bytesToDo);
    bar.update(f.bytesDone, { figures: formatFigures(f) });
  };
  // On a TTY, clear the bar's line first; the bar redraws on its next update.
  const line = (text: string) => stream.write(`${tty ? '\r\x1b[K' : ''}${text}\n`);
  const plain = (force: boolean) => {
    if (bar) return;
    const t = now();
    if (!force && t - (lastLine ?? started) < plainInterval) return;
    lastLine = t;
    line(`progress: ${formatFigures(figures())}`);
  };
  const leave = (key: string) => {
    const p = inFlight.get(key);
    if (!p) return;
    inFlightBytes -= p.bytes;
    inFlightRows -= p.rows;
    inFlight.delete(key);
  };

  return {
    onEvent(e) {
      switch (e.type) {
        case 'planned':
          // The clock starts at the last plan, before any chunk runs: planning is no part of the rate.
          if (!working) started = now();
          plannedChunks += e.plan.chunks.length;
          for (const c of e.plan.chunks) plannedBytes += c.end - c.start;
          if (e.skipped) resumed.set(e.plan.jobId, { file: e.file, expected: e.skipped, seen: 0, bytes: 0 });
          line(`planned ${e.file}: ${e.plan.chunks.length} chunk(s), ${e.plan.method}${e.skipped ? `, ${e.skipped} already done` : ''}`);
          draw();
          break;
        case 'progress': {
          const key = `${e.jobId}:${e.index}`;
          if (finished.has(key)) break;
          working = true;
          leave(key);
          inFlight.set(key, { rows: e.rows, bytes: e.bytes });
          inFlightBytes += e.bytes;
          inFlightRows += e.rows;
          draw();
          plain(false);
          break;
        }
        case 'chunk': {
          const key = `${e.jobId}:${e.index}`;
          finished.add(key);
          if (e.skipped) {
            skippedChunks++;
            skippedBytes += e.bytes;
            const r = resumed.get(e.jobId);
            if (r && ++r.seen <= r.expected) {
              r.bytes += e.bytes;
              if (r.seen === r.expected) line(`${r.file}: ${r.expected} chunk(s) already done, ${mb(r.bytes)} skipped (checkpoint)`);
            }
            draw();
            break;
          }
          working = true;
          leave(key);
          chunksDone++;
          bytesDone += e.bytes;
          rowsDone += e.rows;
          draw();
          plain(chunksDone === plannedChunks - skippedChunks);
          break;
        }
        case 'retry':
          // The next attempt starts from nothing; what the failed one read is not progress.
          leave(`${e.jobId}:${e.index}`);
          line(`chunk ${e.index} of ${e.jobId}: ${e.error.name}: ${e.error.message}; retry ${e.attempt} in ${e.delayMs} ms`);
          draw();
          break;
        case 'warning':
          line(`warning: ${e.message}`);
          break;
        case 'job':
        case 'collection':
          break;
      }
    },
    stop() {
      if (ticker) clearInterval(ticker);
      if (bar && ticker) bar.stop();
    },
  };
}
