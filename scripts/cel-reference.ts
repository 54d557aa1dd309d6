// `npm run docs:cel`: writes the README's CEL reference from the environment the engine uses,
// between the cel-reference markers. test/unit/rules/cel-functions.test.ts fails when they differ.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { celReference } from '../shared/rules/cel-functions.js';
import { celEnvironment } from '../shared/rules/cel.js';

export const START = '<!-- cel-reference:start (npm run docs:cel) -->';
export const END = '<!-- cel-reference:end -->';

/** The README with its CEL reference section rewritten. */
export function withReference(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a === -1 || b === -1) throw new Error(`README.md has no ${START} … ${END} section`);
  return `${readme.slice(0, a + START.length)}\n${celReference(celEnvironment([]))}\n${readme.slice(b)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = join(import.meta.dirname, '..', 'README.md');
  await writeFile(file, withReference(await readFile(file, 'utf8')));
}
