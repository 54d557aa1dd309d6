import { vi } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../shared/config/load.js';
import type { Pipeline } from '../shared/config/schema.js';
import type { Source } from '../shared/plan/plan.js';

/** A fresh temp folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'sluice-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A validated pipeline from a partial one. */
export function pipelineOf(partial: Record<string, unknown>): Pipeline {
  return parseConfig({ pipelines: [{ name: 'test', ...partial }] }).pipelines[0]!;
}

/** `sluice` as a user runs it: the built bin, in `cwd` (the global setup builds it from this source). */
export const SLUICE_BIN = join(import.meta.dirname, '../cli/bin.js');

/**
 * The environment a handler module reads when it loads (functions/runtime.ts): call before
 * importing it. Quiet, single-line logs unless `vars` say otherwise.
 */
export function stubHandlerEnv(config: unknown, vars: Record<string, string> = {}): void {
  const all = { BUCKET: 'bucket', TABLE_NAME: 'table', SLUICE_CONFIG: JSON.stringify(config), POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'eu-west-1', ...vars };
  for (const [k, v] of Object.entries(all)) vi.stubEnv(k, v);
}

/** The bytes in pieces of the given sizes (cycled), as a store would stream them. */
export function sourceOf(bytes: Buffer, pieces: readonly number[]): Source {
  return {
    key: 'f.csv',
    size: bytes.length,
    read: (range) =>
      (async function* () {
        const end = range?.end ?? bytes.length;
        let at = range?.start ?? 0;
        for (let i = 0; at < end; i++) {
          const n = Math.max(1, pieces[i % pieces.length]!);
          yield new Uint8Array(bytes.subarray(at, Math.min(end, at + n)));
          at += n;
        }
      })(),
  };
}
