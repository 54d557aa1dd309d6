// Deterministic test-data generator for the examples and the benchmark. No dependencies.
//
//   npx tsx examples/generate.ts --kind flux --size 1GB --out /tmp/flux-1GB.tsv [--seed 42] [--defects 0.005]
//   npx tsx examples/generate.ts --kind orders --size 200MB --out /tmp/orders.csv
//   npx tsx examples/generate.ts --sample        # rewrites the bundled files under examples/*/data/
//
// The same options always give the same bytes. Output is streamed in ~1 MB batches with backpressure.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export type Kind = 'flux' | 'orders';

export interface GenerateOptions {
  readonly kind: Kind;
  /** Target size: bytes, or "64MB" / "1GB" (decimal units, KiB/MiB/GiB binary). Output stops at the first row boundary at or past it. */
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
  /** Data records written (header excluded; a record with quoted newlines counts once). */
  readonly rows: number;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "64MB" → 64000000, "1.5GB" → 1500000000, 4096 → 4096. */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i.exec(size.trim());
  const unit = UNITS[(m?.[2] ?? 'b').toLowerCase()];
  if (!m || unit === undefined) throw new Error(`not a size: "${size}" (use e.g. 500KB, 50MB, 1GB)`);
  return Math.round(Number(m[1]) * unit);
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
// Output. Rows are joined into short strings (PENDING_CHARS), encoded into a 1 MB block, and each
// full block is written with backpressure. A long string rope would outlive young-generation GC
// and cost far more to flatten, so strings are turned into bytes early.

const PENDING_CHARS = 1 << 16;
const BLOCK_BYTES = 1 << 20;

class Sink {
  /** Bytes encoded so far (written or in the current block). */
  bytes = 0;
  rows = 0;
  private readonly stream: WriteStream;
  private block = Buffer.allocUnsafe(BLOCK_BYTES * 2);
  private used = 0;
  private constructor(stream: WriteStream) {
    this.stream = stream;
  }
  static async open(file: string): Promise<Sink> {
    await mkdir(dirname(file), { recursive: true });
    const stream = createWriteStream(file, { highWaterMark: 4 * BLOCK_BYTES });
    await once(stream, 'open');
    return new Sink(stream);
  }
  /** Encodes text into the current block; true when the block is full and `flush()` is due. */
  put(text: string): boolean {
    const need = Buffer.byteLength(text);
    if (this.used + need > this.block.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.block.length * 2, this.used + need));
      this.block.copy(bigger, 0, 0, this.used);
      this.block = bigger;
    }
    this.used += this.block.write(text, this.used);
    this.bytes += need;
    return this.used >= BLOCK_BYTES;
  }
  /** Hands the block to the stream, waiting for 'drain' when the stream's buffer is full. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const full = this.block.subarray(0, this.used);
    this.block = Buffer.allocUnsafe(BLOCK_BYTES * 2);
    this.used = 0;
    if (!this.stream.write(full)) await once(this.stream, 'drain');
  }
  async write(text: string): Promise<void> {
    this.put(text);
    await this.flush();
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

// ---------------------------------------------------------------------------------------------
// Fast fixed-point formatting (toFixed is the bottleneck otherwise).

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

function f1(x: number): string {
  let n = Math.round(x * 10);
  const sign = n < 0 ? '-' : '';
  if (n < 0) n = -n;
  const i = Math.floor(n / 10);
  return `${sign}${i}.${n - i * 10}`;
}
function f2(x: number): string {
  let n = Math.round(x * 100);
  const sign = n < 0 ? '-' : '';
  if (n < 0) n = -n;
  const i = Math.floor(n / 100);
  return `${sign}${i}.${PAD2[n - i * 100]}`;
}
function f3(x: number): string {
  let n = Math.round(x * 1000);
  const sign = n < 0 ? '-' : '';
  if (n < 0) n = -n;
  const i = Math.floor(n / 1000);
  return `${sign}${i}.${PAD3[n - i * 1000]}`;
}

/** YYYYMMDD of a UTC day start. */
function ymd(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${PAD2[d.getUTCMonth() + 1]}${PAD2[d.getUTCDate()]}`;
}

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
  /** Respiration at 10 °C. */
  readonly r10: number;
  /** 0 wet … 1 dry (scales VPD, rain, evaporative fraction). */
  readonly dry: number;
  readonly years: readonly [number, number];
}

/** Real FLUXNET sites with rough climates; years are the span of the generated record. */
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

/** Beyond the real sites' years (≈ 1 GB), synthetic sites "US-001", "DE-002", … with a real site's climate. */
function* fluxSiteYears(): Generator<{ site: Site; startMs: number; days: number }> {
  for (const site of SITES) {
    for (let y = site.years[0]; y <= site.years[1]; y++) yield { site, startMs: Date.UTC(y, 0, 1), days: daysInYear(y) };
  }
  for (let n = 1; ; n++) {
    const base = SITES[(n - 1) % SITES.length]!;
    const site: Site = { ...base, id: `${base.id.slice(0, 2)}-${String(n).padStart(3, '0')}`, years: [2001, 2020] };
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
const MISSING = '-9999';
const DAY_MS = 86_400_000;

interface FluxRun {
  readonly rng: () => number;
  readonly sink: Sink;
  /** Stop once this many bytes are written (Infinity: write every period). */
  readonly limit: number;
  readonly rate: number;
  readonly kinds: readonly FluxDefect[];
  /** Row index (within the run) → defect, for samples that must show each defect at least once. */
  readonly forced?: ReadonlyMap<number, FluxDefect>;
}

/** Writes the rows of each period in turn; resolves true when the byte limit was reached. */
async function writeFlux(run: FluxRun, periods: Iterable<{ site: Site; startMs: number; days: number }>): Promise<void> {
  const { rng, sink, limit, rate, kinds, forced } = run;
  const noise = () => rng() + rng() - 1; // triangular on (-1, 1), cheap
  let buf = '';
  let index = 0; // rows considered, written or skipped
  let skip = 0; // rows left in a timestamp gap
  let outage = 0; // rows left in a flux-system outage (-9999 for the turbulent fluxes)
  let negativeGpp = false; // a 'gpp' defect waiting for daylight
  let nth = 0; // defects so far: cycles through each kind's variants
  for (const { site, startMs, days } of periods) {
    const south = site.lat < 0;
    const latFactor = Math.min(1, Math.abs(site.lat) / 60);
    let anomaly = 0; // day-to-day temperature anomaly (random walk)
    let nextDay = ymd(startMs);
    for (let d = 0; d < days; d++) {
      const dayMs = startMs + d * DAY_MS;
      const today = nextDay;
      nextDay = ymd(dayMs + DAY_MS);
      const date = new Date(dayMs);
      const doy = (dayMs - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS;
      // +1 at midsummer, -1 at midwinter.
      const season = Math.cos((2 * Math.PI * (doy - (south ? 17 : 200))) / 365.25);
      anomaly = 0.8 * anomaly + 2.2 * noise();
      const tDay = site.tMean + site.tAmp * season + anomaly;
      const dtr = 4 + 6 * site.dry; // diurnal temperature range
      const cloud = 0.25 + 0.75 * rng() ** (0.6 - 0.3 * site.dry);
      const swPeak = (650 + 350 * season * latFactor) * cloud * (1 - 0.25 * latFactor * (1 - season) * 0.5);
      const halfDay = 6 + 2.8 * season * latFactor; // hours from solar noon to sunset
      const leaf = Math.max(0.04, Math.min(1, 0.5 + 0.75 * season * (0.4 + latFactor)));
      const rainy = rng() < 0.35 * (1 - site.dry * 0.7);
      const rh = 0.95 - 0.5 * site.dry * cloud;
      const wind = 0.15 + 0.4 * rng();
      for (let h = 0; h < 48; h++, index++) {
        if (skip > 0) {
          skip--;
          continue;
        }
        let defect: FluxDefect | undefined = forced?.get(index);
        if (defect === undefined && rate > 0 && rng() < rate) defect = kinds[Math.floor(rng() * kinds.length)];
        if (defect === 'gap') {
          skip = 5 + Math.floor(rng() * 8); // this row and 5–12 more are missing: 3–6.5 hours
          continue;
        }
        if (defect === 'gpp') {
          negativeGpp = true;
          defect = undefined;
        }
        const hour = h / 2 + 0.25;
        const fromNoon = (hour - 12.5) / halfDay;
        const sun = fromNoon > -1 && fromNoon < 1 ? Math.cos((Math.PI / 2) * fromNoon) : 0;
        const sw = sun > 0 ? swPeak * sun * (0.9 + 0.2 * rng()) : 1.2 * noise();
        const ta = tDay + 0.5 * dtr * Math.sin((Math.PI * (hour - 9)) / 12) + 0.3 * noise();
        const es = 6.112 * Math.exp((17.62 * ta) / (243.12 + ta));
        const vpd = Math.max(0, es * (1 - Math.min(0.99, rh + 0.3 * (1 - sun) - 0.1 * sun)));
        const light = sw > 0 ? sw / (sw + 350) : 0;
        const cold = ta < 0 ? 0 : ta < 10 ? ta / 10 : ta > 32 ? Math.max(0, 1 - (ta - 32) / 10) : 1;
        let gpp = site.gppMax * 1.9 * leaf * light * cold * (1 / (1 + vpd / (25 + 20 * site.dry))) + (sw > 0 ? 0.4 : 0.05) * noise();
        if (negativeGpp && sw >= 10) {
          gpp = -0.3 - 2 * rng(); // a partitioning artefact at low light
          negativeGpp = false;
        }
        const reco = site.r10 * leaf ** 0.3 * Math.exp(0.0693 * (ta - 10)) * (1 + 0.1 * noise());
        const nee = reco - gpp + 0.8 * noise();
        const avail = Math.max(0, sw) * 0.62 - 15;
        const ef = Math.min(0.9, (0.75 - 0.5 * site.dry) * (0.4 + 0.6 * leaf));
        const le = avail * ef + 8 * noise() + (rainy ? 15 : 0);
        const hf = avail * (1 - ef) - 5 + 10 * noise();
        const p = rainy && rng() < 0.3 ? rng() * rng() * 6 : 0;
        const ustar = Math.max(0.02, wind * (0.5 + 0.8 * sun) + 0.05 * noise());
        let qc = ustar < 0.12 ? 1 + Math.floor(rng() * 2) : 0;
        if (qc === 0 && rng() < 0.03) qc = 3;

        // -9999: single missing readings and longer outages of the turbulence system.
        let miss = 0;
        if (outage > 0) {
          outage--;
          miss = 0b1000011111; // NEE GPP RECO LE H … USTAR
        } else if (rng() < 0.012) {
          if (rng() < 0.15) outage = 4 + Math.floor(rng() * 30);
          miss = 1 << Math.floor(rng() * 11);
        }
        const start = `${today}${HALF_HOURS[h]}`;
        const end = h === 47 ? `${nextDay}0000` : `${today}${HALF_HOURS[h + 1]}`;
        let row =
          miss === 0
            ? `${site.id}\t${start}\t${end}\t${f3(nee)}\t${f3(gpp)}\t${f3(reco)}\t${f2(le)}\t${f2(hf)}\t${f2(ta)}\t${f3(vpd)}\t${f1(sw)}\t${f1(p)}\t${f3(ustar)}\t${qc}\n`
            : `${site.id}\t${start}\t${end}\t${miss & 1 ? MISSING : f3(nee)}\t${miss & 2 ? MISSING : f3(gpp)}\t${miss & 4 ? MISSING : f3(reco)}\t${miss & 8 ? MISSING : f2(le)}\t${miss & 16 ? MISSING : f2(hf)}\t${miss & 32 ? MISSING : f2(ta)}\t${miss & 64 ? MISSING : f3(vpd)}\t${miss & 128 ? MISSING : f1(sw)}\t${miss & 256 ? 'NA' : f1(p)}\t${miss & 512 ? MISSING : f3(ustar)}\t${miss & 1 ? MISSING : qc}\n`;
        if (defect !== undefined) row = fluxDefect(row, defect, nth++, rng);
        buf += row;
        sink.rows += defect === 'duplicate' ? 2 : 1;
        if (buf.length >= PENDING_CHARS) {
          if (sink.put(buf)) await sink.flush();
          buf = '';
        }
        if (sink.bytes + buf.length >= limit) {
          await sink.write(buf);
          return;
        }
      }
    }
  }
  await sink.write(buf);
}

function fluxDefect(row: string, defect: FluxDefect, nth: number, rng: () => number): string {
  const f = row.slice(0, -1).split('\t');
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
      return `${row}${row}`;
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

async function generateFlux(sink: Sink, size: number, seed: number, defects: number): Promise<void> {
  await sink.write(`${FLUX_HEADER.join('\t')}\n`);
  await writeFlux({ rng: mulberry32(seed), sink, limit: size, rate: defects, kinds: FLUX_DEFECTS }, fluxSiteYears());
}

// ---------------------------------------------------------------------------------------------
// Orders: an e-commerce export with RFC 4180 quoting.

export const ORDERS_HEADER = ['order_id', 'order_ts', 'customer_id', 'country', 'amount', 'currency', 'quantity', 'status', 'note'] as const;

const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'JP', 'AU'] as const;
const COUNTRY_WEIGHTS = [0.34, 0.08, 0.14, 0.14, 0.09, 0.06, 0.08, 0.07];
const CURRENCY: Record<(typeof COUNTRIES)[number], string> = { US: 'USD', CA: 'CAD', GB: 'GBP', DE: 'EUR', FR: 'EUR', NL: 'EUR', JP: 'JPY', AU: 'AUD' };
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
const STATUS_WEIGHTS = [0.06, 0.12, 0.22, 0.5, 0.06, 0.04];
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
];
/** Rarer notes pasted from a text box: line breaks inside the quoted field (one with CRLF). */
const MULTILINE_NOTES = ['Line 1: ring twice\nLine 2: dog is friendly', 'Split shipment OK,\r\nship remainder when in stock', 'Address correction:\n"Flat 2", 14 Mill Lane'];

function pickWeighted<T>(items: readonly T[], weights: readonly number[], r: number): T {
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Quotes a CSV field when it must be (comma, quote, CR or LF), doubling inner quotes. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

type OrderDefect = 'negative' | 'quantity' | 'country' | 'currency' | 'timestamp' | 'missing-id' | 'duplicate' | 'ragged' | 'huge' | 'crlf';
const ORDER_DEFECTS: readonly OrderDefect[] = ['negative', 'quantity', 'country', 'currency', 'timestamp', 'missing-id', 'duplicate', 'ragged', 'huge', 'crlf'];

interface OrdersRun {
  readonly rng: () => number;
  readonly sink: Sink;
  readonly limit: number;
  /** Stop after this many records (Infinity: only the byte limit). */
  readonly maxRows: number;
  readonly rate: number;
  readonly kinds: readonly OrderDefect[];
  readonly forced?: ReadonlyMap<number, OrderDefect>;
  readonly startMs: number;
}

async function writeOrders(run: OrdersRun): Promise<void> {
  const { rng, sink, limit, maxRows, rate, kinds, forced } = run;
  await sink.write(`${ORDERS_HEADER.join(',')}\n`);
  let buf = '';
  let ts = run.startMs;
  let prevId = '';
  for (let i = 0; i < maxRows; i++) {
    let defect: OrderDefect | undefined = forced?.get(i);
    if (defect === undefined && rate > 0 && rng() < rate) defect = kinds[Math.floor(rng() * kinds.length)];
    ts += Math.floor(rng() * rng() * 240_000) + 1000;
    const id = `ORD-${String(10_000_000 + i).padStart(8, '0')}`;
    const country = pickWeighted(COUNTRIES, COUNTRY_WEIGHTS, rng());
    const currency = rng() < 0.03 ? 'USD' : CURRENCY[country];
    const quantity = 1 + Math.floor(rng() ** 3 * 6);
    const unit = Math.exp(2.6 + 1.1 * (rng() + rng() + rng() - 1.5));
    let amount = currency === 'JPY' ? `${Math.round(unit * quantity * 150)}` : f2(unit * quantity);
    const status = pickWeighted(STATUSES, STATUS_WEIGHTS, rng());
    const customer = rng() < 0.04 ? '' : `C${String(Math.floor(rng() * 1_000_000)).padStart(6, '0')}`;
    const r = rng();
    const note = r < 0.8 ? '' : r < 0.996 ? NOTES[Math.floor(rng() * NOTES.length)]! : MULTILINE_NOTES[Math.floor(rng() * MULTILINE_NOTES.length)]!;
    const f: string[] = [id, isoSeconds(ts), customer, country, amount, currency, String(quantity), status, csvField(note)];
    let eol = '\n';
    switch (defect) {
      case 'negative':
        amount = `-${amount}`;
        f[4] = amount;
        break;
      case 'quantity':
        f[6] = '0';
        break;
      case 'country':
        f[3] = rng() < 0.5 ? 'XX' : country.toLowerCase();
        break;
      case 'currency':
        f[5] = rng() < 0.5 ? currency.toLowerCase() : 'BTC';
        break;
      case 'timestamp':
        f[1] = rng() < 0.5 ? `${f[1]!.slice(0, 8)}31T25:61:00Z` : `${f[1]!.slice(8, 10)}/${f[1]!.slice(5, 7)}/${f[1]!.slice(0, 4)} ${f[1]!.slice(11, 16)}`;
        break;
      case 'missing-id':
        f[0] = '';
        break;
      case 'duplicate':
        if (prevId) f[0] = prevId;
        break;
      case 'ragged':
        f[8] = 'left at door, no signature'; // unquoted comma: one field too many
        break;
      case 'huge':
        f[4] = currency === 'JPY' ? '250000000' : '250000.00';
        break;
      case 'crlf':
        eol = '\r\n'; // a line from a Windows tool: valid, the reader strips the CR
        break;
      default:
    }
    prevId = id;
    buf += `${f.join(',')}${eol}`;
    sink.rows++;
    if (buf.length >= PENDING_CHARS) {
      if (sink.put(buf)) await sink.flush();
      buf = '';
    }
    if (sink.bytes + buf.length >= limit) break;
  }
  await sink.write(buf);
}

async function generateOrders(sink: Sink, size: number, seed: number, defects: number): Promise<void> {
  await writeOrders({ rng: mulberry32(seed), sink, limit: size, maxRows: Infinity, rate: defects, kinds: ORDER_DEFECTS, startMs: Date.UTC(2023, 0, 1) });
}

// ---------------------------------------------------------------------------------------------
// Public API.

/** Writes a file of about `size` bytes; the same options always give the same bytes. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const size = parseSize(options.size);
  const seed = options.seed ?? 42;
  const defects = options.defects ?? 0.005;
  if (!(size > 0)) throw new Error('size must be positive');
  if (!(defects >= 0 && defects <= 1)) throw new Error('defects must be between 0 and 1');
  const sink = await Sink.open(options.out);
  try {
    if (options.kind === 'flux') await generateFlux(sink, size, seed, defects);
    else if (options.kind === 'orders') await generateOrders(sink, size, seed, defects);
    else throw new Error(`unknown kind "${String(options.kind)}" (flux or orders)`);
    await sink.close();
  } catch (e) {
    sink.destroy();
    throw e;
  }
  return { bytes: sink.bytes, rows: sink.rows };
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
 * Rewrites the bundled samples: four weeks of two flux sites and 2,000 orders.
 * US-Ha1 has row-level defects only (the job passes, bad rows quarantined); DE-Tha also
 * has a duplicated half hour, so its unique rule fails the job. The orders sample passes.
 */
export async function generateSamples(dir = EXAMPLES_DIR): Promise<{ file: string; bytes: number; rows: number }[]> {
  const written: { file: string; bytes: number; rows: number }[] = [];
  const rowDefects: FluxDefect[] = ['range', 'range', 'text', 'ragged', 'qc', 'order', 'gap', 'gpp', 'gpp'];
  const fluxSamples = [
    { file: 'US-Ha1_2019.tsv', site: 'US-Ha1', start: Date.UTC(2019, 6, 1), seed: 2019_07, forced: rowDefects },
    { file: 'DE-Tha_2019.tsv', site: 'DE-Tha', start: Date.UTC(2019, 4, 1), seed: 2019_05, forced: [...rowDefects, 'duplicate' as const] },
  ];
  for (const s of fluxSamples) {
    const site = SITES.find((x) => x.id === s.site)!;
    const out = join(dir, 'flux', 'data', s.file);
    const sink = await Sink.open(out);
    const rng = mulberry32(s.seed);
    const days = 28;
    await sink.write(`${FLUX_HEADER.join('\t')}\n`);
    await writeFlux(
      { rng, sink, limit: Infinity, rate: 0.004, kinds: ['range', 'text', 'qc', 'gpp'], forced: place(rng, s.forced, 48, days * 48 - 48) },
      [{ site, startMs: s.start, days }],
    );
    await sink.close();
    written.push({ file: out, bytes: sink.bytes, rows: sink.rows });
  }
  {
    const out = join(dir, 'orders', 'data', 'orders_sample.csv');
    const sink = await Sink.open(out);
    const rng = mulberry32(2024);
    const rows = 2000;
    const forced = place<OrderDefect>(rng, ['negative', 'quantity', 'country', 'currency', 'timestamp', 'missing-id', 'ragged', 'huge', 'crlf', 'crlf'], 10, rows - 10);
    await writeOrders({ rng, sink, limit: Infinity, maxRows: rows, rate: 0.004, kinds: ['negative', 'quantity', 'country', 'currency', 'timestamp'], forced, startMs: Date.UTC(2024, 2, 1) });
    await sink.close();
    written.push({ file: out, bytes: sink.bytes, rows: sink.rows });
  }
  return written;
}

// ---------------------------------------------------------------------------------------------
// CLI.

const USAGE = `usage: npx tsx examples/generate.ts --kind flux|orders --size 1GB --out <file> [--seed N] [--defects 0.005]
       npx tsx examples/generate.ts --sample      (rewrite examples/*/data/)`;

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
  const started = performance.now();
  if (values.sample) {
    for (const w of await generateSamples()) {
      console.log(`wrote ${relative(process.cwd(), w.file)}: ${w.bytes.toLocaleString('en-US')} bytes, ${w.rows.toLocaleString('en-US')} rows`);
    }
    return;
  }
  if ((values.kind !== 'flux' && values.kind !== 'orders') || !values.size || !values.out) throw new Error(USAGE);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  const defects = values.defects === undefined ? undefined : Number(values.defects);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error('--seed must be an integer');
  if (defects !== undefined && Number.isNaN(defects)) throw new Error('--defects must be a number such as 0.005');
  const r = await generate({ kind: values.kind, size: values.size, out: values.out, seed, defects });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `wrote ${values.out}: ${r.bytes.toLocaleString('en-US')} bytes, ${r.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s (${(r.bytes / 1e6 / seconds).toFixed(0)} MB/s)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error((e as Error).message);
    process.exitCode = 1;
  });
}
