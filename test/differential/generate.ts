/** Seeded generation of hostile delimited files for the differential fuzz, with what each holds. */

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ColumnType = 'integer' | 'number' | 'string' | 'boolean' | 'timestamp';
export type LineEnding = 'lf' | 'crlf' | 'cr' | 'mixed';
/** Rows the record model rejects as malformed or ragged (structural), or whose values do not convert. */
export type BadKind = 'stray quote' | 'unterminated at EOF' | 'text after closing quote' | 'quote inside field' | 'ragged' | 'not a number' | 'not a boolean' | 'maybe too long';
const STRUCTURAL: readonly BadKind[] = ['stray quote', 'unterminated at EOF', 'text after closing quote', 'quote inside field', 'ragged', 'maybe too long'];

export interface GeneratedFile {
  readonly name: string;
  readonly content: string;
  readonly type: 'csv' | 'tsv';
  readonly delimiter: string;
  /** '' when the format has no quoting. */
  readonly quote: string;
  readonly eol: LineEnding;
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
  /** The time pattern of every timestamp column in this file. */
  readonly timeFormat: 'YYYY-MM-DD HH:mm:ss' | 'YYYYMMDDHHmm';
  readonly bad: readonly BadKind[];
  readonly targetSize: number;
  readonly relaxQuotes: boolean;
  readonly maxLineBytes: number;
  /** The pipeline that reads it (before parseConfig). */
  readonly pipeline: Record<string, unknown>;
}

/** True when DuckDB's CSV reader can be held to the same rows: no structural damage, one line ending. */
export function comparableWithDuckDb(f: GeneratedFile): boolean {
  return f.eol !== 'mixed' && !f.bad.some((b) => STRUCTURAL.includes(b));
}

const NULLS = ['', 'NA'];
const TEXT = ['a', 'word', 'Zürich', ' padded ', 'é', 'e\u0301', '😀', '👩‍👩‍👧', 'مرحبا', 'שלום', '漢字', '0', '-', 'x y', 'NaN', 'true'];

