import cliProgress from 'cli-progress';
import type { RunEvent } from '../shared/local/runner.js';

/** Renders run events: a live bar on a TTY (chunks, rows/s, MB/s, ETA), plain lines otherwise. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { onEvent: (e: RunEvent) => void; stop: () => void } {
  const started = Date.now();
  let totalChunks = 0;
  let doneChunks = 0;
  let doneBytes = 0;
  let rows = 0;
  const tty = stream.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { stream, format: 'chunks {value}/{total} |{bar}| {rowsPerSec} rows/s {mbPerSec} MB/s ETA {eta_formatted}', hideCursor: true, etaBuffer: 20 },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let barStarted = false;
  const rates = () => {
    const secs = Math.max((Date.now() - started) / 1000, 0.001);
    return { rowsPerSec: Math.round(rows / secs).toLocaleString('en-US'), mbPerSec: (doneBytes / 1e6 / secs).toFixed(1) };
  };
  // On a TTY, clear the bar's line first; the bar redraws on its next update.
  const line = (text: string) => stream.write(`${tty ? '\r\x1b[K' : ''}${text}\n`);
  return {
    onEvent(e) {
      switch (e.type) {
        case 'planned':
          totalChunks += e.plan.chunks.length;
          line(`planned ${e.file}: ${e.plan.chunks.length} chunk(s), ${e.plan.method}${e.skipped ? `, ${e.skipped} already done` : ''}`);
          if (bar) {
            if (!barStarted) bar.start(totalChunks, 0, rates());
            else bar.setTotal(totalChunks);
            barStarted = true;
          }
          break;
        case 'chunk':
          doneChunks++;
          doneBytes += e.bytes;
          if (!e.skipped) rows += e.rows;
          if (bar) bar.update(doneChunks, rates());
          else line(`chunk ${e.index} of ${e.jobId} ${e.skipped ? 'skipped (checkpoint)' : `done: ${e.rows} rows`} [${doneChunks}/${totalChunks}, ${rates().mbPerSec} MB/s]`);
          break;
        case 'retry':
          line(`chunk ${e.index} of ${e.jobId}: ${e.error.name}: ${e.error.message}; retry ${e.attempt} in ${e.delayMs} ms`);
          break;
        case 'warning':
          line(`warning: ${e.message}`);
          break;
        case 'job':
          break;
      }
    },
    stop() {
      if (bar && barStarted) bar.stop();
    },
  };
}
