import { CommanderError } from 'commander';
import { InvalidConfigError } from '../shared/config/index.js';
import { ConfigError, InputError, OutputError, SluiceError } from '../shared/errors.js';
import { JobLockedError } from '../shared/local/job-lock.js';
import { reason } from '../shared/local/output-dir.js';

/** The exit codes `sluice` documents in --help and the README. */
export const ExitCode = { OK: 0, JOB_FAILED: 1, USAGE: 2 } as const;

/** A command line that cannot be run as written (a bad option value, a missing file). */
export class UsageError extends SluiceError {}

/**
 * What the CLI prints for a failure, and its exit code: one line `sluice: <what>: <why>` (an
 * invalid config adds one indented line per problem). Only `--debug` adds the stack.
 */
export function describeFailure(e: unknown, debug: boolean): { text: string; code: number } {
  const line = (message: string, code: number) => ({ text: `sluice: ${message}${debug && e instanceof Error && e.stack ? `\n${e.stack}` : ''}`, code });
  if (e instanceof CommanderError) return line(`${e.message.replace(/^error: /, '')} (see --help)`, ExitCode.USAGE);
  if (e instanceof InvalidConfigError) return line(e.message.slice(e.message.indexOf(e.source)), ExitCode.USAGE);
  if (e instanceof ConfigError || e instanceof InputError || e instanceof OutputError || e instanceof UsageError || e instanceof JobLockedError) {
    return line(e.message, ExitCode.USAGE);
  }
  if (e instanceof SluiceError) return line(e.message, ExitCode.JOB_FAILED);
  const err = e as NodeJS.ErrnoException;
  if (err?.code && err.syscall) return line(`${err.syscall} ${err.path ?? ''}: ${reason(err)}`.replace(' :', ':'), ExitCode.JOB_FAILED);
  const first = (err instanceof Error ? `${err.name}: ${err.message}` : String(e)).split('\n')[0]!;
  return line(`unexpected failure: ${first} (rerun with --debug for the stack)`, ExitCode.JOB_FAILED);
}
