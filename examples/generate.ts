// Deterministic test-data generator for the examples and the benchmark. No dependencies.
//
//   npx tsx examples/generate.ts --kind flux --size 1GB --out /tmp/flux-1GB.tsv [--seed 42] [--defects 0.005]
//   npx tsx examples/generate.ts --kind orders --size 200MB --out /tmp/orders.csv
//   npx tsx examples/generate.ts --sample        # rewrites the bundled files under examples/*/data/
//
// The same options always give the same bytes. Rows are written as bytes into 1 MB blocks, which
// are streamed to the file with backpressure.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import ExcelJS from 'exceljs';
import { parseByteSize } from '../shared/config/resolve.js';

export type Kind = 'flux' | 'orders' | 'workbook';

export interface GenerateOptions {
  readonly kind: Kind;
  /** Target size: bytes, or "64MB" / "1GB" (decimal units; KiB/MiB/GiB binary). Output stops at the first row boundary at or past it. */
  readonly size: number | string;
  readonly out: string;
  /** PRNG seed; default 42. */
  readonly seed?: number;
  /** Share of rows given a defect (bad value, ragged row, duplicate key, gap, …); default 0.005. */
  readonly defects?: number;
}

export interface GenerateResult {
  /** Bytes written, header included. */
  readonly bytes: number;
  /** Data records written (header excluded; a record with quoted line breaks counts once). */
  readonly rows: number;
}


/** mulberry32: tiny, fast, good enough for test data. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Output. Rows are written straight into a 1 MB byte block, digit by digit (no per-row strings,
// so almost no garbage), and each full block goes to the file stream, waiting for 'drain' when
// the stream's buffer is full.

const BLOCK_BYTES = 1 << 20;
/** Room past BLOCK_BYTES for the row that crosses it (rows are < 1 KB). */
const SLACK_BYTES = 1 << 16;

class Sink {
  /** The block being filled; sources write `block[used…]` and advance `used`. */
  block: Buffer = Buffer.allocUnsafe(BLOCK_BYTES + SLACK_BYTES);
  used = 0;
  private written = 0;
  /** Blocks the stream has finished with, for reuse (fewer large allocations, less GC). */
  private readonly spare: Buffer[] = [];
  private readonly stream: WriteStream;
  private constructor(stream: WriteStream) {
    this.stream = stream;
  }
  static async open(file: string): Promise<Sink> {
    await mkdir(dirname(file), { recursive: true });
    const stream = createWriteStream(file, { highWaterMark: 4 * BLOCK_BYTES });
    await once(stream, 'open');
    return new Sink(stream);
  }
  /** Bytes produced so far: written plus in the block. */
  get bytes(): number {
    return this.written + this.used;
  }
  /** Encodes a string (UTF-8) at `used`, growing the block when needed. */
  putString(text: string): void {
    const need = Buffer.byteLength(text);
    if (this.used + need > this.block.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.block.length * 2, this.used + need));
      this.block.copy(bigger, 0, 0, this.used);
      this.block = bigger;
    }
    this.used += this.block.write(text, this.used);
  }
  /** Hands the block to the stream; waits for 'drain' when the stream's buffer is full. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const block = this.block;
    const full = block.subarray(0, this.used);
    this.written += this.used;
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(BLOCK_BYTES + SLACK_BYTES);
    this.used = 0;
    const ok = this.stream.write(full, () => {
      if (block.length === BLOCK_BYTES + SLACK_BYTES) this.spare.push(block);
    });
    if (!ok) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
  destroy(): void {
    this.stream.destroy();
  }
}

/** Produces rows synchronously into a sink's block. */
interface RowSource {
  readonly header: string;
  /** Records produced so far. */
  readonly rows: number;
  /** Writes whole rows until `sink.used >= until`; false when there are no more rows. */
  fill(sink: Sink, until: number): boolean;
}

/** Writes the header, then rows until the source ends or the first row boundary at or past `limit` bytes. */
async function pump(out: string, source: RowSource, limit: number): Promise<GenerateResult> {
  const sink = await Sink.open(out);
  try {
    sink.putString(source.header);
    for (;;) {
      const until = Math.min(BLOCK_BYTES, sink.used + (limit - sink.bytes));
      const more = source.fill(sink, until);
      if (!more || sink.bytes >= limit) break;
      await sink.flush();
    }
    await sink.close();
  } catch (e) {
    sink.destroy();
    throw e;
  }
  return { bytes: sink.bytes, rows: source.rows };
}

/** "000"…"999" as ASCII bytes, three per number. */
const DIGITS3 = Uint8Array.from({ length: 3000 }, (_, i) => 48 + (Math.floor(Math.floor(i / 3) / 10 ** (2 - (i % 3))) % 10));

/** Writes a non-negative integer's digits at p; returns the next position. */
function putUint(b: Uint8Array, p: number, n: number): number {
  if (n < 1000) {
    const o = n * 3;
    if (n >= 100) b[p++] = DIGITS3[o]!;
    if (n >= 10) b[p++] = DIGITS3[o + 1]!;
    b[p++] = DIGITS3[o + 2]!;
    return p;
  }
  return putPadded(b, p, n, 4);
}

const SCALE = [1, 10, 100, 1000] as const;

/** Fraction digits of NEE, GPP, RECO, LE, H, TA, VPD, SW_IN, P, USTAR, as the exports print them. */
const FLUX_DIGITS = [3, 3, 3, 2, 2, 2, 3, 1, 1, 3] as const;
/** P (precipitation) is missing as "NA" rather than -9999 in these files. */
const RAIN = 8;

