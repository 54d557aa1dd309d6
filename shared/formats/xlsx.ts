import { Readable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { InputError } from '../errors.js';

/** One row of a sheet: its 1-based number and its cells as text, or why a cell cannot be read. */
export interface SheetRow {
  readonly row: number;
  readonly cells: string[];
  readonly malformed: string | undefined;
}

let exceljs: typeof ExcelJS | undefined;
/** exceljs, loaded on first use: it takes about a quarter of a second to load, and most runs touch no workbook. */
export async function loadExcel(): Promise<typeof ExcelJS> {
  return (exceljs ??= (await import('exceljs')).default);
}
/** exceljs once `loadExcel` has loaded it (writers are made synchronously). */
export function loadedExcel(): typeof ExcelJS {
  if (!exceljs) throw new Error('exceljs is not loaded yet: await loadExcel() first');
  return exceljs;
}

/** A1-style column letters of a 0-based column index: 0 → A, 26 → AA. */
export function columnLetters(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * A cell as the text the column checks read: numbers as JavaScript prints them, dates as ISO
 * 8601 (a workbook has no time zone: its wall time is read as UTC), booleans as true/false,
 * rich text joined, a formula as its cached value, an error as its code (#DIV/0!).
 */
function cellText(v: unknown, ref: string): string | { malformed: string } {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? { malformed: `cell ${ref} holds an invalid date` } : v.toISOString();
  const o = v as { richText?: { text: string }[]; formula?: string; sharedFormula?: string; result?: unknown; error?: string; text?: unknown };
  if (Array.isArray(o.richText)) return o.richText.map((r) => r.text).join('');
  if (o.formula !== undefined || o.sharedFormula !== undefined) {
    if (o.result === undefined) return { malformed: `cell ${ref} is a formula with no cached value that can be read (none was saved, or it is an error such as #VALUE!, which exceljs's streaming reader does not give; save the workbook from a spreadsheet program to compute it)` };
    return cellText(o.result, ref);
  }
  if (typeof o.error === 'string') return o.error;
  if (o.text !== undefined) return cellText(o.text, ref);
  return { malformed: `cell ${ref} holds a value Sluice cannot read (${JSON.stringify(v).slice(0, 60)})` };
}

/**
 * Streams the rows of one sheet (a name, or a 1-based position among the workbook's sheets) in
 * bounded memory: exceljs's streaming WorkbookReader, shared strings cached, styles read so that
 * date cells come out as dates. Rows with no cells are not yielded (their numbers are skipped).
 */
export async function* sheetRows(bytes: AsyncIterable<Uint8Array>, sheet: string | number, file: string): AsyncGenerator<SheetRow & { readonly sheet: string }> {
  const reader = new (await loadExcel()).stream.xlsx.WorkbookReader(Readable.from(bytes), { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'emit' } as ExcelJS.stream.xlsx.WorkbookStreamReaderOptions);
  let position = 0;
  const seen: string[] = [];
  try {
    for await (const ws of reader as AsyncIterable<ExcelJS.stream.xlsx.WorksheetReader & { name: string; id: number }>) {
      position++;
      seen.push(ws.name);
      const wanted = typeof sheet === 'number' ? position === sheet : ws.name === sheet;
      if (!wanted) {
        // Rows of other sheets are read past, not kept.
        for await (const _ of ws) void _;
        continue;
      }
      for await (const row of ws as AsyncIterable<ExcelJS.Row>) {
        const values = row.values as unknown[];
        const cells: string[] = [];
        let malformed: string | undefined;
        for (let c = 1; c < values.length; c++) {
          const t = cellText(values[c], `${ws.name}!${columnLetters(c - 1)}${row.number}`);
          if (typeof t === 'string') cells.push(t);
          else {
            cells.push('');
            malformed ??= t.malformed;
          }
        }
        yield { row: row.number, cells, malformed, sheet: ws.name };
      }
      return;
    }
  } catch (e) {
    throw new InputError(file, 0, `not a readable xlsx workbook: ${(e as Error).message.split('\n')[0]}`);
  }
  throw new InputError(file, 0, `format.sheet: the workbook has no sheet ${typeof sheet === 'number' ? `number ${sheet}` : `"${sheet}"`} (its sheets: ${seen.join(', ') || 'none'})`);
}

/** Where a sheet's data starts and what the planner found above it. */
export interface SheetHead {
  readonly header: string[] | undefined;
  /** Rows above the header (or, without one, above the first record) that are skipped. */
  readonly skippedBefore: number;
  readonly headerLines: number;
}

/** The rows skipRows and the header take at the top of a sheet (the planner's part). */
export async function readSheetHead(bytes: AsyncIterable<Uint8Array>, format: { readonly sheet: string | number; readonly header: boolean; readonly skipRows: number | readonly number[] }, file: string): Promise<SheetHead> {
  const skip = (row: number) => (typeof format.skipRows === 'number' ? row <= format.skipRows : format.skipRows.includes(row));
  if (!format.header) {
    let top = 0;
    while (skip(top + 1)) top++;
    return { header: undefined, skippedBefore: top, headerLines: 0 };
  }
  for await (const r of sheetRows(bytes, format.sheet, file)) {
    if (skip(r.row)) continue;
    if (r.malformed) throw new InputError(file, r.row, `the header cannot be read: ${r.malformed}`);
    // Trailing empty cells are no columns.
    const cells = [...r.cells];
    while (cells.length && cells[cells.length - 1] === '') cells.pop();
    if (cells.length === 0) continue;
    return { header: cells, skippedBefore: r.row - 1, headerLines: 1 };
  }
  throw new InputError(file, 1, 'the sheet has no header row');
}

/** What reading a sheet's records counted: rows in all (up to the last), blank ones, skipped ones. */
export interface SheetTotals {
  lines: number;
  blankLines: number;
  skippedLines: number;
  bytes: number;
}

/**
 * The records of a sheet below `dataStartRow`, as the delimited reader gives them: fields padded to
 * the header's width (a workbook leaves trailing empty cells out), `line` counted from the first
 * data row, the raw record as its cells joined by tabs. Rows with no cells are blank lines; listed
 * skipRows rows are skipped; `onBlockEnd` runs every few thousand rows, for backpressure.
 */
export async function readSheetRecords(
  bytes: AsyncIterable<Uint8Array>,
  options: { readonly file: string; readonly sheet: string | number; readonly skipRows: number | readonly number[]; readonly dataStartRow: number; readonly width: number },
  onRecord: (record: { fields: string[]; object: undefined; line: number; malformed: string | undefined; raw(): string; offset(): number }, cellRef: (column: number) => string) => void,
  onBlockEnd: () => Promise<void> | void,
): Promise<SheetTotals> {
  const listed = typeof options.skipRows === 'number' ? new Set<number>() : new Set(options.skipRows);
  const totals: SheetTotals = { lines: 0, blankLines: 0, skippedLines: 0, bytes: 0 };
  let last = options.dataStartRow - 1;
  let sinceFlush = 0;
  for await (const r of sheetRows(bytes, options.sheet, options.file)) {
    if (r.row < options.dataStartRow) continue;
    // Row numbers a sheet leaves out are empty rows.
    totals.blankLines += r.row - last - 1;
    last = r.row;
    if (listed.has(r.row)) {
      totals.skippedLines++;
      continue;
    }
    const fields = r.cells.length < options.width ? [...r.cells, ...Array<string>(options.width - r.cells.length).fill('')] : r.cells;
    if (r.malformed === undefined && fields.every((f) => f === '')) {
      totals.blankLines++;
      continue;
    }
    const sheet = r.sheet;
    const row = r.row;
    onRecord({ fields, object: undefined, line: row - options.dataStartRow + 1, malformed: r.malformed, raw: () => r.cells.join('\t'), offset: () => 0 }, (c) => `${sheet}!${columnLetters(c)}${row}`);
    if (++sinceFlush >= 4096) {
      sinceFlush = 0;
      await onBlockEnd();
    }
  }
  totals.lines = last - options.dataStartRow + 1;
  return totals;
}
