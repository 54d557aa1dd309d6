import type { CompletenessCalendar } from '../config/schema.js';

const DAY_MS = 86_400_000;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** `HH:MM` as ms after midnight (`24:00` is the day's end). */
const clockMs = (hhmm: string) => (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))) * 60_000;

/** Runs of slots, [start, end) in slot numbers. */
export type SlotRun = readonly [start: number, end: number];

/**
 * A completeness rule's calendar over slots of `intervalMs`: a slot is expected when its start,
 * read at the calendar's UTC offset, falls on a listed weekday that is not a holiday, inside the
 * working hours. Counting walks the days of a run, so its cost follows the days, not the slots.
 */
export class SlotCalendar {
  private readonly offsetMs: number;
  private readonly days: Set<number>;
  private readonly holidays: Set<number>;
  private readonly from: number;
  private readonly to: number;

  constructor(
    calendar: CompletenessCalendar,
    private readonly intervalMs: number,
  ) {
    const m = /^([+-])(\d\d):(\d\d)$/.exec(calendar.utcOffset)!;
    this.offsetMs = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
    this.days = new Set(calendar.weekdays.map((d) => WEEKDAYS.indexOf(d)));
    this.holidays = new Set(calendar.holidays.map((d) => Date.parse(`${d}T00:00:00Z`) / DAY_MS));
    this.from = clockMs(calendar.hours.from);
    this.to = clockMs(calendar.hours.to);
  }

  /** The expected sub-runs of [start, end), in order. */
  runs(start: number, end: number): SlotRun[] {
    const out: [number, number][] = [];
    const iv = this.intervalMs;
    // Local day numbers of the first and last slot's start.
    const firstDay = Math.floor((start * iv + this.offsetMs) / DAY_MS);
    const lastDay = Math.floor(((end - 1) * iv + this.offsetMs) / DAY_MS);
    for (let day = firstDay; day <= lastDay; day++) {
      if (!this.days.has((((day + 4) % 7) + 7) % 7) || this.holidays.has(day)) continue;
      // Slots whose start lies in [open, close) of this local day, as UTC ms.
      const open = day * DAY_MS + this.from - this.offsetMs;
      const close = day * DAY_MS + this.to - this.offsetMs;
      const s = Math.max(start, Math.ceil(open / iv));
      const e = Math.min(end, Math.ceil(close / iv));
      if (s >= e) continue;
      const last = out[out.length - 1];
      if (last && last[1] === s) last[1] = e;
      else out.push([s, e]);
    }
    return out;
  }

  /** How many slots of [start, end) are expected. */
  count(start: number, end: number): number {
    let n = 0;
    for (const [s, e] of this.runs(start, end)) n += e - s;
    return n;
  }
}
