import { hostname } from 'node:os';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../errors.js';

/** Who holds a job: written to `state/<jobId>/lock` by the run that is processing it. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/** Another live process is running this job. Permanent for this run: wait for it, then rerun. */
export class JobLockedError extends SluiceError {
  constructor(
    readonly jobId: string,
    readonly holder: LockHolder,
  ) {
    super(`job ${jobId} is being run by pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`} since ${holder.startedAt}`);
  }
}

const lockFile = (stateRoot: string, jobId: string) => join(stateRoot, jobId, 'lock');

/** True when the holder's process still runs. A lock from another host is taken as live: we cannot see its processes. */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A job's status as a person should read it: a RUNNING job whose run is gone (killed, crashed) waits for a rerun. */
export async function shownStatus(stateRoot: string, job: { readonly jobId: string; readonly status: string }): Promise<string> {
  if (job.status !== 'RUNNING') return job.status;
  const holder = await readLock(stateRoot, job.jobId);
  return holder && holderAlive(holder) ? `RUNNING (pid ${holder.pid})` : 'STALE (rerun to resume)';
}

/** The lock on a job, if any; a lock file that cannot be parsed counts as none. */
export async function readLock(stateRoot: string, jobId: string): Promise<LockHolder | undefined> {
  const text = await readFile(lockFile(stateRoot, jobId), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseHolder(text);
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as LockHolder;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the job's lock, or throws JobLockedError naming the live process that holds it. A lock
 * whose process is gone (killed, crashed) is taken over. The lock file appears atomically
 * (hard link of a complete temp file), so two runs starting at once cannot both win.
 * Returns the release function.
 */
export async function acquireJobLock(stateRoot: string, jobId: string): Promise<() => Promise<void>> {
  const file = lockFile(stateRoot, jobId);
  await mkdir(join(stateRoot, jobId), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const temp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(temp, JSON.stringify(me));
  try {
    for (let tries = 0; ; tries++) {
      try {
        await link(temp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (tries >= 20) throw new SluiceError(`job ${jobId}: its lock ${file} keeps changing hands; try again`);
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released meanwhile
      const holder = parseHolder(text);
      if (holder && holderAlive(holder)) throw new JobLockedError(jobId, holder);
      // Stale or unreadable: move it aside (only one contender's rename succeeds), then try again.
      const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
      if (!(await rename(file, aside).then(() => true, () => false))) continue;
      // Between our read and the rename another run may have taken over: give its lock back.
      if ((await readFile(aside, 'utf8').catch(() => '')) !== text) await link(aside, file).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return async () => {
    const holder = await readLock(stateRoot, jobId);
    if (holder?.pid === me.pid && holder.startedAt === me.startedAt) await unlink(file).catch(() => undefined);
  };
}
