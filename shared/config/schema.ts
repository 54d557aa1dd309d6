import { z } from 'zod';

/** A key prefix inside incoming/: relative, no '..' or '.' segments, so it cannot reach other prefixes. */
const keyPrefix = z
  .string()
  .max(512)
  .refine((v) => !v.startsWith('/') && !v.split('/').some((seg) => seg === '..' || seg === '.'), 'must stay inside incoming/: no leading "/" and no "." or ".." segments');

const byteSize = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 64MB')])
  .describe('Bytes, or a size such as "64MB"');

export const ColumnType = z.enum(['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'enum']);

export const ColumnSchema = z
  .strictObject({
    type: ColumnType.default('string').describe('string, integer, number, boolean, date, timestamp or enum'),
    required: z.boolean().default(false).describe('A null or empty value is a reject'),
    min: z.union([z.number(), z.string()]).optional().describe('Smallest allowed value (number, or ISO date/time)'),
    max: z.union([z.number(), z.string()]).optional().describe('Largest allowed value (number, or ISO date/time)'),
    pattern: z.string().optional().describe('Regular expression a string value must match in full'),
    length: z
      .union([
        z.number().int().nonnegative(),
        z.strictObject({
          min: z.number().int().nonnegative().optional().describe('Shortest allowed length'),
          max: z.number().int().positive().optional().describe('Longest allowed length'),
        }),
      ])
      .optional()
      .describe('Exact length, or {min, max}'),
    format: z
      .string()
      .optional()
      .describe('For date/timestamp: a pattern of dayjs/moment tokens (YYYY M MM MMM D DD H HH h hh A m mm s ss SSS Z ZZ, [literal text]), e.g. "YYYYMMDDHHmm" or "M/D/YYYY H:mm"; "iso" (ISO 8601, the default) or "excel" (serial days)'),
    timezone: z.string().optional().describe('For date/timestamp: the IANA zone of times written without an offset (e.g. "America/New_York"); UTC when absent'),
    values: z.array(z.string()).optional().describe('Allowed values of an enum column'),
    source: z.string().optional().describe('Header name in the file, when it differs from the column name'),
    allowMissing: z.boolean().default(false).describe('The column may be absent from the header (its values are then null); otherwise a missing column is an error'),
    nullValues: z.array(z.string()).optional().describe('Markers read as null in this column, instead of format.nullValues'),
    trim: z.boolean().default(false).describe('Spaces and tabs around a value are dropped before it is read; otherwise they make a number, date or boolean a reject'),
    thousands: z.enum([',', '.', "'", ' ']).optional().describe('For numbers: a thousands separator to drop, between groups of three digits ("1,137")'),
    decimal: z.enum(['.', ',']).default('.').describe('For numbers: the decimal mark'),
    currency: z.boolean().default(false).describe('For numbers: one leading or trailing currency symbol ($ € £ ¥ …), with spaces around it, is allowed'),
  })
  .superRefine((c, ctx) => {
    const numeric = c.type === 'number' || c.type === 'integer';
    for (const key of ['thousands', 'currency'] as const) {
      if (c[key] !== undefined && c[key] !== false && !numeric) ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies to number and integer columns, not ${c.type}` });
    }
    if (c.timezone !== undefined && c.type !== 'timestamp') ctx.addIssue({ code: 'custom', path: ['timezone'], message: `timezone applies to timestamp columns; a ${c.type} has no time of day to place` });
    if (c.decimal === ',' && !numeric) ctx.addIssue({ code: 'custom', path: ['decimal'], message: `decimal applies to number and integer columns, not ${c.type}` });
    if (c.thousands !== undefined && c.thousands === c.decimal) ctx.addIssue({ code: 'custom', path: ['thousands'], message: `the thousands separator cannot also be the decimal mark ("${c.decimal}")` });
    if (c.type === 'enum' && !c.values?.length) ctx.addIssue({ code: 'custom', path: ['values'], message: 'an enum column needs values' });
    if (c.pattern !== undefined) {
      try {
        new RegExp(c.pattern);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${(e as Error).message}` });
      }
    }
  });

