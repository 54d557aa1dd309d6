import type { Dialect } from '../formats/delimited.js';
import { quotedRecordStarts, type TargetRange } from './record-starts.js';

/**
 * The quote-aware boundary scan in windows that run apart (each its own Plan λ in AWS), so no
 * step reads a whole large file. A window's scan cannot know the quote state where it starts, so
 * it guesses: it starts at the first line start in it, and lists every record start it finds
 * near its start (its head) and past its end (its tail). The windows are then resolved in order:
 * a window is right from the first record start it shares with the true tail of the window
 * before it (from one shared record start the two scans take the same steps). A window that
 * shares none is scanned again from a true record start, but only until that scan meets a start
 * the guess found: from there on the guess is right.
 */

/** One window: bytes `[start, end)` of the file (`end` -1 for the last), and the nominal chunk boundaries inside it. */
export interface ScanWindow {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** Nominal boundaries in `(start, end)`; `start` itself, for a window after the first, is one too. */
  readonly nominal: readonly number[];
}

/** What a window's scan found: record starts from `from` on, sorted; see `windowTargets`. */
export interface WindowScan {
  readonly index: number;
  /** Where the scan began: the first line start at or after the window's start (its data start for the first). */
  readonly from: number;
  readonly starts: readonly number[];
}

/** What the scan needs besides the bytes. */
export interface ScanSettings {
  readonly dialect: Dialect;
  readonly maxLineBytes: number;
  readonly size: number;
  /** Bytes of a window's head and tail (default syncBytes(maxLineBytes)). */
  readonly sync?: number;
}

/**
 * Bytes of a head and a tail, where every record start is listed: two of the longest records and
 * a margin. A record that spans a window's start ends within it (a quoted field closes within
 * maxLineBytes of its record's start, or the record is its first line), and a guess meets the
 * true starts a few records after that.
 */
export function syncBytes(maxLineBytes: number): number {
  return 2 * maxLineBytes + 64 * 1024;
}

/** Windows of about `windowBytes` (a whole number of chunks), each after the first starting at a nominal boundary. */
export function scanWindows(dataStart: number, nominal: readonly number[], target: number, windowBytes: number): ScanWindow[] {
  const per = Math.max(1, Math.floor(windowBytes / target));
  const windows: ScanWindow[] = [];
  for (let i = 0; i * per <= nominal.length; i++) {
    const start = i === 0 ? dataStart : nominal[i * per - 1]!;
    windows.push({ index: i, start, end: nominal[(i + 1) * per - 1] ?? -1, nominal: nominal.slice(i * per, (i + 1) * per - 1) });
  }
  return windows;
}

/** The targets of a window's scan from `from`: its head, its nominal boundaries, its tail (none for the last). */
export function windowTargets(window: ScanWindow, from: number, settings: Pick<ScanSettings, 'sync' | 'maxLineBytes'>): TargetRange[] {
  const sync = settings.sync ?? syncBytes(settings.maxLineBytes);
  const ranges: TargetRange[] = [];
  if (window.index > 0) ranges.push({ from, to: from + sync });
  for (const n of window.nominal) ranges.push({ from: n, to: n + 1 });
  if (window.end >= 0) ranges.push({ from: window.end, to: window.end + sync });
  // Sorted and apart, as the scan takes them.
  ranges.sort((a, b) => a.from - b.from);
  const merged: TargetRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    else merged.push(r);
  }
  return merged;
}

/** Reads bytes `[start, size)` of the file, as the planner's source does. */
export type ReadFrom = (start: number) => AsyncIterable<Uint8Array>;

/**
 * A window's scan from `from` (a guess for any window but the first, unless `from` is known to
 * start a record). With `meet`, it stops at the first start that `meet` holds.
 */
export async function scanWindow(window: ScanWindow, from: number, read: ReadFrom, settings: ScanSettings, meet?: ReadonlySet<number>): Promise<WindowScan> {
  const starts = from >= settings.size ? [] : await quotedRecordStarts(read(from), from, windowTargets(window, from, settings), settings.dialect, settings.maxLineBytes, meet && ((at) => meet.has(at)));
  return { index: window.index, from, starts };
}

/**
 * The first record start at or after each nominal boundary of every window, as one scan of the
 * whole file from the data start finds them, from the windows' scans (taken one at a time, in
 * order). `rescan` scans a window from a true record start until it meets a start of `meet`; it
 * is called only for a window whose guess met no true start in its head. Returns the boundaries
 * and how many windows were scanned again.
 */
export async function resolveWindows(
  windows: readonly ScanWindow[],
  scanOf: (index: number) => Promise<WindowScan>,
  rescan: (window: ScanWindow, from: number, meet: ReadonlySet<number>) => Promise<WindowScan>,
): Promise<{ boundaries: number[]; rescanned: number }> {
  const boundaries: number[] = [];
  let rescanned = 0;
  // True record starts from the window's start on, from the window before (every one in its tail, then the first after).
  let truth: readonly number[] = [];
  for (const window of windows) {
    const scan = await scanOf(window.index);
    if (scan.index !== window.index) throw new Error(`window ${window.index}: got the scan of window ${scan.index}`);
    let known: readonly number[];
    if (window.index === 0) {
      known = scan.starts;
    } else {
      if (truth.length === 0) break; // no record starts after here: no more boundaries
      boundaries.push(truth[0]!); // the window's own start, a nominal boundary
      const inTruth = new Set(truth);
      let meet = scan.starts.find((s) => inTruth.has(s));
      if (meet !== undefined) {
        known = [...truth.filter((s) => s < meet!), ...scan.starts.filter((s) => s >= meet!)];
      } else {
        rescanned++;
        const guessed = new Set(scan.starts);
        const again = await rescan(window, truth[0]!, guessed);
        // It stopped at the first start the guess found, if any: the guess holds from there.
        const last = again.starts[again.starts.length - 1];
        meet = last !== undefined && guessed.has(last) ? last : undefined;
        known = meet === undefined ? again.starts : [...again.starts, ...scan.starts.filter((s) => s > meet!)];
      }
    }
    let k = 0;
    for (const n of window.nominal) {
      while (k < known.length && known[k]! < n) k++;
      if (k < known.length) boundaries.push(known[k]!);
    }
    truth = window.end < 0 ? [] : known.filter((s) => s >= window.end);
  }
  return { boundaries, rescanned };
}
