import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigError, loadConfig, parseConfig } from '../../../shared/config/index.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

/** The messages of every problem parseConfig finds in a one-pipeline config, or [] when it is valid. */
function problems(pipeline: Record<string, unknown>): string[] {
  try {
    parseConfig({ pipelines: [{ name: 'p', ...pipeline }] });
  } catch (e) {
    if (e instanceof InvalidConfigError) return e.errors.map((x) => x.message);
    throw e;
  }
  return [];
}

const FLUX_LIKE = `pipelines:
  - name: flux
    format: { type: csv, delimiter: '"', nullValues: ["", "NA"], delimeter: ";" }
    schema:
      columns:
        TA: { type: number, min: 60, max: -60 }
        TIMESTAMP_START: { type: timestamp, format: "DD/MM/YY HH:mm", required: true }
        SITE_ID: { type: string }
    rules:
      row:
        - { name: warm, expr: "TA > 0.0" }
        - { name: broken, expr: "TA >" }
    transform:
      select: [SITE_ID, TAA, TIMESTAMP_START]
    output: { partitionBy: [year] }
  - name: Second Pipeline
    schema: { columns: { a: {} } }
`;

describe('config check', () => {
  it('reports every problem of a config in one pass, schema problems first, each with its path', async () => {
    const file = join(dir, 'flux.yaml');
    await writeFile(file, FLUX_LIKE);
    const error = await loadConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidConfigError);
    // What `sluice validate` prints: the message from the file name on.
    const { message } = error as InvalidConfigError;
    expect(message.slice(message.indexOf(file))).toBe(
      [
        `${file}: 8 problem(s)`,
        '  pipelines[0].format: unknown key "delimeter" (did you mean "delimiter"?)',
        '  pipelines[1].name: lowercase letters, digits and dashes',
        '  pipelines[0].format.delimiter: "\\"" is also the csv quote (set format.quote to another character or false)',
        '  pipelines[0].schema.columns.TA.min: 60 is greater than max -60',
        '  pipelines[0].schema.columns.TIMESTAMP_START.format: format "DD/MM/YY HH:mm" has no YYYY',
        '  pipelines[0].rules.row[1].expr: CEL does not parse: Unexpected token: EOF',
        '  pipelines[0].transform.select[1]: unknown column "TAA" (did you mean "TA"?)',
        '  pipelines[0].output.partitionBy[0]: "year" is not an output column',
      ].join('\n'),
    );
  });

  it('compiles every CEL expression: row rules, derive (each visible to the next) and filter', () => {
    expect(
      problems({
        schema: { columns: { n: { type: 'number', required: true } } },
        rules: { row: [{ name: 'r', expr: 'n + 1.0' }] },
        transform: { derive: { twice: 'n * 2.0', half: 'twice / 2.0', bad: 'm * 2.0' }, filter: 'half >' },
      }),
    ).toEqual([
      'pipelines[0].rules.row[0].expr: CEL expression must be a bool, not double',
      'pipelines[0].transform.derive.bad: CEL does not type-check: Unknown variable: m',
      'pipelines[0].transform.filter: CEL does not parse: Unexpected token: EOF',
    ]);
  });

  it('refuses a min above max, for numbers, dates, timestamps, lengths and row counts', () => {
    expect(
      problems({
        schema: {
          columns: {
            n: { type: 'integer', min: 3, max: 2 },
            d: { type: 'date', min: '2024-02-01', max: '2024-01-31' },
            t: { type: 'timestamp', min: '2024-01-01T00:00:01Z', max: '2024-01-01T00:00:00Z' },
            s: { length: { min: 5, max: 4 } },
          },
        },
        rules: { dataset: [{ type: 'rowCount', min: 10, max: 9 }] },
      }),
    ).toEqual([
      'pipelines[0].schema.columns.n.min: 3 is greater than max 2',
      'pipelines[0].schema.columns.d.min: "2024-02-01" is greater than max "2024-01-31"',
      'pipelines[0].schema.columns.t.min: "2024-01-01T00:00:01Z" is greater than max "2024-01-01T00:00:00Z"',
      'pipelines[0].schema.columns.s.length.min: 5 is greater than max 4',
      'pipelines[0].rules.dataset[0].min: 10 is greater than max 9',
    ]);
  });

  it('refuses bounds that are not of the column type', () => {
    expect(problems({ schema: { columns: { n: { type: 'number', min: '2024-01-01' }, d: { type: 'date', max: 'soon' } } } })).toEqual([
      'pipelines[0].schema.columns.n.min: "2024-01-01" is not a number',
      'pipelines[0].schema.columns.d.max: "soon" is not an ISO date',
    ]);
  });

  it('refuses a delimiter equal to the quote and line breaks as delimiter or quote', () => {
    const columns = { schema: { columns: { a: {} } } };
    expect(problems({ format: { delimiter: '|', quote: '|' }, ...columns })).toEqual(['pipelines[0].format.delimiter: "|" is also format.quote']);
    expect(problems({ format: { type: 'tsv', delimiter: '\n', quote: '\r' }, ...columns })).toEqual([
      'pipelines[0].format.delimiter: a line break cannot be the delimiter',
      'pipelines[0].format.quote: a line break cannot be the quote',
    ]);
    expect(problems({ format: { delimiter: '"', quote: false }, ...columns })).toEqual([]);
    expect(problems({ format: { type: 'tsv', delimiter: '"' }, ...columns })).toEqual([]);
  });

  it('suggests the near name of an unknown column in dataset rules, select, cast, rename and partitionBy', () => {
    expect(
      problems({
        schema: { columns: { SITE_ID: {}, TA: { type: 'number' }, TIMESTAMP_START: { type: 'timestamp' } } },
        rules: { dataset: [{ type: 'unique', columns: ['site_id', 'TIMESTAMP_STRAT'] }, { type: 'completeness', column: 'TIMESTAMP', interval: '30m' }] },
        transform: { select: ['SITE_ID', 'TA'], cast: { TAA: 'string' }, rename: { SITE: 'site' } },
        output: { partitionBy: ['SITE_ID'] },
      }),
    ).toEqual([
      'pipelines[0].rules.dataset[0].columns[0]: unknown column "site_id" (did you mean "SITE_ID"?)',
      'pipelines[0].rules.dataset[0].columns[1]: unknown column "TIMESTAMP_STRAT" (did you mean "TIMESTAMP_START"?)',
      'pipelines[0].rules.dataset[1].column: unknown column "TIMESTAMP" (did you mean "TIMESTAMP_START"?)',
      'pipelines[0].transform.cast.TAA: unknown column "TAA" (did you mean "TA"?)',
      'pipelines[0].transform.rename.SITE: unknown column "SITE" (did you mean "SITE_ID"?)',
    ]);
  });

  it('checks collect: its columns are output columns, and it needs unpartitioned JSON lines results', () => {
    const schema = { columns: { site: {}, t: { type: 'timestamp' }, v: { type: 'number' } } };
    expect(problems({ schema, transform: { rename: { v: 'value' } }, collect: { dedupe: { key: ['site', 't'], keep: { max: 'value' } }, sort: ['t'] } })).toEqual([]);
    expect(problems({ schema, transform: { rename: { v: 'value' } }, collect: { dedupe: { key: ['Site', 't'], keep: { min: 'v' } }, sort: ['tt'] } })).toEqual([
      'pipelines[0].collect.dedupe.key[0]: "Site" is not an output column (did you mean "site"?)',
      'pipelines[0].collect.dedupe.keep.min: "v" is not an output column (did you mean "t"?)',
      'pipelines[0].collect.sort[0]: "tt" is not an output column (did you mean "t"?)',
    ]);
    expect(problems({ schema, output: { format: 'parquet' }, collect: {} })).toEqual(['pipelines[0].collect: collect combines JSON lines results; output.format is parquet']);
    expect(problems({ schema, output: { partitionBy: ['site'] }, collect: {} })).toEqual(['pipelines[0].collect: collect keeps one file order, so results cannot be partitioned (output.partitionBy)']);
    expect(problems({ schema, collect: { dedupe: { key: [] } } })).toHaveLength(1);
    expect(problems({ schema, collect: { dedupe: { key: ['site'], keep: 'newest' } } })).toHaveLength(1);
  });

  it('refuses output columns that select or rename would duplicate, and transforms of unselected columns', () => {
    expect(
      problems({
        schema: { columns: { a: {}, b: {}, c: {} } },
        transform: { select: ['a', 'b', 'a'], rename: { b: 'a', c: 'z' } },
      }),
    ).toEqual([
      'pipelines[0].transform.select[2]: "a" is selected twice',
      'pipelines[0].transform.rename.c: "c" is not in transform.select',
      'pipelines[0].transform.rename.b: "a" is already an output column',
    ]);
  });

  it('still checks a pipeline whose only schema problem is an unknown key, and leaves the others out', () => {
    const document = {
      pipelines: [
        { name: 'a', schema: { columns: { n: { type: 'number', min: 2, max: 1, requird: true } } } },
        { name: 'b', schema: { columns: { n: { type: 'numbr', min: 2, max: 1 } } } },
      ],
    };
    expect(() => parseConfig(document, 'two.yaml')).toThrow(
      [
        'two.yaml: 3 problem(s)',
        '  pipelines[0].schema.columns.n: unknown key "requird" (did you mean "required"?)',
        '  pipelines[1].schema.columns.n.type: Invalid option: expected one of "string"|"integer"|"number"|"boolean"|"date"|"timestamp"|"enum" (did you mean "number"?)',
        '  pipelines[0].schema.columns.n.min: 2 is greater than max 1',
      ].join('\n'),
    );
  });

  it('names the keys a strict object allows, inside unions too', () => {
    expect(
      problems({
        schema: { columns: { a: { length: { min: 1, maxx: 3 } } } },
        rules: { dataset: [{ type: 'unique', colums: ['a'] }, { type: 'rowCount', maximum: 3 }] },
        outptu: {},
      }),
    ).toEqual([
      'pipelines[0].schema.columns.a.length: unknown key "maxx" (did you mean "max"?)',
      'pipelines[0].rules.dataset[0].columns: Invalid input: expected array, received undefined',
      'pipelines[0].rules.dataset[0]: unknown key "colums" (did you mean "columns"?)',
      'pipelines[0].rules.dataset[1]: unknown key "maximum" (did you mean "max"?)',
      'pipelines[0]: unknown key "outptu" (did you mean "output"?)',
    ]);
  });

  it('suggests the near value of a mistyped option or rule type', () => {
    expect(problems({ schema: { columns: { a: {} } }, rules: { dataset: [{ type: 'uniqe', columns: ['a'] }] }, onBadRow: 'quarantaine' })).toEqual([
      "pipelines[0].rules.dataset[0].type: Invalid discriminator value. Expected 'unique' | 'completeness' | 'rowCount' | 'anomaly' (did you mean \"unique\"?)",
      'pipelines[0].onBadRow: Invalid option: expected one of "quarantine"|"fail-chunk"|"fail-job" (did you mean "quarantine"?)',
    ]);
  });

  it('refuses a completeness groupBy that is not an output column, with the near name', () => {
    const schema = { columns: { SITE_ID: {}, TA: { type: 'number' }, TIMESTAMP_START: { type: 'timestamp' } } };
    const completeness = (groupBy: string[]) => ({ type: 'completeness', column: 'TIMESTAMP_START', interval: '30m', groupBy });
    expect(
      problems({
        schema,
        rules: { dataset: [{ type: 'rowCount', min: 1 }, completeness(['site_id', 'TA'])] },
        transform: { select: ['SITE_ID', 'TIMESTAMP_START'] },
      }),
    ).toEqual([
      'pipelines[0].rules.dataset[1].groupBy[0]: "site_id" is not an output column (did you mean "SITE_ID"?)',
      'pipelines[0].rules.dataset[1].groupBy[1]: "TA" is not an output column',
    ]);
    expect(problems({ schema, rules: { dataset: [completeness(['SITE_ID'])] } })).toEqual([]);
  });

  it('accepts the example pipelines', async () => {
    expect((await loadConfig('examples/flux/pipeline.yaml')).pipelines[0]!.name).toBe('flux');
    expect((await loadConfig('examples/orders/pipeline.yaml')).pipelines).toHaveLength(1);
  });
});
