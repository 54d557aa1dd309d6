import { access, constants, mkdir, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { OutputError } from '../errors.js';

/** Kernel file systems that look like folders but hold no files (statfs magic numbers). */
const VIRTUAL_FS: Record<number, string> = { 0x9fa0: 'procfs', 0x62656572: 'sysfs', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x64626720: 'debugfs', 0x74726163: 'tracefs', 0x73636673: 'securityfs' };

/**
 * Makes sure `out` is a folder Sluice can write, creating it when absent, before anything is
 * planned: a file in the way, a kernel file system (/proc, /sys) or a read-only folder is one
 * clear error naming the option, not an errno from deep inside a run.
 */
export async function prepareOutputDir(out: string, option = '--out'): Promise<void> {
  const abs = resolve(out);
  let existing = abs;
  let found;
  while (!(found = await stat(existing).catch(() => undefined))) existing = dirname(existing);
  if (!found.isDirectory()) throw new OutputError(`${option} ${out}: ${existing === abs ? 'it' : existing} is a file, not a folder`);
  const fs = VIRTUAL_FS[(await statfs(existing)).type];
  if (fs) throw new OutputError(`${option} ${out}: ${existing} is on ${fs}, a kernel file system, not a place for files`);
  try {
    await mkdir(abs, { recursive: true });
  } catch (e) {
    throw new OutputError(`${option} ${out}: cannot create the folder: ${reason(e)}`, { cause: e });
  }
  await access(abs, constants.W_OK).catch((e: unknown) => {
    throw new OutputError(`${option} ${out}: not writable: ${reason(e)}`, { cause: e });
  });
}

/** "not a directory" rather than "ENOTDIR: not a directory, mkdir '…'". */
export function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!err.code) return String(err.message ?? e);
  const text = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return `${text} (${err.code})`;
}