/** Writes x with 1–3 fraction digits, as toFixed would for these magnitudes; returns the next position. */
function putFixed(b: Uint8Array, p: number, x: number, digits: 1 | 2 | 3): number {
  const scale = SCALE[digits];
  let n = Math.round(x * scale);
  if (n < 0) {
    b[p++] = 45;
    n = -n;
  }
  const whole = Math.floor(n / scale);
  const o = (n - whole * scale) * 3;
  p = putUint(b, p, whole);
  b[p++] = 46;
  // DIGITS3 holds each fraction zero-padded to three digits; take the last `digits`.
  for (let i = 3 - digits; i < 3; i++) b[p++] = DIGITS3[o + i]!;
  return p;
}

/** Writes an ASCII string at p; returns the next position. */
function putAscii(b: Uint8Array, p: number, text: string): number {
  for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Flux: FLUXNET/AmeriFlux-style half-hourly tables.

export const FLUX_HEADER = ['SITE_ID', 'TIMESTAMP_START', 'TIMESTAMP_END', 'NEE', 'GPP', 'RECO', 'LE', 'H', 'TA', 'VPD', 'SW_IN', 'P', 'USTAR', 'NEE_QC'] as const;

interface Site {
  readonly id: string;
  /** Latitude, degrees; negative in the south (seasons flip). */
  readonly lat: number;
  /** Mean annual air temperature and half the summer–winter difference, °C. */
  readonly tMean: number;
  readonly tAmp: number;
  /** Peak half-hourly GPP, µmol CO2 m-2 s-1. */
  readonly gppMax: number;
  /** Ecosystem respiration at 10 °C. */
  readonly r10: number;
  /** 0 wet … 1 dry (scales VPD, rain, evaporative fraction). */
  readonly dry: number;
  readonly years: readonly [number, number];
}

/** Real FLUXNET sites with rough climates; years are the span generated for each. */
const SITES: readonly Site[] = [
  { id: 'US-Ha1', lat: 42.5, tMean: 8, tAmp: 12, gppMax: 32, r10: 3.5, dry: 0.3, years: [1991, 2020] },
  { id: 'US-MMS', lat: 39.3, tMean: 11.5, tAmp: 12, gppMax: 30, r10: 3.8, dry: 0.3, years: [1999, 2020] },
  { id: 'US-UMB', lat: 45.6, tMean: 6, tAmp: 13, gppMax: 26, r10: 3, dry: 0.3, years: [2000, 2020] },
  { id: 'US-Var', lat: 38.4, tMean: 15.8, tAmp: 7, gppMax: 20, r10: 2.5, dry: 0.8, years: [2000, 2020] },
  { id: 'US-Ton', lat: 38.4, tMean: 15.8, tAmp: 7, gppMax: 16, r10: 2.2, dry: 0.85, years: [2001, 2020] },
  { id: 'US-NR1', lat: 40.0, tMean: 1.5, tAmp: 9, gppMax: 14, r10: 2, dry: 0.5, years: [1998, 2020] },
  { id: 'CA-Oas', lat: 53.6, tMean: 0.5, tAmp: 17, gppMax: 24, r10: 2.8, dry: 0.4, years: [1996, 2010] },
  { id: 'CA-TP4', lat: 42.7, tMean: 8, tAmp: 11, gppMax: 25, r10: 3, dry: 0.35, years: [2002, 2017] },
  { id: 'DE-Tha', lat: 51.0, tMean: 8.5, tAmp: 9, gppMax: 24, r10: 3, dry: 0.3, years: [1996, 2020] },
  { id: 'DE-Hai', lat: 51.1, tMean: 8.5, tAmp: 9, gppMax: 30, r10: 3.5, dry: 0.3, years: [2000, 2020] },
  { id: 'DE-Geb', lat: 51.1, tMean: 9, tAmp: 9, gppMax: 35, r10: 3, dry: 0.4, years: [2001, 2020] },
  { id: 'FR-Pue', lat: 43.7, tMean: 13.5, tAmp: 8, gppMax: 16, r10: 2.2, dry: 0.75, years: [2000, 2020] },
  { id: 'IT-SRo', lat: 43.7, tMean: 15, tAmp: 8, gppMax: 22, r10: 3, dry: 0.6, years: [1999, 2012] },
  { id: 'FI-Hyy', lat: 61.8, tMean: 3.5, tAmp: 11, gppMax: 20, r10: 2.5, dry: 0.25, years: [1996, 2020] },
  { id: 'NL-Loo', lat: 52.2, tMean: 10, tAmp: 7, gppMax: 22, r10: 3, dry: 0.3, years: [1996, 2020] },
  { id: 'CH-Dav', lat: 46.8, tMean: 3.5, tAmp: 9, gppMax: 18, r10: 2.5, dry: 0.35, years: [1997, 2020] },
  { id: 'RU-Fyo', lat: 56.5, tMean: 5, tAmp: 13, gppMax: 22, r10: 3, dry: 0.25, years: [1998, 2020] },
  { id: 'AU-How', lat: -12.5, tMean: 27, tAmp: 2.5, gppMax: 24, r10: 4, dry: 0.6, years: [2001, 2020] },
  { id: 'AU-Tum', lat: -35.7, tMean: 9.5, tAmp: 7, gppMax: 28, r10: 3.2, dry: 0.35, years: [2001, 2020] },
  { id: 'BR-Sa1', lat: -2.9, tMean: 26, tAmp: 1, gppMax: 34, r10: 5, dry: 0.2, years: [2002, 2011] },
  { id: 'ZA-Kru', lat: -25.0, tMean: 22, tAmp: 6, gppMax: 14, r10: 2.5, dry: 0.8, years: [2000, 2013] },
];

interface Period {
  readonly site: Site;
  readonly startMs: number;
  readonly days: number;
}

/** Every real site-year (≈ 430 of them, ≈ 0.7 GB), then synthetic sites "US-001", "US-002", … "US-00A", … with a real site's climate. */
function* fluxSiteYears(): Generator<Period> {
  for (const site of SITES) {
    for (let y = site.years[0]; y <= site.years[1]; y++) yield { site, startMs: Date.UTC(y, 0, 1), days: daysInYear(y) };
  }
  for (let n = 1; ; n++) {
    const base = SITES[(n - 1) % SITES.length]!;
    const site: Site = { ...base, id: `${base.id.slice(0, 2)}-${n.toString(36).toUpperCase().padStart(3, '0')}`, years: [2001, 2020] };
    for (let y = site.years[0]; y <= site.years[1]; y++) yield { site, startMs: Date.UTC(y, 0, 1), days: daysInYear(y) };
  }
}

function daysInYear(y: number): number {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 366 : 365;
}

/**
 * range: a value outside its column's bounds (TA 999, …); text: "n/a#" in a number column; ragged: a
 * truncated line; duplicate: a row written twice; qc: NEE_QC 7; order: TIMESTAMP_END before START;
 * gap: 3–6.5 hours of rows missing; gpp: negative GPP in daylight (valid, but the warn rule counts it).
 */
type FluxDefect = 'range' | 'text' | 'ragged' | 'duplicate' | 'qc' | 'order' | 'gap' | 'gpp';
const FLUX_DEFECTS: readonly FluxDefect[] = ['range', 'text', 'ragged', 'duplicate', 'qc', 'order', 'gap', 'gpp'];

/** "HHmm" of each half hour of a day. */
const HALF_HOURS = Array.from({ length: 48 }, (_, i) => `${PAD2[i >> 1]}${i & 1 ? '30' : '00'}`);
/** Diurnal temperature shape: minimum near 03:00, maximum near 15:00. */
const DIURNAL = Array.from({ length: 48 }, (_, h) => Math.sin((Math.PI * (h / 2 + 0.25 - 9)) / 12));
/** Lookup tables over air temperature -60…60 °C in 0.1 °C steps: saturation vapour pressure (hPa, Magnus) and respiration's Q10 = 2 factor. */
const SAT_VP = Array.from({ length: 1201 }, (_, i) => 6.112 * Math.exp((17.62 * (i / 10 - 60)) / (243.12 + (i / 10 - 60))));
const Q10 = Array.from({ length: 1201 }, (_, i) => Math.exp(0.0693 * (i / 10 - 60 - 10)));
const MISSING = '-9999';
const TAB = 9;
const NL = 10;

function ymd(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${PAD2[d.getUTCMonth() + 1]}${PAD2[d.getUTCDate()]}`;
}

class FluxRows implements RowSource {
  readonly header = `${FLUX_HEADER.join('\t')}\n`;
  rows = 0;
  private index = 0; // half hours so far, written or skipped
  private skip = 0; // half hours left in a timestamp gap
  private outage = 0; // half hours left in an outage of the flux system (-9999)
  private negativeGpp = false; // a 'gpp' defect waiting for daylight
  /** Random numbers drawn in batches in one tight loop (cheaper than a PRNG call per value); a half hour takes at most 16. */
  private readonly draws = new Float64Array(4096);
  private k = 4096;
  private readonly seen = new Map<FluxDefect, number>(); // defects so far by kind: cycles through each kind's variants
  // Current period and day.
  private site: Site = SITES[0]!;
  private days = 0;
  private startMs = 0;
  private d = 0;
  private h = 48;
  private anomaly = 0;
  private siteBytes: Uint8Array = new Uint8Array(0);
  /** TIMESTAMP_START of each half hour and the next day's 0000, 12 ASCII bytes each. */
  private readonly stamps = new Uint8Array(49 * 12);
  private tDay = 0;
  private dtr = 0;
  private swPeak = 0;
  private invHalfDay = 0;
  private leaf = 0;
  private rainy = false;
  private rh = 0;
  private wind = 0;
  private ef = 0;
  private gppBase = 0;
  private vpdScale = 0;
  private respBase = 0;

  constructor(
    private readonly rng: () => number,
    private readonly periods: Iterator<Period>,
    private readonly rate: number,
    private readonly kinds: readonly FluxDefect[],
    /** Half-hour index → defect, for samples that must show each defect at least once. */
    private readonly forced?: ReadonlyMap<number, FluxDefect>,
  ) {}

  fill(sink: Sink, until: number): boolean {
    const b = sink.block;
    let p = sink.used;
    while (p < until) {
      if (this.h === 48 && !this.startDay()) {
        sink.used = p;
        return false;
      }
      p = this.row(b, p);
    }
    sink.used = p;
    return true;
  }

  /** Sets up the next day's weather; false after the last period. */
  private startDay(): boolean {
    const rng = this.rng;
    if (this.d === this.days) {
      const p = this.periods.next();
      if (p.done) return false;
      ({ site: this.site, startMs: this.startMs, days: this.days } = p.value);
      this.siteBytes = Buffer.from(this.site.id, 'latin1');
      this.d = 0;
      this.anomaly = 0;
    }
    const site = this.site;
    const dayMs = this.startMs + this.d * DAY_MS;
    this.d++;
    this.h = 0;
    const today = ymd(dayMs);
    for (let h = 0; h < 48; h++) putAscii(this.stamps, h * 12, `${today}${HALF_HOURS[h]}`);
    putAscii(this.stamps, 48 * 12, `${ymd(dayMs + DAY_MS)}0000`);
    const doy = (dayMs - Date.UTC(new Date(dayMs).getUTCFullYear(), 0, 1)) / DAY_MS;
    const latFactor = Math.min(1, Math.abs(site.lat) / 60);
    // +1 at midsummer, -1 at midwinter.
    const season = Math.cos((2 * Math.PI * (doy - (site.lat < 0 ? 17 : 200))) / 365.25);
    this.anomaly = 0.8 * this.anomaly + 2.2 * (rng() + rng() - 1);
    this.tDay = site.tMean + site.tAmp * season + this.anomaly;
    this.dtr = 4 + 6 * site.dry;
    const cloud = 0.25 + 0.75 * rng() ** (0.6 - 0.3 * site.dry);
    this.swPeak = (650 + 350 * season * latFactor) * cloud * (1 - 0.125 * latFactor * (1 - season));
    this.invHalfDay = 1 / (6 + 2.8 * season * latFactor); // 1 / hours from solar noon to sunset
    this.leaf = Math.max(0.04, Math.min(1, 0.5 + 0.75 * season * (0.4 + latFactor)));
    this.rainy = rng() < 0.35 * (1 - site.dry * 0.7);
    this.rh = 0.95 - 0.5 * site.dry * cloud;
    this.wind = 0.15 + 0.4 * rng();
    this.ef = Math.min(0.9, (0.75 - 0.5 * site.dry) * (0.4 + 0.6 * this.leaf));
    this.gppBase = site.gppMax * 1.15 * this.leaf;
    this.vpdScale = 1 / (25 + 20 * site.dry);
    this.respBase = site.r10 * (0.6 + 0.6 * this.leaf);
    return true;
  }

  /** Writes the current half hour's line at p (nothing inside a gap); returns the next position. */
  private row(b: Buffer, p: number): number {
    const h = this.h++;
    const index = this.index++;
    if (this.skip > 0) {
      this.skip--;
      return p;
    }
    if (this.k > this.draws.length - 16) {
      for (let j = 0; j < this.draws.length; j++) this.draws[j] = this.rng();
      this.k = 0;
    }
    const R = this.draws;
    let k = this.k;
    let defect = this.forced?.get(index);
    if (defect === undefined && R[k++]! < this.rate) defect = this.kinds[Math.floor(this.rng() * this.kinds.length)];
    if (defect === 'gap') {
      this.skip = 5 + Math.floor(R[k++]! * 8); // this and 5–12 more half hours are missing
      this.k = k;
      return p;
    }
    if (defect === 'gpp') {
      this.negativeGpp = true;
      defect = undefined;
    }
    const x = (h / 2 + 0.25 - 12.5) * this.invHalfDay;
    const sun = x > -1 && x < 1 ? 1 - x * x : 0;
    const sw = sun > 0 ? this.swPeak * sun * (0.9 + 0.2 * R[k++]!) : 1.2 * (2 * R[k++]! - 1);
    const ta = this.tDay + 0.5 * this.dtr * DIURNAL[h]! + 0.3 * (2 * R[k++]! - 1);
    const ti = ta < -60 ? 0 : ta > 60 ? 1200 : Math.round((ta + 60) * 10);
    const vpd = SAT_VP[ti]! * (1 - Math.min(0.99, this.rh + 0.3 * (1 - sun) - 0.1 * sun));
    const light = sw > 0 ? sw / (sw + 350) : 0;
    const cold = ta < 0 ? 0 : ta < 10 ? ta / 10 : ta > 32 ? Math.max(0, 1 - (ta - 32) / 10) : 1;
    // Partitioned GPP: ≥ 0 in daylight, a little noise around 0 at night.
    let gpp = sw >= 10 ? Math.max(0, (this.gppBase * light * cold) / (1 + vpd * this.vpdScale) + 0.4 * (2 * R[k++]! - 1)) : 0.05 * (2 * R[k++]! - 1);
    if (this.negativeGpp && sw >= 10) {
      gpp = -0.3 - 2 * R[k++]!; // a partitioning artefact at low light
      this.negativeGpp = false;
    }
    const reco = this.respBase * Q10[ti]! * (1 + 0.1 * (2 * R[k++]! - 1));
    const nee = reco - gpp + 0.8 * (2 * R[k++]! - 1);
    const avail = (sw > 0 ? sw : 0) * 0.62 - 15;
    const le = avail * this.ef + 8 * (2 * R[k++]! - 1) + (this.rainy ? 15 : 0);
    const hf = avail * (1 - this.ef) - 5 + 10 * (2 * R[k++]! - 1);
    const rain = this.rainy && R[k++]! < 0.3 ? 6 * R[k++]! ** 2 : 0;
    const ustar = Math.max(0.02, this.wind * (0.5 + 0.8 * sun) + 0.05 * (2 * R[k++]! - 1));
    const r = R[k++]!;
    const qc = ustar < 0.12 ? (r < 0.5 ? 1 : 2) : r < 0.03 ? 3 : 0; // low turbulence → gap-filled
    // -9999: single missing readings and longer outages of the flux system.
    let miss = 0;
    if (this.outage > 0) {
      this.outage--;
      miss = 0b1000011111; // NEE GPP RECO LE H USTAR
    } else if (R[k++]! < 0.012) {
      const m = R[k++]!;
      if (m < 0.15) this.outage = 4 + Math.floor(m * 200);
      miss = 1 << Math.floor(m * 11);
    }
    this.k = k;
    const start = p;
    const id = this.siteBytes;
    for (let i = 0; i < id.length; i++) b[p++] = id[i]!;
    b[p++] = TAB;
    const st = this.stamps;
    for (let i = h * 12, e = i + 12; i < e; i++) b[p++] = st[i]!; // TIMESTAMP_START
    b[p++] = TAB;
    for (let i = h * 12 + 12, e = i + 12; i < e; i++) b[p++] = st[i]!; // TIMESTAMP_END
    b[p++] = TAB;
    // Bit k of `miss` blanks measurement k; NEE_QC goes missing with NEE (bit 0).
    const values = [nee, gpp, reco, le, hf, ta, vpd, sw, rain, ustar];
    for (let k = 0; k < values.length; k++) {
      p = miss & (1 << k) ? putAscii(b, p, k === RAIN ? 'NA' : MISSING) : putFixed(b, p, values[k]!, FLUX_DIGITS[k]!);
      b[p++] = TAB;
    }
    p = miss & 1 ? putAscii(b, p, MISSING) : putUint(b, p, qc);
    b[p++] = NL;
    this.rows++;
    if (defect === undefined) return p;
    // Defects are rare: rewrite the line as a string.
    if (defect === 'duplicate') this.rows++;
    const nth = this.seen.get(defect) ?? 0;
    this.seen.set(defect, nth + 1);
    return putAscii(b, start, fluxDefect(b.toString('latin1', start, p), defect, nth, this.rng));
  }
}

function fluxDefect(line: string, defect: FluxDefect, nth: number, rng: () => number): string {
  const f = line.slice(0, -1).split('\t');
  switch (defect) {
    case 'range': {
      const pick = nth % 4;
      if (pick === 0) f[8] = '999'; // TA
      else if (pick === 1) f[10] = '2480.5'; // SW_IN
      else if (pick === 2) f[6] = '-1873.22'; // LE
      else f[9] = '-3.2'; // VPD
      break;
    }
    case 'text':
      f[3 + Math.floor(rng() * 10)] = nth % 2 === 0 ? 'n/a#' : '#DIV/0!';
      break;
    case 'ragged':
      return `${f.slice(0, 5 + Math.floor(rng() * 7)).join('\t')}\n`; // a truncated line
    case 'duplicate':
      return `${line}${line}`;
    case 'qc':
      f[13] = '7';
      break;
    case 'order':
      [f[1], f[2]] = [f[2]!, f[1]!]; // TIMESTAMP_END before TIMESTAMP_START
      break;
    case 'gap':
    case 'gpp':
      break;
  }
  return `${f.join('\t')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Orders: an e-commerce export with RFC 4180 quoting.

export const ORDERS_HEADER = ['order_id', 'order_ts', 'customer_id', 'country', 'amount', 'currency', 'quantity', 'status', 'note'] as const;

const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'JP', 'AU'] as const;
const COUNTRY_SHARE = [0.34, 0.08, 0.14, 0.14, 0.09, 0.06, 0.08, 0.07];
const CURRENCY: Record<(typeof COUNTRIES)[number], string> = { US: 'USD', CA: 'CAD', GB: 'GBP', DE: 'EUR', FR: 'EUR', NL: 'EUR', JP: 'JPY', AU: 'AUD' };
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
const STATUS_SHARE = [0.06, 0.12, 0.22, 0.5, 0.06, 0.04];
const NOTES = [
  'Leave at back door',
  'Gift wrap, please',
  'Call ahead, gate code 4471',
  'Customer says "urgent"',
  'Deliver to reception, 3rd floor',
  'Bitte bei Müller klingeln',
  'Replacement for order returned as "damaged, box crushed"',
  'No invoice in the parcel',
  'Livraison après 17h',
  'Size swap: M → L',
].map(csvField);
/** Rarer notes pasted from a text box: line breaks inside the quoted field (one with CRLF). */
const MULTILINE_NOTES = ['Line 1: ring twice\nLine 2: dog is friendly', 'Split shipment OK,\r\nship remainder when in stock', 'Address correction:\n"Flat 2", 14 Mill Lane'].map(csvField);

/** Quotes a CSV field when it must be (comma, quote, CR or LF), doubling inner quotes. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

type OrderDefect = 'negative' | 'quantity' | 'country' | 'currency' | 'timestamp' | 'missing-id' | 'duplicate' | 'ragged' | 'huge' | 'crlf';
const ORDER_DEFECTS: readonly OrderDefect[] = ['negative', 'quantity', 'country', 'currency', 'timestamp', 'missing-id', 'duplicate', 'ragged', 'huge', 'crlf'];

const bytesOf = (list: readonly string[]) => list.map((x) => Buffer.from(x, 'utf8'));
const COUNTRY_BYTES = bytesOf(COUNTRIES);
const COUNTRY_CURRENCY = COUNTRIES.map((c) => CURRENCY[c]);
const COUNTRY_CURRENCY_BYTES = bytesOf(COUNTRY_CURRENCY);
const USD_BYTES = Buffer.from('USD');
const STATUS_BYTES = bytesOf(STATUSES);
const NOTE_BYTES = bytesOf(NOTES);
const MULTILINE_NOTE_BYTES = bytesOf(MULTILINE_NOTES);

function putBytes(b: Uint8Array, p: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) b[p++] = bytes[i]!;
  return p;
}

/** Writes n with at least `width` digits (zero-padded); returns the next position. */
function putPadded(b: Uint8Array, p: number, n: number, width: number): number {
  let len = width;
  for (let m = 10 ** width; n >= m; m *= 10) len++;
  for (let i = p + len - 1; i >= p; i--) {
    const q = Math.floor(n / 10);
    b[i] = 48 + n - q * 10;
    n = q;
  }
  return p + len;
}

class OrderRows implements RowSource {
  readonly header = `${ORDERS_HEADER.join(',')}\n`;
  rows = 0;
  private ts: number;
  private dayStart = -1;
  private readonly dayBytes = new Uint8Array(11); // "2024-03-01T"
  private badTimes = 0;
  /** Random numbers drawn in batches (cheaper than a PRNG call per value); a row takes at most 16. */
  private readonly draws = new Float64Array(4096);
  private k = 4096;

  constructor(
    private readonly rng: () => number,
    startMs: number,
    /** Mean time between orders. */
    private readonly meanGapMs: number,
    private readonly maxRows: number,
    private readonly rate: number,
    private readonly kinds: readonly OrderDefect[],
    private readonly forced?: ReadonlyMap<number, OrderDefect>,
  ) {
    this.ts = startMs;
  }

  fill(sink: Sink, until: number): boolean {
    const b = sink.block;
    let p = sink.used;
    while (p < until && this.rows < this.maxRows) p = this.row(b, p);
    sink.used = p;
    return this.rows < this.maxRows;
  }

  /** Writes "2024-03-01T12:34:56Z" at p. */
  private putIso(b: Uint8Array, p: number, ms: number): number {
    if (ms - this.dayStart >= DAY_MS) {
      this.dayStart = ms - (ms % DAY_MS);
      putAscii(this.dayBytes, 0, new Date(this.dayStart).toISOString().slice(0, 11));
    }
    p = putBytes(b, p, this.dayBytes);
    const s = Math.floor((ms - this.dayStart) / 1000);
    const hh = Math.floor(s / 3600);
    const mm = Math.floor(s / 60) - hh * 60;
    const ss = s - Math.floor(s / 60) * 60;
    b[p] = DIGITS3[hh * 3 + 1]!;
    b[p + 1] = DIGITS3[hh * 3 + 2]!;
    b[p + 2] = 58;
    b[p + 3] = DIGITS3[mm * 3 + 1]!;
    b[p + 4] = DIGITS3[mm * 3 + 2]!;
    b[p + 5] = 58;
    b[p + 6] = DIGITS3[ss * 3 + 1]!;
    b[p + 7] = DIGITS3[ss * 3 + 2]!;
    b[p + 8] = 90;
    return p + 9;
  }

  private row(b: Buffer, p: number): number {
    const i = this.rows++;
    if (this.k > this.draws.length - 32) {
      for (let j = 0; j < this.draws.length; j++) this.draws[j] = this.rng();
      this.k = 0;
    }
    const R = this.draws;
    let k = this.k;
    let defect = this.forced?.get(i);
    if (defect === undefined && R[k++]! < this.rate) defect = this.kinds[Math.floor(this.rng() * this.kinds.length)];
    this.ts += Math.floor(-Math.log(1 - R[k++]!) * this.meanGapMs);
    let c = 0;
    for (let r = R[k++]!; c < COUNTRY_SHARE.length - 1 && (r -= COUNTRY_SHARE[c]!) >= 0; ) c++;
    const usd = R[k++]! < 0.03; // cross-border order paid in USD
    const jpy = !usd && COUNTRIES[c] === 'JP';
    const quantity = 1 + Math.floor(R[k++]! ** 3 * 6);
    const amount = Math.exp(2.6 + 1.1 * (R[k++]! + R[k++]! + R[k++]! - 1.5)) * quantity * (jpy ? 150 : 1);
    let st = 0;
    for (let r = R[k++]!; st < STATUS_SHARE.length - 1 && (r -= STATUS_SHARE[st]!) >= 0; ) st++;
    const customer = R[k++]! < 0.04 ? -1 : Math.floor(R[k++]! * 1e6); // -1: guest checkout
    const r = R[k++]!;
    const note = r < 0.8 ? -1 : r < 0.996 ? Math.floor(R[k++]! * NOTES.length) : NOTES.length + Math.floor(R[k++]! * MULTILINE_NOTES.length);
    this.k = k;
    const start = p;
    b[p] = 79; // ORD-
    b[p + 1] = 82;
    b[p + 2] = 68;
    b[p + 3] = 45;
    p = putPadded(b, p + 4, i, 8);
    b[p++] = 44;
    p = this.putIso(b, p, this.ts);
    b[p++] = 44;
    if (customer >= 0) {
      b[p++] = 67; // C
      p = putPadded(b, p, customer, 6);
    }
    b[p++] = 44;
    p = putBytes(b, p, COUNTRY_BYTES[c]!);
    b[p++] = 44;
    p = jpy ? putUint(b, p, Math.round(amount)) : putFixed(b, p, amount, 2);
    b[p++] = 44;
    p = putBytes(b, p, usd ? USD_BYTES : COUNTRY_CURRENCY_BYTES[c]!);
    b[p++] = 44;
    b[p++] = 48 + quantity;
    b[p++] = 44;
    p = putBytes(b, p, STATUS_BYTES[st]!);
    b[p++] = 44;
    if (note >= 0) p = putBytes(b, p, note < NOTES.length ? NOTE_BYTES[note]! : MULTILINE_NOTE_BYTES[note - NOTES.length]!);
    b[p++] = 10;
    if (defect === undefined) return p;
    // Defects are rare: rewrite the record as a string.
    return start + b.write(this.defective(b.toString('utf8', start, p - 1), defect, i), start);
  }

  /** The record (without its line end) with one defect, plus its line end. */
  private defective(record: string, defect: OrderDefect, i: number): string {
    // Split on the first eight commas: the note (last) may itself hold commas.
    const f: string[] = [];
    let from = 0;
    for (let k = 0; k < 8; k++) {
      const comma = record.indexOf(',', from);
      f.push(record.slice(from, comma));
      from = comma + 1;
    }
    f.push(record.slice(from));
    const rng = this.rng;
    let eol = '\n';
    switch (defect) {
      case 'negative':
        f[4] = `-${f[4]}`;
        break;
      case 'quantity':
        f[6] = '0';
        break;
      case 'country':
        f[3] = rng() < 0.5 ? 'XX' : f[3]!.toLowerCase();
        break;
      case 'currency':
        f[5] = rng() < 0.5 ? f[5]!.toLowerCase() : 'BTC';
        break;
      case 'timestamp': {
        // An impossible time, or a day-first local format.
        const ts = f[1]!;
        f[1] = this.badTimes++ % 2 === 0 ? `${ts.slice(0, 11)}25:61:00Z` : `${ts.slice(8, 10)}/${ts.slice(5, 7)}/${ts.slice(0, 4)} ${ts.slice(11, 16)}`;
        break;
      }
      case 'missing-id':
        f[0] = '';
        break;
      case 'duplicate':
        if (i > 0) f[0] = `ORD-${String(i - 1).padStart(8, '0')}`; // the previous order's id
        break;
      case 'ragged':
        f[8] = 'left at door, no signature'; // unquoted comma: one field too many
        break;
      case 'huge':
        f[4] = f[5] === 'JPY' ? '250000000' : '250000.00';
        break;
      case 'crlf':
        eol = '\r\n'; // a line from a Windows tool: valid, the reader drops the CR
        break;
    }
    return `${f.join(',')}${eol}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Public API.

/** Writes a file of about `size` bytes (stopping at a row boundary); the same options always give the same bytes. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const size = parseByteSize(options.size);
  const seed = options.seed ?? 42;
  const defects = options.defects ?? 0.005;
  if (!(size > 0)) throw new Error('size must be positive');
  if (!(defects >= 0 && defects <= 1)) throw new Error('defects must be between 0 and 1');
  const rng = mulberry32(seed);
  switch (options.kind) {
    case 'flux':
      return pump(options.out, new FluxRows(rng, fluxSiteYears(), defects, FLUX_DEFECTS), size);
    case 'orders':
      // About two orders a second: 1 GB covers roughly five months from 2023-01-01.
      return pump(options.out, new OrderRows(rng, Date.UTC(2023, 0, 1), 500, Infinity, defects, ORDER_DEFECTS), size);
    case 'workbook':
      return writeWorkbook(options.out, rng, size, defects);
    default:
      throw new Error(`unknown kind "${String(options.kind)}" (flux, orders or workbook)`);
  }
}

/**
 * An Excel workbook of half-hourly station readings, as a spreadsheet export holds them: a title
 * row above the header, a units row under it, typed cells (dates, numbers, booleans, shared
 * strings, a formula with its cached value), -9999 and text in number cells as defects.
 * Streamed with exceljs's WorkbookWriter, so any size is written in bounded memory; it stops at
 * the first row after the file reaches about `size` bytes.
 */
async function writeWorkbook(out: string, rng: () => number, size: number, defects: number): Promise<GenerateResult> {
  await mkdir(dirname(out), { recursive: true });
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: out, useSharedStrings: true, useStyles: true });
  const ws = wb.addWorksheet('Readings');
  ws.addRow(['Station readings, half-hourly (generated by examples/generate.ts)']).commit();
  ws.addRow(['station', 'time', 'air_temp', 'humidity', 'rain', 'pressure', 'ok', 'air_temp_f']).commit();
  ws.addRow(['', '', 'degC', '%', 'mm', 'hPa', '', 'degF']).commit();
  const stations = ['Harvard Forest', 'Morgan Monroe', 'Tharandt', 'Puechabon'];
  let rows = 0;
  const start = Date.UTC(2019, 0, 1);
  for (let checked = 0; ; rows++) {
    const station = stations[rows % stations.length]!;
    const t = start + Math.floor(rows / stations.length) * 1_800_000;
    const ta = Math.round((8 + 12 * Math.sin((t / 86_400_000 / 365) * 2 * Math.PI) + (rng() - 0.5) * 6) * 10) / 10;
    const rh = Math.round(50 + rng() * 50);
    const rain = rng() < 0.9 ? 0 : Math.round(rng() * 40) / 10;
    const hpa = Math.round((1013 + (rng() - 0.5) * 30) * 10) / 10;
    let taCell: unknown = ta;
    if (rng() < defects) taCell = rng() < 0.5 ? -9999 : 'n/a';
    // A missing reading leaves its formula an error; exceljs's streaming reader drops a formula's error
    // result, so it is written as the error value the sheet shows.
    const fahrenheit = typeof taCell === 'number' && taCell !== -9999 ? { formula: `C${rows + 4}*9/5+32`, result: Math.round((ta * 9 / 5 + 32) * 100) / 100 } : { error: '#VALUE!' };
    const row = ws.addRow([station, new Date(t), taCell, rh, rain, hpa, rng() > 0.01, fahrenheit]);
    row.commit();
    // Let the zip stream write what it has: without a turn of the event loop it only buffers.
    if (rows % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (rows - checked >= 20_000) {
      checked = rows;
      // Rows are made faster than the zip compresses them: wait until the file stops growing, so its
      // size is what the rows so far make (and memory holds no backlog), then compare.
      let now = -1;
      for (let before = -2; now !== before; ) {
        before = now;
        await new Promise((resolve) => setTimeout(resolve, 25));
        now = (await stat(out).catch(() => ({ size: 0 }))).size;
      }
      if (now >= size) break;
    }
    if (size < 2_000_000 && rows >= size / 40) break;
  }
  ws.commit();
  await wb.commit();
  return { bytes: (await stat(out)).size, rows: rows + 1 };
}

/**
 * Row indexes in [from, to), one per defect and at least 16 apart (so none falls inside a gap),
 * so that a small sample shows each defect at least once.
 */
function place<T>(rng: () => number, defects: readonly T[], from: number, to: number): Map<number, T> {
  const out = new Map<number, T>();
  for (const d of defects) {
    let i: number;
    do i = from + Math.floor(rng() * (to - from));
    while ([...out.keys()].some((k) => Math.abs(k - i) < 16));
    out.set(i, d);
  }
  return out;
}

export const EXAMPLES_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * Rewrites the bundled samples: four weeks of two flux sites and 2,000 orders, each with about 1%
 * defects. US-Ha1 has row-level defects only (bad rows are quarantined and the job passes); DE-Tha
 * also has a duplicated half hour, so its unique rule fails the job. The orders sample passes.
 */
export async function generateSamples(dir = EXAMPLES_DIR): Promise<(GenerateResult & { file: string })[]> {
  const written: (GenerateResult & { file: string })[] = [];
  const days = 28;
  const rowDefects: FluxDefect[] = ['range', 'range', 'text', 'text', 'ragged', 'qc', 'order', 'gap', 'gpp', 'gpp'];
  const samples = [
    { file: 'US-Ha1_2019.tsv', site: 'US-Ha1', start: Date.UTC(2019, 6, 1), seed: 201907, defects: rowDefects },
    { file: 'DE-Tha_2019.tsv', site: 'DE-Tha', start: Date.UTC(2019, 4, 1), seed: 201905, defects: [...rowDefects, 'duplicate' as const] },
  ];
  for (const s of samples) {
    const site = SITES.find((x) => x.id === s.site)!;
    const rng = mulberry32(s.seed);
    const forced = place(rng, s.defects, 48, (days - 1) * 48);
    const rows = new FluxRows(rng, [{ site, startMs: s.start, days }][Symbol.iterator](), 0.003, ['range', 'text', 'qc', 'gpp'], forced);
    const file = join(dir, 'flux', 'data', s.file);
    written.push({ file, ...(await pump(file, rows, Infinity)) });
  }
  const rng = mulberry32(2024);
  const n = 2000;
  const forced = place<OrderDefect>(rng, ['negative', 'quantity', 'country', 'currency', 'timestamp', 'timestamp', 'missing-id', 'ragged', 'huge', 'crlf', 'crlf'], 10, n - 10);
  const orders = new OrderRows(rng, Date.UTC(2024, 2, 1), 60_000, n, 0.004, ['negative', 'quantity', 'country', 'currency'], forced);
  const file = join(dir, 'orders', 'data', 'orders_sample.csv');
  written.push({ file, ...(await pump(file, orders, Infinity)) });
  return written;
}

// ---------------------------------------------------------------------------------------------
// CLI.

const USAGE = `usage: npx tsx examples/generate.ts --size 1GB [--kind flux|orders|workbook] [--out <file>] [--seed 42] [--defects 0.005]
       npx tsx examples/generate.ts --sample      (rewrites examples/flux/data/*.tsv and examples/orders/data/*.csv)`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kind: { type: 'string' },
      size: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      defects: { type: 'string' },
      sample: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.sample) {
    for (const w of await generateSamples()) {
      console.log(`wrote ${relative(process.cwd(), w.file)}: ${w.bytes.toLocaleString('en-US')} bytes, ${w.rows.toLocaleString('en-US')} rows`);
    }
    return;
  }
  const kind = values.kind ?? 'flux';
  if ((kind !== 'flux' && kind !== 'orders' && kind !== 'workbook') || !values.size) throw new Error(USAGE);
  // Default output: bench/data/, which git ignores.
  const out = values.out ?? join(EXAMPLES_DIR, '..', 'bench', 'data', `${kind}-${values.size}.${kind === 'flux' ? 'tsv' : kind === 'workbook' ? 'xlsx' : 'csv'}`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  const defects = values.defects === undefined ? undefined : Number(values.defects);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error('--seed must be an integer');
  if (defects !== undefined && Number.isNaN(defects)) throw new Error('--defects must be a number such as 0.005');
  const started = performance.now();
  const r = await generate({ kind, size: values.size, out, seed, defects });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `wrote ${relative(process.cwd(), out)}: ${r.bytes.toLocaleString('en-US')} bytes, ${r.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s (${(r.bytes / 1e6 / seconds).toFixed(0)} MB/s)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error((e as Error).message);
    process.exitCode = 1;
  });
}

/**
 * `files` CSV files of `rows` readings each (`site,t,v,n`, n the row's place in its file), made to
 * be combined: every tenth row takes the key (site, t) of a row of another file, its v often
 * ties with that row's, and about 4% of v are empty. For collection tests and the benchmark.
 */
export async function generateSiteFiles(dir: string, files: number, rows: number): Promise<string[]> {
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  const paths: string[] = [];
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < files; i++) {
    const lines = ['site,t,v,n'];
    for (let j = 0; j < rows; j++) {
      const id = j % 10 === 0 ? ((i + 7) % files) * rows + j + 1 : i * rows + j;
      const v = (i * 31 + j * 17) % 23 === 0 ? '' : String(((id + (i % 3 === 0 ? 1 : 0)) % 5) / 2);
      lines.push(`S${id % 13},${new Date(t0 + id * 1_800_000).toISOString()},${v},${j + 1}`);
    }
    const path = join(dir, `f${String(i).padStart(String(files - 1).length, '0')}.csv`);
    await writeFile(path, `${lines.join('\n')}\n`);
    paths.push(path);
  }
  return paths;
}