export function generateFile(seed: number, index: number): GeneratedFile {
  const r = prng(seed ^ Math.imul(index + 1, 0x9e3779b1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number) => r() < p;
  const type = chance(0.65) ? 'csv' : 'tsv';
  const delimiter = type === 'tsv' ? '\t' : chance(0.2) ? ';' : ',';
  const quote = type === 'csv' || chance(0.4) ? '"' : '';
  const eol: LineEnding = pick(['lf', 'lf', 'crlf', 'cr', 'mixed']);
  const timeFormat = chance(0.5) ? 'YYYY-MM-DD HH:mm:ss' : 'YYYYMMDDHHmm';
  const columns = Array.from({ length: 2 + Math.floor(r() * 5) }, (_, i) => ({ name: `c${i}`, type: pick<ColumnType>(['integer', 'number', 'string', 'string', 'boolean', 'timestamp']) }));
  const bad: BadKind[] = [];
  const badFile = chance(0.4);

  const breakOf = () => (eol === 'lf' ? '\n' : eol === 'crlf' ? '\r\n' : eol === 'cr' ? '\r' : pick(['\n', '\r\n']));
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const value = (t: ColumnType): string => {
    if (chance(0.1)) return pick(NULLS);
    switch (t) {
      case 'integer':
        return String(chance(0.05) ? pick([9007199254740991, -9007199254740991]) : Math.floor(r() * 2_000_001) - 1_000_000 || 7);
      case 'number': {
        const n = `${chance(0.3) ? '-' : ''}${Math.floor(r() * 10_000)}${chance(0.7) ? `.${pad(Math.floor(r() * 1000), 3)}` : ''}`;
        return chance(0.15) ? `${n}${pick(['e3', 'E-2', 'e+1'])}` : n.replace(/^-0$/, '0');
      }
      case 'boolean':
        return pick(['true', 'false']);
      case 'timestamp': {
        const d = new Date(Date.UTC(1990 + Math.floor(r() * 40), Math.floor(r() * 12), 1 + Math.floor(r() * 28), Math.floor(r() * 24), Math.floor(r() * 60), timeFormat === 'YYYYMMDDHHmm' ? 0 : Math.floor(r() * 60)));
        const [Y, M, D, h, m, s] = [d.getUTCFullYear(), pad(d.getUTCMonth() + 1, 2), pad(d.getUTCDate(), 2), pad(d.getUTCHours(), 2), pad(d.getUTCMinutes(), 2), pad(d.getUTCSeconds(), 2)];
        return timeFormat === 'YYYYMMDDHHmm' ? `${Y}${M}${D}${h}${m}` : `${Y}-${M}-${D} ${h}:${m}:${s}`;
      }
      default: {
        const parts = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
          if (quote && chance(0.25)) return pick([delimiter, quote, '\n', '\r\n', '\r', `${quote}${quote}`]);
          return pick(TEXT);
        });
        const s = parts.join(pick(['', ' ']));
        return NULLS.includes(s) ? 'z' : s;
      }
    }
  };
  /** A field as written: quoted when it must be, and sometimes when it need not be. */
  const field = (v: string): string => {
    if (!quote) return v;
    const must = v.includes(delimiter) || v.includes(quote) || v.includes('\n') || v.includes('\r');
    return must || chance(0.15) ? `${quote}${v.replaceAll(quote, quote + quote)}${quote}` : v;
  };
  const good = () => columns.map((c) => field(value(c.type))).join(delimiter);
  const damaged = (): string => {
    const kinds: BadKind[] = quote ? ['stray quote', 'text after closing quote', 'quote inside field', 'ragged', 'not a number', 'not a boolean'] : ['ragged', 'not a number', 'not a boolean'];
    const kind = pick(kinds);
    const cells = columns.map((c) => field(value(c.type)));
    const i = Math.floor(r() * cells.length);
    switch (kind) {
      case 'stray quote':
        cells[i] = `${quote}Leave it by the door`;
        break;
      case 'text after closing quote':
        cells[i] = `${quote}ok${quote}x`;
        break;
      case 'quote inside field':
        cells[i] = `ab${quote}c`;
        break;
      case 'ragged':
        if (chance(0.5)) cells.push('extra');
        else cells.splice(Math.max(1, i));
        break;
      case 'not a number': {
        const at = columns.findIndex((c) => c.type === 'integer' || c.type === 'number');
        if (at === -1) return damaged();
        cells[at] = pick(['12abc', '1.2.3', 'abc', '1e', '--1']);
        break;
      }
      case 'not a boolean': {
        const at = columns.findIndex((c) => c.type === 'boolean');
        if (at === -1) return damaged();
        // Not 'yes' or 'y': DuckDB reads those as true, the engine rejects them (a documented difference).
        cells[at] = pick(['TRUE1', 'nope', 'ja']);
        break;
      }
      default:
        break;
    }
    bad.push(kind);
    return cells.join(delimiter);
  };

  const lines = [columns.map((c) => c.name).join(delimiter)];
  const rows = Math.floor(r() * 40);
  for (let i = 0; i < rows; i++) {
    if (chance(0.08)) lines.push('');
    lines.push(badFile && chance(0.12) ? damaged() : good());
  }
  let content = lines.map((l, i) => (i === 0 ? l : breakOf() + l)).join('');
  if (badFile && quote && chance(0.25)) {
    content += `${breakOf()}1${delimiter}${quote}open to the end`;
    bad.push('unterminated at EOF');
  } else if (chance(0.8)) content += breakOf();
  if (chance(0.15)) content = `\uFEFF${content}`;

  const targetSize = 150 + Math.floor(r() * 450);
  const relaxQuotes = quote !== '' && chance(0.15);
  // Sometimes a limit that some records exceed.
  const maxLineBytes = chance(0.15) ? 48 + Math.floor(r() * 150) : 4096;
  if (maxLineBytes < 4096) bad.push('maybe too long');
  const format = {
    type,
    nullValues: NULLS,
    maxLineBytes,
    ...(relaxQuotes ? { relaxQuotes } : {}),
    ...(type === 'csv' && delimiter !== ',' ? { delimiter } : {}),
    ...(type === 'tsv' && quote ? { quote } : {}),
  };
  const schema = { columns: Object.fromEntries(columns.map((c) => [c.name, c.type === 'timestamp' ? { type: c.type, format: timeFormat } : { type: c.type }])) };
  const pipeline = { name: 'fuzz', format, chunking: { targetSize }, qualityGate: { maxRejectRatio: 1 }, schema };
  return { name: `f${index}.${type}`, content, type, delimiter, quote, eol, columns, timeFormat, bad, targetSize, relaxQuotes, maxLineBytes, pipeline };
}