export const FormatSchema = z.strictObject({
  type: z.enum(['csv', 'tsv', 'jsonl', 'xlsx']).default('csv').describe('csv, tsv, jsonl (one JSON object a line), or xlsx (an Excel workbook: one sheet, read as one chunk)'),
  sheet: z.union([z.string().min(1), z.number().int().positive()]).default(1).describe('xlsx: the sheet to read, by name or 1-based position'),
  delimiter: z.string().length(1).optional().describe('Field separator; "," for csv and "\\t" for tsv by default'),
  quote: z.union([z.string().length(1), z.literal(false)]).optional().describe('Quote character, or false for none; csv: \'"\', tsv: none'),
  header: z.boolean().default(true).describe('The first line names the columns; false reads columns by position, in schema order'),
  skipRows: z
    .union([z.number().int().nonnegative(), z.array(z.number().int().positive()).max(10_000)])
    .default(0)
    .describe("Lines skipped as pandas' skiprows skips them: a count of lines before the header, or a list of 1-based line numbers ([2]: a units row under the header). Counted in the report, never rejects"),
  comment: z.string().min(1).optional().describe('A line that starts with this text is skipped and counted, wherever it is (e.g. "#")'),
  relaxQuotes: z
    .boolean()
    .default(false)
    .describe('Keep quotes inside unquoted fields and text after a closing quote literally, instead of rejecting the record (RFC 4180 is strict)'),
  nullValues: z.array(z.string()).default(['']).describe('Markers read as null, e.g. ["", "NA", "-9999"]'),
  encoding: z.enum(['utf-8']).default('utf-8').describe('Text encoding; only utf-8'),
  compression: z.enum(['auto', 'gzip', 'none']).default('auto').describe('auto: gzip when the key ends in .gz or the bytes start as gzip'),
  maxLineBytes: z.number().int().positive().default(1024 * 1024).describe('A longer record is rejected'),
});

export const ChunkingSchema = z.strictObject({
  strategy: z.enum(['bytes', 'rows', 'whole-file']).default('bytes').describe('bytes: chunks of targetSize; rows: of about targetRows; whole-file: one chunk'),
  targetSize: byteSize.default('64MB').describe('Chunk size for strategy bytes'),
  targetRows: z.number().int().positive().default(500_000).describe('Approximate rows per chunk for strategy rows'),
  scanWindow: byteSize
    .default('1GB')
    .describe('Quoted formats, in AWS: the boundary scan of a larger file runs in windows of about this size, each its own Plan invocation (sluice run scans in one pass); the chunks are the same whatever it is'),
});

const Severity = z.enum(['error', 'warn']);
const datasetSeverity = Severity.default('error').describe('error fails the job; warn only reports');
const datasetRuleName = z.string().optional().describe('Name in the report');
/** An anomaly rule's metric: a job figure, or a column figure of an output column. */
export const ANOMALY_METRIC = /^(rowsIn|rowsOut|rowsRejected|rowsFiltered|rejectRatio|durationMs|(nullRatio|distinct)\((.+)\))$/;

export const RowRuleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][\w-]*$/).describe('Rule name, as rejects and the report show it'),
  expr: z.string().min(1).describe('CEL expression over the row\'s columns; true means the row passes'),
  severity: Severity.default('error').describe('error rejects the row; warn only counts it'),
  message: z.string().optional().describe('Reject message; "rule <name> failed: <expr>" when absent'),
});

