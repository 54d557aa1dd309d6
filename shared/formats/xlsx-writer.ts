import { PassThrough } from 'node:stream';
import type ExcelJS from 'exceljs';
import { OutputError } from '../errors.js';
import type { OutputColumn } from '../process/row.js';
import type { Value } from '../rules/columns.js';
import { formatIso } from '../rules/time.js';
import type { HashingSink, PartInfo, RowWriter } from './writers.js';
import { columnLetters, loadedExcel } from './xlsx.js';

/** Rows an Excel sheet holds, the header row included. */
export const XLSX_MAX_ROWS = 1_048_576;
/** Characters an Excel cell holds. */
export const XLSX_MAX_CELL_CHARS = 32_767;
/** The first instant Excel's serial days show as the same wall time: before 1900-03-01 its calendar has a 29 February 1900. */
const EXCEL_FIRST_MS = Date.UTC(1900, 2, 1);
const EXCEL_LAST_MS = Date.UTC(10000, 0, 1) - 1;
/** Every zip entry and the document properties carry this date, so the same rows give the same bytes. */
const PINNED = new Date(Date.UTC(1980, 0, 1));
/** Characters XML 1.0 cannot hold (exceljs would drop them): C0 controls but tab, LF and CR, and lone surrogates. */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

interface ZipLike {
  append(source: unknown, data: { name: string; date?: Date }): unknown;
}
type WorkbookWriterBase = new (options: Partial<ExcelJS.stream.xlsx.WorkbookStreamWriterOptions> & { created?: Date; modified?: Date; creator?: string; lastModifiedBy?: string }) => ExcelJS.stream.xlsx.WorkbookWriter & { zip: ZipLike; addThemes(): Promise<void> };

/**
 * exceljs's streaming writer with one date on every zip entry: archiver stamps each with the
 * time it is added. `addThemes` is the constructor's first append, so the pin covers them all.
 * Made on first use, as exceljs is loaded then.
 */
let pinnedWriter: WorkbookWriterBase | undefined;
function pinnedWorkbookWriter(): WorkbookWriterBase {
  return (pinnedWriter ??= class extends (loadedExcel().stream.xlsx.WorkbookWriter as unknown as WorkbookWriterBase) {
    override addThemes(): Promise<void> {
      const zip = this.zip;
      const append = zip.append.bind(zip);
      zip.append = (source, data) => append(source, { ...data, date: PINNED });
      return super.addThemes();
    }
  });
}

/** The number format a column's cells show: ISO 8601 for times (UTC, as every output prints them). */
function numberFormat(c: OutputColumn): string | undefined {
  // Seconds shown, milliseconds kept in the value: readers that tell dates by their format know this one.
  if (c.type === 'timestamp') return 'yyyy-mm-dd hh:mm:ss';
  if (c.type === 'date') return 'yyyy-mm-dd';
  return undefined;
}

/**
 * Results as one sheet of an xlsx workbook, streamed (exceljs's WorkbookWriter, inline strings):
 * typed cells (numbers, booleans, dates and times as Excel dates), a bold, filled header row
 * frozen above the data. A time Excel cannot show (before 1900-03-01) is written as its ISO
 * text. What a sheet cannot hold is refused with an OutputError naming the part, the row and the
 * column: more than XLSX_MAX_ROWS rows, a text longer than XLSX_MAX_CELL_CHARS, or a character
 * XML cannot carry, which exceljs would otherwise drop without a word. exceljs must be loaded
 * first (`loadExcel`).
 */
export class XlsxRowWriter implements RowWriter {
  private readonly stream = new PassThrough();
  private readonly workbook: InstanceType<WorkbookWriterBase>;
  private readonly sheet: ExcelJS.Worksheet;
  private readonly zipped: Buffer[] = [];
  private readonly ended: Promise<void>;
  private rows = 0;

  constructor(
    private readonly sink: HashingSink,
    private readonly columns: readonly OutputColumn[],
  ) {
    this.stream.on('data', (c: Buffer) => this.zipped.push(c));
    this.ended = new Promise((resolve, reject) => {
      this.stream.on('end', resolve);
      this.stream.on('error', reject);
    });
    this.ended.catch(() => undefined);
    this.workbook = new (pinnedWorkbookWriter())({ stream: this.stream, useStyles: true, useSharedStrings: false, created: PINNED, modified: PINNED, creator: 'Sluice', lastModifiedBy: 'Sluice' });
    this.sheet = this.workbook.addWorksheet('results', { views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }] });
    this.sheet.columns = columns.map((c) => {
      const numFmt = numberFormat(c);
      return { key: c.name, width: Math.min(60, Math.max(10, c.name.length + 2, c.type === 'timestamp' ? 26 : 0)), ...(numFmt ? { style: { numFmt } } : {}) };
    });
    const header = this.sheet.addRow(columns.map((c) => c.name));
    header.eachCell((cell) => {
      cell.font = { bold: true };
      cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } };
      cell.numFmt = 'General';
    });
    header.commit();
  }

  write(values: readonly Value[]): void {
    if (this.rows + 1 >= XLSX_MAX_ROWS) {
      throw new OutputError(`${this.sink.key}: more than ${(XLSX_MAX_ROWS - 1).toLocaleString('en')} rows do not fit one sheet (Excel's limit is ${XLSX_MAX_ROWS.toLocaleString('en')} with the header); make chunking.targetSize smaller or use another output.format`);
    }
    const cells = values.map((v, i) => this.cell(v, i));
    this.sheet.addRow(cells).commit();
    this.rows++;
  }

  private cell(v: Value, i: number): ExcelJS.CellValue {
    if (v === null) return null;
    const c = this.columns[i]!;
    if (typeof v === 'number') {
      if (c.type === 'timestamp' || c.type === 'date') {
        if (v >= EXCEL_FIRST_MS && v <= EXCEL_LAST_MS) return new Date(v);
        const text = formatIso(v);
        return c.type === 'date' ? text.slice(0, text.length - 14) : text;
      }
      return Number.isFinite(v) ? v : null;
    }
    if (typeof v === 'boolean') return v;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    if (text.length > XLSX_MAX_CELL_CHARS || NOT_XML.test(text)) {
      const where = `${this.sink.key}: cell ${columnLetters(i)}${this.rows + 2} (column ${JSON.stringify(c.name)})`;
      const bad = NOT_XML.exec(text);
      throw new OutputError(
        bad
          ? `${where} holds U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, which an xlsx cell cannot hold; use output.format jsonl or csv, or remove it with a derive`
          : `${where} holds ${text.length.toLocaleString('en')} characters; an Excel cell holds at most ${XLSX_MAX_CELL_CHARS.toLocaleString('en')}`,
      );
    }
    return text;
  }

  /** Hands what the zip has produced so far to the sink. */
  async flush(): Promise<void> {
    while (this.zipped.length > 0) await this.sink.write(this.zipped.shift()!);
  }

  async close(): Promise<PartInfo> {
    this.sheet.commit();
    await this.workbook.commit();
    await this.ended;
    await this.flush();
    return this.sink.commit(this.rows);
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    this.zipped.length = 0;
    await this.sink.target.abort();
  }
}
