import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configJsonSchema, InvalidConfigError, loadConfig, parseConfig } from '../../../shared/config/index.js';
import { ConfigError } from '../../../shared/errors.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

function problems(doc: unknown): string[] {
  try {
    parseConfig(doc);
  } catch (e) {
    if (e instanceof InvalidConfigError) return e.errors.map((x) => x.message);
    throw e;
  }
  return [];
}

describe('config validation', () => {
  it('reports every error with its path', () => {
    const found = problems({
      pipelines: [{ name: 'Bad Name', schema: { columns: { ts: { type: 'time' }, n: { type: 'number', min: 'x' } } }, bogus: true }],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pipelines\[0\]\.name: /),
        expect.stringMatching(/^pipelines\[0\]\.schema\.columns\.ts\.type: /),
        'pipelines[0]: unknown key "bogus"',
      ]),
    );
  });

  it('rejects references to unknown columns in transforms, dataset rules and partitions', () => {
    const found = problems({
      pipelines: [
        {
          name: 'p',
          schema: { columns: { a: {} } },
          transform: { select: ['a', 'nope'] },
          rules: { dataset: [{ type: 'unique', columns: ['zz'] }] },
          output: { partitionBy: ['qq'] },
        },
      ],
    });
    expect(found).toEqual([
      'pipelines[0].rules.dataset[0].columns[0]: unknown column "zz"',
      'pipelines[0].transform.select[1]: unknown column "nope"',
      'pipelines[0].output.partitionBy[0]: "qq" is not an output column',
    ]);
  });

  it('names the config path of every CEL expression that does not compile', () => {
    const found = problems({ pipelines: [{ name: 'p', schema: { columns: { a: { type: 'integer' } } }, rules: { row: [{ name: 'r', expr: 'a >' }, { name: 's', expr: 'b > 1' }] } }] });
    expect(found).toEqual([
      'pipelines[0].rules.row[0].expr: CEL does not parse: Unexpected token: EOF',
      'pipelines[0].rules.row[1].expr: CEL does not type-check: Unknown variable: b',
    ]);
  });

  it('loads YAML and says which file is not valid YAML', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'pipelines: [\n  - name: x\n  oops: : :');
    await expect(loadConfig(bad)).rejects.toBeInstanceOf(ConfigError);
    await expect(loadConfig(bad)).rejects.toThrow(/bad\.yaml: not valid YAML/);
    const good = join(dir, 'good.yaml');
    await writeFile(good, 'pipelines:\n  - name: x\n    schema: { columns: { a: { type: integer } } }\n');
    expect((await loadConfig(good)).pipelines[0]!.format.type).toBe('csv');
  });

  it('keeps the committed JSON Schema in sync with the zod schema', () => {
    const committed = JSON.parse(readFileSync(new URL('../../../sluice.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(committed).toEqual(configJsonSchema());
  });
});