const clock = (end: boolean) => z.string().regex(end ? /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/ : /^([01]\d|2[0-3]):[0-5]\d$/, end ? 'HH:MM, 00:01 to 24:00' : 'HH:MM, 00:00 to 23:59');
/** `YYYY-MM-DD` naming a day that exists (no 2024-02-30). */
export const isCalendarDate = (d: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').refine(isCalendarDate, 'not a calendar date');

export const CompletenessCalendarSchema = z
  .strictObject({
    weekdays: z
      .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
      .min(1)
      .default(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])
      .describe('Days on which slots are expected'),
    holidays: z.array(isoDate).default([]).describe('Dates (YYYY-MM-DD, at utcOffset) on which no slot is expected'),
    holidaysFile: z.string().optional().describe('A file of holidays, one YYYY-MM-DD a line (# starts a comment), relative to the config; read when the config is loaded'),
    hours: z
      .strictObject({ from: clock(false).default('00:00').describe('First working minute (HH:MM)'), to: clock(true).default('24:00').describe('End of the working day (HH:MM, up to 24:00)') })
      .default({ from: '00:00', to: '24:00' })
      .describe('Working hours: a slot is expected when it starts at or after from and before to'),
    utcOffset: z.string().regex(/^[+-](0\d|1[0-4]):[0-5]\d$/, 'an offset such as +01:00').default('+00:00').describe('The offset the calendar reads times at (instrument data keep standard time)'),
  })
  .refine((c) => c.hours.from < c.hours.to, { message: 'hours.from must be before hours.to', path: ['hours'] });
export type CompletenessCalendar = z.infer<typeof CompletenessCalendarSchema>;

export const DatasetRuleSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('unique').describe('No two rows share the values of these columns'),
    name: datasetRuleName,
    columns: z.array(z.string()).min(1).describe('Schema columns that together identify a row'),
    severity: datasetSeverity,
  }),
  z.strictObject({
    type: z.literal('completeness').describe('A time column has a value in every slot of the interval (distinct slots, per group)'),
    name: datasetRuleName,
    column: z.string().describe('A date or timestamp column'),
    interval: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'an interval such as 30m').describe('Expected step between values, e.g. 30m'),
    groupBy: z
      .array(z.string())
      .default([])
      .describe('Output columns (e.g. a site id) whose values split the rows into groups; each group is expected from its own first to its last slot'),
    min: z.number().min(0).max(1).default(1).describe('Smallest accepted ratio of present to expected time slots, over all groups'),
    calendar: CompletenessCalendarSchema.optional().describe('Slots outside it (weekends, holidays, off hours) are not expected, and not counted missing'),
    severity: datasetSeverity,
  }),
  z.strictObject({
    type: z.literal('rowCount').describe('The number of rows is within bounds'),
    name: datasetRuleName,
    min: z.number().int().nonnegative().optional().describe('Fewest rows'),
    max: z.number().int().positive().optional().describe('Most rows'),
    severity: datasetSeverity,
  }),
  z
    .strictObject({
      type: z.literal('anomaly').describe("A job's metric against the pipeline's run history: a relative change, bounds, or standard deviations"),
      name: datasetRuleName,
      metric: z
        .string()
        .regex(ANOMALY_METRIC, 'rowsIn, rowsOut, rowsRejected, rowsFiltered, rejectRatio, durationMs, nullRatio(COLUMN) or distinct(COLUMN)')
        .describe('What is measured: rowsIn, rowsOut, rowsRejected, rowsFiltered, rejectRatio, durationMs, nullRatio(COLUMN) or distinct(COLUMN) of an output column'),
      window: z.number().int().min(1).max(1000).default(10).describe('The last N succeeded jobs of the pipeline the metric is held against'),
      minRuns: z.number().int().min(1).default(3).describe('Fewer runs in the history than this: the rule passes and says so (bounds need no history)'),
      maxChange: z.number().positive().optional().describe('Largest accepted change against the window mean, as a fraction (0.5: ±50%)'),
      stddevs: z.number().positive().optional().describe('Largest accepted distance from the window mean, in standard deviations of the window'),
      min: z.number().optional().describe('Smallest accepted value'),
      max: z.number().optional().describe('Largest accepted value'),
      severity: datasetSeverity,
    })
    .refine((r) => [r.maxChange !== undefined, r.stddevs !== undefined, r.min !== undefined || r.max !== undefined].filter(Boolean).length === 1, {
      message: 'give exactly one test: maxChange, stddevs, or min and/or max',
    })
    .refine((r) => r.minRuns <= r.window, { message: 'minRuns is more than the window holds: the rule could never judge', path: ['minRuns'] }),
]);

