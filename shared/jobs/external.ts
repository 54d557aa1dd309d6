import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { InputError } from '../errors.js';
import type { PartInfo } from '../formats/writers.js';
import type { ObjectStore } from '../store/object-store.js';

export interface ExternalRun {
  /** The program and its arguments (`compute.command`). */
  readonly command: readonly string[];
  /** The chunk's validated output parts, staged as the program's input. */
  readonly parts: readonly PartInfo[];
  /** Where the parts live; what the program writes goes under `<resultsPrefix>external/<name>/`. */
  readonly resultsPrefix: string;
  readonly name: string;
  /** Builds the child's environment from the variables Sluice sets (the env loader owns process.env). */
  readonly environment: (vars: Record<string, string>) => NodeJS.ProcessEnv;
}

/**
 * Runs an external program (the instrument-software case) on a chunk's validated output and
 * uploads every file it writes. SLUICE_INPUT is the staged part, or a folder of them when the
 * output is partitioned; SLUICE_OUTPUT_DIR is an empty folder for its results. Returns the keys written.
 */
export async function runExternalCommand(run: ExternalRun, objects: ObjectStore): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'sluice-'));
  try {
    const inputDir = join(work, 'input');
    const outputDir = join(work, 'output');
    await mkdir(outputDir, { recursive: true });
    const staged: string[] = [];
    for (const part of run.parts) {
      const file = join(inputDir, relative(run.resultsPrefix, part.key));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, (await objects.get(part.key)) ?? '');
      staged.push(file);
    }
    const input = staged.length === 1 ? staged[0]! : inputDir;
    const [program, ...args] = run.command;
    const child = spawn(program!, args, { stdio: 'inherit', env: run.environment({ SLUICE_INPUT: input, SLUICE_OUTPUT_DIR: outputDir }) });
    const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('exit', resolve));
    if (code !== 0) throw new InputError(run.name, 0, `external command ${run.command.join(' ')} exited with ${code}`);
    const written: string[] = [];
    for (const f of await readdir(outputDir, { recursive: true, withFileTypes: true })) {
      if (!f.isFile()) continue;
      const path = join(f.parentPath, f.name);
      const key = `${run.resultsPrefix}external/${run.name}/${relative(outputDir, path)}`;
      await objects.put(key, await readFile(path));
      written.push(key);
    }
    return written;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
