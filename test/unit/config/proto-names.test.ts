import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigError, loadConfig, parseConfig } from '../../../shared/config/index.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const messages = (doc: unknown): string[] => {
  try {
    parseConfig(doc);
    return [];
  } catch (e) {
    if (e instanceof InvalidConfigError) return e.errors.map((x) => x.message);
    throw e;
  }
};

describe('column names in a config', () => {
  it('keep "__proto__" as a column, derive, cast and rename key, from YAML', async () => {
    const file = join(dir, 'proto.yaml');
    await writeFile(
      file,
      [
        'pipelines:',
        '  - name: p',
        '    schema:',
        '      columns:',
        '        __proto__: { type: integer }',
        '        constructor: { type: string }',
        '    transform:',
        '      derive: { toString: "constructor + \'!\'" }',
        '      cast: { __proto__: string }',
        '      rename: { __proto__: proto }',
        '',
      ].join('\n'),
    );
    const p = (await loadConfig(file)).pipelines[0]!;
    expect(Object.keys(p.schema.columns)).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(p.schema.columns, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(p.schema.columns)).toBe(Object.prototype);
    expect(p.schema.columns['__proto__']!.type).toBe('integer');
    expect(JSON.stringify(p.transform)).toBe('{"rename":{"__proto__":"proto"},"cast":{"__proto__":"string"},"derive":{"toString":"constructor + \'!\'"}}');
  });

  it('report a "__proto__" column\'s problems under its own name', () => {
    expect(messages(JSON.parse('{"pipelines":[{"name":"p","schema":{"columns":{"__proto__":{"type":"time"}}}}]}'))).toEqual([
      expect.stringMatching(/^pipelines\[0\]\.schema\.columns\.__proto__\.type: Invalid option/),
    ]);
  });

  it('accept columns CEL cannot name (built-in and reserved words), leaving them out of expressions', () => {
    const doc = { pipelines: [{ name: 'p', schema: { columns: { type: { type: 'string' }, string: { type: 'integer' }, for: { type: 'integer' }, n: { type: 'integer' } } }, rules: { row: [{ name: 'r', expr: 'n > 0' }] }, transform: { derive: { map: 'n * 2', list: 'n + 1' } } }] };
    expect(messages(doc)).toEqual([]);
    expect(messages({ ...doc, pipelines: [{ ...doc.pipelines[0], rules: { row: [{ name: 'r', expr: 'for > 0' }] } }] })).toEqual([
      expect.stringMatching(/^pipelines\[0\]\.rules\.row\[0\]\.expr: CEL does not parse/),
    ]);
  });
});