export const TransformSchema = z.strictObject({
  select: z.array(z.string()).optional().describe('Columns to keep, in order (after derive)'),
  rename: z.record(z.string(), z.string().min(1)).optional().describe('old name → new name, applied last'),
  cast: z.record(z.string(), ColumnType.exclude(['enum'])).optional().describe('column → type after validation'),
  derive: z.record(z.string(), z.string()).optional().describe('new column → CEL expression'),
  filter: z.string().optional().describe('CEL expression; rows where it is false are filtered (counted, not rejected)'),
});

export const OutputSchema = z.strictObject({
  format: z.enum(['jsonl', 'csv', 'parquet', 'xlsx']).default('jsonl').describe('Format of the result parts (xlsx: one sheet per part, at most 1,048,575 rows)'),
  partitionBy: z.array(z.string()).default([]).describe('Output columns; parts go under col=value/'),
});

export const RetrySchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).default(3).describe('Attempts in all, the first included'),
  baseDelayMs: z.number().int().min(0).default(200).describe('Backoff before the first retry; doubles each retry'),
  maxDelayMs: z.number().int().min(0).default(10_000).describe('Longest backoff'),
  jitter: z.enum(['full', 'none']).default('full').describe('full: a random wait up to the backoff; none: the whole backoff'),
});

export const ComputeSchema = z.strictObject({
  type: z.enum(['lambda', 'fargate']).default('lambda').describe('Where chunks run in AWS: a Lambda or an ECS Fargate task'),
  memoryMb: z.number().int().min(128).max(30720).default(1024).describe('Memory of the work λ or Fargate task, in MB'),
  timeoutSeconds: z.number().min(0.01).max(900).default(900).describe('A chunk running longer is stopped and retried (the work λ timeout in AWS)'),
  command: z.array(z.string()).min(1).optional().describe('External program run on each chunk\'s validated output (SLUICE_INPUT), writing into SLUICE_OUTPUT_DIR: in the Fargate task in AWS, on the worker pool locally'),
  retryExitCodes: z.array(z.number().int().min(1).max(255)).default([]).describe('Exit codes of command that are transient: retried by the retry policy (others fail the chunk)'),
  chunksPerInvocation: z
    .union([z.literal('auto'), z.number().int().min(1).max(100)])
    .default('auto')
    .describe('Lambda only: chunks one work invocation takes; auto takes as many small chunks as make 64 MiB (at most 100)'),
});

const collectColumn = z.string().min(1);
export const CollectSchema = z.strictObject({
  dedupe: z
    .strictObject({
      key: z.array(collectColumn).min(1).describe('Output columns whose values together identify a row across files (null equals null)'),
      keep: z
        .union([
          z.enum(['first', 'last']),
          z.strictObject({ max: collectColumn.describe('The row with the largest value of this column stays') }),
          z.strictObject({ min: collectColumn.describe('The row with the smallest value of this column stays') }),
        ])
        .default('first')
        .describe('Which row of a key stays: first or last (files in key order, then rows in file order), or the row with the max or min of a column (nulls lose; ties keep the first)'),
    })
    .optional()
    .describe('Drop rows whose key an earlier kept row has'),
  sort: z.array(collectColumn).default([]).describe('Output columns the combined rows are sorted by, ascending, nulls last; rows that tie stay in file order'),
  schemaDrift: z.enum(['fail', 'union']).default('fail').describe('Files that disagree on columns (missing, extra kept, or a type change): fail the collection, or combine them as they are'),
});

const cron = z.string().regex(/^cron\(.+\)$|^rate\(.+\)$/, 'cron(...) or rate(...) as EventBridge writes it');

export const PipelineSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes').describe('Pipeline name: lowercase letters, digits and dashes'),
    match: z
      .strictObject({
        prefix: keyPrefix.optional().describe('Key prefix (relative to incoming/ in the cloud)'),
        suffix: z.string().max(256).optional().describe('Key suffix, e.g. ".tsv"'),
        glob: keyPrefix.optional().describe('Glob over the key, e.g. "sites/*/*.tsv"'),
      })
      .default({})
      .describe('Which object keys or file names this pipeline takes'),
    format: FormatSchema.default(FormatSchema.parse({})).describe('How records are read'),
    chunking: ChunkingSchema.default(ChunkingSchema.parse({})).describe('How a file is split into chunks processed in parallel'),
    schema: z
      .strictObject({
        columns: z.record(z.string(), ColumnSchema).describe('Column name → type and checks'),
        unknownColumns: z.enum(['ignore', 'keep', 'reject']).default('ignore').describe('Header columns not in the schema'),
      })
      .describe('The columns and their checks'),
    rules: z
      .strictObject({
        row: z.array(RowRuleSchema).default([]).describe('CEL rules every row must pass'),
        dataset: z.array(DatasetRuleSchema).default([]).describe('Rules over all rows, checked when the job finalizes'),
      })
      .default({ row: [], dataset: [] })
      .describe('Row and dataset rules'),
    transform: TransformSchema.default({}).describe('Per row, after the checks: derive, filter, cast, select, rename'),
    output: OutputSchema.default(OutputSchema.parse({})).describe('How results are written'),
    onBadRow: z.enum(['quarantine', 'fail-chunk', 'fail-job']).default('quarantine').describe('A rejected row: quarantine (rejects file), fail-chunk or fail-job'),
    qualityGate: z
      .strictObject({ maxRejectRatio: z.number().min(0).max(1).default(0.1).describe('The job fails above this share of rejected rows') })
      .default({ maxRejectRatio: 0.1 })
      .describe('When rejected rows fail the job'),
    retry: RetrySchema.default(RetrySchema.parse({})).describe('Backoff for a failed chunk, locally, in the Fargate task and in the state machine'),
    compute: ComputeSchema.default(ComputeSchema.parse({})).describe('What runs a chunk'),
    collect: CollectSchema.optional().describe("The files of one run become one dataset: combined, deduplicated, sorted, with its own results, report and _SUCCESS"),
    schedule: z
      .strictObject({
        cron: cron.describe('EventBridge schedule: cron(...) or rate(...)'),
        prefix: keyPrefix.optional().describe('The sweep runs the pipeline over incoming/<prefix>'),
      })
      .optional()
      .describe('Cloud only: run on this schedule'),
  })
  .superRefine((p, ctx) => {
    if (p.compute.command && p.compute.type !== 'fargate') {
      ctx.addIssue({ code: 'custom', path: ['compute', 'command'], message: 'command needs compute.type fargate' });
    }
    if (p.collect && p.output.format !== 'jsonl') ctx.addIssue({ code: 'custom', path: ['collect'], message: `collect combines JSON lines results; output.format is ${p.output.format}` });
    if (p.collect && p.output.partitionBy.length) ctx.addIssue({ code: 'custom', path: ['collect'], message: 'collect keeps one file order, so results cannot be partitioned (output.partitionBy)' });
    // A workbook has cells, not text lines: the text-file options would be silently ignored.
    if (p.format.type === 'xlsx') {
      for (const key of ['comment', 'delimiter', 'quote'] as const) {
        if (p.format[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['format', key], message: `${key} applies to text formats, not xlsx` });
      }
    }
  });

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors'),
  version: z.literal(1).default(1).describe('Config format version'),
  pipelines: z.array(PipelineSchema).min(1).describe('A file runs through the first pipeline whose match takes it'),
});

export type Config = z.infer<typeof ConfigSchema>;
export type Pipeline = z.infer<typeof PipelineSchema>;
export type OutputFormat = Pipeline['output']['format'];
export type Column = z.infer<typeof ColumnSchema>;
export type ColumnTypeName = z.infer<typeof ColumnType>;
export type DatasetRule = z.infer<typeof DatasetRuleSchema>;
export type Collect = z.infer<typeof CollectSchema>;
export type RetryPolicy = z.infer<typeof RetrySchema>;
